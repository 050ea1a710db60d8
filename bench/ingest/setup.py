"""An isolated pipeline for one benchmark case: own topics, database, registry and gateways."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import psycopg
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from ingest.simulator.fleet import Fleet
from schemas.families import Industry
from schemas.registry import DeviceRecord, EnterpriseRecord, Registry
from schemas.topics import TopicNames
from storage.datastore import Datastore
from storage.migrations import migrate
from storage.registry import RegistryRepository
from tests.support.processes import free_port

TYPES = {"gas": "combustible", "shutoff": "valve", "elevator": "car", "fire": "electrical"}


def registry_of(fleet: Fleet) -> Registry:
    enterprises = sorted({d.enterprise_id for d in fleet.devices})
    return Registry(
        enterprises=tuple(
            EnterpriseRecord(id=e, name=e, division="330106001001", industry=Industry.OTHER)
            for e in enterprises
        ),
        devices=tuple(
            DeviceRecord(
                id=d.id,
                enterprise=d.enterprise_id,
                family=d.family,
                type=TYPES[d.family.value],
                gateway=d.gateway,
            )
            for d in fleet.devices
        ),
    )


@contextlib.contextmanager
def database(env: Mapping[str, str], registry: Registry) -> Iterator[str]:
    base = env["HW_DATABASE_URL"].rsplit("/", 1)[0]
    name = f"hw_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        store = Datastore(f"{base}/{name}")
        try:
            migrate(store)
            RegistryRepository(store).replace_all(registry, {})
        finally:
            store.close()
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def topics(bootstrap: str) -> Iterator[TopicNames]:
    names = TopicNames(f"bench{uuid.uuid4().hex[:6]}.")
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(t, 12, 1) for t in (names.readings, names.rejected)])
    try:
        yield names
    finally:
        with contextlib.suppress(Exception):
            admin.delete_topics([names.readings, names.rejected])
        admin.close()


@contextlib.contextmanager
def gateways(env: Mapping[str, str], count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`count` gateway processes on one fresh shared-subscription group, once all are ready."""
    group = f"bench{uuid.uuid4().hex[:6]}"
    log = Path(tempfile.gettempdir()) / f"bench-ingest-{group}.log"
    procs: list[subprocess.Popen[bytes]] = []
    ports: list[int] = []
    try:
        for instance in range(1, count + 1):
            ports.append(free_port())
            child = {
                **os.environ,
                **env,
                "HW_INGEST_SHARED_GROUP": group,
                "HW_INGEST_HTTP_PORT": str(ports[-1]),
                # Throughput, not the per-device limit, is measured here.
                "HW_INGEST_RATE_PER_DEVICE": "1000000",
                "HW_INGEST_BURST_PER_DEVICE": "1000000",
                # A bench group is never used again: a week-long session would make the broker
                # queue (and autosave) every later message of hw/v1/# for nobody.
                "HW_INGEST_SESSION_EXPIRY_S": "30",
            }
            with log.open("ab") as out:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "ingest", "--instance", str(90 + instance)],
                        env=child,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        deadline = time.monotonic() + 60
        while not all(_ready(p) for p in ports):
            if time.monotonic() > deadline:
                raise TimeoutError(f"gateways not ready; see {log}")
            time.sleep(0.2)
        yield procs
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=20)


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of processes so far (from /proc; Linux only)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")
