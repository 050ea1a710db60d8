"""`./run demo` after the stack is up: a county's detectors for a minute or two, its incidents,
a township monitor at work, then a summary measured from what actually happened."""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import yaml
from kafka import KafkaConsumer, TopicPartition

from alerts.auth.tokens import Claims, issue
from alerts.notify.examples import wecom_example
from deploy.demo import accounts, publisher
from deploy.demo.feed import FeedListener
from deploy.demo.incidents import INCIDENTS
from deploy.demo.monitor import CONCLUDE, RESET, RESPOND, Monitor
from deploy.stack.config import StackConfig
from schemas.settings import Endpoints

REGISTRY = Path(__file__).with_name("county.yaml")
TOWNSHIPS = {"330106001": "北山街道", "330106002": "西溪街道"}


def token(cfg: StackConfig, role: str, scope: str, families: tuple[str, ...] = ()) -> str:
    claims = Claims(
        sub=f"demo-{role}-{scope or 'all'}",
        role=role,  # type: ignore[arg-type]
        scope=scope,
        families=families,  # type: ignore[arg-type]
        exp=int(time.time()) + 7 * 24 * 3600,
    )
    return issue(cfg.env()["HW_API_TOKEN_SECRET"], claims)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def _latency_line(name: str, values: list[float]) -> str:
    if not values:
        return f"  {name:<40} no samples"
    return (
        f"  {name:<40} p50 {1000 * statistics.median(values):7.0f} ms   "
        f"p99 {1000 * _quantile(values, 0.99):7.0f} ms   (n={len(values)})"
    )


def _detection_latencies(cfg: StackConfig, since: datetime) -> list[float]:
    """Kafka timestamp of each AlarmRaised (when the worker emitted it) minus the moment the
    gateway received the reading that caused it."""
    # The stack's address with the HW_KAFKA_* security of this environment, as the services
    # the demo started read it.
    kafka = Endpoints(kafka_bootstrap=cfg.kafka_bootstrap).kafka
    consumer = KafkaConsumer(**kafka.client_options(), enable_auto_commit=False)
    topic = "hw.alarm-events.v1"
    tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
    consumer.assign(tps)
    starts = consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in tps})
    ends = consumer.end_offsets(tps)
    values: list[float] = []
    for tp in tps:
        start = starts.get(tp)
        if start is None:
            continue
        consumer.seek(tp, start.offset)
        while consumer.position(tp) < ends[tp]:
            for record in consumer.poll(timeout_ms=1000).get(tp, []):
                event = json.loads(record.value)
                received = event.get("source_received_at")
                if event.get("type") == "AlarmRaised" and received:
                    got = datetime.fromisoformat(received.replace("Z", "+00:00"))
                    values.append(record.timestamp / 1000 - got.timestamp())
    consumer.close()
    return values


def run(cfg: StackConfig, seconds: int) -> None:
    from deploy.cli.commands import registry as registry_command

    api = cfg.env()["HW_API_URL"]
    print("\n== Registry: a small county (2 townships, 5 enterprises, 16 devices)")
    registry_command.import_file(REGISTRY)
    people = accounts.ensure(cfg)
    monitors = {code: token(cfg, "monitor", code) for code in TOWNSHIPS}
    regulator = token(cfg, "regulator", "330106", ("gas", "shutoff"))
    admin = token(cfg, "admin", "")
    _close_leftovers(Monitor(api, admin))
    feeds = {code: FeedListener(api, tok, code).start() for code, tok in monitors.items()}
    time.sleep(1.0)
    began = datetime.now(UTC)

    print(f"\n== Simulating for {seconds} s; scripted incidents:")
    for incident in sorted(INCIDENTS, key=lambda i: i.at_s):
        print(f"  t+{incident.at_s:>3.0f} s  {incident.device_id:<8} {incident.what}")
    stats: dict[str, Any] = {}
    worker = threading.Thread(
        target=lambda: stats.update(
            result=publisher.run(
                yaml.safe_load(REGISTRY.read_text()), "127.0.0.1", cfg.mqtt_port, seconds
            )
        )
    )
    worker.start()

    print("\n== Township monitor of 北山街道 (330106001) handles the tank-farm leak:")
    monitor = Monitor(api, monitors["330106001"])
    handled = _handle_leak(monitor, deadline=time.monotonic() + seconds)
    worker.join()
    time.sleep(3.0)  # the last events reach the feeds and the database
    for feed in feeds.values():
        feed.stop()
    _summary(cfg, api, began, stats.get("result"), feeds, admin, monitors, regulator, handled)
    _console(api, people)
    _notification_example(cfg, api)


