"""Exercise sets of the home programme, found in the analysis stream and counted.

:class:`ExerciseRecognizer` takes the analyser's final per-sample results
(:class:`~processing.results.AnalysisChunk`: trunk angles and posture) and
returns exercise sets; :func:`recognize_exercises` runs it over a whole
recording. Live and offline results are the same for any chunking: the
angles are block-averaged on the stream's own sample grid and every decision
is taken causally, at the sample that completes it.

How a set is found (see :mod:`processing.reps` for the reps themselves):

1. The angles are averaged over blocks of about 0.1 s (``rate_hz``). Each block
   is put in the trunk positions it could be an exercise in:
   lying on the back (flexion below −45°), face down (above +45°: prone, or hands
   and knees), or upright and not walking. Only the detectors of prescribed
   exercises run.
2. A detector per position turns the watched angle into reps: extension
   excursions (pelvic tilt, bridge, knee-to-chest; press-up and cat–camel; standing
   back extension), side tilts held (bird-dog), or full stands (sit-to-stand).
3. Reps less than ``max_gap_s`` apart form a set. When the set closes (the pause
   got longer, the position was left, the stream ended) the exercise is chosen
   among the prescribed ones of that detector by the reps' hold and range (and,
   face down, whether the trunk also flexed: cat–camel); two exercises of one
   position done back to back are split at the pause where the reps change
   character. Reps under ``partial_fraction`` of the median range or the
   exercise's minimum, or held implausibly long or short, are dropped, as is a
   first or last rep much slower than the others (getting up just before a set of
   stands); a set needs the exercise's ``min_reps`` (3 stands for sit-to-stand, so
   that sitting down and getting up once is no set).

Standing, an "extension" is not counted while the trunk is seated (a forward lean
then settling lower), or with a forward lean right before it (sitting down).

A set is reported as soon as it has enough reps, again after every further rep
(``final=False``, within about a second of the rep's end), and once more when it
closes (``final=True``). A set reported provisionally and then found wanting is
closed with no reps.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from processing.exercise_sets import make_set, split_point
from processing.exercise_types import (
    EXERCISE_MODELS,
    ExerciseModel,
    ExerciseSet,
    ExerciseSettings,
    Family,
    Prescribed,
)
from processing.reps import ExcursionDetector, RawRep, StandDetector
from processing.results import AnalysisChunk
from processing.types import BoolArray, FloatArray, Posture
from processing.walking_sessions import WalkingSessions
from spinewatch.errors import InputDataError

# Names other parts of the project use for the same exercise.
ALIASES = {"standing_extension": "standing_back_extension"}
# A jump in time larger than this between blocks is a gap in the data, s.
GAP_S = 1.0
# Standing, a forward lean this large next to an "extension" is sitting down, degrees.
SIT_LEAN_DEG = 12.0


# Where each detector's exercises start from (the watched angle), and how far off it may be:
# lying on the back or face down the trunk is horizontal; standing extension starts upright.
_REST_DEG = {
    Family.SUPINE: -90.0,
    Family.FACE_DOWN: 90.0,
    Family.FACE_DOWN_LATERAL: 0.0,
    Family.UPRIGHT: 0.0,
    Family.SIT_STAND: 0.0,
}
_REST_TOLERANCE_DEG = {
    Family.SUPINE: 25.0,
    Family.FACE_DOWN: 25.0,
    Family.FACE_DOWN_LATERAL: 15.0,
    Family.UPRIGHT: 10.0,
    Family.SIT_STAND: 90.0,
}


def canonical_name(name: str) -> str:
    """The prescription's name for an exercise (``standing_extension``: standing back extension)."""
    return ALIASES.get(name, name)


@dataclass(slots=True)
class _Blocks:
    """Block-averaged stream: all arrays have shape (B,)."""

    t: FloatArray
    flex: FloatArray
    lat: FloatArray
    incl: FloatArray
    walking: BoolArray
    off: BoolArray


