"""Alarm history search: every filter a regulator asks for, newest first, keyset-paged.

A page is `ORDER BY raised_at DESC, alarm_id DESC` continued strictly below the last row's
`(raised_at, alarm_id)`, so paging never skips or repeats a row however many alarms arrive
meanwhile, and every page costs the same at 1 M alarms (no OFFSET). The indexes it walks:
`alarms_newest` and `alarms_division` (0001), `alarms_device_newest` and
`alarms_enterprise_newest` (0011) for one device or one enterprise.

The caller's scope (division prefix, families, own enterprise) is part of the filter, never
an afterthought, so a search can only narrow it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.datastore import Datastore
from storage.queries import AlarmStateFilter

Keyset = tuple[datetime, str]


@dataclass(frozen=True)
class HistoryFilter:
    division_prefix: str = ""
    families: tuple[str, ...] = ()
    scope_enterprise: str | None = None  # the enterprise role sees only its own alarms
    severities: tuple[str, ...] = ()
    state: AlarmStateFilter = "all"
    since: datetime | None = None  # raised at or after
    until: datetime | None = None  # raised before
    enterprises: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    causes: tuple[str, ...] = ()
    supervised: bool | None = None
    suppressed: bool | None = None
    # Overdue as the overview counts it (storage/overview.py): escalated, or past the limit of
    # its severity at `overdue_at`; limits are (severity, ack within s, resolve within s).
    overdue: bool | None = None
    overdue_at: datetime | None = None
    overdue_limits: tuple[tuple[str, float, float], ...] = ()


@dataclass(frozen=True)
class HistoryRow:
    alarm_id: str
    device_id: str
    enterprise_id: str
    division: str
    family: str
    condition: str
    severity: str
    state: str
    raised_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    cause: str | None
    supervised: bool
    suppressed: bool
    escalation_level: str
    view: dict[str, Any]  # the whole projection row (JSON only; the CSV has the columns above)


COLUMNS = tuple(f.name for f in fields(HistoryRow))
CSV_COLUMNS = COLUMNS[:-1]
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM alarms"
# The CSV has no use for the projection's whole JSON: parsing it was most of an export's time.
_SELECT_FLAT = f"SELECT {', '.join(CSV_COLUMNS)}, '{{}}'::jsonb FROM alarms"


@dataclass(frozen=True)
class HistoryPage:
    items: list[HistoryRow]
    next_after: Keyset | None  # pass back as `after` for the next (older) page


def _where(flt: HistoryFilter, after: Keyset | None) -> tuple[str, dict[str, Any]]:
    prefix = flt.division_prefix
    if prefix and not prefix.isdigit():
        raise ValueError(f"a division prefix is digits only, got {prefix!r}")
    where = ["division LIKE %(prefix)s"]
    params: dict[str, Any] = {"prefix": prefix + "%"}
    lists = {
        "family": flt.families,
        "severity": flt.severities,
        "enterprise_id": flt.enterprises,
        "device_id": flt.devices,
        "condition": flt.conditions,
        "cause": flt.causes,
    }
    for column, wanted in lists.items():
        if len(wanted) == 1:
            # `=` rather than `= ANY` lets the planner match the (device_id, raised_at) index.
            where.append(f"{column} = %({column})s")
            params[column] = wanted[0]
        elif wanted:
            where.append(f"{column} = ANY(%({column})s)")
            params[column] = list(wanted)
    if flt.scope_enterprise is not None:
        where.append("enterprise_id = %(scope_enterprise)s")
        params["scope_enterprise"] = flt.scope_enterprise
    if flt.state == "open":
        where.append("state <> 'closed'")
    elif flt.state == "closed":
        where.append("state = 'closed'")
    for column in ("supervised", "suppressed"):
        if getattr(flt, column) is not None:
            where.append(f"{column} = %({column})s")
            params[column] = getattr(flt, column)
    if flt.overdue is not None:
        expr, late = _overdue(flt)
        where.append(expr if flt.overdue else f"NOT ({expr})")
        params.update(late)
    if flt.since is not None:
        where.append("raised_at >= %(since)s")
        params["since"] = flt.since
    if flt.until is not None:
        where.append("raised_at < %(until)s")
        params["until"] = flt.until
    if after is not None:
        where.append("(raised_at, alarm_id) < (%(after_ts)s, %(after_id)s)")
        params.update(after_ts=after[0], after_id=after[1])
    return " AND ".join(where), params


def _overdue(flt: HistoryFilter) -> tuple[str, dict[str, Any]]:
    at = flt.overdue_at or datetime.now(UTC)
    params: dict[str, Any] = {}
    late = ["escalation_level <> 'township'"]
    for i, (severity, ack_s, resolve_s) in enumerate(flt.overdue_limits):
        params.update(
            {
                f"late_sev{i}": severity,
                f"late_ack{i}": at - timedelta(seconds=ack_s),
                f"late_res{i}": at - timedelta(seconds=resolve_s),
            }
        )
        late.append(
            f"(severity = %(late_sev{i})s AND ((acknowledged_at IS NULL"
            f" AND raised_at < %(late_ack{i})s) OR (resolved_at IS NULL"
            f" AND raised_at < %(late_res{i})s)))"
        )
    return f"(NOT suppressed AND ({' OR '.join(late)}))", params


def search(
    store: Datastore,
    flt: HistoryFilter,
    *,
    after: Keyset | None = None,
    limit: int = 50,
    with_view: bool = True,
) -> HistoryPage:
    """One page of the alarms matching `flt`, newest first, strictly older than `after`
    (`view` left empty unless `with_view`)."""
    where, params = _where(flt, after)
    params["limit"] = limit
    with store.transaction() as conn:
        # Custom plans only: a generic plan cannot see which filters are selective.
        rows = conn.execute(
            f"{_SELECT if with_view else _SELECT_FLAT} WHERE {where}"
            " ORDER BY raised_at DESC, alarm_id DESC LIMIT %(limit)s",
            params,
            prepare=False,
        ).fetchall()
    items = [HistoryRow(*row) for row in rows]
    last = items[-1] if len(items) == limit else None
    return HistoryPage(items, None if last is None else (last.raised_at, last.alarm_id))


def search_all(
    store: Datastore, flt: HistoryFilter, *, after: Keyset | None = None, chunk: int = 1000
) -> Iterator[HistoryRow]:
    """Every matching alarm older than `after`, newest first, a keyset page at a time, without
    `view` (for CSV export: no connection is held between pages, memory stays at one page)."""
    while True:
        page = search(store, flt, after=after, limit=chunk, with_view=False)
        yield from page.items
        if page.next_after is None:
            return
        after = page.next_after