def _close_leftovers(admin: Monitor) -> None:
    """Alarms an earlier demo run left open would absorb this run's incidents (one alarm per
    occurrence), so they are handled to closure first, as a test, on the record; offline alarms
    of devices still silent are left to clear when the devices report again."""
    leftovers = [
        a
        for a in admin.open_alarms()
        if a["division"].startswith("330106") and not _still_offline(a)
    ]
    order = ["open", "acknowledged", "dispatched", "resolved"]
    for alarm in leftovers:
        admin.handle(alarm["alarm_id"], RESET[order.index(alarm["state"]) :], log=lambda _l: None)
    if leftovers:
        print(f"  closed {len(leftovers)} alarm(s) an earlier demo run left open (cause: test)")


def _still_offline(alarm: dict[str, Any]) -> bool:
    """An offline alarm whose device has not come back stays open: its ConditionCleared, when
    the device reports again, is what marks the device online in the status projection."""
    return alarm["condition"] in ("offline", "site_offline") and not alarm["view"].get("cleared")


def _handle_leak(monitor: Monitor, deadline: float) -> list[str]:
    alarm = None
    while alarm is None and time.monotonic() < deadline:
        alarm = monitor.find("GD-0001", "gas_level")
        time.sleep(0.5)
    if alarm is None:
        print("    the leak alarm did not appear")
        return []
    print(
        f"    alarm {alarm['alarm_id'][:8]}… {alarm['severity']} raised "
        f"{alarm['raised_at'][11:19]} UTC"
    )
    done = monitor.handle(alarm["alarm_id"], RESPOND)
    if monitor.wait_cleared(alarm["alarm_id"], timeout=max(1.0, deadline - time.monotonic())):
        print("    concentration back to normal (ConditionCleared)")
        done += monitor.handle(alarm["alarm_id"], CONCLUDE)
    return done


def _summary(
    cfg: StackConfig,
    api: str,
    began: datetime,
    stats: Any,
    feeds: dict[str, FeedListener],
    admin: str,
    monitors: dict[str, str],
    regulator: str,
    handled: list[str],
) -> None:
    print("\n== Summary")
    with psycopg.connect(cfg.database_url) as conn:
        rows = conn.execute(
            "SELECT family, count(*) FROM readings WHERE received_at >= %s"
            " GROUP BY family ORDER BY family",
            (began,),
        ).fetchall()
    published = sum(stats.by_channel.values()) if stats else 0
    print(
        f"  readings published {published}, stored: "
        + ", ".join(f"{family} {n}" for family, n in rows)
    )
    client = httpx.Client(base_url=api, headers={"Authorization": f"Bearer {admin}"})
    alarms = client.get(
        "/api/v1/alarms", params={"state": "all", "since": began.isoformat(), "limit": 500}
    ).json()["items"]
    by = Counter((a["family"], a["severity"]) for a in alarms)
    print(
        "  alarms raised by family and severity: "
        + ", ".join(f"{f}/{s} {n}" for (f, s), n in sorted(by.items()))
    )
    for alarm in alarms:
        print(
            f"    {alarm['device_id']:<8} {alarm['condition']:<18} {alarm['severity']:<7}"
            f" {alarm['state']}"
        )
    print(f"  monitor handled the tank-farm leak: {' → '.join(handled) or 'not completed'}")
    for code, feed in feeds.items():
        raised = {r.event["device_id"] for r in feed.raised()}
        print(
            f"  live feed of {TOWNSHIPS[code]} ({code}) received {len(feed.events)} events;"
            f" alarms for {', '.join(sorted(raised)) or 'none'}"
        )
    delivery = [
        (r.at - datetime.fromisoformat(r.event["source_received_at"])).total_seconds()
        for feed in feeds.values()
        for r in feed.raised()
        if r.event.get("source_received_at")
    ]
    print(_latency_line("detection (gateway → alarm event)", _detection_latencies(cfg, began)))
    print(_latency_line("delivery (gateway → monitor's live feed)", delivery))
    weekly = httpx.get(
        f"{api}/api/v1/reports/weekly",
        params={"division": "330106"},
        headers={"Authorization": f"Bearer {admin}"},
    ).json()
    print("  weekly report of 西湖区 (330106), excerpt:")
    ack, close = weekly["time_to_acknowledge_s"]["median_s"], weekly["time_to_close_s"]["median_s"]
    print(
        f"    alarms {sum(r['alarms'] for r in weekly['alarms_by_family_severity'])}, "
        f"median time to acknowledge {_seconds(ack)}, to close {_seconds(close)}, "
        f"overdue {weekly['overdue']}, supervised {weekly['supervised']}"
    )
    _uptime()
    print("\n== Explore")
    print(f"  API docs      {api}/docs")
    print(
        f"  live feed     curl -N -H 'Authorization: Bearer {monitors['330106001']}' "
        f"{api}/api/v1/stream"
    )
    print(
        f"  alarms (CSV)  curl -H 'Authorization: Bearer {regulator}' "
        f"'{api}/api/v1/alarms?state=all&format=csv'"
    )
    print(
        f"  metrics       {api}/metrics  http://127.0.0.1:{cfg.ingest_port}/metrics  "
        f"http://127.0.0.1:{cfg.streams_port}/metrics  http://127.0.0.1:{cfg.sinks_port}/metrics"
    )
    print(f"  Prometheus    {cfg.env()['HW_PROMETHEUS_URL']}")
    print(f"  tokens        monitor 330106001: {monitors['330106001']}")
    print(f"                regulator 330106 gas+shutoff: {regulator}")
    print(f"                admin: {admin}")


