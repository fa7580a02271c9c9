"""Lift-like movements: down to something low and back up, with their technique.

A lumbar sensor cannot weigh a load (a study that tried classified load
weight correctly 64 % of the time: Hlucny & Novak, Sensors 20:2323, 2020), so
these are *lift-like movements*; whether something was lifted, and how heavy,
is the patient's own report.

A lift-like movement is an excursion of the trunk forward, past
``LIFT_MIN_FLEX_DEG``, that starts and ends standing, with the trunk still
flexed at the bottom. Sitting down and standing up again is not one: at the
bottom of sitting down the pelvis tilts back and the excursion ends seated.
The technique comes from how far the pelvis went down (vertical acceleration
integrated twice, at rest at both ends): a *squat* lowers the pelvis and keeps
the trunk fairly upright; a *stoop* flexes the trunk with the pelvis high.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from processing.event_types import Event, EventNotice, Phase, Severity
from processing.posture import hysteresis
from processing.profile import ClinicalProfile
from processing.types import BoolArray, FloatArray, Posture

LIFT_MIN_FLEX_DEG: Final = 15.0
LIFT_END_FLEX_DEG: Final = 8.0
# At the bottom (the deepest quarter of the excursion) the trunk is still this far forward.
LIFT_BOTTOM_FLEX_DEG: Final = 8.0
LIFT_MIN_S: Final = 1.0
LIFT_MAX_S: Final = 20.0
# A squat lowers the pelvis at least this much with the trunk flexed less than SQUAT_MAX_FLEX_DEG.
SQUAT_MIN_DROP_M: Final = 0.25
SQUAT_MAX_FLEX_DEG: Final = 45.0
# Rest before and after the movement, for the zero-velocity ends of the integration.
REST_PAD_S: Final = 0.5

_UPRIGHT_START = (Posture.STANDING, Posture.OTHER, Posture.WALKING)


@dataclass(slots=True)
class _Excursion:
    start_s: float
    ok_start: bool
    t: list[FloatArray] = field(default_factory=list)
    flex: list[FloatArray] = field(default_factory=list)
    vert: list[FloatArray] = field(default_factory=list)


class LiftDetector:
    """Streaming lift-like movement detection (see the module doc)."""

    def __init__(self, profile: ClinicalProfile, rate_hz: float) -> None:
        self.profile = profile
        self._pad = max(1, round(REST_PAD_S * rate_hz))
        self._on = False
        self._exc: _Excursion | None = None
        self._last_posture = int(Posture.STANDING)
        self._pre_t = np.empty(0)
        self._pre_vert = np.empty(0)
        self._pre_flex = np.empty(0)

    def update(
        self,
        t: FloatArray,
        flexion_deg: FloatArray,
        posture: np.ndarray,
        vert_mps2: FloatArray,
        gap: BoolArray,
    ) -> list[EventNotice]:
        """Feed N final samples: times, flexion (°), posture, vertical free acc (m/s²), gaps."""
        notices: list[EventNotice] = []
        n = len(t)
        if n == 0:
            return notices
        fwd, self._on = hysteresis(
            flexion_deg > LIFT_MIN_FLEX_DEG, flexion_deg < LIFT_END_FLEX_DEG, self._on
        )
        prev = np.concatenate([[self._exc is not None], fwd[:-1]])
        starts = np.flatnonzero(fwd & ~prev)
        ends = np.flatnonzero(~fwd & prev)
        cuts = sorted([(int(i), 1) for i in starts] + [(int(i), 0) for i in ends]
                      + [(int(i), 2) for i in np.flatnonzero(gap)])  # fmt: skip
        pos = 0
        for i, kind in cuts:
            self._feed(t, flexion_deg, vert_mps2, pos, i)
            pos = i
            if kind == 2:
                self._exc = None  # nothing is known across a gap
            elif kind == 1 and self._exc is None:
                before = int(posture[i - 1]) if i > 0 else self._last_posture
                self._exc = _Excursion(float(t[i]), before in _UPRIGHT_START)
                self._seed_rest(t, flexion_deg, vert_mps2, i)
            elif kind == 0 and self._exc is not None:
                event = self._judge(self._exc, float(t[i - 1] if i > 0 else t[0]), int(posture[i]))
                self._exc = None
                if event is not None:
                    notices += [EventNotice(Phase.OPENED, event), EventNotice(Phase.CLOSED, event)]
        self._feed(t, flexion_deg, vert_mps2, pos, n)
        self._last_posture = int(posture[-1])
        keep = slice(max(0, n - self._pad), n)
        self._pre_t = np.concatenate([self._pre_t, t[keep]])[-self._pad :]
        self._pre_vert = np.concatenate([self._pre_vert, vert_mps2[keep]])[-self._pad :]
        self._pre_flex = np.concatenate([self._pre_flex, flexion_deg[keep]])[-self._pad :]
        return notices

    def _seed_rest(self, t: FloatArray, flex: FloatArray, vert: FloatArray, i: int) -> None:
        """Start the excursion's record with the rest just before it (zero-velocity start)."""
        exc = self._exc
        if exc is None:
            return
        a = max(0, i - self._pad)
        lead = self._pad - (i - a)
        if lead > 0:
            exc.t.append(self._pre_t[-lead:])
            exc.flex.append(self._pre_flex[-lead:])
            exc.vert.append(self._pre_vert[-lead:])
        exc.t.append(t[a:i])
        exc.flex.append(flex[a:i])
        exc.vert.append(vert[a:i])

    def _feed(self, t: FloatArray, flex: FloatArray, vert: FloatArray, a: int, b: int) -> None:
        exc = self._exc
        if exc is None or b <= a:
            return
        exc.t.append(t[a:b])
        exc.flex.append(flex[a:b])
        exc.vert.append(vert[a:b])
        if float(t[b - 1]) - exc.start_s > LIFT_MAX_S:
            self._exc = None  # too long to be a lift: a bout of work bent over

    def _judge(self, exc: _Excursion, end_s: float, posture_after: int) -> Event | None:
        if not exc.ok_start or posture_after not in _UPRIGHT_START:
            return None  # from or into sitting or lying: a transition, not a lift
        if end_s - exc.start_s < LIFT_MIN_S:
            return None
        t = np.concatenate(exc.t)
        flex = np.concatenate(exc.flex)
        vert = np.concatenate(exc.vert)
        peak = float(np.max(flex))
        deep = flex >= np.percentile(flex, 75)
        if float(np.min(flex[deep])) < LIFT_BOTTOM_FLEX_DEG:
            return None
        drop = _pelvis_drop_m(t, vert)
        squat = drop >= SQUAT_MIN_DROP_M and peak < SQUAT_MAX_FLEX_DEG
        p = self.profile
        if not p.lift_allowed or peak >= p.flexion_limit_deg:
            severity = Severity.BEYOND
        else:
            severity = Severity.CAUTION
        return Event("lift", exc.start_s, end_s, peak, "squat" if squat else "stoop",
                     severity, end_s)  # fmt: skip

    def finish(self) -> list[EventNotice]:
        self._exc = None
        return []


def _pelvis_drop_m(t: FloatArray, vert: FloatArray) -> float:
    """How far the sensor went down, m: vertical acceleration integrated twice, at rest at ends."""
    if len(t) < 3:
        return 0.0
    dt = np.diff(t, prepend=t[0])
    v = np.cumsum((vert - np.median(vert[: max(1, len(vert) // 10)])) * dt)
    # At rest before and after: remove the linear drift that bias leaves in the velocity.
    v -= np.linspace(0.0, v[-1], len(v))
    h = np.cumsum(v * dt)
    return float(max(0.0, -np.min(h))) if math.isfinite(float(np.min(h))) else 0.0
