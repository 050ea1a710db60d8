"""Device uptime gauges, recomputed every scan from the registry and the device_status projection.

A device with no status row has never gone offline, so it counts as online.
"""

from __future__ import annotations

import psycopg

from streams.sinks.metrics import SinkMetrics

# Registry tables belong to storage/registry.py (0002_registry.sql); until they exist the scan
# reports nothing rather than failing the sink.
_SCAN = """
SELECT substr(e.division, 1, 9) AS township, d.family, d.enterprise_id,
       count(*) AS total, count(*) FILTER (WHERE coalesce(s.online, true)) AS online
FROM devices d
JOIN enterprises e ON e.id = d.enterprise_id
LEFT JOIN device_status s ON s.device_id = d.id
GROUP BY 1, 2, 3
"""


def scan(conn: psycopg.Connection, metrics: SinkMetrics) -> bool:
    """Set the gauges; False when the registry tables are not there (yet)."""
    if conn.execute("SELECT to_regclass('devices'), to_regclass('enterprises')").fetchone() in (
        None,
        (None, None),
    ):
        return False
    try:
        with conn.transaction():
            rows = conn.execute(_SCAN).fetchall()
    except psycopg.errors.UndefinedColumn:
        return False
    metrics.devices_online.clear()
    metrics.devices_total.clear()
    for township, family, enterprise, total, online in rows:
        labels = {"township": township, "family": family, "enterprise": enterprise}
        metrics.devices_total.labels(**labels).set(total)
        metrics.devices_online.labels(**labels).set(online)
    return True
