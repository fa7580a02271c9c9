"""What the analysis pipeline returns: final per-sample results, steps, mountings, events."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from processing.event_types import EventNotice
from processing.mounting import Mounting
from processing.types import FloatArray


@dataclass(frozen=True, slots=True)
class MountingChange:
    """From global sample ``index`` (time ``t_s``) on, results use ``mounting``."""

    index: int
    t_s: float
    mounting: Mounting


@dataclass(frozen=True, slots=True)
class AnalysisChunk:
    """Results finalised by one update; M samples, K steps.

    Attributes:
        start: global index of the first sample here.
        t_s: times, s, shape (M,).
        quat: sensor-to-earth quaternions (w, x, y, z), shape (M, 4).
        flexion_deg, lateral_deg, inclination_deg: trunk angles, shape (M,).
        posture: :class:`~processing.types.Posture` codes, int8, shape (M,).
        steps_t_s: times of newly confirmed steps, s, shape (K,).
        mounting_changes: mountings that took effect in this chunk.
        events: events opened or closed in these results, in time order.
    """

    start: int
    t_s: FloatArray
    quat: FloatArray
    flexion_deg: FloatArray
    lateral_deg: FloatArray
    inclination_deg: FloatArray
    posture: np.ndarray
    steps_t_s: FloatArray
    mounting_changes: tuple[MountingChange, ...] = ()
    events: tuple[EventNotice, ...] = ()

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


def concat_chunks(chunks: list[AnalysisChunk]) -> AnalysisChunk:
    """Join consecutive chunks into one."""
    nonempty = [c for c in chunks if len(c)]
    start = nonempty[0].start if nonempty else 0

    def cat(name: str, empty: np.ndarray) -> np.ndarray:
        arrs = [getattr(c, name) for c in chunks]
        return np.concatenate(arrs) if arrs else empty

    return AnalysisChunk(
        start,
        cat("t_s", np.empty(0)),
        cat("quat", np.empty((0, 4))),
        cat("flexion_deg", np.empty(0)),
        cat("lateral_deg", np.empty(0)),
        cat("inclination_deg", np.empty(0)),
        cat("posture", np.empty(0, dtype=np.int8)),
        cat("steps_t_s", np.empty(0)),
        tuple(m for c in chunks for m in c.mounting_changes),
        tuple(e for c in chunks for e in c.events),
    )
