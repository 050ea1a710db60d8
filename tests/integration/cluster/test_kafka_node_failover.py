"""A Kafka node killed under load (issue 17): gateway -> three-node cluster -> stream worker ->
sinks, with gas detectors publishing over MQTT the whole time. The node that leads the most
partitions of hw.readings.v1 gets kill -9 and is started again 10 s later, once in steady
state and once while a second worker joins and the first gives up its partitions; no
hazardwatch process is touched. Afterwards every published reading is stored exactly once,
every leak raised exactly one alarm, the alerts API's live feed delivered each stored event
exactly once, the node is back in sync, and the longest stretch
without a new stored reading (the stall) is printed (`pytest -s`); timings are not asserted."""

from __future__ import annotations

import collections
import itertools
import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from alerts.auth.tokens import Claims, issue
from deploy.stack import kafka_cluster
from deploy.stack.config import StackConfig
from deploy.stack.process import wait_until
from schemas.families import Family, Industry
from schemas.registry import DeviceRecord, EnterpriseRecord, Registry
from schemas.settings import Endpoints
from storage.datastore import Datastore
from storage.registry import RegistryRepository
from tests.conftest import endpoints_env
from tests.integration.alerts.sse import FeedReader
from tests.support.processes import ServiceProcess, free_port

DEVICES = 8
RATE_HZ = 8  # readings per device and second: 64 a second in all
BEFORE_KILL_S, DOWN_S, AFTER_RESTART_S = 6.0, 10.0, 6.0
LEAK_STEP_S = 2.5
# What the first worker logs (aiokafka) when a rebalance takes its partitions away.
_REVOKED = "Revoking previously assigned partitions"
LEAK_LEVEL, CALM_LEVEL = 30.0, 3.0  # %LEL: level 1 (an alarm at once), and nothing


def _fleet(database_url: str, enterprise: str) -> list[str]:
    ids = [f"GD-{uuid.uuid4().hex[:6]}-{i}" for i in range(DEVICES)]
    registry = Registry(
        enterprises=(
            EnterpriseRecord(
                id=enterprise, name="集群测试", division="330106001001",
                industry=Industry.CHEMICAL,
            ),
        ),
        devices=tuple(
            DeviceRecord(id=d, enterprise=enterprise, family=Family.GAS, type="combustible",
                         report_interval_s=10)
            for d in ids
        ),
    )
    with Datastore(database_url) as store:
        RegistryRepository(store).replace_all(registry, {})
    return ids


class StoredCount:
    """Polls the readings table: the longest time without a new row while load runs."""

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with psycopg.connect(self._url, autocommit=True) as conn:
            while not self._stop.is_set():
                row = conn.execute("SELECT count(*) FROM readings").fetchone()
                self.samples.append((time.monotonic(), int(row[0]) if row else 0))
                self._stop.wait(0.2)

    def stall_s(self, start: float, end: float) -> float:
        """Longest interval in [start, end] over which the stored count did not grow."""
        changes = [start]
        previous = None
        for at, count in self.samples:
            if previous is not None and count > previous and start <= at <= end:
                changes.append(at)
            previous = count
        changes.append(end)
        return max(b - a for a, b in itertools.pairwise(changes))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _missing(database_url: str, seqs: dict[str, int]) -> dict[str, list[int]]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT device_id, seq FROM readings").fetchall()
    stored = {(d, int(q)) for d, q in rows}
    return {
        d: [q for q in range(1, last + 1) if (d, q) not in stored][:10]
        for d, last in seqs.items()
    }


def test_a_cluster_names_every_node_and_one_node_stays_as_it_was(tmp_path: Path) -> None:
    root = str(tmp_path)  # env() keeps its generated secrets there
    one = StackConfig.from_env({"HW_STACK_DIR": root})
    assert (one.kafka_nodes, one.kafka_bootstrap, one.kafka_replication) == (
        1, "127.0.0.1:19092", 1
    )
    three = StackConfig.from_env({"HW_STACK_DIR": root, "HW_KAFKA_NODES": "3"})
    assert three.kafka_bootstrap == "127.0.0.1:19092,127.0.0.1:19102,127.0.0.1:19112"
    assert three.env()["HW_KAFKA_REPLICATION"] == "3"
    # A shell that evaluated `./run stack env` of the cluster sees the cluster again.
    again = StackConfig.from_env({"HW_STACK_DIR": root,
                                  "HW_KAFKA_BOOTSTRAP": three.kafka_bootstrap})
    assert again.kafka_node_ports() == three.kafka_node_ports()


