"""Report figures computed once per change, not once per view.

A report's alarm figures depend only on the alarms raised in its period and what later
happened to them. Every stored alarm event counts one change against the UTC day its alarm was
raised and its division (`report_touches`, storage/events.py, same transaction as the event).
The figures are kept with the sum of those counters over the period's days and the report's
divisions, read in the same snapshot as the figures; while the sum is unchanged, nothing the
figures depend on has changed. The check is one index range read of a days-by-townships
table, so reviewing last month's report over 1 M alarms costs milliseconds after its first view.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date, datetime, timedelta
from typing import TypeVar

import psycopg

from storage.datastore import Datastore

T = TypeVar("T")

_STAMP = (
    "SELECT coalesce(sum(touched), 0), count(*) FROM report_touches"
    " WHERE day BETWEEN %(first)s AND %(last)s AND division LIKE %(prefix)s"
)


def period_days(start: datetime, end: datetime) -> tuple[date, date]:
    """The UTC days [start, end) covers, first and last inclusive."""
    return start.date(), (end - timedelta(microseconds=1)).date()


class ReportCache:
    """Figures by key, each valid while the touches of its period are unchanged. Bounded (least
    recently used first out); shared by the threads of one process."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, tuple[tuple[int, int], object]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def figures(
        self,
        store: Datastore,
        key: Hashable,
        division_prefix: str,
        days: tuple[date, date],
        compute: Callable[[psycopg.Connection], T],
    ) -> T:
        with store.transaction() as conn:
            # One snapshot for the stamp and the figures: an event committed in between is in
            # neither, so the next view sees a new stamp and computes again.
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            row = conn.execute(
                _STAMP, {"first": days[0], "last": days[1], "prefix": division_prefix + "%"}
            ).fetchone()
            stamp = (int(row[0]), int(row[1])) if row else (0, 0)
            with self._lock:
                kept = self._entries.get(key)
                if kept is not None and kept[0] == stamp:
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return kept[1]  # type: ignore[return-value]
            value = compute(conn)
        with self._lock:
            self.misses += 1
            self._entries[key] = (stamp, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value
