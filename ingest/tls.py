"""The TLS side of an MQTT client (gateway and simulator): TLS 1.2 at least, the broker's
certificate and host name checked, and optionally a client certificate (device identity)."""

from __future__ import annotations

import ssl


def tls_context(ca_file: str = "", cert_file: str = "", key_file: str = "") -> ssl.SSLContext:
    """`ca_file` empty: the system's trusted CAs (a broker with a public certificate)."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert_file:
        context.load_cert_chain(cert_file, key_file or None)
    return context
