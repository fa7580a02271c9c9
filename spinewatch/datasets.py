"""Loaders for the public IMU datasets used to check accuracy (BROAD, HAPT, SisFall).

The files are not part of the project: they live in a ``datasets`` folder
found by :func:`datasets_dir` (environment variable ``SPINEWATCH_DATASETS``,
else ``../shared/datasets`` beside the checkout). Each loader returns
:class:`ImuSamples` in SI units plus the dataset's ground truth. Times are
made from the nominal rate, ``t = i / rate``, starting at 0.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from processing.types import GRAVITY_MPS2, BoolArray, FloatArray, ImuSamples
from spinewatch.errors import ConfigError, RecordingError

ENV_VAR: Final = "SPINEWATCH_DATASETS"

HAPT_RATE_HZ: Final = 50.0
SISFALL_RATE_HZ: Final = 200.0
#: ADXL345, 13 bit over ±16 g: g per count.
SISFALL_ACC_G_PER_COUNT: Final = 32.0 / 8192.0
#: ITG3200, 16 bit over ±2000 °/s: °/s per count.
SISFALL_GYR_DPS_PER_COUNT: Final = 4000.0 / 65536.0

#: HAPT activity ids (activity_labels.txt); 0 marks unlabelled samples.
HAPT_ACTIVITIES: Final = {
    0: "unlabelled",
    1: "walking",
    2: "walking_upstairs",
    3: "walking_downstairs",
    4: "sitting",
    5: "standing",
    6: "lying",
    7: "stand_to_sit",
    8: "sit_to_stand",
    9: "sit_to_lie",
    10: "lie_to_sit",
    11: "stand_to_lie",
    12: "lie_to_stand",
}
#: HAPT activity id → the coarse class spinewatch predicts.
HAPT_CLASSES: Final = {
    0: "unlabelled",
    1: "walking",
    2: "walking",
    3: "walking",
    4: "sitting",
    5: "standing",
    6: "lying",
    **{i: "transition" for i in range(7, 13)},
}

#: SisFall activity codes of the files in the shared subset (see its Readme).
SISFALL_ACTIVITIES: Final = {
    "D01": "walking slowly",
    "D07": "sit down slowly on a half-height chair and stand up",
    "D09": "sit down slowly on a low chair and stand up",
    "D12": "sit, lie down slowly, sit again",
    "D15": "bend at the knees (squat) and get up",
    "D16": "bend without bending the knees (stoop) and get up",
    "F01": "fall forward while walking, slip",
    "F08": "fall forward when trying to get up",
}

_HAPT_FILE: Final = re.compile(r"acc_exp(\d+)_user(\d+)\.txt$")
_SISFALL_FILE: Final = re.compile(r"^([DF]\d\d)_(S[AE]\d\d)_(R\d\d)")


def datasets_dir() -> Path | None:
    """The folder holding ``broad/``, ``hapt/`` and ``sisfall/``, or None if absent.

    Raises:
        ConfigError: ``SPINEWATCH_DATASETS`` is set but is not a folder
            (a wrong setting should not look like "no datasets").
    """
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise ConfigError(
                "is not a folder", where=f"${ENV_VAR}={env}", advice="unset it or fix the path"
            )
        return path
    # The checkout's parent: spinewatch/datasets.py → <repo> → <repo>/..
    beside = Path(__file__).resolve().parents[2] / "shared" / "datasets"
    return beside if beside.is_dir() else None


def _require_dir(sub: str) -> Path:
    root = datasets_dir()
    if root is None or not (root / sub).is_dir():
        raise RecordingError(
            f"dataset folder {sub!r} not found",
            where=str(root) if root else None,
            advice=f"set {ENV_VAR} to the folder holding broad/, hapt/ and sisfall/",
        )
    return root / sub


def _times(n: int, rate_hz: float) -> FloatArray:
    return np.arange(n, dtype=np.float64) / rate_hz


def _load_text(path: Path, **kwargs: object) -> FloatArray:
    try:
        data: FloatArray = np.loadtxt(path, dtype=np.float64, ndmin=2, **kwargs)  # type: ignore[call-overload]
    except (OSError, ValueError) as exc:
        raise RecordingError(
            f"cannot read dataset file ({exc})", where=str(path), advice="restore the dataset files"
        ) from exc
    return data


# ------------------------------------------------------------------------ BROAD


@dataclass(frozen=True, slots=True)
class BroadTrial:
    """One BROAD trial.

    Attributes:
        name: trial name (file stem).
        samples: IMU samples, m/s² and rad/s, N samples.
        mag_ut: magnetic field, µT, shape (N, 3).
        quat_wxyz: optical reference orientation, sensor to east-north-up
            earth frame, shape (N, 4), NaN where markers were lost.
        movement: shape (N,), True in the movement phases that are scored.
        sampling_rate_hz: the trial's sample rate (about 285.7 Hz).
    """

    name: str
    samples: ImuSamples
    mag_ut: FloatArray
    quat_wxyz: FloatArray
    movement: BoolArray
    sampling_rate_hz: float


def broad_trials() -> list[Path]:
    """The BROAD trial files available, sorted by name."""
    return sorted(_require_dir("broad").glob("*.mat"))


def load_broad(trial_path: str | Path) -> BroadTrial:
    """Loads a BROAD trial from its .mat file, or by name (``"01_undisturbed_slow_rotation_A"``)."""
    from scipy.io import loadmat

    path = Path(trial_path)
    if not path.exists() and path.suffix == "":
        path = _require_dir("broad") / f"{path.name}.mat"
    try:
        mat = loadmat(path)
        acc = np.asarray(mat["imu_acc"], dtype=np.float64)
        gyr = np.asarray(mat["imu_gyr"], dtype=np.float64)
        mag = np.asarray(mat["imu_mag"], dtype=np.float64)
        quat = np.asarray(mat["opt_quat"], dtype=np.float64)
        movement = np.asarray(mat["movement"]).reshape(-1).astype(np.bool_)
        rate = float(np.asarray(mat["sampling_rate"]).reshape(-1)[0])
    except (OSError, ValueError, KeyError) as exc:
        raise RecordingError(
            f"not a readable BROAD trial ({exc!r})",
            where=str(path),
            advice="pass one of the broad/*.mat files",
        ) from exc
    n = acc.shape[0]
    if quat.shape != (n, 4) or movement.shape != (n,) or mag.shape != (n, 3):
        raise RecordingError(
            "BROAD arrays have inconsistent shapes",
            where=str(path),
            value=(acc.shape, quat.shape, movement.shape),
        )
    return BroadTrial(path.stem, ImuSamples(_times(n, rate), acc, gyr), mag, quat, movement, rate)


# ------------------------------------------------------------------------- HAPT


@dataclass(frozen=True, slots=True)
class HaptExperiment:
    """One HAPT experiment's files."""

    experiment: int
    user: int
    acc_path: Path
    gyr_path: Path


