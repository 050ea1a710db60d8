"""A Kafka node that takes SASL_SSL only: SCRAM-SHA-512, TLS with the stack's server certificate,
the way docs/security.md tells a deployment to run its brokers.

The stack's own single node (deploy/stack/kafka.py) with its jars, its server.properties and
its java command line; what differs is appended to the properties, where a later key wins (a
Java properties file), so the node is the stack's in every other respect. Its SCRAM user is
made when its storage is formatted (`StorageTool format --add-scram`): it exists before the
broker first starts, which its own inter-broker listener needs. The controller stays on plain
loopback. Folder under .stack/test-stacks, free ports; `stop` kills it and removes the folder.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

from pydantic import SecretStr

from deploy.stack import kafka, process
from deploy.stack.certs import Authority
from deploy.stack.config import REPO_ROOT, StackConfig
from schemas.kafka_access import KafkaAccess
from schemas.topics import DEFAULT_PARTITIONS, TopicNames

MECHANISM = "SCRAM-SHA-512"


def _free_pair() -> tuple[int, int]:
    """A broker and a controller port side by side, below the ephemeral range (no client
    connection takes one between the check and the start)."""
    rng = uuid.uuid4().int
    for attempt in range(200):
        port = 23000 + ((rng + attempt * 7919) % 1500) * 2
        if process.port_bindable(port) and process.port_bindable(port + 1):
            return port, port + 1
    raise RuntimeError("no free ports for a Kafka node")


@dataclass
class SecureKafka:
    """One SASL_SSL node. `access()` is what a correctly configured client is given."""

    authority: Authority  # the stack's CA: its server certificate is the broker's
    jars: Path
    username: str = field(default_factory=lambda: f"hw-{uuid.uuid4().hex[:6]}")
    password: str = field(default_factory=lambda: uuid.uuid4().hex)
    cfg: StackConfig = field(init=False)
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        port, controller = _free_pair()
        root = REPO_ROOT / ".stack" / "test-stacks" / f"kafka-sasl-{uuid.uuid4().hex[:8]}"
        self.cfg = StackConfig(root=root, kafka_port=port, kafka_controller_port=controller)

    @property
    def bootstrap(self) -> str:
        return self.cfg.kafka_bootstrap

    @property
    def log(self) -> Path:
        return self.cfg.log_file("kafka")

    def access(self, **changes: object) -> KafkaAccess:
        right = KafkaAccess(
            bootstrap=self.bootstrap,
            security_protocol="SASL_SSL",
            sasl_mechanism=MECHANISM,
            sasl_username=self.username,
            sasl_password=SecretStr(self.password),
            ca_file=str(self.authority.ca_cert),
        )
        return replace(right, **changes)  # type: ignore[arg-type]

    def env(self) -> dict[str, str]:
        """The HW_* variables that point a hazardwatch process at this node."""
        return {
            "HW_KAFKA_BOOTSTRAP": self.bootstrap,
            "HW_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "HW_KAFKA_SASL_MECHANISM": MECHANISM,
            "HW_KAFKA_SASL_USERNAME": self.username,
            "HW_KAFKA_SASL_PASSWORD": self.password,
            "HW_KAFKA_CA_FILE": str(self.authority.ca_cert),
        }

    def create_topics(self, names: TopicNames) -> None:
        """The public topics of `names`, as `./run stack up` makes them (over SASL_SSL)."""
        from kafka import KafkaAdminClient
        from kafka.admin import NewTopic

        admin = KafkaAdminClient(**self.access().client_options(), client_id="hw-tests")
        try:
            admin.create_topics([
                NewTopic(name, DEFAULT_PARTITIONS, 1, topic_configs={"retention.ms": str(ms)})
                for name, ms in names.all().items()
            ])
        finally:
            admin.close()

    def start(self, timeout: float = 90.0) -> SecureKafka:
        base = self.cfg.service_dir("kafka")
        (base / "data").mkdir(parents=True)
        (base / "libs").symlink_to(self.jars)
        (base / "log4j.properties").write_text(kafka._LOG4J)
        keystore = base / "keystore.pem"  # Kafka's PEM keystore: the key, then the chain
        keystore.write_bytes(
            self.authority.server_key.read_bytes() + self.authority.server_cert.read_bytes()
        )
        keystore.chmod(0o600)
        properties = base / "server.properties"
        properties.write_text(kafka._server_properties(self.cfg) + self._secure(keystore))
        self._format(properties)
        self.proc = process.spawn(
            kafka._java(self.cfg, "kafka.Kafka", str(properties), heap_mb=256),
            pid_file=self.cfg.pid_file("kafka"),
            log_file=self.log,
        )
        self._wait_healthy(timeout)
        return self

    def stop(self) -> None:
        """Thrown away with its folder: kill -9 spares a controlled shutdown."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        shutil.rmtree(self.cfg.root, ignore_errors=True)

    def _secure(self, keystore: Path) -> str:
        port, controller = self.cfg.kafka_port, self.cfg.kafka_controller_port
        return f"""
# SASL_SSL only (tests/support/kafka_sasl.py): these override the keys above.
listeners=SASL_SSL://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=SASL_SSL://127.0.0.1:{port}
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
inter.broker.listener.name=SASL_SSL
sasl.enabled.mechanisms={MECHANISM}
sasl.mechanism.inter.broker.protocol={MECHANISM}
listener.name.sasl_ssl.{MECHANISM.lower()}.sasl.jaas.config=\
org.apache.kafka.common.security.scram.ScramLoginModule required \
username="{self.username}" password="{self.password}";
ssl.keystore.type=PEM
ssl.keystore.location={keystore}
ssl.truststore.type=PEM
ssl.truststore.location={self.authority.ca_cert}
ssl.enabled.protocols=TLSv1.2,TLSv1.3
ssl.client.auth=none
"""

    def _format(self, properties: Path) -> None:
        # Kafka's Uuid text form, never starting with "-" (see deploy/stack/kafka.py).
        cluster_id = "-"
        while cluster_id.startswith("-"):
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        scram = f"{MECHANISM}=[name={self.username},password={self.password}]"
        result = subprocess.run(
            kafka._java(self.cfg, "kafka.tools.StorageTool", "format", "-t", cluster_id,
                        "-c", str(properties), "--add-scram", scram, heap_mb=128),
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"kafka storage format failed:\n{result.stdout}{result.stderr}")

    def _wait_healthy(self, timeout: float) -> None:
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaError

        deadline = time.monotonic() + timeout
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"kafka exited {self.proc.returncode}:\n{self._tail()}")
            try:
                admin = KafkaAdminClient(**self.access().client_options(),
                                         request_timeout_ms=3000, client_id="hw-tests")
                try:
                    if admin.describe_cluster().get("controller_id", -1) >= 0:
                        return
                finally:
                    admin.close()
            except KafkaError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"kafka not healthy after {timeout:.0f} s:\n{self._tail()}")
            time.sleep(0.5)

    def _tail(self) -> str:
        return process.log_tail(self.log, 30)
