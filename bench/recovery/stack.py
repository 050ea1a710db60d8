"""A second stack for the benchmark, as in tests/integration/recovery: its own folder, ports
and Mosquitto, the main stack's Kafka (behind a topic prefix) and PostgreSQL (a fresh
database), and `./run up`'s supervised processes. Nothing of the main stack is touched."""

from __future__ import annotations

import contextlib
import random
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import psycopg

from deploy import services
from deploy.stack import stack as launcher
from deploy.stack.config import REPO_ROOT, StackConfig
from deploy.stack.kafka import create_topics
from deploy.stack.process import port_bindable
from schemas.topics import TopicNames
from storage.datastore import Datastore
from storage.migrations import migrate

_SPAN = 4  # ports from each base: the gateways and the workers listen on base + index


def _port() -> int:
    """A base port with the next few free too, below Linux's ephemeral range (32768-60999): a
    port the kernel hands out for outgoing connections was taken under a worker, which then
    failed to bind and crash-looped."""
    while True:
        base = random.randrange(20000, 32000, _SPAN)
        if all(port_bindable(base + n) for n in range(_SPAN)):
            return base


@dataclass(frozen=True)
class BenchStack:
    cfg: StackConfig
    overrides: dict[str, str]
    topics: TopicNames

    @property
    def env(self) -> dict[str, str]:
        return services.environment(self.cfg, self.overrides)

    def run(self, *argv: str, stdin: str | None = None) -> str:
        return subprocess.run([str(REPO_ROOT / "run"), *argv], env=self.env, input=stdin,
                              capture_output=True, text=True, check=True).stdout


@contextlib.contextmanager
def second_stack(
    env: Mapping[str, str], workers: int, extra: Mapping[str, str] | None = None
) -> Iterator[BenchStack]:
    main = StackConfig.from_env(env)
    root = REPO_ROOT / ".stack" / "bench-stacks" / uuid.uuid4().hex[:8]
    cfg = StackConfig(
        root=root, mqtt_port=_port(), kafka_port=main.kafka_port,
        postgres_port=main.postgres_port, prometheus_port=_port(), api_port=_port(),
        ingest_port=_port(), streams_port=_port(), sinks_port=_port(), supervisor_port=_port(),
        streams_workers=workers,
    )
    topics = TopicNames(prefix=f"bench{uuid.uuid4().hex[:6]}.")
    create_topics(main.kafka_bootstrap, topics)
    database = f"hw_bench_{uuid.uuid4().hex[:8]}"
    admin = main.admin_database_url()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    url = main.admin_database_url(database)
    store = Datastore(url)
    try:
        migrate(store)
    finally:
        store.close()
    overrides = {
        "HW_TOPIC_PREFIX": topics.prefix,
        "HW_DATABASE_URL": url,
        # Each kill is a crash of its own (they are more than 5 s apart): restarted at once, not
        # after the backoff a crash loop would earn.
        "HW_SUPERVISOR_WINDOW_S": "5",
        **(extra or {}),
    }
    launcher.up(cfg, ["mosquitto"], echo=lambda _l: None)
    try:
        yield BenchStack(cfg, overrides, topics)
    finally:
        services.down(cfg, echo=lambda _l: None)
        launcher.down(cfg, ["mosquitto"], echo=lambda _l: None)
        _drop_topics(main.kafka_bootstrap, topics.prefix)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        # The processes' logs outlive the stack: a kill that was not recovered from is
        # explained only by them (the worker case at load 18-23, issue 21).
        kept = REPO_ROOT / ".stack" / "bench-logs" / f"recovery-{root.name}"
        if cfg.logs.is_dir():
            shutil.copytree(cfg.logs, kept, dirs_exist_ok=True)
        shutil.rmtree(root, ignore_errors=True)


def _drop_topics(bootstrap: str, prefix: str) -> None:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="hw-bench-recovery")
    try:
        mine = [t for t in admin.list_topics() if t.startswith(prefix)]
        with contextlib.suppress(Exception):
            admin.delete_topics(mine)
    finally:
        admin.close()

