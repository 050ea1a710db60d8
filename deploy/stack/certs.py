"""The stack's certificate authority: a CA, the server certificate of the broker and the API,
client certificates whose CN is a device's or a field gateway's id, and the CRL the broker
enforces (issue 22, docs/security.md).

Everything lives in one folder, `HW_TLS_DIR` (default `.stack/secrets/tls/`):
`ca.crt` `ca.key` `server.crt` `server.key` `crl.pem`, `issued.json` (what was issued and
revoked) and `clients/ID.crt` + `clients/ID.key`. An operator's own CA is used by putting its
`ca.crt` (and `server.crt`/`server.key`, optionally `crl.pem`) there before `./run stack up`;
without `ca.key` nothing is generated or signed here, and client certificates come from the
operator's own tooling.

Keys are ECDSA P-256: as strong as RSA-3072 for TLS 1.2/1.3 and cheap for small devices.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from deploy.stack.errors import StackError
from schemas.registry import Registry

CA_DAYS = 3650
SERVER_DAYS = 825
CLIENT_DAYS = 365
# The broker rejects every client certificate once the CRL is past its next update, so the CRL
# is long-lived and rewritten on every issue, revoke and `./run stack up`.
CRL_DAYS = 365
# A server certificate this close to its end is renewed by `./run stack up`.
RENEW_BEFORE = timedelta(days=30)
# `issued.json` forgets a certificate this long after it expired (an expired certificate is
# refused anyway, so it has no place on the CRL either).
FORGET_AFTER = timedelta(days=30)
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # the registry's id alphabet (DESIGN section 11)
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


class CertError(StackError):
    """A certificate request that cannot be carried out (bad id, no CA key, unknown id)."""


@dataclass(frozen=True)
class Issued:
    id: str
    serial: int
    not_after: str  # ISO 8601, UTC
    revoked_at: str | None = None

    @property
    def expired(self) -> bool:
        return datetime.fromisoformat(self.not_after) <= datetime.now(UTC)


@dataclass(frozen=True)
class ClientFiles:
    cert: Path
    key: Path
    ca: Path


class Authority:
    """The CA folder. Every change of `issued.json` and the CRL happens under a file lock."""

    def __init__(self, folder: Path) -> None:
        self.dir = folder

    @property
    def ca_cert(self) -> Path:
        return self.dir / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.dir / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.dir / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.dir / "server.key"

    @property
    def crl(self) -> Path:
        return self.dir / "crl.pem"

    @property
    def own_ca(self) -> bool:
        """Whether this folder holds the CA's key (a stack CA) or only its certificate."""
        return self.ca_key.exists()

    def client(self, identity: str) -> ClientFiles:
        return ClientFiles(
            self.dir / "clients" / f"{identity}.crt",
            self.dir / "clients" / f"{identity}.key",
            self.ca_cert,
        )

    # -- the stack's part: once, then only renewals --
    def ensure(self, hostnames: Iterable[str] = ()) -> bool:
        """A CA, a server certificate for `hostnames` and loopback, and a CRL far from its
        next update. An operator's folder (no `ca.key`) is only checked. Returns whether a
        file the broker reads was written (it then needs a reload)."""
        with self._locked():
            changed = False
            if not self.ca_cert.exists():
                self._new_ca()
                changed = True
            if not self.own_ca:
                if not (self.server_cert.exists() and self.server_key.exists()):
                    raise CertError(
                        f"{self.dir} holds an operator's CA without server.crt/server.key"
                    )
                return changed
            names = sorted({*_LOOPBACK_NAMES, *hostnames})
            if self._server_needs_renewal(names):
                self._new_server(names)
                changed = True
            if self._crl_needs_renewal():
                self._write_crl(self._issued())
                changed = True
            return changed

    # -- client certificates --
    def issue(
        self, identity: str, days: int = CLIENT_DAYS, *, valid_from: datetime | None = None
    ) -> ClientFiles:
        """A client certificate with CN = `identity` (a new key each time); an earlier
        certificate of the same id stays valid until it expires or is revoked. `valid_from`
        lets tests make one that has already expired."""
        check_identity(identity)
        if days < 1:
            raise CertError("--days must be at least 1")
        with self._locked():
            ca_cert, ca_key = self._ca()
            start = valid_from or datetime.now(UTC) - timedelta(minutes=5)
            key = ec.generate_private_key(ec.SECP256R1())
            serial = x509.random_serial_number()
            cert = (
                _builder(ca_cert, identity, key, start, start + timedelta(days=days), serial)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(
                    x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
                )
                .sign(ca_key, hashes.SHA256())
            )
            files = self.client(identity)
            files.cert.parent.mkdir(parents=True, exist_ok=True)
            _write(files.key, _key_pem(key), 0o600)
            _write(files.cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)
            issued = self._issued()
            issued.append(Issued(identity, serial, cert.not_valid_after_utc.isoformat()))
            self._save(issued)
            return files

    def revoke(self, identity: str) -> list[Issued]:
        """Revokes every unrevoked certificate of `identity` and rewrites the CRL; returns
        what it revoked (empty: there was nothing to revoke)."""
        check_identity(identity)
        with self._locked():
            self._ca()
            now = datetime.now(UTC).isoformat()
            issued, revoked = [], []
            for row in self._issued():
                if row.id == identity and row.revoked_at is None:
                    row = Issued(row.id, row.serial, row.not_after, now)
                    revoked.append(row)
                issued.append(row)
            if revoked:
                self._save(issued)
            return revoked

    def listing(self) -> list[Issued]:
        return self._issued()

    def active(self) -> set[str]:
        """Ids that hold at least one certificate neither revoked nor expired."""
        return {r.id for r in self._issued() if r.revoked_at is None and not r.expired}

    # -- inside the lock --
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o700)
        with (self.dir / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _ca(self) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        if not self.ca_cert.exists():
            raise CertError(f"{self.dir} holds no CA yet: ./run stack up creates one")
        if not self.own_ca:
            raise CertError(
                f"{self.dir} has no ca.key (an operator's CA): issue and revoke certificates "
                "with that CA's own tooling"
            )
        cert = x509.load_pem_x509_certificate(self.ca_cert.read_bytes())
        key = serialization.load_pem_private_key(self.ca_key.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise CertError(f"{self.ca_key} is not an EC key")
        return cert, key

    def _new_ca(self) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC) - timedelta(minutes=5)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hazardwatch local CA")])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True,
                    crl_sign=True, encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        _write(self.ca_key, _key_pem(key), 0o600)
        _write(self.ca_cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)
        for stale in (self.server_cert, self.server_key, self.crl):
            stale.unlink(missing_ok=True)

    def _server_needs_renewal(self, names: list[str]) -> bool:
        if not (self.server_cert.exists() and self.server_key.exists()):
            return True
        cert = x509.load_pem_x509_certificate(self.server_cert.read_bytes())
        ca = x509.load_pem_x509_certificate(self.ca_cert.read_bytes())
        if cert.issuer != ca.subject or cert.not_valid_after_utc - RENEW_BEFORE < datetime.now(UTC):
            return True
        return sorted(_san_names(cert)) != names

    def _crl_needs_renewal(self) -> bool:
        if not self.crl.exists():
            return True
        crl = x509.load_pem_x509_crl(self.crl.read_bytes())
        next_update = crl.next_update_utc
        return next_update is None or next_update - datetime.now(UTC) < timedelta(CRL_DAYS / 2)

    def _new_server(self, names: list[str]) -> None:
        ca_cert, ca_key = self._ca()
        key = ec.generate_private_key(ec.SECP256R1())
        start = datetime.now(UTC) - timedelta(minutes=5)
        cert = (
            _builder(ca_cert, names[0], key, start, start + timedelta(days=SERVER_DAYS),
                     x509.random_serial_number())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), False)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        _write(self.server_key, _key_pem(key), 0o600)
        _write(self.server_cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)

    def _issued(self) -> list[Issued]:
        path = self.dir / "issued.json"
        if not path.exists():
            return []
        return [Issued(**row) for row in json.loads(path.read_text())]

    def _save(self, issued: list[Issued]) -> None:
        horizon = datetime.now(UTC) - FORGET_AFTER
        issued = [r for r in issued if datetime.fromisoformat(r.not_after) > horizon]
        _write(self.dir / "issued.json",
               json.dumps([asdict(r) for r in issued], indent=1).encode(), 0o600)
        self._write_crl(issued)

    def _write_crl(self, issued: list[Issued]) -> None:
        ca_cert, ca_key = self._ca()
        now = datetime.now(UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca_cert.subject)
            .last_update(now - timedelta(minutes=5))
            .next_update(now + timedelta(days=CRL_DAYS))
        )
        for row in issued:
            if row.revoked_at is not None and not row.expired:
                builder = builder.add_revoked_certificate(
                    x509.RevokedCertificateBuilder()
                    .serial_number(row.serial)
                    .revocation_date(datetime.fromisoformat(row.revoked_at))
                    .build()
                )
        crl = builder.sign(ca_key, hashes.SHA256())
        _write(self.crl, crl.public_bytes(serialization.Encoding.PEM), 0o644)


