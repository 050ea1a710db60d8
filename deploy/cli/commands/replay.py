"""`./run replay [--check]`: rebuild the alarm and device-status projections from the log."""

from __future__ import annotations

import argparse

from deploy.cli.errors import CliError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "replay",
        help="rebuild every projection from hw.alarm-events.v1 (or --check them)",
        description="Reads hw.alarm-events.v1 from the beginning, folds it with the stream "
        "worker's projection functions, compares the result with the persisted projections, "
        "prints every difference, then rebuilds them (unless --check: exit 1 on a mismatch).",
    )
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on mismatch")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to read the log")
    parser.set_defaults(handler=_replay)


def _replay(args: argparse.Namespace) -> int:
    from schemas.settings import Endpoints
    from streams.replay import Projections, as_json, compare, read_log, summary

    endpoints = Endpoints()
    try:
        events = read_log(endpoints.kafka, endpoints.topics.alarm_events, args.timeout)
    except Exception as exc:
        raise CliError(f"cannot read {endpoints.topics.alarm_events}: {exc}") from exc
    replayed = Projections.fold(events)
    print(f"events: {len(events)}")
    for line in summary(replayed):
        print(line)
    store = _store(endpoints.database_url.get_secret_value())
    mismatches = compare(replayed, store)
    for line in mismatches:
        print(line)
    print(f"differences: {len(mismatches)}")
    if args.check:
        return 1 if mismatches else 0
    store.rebuild(
        as_json(replayed.alarms), as_json(replayed.devices), as_json(replayed.intervals)
    )
    print("projections rebuilt")
    return 0


def _store(database_url: str):  # type: ignore[no-untyped-def]
    try:
        from storage.datastore import Datastore
        from storage.projections import ProjectionStore  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        raise CliError(f"persisted projections are not available: {exc}") from exc
    return ProjectionStore(Datastore(database_url))