def _start(service_process: Callable[..., ServiceProcess], argv: list[str],
           env: dict[str, str], port_var: str) -> ServiceProcess:
    port = free_port()
    proc: ServiceProcess = service_process(argv, {**env, port_var: str(port)}, port)
    return proc


@dataclass
class Pipeline:
    """gateway -> cluster -> stream worker -> sinks, for one test's fleet."""

    cluster: StackConfig
    endpoints: Endpoints
    database_url: str
    enterprise: str
    password: str
    devices: list[str]
    worker_env: dict[str, str]
    processes: list[ServiceProcess]
    feed: FeedReader  # the alerts API's live feed, followed from before the load starts


@pytest.fixture
def pipeline(
    cluster: StackConfig,
    endpoints: Endpoints,
    enterprise: tuple[str, str],
    database_url: str,
    service_process: Callable[..., ServiceProcess],
) -> Pipeline:
    enterprise_id, password = enterprise
    devices = _fleet(database_url, enterprise_id)
    env = {
        **endpoints_env(endpoints),
        "HW_DATABASE_URL": database_url,
        "HW_KAFKA_REPLICATION": str(cluster.kafka_replication),
    }
    worker_env = {**env, "HW_STREAMS_REGISTRY": "database",
                  "HW_STREAMS_APP_ID": f"cl-{uuid.uuid4().hex[:6]}"}
    gateway_env = {**env, "HW_INGEST_SHARED_GROUP": f"t{uuid.uuid4().hex[:8]}",
                   "HW_INGEST_REGISTRY_REFRESH_S": "0.5", "HW_INGEST_SESSION_EXPIRY_S": "120"}
    # Started side by side (their imports overlap), then waited for.
    worker = _start(service_process, ["streams", "worker"], worker_env, "HW_STREAMS_HTTP_PORT")
    sinks = _start(service_process, ["streams.sinks"], env, "HW_SINK_HTTP_PORT")
    gateway = _start(service_process, ["ingest", "--instance", "1"], gateway_env,
                     "HW_INGEST_HTTP_PORT")
    api_port, secret = free_port(), uuid.uuid4().hex
    api_url = f"http://127.0.0.1:{api_port}"
    alerts = service_process(["alerts"], {**env, "HW_API_URL": api_url, "HW_SSE_HEARTBEAT_S": "0.5",
                                          "HW_API_TOKEN_SECRET": secret}, api_port)
    for proc in (worker, sinks, gateway, alerts):
        proc.wait_ready(timeout=120)
    county = Claims.model_validate({"sub": "cluster-test", "role": "regulator", "scope": "330106",
                                    "families": (), "exp": int(time.time()) + 3600})
    feed = FeedReader(f"{api_url}/api/v1/stream", issue(secret, county)).start()
    return Pipeline(cluster, endpoints, database_url, enterprise_id, password, devices,
                    worker_env, [gateway, worker, sinks, alerts], feed)


def _drive(pipe: Pipeline, kill_now: Callable[[float], bool]) -> tuple[
    kafka_cluster.Node, dict[str, int], float
]:
    """Publishes until DOWN_S + AFTER_RESTART_S after the kill that `kill_now(elapsed)` asks
    for; waits until every reading is stored. Returns the node, each device's last seq and the
    stall."""
    cluster, devices = pipe.cluster, pipe.devices
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5,
                         client_id=f"fleet-{uuid.uuid4().hex[:8]}")
    client.username_pw_set(pipe.enterprise, pipe.password)
    client.max_inflight_messages_set(1000)
    client.connect(pipe.endpoints.mqtt_host, pipe.endpoints.mqtt_port)
    client.loop_start()
    # Device i starts leaking at LEAK_STEP_S * i and stays at level 1: one alarm each, some
    # raised before the kill, some while the node is down, some after its restart.
    leak_at = {d: LEAK_STEP_S * i for i, d in enumerate(devices)}
    published: list[mqtt.MQTTMessageInfo] = []
    seqs = dict.fromkeys(devices, 0)
    counter = StoredCount(pipe.database_url)
    killed: kafka_cluster.Node | None = None
    killed_at = restarted_at = 0.0
    try:
        start = time.monotonic()
        next_tick = start
        while True:
            elapsed = time.monotonic() - start
            if killed is None and kill_now(elapsed):
                leaders = kafka_cluster.partition_leaders(
                    cluster.kafka_bootstrap, pipe.endpoints.topics.readings
                )
                busiest = collections.Counter(leaders.values()).most_common(1)[0][0]
                killed = next(n for n in kafka_cluster.nodes(cluster) if n.id == busiest)
                pid = kafka_cluster.pid(cluster, killed)
                assert pid is not None
                os.kill(pid, signal.SIGKILL)
                killed_at = elapsed
            assert killed is not None or elapsed < 90, "the moment to kill never came"
            if killed is not None and not restarted_at and elapsed >= killed_at + DOWN_S:
                kafka_cluster.start_node(cluster, killed)
                restarted_at = elapsed
            if restarted_at and elapsed >= restarted_at + AFTER_RESTART_S and all(
                elapsed > at for at in leak_at.values()
            ):
                break
            for device in devices:
                seqs[device] += 1
                level = LEAK_LEVEL if elapsed >= leak_at[device] else CALM_LEVEL
                body = {"ts": int(time.time() * 1000), "seq": seqs[device],
                        "concentration": level, "unit": "%LEL"}
                published.append(client.publish(
                    f"hw/v1/{pipe.enterprise}/{device}/telemetry", json.dumps(body), qos=1))
            next_tick += 1 / RATE_HZ
            time.sleep(max(0.0, next_tick - time.monotonic()))
        load_end = time.monotonic()
        for info in published:
            info.wait_for_publish(60)
        total = sum(seqs.values())
        assert wait_until(lambda: counter.samples[-1][1] >= total, 90.0), (
            f"{counter.samples[-1][1]} of {total} readings stored; missing (device, first"
            f" seqs): {_missing(pipe.database_url, seqs)}"
        )
        stall = counter.stall_s(start, load_end)
    finally:
        client.loop_stop()
        counter.close()
    assert killed is not None
    print(f"\nkilled kafka-{killed.id} at {killed_at:.1f} s; {total} readings at "
          f"{DEVICES * RATE_HZ}/s; stall {stall:.1f} s (longest time without a new stored reading)")
    return killed, seqs, stall


