"""The worker's configuration: shared endpoints plus its own HW_STREAMS_* knobs."""

from __future__ import annotations

import tempfile
from pathlib import Path

from pydantic_settings import SettingsConfigDict

from schemas.settings import Endpoints
from streams.rules.site import SITE_HOLD_MAX_S, SITE_HOLD_S

BASE_HTTP_PORT = 18200


class StreamsSettings(Endpoints):
    model_config = SettingsConfigDict(env_prefix="HW_", extra="ignore")

    streams_app_id: str = "hazardwatch-streams"
    # Worker N serves /metrics, /healthz and /readyz on 18200 + N unless set explicitly.
    streams_http_port: int | None = None
    # "memory://" replays each table's whole changelog on every start; "rocksdb://" keeps the
    # tables on disk under streams_data_dir (`./run up` uses it, under .stack/streams), so a
    # restarted worker replays only the changelog's tail since its last write.
    streams_store: str = "memory://"
    # faust writes per-app files (and RocksDB, if used) here, in a folder per app and worker
    # instance (RocksDB locks its files); never into the working tree.
    streams_data_dir: str = str(Path(tempfile.gettempdir()) / "hazardwatch-streams")
    # How soon a dead worker's partitions move: the broker drops a member it has not heard
    # from for this long (faust's default is 60 s, which was most of a crash's blind spot).
    streams_session_timeout_s: float = 10.0
    streams_heartbeat_interval_s: float = 3.0
    # Static membership (group.instance.id = app id, instance, port): a worker restarted within the
    # session timeout takes its partitions back at once, without waiting for the old member
    # to expire and without moving anyone else's partitions.
    streams_static_membership: bool = True
    streams_partitions: int = 12
    # How often the timer looks for silent devices, overdue alarms and interlock deadlines:
    # bounds the offline detection delay beyond offline_after_s.
    streams_timer_period_s: float = 1.0
    # How long a device's offline alarm at a multi-device site waits for the site's verdict.
    streams_site_hold_s: float = SITE_HOLD_S
    # How long at most it waits when the site aggregation does not answer.
    streams_site_hold_max_s: float = SITE_HOLD_MAX_S
    # A partition with messages waiting and no progress for this long is sought back to its
    # next unprocessed offset (streams.lag.StallGuard).
    streams_stall_after_s: float = 20.0
    # Producer batching delay, paid once per agent batch (its outputs are awaited together).
    # With sweeps and sends straight to the producer (1 worker, 10,000 devices; 20,000 silent
    # at once): 0 ms 2,497 readings/s, offline p50 11.4 s; 5 ms 3,119 and 3,051, p50 8.2 and
    # 6.8 s; 20 ms 3,333, p50 8.3 s (one run each, before the direct sends). 5 ms is as good as
    # 20 and adds less to a lone alarm's latency.
    streams_producer_linger_ms: int = 5
    # The agents take up to this many messages at once, waiting at most this long for them:
    # their outputs are acknowledged by Kafka once per batch instead of once per message.
    streams_batch_max: int = 500
    streams_batch_within_s: float = 0.01
    # A timer or agent that has not run for this many of its periods (and at least
    # streams_liveness_min_s) makes /readyz fail (streams.liveness).
    streams_liveness_periods: int = 10
    streams_liveness_min_s: float = 30.0
    # An unchanged registry costs one version query, so it is asked as often as the gateway
    # asks (an import must reach detection before a leak does: a detector's interlock valve
    # is known only from the registry).
    streams_registry_refresh_s: float = 5.0
    # Where the registry comes from: the database (default), a registry YAML file, or nowhere
    # (family defaults only).
    streams_registry: str = "database"  # database | file | none
    streams_registry_file: str | None = None

    def http_port(self, instance: int) -> int:
        return self.streams_http_port or BASE_HTTP_PORT + instance
