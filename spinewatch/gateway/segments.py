"""Recording segments of the live gateway: one folder per run, found again after a restart.

``DATA/live/PATIENT/UTC-START/`` holds ``recording.csv`` (and its ``.packets.csv`` and
``.gaps.csv`` sidecars) and ``analysis/``. Folder names sort in time order, so the newest
previous segment tells where the data stopped before a restart.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Final

_TAIL_BYTES: Final = 4096


def new_segment(patient_dir: Path) -> Path:
    """The folder of a segment starting now (not created)."""
    return patient_dir / dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def previous_last_utc(patient_dir: Path) -> float | None:
    """The last sample time (UTC s) recorded by the newest previous segment, if any."""
    if not patient_dir.is_dir():
        return None
    for seg in sorted((p for p in patient_dir.iterdir() if p.is_dir()), reverse=True):
        t = last_recorded_utc(seg / "recording.csv")
        if t is not None:
            return t
    return None


def last_recorded_utc(path: Path) -> float | None:
    """The time (UTC s) of the last complete row of a CSV recording, or None."""
    try:
        with path.open("rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(size - _TAIL_BYTES, 0))
            tail = fh.read()
    except OSError:
        return None
    lines = tail.split(b"\n")[:-1]  # the last piece is empty or an incomplete line
    for line in reversed(lines):
        try:
            return float(line.split(b",")[0])
        except ValueError:
            continue
    return None
