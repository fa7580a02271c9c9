"""Test helpers for the gateway: settings for a temporary data folder, a virtual run."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
from pathlib import Path
from typing import Any

from spinewatch.analysis import CHUNK_ROWS, analyze_recording
from spinewatch.gateway.runner import Gateway
from spinewatch.gateway.virtual import VirtualSpec
from spinewatch.recordings import RecordingOptions
from spinewatch.settings import AlertsSettings, PathsSettings, Settings
from spinewatch.storage.lineprotocol import Point

logging.getLogger("bumble").setLevel(logging.ERROR)


def gateway_settings(data_dir: Path, **sections: Any) -> Settings:
    """Default settings with everything under ``data_dir`` (no terminal channel)."""
    return dataclasses.replace(
        Settings(),
        paths=PathsSettings(data_dir=data_dir),
        alerts=AlertsSettings(terminal=False),
        **sections,
    )


def run_virtual_gateway(data_dir: Path, *, duration_s: float, speed: float,
                        drop_every_s: float | None = None, **kwargs: Any) -> Gateway:
    """One gateway run on a virtual sensor (simulated demo day) until ``duration_s``."""
    spec = VirtualSpec(scenario="demo_day", speed=speed, duration_s=duration_s,
                       drop_every_s=drop_every_s)
    gateway = Gateway(gateway_settings(data_dir), virtual=spec, **kwargs)
    asyncio.run(gateway.run(asyncio.Event()))
    return gateway


def true_gaps(delivered: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(first missing index, number missing) between consecutive delivered packets."""
    return [(f0 + n0, f1 - f0 - n0) for (f0, n0), (f1, _) in itertools.pairwise(delivered)
            if f1 != f0 + n0]


def point_key(p: Point) -> tuple[object, ...]:
    """A point as a hashable value (measurement, tags, time, fields), to count and compare."""
    return (p.measurement, tuple(sorted(p.tags.items())), p.time_ns,
            tuple(sorted(p.fields.items())))


def analyze_offline(gateway: Gateway, out: Path) -> Path:
    """``spinewatch analyze`` on a finished gateway's recording, with its live options at
    the nominal rate: what the live results must equal. Returns ``out``."""
    if gateway.session is None:
        raise ValueError("the gateway has not run")
    options = dataclasses.replace(
        gateway.session.options,
        recording=RecordingOptions(rate_hz=float(gateway.rate_hz), chunk_rows=CHUNK_ROWS))
    analyze_recording(gateway.recording, out, options)
    return out
