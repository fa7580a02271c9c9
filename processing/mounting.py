"""How the sensor sits on the body: the body's up and forward axes in sensor coordinates.

No calibration ritual is needed. Walking gives both axes:

* up: the trunk is upright while walking, so the mean of earth-up seen from
  the sensor over walking is the body's up axis;
* forward: walking is an inverted pendulum. The pelvis rises while it slows
  down in the first half of stance and falls while it speeds up, so forward
  acceleration is anti-correlated with vertical velocity; the horizontal
  direction whose acceleration correlates most negatively with vertical
  velocity is forward. (Checked on the HAPT recordings, where it agrees with
  the main axis of horizontal acceleration and makes sitting a backward
  pelvic tilt, as it is.)

A standing calibration window gives the up axis directly. A sensor worn in its
holder has nominal axes (from its device profile): they are used from the first
sample, so that alerts need not wait for walking, and the first walking block
measures the real ones, which replace them. Without walking, still postures and
bends tell them (:func:`upright_from_postures`): people lie in opposite ways but are
never upside down, and bend forward, deeper and more often than any other way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from processing.settings import MountingSettings
from processing.types import BoolArray, FloatArray, IntArray
from spinewatch.errors import InputDataError


@dataclass(frozen=True, slots=True)
class Mounting:
    """Body axes in sensor coordinates.

    Attributes:
        up: the body's up (superior) axis, unit vector, shape (3,).
        forward: the body's forward (anterior) axis, unit vector ⟂ up, shape (3,).
        source: how it was found: ``walking``, ``calibration``, ``fallback``, ``nominal``.
        forward_confidence: the pendulum correlation behind ``forward`` (0 when guessed).
    """

    up: FloatArray
    forward: FloatArray
    source: str
    forward_confidence: float = 0.0

    @property
    def sensor_to_body(self) -> FloatArray:
        """Rotation matrix taking sensor-frame vectors to body frame, shape (3, 3)."""
        left = np.cross(self.up, self.forward)
        return np.stack([self.forward, left, self.up])

    def up_angle_deg(self, other_up: FloatArray) -> float:
        """Angle between this up axis and ``other_up`` (3,), degrees."""
        return float(np.degrees(np.arccos(np.clip(np.dot(self.up, other_up), -1.0, 1.0))))


def _unit(v: FloatArray, what: str) -> FloatArray:
    n = float(np.linalg.norm(v))
    if not np.isfinite(n) or n < 1e-9:
        raise InputDataError(f"cannot estimate the {what} axis: no usable data", value=n)
    out: FloatArray = v / n
    return out


def any_perpendicular(up: FloatArray) -> FloatArray:
    """A unit vector ⟂ ``up`` (deterministic), for a forward axis when none is known."""
    axis = np.eye(3)[int(np.argmin(np.abs(up)))]
    return _unit(axis - np.dot(axis, up) * up, "forward")


def forward_from_pendulum(
    up: FloatArray, pendulum_sum: FloatArray, horiz_power: float, vert_power: float
) -> tuple[FloatArray, float]:
    """Forward axis from summed pendulum products over walking.

    Args:
        up: body up axis in sensor coordinates, shape (3,).
        pendulum_sum: sum over walking samples of horizontal acceleration times
            vertical velocity (sensor axes), shape (3,).
        horiz_power: sum of squared horizontal acceleration over the same samples.
        vert_power: sum of squared vertical velocity over the same samples.

    Returns:
        ``(forward, correlation)``: the unit forward axis ⟂ ``up`` and the
        correlation coefficient that supports it (0 to 1).
    """
    d = -(pendulum_sum - np.dot(pendulum_sum, up) * up)
    norm = float(np.linalg.norm(d))
    scale = float(np.sqrt(max(horiz_power, 0.0) * max(vert_power, 0.0)))
    if norm < 1e-12 or scale <= 0.0:
        return any_perpendicular(up), 0.0
    return d / norm, norm / scale


def mounting_from_walking(
    up_sum: FloatArray,
    pendulum_sum: FloatArray,
    horiz_power: float,
    vert_power: float,
    settings: MountingSettings,
) -> Mounting:
    """Mounting from sums over walking samples (see :func:`forward_from_pendulum`)."""
    up = _unit(up_sum, "up")
    forward, corr = forward_from_pendulum(up, pendulum_sum, horiz_power, vert_power)
    if corr < settings.min_pendulum_correlation:
        return Mounting(up, forward, "walking", 0.0)
    return Mounting(up, forward, "walking", corr)


# A sample is still enough to show the posture's up direction below this angular speed.
STILL_RADS = 0.3
# Samples within this angle of each other belong to the same still posture.
CLUSTER_DEG = 4.0
# Trunk tilts this far from upright (but short of lying), while moving, are bends and
# transitions, and those go forward; still tilts are left out, since sitting tilts the pelvis back.
BEND_RANGE_DEG = (12.0, 75.0)
MOVING_RADS = 0.15
_MAX_CANDIDATES = 256
_MAX_POINTS = 8192


def dominant_up(up_s: FloatArray, motion_rads: FloatArray) -> FloatArray:
    """The up direction of the most common still posture, for recordings without walking.

    Args:
        up_s: earth-up seen from the sensor, unit vectors, shape (N, 3).
        motion_rads: angular speed, rad/s, shape (N,).

    Returns:
        A unit vector, shape (3,): the mean of the largest cluster of still samples.
    """
    still = up_s[motion_rads < STILL_RADS]
    pts = still if len(still) >= 10 else up_s
    # Even subsampling keeps the cost bounded on long recordings and is deterministic.
    pts = pts[:: max(1, len(pts) // _MAX_POINTS)]
    cands = pts[:: max(1, len(pts) // _MAX_CANDIDATES)]
    near = (cands @ pts.T) > np.cos(np.radians(CLUSTER_DEG))
    best = cands[int(np.argmax(near.sum(axis=1)))]
    members = pts[(pts @ best) > np.cos(np.radians(CLUSTER_DEG))]
    return _unit(members.sum(axis=0), "up")


def forward_from_bends(
    up_s: FloatArray, motion_rads: FloatArray, up: FloatArray
) -> tuple[FloatArray, float]:
    """Forward axis from trunk tilts while moving: bends and sit-to-stand transitions.

    People bend forward far more often, and much further, than they lean back
    or sideways, and a sit-to-stand leans the trunk forward; tilts between
    12° and 75° (short of lying) while moving therefore point forward on
    average. Still tilts are left out: sitting tilts the pelvis backward.

    Args:
        up_s: earth-up seen from the sensor, unit vectors, shape (N, 3).
        motion_rads: angular speed, rad/s, shape (N,).
        up: the body's up axis in sensor coordinates, shape (3,).

    Returns:
        ``(forward, consistency)``: the unit axis ⟂ ``up`` and the length of the
        mean unit tilt direction (1 = all bends in one direction, 0 = none found).
    """
    cos = up_s @ up
    lo, hi = np.cos(np.radians(BEND_RANGE_DEG[1])), np.cos(np.radians(BEND_RANGE_DEG[0]))
    tilted = up_s[(cos > lo) & (cos < hi) & (motion_rads > MOVING_RADS)]
    return forward_from_peaks(tilted, up)


# Without walking, still postures are grouped at this angular radius (a little wider than
# CLUSTER_DEG: weight shifts spread standing over a few degrees).
POSTURE_DEG = 5.0
# Still postures this far apart are opposite: lying supine and prone, or on the left and
# right side. People are never upside down, so both of such a pair are lying, and the
# upright posture is at right angles to them (within LYING_PERP_DEG).
OPPOSITE_DEG = 150.0
LYING_PERP_DEG = 30.0
# Sitting and standing are within this angle of each other: one upright group.
UPRIGHT_GROUP_DEG = 35.0
# A bend: the trunk leaves upright (UPRIGHT_DEG), passes DEEP_DEG, and is upright again within
# BEND_MAX_S. Backward extension rarely passes 20-30 deg; flexion reaches 40-90 deg.
UPRIGHT_DEG = 25.0
DEEP_DEG = 35.0
BEND_MAX_S = 30.0
# Resting this long this far from upright is lying, not a bend, whichever way (as
# PostureSettings.lying_min_s and lying_enter_deg judge a face-down trunk).
REST_S = 5.0
REST_DEG = 55.0
# Upright postures held for at least this share of the upright still time may be standing.
STANDING_SHARE = 0.05


def still_postures(up_s: FloatArray, motion_rads: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Groups of still samples by direction of earth-up, largest first.

    Args:
        up_s: earth-up seen from the sensor, unit vectors, shape (N, 3).
        motion_rads: angular speed, rad/s, shape (N,).

    Returns:
        ``(centres, shares)``: unit centres, shape (K, 3), and the share of the still
        samples within ``POSTURE_DEG`` of each, shape (K,); groups under 1 % are left out.
    """
    still = up_s[motion_rads < STILL_RADS]
    pts = still if len(still) >= 10 else up_s
    pts = pts[:: max(1, len(pts) // _MAX_POINTS)]
    cands = pts[:: max(1, len(pts) // _MAX_CANDIDATES)]
    cos = np.cos(np.radians(POSTURE_DEG))
    left = np.ones(len(pts), bool)
    centres: list[FloatArray] = []
    shares: list[float] = []
    while left.any():
        best = cands[int(np.argmax(((cands @ pts[left].T) > cos).sum(axis=1)))]
        members = left & ((pts @ best) > cos)
        if members.sum() < max(1.0, 0.01 * len(pts)):
            break
        centres.append(_unit(pts[members].sum(axis=0), "up"))
        shares.append(float(members.sum()) / len(pts))
        left &= ~members
    return np.array(centres).reshape(-1, 3), np.array(shares)


def bend_spans(
    up_s: FloatArray, motion_rads: FloatArray, up: FloatArray, rate_hz: float
) -> tuple[IntArray, IntArray]:
    """Bends: brief deep excursions from upright, as ``(starts, stops)`` indices, shape (B,).

    A bend leaves upright (``UPRIGHT_DEG`` from ``up``, shape (3,)), passes ``DEEP_DEG``, and is
    upright again within ``BEND_MAX_S`` without resting (``REST_S``) past ``REST_DEG``: lying
    down and getting up again rests there. ``up_s`` (N, 3) is earth-up seen from the sensor,
    ``motion_rads`` (N,) the angular speed (rad/s), ``rate_hz`` the sample rate (Hz).
    """
    cos = up_s @ up
    away = cos < np.cos(np.radians(UPRIGHT_DEG))
    edges = np.flatnonzero(np.diff(away.astype(np.int8))) + 1
    starts = np.concatenate([[0], edges]).astype(np.int64)
    stops = np.concatenate([edges, [len(cos)]]).astype(np.int64)
    keep = away[starts] & (starts > 0) & (stops < len(cos))
    keep &= stops - starts <= BEND_MAX_S * rate_hz
    starts, stops = starts[keep], stops[keep]
    if len(starts) == 0:
        return starts, stops
    # Start and stop interleaved: every other reduction is one run's.
    bounds = np.ravel(np.column_stack([starts, stops]))
    deepest = np.minimum.reduceat(cos, bounds)[::2]
    resting = (cos < np.cos(np.radians(REST_DEG))) & (motion_rads < STILL_RADS)
    rest_n = np.add.reduceat(resting.astype(np.int64), bounds)[::2]
    bend = (deepest < np.cos(np.radians(DEEP_DEG))) & (rest_n < REST_S * rate_hz)
    return starts[bend], stops[bend]


def bend_peaks(
    up_s: FloatArray, motion_rads: FloatArray, up: FloatArray, rate_hz: float
) -> FloatArray:
    """Earth-up at the deepest point of each bend (:func:`bend_spans`), shape (B, 3)."""
    cos = up_s @ up
    starts, stops = bend_spans(up_s, motion_rads, up, rate_hz)
    peaks = [a + int(np.argmin(cos[a:b])) for a, b in zip(starts, stops, strict=True)]
    return up_s[np.array(peaks, dtype=np.int64)].reshape(-1, 3)


def forward_from_peaks(peaks: FloatArray, up: FloatArray) -> tuple[FloatArray, float]:
    """Forward axis ⟂ ``up`` from bend peaks or tilted samples (B, 3) of earth-up seen from
    the sensor; ``(forward, consistency)`` as in :func:`forward_from_bends`, consistency 0
    when there are none."""
    dev = peaks - np.outer(peaks @ up, up)
    size = np.linalg.norm(dev, axis=1)
    dev = dev[size > 1e-9] / size[size > 1e-9, None]  # a peak along ``up`` shows no way
    if len(dev) == 0:
        return any_perpendicular(up), 0.0
    mean = -dev.mean(axis=0)  # earth-up tilts backward in the body when the trunk bends forward
    norm = float(np.linalg.norm(mean))
    if norm < 1e-9:
        return any_perpendicular(up), 0.0
    return mean / norm, norm


def upright_from_postures(
    up_s: FloatArray, motion_rads: FloatArray, rate_hz: float
) -> tuple[FloatArray, FloatArray, float] | None:
    """The standing up direction from still postures and bends, for days without walking.

    Opposite pairs of still postures are lying (people are never upside down),
    and the upright group (standing, sitting) lies at right angles to them; of
    the groups that may be upright, it is the one people bend from (most bends,
    then most time). Within it sitting tilts the pelvis back: standing is the
    posture tilted furthest forward among those held for at least
    ``STANDING_SHARE`` of the group's time.

    Args:
        up_s: earth-up seen from the sensor, unit vectors, shape (N, 3).
        motion_rads: angular speed, rad/s, shape (N,).
        rate_hz: sample rate, Hz.

    Returns:
        ``(up, forward, consistency)``: unit vectors, shape (3,), forward from the bends
        (see :func:`forward_from_peaks`); None when there are no still postures.
    """
    centres, shares = still_postures(up_s, motion_rads)
    if len(centres) == 0:
        return None
    cos = centres @ centres.T
    lying = (cos < np.cos(np.radians(OPPOSITE_DEG))).any(axis=1)
    ok = ~lying
    if lying.any():
        perp = np.abs(centres @ centres[lying].T) < np.sin(np.radians(LYING_PERP_DEG))
        ok &= perp.all(axis=1)
    if not ok.any():
        ok = np.ones(len(centres), bool)
    group = (cos > np.cos(np.radians(UPRIGHT_GROUP_DEG))) & ~lying[None, :]
    group |= np.eye(len(centres), dtype=bool)
    centre = group.astype(np.float64) * shares[None, :] @ centres
    centre /= np.linalg.norm(centre, axis=1, keepdims=True)
    bends = np.array([len(bend_peaks(up_s, motion_rads, c, rate_hz)) for c in centre])
    score = np.where(ok, bends + group @ shares / 2.0, -1.0)  # bends count first
    k = int(np.argmax(score))
    members = np.flatnonzero(group[k] & ok)
    members = members[shares[members] >= STANDING_SHARE * shares[members].sum()]
    peaks = bend_peaks(up_s, motion_rads, centre[k], rate_hz)
    forward, consistency = forward_from_peaks(peaks, centre[k])
    if consistency == 0.0:
        up = centres[members[int(np.argmax(shares[members]))]]
    else:
        # Earth-up leans forward in the body when the pelvis tilts back: least of it is standing.
        up = centres[members[int(np.argmin(centres[members] @ forward))]]
    forward, consistency = forward_from_peaks(peaks, up)
    return up, forward, consistency


# Standing reference: still samples within this time of a walking bout, within this angle of
# the walking axis, at least this long in all.
STANDING_NEAR_WALK_S = 60.0
STANDING_MAX_DEG = 12.0
# Tilting this fast between walking and a still moment (sitting down, bending; turning on
# the spot does not tilt) means that moment is not the standing the walk ended in.
TRANSITION_RADS = 0.4
STANDING_STILL_RADS = 0.1
STANDING_MIN_S = 2.0


def standing_samples(
    up_s: FloatArray,
    motion_rads: FloatArray,
    tilt_rads: FloatArray,
    walking: BoolArray,
    walk_up: FloatArray,
    rate_hz: float,
) -> BoolArray:
    """Quiet standing next to walking: the samples that show the person's upright posture.

    Walking leans the pelvis forward by a few degrees; the person's upright
    posture is how they stand. People stand still just before and after they
    walk, so still, near-upright samples within ``STANDING_NEAR_WALK_S`` of a
    walking bout are taken as standing.

    Args:
        up_s: earth-up seen from the sensor, shape (N, 3).
        motion_rads: angular speed, rad/s, shape (N,).
        tilt_rads: tilting speed (turns left out), rad/s, shape (N,).
        walking: walking status, shape (N,).
        walk_up: the up axis found while walking, shape (3,).
        rate_hz: sample rate, Hz.

    Returns:
        Which samples are quiet standing, shape (N,).
    """
    n = len(walking)
    near = round(STANDING_NEAR_WALK_S * rate_hz)
    idx = np.arange(n)
    moved = tilt_rads > TRANSITION_RADS
    # After walking: the last walking sample is recent and nothing moved fast since.
    last_walk = np.maximum.accumulate(np.where(walking, idx, -1))
    last_move = np.maximum.accumulate(np.where(moved & ~walking, idx, -1))
    after = (last_walk >= 0) & (idx - last_walk <= near) & (last_move < last_walk)
    # Before walking: the same, looking forward to the next walking sample.
    big = n + near + 1
    next_walk = np.minimum.accumulate(np.where(walking, idx, big)[::-1])[::-1]
    next_move = np.minimum.accumulate(np.where(moved & ~walking, idx, big)[::-1])[::-1]
    before = (next_walk < n) & (next_walk - idx <= near) & (next_move > next_walk)
    upright = (up_s @ walk_up) > np.cos(np.radians(STANDING_MAX_DEG))
    still = motion_rads < STANDING_STILL_RADS
    sel: BoolArray = (after | before) & ~walking & upright & still
    return sel


def nominal_mounting(settings: MountingSettings) -> Mounting | None:
    """The nominal mounting of ``settings``, if the sensor's designed axes are given."""
    if settings.nominal_up_axis is None or settings.nominal_forward_axis is None:
        return None
    up = np.asarray(settings.nominal_up_axis, dtype=np.float64)
    up /= np.linalg.norm(up)
    fwd = np.asarray(settings.nominal_forward_axis, dtype=np.float64)
    fwd -= np.dot(fwd, up) * up
    return Mounting(up, fwd / np.linalg.norm(fwd), "nominal", 0.0)