def check_identity(identity: str) -> None:
    if not _ID.match(identity):
        raise CertError(f"{identity!r} is not a device or gateway id ([A-Za-z0-9_-]{{1,64}})")


def _builder(
    ca: x509.Certificate,
    common_name: str,
    key: ec.EllipticCurvePrivateKey,
    start: datetime,
    end: datetime,
    serial: int,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(start)
        .not_valid_after(end)
    )


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _san_names(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [*san.get_values_for_type(x509.DNSName),
            *(str(ip) for ip in san.get_values_for_type(x509.IPAddress))]


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.chmod(mode)
    os.replace(tmp, path)


def allowed_topics(registry: Registry, identity: str) -> list[str]:
    """What a certificate with CN = `identity` may publish (DESIGN section 4): a device its own
    `hw/v1/{enterprise}/{device}/+`; a field gateway its `batch` topic under each enterprise
    whose devices the registry puts behind it (the ingest gateway then checks every reading of
    a batch against that assignment). Empty: the id is neither."""
    topics = [f"hw/v1/{d.enterprise}/{d.id}/+" for d in registry.devices if d.id == identity]
    topics += sorted(
        {f"hw/v1/{d.enterprise}/{identity}/batch" for d in registry.devices
         if d.gateway == identity}
    )
    return topics
