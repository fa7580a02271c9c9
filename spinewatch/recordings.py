"""Reading and writing IMU recordings (.csv, .npz, .parquet) in bounded memory.

A recording holds, per sample, the time ``t`` in seconds, specific force
``ax ay az`` and angular rate ``gx gy gz`` in the sensor frame, and optionally
the magnetic field ``mx my mz`` in µT. Column order is free and other columns
are ignored. Units default to m/s² and rad/s; :class:`RecordingOptions`
selects g or °/s instead, and a sample rate when there is no ``t`` column.

:func:`open_recording` streams any length of recording chunk by chunk:

    with open_recording(path, RecordingOptions(rate_hz=100)) as reader:
        for chunk in reader:          # ImuSamples, chunk_rows each
            ...
        print(reader.stats)

Rules, the same for every format:

* A row with a missing, NaN or infinite value in ``t`` or the six IMU
  columns is dropped, never repaired: the hole it leaves shows up as a gap.
  One :class:`RecordingWarning` per file reports the count and the first.
* Times must strictly increase; gaps and jitter are allowed and left alone.
* Anything else wrong raises :class:`RecordingError` with a one-line message
  naming the file and the line (text) or index (arrays). Rows before a bad
  line have already been yielded by then.
"""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Final

import numpy as np

from processing.quality import GapDetector
from processing.types import BoolArray, FloatArray, ImuSamples, IntArray
from spinewatch.errors import RecordingError
from spinewatch.recording_arrays import NpzSource, ParquetSource
from spinewatch.recording_base import (
    ACC_COLUMNS,
    ACC_UNITS,
    GYR_COLUMNS,
    GYR_UNITS,
    MAG_COLUMNS,
    MAX_LISTED,
    TIME_COLUMN,
    RawBlock,
    RecordingOptions,
    RecordingStats,
    RecordingWarning,
    RowSource,
    place,
)
from spinewatch.recording_csv import CsvSource
from spinewatch.recording_writer import CsvRecordingWriter, write_recording

__all__ = [
    "CsvRecordingWriter",
    "RecordingOptions",
    "RecordingReader",
    "RecordingStats",
    "RecordingWarning",
    "open_recording",
    "read_recording",
    "read_recording_with_magnetometer",
    "write_recording",
]

CSV_SUFFIXES: Final = (".csv", ".txt", ".tsv")
#: Samples whose median interval gives the nominal sample rate.
RATE_PROBE_ROWS: Final = 4096
_NON_FINITE: Final = "missing or NaN"
_INFINITE: Final = "infinite"


# One processed piece of samples: t (n,), acc (n, 3), gyr (n, 3), mag (n, 3) or None.
_Piece = tuple[FloatArray, FloatArray, FloatArray, FloatArray | None]


