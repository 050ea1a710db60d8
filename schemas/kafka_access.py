"""How a hazardwatch process reaches Kafka: the brokers' addresses and the security around them.

PLAINTEXT by default (the local stack's loopback broker, where nothing changes). A deployment
whose brokers are on other hosts uses SASL_SSL with SCRAM-SHA-512 (docs/security.md). The
value is read once from the `HW_KAFKA_*` settings (`Endpoints.kafka`) at each entrypoint and
passed down to every client: kafka-python's take `client_options()`, the faust app
`faust_credentials()`. A setting that would be silently ignored (credentials without SASL, a
CA file without TLS) is an error as much as a missing one: either means the operator expects a
security the process would not have.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

if TYPE_CHECKING:
    from faust.types.auth import CredentialsT

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
# What both kafka-python and faust (aiokafka) speak with a username and password.
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


class KafkaAccessError(ValueError):
    """Kafka security settings that cannot work together (raised when they are read)."""


@dataclass(frozen=True, slots=True)
class KafkaAccess:
    bootstrap: str = "127.0.0.1:19092"  # one address or a comma list, as every client takes it
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "SCRAM-SHA-512"
    sasl_username: str = ""
    # SecretStr: its repr is masked, so the value (and an error showing it) is safe to log.
    sasl_password: SecretStr = field(default_factory=lambda: SecretStr(""))
    ca_file: str = ""  # PEM; empty: the system's trusted CAs

    def __post_init__(self) -> None:
        if not self.servers:
            raise KafkaAccessError("HW_KAFKA_BOOTSTRAP names no broker")
        if self.security_protocol not in SECURITY_PROTOCOLS:
            raise KafkaAccessError(
                f"HW_KAFKA_SECURITY_PROTOCOL={self.security_protocol!r} is not one of "
                f"{', '.join(SECURITY_PROTOCOLS)}"
            )
        if self.sasl_mechanism not in SASL_MECHANISMS:
            raise KafkaAccessError(
                f"HW_KAFKA_SASL_MECHANISM={self.sasl_mechanism!r} is not one of "
                f"{', '.join(SASL_MECHANISMS)}"
            )
        has_credentials = bool(self.sasl_username or self.sasl_password.get_secret_value())
        if self.sasl:
            if not (self.sasl_username and self.sasl_password.get_secret_value()):
                raise KafkaAccessError(
                    f"HW_KAFKA_SECURITY_PROTOCOL={self.security_protocol} needs "
                    "HW_KAFKA_SASL_USERNAME and HW_KAFKA_SASL_PASSWORD"
                )
        elif has_credentials:
            raise KafkaAccessError(
                "HW_KAFKA_SASL_USERNAME/HW_KAFKA_SASL_PASSWORD are set but "
                f"HW_KAFKA_SECURITY_PROTOCOL={self.security_protocol} sends no credentials "
                "(SASL_SSL does)"
            )
        if self.ca_file:
            if not self.tls:
                raise KafkaAccessError(
                    f"HW_KAFKA_CA_FILE is set but HW_KAFKA_SECURITY_PROTOCOL="
                    f"{self.security_protocol} does not use TLS (SSL or SASL_SSL do)"
                )
            if not Path(self.ca_file).is_file():
                raise KafkaAccessError(f"HW_KAFKA_CA_FILE={self.ca_file}: no such file")

    @property
    def servers(self) -> list[str]:
        return [host.strip() for host in self.bootstrap.split(",") if host.strip()]

    @property
    def sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @property
    def tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    def client_options(self) -> dict[str, Any]:
        """kafka-python's keyword arguments (KafkaProducer, KafkaConsumer, KafkaAdminClient)."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": self.security_protocol,
        }
        if self.sasl:
            options.update(
                sasl_mechanism=self.sasl_mechanism,
                sasl_plain_username=self.sasl_username,
                sasl_plain_password=self.sasl_password.get_secret_value(),
            )
        if self.tls:
            # The broker's certificate and its host name are checked (kafka-python's default,
            # stated because a client that skips either would talk to anyone on the path).
            options.update(ssl_cafile=self.ca_file or None, ssl_check_hostname=True)
        return options

    def ssl_context(self) -> ssl.SSLContext:
        """TLS 1.2 at least, the broker's certificate checked against `ca_file` and its name."""
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.ca_file or None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context

    def faust_credentials(self) -> CredentialsT | None:
        """faust's `broker_credentials` (None: plain text)."""
        if self.security_protocol == "PLAINTEXT":
            return None
        # Imported here: only the stream worker runs faust, and schemas/ stays light for the rest.
        import faust

        context = self.ssl_context() if self.tls else None
        if not self.sasl:
            return faust.SSLCredentials(context)
        return faust.SASLCredentials(
            username=self.sasl_username,
            password=self.sasl_password.get_secret_value(),
            mechanism=self.sasl_mechanism,
            ssl_context=context,
        )
