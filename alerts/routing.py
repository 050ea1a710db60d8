"""Who an alarm event goes to: the township of the site and the industry regulator(s) of the
device's family and the enterprise's industry. The table is data (`routing.yaml`), so a county
that assigns an authority differently edits a file, not code."""

from __future__ import annotations

from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, field_validator

from alerts.errors import AlertsError

Level = Literal["township", "county", "city"]
_ANY = "*"


class RoutingTableInvalid(AlertsError):
    """The routing table does not parse or names an unknown family or industry."""


class Authority(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    families: tuple[str, ...] | Literal["*"]
    industries: tuple[str, ...] | Literal["*"]

    def covers(self, family: str, industry: str) -> bool:
        return (self.families == _ANY or family in self.families) and (
            self.industries == _ANY or industry in self.industries
        )


class RoutingTable(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    authorities: dict[str, Authority]
    levels: dict[Level, int]

    @field_validator("levels")
    @classmethod
    def _every_level(cls, levels: dict[Level, int]) -> dict[Level, int]:
        if set(levels) != {"township", "county", "city"}:
            raise ValueError("levels must give township, county and city")
        return levels


class Audience(BaseModel):
    """One recipient group: a township office, or an authority at a division level."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["township", "authority", "escalation"]
    name: str  # "township", the authority's name, or the escalation level
    division_prefix: str


def load_table(text: str | None = None) -> RoutingTable:
    """Parse a routing table; the one shipped beside this module when `text` is None."""
    if text is None:
        text = resources.files("alerts").joinpath("routing.yaml").read_text(encoding="utf-8")
    try:
        return RoutingTable.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValueError) as exc:
        raise RoutingTableInvalid(str(exc)) from exc


def audiences(table: RoutingTable, division: str, family: str, industry: str) -> list[Audience]:
    """The township of the site first, then every authority covering this family and industry."""
    township = Audience(
        kind="township", name="township", division_prefix=division[: table.levels["township"]]
    )
    county = division[: table.levels["county"]]
    regulators = [
        Audience(kind="authority", name=name, division_prefix=county)
        for name, authority in sorted(table.authorities.items())
        if authority.covers(family, industry)
    ]
    return [township, *regulators]


def escalation_audience(table: RoutingTable, division: str, level: Level) -> Audience:
    """The office an overdue alarm is escalated to (county, then city)."""
    return Audience(kind="escalation", name=level, division_prefix=division[: table.levels[level]])
