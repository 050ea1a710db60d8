from __future__ import annotations

import uuid

from ingest.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_device_may_burst_fifty_messages_then_is_held_to_its_rate():
    clock, device = Clock(), uuid.uuid4().hex[:8]
    limiter = RateLimiter(10, 50, clock)
    assert all(limiter.allow(device) for _ in range(50))
    assert not limiter.allow(device)
    clock.now += 0.5
    assert sum(limiter.allow(device) for _ in range(20)) == 5


def test_one_flooding_device_does_not_use_up_another_devices_tokens():
    clock = Clock()
    limiter = RateLimiter(10, 50, clock)
    noisy, quiet = uuid.uuid4().hex[:8], uuid.uuid4().hex[:8]
    for _ in range(200):
        limiter.allow(noisy)
    assert limiter.allow(quiet)


def test_tokens_refill_only_up_to_the_burst():
    clock, device = Clock(), uuid.uuid4().hex[:8]
    limiter = RateLimiter(10, 50, clock)
    clock.now += 3600
    assert sum(limiter.allow(device) for _ in range(100)) == 50
