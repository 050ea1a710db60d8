"""Where the local stack lives and which ports it uses.

Ports are fixed, non-standard defaults so the stack never collides with services already on the
machine's standard ports; each is overridable through the HW_* environment.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[2]
# Offsets from the API port of `./run up`'s processes (the first instance of each).
_PROCESS_PORT_OFFSETS = {"ingest": 101, "streams": 201, "sinks": 301, "supervisor": 401}
# Offsets from the plain MQTT port of the broker's TLS listeners (issue 22): 18883 takes
# passwords over TLS, 18884 client certificates only; a second stack that moves its MQTT port
# moves them too.
_MQTT_TLS_OFFSET, _MQTT_CERT_OFFSET = 53, 54
MQTT_PLAIN_MODES = ("loopback", "off", "on")


@dataclass(frozen=True)
class StackConfig:
    root: Path
    mqtt_port: int = 18830
    kafka_port: int = 19092
    kafka_controller_port: int = 19093
    postgres_port: int = 15433
    prometheus_port: int = 19090
    api_port: int = 18000
    # Ports of `./run up`'s own processes (docs/internals.md "Ports"): each defaults to the API
    # port plus a fixed offset (18101, 18201, 18301, 18401 beside the default API port 18000), so
    # a second stack that moves its API moves its processes too; HW_INGEST_PORT,
    # HW_STREAMS_PORT, HW_SINKS_PORT and HW_SUPERVISOR_PORT set one explicitly. Worker N of
    # HW_STREAMS_WORKERS listens on streams_port + N - 1.
    ingest_port: int = 0
    streams_port: int = 0
    sinks_port: int = 0
    supervisor_port: int = 0
    streams_workers: int = 1
    kafka_heap_mb: int = 512
    # HW_KAFKA_NODES=3: a KRaft cluster of combined broker+controller nodes
    # (deploy/stack/kafka_cluster.py). Node N listens on kafka_port + 10 (N - 1) and its
    # controller on kafka_controller_port + 10 (N - 1); node 1 keeps the single node's ports.
    kafka_nodes: int = 1
    kafka_cluster_heap_mb: int = 320
    # Transport security (docs/security.md). HW_MQTT_TLS_PORT / HW_MQTT_CERT_PORT (0: the MQTT
    # port + 53 / + 54); HW_MQTT_PLAIN: the plain listener on 127.0.0.1 only (loopback), on
    # every address (on) or not at all (off); HW_MQTT_TLS_BIND: where the TLS listeners listen
    # (the local stack stays on loopback, DESIGN section 9; 0.0.0.0 to take devices from the
    # network); HW_TLS_DIR: the CA folder (an operator's own CA goes there); HW_TLS_HOSTNAMES:
    # comma-separated names and addresses the server certificate is for, beside loopback.
    mqtt_tls_port: int = 0
    mqtt_cert_port: int = 0
    mqtt_plain: str = "loopback"
    mqtt_tls_bind: str = "127.0.0.1"
    tls_dir: Path | None = None
    tls_hostnames: tuple[str, ...] = ()
    # Another PostgreSQL 15 installation (e.g. one with TimescaleDB built in) via HW_PG_BIN.
    pg_bin: Path = Path("/usr/lib/postgresql/15/bin")

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, root: Path | None = None
    ) -> StackConfig:
        env = os.environ if env is None else env
        base = Path(env.get("HW_STACK_DIR", root or REPO_ROOT / ".stack"))
        kafka = env.get("HW_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
        db = urlsplit(env.get("HW_DATABASE_URL", "postgresql://x@127.0.0.1:15433/x"))
        prom = urlsplit(env.get("HW_PROMETHEUS_URL", "http://127.0.0.1:19090"))
        api = urlsplit(env.get("HW_API_URL", "http://127.0.0.1:18000"))
        # HW_KAFKA_BOOTSTRAP may be a comma list (a cluster): the first node names the ports.
        kafka_port = int(kafka.split(",")[0].rsplit(":", 1)[1])
        return cls(
            root=base.resolve(),
            mqtt_port=int(env.get("HW_MQTT_PORT", "18830")),
            kafka_port=kafka_port,
            kafka_controller_port=int(env.get("HW_KAFKA_CONTROLLER_PORT", str(kafka_port + 1))),
            postgres_port=db.port or 15433,
            prometheus_port=prom.port or 19090,
            api_port=api.port or 18000,
            pg_bin=Path(env.get("HW_PG_BIN", "/usr/lib/postgresql/15/bin")),
            **{
                f"{name}_port": int(env[f"HW_{name.upper()}_PORT"])
                for name in _PROCESS_PORT_OFFSETS
                if env.get(f"HW_{name.upper()}_PORT")
            },
            streams_workers=int(env.get("HW_STREAMS_WORKERS", "1")),
            kafka_nodes=int(env.get("HW_KAFKA_NODES") or len(kafka.split(","))),
            mqtt_tls_port=int(env.get("HW_MQTT_TLS_PORT") or 0),
            mqtt_cert_port=int(env.get("HW_MQTT_CERT_PORT") or 0),
            mqtt_plain=env.get("HW_MQTT_PLAIN") or "loopback",
            mqtt_tls_bind=env.get("HW_MQTT_TLS_BIND") or "127.0.0.1",
            tls_dir=Path(env["HW_TLS_DIR"]).resolve() if env.get("HW_TLS_DIR") else None,
            tls_hostnames=tuple(
                h.strip() for h in env.get("HW_TLS_HOSTNAMES", "").split(",") if h.strip()
            ),
        )

    def __post_init__(self) -> None:
        for name, offset in _PROCESS_PORT_OFFSETS.items():
            if not getattr(self, f"{name}_port"):
                object.__setattr__(self, f"{name}_port", self.api_port + offset)
        if not self.mqtt_tls_port:
            object.__setattr__(self, "mqtt_tls_port", self.mqtt_port + _MQTT_TLS_OFFSET)
        if not self.mqtt_cert_port:
            object.__setattr__(self, "mqtt_cert_port", self.mqtt_port + _MQTT_CERT_OFFSET)
        if self.tls_dir is None:
            object.__setattr__(self, "tls_dir", self.root / "secrets" / "tls")
        if self.mqtt_plain not in MQTT_PLAIN_MODES:
            raise ValueError(f"HW_MQTT_PLAIN={self.mqtt_plain!r}: one of {MQTT_PLAIN_MODES}")

    # Layout of .stack/: one folder per service, shared logs/run/cache/secrets.
    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def secrets_dir(self) -> Path:
        return self.root / "secrets"

    def service_dir(self, name: str) -> Path:
        return self.root / name

    def pid_file(self, name: str) -> Path:
        return self.run / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def secret(self, name: str) -> str:
        """A random secret generated once and kept under .stack/secrets (never committed)."""
        path = self.secrets_dir / name
        if not path.exists():
            self.secrets_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(24))
            path.chmod(0o600)
        return path.read_text().strip()

    @property
    def kafka_bootstrap(self) -> str:
        if self.kafka_nodes > 1:
            return ",".join(f"127.0.0.1:{p}" for p, _c in self.kafka_node_ports())
        return f"127.0.0.1:{self.kafka_port}"

    def kafka_node_ports(self) -> list[tuple[int, int]]:
        """(broker port, controller port) of each node, node 1 first."""
        return [
            (self.kafka_port + 10 * i, self.kafka_controller_port + 10 * i)
            for i in range(self.kafka_nodes)
        ]

    @property
    def kafka_replication(self) -> int:
        """Replication factor of every topic: 1 on one node, 3 on a cluster of three or more
        (with min.insync.replicas=2, a cluster keeps taking writes with one node down)."""
        return min(3, self.kafka_nodes)

    @property
    def database_url(self) -> str:
        return f"postgresql://hazardwatch:hazardwatch@127.0.0.1:{self.postgres_port}/hazardwatch"

    def admin_database_url(self, database: str = "postgres") -> str:
        return f"postgresql://hazardwatch:hazardwatch@127.0.0.1:{self.postgres_port}/{database}"

    @property
    def tls(self) -> Path:
        """The CA folder (deploy/stack/certs.py)."""
        assert self.tls_dir is not None  # set in __post_init__
        return self.tls_dir

    def env(self) -> dict[str, str]:
        """The HW_* lines of `./run stack env`: what every hazardwatch process needs. With the
        plain listener off, HW_MQTT_TLS=1 sends the gateway to the TLS port."""
        return {
            "HW_MQTT_HOST": "127.0.0.1",
            "HW_MQTT_PORT": str(self.mqtt_port),
            "HW_MQTT_TLS": "1" if self.mqtt_plain == "off" else "0",
            "HW_MQTT_TLS_PORT": str(self.mqtt_tls_port),
            "HW_MQTT_CERT_PORT": str(self.mqtt_cert_port),
            "HW_MQTT_CA_FILE": str(self.tls / "ca.crt"),
            "HW_MQTT_SERVICE_USER": "hw-service",
            "HW_MQTT_SERVICE_PASSWORD": self.secret("mqtt-service-password"),
            "HW_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "HW_KAFKA_REPLICATION": str(self.kafka_replication),
            "HW_DATABASE_URL": self.database_url,
            "HW_API_URL": f"http://127.0.0.1:{self.api_port}",
            "HW_API_TOKEN_SECRET": self.secret("api-token-secret"),
            "HW_PROMETHEUS_URL": f"http://127.0.0.1:{self.prometheus_port}",
            "HW_STACK_DIR": str(self.root),
        }

    def process_env(self) -> dict[str, str]:
        """What `./run up` hands its supervisor beside `env()`: the processes' own ports, so
        the supervisor (reading StackConfig.from_env) sees the same table. Not part of
        `./run stack env`: a shell or a test that evaluates that starts its own processes."""
        return {
            **{f"HW_{name.upper()}_PORT": str(getattr(self, f"{name}_port"))
               for name in _PROCESS_PORT_OFFSETS},
            "HW_STREAMS_WORKERS": str(self.streams_workers),
        }
