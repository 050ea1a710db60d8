"""docs/vendors.md section 14 shows what works: its `bash` block, run with the real
`mosquitto_pub` and a certificate of the stack's CA, reaches the broker on the certificate
listener and is delivered on the device's topic. The guide's ids are swapped for random ones,
so that a gateway of another test running meanwhile (the registry guide's own) never sees it."""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from deploy.stack import certs, packages
from deploy.stack.config import StackConfig
from schemas.settings import Endpoints
from tests.conftest import random_id

pytestmark = pytest.mark.shared_broker

GUIDE = Path(__file__).parents[3] / "docs" / "vendors.md"
DOC_TOPIC = "hw/v1/E330106000001/GD-0001/telemetry"


def _tls_block() -> str:
    section = GUIDE.read_text().split("## 14. Connecting over TLS", 1)[1]
    blocks = re.findall(r"^```bash\n(.*?)^```", section, re.S | re.M)
    assert len(blocks) == 1, blocks
    return str(blocks[0])


def test_the_vendor_guide_tls_example_publishes_with_a_device_certificate(
    stack: Endpoints, stack_config: StackConfig, issue: Any, identities: Any, tmp_path: Path
) -> None:
    packages.ensure(["mosquitto_pub"])
    command = _tls_block()
    assert DOC_TOPIC in command
    device, enterprise = random_id("GD-"), random_id("E")
    command = command.replace("GD-0001", device).replace("E330106000001", enterprise)
    topic = f"hw/v1/{enterprise}/{device}/telemetry"
    issue(device)
    files = certs.Authority(stack_config.tls).client(device)
    shutil.copy(files.cert, tmp_path / f"{device}.crt")
    shutil.copy(files.key, tmp_path / f"{device}.key")
    identities({device: [f"hw/v1/{enterprise}/{device}/+"]})

    got: queue.Queue[bytes] = queue.Queue()
    subscribed = threading.Event()
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    watcher.username_pw_set(stack.mqtt_service_user, stack.mqtt_service_password.get_secret_value())
    watcher.on_connect = lambda c, *_a: c.subscribe(topic, qos=1)
    watcher.on_subscribe = lambda *_a: subscribed.set()
    watcher.on_message = lambda _c, _u, msg: got.put(bytes(msg.payload))
    watcher.connect(stack.mqtt_host, stack.mqtt_port)
    watcher.loop_start()
    try:
        assert subscribed.wait(10)
        env = {**os.environ, **stack_config.env()}
        done = subprocess.run(["bash", "-c", "set -euo pipefail\n" + command], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        assert b'"concentration": 12.5' in got.get(timeout=10)
    finally:
        watcher.disconnect()
        watcher.loop_stop()
