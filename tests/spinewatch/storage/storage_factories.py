"""Factories for realistic result points and the store/server comparison."""

from __future__ import annotations

import json
from typing import Any

from storage_servers import normalized

from spinewatch.storage.lineprotocol import Point
from spinewatch.storage.schema import make_point
from spinewatch.storage.store import LocalStore

T0_NS = 1_764_000_000 * 10**9  # late 2025, inside any retention window used in tests


def day_points(
    seconds: int, patient: str = "p-001", device: str = "imu-7", t0_ns: int = T0_NS
) -> list[Point]:
    """``seconds`` of one patient's results: 10 Hz angles and a bit of everything else."""
    out: list[Point] = []
    who: dict[str, Any] = {"patient": patient, "device": device}
    for s in range(seconds):
        t = t0_ns + s * 10**9
        for k in range(10):
            out.append(
                make_point(
                    "trunk_angles",
                    t + k * 10**8,
                    **who,
                    flexion_deg=round(20.0 * ((s * 10 + k) % 37) / 37.0, 3),
                    lateral_deg=-1.5,
                    twist_rate_deg_s=0.25 * k,
                )
            )
        out.append(
            make_point(
                "device_status", t, **who, battery_pct=90 - s / 100, connected=True, heartbeat=s
            )
        )
        if s % 10 == 0:
            out.append(make_point("steps", t, **who, count=s % 17, interval_s=10.0))
        if s % 30 == 0:
            out.append(
                make_point(
                    "events",
                    t,
                    **who,
                    tags={"profile": "fusion_weeks_0_6", "kind": "lift_like"},
                    peak_flexion_deg=41.5,
                    violates_profile=True,
                    technique='stoop, "deep" = risky',
                )
            )
    out.append(
        make_point(
            "daily_summary",
            t0_ns,
            **who,
            tags={"profile": "fusion_weeks_0_6"},
            steps=4400,
            wear_time_s=36000.0,
        )
    )
    return out


def store_points(store: LocalStore, skip_ids: set[int] | None = None) -> list[Any]:
    """Every point in the store, normalised and sorted; ``skip_ids`` left out (quarantined)."""
    rows = store._db.execute("SELECT id, measurement, tags, fields, time_ns FROM outbox").fetchall()
    out = [
        normalized(m, json.loads(tags), json.loads(fields), t)
        for i, m, tags, fields, t in rows
        if i not in (skip_ids or set())
    ]
    return sorted(out, key=repr)