@dataclass(frozen=True, slots=True)
class HaptRecording:
    """One HAPT experiment loaded.

    Attributes:
        experiment: the experiment's files.
        samples: IMU samples (smartphone on the waist), m/s² and rad/s, 50 Hz.
        activity: shape (N,), int8 activity id per sample (see
            :data:`HAPT_ACTIVITIES`), 0 where unlabelled.
    """

    experiment: HaptExperiment
    samples: ImuSamples
    activity: NDArray[np.int8]
    sampling_rate_hz: float = HAPT_RATE_HZ

    def classes(self) -> NDArray[np.str_]:
        """Per-sample class, shape (N,): walking, sitting, standing, lying,
        transition or unlabelled."""
        lookup = np.array([HAPT_CLASSES[i] for i in range(len(HAPT_CLASSES))])
        result: NDArray[np.str_] = lookup[self.activity]
        return result


def hapt_experiments() -> list[HaptExperiment]:
    """The HAPT experiments available, by experiment number."""
    folder = _require_dir("hapt")
    found: list[HaptExperiment] = []
    for acc in sorted(folder.glob("acc_exp*_user*.txt")):
        match = _HAPT_FILE.search(acc.name)
        if match is None:
            continue
        gyr = acc.with_name("gyro" + acc.name[len("acc") :])
        if gyr.exists():
            found.append(HaptExperiment(int(match[1]), int(match[2]), acc, gyr))
    return sorted(found, key=lambda e: e.experiment)


