"""Pieces shared by the recording formats (see :mod:`spinewatch.recordings`).

A format module turns a file into a :class:`RowSource`: the column names it
found and an iterator of :class:`RawBlock` - rows of raw numbers in file
order, with where each row came from so that errors can point at it. Unit
conversion, dropping bad rows, time checks and re-chunking happen once, in
:class:`spinewatch.recordings.RecordingReader`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Protocol

from processing.quality import Gap
from processing.types import GRAVITY_MPS2, FloatArray, IntArray
from spinewatch.errors import ConfigError

TIME_COLUMN: Final = "t"
ACC_COLUMNS: Final = ("ax", "ay", "az")
GYR_COLUMNS: Final = ("gx", "gy", "gz")
MAG_COLUMNS: Final = ("mx", "my", "mz")
#: Every column a recording can carry, in the order blocks hold them.
KNOWN_COLUMNS: Final = (TIME_COLUMN, *ACC_COLUMNS, *GYR_COLUMNS, *MAG_COLUMNS)
#: The header ``write_recording`` writes (without magnetometer).
SAMPLE_COLUMNS: Final = (TIME_COLUMN, *ACC_COLUMNS, *GYR_COLUMNS)


ACC_UNITS: Final = {"m/s2": 1.0, "g": GRAVITY_MPS2}
GYR_UNITS: Final = {"rad/s": 1.0, "deg/s": math.pi / 180.0}
#: Dropped rows and gaps listed one by one in the stats (all are counted).
MAX_LISTED: Final = 1000


@dataclass(frozen=True, slots=True)
class RecordingOptions:
    """How to read a recording.

    Attributes:
        acc_unit: unit of ``ax ay az`` in the file: "m/s2" or "g" (9.80665 m/s²).
        gyr_unit: unit of ``gx gy gz`` in the file: "rad/s" or "deg/s".
        rate_hz: sample rate, Hz. Required when the file has no ``t`` column
            (then sample i is at i / rate_hz s); with a ``t`` column it only
            sets the nominal rate used for gap detection.
        chunk_rows: samples per chunk the reader yields (the last may be
            shorter); memory use grows with it.
    """

    acc_unit: str = "m/s2"
    gyr_unit: str = "rad/s"
    rate_hz: float | None = None
    chunk_rows: int = 100_000

    def __post_init__(self) -> None:
        if self.acc_unit not in ACC_UNITS:
            raise ConfigError(
                "unknown accelerometer unit",
                where="acc_unit",
                value=self.acc_unit,
                advice=f"use one of {', '.join(ACC_UNITS)}",
            )
        if self.gyr_unit not in GYR_UNITS:
            raise ConfigError(
                "unknown gyroscope unit",
                where="gyr_unit",
                value=self.gyr_unit,
                advice=f"use one of {', '.join(GYR_UNITS)}",
            )
        if self.rate_hz is not None and not (math.isfinite(self.rate_hz) and self.rate_hz > 0):
            raise ConfigError(
                f"sample rate must be a positive number of Hz, not {self.rate_hz!r}",
                where="rate_hz",
                value=self.rate_hz,
            )
        if (
            isinstance(self.chunk_rows, bool)
            or not isinstance(self.chunk_rows, int)
            or (self.chunk_rows < 1)
        ):
            raise ConfigError(
                f"chunk_rows must be a positive integer, not {self.chunk_rows!r}",
                where="chunk_rows",
                value=self.chunk_rows,
            )


@dataclass(slots=True)
class RecordingStats:
    """What the reader has seen so far (it parses a little ahead of what it yields).

    Attributes:
        position_word: "line" (text files, 1-based) or "index" (array files,
            0-based): the unit of ``dropped_positions``.
        rows_read: data rows parsed, kept or dropped.
        rows_dropped: rows dropped for missing, NaN or infinite values.
        drop_reasons: rows dropped per reason.
        dropped_positions: where the first ``MAX_LISTED`` dropped rows were.
        gap_count: gaps found (intervals over ``gap_factor`` nominal periods).
        missing_samples: estimated samples missing in those gaps.
        gaps: the first ``MAX_LISTED`` gaps.
    """

    position_word: str = "line"
    rows_read: int = 0
    rows_dropped: int = 0
    drop_reasons: dict[str, int] = field(default_factory=dict)
    dropped_positions: list[int] = field(default_factory=list)
    gap_count: int = 0
    missing_samples: int = 0
    gaps: list[Gap] = field(default_factory=list)

    @property
    def rows_kept(self) -> int:
        return self.rows_read - self.rows_dropped

    def as_dict(self) -> dict[str, object]:
        """The stats as plain JSON-ready values (gaps as [start_s, end_s, missing])."""
        return {
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "rows_dropped": self.rows_dropped,
            "drop_reasons": dict(self.drop_reasons),
            f"dropped_{self.position_word}s": list(self.dropped_positions),
            "gap_count": self.gap_count,
            "missing_samples": self.missing_samples,
            "gaps": [[g.start_s, g.end_s, g.missing_samples] for g in self.gaps],
        }


class RecordingWarning(UserWarning):
    """Something in a recording was skipped (rows with NaN values, a partial line)."""


@dataclass(frozen=True, slots=True)
class RawBlock:
    """Consecutive data rows of a file, as read.

    Attributes:
        values: shape (n, len(source.present)), float64, in the order of
            ``RowSource.present``; NaN where a cell was empty or null.
        positions: shape (n,), where each row is: the 1-based line number for
            text files, the 0-based sample index for array files.
        first_row: 0-based index of the first row among all data rows (used
            to make times from a sample rate; rows are consecutive).
    """

    values: FloatArray
    positions: IntArray
    first_row: int

    def __len__(self) -> int:
        return int(self.values.shape[0])


class RowSource(Protocol):
    """An open recording file that yields its rows in blocks."""

    path: Path
    #: Column names found in the file, normalised (stripped, lower case).
    found: tuple[str, ...]
    #: Known columns the blocks hold, a subset of KNOWN_COLUMNS in its order;
    #: the magnetometer only if all three axes are there.
    present: tuple[str, ...]
    #: "line" (text files) or "index" (array files): what positions count.
    position_word: str

    def blocks(self) -> Iterator[RawBlock]: ...

    def close(self) -> None: ...


def normalise_name(name: str) -> str:
    """Column name as compared: surrounding whitespace and quotes removed, lower case."""
    return name.strip().strip("\"'").strip().lower()


def present_columns(found: tuple[str, ...]) -> tuple[str, ...]:
    """The known columns among ``found``, in KNOWN_COLUMNS order."""
    have = set(found)
    mag = all(c in have for c in MAG_COLUMNS)
    return tuple(c for c in KNOWN_COLUMNS if c in have and (mag or c not in MAG_COLUMNS))


def place(path: Path, word: str, position: int) -> str:
    """Where a problem is, for ``SpinewatchError.where``: ``"rec.csv, line 12"``."""
    return f"{path}, {word} {position}"
