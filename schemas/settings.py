"""The `HW_*` environment every hazardwatch process reads, once, at its entrypoint.

Defaults match the local stack started by `./run stack up` (DESIGN section 9): loopback,
fixed non-standard ports so it never collides with services already on the machine.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.kafka_access import KafkaAccess
from schemas.topics import TopicNames


class Endpoints(BaseSettings):
    """Where the infrastructure is. `./run stack env` prints these as HW_* lines."""

    # An invalid setting's error never shows the input: it may be a password (merged into
    # every subclass's own model_config).
    model_config = SettingsConfigDict(env_prefix="HW_", extra="ignore", hide_input_in_errors=True)

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
    # How every Kafka client authenticates and encrypts (schemas/kafka_access.py,
    # docs/security.md): PLAINTEXT locally; SASL_SSL + SCRAM-SHA-512 in a deployment.
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str = "SCRAM-SHA-512"
    kafka_sasl_username: str = ""
    kafka_sasl_password: SecretStr = SecretStr("")
    kafka_ca_file: str = ""  # the brokers' CA (PEM); empty: the system's trusted CAs
    database_url: SecretStr = SecretStr(
        "postgresql://hazardwatch:hazardwatch@127.0.0.1:15433/hazardwatch"
    )
    api_url: str = "http://127.0.0.1:18000"
    prometheus_url: str = "http://127.0.0.1:19090"
    topic_prefix: str = Field(default="", description="prepended to every Kafka topic (tests)")

    @model_validator(mode="after")
    def _kafka_access_works(self) -> Self:
        # At the entrypoint, where the settings are read: a process that cannot reach Kafka
        # as configured says why at once instead of at its first connection.
        self.kafka  # noqa: B018  (raises KafkaAccessError, a ValueError pydantic reports)
        return self

    @property
    def kafka(self) -> KafkaAccess:
        """The Kafka address and security every client of this process is built with."""
        return KafkaAccess(
            bootstrap=self.kafka_bootstrap,
            security_protocol=self.kafka_security_protocol,
            sasl_mechanism=self.kafka_sasl_mechanism,
            sasl_username=self.kafka_sasl_username,
            sasl_password=self.kafka_sasl_password,
            ca_file=self.kafka_ca_file,
        )

    @property
    def topics(self) -> TopicNames:
        return TopicNames(self.topic_prefix)
