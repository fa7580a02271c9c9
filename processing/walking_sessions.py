"""Walking sessions: the programme's walks, found in the posture stream.

Walking is the main early exercise after lumbar surgery (building up to 1–2 miles a
day). A walk of ``WALK_SESSION_MIN_S`` or more is a session; stops shorter than
``WALK_BREAK_S`` (a road crossing, a door) do not end it. A session is reported as an
exercise set of one "rep" whose ``hold_s`` is the time spent walking, so that a
prescription of sessions per day and minutes each (``hold_s``) is counted like holds.
Decisions depend only on the walking samples' times, so chunking does not change them.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Final

import numpy as np

from processing.exercise_types import ExerciseSet, RepDetail
from processing.types import FloatArray, Posture

WALK_SESSION_MIN_S: Final = 300.0
WALK_BREAK_S: Final = 60.0


@dataclass(slots=True)
class _Walk:
    start_s: float
    last_s: float
    walked_n: int


class WalkingSessions:
    """Streaming walking-session detection; ``sample_rate_hz`` is the stream's rate, Hz."""

    def __init__(self, sample_rate_hz: float) -> None:
        self._dt = 1.0 / sample_rate_hz
        self._walk: _Walk | None = None

    def update(self, t_s: FloatArray, posture: np.ndarray) -> list[ExerciseSet]:
        """Sessions that ended by these samples: times (N,) s, posture codes (N,).

        A session ends once ``WALK_BREAK_S`` passed without walking; its set has index -1
        (the caller numbers the sets of its stream).
        """
        out: list[ExerciseSet] = []
        walking = np.asarray(t_s)[np.asarray(posture) == Posture.WALKING]
        if len(walking):
            prev = np.concatenate([[self._walk.last_s if self._walk else -math.inf], walking[:-1]])
            breaks = np.flatnonzero(walking - prev > WALK_BREAK_S)
            bounds = [*breaks.tolist(), len(walking)]
            if self._walk is not None and (not breaks.size or breaks[0] > 0):
                first = bounds[0]
                self._walk.last_s = float(walking[first - 1])
                self._walk.walked_n += first
            for a, b in itertools.pairwise(bounds):
                self._close(out)
                self._walk = _Walk(float(walking[a]), float(walking[b - 1]), b - a)
        if self._walk is not None and len(t_s) and t_s[-1] - self._walk.last_s > WALK_BREAK_S:
            self._close(out)
        return out

    def finish(self) -> list[ExerciseSet]:
        out: list[ExerciseSet] = []
        self._close(out)
        return out

    def _close(self, out: list[ExerciseSet]) -> None:
        walk, self._walk = self._walk, None
        if walk is None or walk.last_s - walk.start_s < WALK_SESSION_MIN_S:
            return
        walked_s = walk.walked_n * self._dt
        rep = RepDetail(walk.start_s, walk.last_s, 0.0, walked_s, 0.0)
        out.append(ExerciseSet(-1, "walking", walk.start_s, walk.last_s, (rep,), True))
