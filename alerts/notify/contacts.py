"""Who is told: the contacts of each township office and regulator office (their own YAML,
`HW_NOTIFY_CONTACTS`; parsed with line numbers by `alerts.notify.contacts_file`).

An office is the audience of `alerts.routing` (`township`, an authority of `routing.yaml`, or an
escalation level `county`/`city`) at a division prefix. `contacts` hear of every alarm at once;
`escalation` is the path a reminder walks: round N adds the N-th of them.

Robot URLs carry their access key (WeCom `key=`, DingTalk `access_token=`, the Feishu hook id),
so they are secrets as much as the signing secrets: both are `SecretStr`, never logged.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from alerts.routing import Audience

ChannelName = Literal["webhook", "wecom", "dingtalk", "feishu", "sms", "log"]
_NEEDS_URL = {"webhook", "wecom", "dingtalk", "feishu"}
# Prefix length of each office's division (docs: DESIGN section 7; routing.yaml `levels`).
OFFICE_DIGITS = {"township": 9, "county": 6, "city": 4}
AUTHORITY_DIGITS = 6


class Contact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    channel: ChannelName
    url: SecretStr | None = None
    secret: SecretStr | None = None
    phone: str | None = Field(default=None, pattern=r"^\+?\d{5,15}$")

    @model_validator(mode="after")
    def _fields_of_its_channel(self) -> Contact:
        if self.channel in _NEEDS_URL and self.url is None:
            raise ValueError(f"a {self.channel} contact needs url")
        if self.channel == "webhook" and self.secret is None:
            raise ValueError("a webhook contact needs secret (the receiver checks the HMAC)")
        if self.channel == "sms" and self.phone is None:
            raise ValueError("an sms contact needs phone")
        return self

    @field_validator("url")
    @classmethod
    def _http(cls, url: SecretStr | None) -> SecretStr | None:
        if url is not None and not url.get_secret_value().startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return url


class Office(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    office: str = Field(min_length=1)  # township | county | city | an authority's name
    division: str = Field(pattern=r"^\d{4,12}$")
    name: str = Field(min_length=1)  # shown in messages (the township's name)
    contacts: tuple[Contact, ...] = ()
    escalation: tuple[Contact, ...] = ()

    def key(self) -> tuple[str, str]:
        return self.office, self.division

    def contact_id(self, contact: Contact) -> str:
        """Stable across restarts and reloads: what the outbox and dead letters store."""
        return f"{self.office}/{self.division}/{contact.name}"


class ContactsFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    offices: tuple[Office, ...] = ()


class Directory:
    """Looks contacts up by audience and by id. `everyone` are added to every audience (the
    development log channel, the machine webhook of `HW_NOTIFY_WEBHOOK_URL`)."""

    def __init__(self, offices: tuple[Office, ...] = (), everyone: tuple[Contact, ...] = ()):
        self._offices = {office.key(): office for office in offices}
        self._everyone = everyone

    def replace(self, offices: tuple[Office, ...]) -> None:
        """Swap in a reloaded file at once (one assignment: readers see the old or the new)."""
        self._offices = {office.key(): office for office in offices}

    def has_everyone(self) -> bool:
        return bool(self._everyone)

    def office(self, audience: Audience) -> Office:
        found = self._offices.get((audience.name, audience.division_prefix))
        if found is None:
            found = Office(
                office=audience.name, division=audience.division_prefix, name=audience.name
            )
        if self._everyone:
            found = found.model_copy(update={"contacts": (*found.contacts, *self._everyone)})
        return found

    def recipients(self, audience: Audience, round_: int = 0) -> list[tuple[str, Contact]]:
        """(contact id, contact) told at reminder round `round_` (0: the alarm itself)."""
        office = self.office(audience)
        chosen = (*office.contacts, *office.escalation[:round_])
        return [(office.contact_id(c), c) for c in chosen]

    def contact(self, contact_id: str) -> Contact | None:
        office_name, division, name = contact_id.split("/", 2)
        audience = Audience(kind="township", name=office_name, division_prefix=division)
        office = self.office(audience)
        return next((c for c in (*office.contacts, *office.escalation) if c.name == name), None)

    def township_name(self, division: str) -> str:
        office = self._offices.get(("township", division[: OFFICE_DIGITS["township"]]))
        return office.name if office else division[: OFFICE_DIGITS["township"]]
