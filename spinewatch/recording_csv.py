"""CSV recordings: streaming block parser and row formatting.

Speed comes from parsing a whole block of complete lines (a few MB) at once:
with pyarrow's multi-threaded CSV parser when pyarrow is installed (about
2 M rows/s here), else with :func:`numpy.loadtxt` (about 0.5 M rows/s). Either
may reject a block for reasons that are fine (blank or comment lines) or
not (a bad cell); such a block is parsed again line by line in Python, which
either accepts it or raises a :class:`RecordingError` naming the exact line.
Memory is bounded by the block size, whatever the file's length.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Final

import numpy as np

from processing.types import FloatArray
from spinewatch.errors import RecordingError
from spinewatch.recording_base import RawBlock, normalise_name, place, present_columns

try:
    import pyarrow as _pa
    import pyarrow.csv as _pacsv
except ImportError:  # pragma: no cover - exercised only without the parquet extra
    _pa = None
    _pacsv = None

#: Longest line accepted; a longer one means this is not a CSV recording.
MAX_LINE_BYTES: Final = 1 << 20
_HEADER_EXAMPLE: Final = "t,ax,ay,az,gx,gy,gz"
_SHOW_CHARS: Final = 40


def _show(text: str) -> str:
    """A cell or line for an error message: quoted, cut to a readable length."""
    return repr(text if len(text) <= _SHOW_CHARS else text[:_SHOW_CHARS] + "…")


def _detect_delimiter(header: str) -> str | None:
    """The header's delimiter; None means runs of whitespace."""
    for candidate in (",", ";", "\t"):
        if candidate in header:
            return candidate
    return None


