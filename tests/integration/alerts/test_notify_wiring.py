"""The notifications as the settings wire them: nothing configured sends nothing, a bad contacts
file stops the start with every error, and a contacts file edited while running is re-read
(a broken edit changes nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from alerts.metrics import AlertsMetrics
from alerts.notify.contacts import Directory
from alerts.notify.contacts_file import ContactsFileInvalid, load
from alerts.notify.wiring import ContactsWatcher, build_notifications, config_of, everyone
from alerts.routing import Audience, load_table
from alerts.settings import AlertsSettings
from storage.datastore import Datastore

TOWNSHIP = Audience(kind="township", name="township", division_prefix="330106001")
ONE = """\
offices:
  - office: township
    division: "330106001"
    name: 西溪街道
    contacts: [{name: 甲, channel: log}]
"""


@pytest.fixture
def store(database_url: str) -> Iterator[Datastore]:
    with Datastore(database_url, max_size=2) as opened:
        yield opened


def _settings(**over: object) -> AlertsSettings:
    return AlertsSettings(database_url=SecretStr("postgresql://unused/x"), **over)  # type: ignore[arg-type]


def test_without_contacts_webhook_or_log_channel_nothing_is_wired(store: Datastore) -> None:
    assert build_notifications(_settings(), store, AlertsMetrics(CollectorRegistry())) is None


def test_the_log_channel_and_the_machine_webhook_hear_of_every_audience() -> None:
    settings = _settings(
        notify_log=True,
        notify_webhook_url="http://127.0.0.1:9/h",
        notify_webhook_secret=SecretStr("s"),
    )
    directory = Directory((), everyone(settings))
    assert [c.channel for _, c in directory.recipients(TOWNSHIP)] == ["webhook", "log"]


def test_a_bad_contacts_file_stops_the_start_with_every_error(
    store: Datastore, tmp_path: Path
) -> None:
    bad = tmp_path / "contacts.yaml"
    bad.write_text(
        ONE.replace("channel: log", "channel: pager") + "  - office: nowhere\n", encoding="utf-8"
    )
    with pytest.raises(ContactsFileInvalid) as refused:
        build_notifications(
            _settings(notify_contacts=str(bad)), store, AlertsMetrics(CollectorRegistry())
        )
    reasons = [(e.line, e.reason.split(":")[0]) for e in refused.value.errors]
    assert reasons == [
        (5, "offices.0.contacts.0.channel"),
        (6, "offices.1.division"),
        (6, "offices.1.name"),
    ]
    assert all(str(e).startswith(f"{bad}:") for e in refused.value.errors)


def test_an_edited_contacts_file_is_re_read_and_a_broken_edit_changes_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "contacts.yaml"
    path.write_text(ONE, encoding="utf-8")
    table = load_table()
    directory = Directory(load(path, table).offices)
    watch = ContactsWatcher(path, table, directory)
    path.write_text(
        ONE.replace("[{name: 甲, channel: log}]", "[{name: 乙, channel: log}]"), encoding="utf-8"
    )
    watch()
    assert [c.name for _, c in directory.recipients(TOWNSHIP)] == ["乙"]
    path.write_text(ONE.replace("channel: log", "channel: pager, x: 1"), encoding="utf-8")
    watch()
    assert [c.name for _, c in directory.recipients(TOWNSHIP)] == ["乙"]


def test_reminder_periods_and_backoff_come_from_the_settings() -> None:
    config = config_of(_settings(notify_remind_red_s=5, notify_backoff_s=0.1, notify_attempts=2,
                                 api_url="http://127.0.0.1:18000"))
    assert config.remind_s["red"] == 5 and config.remind_s["blue"] == 0
    assert (config.retry_for("sms").attempts, config.retry_for("sms").backoff_s) == (2, 0.1)
    assert config.console_url == "http://127.0.0.1:18000"  # HW_CONSOLE_URL defaults to HW_API_URL
