""".npz and .parquet recordings, read in blocks of rows.

An .npz file is a zip archive of .npy files. Rather than ``numpy.load``,
which reads a whole member at a time, each member is streamed: its .npy
header is parsed with :mod:`numpy.lib.format` and then rows are read from the
(possibly compressed) zip stream block by block, so memory stays bounded.
Members are one array per column (``t``, ``ax`` … ``gz``, ``mx`` … ``mz``,
shape (N,)); ``acc``, ``gyr`` and ``mag`` arrays of shape (N, 3) are accepted
too. Two cases fall back to loading the member whole (memory N × 8 bytes per
column): Fortran-ordered 2-D arrays and .npy format version 3.

Parquet files are read with ``pyarrow.parquet.ParquetFile.iter_batches``.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Final

import numpy as np
from numpy.lib import format as npy_format

from processing.types import FloatArray
from spinewatch.errors import RecordingError
from spinewatch.recording_base import (
    ACC_COLUMNS,
    GYR_COLUMNS,
    MAG_COLUMNS,
    RawBlock,
    normalise_name,
    present_columns,
)

_GROUPED: Final = {"acc": ACC_COLUMNS, "gyr": GYR_COLUMNS, "mag": MAG_COLUMNS}
_CORRUPT_ADVICE: Final = "the file is damaged or incomplete; write it again or restore a copy"
# Errors the zip and decompression layers raise on damaged data.
_ZIP_ERRORS: Final = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError)


class _NpyMember:
    """One .npy array inside the zip, read row block by row block."""

    def __init__(self, archive: zipfile.ZipFile, member: str, path: Path) -> None:
        self.member = member
        self._path = path
        self._stream: IO[bytes] = archive.open(member)
        self._whole: FloatArray | None = None
        self._offset = 0
        version = npy_format.read_magic(self._stream)
        if version == (1, 0):
            shape, fortran, dtype = npy_format.read_array_header_1_0(self._stream)
        elif version == (2, 0):
            shape, fortran, dtype = npy_format.read_array_header_2_0(self._stream)
        else:
            # No public header reader for newer versions: load it whole.
            self._stream.close()
            with archive.open(member) as fp:
                loaded = np.load(fp, allow_pickle=False)
            shape, fortran, dtype = loaded.shape, False, loaded.dtype
            self._whole = np.asarray(loaded, dtype=np.float64)
        if dtype.hasobject or dtype.kind not in "biuf":
            raise RecordingError(
                f"array {member!r} holds {dtype}, not numbers",
                where=str(path),
                advice="store samples as float or integer arrays",
            )
        self.shape: tuple[int, ...] = tuple(int(s) for s in shape)
        self._dtype = dtype
        self._row_items = int(np.prod(self.shape[1:], dtype=np.int64))
        if fortran and len(self.shape) > 1 and self._whole is None:
            # Rows of a Fortran-ordered array are not contiguous: load it whole.
            n_bytes = int(np.prod(self.shape, dtype=np.int64)) * dtype.itemsize
            data = self._stream.read(n_bytes)
            if len(data) != n_bytes:
                raise RecordingError(
                    f"array {member!r} is truncated", where=str(path), advice=_CORRUPT_ADVICE
                )
            whole = np.frombuffer(data, dtype=dtype).reshape(self.shape, order="F")
            self._whole = whole.astype(np.float64)

    def read(self, rows: int) -> FloatArray:
        """The next ``rows`` rows (fewer at the end), float64, shape (k,) or (k, 3)."""
        rows = min(rows, self.shape[0] - self._offset)
        if self._whole is not None:
            out = self._whole[self._offset : self._offset + rows]
        else:
            n_bytes = rows * self._row_items * self._dtype.itemsize
            data = self._stream.read(n_bytes)
            if len(data) != n_bytes:
                raise RecordingError(
                    f"array {self.member!r} is truncated",
                    where=str(self._path),
                    advice=_CORRUPT_ADVICE,
                )
            arr = np.frombuffer(data, dtype=self._dtype).reshape((rows, *self.shape[1:]))
            out = arr.astype(np.float64)
        self._offset += rows
        return out

    def close(self) -> None:
        self._stream.close()


class NpzSource:
    """An .npz recording opened for streaming (see ``RowSource``)."""

    position_word = "index"

    def __init__(self, path: Path, block_rows: int) -> None:
        self.path = path
        self._block_rows = max(int(block_rows), 1)
        self._members: list[_NpyMember] = []
        try:
            self._archive = zipfile.ZipFile(path)
        except FileNotFoundError as exc:
            raise RecordingError(
                "file not found", where=str(path), advice="check the path"
            ) from exc
        except _ZIP_ERRORS as exc:
            raise RecordingError(
                f"not a valid .npz file ({exc})", where=str(path), advice=_CORRUPT_ADVICE
            ) from exc
        try:
            self._open_members()
        except BaseException:
            self.close()
            raise

    def _open_members(self) -> None:
        by_name = {
            normalise_name(name[: -len(".npy")]): name
            for name in self._archive.namelist()
            if name.endswith(".npy")
        }
        # Per-column arrays win over grouped (N, 3) ones.
        columns: dict[str, tuple[str, int | None]] = {}
        for group, names in _GROUPED.items():
            if group in by_name:
                for axis, name in enumerate(names):
                    columns[name] = (by_name[group], axis)
        for name, member in by_name.items():
            if name not in _GROUPED:
                columns[name] = (member, None)
        self.found = tuple(columns)
        self.present = present_columns(self.found)
        opened: dict[str, _NpyMember] = {}
        self._plan: list[tuple[_NpyMember, int | None]] = []
        try:
            for name in self.present:
                member_name, column_axis = columns[name]
                if member_name not in opened:
                    opened[member_name] = _NpyMember(self._archive, member_name, self.path)
                    self._members.append(opened[member_name])
                self._plan.append((opened[member_name], column_axis))
        except _ZIP_ERRORS as exc:
            raise RecordingError(
                f"corrupt array in .npz file ({exc})", where=str(self.path), advice=_CORRUPT_ADVICE
            ) from exc
        lengths = {m.member: m.shape[0] if m.shape else -1 for m in self._members}
        for m in self._members:
            grouped = len(m.shape) == 2 and m.shape[1] == 3
            if len(m.shape) != 1 and not grouped:
                raise RecordingError(
                    f"array {m.member!r} has shape {m.shape}",
                    where=str(self.path),
                    advice="use one (N,) array per column, or (N, 3) arrays acc, gyr, mag",
                )
        if len(set(lengths.values())) > 1:
            listed = ", ".join(f"{k} {v}" for k, v in lengths.items())
            raise RecordingError(
                f"arrays have different lengths: {listed}",
                where=str(self.path),
                advice="every column needs one value per sample",
            )
        self.length = next(iter(lengths.values()), 0)

    def blocks(self) -> Iterator[RawBlock]:
        row = 0
        cache: dict[int, FloatArray] = {}
        while row < self.length:
            count = min(self._block_rows, self.length - row)
            cache.clear()
            columns: list[FloatArray] = []
            try:
                for member, axis in self._plan:
                    key = id(member)
                    if key not in cache:
                        cache[key] = member.read(count)
                    data = cache[key]
                    columns.append(data if axis is None else data[:, axis])
            except _ZIP_ERRORS as exc:
                raise RecordingError(
                    f"corrupt data in .npz file near index {row} ({exc})",
                    where=str(self.path),
                    advice=_CORRUPT_ADVICE,
                ) from exc
            values = np.column_stack(columns) if columns else np.empty((count, 0))
            yield RawBlock(values, np.arange(row, row + count, dtype=np.int64), row)
            row += count

    def close(self) -> None:
        for member in self._members:
            member.close()
        self._members.clear()
        archive = getattr(self, "_archive", None)
        if archive is not None:
            archive.close()


class ParquetSource:
    """A .parquet recording opened for streaming (see ``RowSource``)."""

    position_word = "index"

    def __init__(self, path: Path, block_rows: int) -> None:
        self.path = path
        self._block_rows = max(int(block_rows), 1)
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as exc:  # pragma: no cover - pyarrow is in the dev extra
            raise RecordingError(
                "reading .parquet needs pyarrow",
                where=str(path),
                advice="pip install 'spinewatch[parquet]', or convert the file to .csv or .npz",
            ) from exc
        self._pa: Any = pa
        if not path.exists():
            raise RecordingError("file not found", where=str(path), advice="check the path")
        try:
            self._file: Any = pq.ParquetFile(path)
            schema = self._file.schema_arrow
        except (pa.ArrowException, OSError) as exc:
            raise RecordingError(
                f"not a valid Parquet file ({exc})", where=str(path), advice=_CORRUPT_ADVICE
            ) from exc
        raw = {normalise_name(name): name for name in schema.names}
        self.found = tuple(raw)
        self.present = present_columns(self.found)
        self._raw = [raw[name] for name in self.present]
        for name in self._raw:
            kind = schema.field(name).type
            if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
                raise RecordingError(
                    f"column {name!r} has type {kind}, not numbers",
                    where=str(path),
                    advice="store samples as float or integer columns",
                )

    def blocks(self) -> Iterator[RawBlock]:
        pa = self._pa
        row = 0
        try:
            for batch in self._file.iter_batches(batch_size=self._block_rows, columns=self._raw):
                count = batch.num_rows
                columns = [
                    batch.column(i).cast(pa.float64()).fill_null(np.nan).to_numpy()
                    for i in range(len(self._raw))
                ]
                values = np.column_stack(columns) if columns else np.empty((count, 0))
                yield RawBlock(values, np.arange(row, row + count, dtype=np.int64), row)
                row += count
        except (pa.ArrowException, OSError) as exc:
            raise RecordingError(
                f"corrupt data in Parquet file near index {row} ({exc})",
                where=str(self.path),
                advice=_CORRUPT_ADVICE,
            ) from exc

    def close(self) -> None:
        closer = getattr(self._file, "close", None) if hasattr(self, "_file") else None
        if closer is not None:
            closer()