def _split(line: str, delimiter: str | None) -> list[str]:
    return line.split(delimiter) if delimiter is not None else line.split()


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class CsvSource:
    """A CSV recording opened for streaming (see :class:`spinewatch.recording_base.RowSource`).

    Leading lines that are empty or start with ``#`` come before the header;
    later ones are skipped too (on the slower line-by-line path).
    """

    position_word = "line"

    def __init__(self, path: Path, block_bytes: int = 1 << 22) -> None:
        self.path = path
        self._block_bytes = max(int(block_bytes), 1 << 12)
        try:
            self._file: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise RecordingError(
                f"cannot open: {exc.strerror or exc}", where=str(path), advice="check the path"
            ) from exc
        try:
            self._read_header()
        except BaseException:
            self._file.close()
            raise

    def _read_header(self) -> None:
        line_no = 0
        while True:
            raw = self._file.readline(MAX_LINE_BYTES)
            if not raw:
                what = "empty file" if line_no == 0 else "no header line, only blank or # lines"
                raise RecordingError(
                    what,
                    where=str(self.path),
                    advice=f"a CSV recording starts with a header such as {_HEADER_EXAMPLE}",
                )
            line_no += 1
            if not raw.endswith(b"\n") and len(raw) >= MAX_LINE_BYTES:
                raise RecordingError(
                    "first line is longer than 1 MB: not a CSV text file",
                    where=str(self.path),
                    advice="use .csv, .npz or .parquet files written by spinewatch",
                )
            try:
                text = raw.decode("utf-8-sig" if line_no == 1 else "utf-8").strip()
            except UnicodeDecodeError as exc:
                raise RecordingError(
                    "not a UTF-8 text file",
                    where=place(self.path, "line", line_no),
                    advice="binary recordings must end in .npz or .parquet",
                ) from exc
            if text and not text.startswith("#"):
                break
        self._delimiter = _detect_delimiter(text)
        self.raw_names = tuple(_split(text, self._delimiter))
        self.found = tuple(normalise_name(n) for n in self.raw_names)
        self.header_line = line_no
        self.header_looks_numeric = all(_looks_numeric(n) for n in self.found)
        seen: set[str] = set()
        for name in self.found:
            if name in seen and name:
                raise RecordingError(
                    f"column {name!r} appears twice in the header",
                    where=place(self.path, "line", line_no),
                    advice="give every column a unique name",
                )
            seen.add(name)
        self.present = present_columns(self.found)
        self._use = [self.found.index(c) for c in self.present]

    # ------------------------------------------------------------------ blocks

    def blocks(self) -> Iterator[RawBlock]:
        """Blocks of complete lines, parsed; the last line may lack its newline."""
        line = self.header_line + 1
        row = 0
        rest = b""
        while True:
            data = self._file.read(self._block_bytes)
            if not data:
                if rest.strip():
                    block = self._parse(rest, line, row, file_ends=True)
                    yield block
                return
            data = rest + data
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                if len(data) > MAX_LINE_BYTES:
                    raise RecordingError(
                        "line is longer than 1 MB",
                        where=place(self.path, "line", line),
                        advice="the file is damaged or not a CSV recording",
                    )
                rest = data
                continue
            text, rest = data[:cut], data[cut:]
            block = self._parse(text, line, row, file_ends=False)
            line += text.count(b"\n")
            row += len(block)
            if len(block):
                yield block

    def _parse(self, text: bytes, first_line: int, first_row: int, file_ends: bool) -> RawBlock:
        n_lines = text.count(b"\n") + (0 if text.endswith(b"\n") else 1)
        values = self._parse_fast(text, n_lines)
        if values is None:
            return self._parse_slow(text, first_line, first_row, file_ends)
        positions = np.arange(first_line, first_line + n_lines, dtype=np.int64)
        return RawBlock(values, positions, first_row)

    def _parse_fast(self, text: bytes, n_lines: int) -> FloatArray | None:
        """All lines of ``text`` parsed at once, or None if anything is unusual."""
        width = len(self.found)
        try:
            if _pacsv is not None and self._delimiter is not None:
                names = [f"c{i}" for i in range(width)]
                wanted = [names[i] for i in self._use]
                table = _pacsv.read_csv(
                    io.BytesIO(text),
                    read_options=_pacsv.ReadOptions(column_names=names, use_threads=True),
                    parse_options=_pacsv.ParseOptions(
                        delimiter=self._delimiter, quote_char=False, ignore_empty_lines=True
                    ),
                    convert_options=_pacsv.ConvertOptions(
                        column_types={name: _pa.float64() for name in wanted},
                        include_columns=wanted,
                        null_values=[""],
                        strings_can_be_null=False,
                    ),
                )
                if table.num_rows != n_lines:
                    return None
                columns = [table.column(name).to_numpy() for name in wanted]
                return (
                    np.column_stack(columns)
                    .astype(np.float64, copy=False)
                    .reshape(n_lines, len(wanted))
                )
            if self._delimiter is not None and text.count(self._delimiter.encode()) != n_lines * (
                width - 1
            ):
                # loadtxt ignores extra fields past the last used column.
                return None
            parsed = np.loadtxt(
                io.BytesIO(text),
                dtype=np.float64,
                delimiter=self._delimiter,
                usecols=self._use,
                ndmin=2,
                comments=None,
            )
        except (ValueError, TypeError, IndexError, _arrow_error()):
            return None
        if parsed.shape[0] != n_lines:
            return None
        result: FloatArray = parsed
        return result

    def _parse_slow(
        self, text: bytes, first_line: int, first_row: int, file_ends: bool
    ) -> RawBlock:
        """Line-by-line parse that accepts blank/# lines and names the first bad line."""
        width = len(self.found)
        lines = text.split(b"\n")
        if text.endswith(b"\n"):
            lines.pop()
        rows: list[list[float]] = []
        positions: list[int] = []
        for offset, raw in enumerate(lines):
            line_no = first_line + offset
            line = raw.decode("utf-8", errors="replace").strip()
            if not line or line.startswith("#"):
                continue
            fields = _split(line, self._delimiter)
            if len(fields) != width:
                last = not any(r.strip() for r in lines[offset + 1 :])
                self._raise_field_count(fields, line_no, last, file_ends)
            row: list[float] = []
            for column in self._use:
                cell = fields[column].strip()
                if not cell:
                    row.append(float("nan"))  # an empty cell is a missing value
                    continue
                try:
                    row.append(float(cell))
                except ValueError as exc:
                    raise RecordingError(
                        f"non-numeric value {_show(cell)} in column {self.found[column]!r}",
                        where=place(self.path, "line", line_no),
                        value=cell,
                        advice="every sample cell must be a number; fix or delete the line",
                    ) from exc
            rows.append(row)
            positions.append(line_no)
        values = np.array(rows, dtype=np.float64).reshape(len(rows), len(self._use))
        return RawBlock(values, np.array(positions, dtype=np.int64), first_row)

    def _raise_field_count(
        self, fields: list[str], line_no: int, last_in_block: bool, file_ends: bool
    ) -> None:
        width = len(fields)
        expected = len(self.found)
        if width < expected and last_in_block and (file_ends or self._only_blank_left()):
            raise RecordingError(
                f"truncated last line: {width} of {expected} fields",
                where=place(self.path, "line", line_no),
                value=width,
                advice="the recording was cut off while writing; delete the incomplete last line",
            )
        raise RecordingError(
            f"{width} fields, but the header (line {self.header_line}) has {expected}",
            where=place(self.path, "line", line_no),
            value=width,
            advice="every line needs one value per header column",
        )

    def _only_blank_left(self) -> bool:
        """True if nothing but whitespace follows the current block (peeks ≤ 64 kB)."""
        # Called only just before raising, so moving the file position is harmless.
        tail = self._file.read(1 << 16)
        return not tail.strip() and not self._file.read(1)

    def close(self) -> None:
        self._file.close()


def _arrow_error() -> type[Exception]:
    """pyarrow's base exception, or a placeholder that never matches."""
    if _pa is None:  # pragma: no cover
        return _NeverRaised
    error: type[Exception] = _pa.ArrowException
    return error


class _NeverRaised(Exception):
    pass


def format_rows(columns: list[FloatArray]) -> str:
    """CSV lines (each ending in a newline) for equally long columns of shape (n,).

    The first column (time, s) is written with ``repr``, which round-trips a
    float64 exactly; the others with 12 significant digits (relative error
    below 1e-12), which is about twice as fast to format.
    """
    n = int(columns[0].shape[0]) if columns else 0
    if n == 0:
        return ""
    line = ",".join(["%r"] + ["%.12g"] * (len(columns) - 1)) + "\n"
    stacked: Any = np.column_stack(columns).astype(np.float64, copy=False)
    return (line * n) % tuple(stacked.ravel().tolist())
