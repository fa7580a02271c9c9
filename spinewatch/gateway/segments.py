"""Recording segments of the live gateway: one folder per run, found again after a restart.

``DATA/live/PATIENT/UTC-START/`` holds ``recording.csv`` (and its ``.packets.csv`` and
``.gaps.csv`` sidecars) and ``analysis/``. Folder names sort in time order, so the newest
previous segment tells where the data stopped before a restart. A day's
``daily_summary`` adds up every finished segment of that local day (:func:`day_total`), so
that a restart's segment does not replace the totals of the run before it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
from pathlib import Path
from typing import Final

from spinewatch.errors import SpinewatchError
from spinewatch.storage.lineprotocol import Point
from spinewatch.storage_feed import (
    FeedContext,
    local_midnight_ns,
    read_summary,
    read_totals,
    summary_point,
)

log = logging.getLogger("spinewatch.gateway")

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


def day_total(point: Point, segment: Path, ctx: FeedContext) -> Point:
    """``point`` (one segment's ``daily_summary``) plus every other finished segment's of the
    same patient whose summary falls on the same local day (their fields are all totals).

    A segment counts in the day it started (a run across local midnight is not split).
    """
    fields = dict(point.fields)
    for other in sorted(p for p in segment.parent.iterdir() if p.is_dir()):
        folder = other / "analysis"
        if other == segment or not (folder / "summary.json").is_file():
            continue
        try:
            summary = read_summary(folder)
            day = dataclasses.replace(
                ctx, start_utc=dt.datetime.fromtimestamp(float(summary["start_s"]), dt.UTC))
            if local_midnight_ns(day) != point.time_ns:
                continue  # another day: its events and alerts need not be read
            theirs = summary_point(read_totals(folder, summary), day)
        except (KeyError, TypeError, ValueError, SpinewatchError) as exc:
            log.warning("day total: segment %s left out: %s", other, exc)
            continue
        if theirs.tags == point.tags:
            for key, value in theirs.fields.items():
                mine = fields.get(key, 0)
                if isinstance(value, int | float) and isinstance(mine, int | float):
                    fields[key] = mine + value
    return dataclasses.replace(point, fields=fields)
