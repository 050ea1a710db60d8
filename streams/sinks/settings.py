"""Settings of the sink process, read once in `streams.sinks.__main__`."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from schemas.settings import Endpoints


class SinkSettings(Endpoints):
    model_config = SettingsConfigDict(env_prefix="HW_", extra="ignore")

    sink_http_port: int = 18301
    sink_group_id: str = "hazardwatch-sinks"
    # Bigger batches amortise the per-transaction cost: 20,000 gave ~1.5x the rows/s of 5,000
    # on the 2-core dev machine, at well under a second per commit.
    sink_max_batch: int = 20_000
    sink_poll_timeout_ms: int = 500
    sink_uptime_interval_s: float = 15.0
    # A crashed sink's partitions are reassigned once its session expires: keep that short.
    sink_session_timeout_ms: int = 10_000
    # Rejoin under a fixed group.instance.id (streams.sinks.membership): a restarted sink takes
    # its partitions back at once instead of waiting for the session above to expire.
    sink_static_membership: bool = True
    # The static id; empty: "sinks-<host>-<sink_http_port>".
    sink_instance_id: str = ""
    # Test hook: exit hard right after a database commit, before the Kafka offset commit,
    # to prove that a crash in that window neither loses nor duplicates rows.
    sink_crash_after_db_commit: bool = False
