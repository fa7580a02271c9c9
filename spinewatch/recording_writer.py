"""Writing recordings: whole arrays to .csv/.npz/.parquet, or CSV chunk by chunk.

Public names are re-exported by :mod:`spinewatch.recordings`.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from types import TracebackType
from typing import IO, Final

import numpy as np

from processing.types import FloatArray, ImuSamples
from spinewatch.errors import InputDataError, RecordingError
from spinewatch.recording_base import (
    MAG_COLUMNS,
    SAMPLE_COLUMNS,
    RecordingWarning,
    normalise_name,
    place,
)
from spinewatch.recording_csv import format_rows

#: Rows formatted at a time when writing CSV (bounds the text held in memory).
WRITE_CHUNK_ROWS: Final = 50_000
_TAIL_BYTES: Final = 1 << 16


def _check_mag(samples: ImuSamples, mag_ut: FloatArray | None) -> FloatArray | None:
    if mag_ut is None:
        return None
    mag = np.asarray(mag_ut, dtype=np.float64)
    if mag.shape != (len(samples), 3):
        raise InputDataError(
            f"mag_ut must have shape ({len(samples)}, 3)",
            value=mag.shape,
            advice="µT, one row per sample",
        )
    return mag


def _check_times(t_s: FloatArray, previous: float | None) -> None:
    """Raises InputDataError unless times are finite and strictly increasing."""
    t = t_s if previous is None else np.concatenate(([previous], t_s))
    if not np.isfinite(t_s).all():
        raise InputDataError("sample times must be finite", advice="drop samples without a time")
    bad = np.flatnonzero(np.diff(t) <= 0)
    if bad.size:
        i = int(bad[0])
        raise InputDataError(
            f"sample times must strictly increase: {t[i + 1]!r} s after {t[i]!r} s",
            value=float(t[i + 1]),
            advice="a reader would reject the file; sort or deduplicate first",
        )


def _columns(samples: ImuSamples, mag: FloatArray | None) -> dict[str, FloatArray]:
    cols = {"t": samples.t_s}
    for axis, name in enumerate(SAMPLE_COLUMNS[1:4]):
        cols[name] = samples.acc_mps2[:, axis]
    for axis, name in enumerate(SAMPLE_COLUMNS[4:7]):
        cols[name] = samples.gyr_rads[:, axis]
    if mag is not None:
        for axis, name in enumerate(MAG_COLUMNS):
            cols[name] = mag[:, axis]
    return {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in cols.items()}


def write_recording(
    path: str | Path, samples: ImuSamples, mag_ut: FloatArray | None = None
) -> None:
    """Writes samples (SI units) to a file whose suffix picks the format.

    ``.csv``: header ``t,ax,ay,az,gx,gy,gz[,mx,my,mz]``, time exact, other
    values to 12 significant digits, written in chunks. ``.npz``: one (N,)
    array per column. ``.parquet``: one float64 column per name.

    Args:
        path: destination; overwritten if it exists.
        samples: N samples, times strictly increasing.
        mag_ut: optional magnetic field, µT, shape (N, 3).

    Raises:
        InputDataError: bad shapes or times that a reader would reject.
        RecordingError: unknown suffix or the file cannot be written.
    """
    p = Path(path)
    mag = _check_mag(samples, mag_ut)
    _check_times(samples.t_s, None)
    suffix = p.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            with CsvRecordingWriter(p, with_magnetometer=mag is not None) as writer:
                writer.write(samples, mag)
        elif suffix == ".npz":
            with open(p, "wb") as fp:
                # A file object keeps numpy from appending another ".npz".
                np.savez(fp, **_columns(samples, mag))  # type: ignore[arg-type]
        elif suffix in (".parquet", ".pq"):
            _write_parquet(p, _columns(samples, mag))
        else:
            raise RecordingError(
                f"unknown recording format {suffix or '(no suffix)'!r}",
                where=str(p),
                advice="use a .csv, .npz or .parquet file name",
            )
    except OSError as exc:
        raise RecordingError(
            f"cannot write: {exc.strerror or exc}", where=str(p), advice="check the folder exists"
        ) from exc


def _write_parquet(path: Path, columns: dict[str, FloatArray]) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - pyarrow is in the dev extra
        raise RecordingError(
            "writing .parquet needs pyarrow",
            where=str(path),
            advice="pip install 'spinewatch[parquet]', or write .csv or .npz",
        ) from exc
    table = pa.table({name: pa.array(values) for name, values in columns.items()})
    pq.write_table(table, path, row_group_size=1 << 20)


class CsvRecordingWriter:
    """Writes a CSV recording chunk by chunk (for the live collector).

    Use as a context manager, or call :meth:`open`, :meth:`write`,
    :meth:`flush` and :meth:`close`. With ``append=True`` an existing file is
    continued: its header must match, an incomplete last line left by a crash
    is removed (with a :class:`~spinewatch.recordings.RecordingWarning`), and
    new times must come after its last time.

    Args:
        path: the CSV file.
        with_magnetometer: write ``mx my mz`` (µT) too.
        append: continue an existing file instead of replacing it.
    """

    def __init__(
        self, path: str | Path, *, with_magnetometer: bool = False, append: bool = False
    ) -> None:
        self.path = Path(path)
        self.with_magnetometer = with_magnetometer
        self.append = append
        self.names = SAMPLE_COLUMNS + (MAG_COLUMNS if with_magnetometer else ())
        self.rows_written = 0
        self._file: IO[str] | None = None
        self._last_t: float | None = None

    def open(self) -> CsvRecordingWriter:
        """Opens (creates, replaces or continues) the file; returns self."""
        if self._file is not None:
            return self
        try:
            write_header = True
            if self.append and self.path.exists() and self.path.stat().st_size > 0:
                self._prepare_append()
                write_header = False
            mode = "a" if self.append else "w"
            # newline="" keeps "\n" line ends on every platform.
            self._file = open(self.path, mode, encoding="utf-8", newline="")  # noqa: SIM115
            if write_header:
                self._file.write(",".join(self.names) + "\n")
        except OSError as exc:
            raise RecordingError(
                f"cannot write: {exc.strerror or exc}",
                where=str(self.path),
                advice="check the folder exists and is writable",
            ) from exc
        return self

    def _prepare_append(self) -> None:
        """Checks an existing file's header, cuts a partial last line, finds its last time."""
        with open(self.path, "rb+") as fp:
            header = fp.readline().decode("utf-8-sig", errors="replace").strip()
            found = tuple(normalise_name(n) for n in header.split(","))
            if found != self.names:
                raise RecordingError(
                    f"cannot append: header is {header!r}, expected {','.join(self.names)!r}",
                    where=place(self.path, "line", 1),
                    advice="append only to a file with the same columns, or start a new one",
                )
            size = fp.seek(0, os.SEEK_END)
            start = max(size - _TAIL_BYTES, 0)
            fp.seek(start)
            tail = fp.read()
            if not tail.endswith(b"\n"):
                cut = tail.rfind(b"\n")
                if cut < 0:
                    raise RecordingError(
                        "cannot append: last line is longer than 64 kB",
                        where=str(self.path),
                        advice="start a new file",
                    )
                fp.truncate(start + cut + 1)
                tail = tail[: cut + 1]
                warnings.warn(
                    f"{self.path}: removed an incomplete last line before appending",
                    RecordingWarning,
                    stacklevel=3,
                )
        lines = [ln for ln in tail.split(b"\n") if ln.strip()]
        try:
            self._last_t = float(lines[-1].split(b",")[0]) if lines else None
        except ValueError:
            self._last_t = None  # only the header, or a bad line the reader will report

    def write(self, samples: ImuSamples, mag_ut: FloatArray | None = None) -> None:
        """Appends samples (SI units); times must continue to increase.

        Raises:
            InputDataError: wrong magnetometer presence/shape, or times not
                after the previous ones.
        """
        if self._file is None:
            self.open()
        mag = _check_mag(samples, mag_ut)
        if (mag is not None) != self.with_magnetometer:
            raise InputDataError(
                "magnetometer values must be given exactly when the writer has with_magnetometer",
                value=mag is not None,
            )
        _check_times(samples.t_s, self._last_t)
        columns = list(_columns(samples, mag).values())
        file = self._file
        if file is None:  # pragma: no cover - open() sets it or raises
            raise RecordingError("writer is closed", where=str(self.path))
        n = len(samples)
        for start in range(0, n, WRITE_CHUNK_ROWS):
            file.write(format_rows([c[start : start + WRITE_CHUNK_ROWS] for c in columns]))
        if n:
            self._last_t = float(samples.t_s[-1])
        self.rows_written += n

    def flush(self, sync: bool = False) -> None:
        """Pushes written rows to the OS; ``sync=True`` also forces them to disk."""
        if self._file is not None:
            self._file.flush()
            if sync:
                os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> CsvRecordingWriter:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
