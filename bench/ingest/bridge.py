"""The baseline: a bridge of C clients doing no validation, `mosquitto_sub | kcat` (acks=all).

It shows what the broker and Kafka allow on this machine in the same run, so the gateway's
figure reads as a ratio rather than as a number that moves with the machine's load. The
Debian packages are installed when missing (as root), as the stack's own setup does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Mapping

PACKAGES = {"mosquitto_sub": "mosquitto-clients", "kcat": "kcat"}


def ensure_tools() -> None:
    missing = [pkg for tool, pkg in PACKAGES.items() if shutil.which(tool) is None]
    if not missing:
        return
    if os.geteuid() != 0:
        raise RuntimeError(f"the bridge baseline needs {' '.join(missing)} (apt-get install)")
    apt = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(["apt-get", "install", "-y", "-q", *missing], env=apt).returncode:
        subprocess.run(["apt-get", "update", "-q"], env=apt, check=True)
        subprocess.run(["apt-get", "install", "-y", "-q", *missing], env=apt, check=True)


@contextlib.contextmanager
def bridge(env: Mapping[str, str], enterprise: str, topic: str) -> Iterator[list[int]]:
    """MQTT `hw/v1/{enterprise}/#` at QoS 1 -> Kafka `topic`, key = the MQTT topic. Yields the
    two pids (for their CPU time)."""
    sub = subprocess.Popen(
        [
            "mosquitto_sub",
            "-h",
            env["HW_MQTT_HOST"],
            "-p",
            env["HW_MQTT_PORT"],
            "-u",
            env["HW_MQTT_SERVICE_USER"],
            "-P",
            env["HW_MQTT_SERVICE_PASSWORD"],
            "-i",
            f"bridge-{uuid.uuid4().hex[:6]}",
            "-V",
            "5",
            "-q",
            "1",
            "-t",
            f"hw/v1/{enterprise}/#",
            "-F",
            "%t\t%p",
        ],
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    kcat = subprocess.Popen(
        [
            "kcat",
            "-P",
            "-b",
            env["HW_KAFKA_BOOTSTRAP"],
            "-t",
            topic,
            "-K",
            "\t",
            "-X",
            "acks=all",
            "-X",
            "linger.ms=5",
            "-q",
        ],
        stdin=sub.stdout,
        start_new_session=True,
    )
    assert sub.stdout is not None
    sub.stdout.close()  # kcat holds the pipe now
    try:
        yield [sub.pid, kcat.pid]
    finally:
        sub.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            sub.wait(timeout=10)
        with contextlib.suppress(subprocess.TimeoutExpired):
            kcat.wait(timeout=10)  # stdin closed: kcat flushes and exits
        if kcat.poll() is None:
            kcat.terminate()
            kcat.wait(timeout=5)
