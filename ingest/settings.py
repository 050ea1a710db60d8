"""The gateway's configuration, read once in `ingest.__main__`."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from schemas.settings import Endpoints


class IngestSettings(Endpoints):
    model_config = SettingsConfigDict(env_prefix="HW_", extra="ignore")

    ingest_http_port: int | None = None  # default 18100 + instance
    ingest_rate_per_device: float = 10.0
    ingest_burst_per_device: float = 50.0
    ingest_registry_refresh_s: float = 5.0
    # How long the broker keeps our session (and its unacked QoS 1 messages) while we are down.
    ingest_session_expiry_s: int = 7 * 24 * 3600
    ingest_shared_group: str = "ingest"
    # How long the producer waits to fill a batch: fewer, larger produce requests (and fewer
    # wake-ups of its thread) for a few ms of latency (the budget: publish->Kafka p99 50 ms).
    ingest_linger_ms: int = 10
    # MQTT over TLS (docs/security.md): HW_MQTT_TLS=1 connects to the broker's TLS listener
    # (HW_MQTT_TLS_PORT, the service account's password over TLS) and checks the broker's
    # certificate against HW_MQTT_CA_FILE (empty: the system's trusted CAs).
    mqtt_tls: bool = False
    mqtt_tls_port: int = 18883
    mqtt_ca_file: str = ""

    @property
    def broker_port(self) -> int:
        return self.mqtt_tls_port if self.mqtt_tls else self.mqtt_port

    def http_port(self, instance: int) -> int:
        return self.ingest_http_port or 18100 + instance
