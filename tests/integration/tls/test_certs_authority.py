"""The stack's CA on its own (files only, no service): what a certificate may publish, the CRL,
renewals, and an operator's CA without its key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cryptography import x509

from deploy.stack import certs
from schemas.families import Family, Industry
from schemas.registry import DeviceRecord, EnterpriseRecord, Registry


def _registry() -> Registry:
    enterprises = tuple(
        EnterpriseRecord(id=e, name=e, division="330106001001", industry=Industry.CHEMICAL)
        for e in ("E1", "E2")
    )
    devices = (
        DeviceRecord(id="GD-1", enterprise="E1", family=Family.GAS, type="combustible",
                     gateway="GW-1"),
        DeviceRecord(id="GD-2", enterprise="E2", family=Family.GAS, type="combustible",
                     gateway="GW-1"),
        DeviceRecord(id="FE-1", enterprise="E1", family=Family.FIRE, type="smoke"),
    )
    return Registry(enterprises=enterprises, devices=devices)


def test_a_device_may_publish_its_own_topics_and_a_gateway_its_batches_only() -> None:
    registry = _registry()
    assert certs.allowed_topics(registry, "FE-1") == ["hw/v1/E1/FE-1/+"]
    assert certs.allowed_topics(registry, "GW-1") == ["hw/v1/E1/GW-1/batch", "hw/v1/E2/GW-1/batch"]
    assert certs.allowed_topics(registry, "E1") == []  # an enterprise is not a certificate id


def test_revoking_puts_every_certificate_of_the_id_on_the_crl(tmp_path: Path) -> None:
    ca = certs.Authority(tmp_path / "tls")
    assert ca.ensure() is True
    assert ca.ensure() is False  # nothing to write the second time

    def serial(files: certs.ClientFiles) -> int:
        return int(x509.load_pem_x509_certificate(files.cert.read_bytes()).serial_number)

    # A second certificate of an id replaces the files (a new key); the first stays valid.
    first = serial(ca.issue("GD-1"))
    second = serial(ca.issue("GD-1"))
    other = ca.issue("GD-2")
    assert [r.id for r in ca.revoke("GD-1")] == ["GD-1", "GD-1"]
    assert ca.revoke("GD-1") == []
    crl = x509.load_pem_x509_crl(ca.crl.read_bytes())
    assert {r.serial_number for r in crl} == {first, second}
    assert ca.active() == {"GD-2"}
    cert = x509.load_pem_x509_certificate(other.cert.read_bytes())
    assert cert.subject.rfc4514_string() == "CN=GD-2"
    with pytest.raises(certs.CertError):
        ca.issue("not/an id")


def test_the_server_certificate_follows_the_host_names(tmp_path: Path) -> None:
    ca = certs.Authority(tmp_path / "tls")
    ca.ensure()
    ca.ensure(["mqtt.example.cn", "203.0.113.7"])
    san = x509.load_pem_x509_certificate(ca.server_cert.read_bytes()).extensions \
        .get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(san.get_values_for_type(x509.DNSName)) == {"localhost", "mqtt.example.cn"}
    assert {str(ip) for ip in san.get_values_for_type(x509.IPAddress)} == {
        "127.0.0.1", "::1", "203.0.113.7",
    }


def test_an_operators_ca_without_its_key_is_used_but_never_signs(tmp_path: Path) -> None:
    theirs = certs.Authority(tmp_path / "theirs")
    theirs.ensure()
    ours = certs.Authority(tmp_path / "ours")
    ours.dir.mkdir()
    for name in ("ca.crt", "server.crt", "server.key"):
        shutil.copy(theirs.dir / name, ours.dir / name)
    assert ours.ensure() is False
    assert not ours.own_ca
    with pytest.raises(certs.CertError, match="operator"):
        ours.issue("GD-1")


def test_sync_follows_the_registry_and_silences_what_it_no_longer_knows(tmp_path: Path) -> None:
    from deploy.stack import mosquitto
    from deploy.stack.config import StackConfig
    from deploy.stack.identities import sync

    cfg = StackConfig(root=tmp_path / "stack")  # files only: no broker runs there
    authority = certs.Authority(cfg.tls)
    authority.ensure()
    registry = _registry()
    for identity in ("GD-1", "GW-1", "FE-1"):
        authority.issue(identity)
    mosquitto.upsert_identities(cfg, {"GD-1": ["hw/v1/E2/GD-1/+"], "FE-1": ["hw/v1/E1/FE-1/+"]})
    authority.revoke("FE-1")
    changed, silenced = sync(cfg, registry)
    assert (changed, silenced) == (["GD-1", "GW-1"], ["FE-1"])
    assert mosquitto.identities(cfg) == {
        "GD-1": ["hw/v1/E1/GD-1/+"],
        "GW-1": ["hw/v1/E1/GW-1/batch", "hw/v1/E2/GW-1/batch"],
    }
    acl = (cfg.service_dir("mosquitto") / "acl").read_text()
    assert "user GD-1\ntopic write hw/v1/E1/GD-1/+\n" in acl
    assert "FE-1" not in acl
