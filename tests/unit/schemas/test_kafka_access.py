"""The Kafka security settings: what each client is given, and the settings refused at start."""

from __future__ import annotations

from pathlib import Path

import faust
import pytest
from pydantic import SecretStr, ValidationError

from schemas.kafka_access import KafkaAccess, KafkaAccessError
from schemas.settings import Endpoints


@pytest.fixture
def ca_file(tmp_path: Path) -> str:
    # Any PEM certificate does for building a context: it is only loaded, never used here.
    from deploy.stack.certs import Authority

    authority = Authority(tmp_path / "tls")
    authority.ensure()
    return str(authority.ca_cert)


def test_by_default_every_client_talks_plain_text_to_the_bootstrap_list() -> None:
    access = Endpoints(kafka_bootstrap="127.0.0.1:1,127.0.0.1:2").kafka
    assert access.client_options() == {
        "bootstrap_servers": "127.0.0.1:1,127.0.0.1:2",
        "security_protocol": "PLAINTEXT",
    }
    assert access.faust_credentials() is None


def test_sasl_ssl_gives_kafka_python_the_credentials_and_the_ca(ca_file: str) -> None:
    access = KafkaAccess(
        bootstrap="kafka.example.cn:9093", security_protocol="SASL_SSL",
        sasl_username="hw-streams", sasl_password=SecretStr("s3cret"), ca_file=ca_file,
    )
    assert access.client_options() == {
        "bootstrap_servers": "kafka.example.cn:9093",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "hw-streams",
        "sasl_plain_password": "s3cret",
        "ssl_cafile": ca_file,
        "ssl_check_hostname": True,
    }


def test_sasl_ssl_gives_faust_sasl_credentials_with_a_verifying_tls_context(ca_file: str) -> None:
    access = KafkaAccess(
        security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-256",
        sasl_username="hw-streams", sasl_password=SecretStr("s3cret"), ca_file=ca_file,
    )
    credentials = access.faust_credentials()
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol.value == "SASL_SSL"
    assert credentials.mechanism.value == "SCRAM-SHA-256"
    assert (credentials.username, credentials.password) == ("hw-streams", "s3cret")
    assert credentials.ssl_context is not None and credentials.ssl_context.check_hostname


def test_ssl_alone_gives_faust_ssl_credentials(ca_file: str) -> None:
    credentials = KafkaAccess(security_protocol="SSL", ca_file=ca_file).faust_credentials()
    assert isinstance(credentials, faust.SSLCredentials)
    assert credentials.protocol.value == "SSL"


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"HW_KAFKA_SECURITY_PROTOCOL": "TLS"}, "HW_KAFKA_SECURITY_PROTOCOL='TLS' is not one of"),
        ({"HW_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "HW_KAFKA_SASL_USERNAME": "u",
          "HW_KAFKA_SASL_PASSWORD": "p", "HW_KAFKA_SASL_MECHANISM": "GSSAPI"},
         "HW_KAFKA_SASL_MECHANISM='GSSAPI' is not one of"),
        ({"HW_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "HW_KAFKA_SASL_USERNAME": "u"},
         "needs HW_KAFKA_SASL_USERNAME and HW_KAFKA_SASL_PASSWORD"),
        ({"HW_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "HW_KAFKA_SASL_PASSWORD": "p"},
         "needs HW_KAFKA_SASL_USERNAME and HW_KAFKA_SASL_PASSWORD"),
        ({"HW_KAFKA_SASL_USERNAME": "u", "HW_KAFKA_SASL_PASSWORD": "p"},
         "PLAINTEXT sends no credentials"),
        ({"HW_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "HW_KAFKA_SASL_USERNAME": "u",
          "HW_KAFKA_SASL_PASSWORD": "p", "HW_KAFKA_CA_FILE": "/etc/ssl/certs/ca.crt"},
         "does not use TLS"),
        ({"HW_KAFKA_SECURITY_PROTOCOL": "SSL", "HW_KAFKA_CA_FILE": "/nowhere/ca.crt"},
         "HW_KAFKA_CA_FILE=/nowhere/ca.crt: no such file"),
        ({"HW_KAFKA_BOOTSTRAP": " , "}, "HW_KAFKA_BOOTSTRAP names no broker"),
    ],
)
def test_settings_that_cannot_work_are_refused_when_read(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], says: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=says):
        Endpoints()


def test_the_password_is_in_no_error_and_no_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HW_KAFKA_SASL_USERNAME", "hw-streams")
    monkeypatch.setenv("HW_KAFKA_SASL_PASSWORD", "hunter2-secret")
    with pytest.raises(ValidationError) as refused:
        Endpoints()  # credentials without SASL: refused
    assert "hunter2-secret" not in str(refused.value)
    monkeypatch.setenv("HW_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    settings = Endpoints()
    assert "hunter2-secret" not in repr(settings.kafka)
    assert "hunter2-secret" not in repr(settings)
    assert "hunter2-secret" not in repr(settings.kafka.faust_credentials())


def test_the_value_is_frozen() -> None:
    with pytest.raises(AttributeError):
        KafkaAccess().bootstrap = "elsewhere:9092"  # type: ignore[misc]


def test_a_bad_value_is_refused_however_it_is_built() -> None:
    with pytest.raises(KafkaAccessError, match="needs HW_KAFKA_SASL_USERNAME"):
        KafkaAccess(security_protocol="SASL_SSL")
