"""An alarm search as a person or a token asks for it, turned into the storage filter inside
the caller's scope: the API's alarm list and the console's history page share it, so both
show the same rows for the same question."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from alerts.api import limits
from alerts.auth.scope import Scope
from storage import history
from storage.queries import AlarmStateFilter

NOTHING = ("-",)  # a family no alarm has: the filter of a question outside the scope


@dataclass(frozen=True)
class Search:
    state: AlarmStateFilter = "open"
    families: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    division: str | None = None  # a prefix inside the scope
    enterprises: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    causes: tuple[str, ...] = ()
    supervised: bool | None = None
    suppressed: bool | None = None
    overdue: bool | None = None  # as the overview counts it


def scoped(scope: Scope, search: Search) -> history.HistoryFilter:
    wanted = search.families
    if scope.families:
        allowed = set(scope.family_names)
        wanted = tuple(f for f in wanted if f in allowed) or scope.family_names
        if search.families and not set(wanted) & set(search.families):
            wanted = NOTHING  # asked only for families outside the scope
    prefix = scope.division_prefix
    if search.division is not None and search.division.startswith(prefix):
        prefix = search.division
    elif search.division is not None and not prefix.startswith(search.division):
        wanted = NOTHING  # a division outside the scope
    return history.HistoryFilter(
        division_prefix=prefix,
        families=wanted,
        scope_enterprise=scope.enterprise_id,
        severities=search.severities,
        state=search.state,
        since=search.since,
        until=search.until,
        enterprises=search.enterprises,
        devices=search.devices,
        conditions=search.conditions,
        causes=search.causes,
        supervised=search.supervised,
        suppressed=search.suppressed,
        overdue=search.overdue,
        overdue_limits=limits.by_severity() if search.overdue is not None else (),
    )


def encode_cursor(after: history.Keyset | None) -> str | None:
    if after is None:
        return None
    return base64.urlsafe_b64encode(f"{after[0].isoformat()}|{after[1]}".encode()).decode()


def decode_cursor(cursor: str | None) -> history.Keyset | None:
    """Raises ValueError for a string that is no cursor of ours."""
    if not cursor:
        return None
    ts, alarm_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
    return datetime.fromisoformat(ts), alarm_id
