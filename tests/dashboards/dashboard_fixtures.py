"""Constants and factories of the dashboards tests: the simulated patients and their days."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

DATABASE = "spinewatch"
DAY = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Patient:
    """One simulated patient: id, profile, the analysis folder and the recordings' starts."""

    id: str
    profile: str
    out: Path
    starts: tuple[dt.datetime, ...]


def activities(k: int) -> list[dict[str, object]]:
    walk = [{"type": "walking", "duration_s": 60 + 40 * k, "speed_mps": 0.8 + 0.1 * k}]
    risky = [{"type": "bend", "count": k + 1}, {"type": "lift", "count": 1, "technique": "stoop"}]
    if k == 1:
        risky.append({"type": "lift", "count": 1, "technique": "squat"})
    return [
        {"type": "standing", "duration_s": 20},
        *walk,
        *risky,
        {"type": "sitting", "duration_s": 120 + 60 * k},
        {"type": "standing", "duration_s": 10},
        {"type": "exercise", "exercise": "bridge", "reps": 6 + k},
        {"type": "standing", "duration_s": 10},
        *walk,
    ]


PROFILES = ("fusion_weeks_0_6", "discectomy_weeks_2_6", "maintenance")


