"""A weekly report's numbers equal those computed here, independently, from the seeded events."""

from __future__ import annotations

import csv
import io
import random
import statistics
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient

from alerts.services import Services
from schemas.events import (
    Acknowledged,
    AlarmEvent,
    AlarmRaised,
    Closed,
    Resolved,
    SeverityChanged,
)
from storage import events
from tests.integration.alerts.conftest import TokenFactory

WEEK = datetime(2026, 11, 9, tzinfo=UTC)  # a Monday
COUNTY = "330106"
FAMILIES = ("gas", "fire", "elevator")
SEVERITIES = ("yellow", "orange", "red")


def _common(raised: AlarmRaised) -> dict[str, Any]:
    keep = ("alarm_id", "device_id", "enterprise_id", "division", "family", "condition")
    return {k: getattr(raised, k) for k in keep}


def _alarm_events(rng: random.Random, raised_at: datetime, division: str) -> list[AlarmEvent]:
    """One alarm's history: raised, maybe escalated in severity, maybe acknowledged, resolved
    and closed; the delays are random."""
    raised = AlarmRaised(
        event_id=uuid4().hex,
        alarm_id=f"A{uuid4().hex[:8]}",
        seq=1,
        occurred_at=raised_at,
        device_id=f"D{uuid4().hex[:8]}",
        enterprise_id=rng.choice(["E-a", "E-b"]),
        division=division,
        family=rng.choice(FAMILIES),  # type: ignore[arg-type]
        condition="c",
        severity=rng.choice(SEVERITIES[:2]),  # type: ignore[arg-type]
    )
    history: list[AlarmEvent] = [raised]
    common, at = _common(raised), raised_at

    def then(kind: type[Any], **fields: Any) -> None:
        nonlocal at
        at += timedelta(seconds=rng.randint(1, 3600))
        history.append(
            kind(
                event_id=uuid4().hex,
                seq=len(history) + 1,
                occurred_at=at,
                **common,
                **fields,
            )
        )

    severity: str = raised.severity
    if rng.random() < 0.3:
        then(SeverityChanged, severity="red", from_severity=severity, to_severity="red")
        severity = "red"
    handled = {"actor": "u", "command_id": uuid4().hex, "severity": severity}
    if rng.random() < 0.8:
        then(Acknowledged, **handled)
        if rng.random() < 0.7:
            then(Resolved, cause=rng.choice(["false_alarm", "real_leak"]), **handled)
            then(Closed, **{**handled, "command_id": uuid4().hex})
    return history


def _expected(histories: list[list[AlarmEvent]]) -> dict[str, Any]:
    by: dict[tuple[str, str], int] = {}
    ack: list[float] = []
    close: list[float] = []
    for history in histories:
        raised = history[0]
        worst = min((e.severity for e in history if e.severity), key=lambda s: s.rank)
        key = (str(raised.family), str(worst))
        by[key] = by.get(key, 0) + 1
        for kind, sink in ((Acknowledged, ack), (Closed, close)):
            step = next((e for e in history if isinstance(e, kind)), None)
            if step is not None:
                sink.append((step.occurred_at - raised.occurred_at).total_seconds())
    return {"by": by, "ack": ack, "close": close}


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def test_a_weekly_report_counts_and_times_what_the_event_log_holds(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    rng = random.Random(uuid4().int)
    inside = [
        _alarm_events(rng, WEEK + timedelta(minutes=rng.randint(0, 7 * 24 * 60 - 1)), div)
        for div in rng.choices([COUNTY + "001001", COUNTY + "002001"], k=40)
    ]
    outside = [
        _alarm_events(rng, WEEK - timedelta(hours=1), COUNTY + "001001"),  # the week before
        _alarm_events(rng, WEEK + timedelta(days=7), COUNTY + "001001"),  # the week after
        _alarm_events(rng, WEEK + timedelta(days=1), "330107001001"),  # another county
    ]
    with services.store.transaction() as conn:
        for history in [*inside, *outside]:
            for event in history:
                events.append(conn, event)
    expected = _expected(inside)
    headers = {"Authorization": f"Bearer {token(role='regulator', scope=COUNTY)}"}
    params = {"division": COUNTY, "start": WEEK.date().isoformat()}

    got = client.get("/api/v1/reports/weekly", params=params, headers=headers)
    assert got.status_code == 200, got.text
    body = got.json()
    counts = {(r["family"], r["severity"]): r["alarms"] for r in body["alarms_by_family_severity"]}
    assert counts == expected["by"]
    assert sum(counts.values()) == len(inside)
    for name, values in (
        ("time_to_acknowledge_s", expected["ack"]),
        ("time_to_close_s", expected["close"]),
    ):
        assert body[name]["median_s"] == statistics.median(values)
        assert abs(body[name]["p95_s"] - _p95(values)) < 1e-6

    as_csv = client.get(
        "/api/v1/reports/weekly", params={**params, "format": "csv"}, headers=headers
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    counted = {
        (r["family"], r["severity"]): int(r["value"]) for r in rows if r["figure"] == "alarms"
    }
    assert counted == expected["by"]