class RecordingReader:
    """A recording open for reading, chunk by chunk (use :func:`open_recording`).

    Iterating yields :class:`ImuSamples` of ``options.chunk_rows`` samples in
    SI units, in time order; the reader is single-pass. It is also a context
    manager that closes the file.

    Attributes:
        path: the file.
        columns: column names found in the file (normalised to lower case).
        has_magnetometer: the file has ``mx my mz``.
        sample_rate_hz: nominal sample rate, Hz: ``options.rate_hz`` if given,
            else from the median interval of the first 4096 samples.
        stats: running :class:`RecordingStats`.
    """

    def __init__(self, source: RowSource, options: RecordingOptions) -> None:
        self.path = source.path
        self.options = options
        self.columns = source.found
        self.has_magnetometer = all(c in source.present for c in MAG_COLUMNS)
        self.stats = RecordingStats(position_word=source.position_word)
        self._source = source
        self._word = source.position_word
        self._closed = False
        self._warned = False
        self._exhausted = False
        self._pending: deque[_Piece] = deque()
        self._pending_rows = 0
        self._last_t: float | None = None
        self._last_position = 0
        self._gaps: GapDetector | None = None
        try:
            self._layout(source)
            self._blocks = source.blocks()
            self.sample_rate_hz = self._prefetch()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------ opening

    def _layout(self, source: RowSource) -> None:
        present = source.present
        needed = list(ACC_COLUMNS + GYR_COLUMNS)
        if self.options.rate_hz is None:
            needed.insert(0, TIME_COLUMN)
        missing = [c for c in needed if c not in present]
        if missing:
            header = getattr(source, "header_looks_numeric", False)
            found = ", ".join(source.found) if source.found else "none"
            if missing == [TIME_COLUMN]:
                advice = "add a 't' column in seconds, or give the sample rate with --rate HZ"
                problem = "no time column 't' and no sample rate given"
            else:
                problem = (
                    f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)};"
                    f" found: {found}; needed: {', '.join(needed)}"
                )
                advice = "name the header columns t, ax, ay, az, gx, gy, gz; others are ignored"
                if header:
                    advice = "the first line looks like data, not a header; " + advice
            raise RecordingError(problem, where=str(self.path), value=missing, advice=advice)
        index = {name: i for i, name in enumerate(present)}
        self._t_index = index.get(TIME_COLUMN)
        self._acc_index = [index[c] for c in ACC_COLUMNS]
        self._gyr_index = [index[c] for c in GYR_COLUMNS]
        self._mag_index = [index[c] for c in MAG_COLUMNS] if self.has_magnetometer else None
        required = [*self._acc_index, *self._gyr_index]
        if self._t_index is not None:
            required.insert(0, self._t_index)
        self._required = required
        self._acc_scale = ACC_UNITS[self.options.acc_unit]
        self._gyr_scale = GYR_UNITS[self.options.gyr_unit]

    def _prefetch(self) -> float:
        """Reads the first samples to learn the nominal rate; returns it in Hz."""
        while self._pending_rows < RATE_PROBE_ROWS and not self._exhausted:
            self._pull()
        if self._pending_rows == 0:
            if self.stats.rows_read == 0:
                raise RecordingError(
                    "no data rows, only a header" if self._word == "line" else "no samples",
                    where=str(self.path),
                    advice="the recording is empty; record again or pick another file",
                )
            raise RecordingError(
                f"all {self.stats.rows_read} rows have missing, NaN or infinite values",
                where=str(self.path),
                advice="the sensor delivered no valid sample; check the device",
            )
        if self.options.rate_hz is not None:
            rate = float(self.options.rate_hz)
        else:
            times = np.concatenate([piece[0] for piece in self._pending])[:RATE_PROBE_ROWS]
            if times.shape[0] < 2:
                raise RecordingError(
                    "only one valid sample: cannot tell the sample rate",
                    where=str(self.path),
                    advice="give the sample rate with --rate HZ",
                )
            rate = 1.0 / float(np.median(np.diff(times)))
        self._gaps = GapDetector(rate)
        for piece in self._pending:
            self._detect_gaps(piece[0])
        return rate

    # ------------------------------------------------------------ reading

    def _pull(self) -> None:
        """Parses the next block into a pending piece (sets _exhausted at the end)."""
        try:
            block = next(self._blocks)
        except StopIteration:
            self._exhausted = True
            return
        self.stats.rows_read += len(block)
        values = block.values
        finite: BoolArray = np.logical_and.reduce(np.isfinite(values[:, self._required]), axis=1)
        if not finite.all():
            self._record_dropped(block, finite)
        kept = values[finite]
        if kept.shape[0] == 0:
            return
        positions = block.positions[finite]
        if self._t_index is not None:
            t = np.ascontiguousarray(kept[:, self._t_index])
        else:
            rate = float(self.options.rate_hz or 1.0)
            t = (block.first_row + np.flatnonzero(finite)).astype(np.float64) / rate
        self._check_increasing(t, positions)
        acc = kept[:, self._acc_index] * self._acc_scale
        gyr = kept[:, self._gyr_index] * self._gyr_scale
        mag = kept[:, self._mag_index] if self._mag_index is not None else None
        if self._gaps is not None:
            self._detect_gaps(t)
        self._pending.append((t, acc, gyr, mag))
        self._pending_rows += t.shape[0]

    def _record_dropped(self, block: RawBlock, finite: BoolArray) -> None:
        bad = ~finite
        stats = self.stats
        count = int(np.count_nonzero(bad))
        infinite = np.isinf(block.values[bad][:, self._required]).any(axis=1)
        nan = ~infinite & np.isnan(block.values[bad][:, self._required]).any(axis=1)
        for reason, n in (
            (_NON_FINITE, int(np.count_nonzero(nan))),
            (_INFINITE, int(np.count_nonzero(infinite))),
        ):
            if n:
                stats.drop_reasons[reason] = stats.drop_reasons.get(reason, 0) + n
        room = MAX_LISTED - len(stats.dropped_positions)
        if room > 0:
            stats.dropped_positions.extend(block.positions[bad][:room].tolist())
        stats.rows_dropped += count

    def _check_increasing(self, t: FloatArray, positions: IntArray) -> None:
        if self._last_t is not None:
            previous = np.concatenate(([self._last_t], t[:-1]))
            previous_pos = np.concatenate(([self._last_position], positions[:-1]))
        else:
            previous, previous_pos = t[:-1], positions[:-1]
            t, positions = t[1:], positions[1:]
        bad = np.flatnonzero(t <= previous)
        if bad.size:
            i = int(bad[0])
            here, before = float(t[i]), float(previous[i])
            where_before = f"{self._word} {int(previous_pos[i])}"
            if here == before:
                problem = f"duplicate time {here:.10g} s (also on {where_before})"
            else:
                problem = (
                    f"time goes backwards: {here:.10g} s after {before:.10g} s on {where_before}"
                )
            raise RecordingError(
                problem,
                where=place(self.path, self._word, int(positions[i])),
                value=here,
                advice="times must strictly increase; sort the rows and remove duplicates",
            )
        if t.shape[0]:
            self._last_t = float(t[-1])
            self._last_position = int(positions[-1])

    def _detect_gaps(self, t: FloatArray) -> None:
        if self._gaps is None:
            return
        found = self._gaps.update(t).gaps
        stats = self.stats
        stats.gap_count += len(found)
        stats.missing_samples += sum(g.missing_samples for g in found)
        room = MAX_LISTED - len(stats.gaps)
        if room > 0:
            stats.gaps.extend(found[:room])

    def _take(self, count: int) -> _Piece:
        """The next ``count`` pending samples, as one piece."""
        parts: list[_Piece] = []
        need = count
        while need:
            t, acc, gyr, mag = self._pending[0]
            n = t.shape[0]
            if n <= need:
                parts.append(self._pending.popleft())
                need -= n
            else:
                head = None if mag is None else mag[:need]
                tail = None if mag is None else mag[need:]
                parts.append((t[:need], acc[:need], gyr[:need], head))
                self._pending[0] = (t[need:], acc[need:], gyr[need:], tail)
                need = 0
        self._pending_rows -= count
        if len(parts) == 1:
            return parts[0]
        mags = [p[3] for p in parts]
        return (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
            None if mags[0] is None else np.concatenate([m for m in mags if m is not None]),
        )

    def iter_with_magnetometer(self) -> Iterator[tuple[ImuSamples, FloatArray | None]]:
        """Like iterating the reader, with each chunk's magnetic field, µT, shape (n, 3).

        The magnetometer is None when the file has none. Its rows are not
        checked for NaN (a missing magnetometer value does not drop a sample).
        """
        chunk = self.options.chunk_rows
        while not self._closed:
            while self._pending_rows < chunk and not self._exhausted:
                self._pull()
            if self._pending_rows == 0:
                break
            t, acc, gyr, mag = self._take(min(chunk, self._pending_rows))
            yield ImuSamples(t, acc, gyr), mag
        self._warn_dropped()

    def __iter__(self) -> Iterator[ImuSamples]:
        for samples, _ in self.iter_with_magnetometer():
            yield samples

    def _warn_dropped(self) -> None:
        stats = self.stats
        if stats.rows_dropped and not self._warned:
            self._warned = True
            reasons = ", ".join(f"{n} {why}" for why, n in stats.drop_reasons.items())
            warnings.warn(
                f"{self.path}: dropped {stats.rows_dropped} rows with missing, NaN or infinite "
                f"values ({reasons}), the first on {self._word} {stats.dropped_positions[0]}; "
                "they are left as gaps, not filled in",
                RecordingWarning,
                stacklevel=3,
            )

    def stats_dict(self) -> dict[str, object]:
        """Stats so far plus the file's layout, as JSON-ready values."""
        return {
            "columns": list(self.columns),
            "has_magnetometer": self.has_magnetometer,
            "sample_rate_hz": self.sample_rate_hz,
            **self.stats.as_dict(),
        }

    def close(self) -> None:
        """Closes the file; warns once about dropped rows if not done yet."""
        if self._closed:
            return
        self._closed = True
        self._source.close()
        self._warn_dropped()

    def __enter__(self) -> RecordingReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_recording(path: str | Path, options: RecordingOptions | None = None) -> RecordingReader:
    """Opens a recording for streaming; the format follows the suffix.

    ``.csv`` (also ``.txt``, ``.tsv``; comma, semicolon, tab or whitespace
    separated, with a header line), ``.npz`` or ``.parquet``. The first few
    thousand rows are parsed at once (to know the sample rate), so errors in
    them surface here.

    Raises:
        RecordingError: unknown suffix, unreadable or corrupt file, wrong
            columns, bad values (see the module docstring).
    """
    options = options or RecordingOptions()
    p = Path(path)
    suffix = p.suffix.lower()
    if p.is_dir():
        raise RecordingError("is a folder, not a recording file", where=str(p))
    block_rows = min(max(options.chunk_rows, RATE_PROBE_ROWS), 1 << 18)
    source: RowSource
    if suffix in CSV_SUFFIXES:
        # ~64 bytes per row; blocks of 64 kB to 4 MB keep parsing efficient.
        source = CsvSource(p, block_bytes=min(max(options.chunk_rows * 64, 1 << 16), 1 << 22))
    elif suffix == ".npz":
        source = NpzSource(p, block_rows)
    elif suffix in (".parquet", ".pq"):
        source = ParquetSource(p, block_rows)
    else:
        raise RecordingError(
            f"unknown recording format {suffix or '(no suffix)'!r}",
            where=str(p),
            advice="use a .csv, .npz or .parquet file",
        )
    return RecordingReader(source, options)


def read_recording_with_magnetometer(
    path: str | Path, options: RecordingOptions | None = None
) -> tuple[ImuSamples, FloatArray | None]:
    """A whole recording in memory, with its magnetometer (µT, (N, 3)) or None."""
    chunks: list[ImuSamples] = []
    mags: list[FloatArray] = []
    with open_recording(path, options) as reader:
        for samples, mag in reader.iter_with_magnetometer():
            chunks.append(samples)
            if mag is not None:
                mags.append(mag)
        has_mag = reader.has_magnetometer
    return ImuSamples.concat(chunks), (np.concatenate(mags) if has_mag else None)


def read_recording(path: str | Path, options: RecordingOptions | None = None) -> ImuSamples:
    """A whole recording in memory (for tests and small files); see :func:`open_recording`."""
    return read_recording_with_magnetometer(path, options)[0]
