"""Lift-like movements: down to something low and back up, with their technique.

A lumbar sensor cannot weigh a load (a study that tried classified load
weight correctly 64 % of the time: Hlucny & Novak, Sensors 20:2323, 2020), so
these are *lift-like movements*; whether something was lifted, and how heavy,
is the patient's own report.

The detector follows *episodes*: from the first lean out of upright (the
trunk's inclination past ``LEAN_ENTER_DEG``, both from the day's reference and
from the patient's standing of the moment, :mod:`processing.stance`) until the
trunk has stayed upright for ``LEAN_QUIET_S``, or ``EPISODE_QUIET_S`` after a
brief lean that may be half a squat. Walking, sitting, lying and gaps end one too.
Each finished episode is judged by :mod:`processing.lift_judge`.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np

from processing.event_types import EventNotice, Phase
from processing.lift_judge import (
    COLUMNS,
    EPISODE_QUIET_S,
    LEAN_ENTER_DEG,
    LEAN_EXIT_DEG,
    ONSET_MAX_S,
    REST_PAD_S,
    Episode,
    Excursion,
    brief_lean,
    judge_episode,
)
from processing.posture import hysteresis
from processing.profile import ClinicalProfile
from processing.stance import StandingBaseline, inclination_deg
from processing.types import BoolArray, FloatArray, Posture

# An episode longer than this is work bent over, not a lift.
EPISODE_MAX_S: Final = 60.0
# Only a brief lean can be the first half of a squat (processing.lift_judge), whose bottom is
# upright: after any other lean, this long upright ends the episode (longer than SEAT_LINK_S,
# so that a seat just after it is still seen). Busy minutes of lifts and bends stay apart.
LEAN_QUIET_S: Final = 3.0
_STOPS: Final = (int(Posture.WALKING), int(Posture.SITTING), int(Posture.LYING),
                 int(Posture.NOT_WORN))  # fmt: skip
_SEATED: Final = (int(Posture.SITTING), int(Posture.LYING), int(Posture.NOT_WORN))


class LiftDetector:
    """Streaming lift-like movement detection (see the module doc)."""

    def __init__(self, profile: ClinicalProfile, rate_hz: float) -> None:
        self.profile = profile
        # Room for the rest before the movement and for walking back to its onset.
        self._pad = max(1, round((REST_PAD_S + ONSET_MAX_S) * rate_hz))
        self._on = False
        self._ep: Episode | None = None
        self._last_tilt_s = -math.inf
        self._dt = 1.0 / rate_hz  # sample period, s
        self._lean_from = -1  # index in the episode where the lean going on began; -1: none
        self._quiet_s = EPISODE_QUIET_S  # upright that ends the episode after its last lean
        self._dropped = False  # in a lean whose episode passed EPISODE_MAX_S
        self._settled = -1  # not known yet: no lift can start before a posture is seen
        self._pre: dict[str, np.ndarray] = {k: np.empty(0) for k in COLUMNS}
        self._stance = StandingBaseline(rate_hz)

    def update(
        self,
        t: FloatArray,
        flexion_deg: FloatArray,
        lateral_deg: FloatArray,
        posture: np.ndarray,
        vert_mps2: FloatArray,
        gap: BoolArray,
        inclination: FloatArray | None = None,
    ) -> list[EventNotice]:
        """Feed N final samples: times (s), trunk angles (°), posture codes, vertical free
        acceleration (m/s²) and gap flags, all shape (N,); the inclination (°, (N,)) if
        already worked out."""
        n = len(t)
        if n == 0:
            return []
        incl = inclination_deg(flexion_deg, lateral_deg) if inclination is None else inclination
        # A lean is a lean both from the day's upright reference and from the patient's quiet
        # standing of the moment, which can read a few degrees off it: measured from the
        # reference alone, such standing would never end an episode (or would seem to lean).
        # That standing is under LEAN_ENTER_DEG, so past twice that a lean is past it anyway.
        quiet = (posture == Posture.STANDING) & (incl < LEAN_ENTER_DEG) & ~gap
        seated = np.isin(posture, _SEATED) | gap
        lean = self._stance.lean_deg(
            flexion_deg, lateral_deg, incl, quiet, seated, LEAN_EXIT_DEG, 2 * LEAN_ENTER_DEG
        )
        # Walking, sitting, lying and off the body end an episode; no lean starts one there.
        stop = np.isin(posture, _STOPS)
        tilted, self._on = hysteresis(lean > LEAN_ENTER_DEG, lean < LEAN_EXIT_DEG, self._on)
        tilted &= ~stop
        cols = {"t": t, "flex": flexion_deg, "lat": lateral_deg, "incl": incl, "lean": lean,
                "vert": vert_mps2, "post": posture.astype(np.float64)}  # fmt: skip
        settled = self._settled_before(posture)
        change = (np.diff(tilted.astype(np.int8)) != 0) | (np.diff(stop.astype(np.int8)) != 0)
        cuts = np.flatnonzero(change) + 1
        bounds = np.unique(np.concatenate([[0, n], cuts, np.flatnonzero(gap)]))
        notices: list[EventNotice] = []
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            if gap[a]:
                self._ep, self._lean_from, self._dropped = None, -1, False  # nothing known across
            if stop[a]:
                self._dropped = False
                if self._ep is not None:
                    notices += self._close(int(posture[a]), float(t[a]))
            elif tilted[a]:
                if self._dropped:
                    continue  # the rest of a lean whose episode ran too long
                if self._ep is None:
                    self._ep = Episode(int(settled[a]), float(t[a]), 0)
                    self._seed_rest(cols, a)
                if self._lean_from < 0:
                    self._lean_from = self._ep.length
                self._ep.add(cols, a, b)
                self._last_tilt_s = float(t[b - 1])
                if float(t[b - 1]) - self._ep.start_s > EPISODE_MAX_S:
                    self._ep, self._lean_from, self._dropped = None, -1, True
            elif self._dropped:
                self._dropped = False
            elif self._ep is not None:
                if self._lean_from >= 0:
                    lean = self._ep.array("incl")[self._lean_from :]
                    # The sample period as the judge takes it, so that both agree on brief.
                    times = self._ep.array("t")
                    dt = float(np.median(np.diff(times))) if len(times) > 1 else self._dt
                    brief = brief_lean(dt, lean, Excursion(0, len(lean)))
                    self._quiet_s = EPISODE_QUIET_S if brief else LEAN_QUIET_S
                    self._lean_from = -1
                c = a + int(np.searchsorted(t[a:b], self._last_tilt_s + self._quiet_s))
                self._ep.add(cols, a, c)
                if c < b:
                    notices += self._close(int(settled[c]), float(t[c]))
        self._settled = int(settled[-1]) if posture[-1] == Posture.OTHER else int(posture[-1])
        for k in COLUMNS:
            self._pre[k] = np.concatenate([self._pre[k], cols[k][-self._pad :]])[-self._pad :]
        return notices

    def finish(self) -> list[EventNotice]:
        """Judge an episode the data ended in (as if the trunk stayed upright)."""
        if self._ep is None:
            return []
        return self._close(self._settled, float(self._ep.array("t")[-1]))

    def _settled_before(self, posture: np.ndarray) -> np.ndarray:
        """The last posture other than ``OTHER`` before each sample, shape (N,)."""
        known = posture != Posture.OTHER
        idx = np.where(known, np.arange(len(posture)), -1)
        last = np.maximum.accumulate(idx)
        prev = np.concatenate([[-1], last[:-1]])
        out = np.where(prev >= 0, posture[np.maximum(prev, 0)], self._settled)
        return np.asarray(out, dtype=np.int64)

    def _seed_rest(self, cols: dict[str, np.ndarray], i: int) -> None:
        """Start the episode's record with the rest just before it (zero-velocity start)."""
        ep = self._ep
        if ep is None:
            return
        a = max(0, i - self._pad)
        lead = self._pad - (i - a)
        if lead > 0 and len(self._pre["t"]):
            for k in COLUMNS:
                ep.parts.setdefault(k, []).append(self._pre[k][-lead:])
        ep.add(cols, a, i)
        ep.pad = ep.length

    def _close(self, after: int, decided_s: float) -> list[EventNotice]:
        ep, self._ep, self._lean_from = self._ep, None, -1
        if ep is None or not ep.parts:
            return []
        notices: list[EventNotice] = []
        for event in judge_episode(ep, after, self.profile, decided_s):
            notices += [EventNotice(Phase.OPENED, event), EventNotice(Phase.CLOSED, event)]
        return notices
