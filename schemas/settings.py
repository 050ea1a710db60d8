"""The `HW_*` environment every hazardwatch process reads, once, at its entrypoint.

Defaults match the local stack started by `./run stack up` (DESIGN section 9): loopback,
fixed non-standard ports so it never collides with services already on the machine.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.topics import TopicNames


class Endpoints(BaseSettings):
    """Where the infrastructure is. `./run stack env` prints these as HW_* lines."""

    model_config = SettingsConfigDict(env_prefix="HW_", extra="ignore")

    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 18830
    # The account the ingest gateway and the simulator's operator tools use on the broker.
    mqtt_service_user: str = "hw-service"
    mqtt_service_password: SecretStr = SecretStr("")
    # One address or a comma list (a cluster: `HW_KAFKA_NODES=3 ./run stack up`); every client
    # takes the list as is, so no process depends on one node being up.
    kafka_bootstrap: str = "127.0.0.1:19092"
    # Replication factor of the topics a process creates (a stream worker's changelogs and
    # internal topics): 1 on one node, 3 on a cluster (`./run stack env` prints it).
    kafka_replication: int = 1
    database_url: SecretStr = SecretStr(
        "postgresql://hazardwatch:hazardwatch@127.0.0.1:15433/hazardwatch"
    )
    api_url: str = "http://127.0.0.1:18000"
    prometheus_url: str = "http://127.0.0.1:19090"
    topic_prefix: str = Field(default="", description="prepended to every Kafka topic (tests)")

    @property
    def topics(self) -> TopicNames:
        return TopicNames(self.topic_prefix)