def _assert_exactly_once(pipe: Pipeline, killed: kafka_cluster.Node, seqs: dict[str, int]) -> None:
    devices = pipe.devices
    with psycopg.connect(pipe.database_url) as conn:
        stored = conn.execute(
            "SELECT device_id, seq, count(*) FROM readings GROUP BY device_id, seq"
        ).fetchall()
        assert {(d, s) for d, s, _n in stored} == {
            (d, s) for d in devices for s in range(1, seqs[d] + 1)
        }
        assert all(n == 1 for _d, _s, n in stored)

        def alarms() -> dict[str, int]:
            rows = conn.execute(
                "SELECT device_id, count(DISTINCT alarm_id) FROM alarm_events"
                " WHERE type = 'AlarmRaised' GROUP BY device_id"
            ).fetchall()
            return {d: int(n) for d, n in rows}

        assert wait_until(lambda: set(alarms()) == set(devices), 30.0), alarms()
        assert alarms() == dict.fromkeys(devices, 1)
        events = {str(r[0]) for r in conn.execute("SELECT event_id FROM alarm_events")}
    # The live feed followed the cluster through the kill: every event once, none twice.
    pipe.feed.wait_for(events, deadline_s=30)
    delivered = pipe.feed.event_ids()
    pipe.feed.stop()
    assert len(delivered) == len(set(delivered)) and set(delivered) == events
    # Nobody restarted anything but the Kafka node; it is back with every replica in sync.
    assert all(p.proc is not None and p.proc.poll() is None for p in pipe.processes)
    cluster = pipe.cluster
    assert wait_until(lambda: kafka_cluster.node_healthy(cluster, killed), 60.0)
    assert wait_until(lambda: kafka_cluster.under_replicated(cluster.kafka_bootstrap) == 0, 60.0)


def test_a_killed_kafka_node_under_load_loses_and_duplicates_nothing(pipeline: Pipeline) -> None:
    killed, seqs, _stall = _drive(pipeline, lambda elapsed: elapsed >= BEFORE_KILL_S)
    _assert_exactly_once(pipeline, killed, seqs)


def test_a_node_killed_while_a_worker_joins_loses_and_duplicates_nothing(
    pipeline: Pipeline, service_process: Callable[..., ServiceProcess]
) -> None:
    """A second worker of the same app joins under load; the node dies as the first worker
    gives up its partitions for the new assignment."""
    first = pipeline.processes[1]
    revoked = first.log.read_text(errors="replace").count(_REVOKED)
    second: list[ServiceProcess] = []

    def rebalancing(elapsed: float) -> bool:
        if not second and elapsed >= 1.0:
            second.append(_start(service_process, ["streams", "worker", "--instance", "2"],
                                 pipeline.worker_env, "HW_STREAMS_HTTP_PORT"))
            pipeline.processes.append(second[0])
        return first.log.read_text(errors="replace").count(_REVOKED) > revoked

    killed, seqs, _stall = _drive(pipeline, rebalancing)
    _assert_exactly_once(pipeline, killed, seqs)
