"""HW_MQTT_PLAIN=loopback (the default): the plain listener takes connections on 127.0.0.1 and
nowhere else. A socket bound to 127.0.0.1 only ever receives what is sent to 127.0.0.1, which
the kernel never accepts from outside the host; a second loopback address shows that bind, and
the socket table shows there is no plain listener on any other address. (No traffic goes to the
machine's own non-loopback address: this workplace allows loopback targets only.)"""

from __future__ import annotations

import socket

import pytest

from deploy.stack.config import StackConfig
from schemas.settings import Endpoints

pytestmark = pytest.mark.shared_broker


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of TCP sockets listening on `port`, from /proc/net/tcp and tcp6."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                local, state = row.split()[1], row.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    raw = bytes.fromhex(address)
                    if len(raw) == 4:
                        found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                    else:  # four host-order 32-bit words
                        words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                        found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def _reachable(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2.0)
        return sock.connect_ex((host, port)) == 0


def test_the_plain_listener_on_loopback_takes_127_0_0_1_and_no_other_address(
    stack: Endpoints, stack_config: StackConfig
) -> None:
    if stack_config.mqtt_plain != "loopback":
        pytest.skip(f"the stack runs with HW_MQTT_PLAIN={stack_config.mqtt_plain}")
    with socket.socket() as everywhere:  # control: 127.0.0.2 reaches a socket on every address
        everywhere.bind(("0.0.0.0", 0))
        everywhere.listen()
        assert _reachable("127.0.0.2", everywhere.getsockname()[1])
    assert _reachable("127.0.0.1", stack_config.mqtt_port)
    assert not _reachable("127.0.0.2", stack_config.mqtt_port)
    assert _listening_addresses(stack_config.mqtt_port) == {"127.0.0.1"}
