"""Device and data health: battery, heartbeats (gaps), connection losses, wear, last seen.

Everything comes from the heartbeat (``device_status``, raw retention). A
patient whose heartbeats stop has a gateway (or its upload) down; heartbeats
that say ``worn = false`` mean the sensor is off the body. The upload
backlog is kept in each gateway's local store, not in InfluxDB, so it is shown
by ``spinewatch upload --status`` there; here the data lag shows as the time
of the last heartbeat.
"""

from __future__ import annotations

from typing import Final

from dashboards.common import (
    GREEN,
    JSON,
    ORANGE,
    RED,
    UID_HEALTH,
    YELLOW,
    dashboard,
    raw,
    raw_rp_variable,
    steps,
    table,
    target,
    timeseries,
)

HEARTBEAT_S: Final = 60.0
"""The gateway's heartbeat period (storage_feed's default); sets the expected count per hour."""
STATUS: Final = raw("device_status")
BY_PATIENT: Final = 'GROUP BY time(1h), "patient" fill(0)'
BATTERY: Final = (
    f'SELECT last("battery_pct") FROM {STATUS} WHERE $timeFilter '
    'GROUP BY time($__interval), "patient" fill(null)'
)
HEARTBEATS: Final = f'SELECT count("heartbeat") FROM {STATUS} WHERE $timeFilter {BY_PATIENT}'
LOSSES: Final = (
    f'SELECT count("connected") FROM {STATUS} WHERE "connected" = false AND $timeFilter '
    f"{BY_PATIENT}"
)
NOT_WORN: Final = (
    f'SELECT count("worn") FROM {STATUS} WHERE "worn" = false AND $timeFilter {BY_PATIENT}'
)
LAST_SEEN: Final = (
    f'SELECT last("heartbeat") AS "last heartbeat" FROM {STATUS} WHERE $timeFilter '
    'GROUP BY "patient"'
)


def build(raw_rp: str) -> JSON:
    """The device and data health dashboard (all patients)."""
    per_hour = 3600 / HEARTBEAT_S
    panels = [
        timeseries("Battery", "last battery level per patient; charge below 20 %",
                   [target(BATTERY)], "percent",
                   steps((None, RED), (20, ORANGE), (40, GREEN)), (0, 0, 12, 8)),
        timeseries("Heartbeats per hour", f"expected {per_hour:g}/h; a dip is a gap "
                   "(gateway offline or upload stopped)",
                   [target(HEARTBEATS)], "short",
                   steps((None, RED), (per_hour / 2, YELLOW), (per_hour * 0.9, GREEN)),
                   (12, 0, 12, 8), bars=True),
        timeseries("Connection losses per hour", "heartbeats that found the sensor disconnected",
                   [target(LOSSES)], "short", steps((None, GREEN), (1, ORANGE), (10, RED)),
                   (0, 8, 12, 8), bars=True),
        timeseries("Not worn per hour", "heartbeats that found the sensor off the body",
                   [target(NOT_WORN)], "short", steps((None, GREEN), (1, YELLOW), (30, RED)),
                   (12, 8, 12, 8), bars=True),
        table("Gateway last seen", "time = the last heartbeat received from each patient's "
              "gateway in the range; the upload backlog is on the gateway (upload --status)",
              [target(LAST_SEEN, result_format="table")], "none", steps((None, GREEN)),
              (0, 16, 24, 7)),
    ]
    return dashboard(
        UID_HEALTH,
        "Device and data health",
        "Battery, heartbeats, gaps, connection losses and wear, per patient.",
        panels,
        variables=[raw_rp_variable(raw_rp)],
        time_from="now-24h",
        time_to="now",
        refresh="1m",
    )