class _FamilyTracker:
    """One detector, the reps it found and the set they are forming."""

    def __init__(
        self,
        family: Family,
        models: dict[str, ExerciseModel],
        settings: ExerciseSettings,
        rate_hz: float,
    ) -> None:
        self.family = family
        self.models = models
        self.settings = settings
        # Standing and lying on the back take most of a day, and their exercises move for a
        # second or more: every other block, which halves the cost. Stands are quick (at
        # twice the nominal tempo the upright moment between two leans lasts a few tenths
        # of a second) and face down is rare and its bird-dog tilts small: every block.
        self.stride = 2 if family in (Family.UPRIGHT, Family.SUPINE) else 1
        rate_hz /= self.stride
        max_out = settings.max_out_s
        self.excursion: ExcursionDetector | None = None
        self.stands: StandDetector | None = None
        self.seat: StandDetector | None = None
        rest = _REST_DEG[family]
        tol = _REST_TOLERANCE_DEG[family]
        rest_range = (rest - tol, rest + tol)
        if family is Family.SIT_STAND:
            self.stands = StandDetector(rate_hz)
        elif family is Family.FACE_DOWN_LATERAL:
            self.excursion = ExcursionDetector(
                rate_hz, 0.0, 0.6, 0.3, max_out, rest_range_deg=rest_range, top_fraction=0.7
            )
        elif family is Family.SUPINE:
            self.excursion = ExcursionDetector(
                rate_hz, -1.0, 1.0, 0.3, max_out, rest_range_deg=rest_range
            )
        elif family is Family.FACE_DOWN:
            self.excursion = ExcursionDetector(
                rate_hz,
                -1.0,
                2.0,
                0.8,
                max_out,
                resettle_s=8.0,
                rest_range_deg=rest_range,
                opposite_starts_rep=True,
            )
        else:
            self.excursion = ExcursionDetector(
                rate_hz, -1.0, 3.0, 1.0, max_out, rest_range_deg=rest_range
            )
            # Standing or seated? Leaning back in a chair is no standing extension.
            self.seat = StandDetector(rate_hz)
        self.active = False
        self.reps: list[RawRep] = []
        self.index: int | None = None  # set number, once reported
        self.busy_t = -np.inf  # last time the detector was away from rest, s

    def context(self, b: _Blocks) -> BoolArray:
        """Where this detector may look, per block, shape (B,)."""
        side_ok: BoolArray = (np.abs(b.lat) < 35.0) & ~b.off
        if self.family is Family.SUPINE:
            return side_ok & (b.flex < -45.0)
        if self.family in (Family.FACE_DOWN, Family.FACE_DOWN_LATERAL):
            return side_ok & (b.flex > 45.0)
        upper = 60.0 if self.family is Family.SIT_STAND else 50.0
        upright: BoolArray = (b.flex > -45.0) & (b.flex < upper) & (b.incl < 65.0)
        return side_ok & ~b.walking & upright

    @property
    def busy(self) -> bool:
        det = self.excursion if self.excursion is not None else self.stands
        return det is not None and det.busy

    def reset(self) -> None:
        for det in (self.excursion, self.stands, self.seat):
            if det is not None:
                det.reset()

    def step(self, t: float, flex: float, lat: float) -> RawRep | None:
        if self.stands is not None:
            return self.stands.step(t, flex)
        if self.excursion is None:
            return None
        x = lat if self.family is Family.FACE_DOWN_LATERAL else flex
        rep = self.excursion.step(t, x, flex, lat)
        if self.seat is not None:
            self.seat.step(t, flex)
        if rep is None:
            return None
        if self.family is Family.UPRIGHT and (
            rep.lean_deg >= SIT_LEAN_DEG or (self.seat is not None and self.seat.seated)
        ):
            return None  # sitting down, getting up or leaning back seated: not extension
        if abs(rep.rest_deg - _REST_DEG[self.family]) > _REST_TOLERANCE_DEG[self.family]:
            return None  # not from the exercise's starting position (e.g. from a bend)
        return rep

    def tentative(self, final: bool) -> ExerciseSet | None:
        """The set the reps so far make, or None if they are no set."""
        return make_set(self.family, self.models, self.settings, self.reps, final)

    def closing_sets(self) -> list[ExerciseSet]:
        """The final set(s) of the reps: split in two where the exercise changed."""
        k = split_point(self.family, self.models, self.reps)
        parts = [self.reps] if k is None else [self.reps[:k], self.reps[k:]]
        made = [make_set(self.family, self.models, self.settings, p, True) for p in parts]
        return [m for m in made if m is not None]