def load_hapt(exp: int | HaptExperiment) -> HaptRecording:
    """Loads a HAPT experiment (by number or from :func:`hapt_experiments`).

    Accelerations in the files are in g and become m/s²; rates are rad/s.
    Labels come from ``labels.txt`` (1-based inclusive sample ranges).
    """
    if isinstance(exp, int):
        available = hapt_experiments()
        chosen = next((e for e in available if e.experiment == exp), None)
        if chosen is None:
            raise RecordingError(
                f"no HAPT experiment {exp}",
                where=str(_require_dir("hapt")),
                advice=f"available: {', '.join(str(e.experiment) for e in available)}",
            )
        exp = chosen
    acc = _load_text(exp.acc_path) * GRAVITY_MPS2
    gyr = _load_text(exp.gyr_path)
    if acc.shape[1] != 3 or gyr.shape != acc.shape:
        raise RecordingError(
            "HAPT acc and gyro files differ in shape",
            where=str(exp.acc_path),
            value=(acc.shape, gyr.shape),
        )
    n = acc.shape[0]
    activity = np.zeros(n, dtype=np.int8)
    labels_path = exp.acc_path.with_name("labels.txt")
    labels = _load_text(labels_path).astype(np.int64)
    for experiment, user, act, first, last in labels.tolist():
        if experiment == exp.experiment and user == exp.user:
            activity[first - 1 : last] = act
    return HaptRecording(exp, ImuSamples(_times(n, HAPT_RATE_HZ), acc, gyr), activity)


# ---------------------------------------------------------------------- SisFall


@dataclass(frozen=True, slots=True)
class SisfallRecording:
    """One SisFall file (one activity, device on the waist, 200 Hz).

    Attributes:
        activity_code: e.g. "D07" (D = daily activity, F = fall).
        subject: e.g. "SA01" (SA adult, SE elderly).
        trial: e.g. "R01".
        samples: ADXL345 acceleration, m/s², and ITG3200 rate, rad/s.
    """

    path: Path
    activity_code: str
    subject: str
    trial: str
    samples: ImuSamples
    sampling_rate_hz: float = SISFALL_RATE_HZ

    @property
    def is_fall(self) -> bool:
        return self.activity_code.startswith("F")

    @property
    def activity(self) -> str:
        return SISFALL_ACTIVITIES.get(self.activity_code, self.activity_code)


def sisfall_files() -> list[Path]:
    """The SisFall recordings available, sorted by name."""
    return sorted(p for p in _require_dir("sisfall").glob("*.txt") if _SISFALL_FILE.match(p.name))


def load_sisfall(path: str | Path) -> SisfallRecording:
    """Loads a SisFall file (``D07_SA01_R01.txt``); raw counts become SI units."""
    p = Path(path)
    match = _SISFALL_FILE.match(p.name)
    if match is None:
        raise RecordingError(
            "not a SisFall file name",
            where=str(p),
            advice="names look like D07_SA01_R01.txt (activity_subject_trial)",
        )
    try:
        text = p.read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise RecordingError(f"cannot read ({exc.strerror})", where=str(p)) from exc
    # Each line ends in ';'; blank lines appear at the end of some files.
    rows = [line.strip().rstrip(";") for line in text.splitlines() if line.strip()]
    try:
        counts = np.loadtxt(rows, delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise RecordingError(
            f"not a SisFall data file ({exc})", where=str(p), advice="restore the dataset file"
        ) from exc
    if counts.shape[1] != 9:
        raise RecordingError(f"{counts.shape[1]} columns, expected 9", where=str(p))
    acc = counts[:, 0:3] * (SISFALL_ACC_G_PER_COUNT * GRAVITY_MPS2)
    gyr = np.deg2rad(counts[:, 3:6] * SISFALL_GYR_DPS_PER_COUNT)
    samples = ImuSamples(_times(counts.shape[0], SISFALL_RATE_HZ), acc, gyr)
    return SisfallRecording(p, match[1], match[2], match[3], samples)