def _console(api: str, people: list[tuple[accounts.DemoAccount, str]]) -> None:
    print(f"\n== Console  {api}/console/   (中文 by default, English one click away)")
    for account, password in people:
        families = f" {','.join(account.families)}" if account.families else ""
        print(
            f"  {account.username:<11} password {password:<34} {account.role:<10} "
            f"{account.scope}{families}  {account.name}"
        )
    print("  more accounts: ./run user add USERNAME --role ROLE --scope SCOPE")


def _notification_example(cfg: StackConfig, api: str) -> None:
    """What the township's WeCom group robot would get for the tank-farm leak (every alarm of
    the demo also goes to the alerts service's log channel: .stack/logs/alerts.log)."""
    with psycopg.connect(cfg.database_url) as conn:
        row = conn.execute(
            "SELECT ev.body, e.name, d.location FROM alarm_events ev"
            " JOIN devices d ON d.id = ev.device_id JOIN enterprises e ON e.id = d.enterprise_id"
            " WHERE ev.type = 'AlarmRaised' AND ev.device_id = 'GD-0001'"
            " AND ev.condition = 'gas_level'"
            " ORDER BY ev.occurred_at DESC LIMIT 1"
        ).fetchone()
    if row is None:
        return
    print("\n== Notification: the WeCom group robot of 北山街道 would get (markdown):")
    text = wecom_example(
        row[0], console_url=api, enterprise_name=row[1], device_location=row[2] or "",
        township=TOWNSHIPS["330106001"], as_json=False,
    )
    for line in text.splitlines():
        print(f"  {line}")
    print(f"  (every demo alarm also goes to the log channel: {cfg.log_file('alerts')})")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} s"


def _uptime() -> None:
    """Devices online per township, from the sinks process's uptime gauges."""
    try:
        text = httpx.get("http://127.0.0.1:18301/metrics", timeout=5).text
    except httpx.HTTPError:
        return
    online: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for line in text.splitlines():
        for name, counter in (
            ("hazardwatch_devices_online{", online),
            ("hazardwatch_devices_total{", total),
        ):
            if line.startswith(name):
                labels, value = line[len(name) :].rsplit("} ", 1)
                township = labels.split('township="', 1)[1].split('"', 1)[0]
                counter[township] += int(float(value))
    for code, name in TOWNSHIPS.items():
        if total[code]:
            print(f"  uptime {name} ({code}): {online[code]:.0f}/{total[code]:.0f} devices online")