def _models_for(prescription: Sequence[Prescribed] | None) -> dict[str, ExerciseModel]:
    if prescription is None:
        return dict(EXERCISE_MODELS)
    out: dict[str, ExerciseModel] = {}
    for p in prescription:
        name = canonical_name(p.exercise)
        model = EXERCISE_MODELS.get(name)
        if model is None:
            continue  # walking, bracing: nothing to count as reps here
        if p.hold_s is not None:
            # The therapist's hold time is a better prior than the typical one.
            model = dataclasses.replace(
                model,
                typical_hold_s=(0.5 * p.hold_s, 1.5 * p.hold_s),
                max_hold_s=max(model.max_hold_s, 2.0 * p.hold_s),
            )
        out[name] = model
    return out


class ExerciseRecognizer:
    """Streaming exercise-set recogniser over the analyser's final results.

    Args:
        sample_rate_hz: nominal sample rate of the analysed stream, Hz.
        prescription: the patient's programme; only its exercises are recognised
            (None: every exercise the recogniser knows).
        settings: see :class:`~processing.exercise_types.ExerciseSettings`.
    """

    def __init__(
        self,
        sample_rate_hz: float,
        prescription: Sequence[Prescribed] | None = None,
        settings: ExerciseSettings | None = None,
    ) -> None:
        if not sample_rate_hz > 0:
            raise InputDataError("sample_rate_hz must be positive", value=sample_rate_hz)
        self.settings = settings or ExerciseSettings()
        self._block = max(1, round(sample_rate_hz / self.settings.rate_hz))
        rate = sample_rate_hz / self._block
        models = _models_for(prescription)
        self._families = [
            _FamilyTracker(f, by_family, self.settings, rate)
            for f in Family
            if (by_family := {n: m for n, m in models.items() if m.family is f})
        ]
        # Walks count as exercise only when the programme prescribes them.
        prescribed = {canonical_name(p.exercise) for p in prescription or ()}
        self._walks = WalkingSessions(sample_rate_hz) if "walking" in prescribed else None
        self._left: list[np.ndarray] = [np.empty(0)] * 6
        self._last_t = -np.inf
        self._count = 0  # blocks seen
        self._next_index = 0

    def update(self, chunk: AnalysisChunk) -> list[ExerciseSet]:
        """Feed the next final results; returns sets reported (provisional and final)."""
        out = self._run(self._blocks(chunk))
        if self._walks is not None:
            out += self._numbered(self._walks.update(chunk.t_s, np.asarray(chunk.posture)))
        return out

    def finish(self) -> list[ExerciseSet]:
        """End of stream: close every open set (a partial last block is dropped)."""
        out: list[ExerciseSet] = []
        for fam in self._families:
            self._close(fam, out)
        if self._walks is not None:
            out += self._numbered(self._walks.finish())
        return out

    def _numbered(self, sets: list[ExerciseSet]) -> list[ExerciseSet]:
        out = []
        for s in sets:
            out.append(dataclasses.replace(s, index=self._next_index))
            self._next_index += 1
        return out

    def _blocks(self, c: AnalysisChunk) -> _Blocks:
        n = len(c)
        for name in ("flexion_deg", "lateral_deg", "inclination_deg", "posture"):
            if getattr(c, name).shape != (n,):
                raise InputDataError(f"{name} must have shape ({n},)", value=getattr(c, name).shape)
        posture = np.asarray(c.posture)
        cols = [
            c.t_s,
            c.flexion_deg,
            c.lateral_deg,
            c.inclination_deg,
            (posture == Posture.WALKING).astype(np.float64),
            (posture == Posture.NOT_WORN).astype(np.float64),
        ]
        joined = [np.concatenate([a, b]) for a, b in zip(self._left, cols, strict=True)]
        nb = joined[0].shape[0] // self._block
        used = nb * self._block
        self._left = [a[used:] for a in joined]
        means = [a[:used].reshape(nb, self._block).mean(axis=1) for a in joined]
        return _Blocks(means[0], means[1], means[2], means[3], means[4] > 0, means[5] > 0)

    def _run(self, b: _Blocks) -> list[ExerciseSet]:
        out: list[ExerciseSet] = []
        if b.t.shape[0] == 0:
            return out
        contexts = [fam.context(b) for fam in self._families]
        t_all, f_all, l_all = b.t.tolist(), b.flex.tolist(), b.lat.tolist()
        for i, t in enumerate(t_all):
            gap = t - self._last_t > GAP_S
            self._last_t = t
            n = self._count
            self._count += 1
            for fam, ctx in zip(self._families, contexts, strict=True):
                if gap or not ctx[i]:
                    if fam.active:
                        fam.reset()
                        fam.active = False
                        self._close(fam, out)
                    if not ctx[i]:
                        continue
                if n % fam.stride:
                    continue  # on the stream's own block grid: the same for any chunking
                fam.active = True
                rep = fam.step(t, f_all[i], l_all[i])
                if rep is not None:
                    if fam.reps and rep.start_s - fam.reps[-1].end_s > self.settings.max_gap_s:
                        self._close(fam, out)
                    fam.reps.append(rep)
                    self._report(fam, out)
                elif fam.busy:
                    fam.busy_t = t
                elif fam.reps and t - max(fam.reps[-1].end_s, fam.busy_t) > self.settings.max_gap_s:
                    # Still at rest (or never quite away: cat to camel crosses rest) that long.
                    self._close(fam, out)
        return out

    def _report(self, fam: _FamilyTracker, out: list[ExerciseSet]) -> None:
        """A provisional report of the set forming (once it has enough reps)."""
        s = fam.tentative(final=False)
        if s is None:
            return
        if fam.index is None:
            fam.index = self._next_index
            self._next_index += 1
        out.append(dataclasses.replace(s, index=fam.index))

    def _close(self, fam: _FamilyTracker, out: list[ExerciseSet]) -> None:
        if fam.reps:
            sets = fam.closing_sets()
            if not sets and fam.index is not None:
                # Reported before, no set after all: say so.
                out.append(dataclasses.replace(_empty(fam), index=fam.index))
            for s in sets:
                if fam.index is None:
                    fam.index = self._next_index
                    self._next_index += 1
                out.append(dataclasses.replace(s, index=fam.index))
                fam.index = None
        fam.reps = []
        fam.index = None


def _empty(fam: _FamilyTracker) -> ExerciseSet:
    name = next(iter(fam.models))
    t = fam.reps[-1].end_s if fam.reps else 0.0
    return ExerciseSet(-1, name, t, t, (), True)


def recognize_exercises(
    results: AnalysisChunk,
    sample_rate_hz: float,
    prescription: Sequence[Prescribed] | None = None,
    settings: ExerciseSettings | None = None,
) -> list[ExerciseSet]:
    """Offline: the final exercise sets (with reps) of a whole recording's results, by start."""
    rec = ExerciseRecognizer(sample_rate_hz, prescription, settings)
    found = rec.update(results) + rec.finish()
    return final_sets(found)


def final_sets(reports: Sequence[ExerciseSet]) -> list[ExerciseSet]:
    """The closed sets with reps among streamed reports, in order of start."""
    return sorted((s for s in reports if s.final and s.reps), key=lambda s: s.start_s)
