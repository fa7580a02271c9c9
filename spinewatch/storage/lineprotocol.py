"""InfluxDB line protocol as pure functions: a :class:`Point` in, text out.

One point is one line::

    measurement,tag1=v1,tag2=v2 field1=1.5,field2=3i,field3="text",field4=true 1700000000000000000

Escaping follows InfluxDB's line-protocol reference (the same in 1.x, 2.x and 3.x):

* measurement: ``,`` and space are escaped with a backslash;
* tag keys, tag values and field keys: ``,``, ``=`` and space are escaped;
* string field values are double-quoted, with ``"`` and ``\\`` escaped;
* newlines (``\\n``, ``\\r``) are not representable anywhere and are rejected;
* any other character, unicode included, is written as UTF-8 as it is.

A backslash inside a name or tag value is literal, except that it would
escape the character after it; so a backslash that ends a name or tag value,
or that precedes a character needing an escape, cannot be written
unambiguously and is rejected, as are empty names, empty tag values and
names starting with ``_`` (reserved by InfluxDB 2.x) and measurements
starting with ``#`` (a comment line). Tags are written
sorted by key (InfluxDB's recommended order) and fields sorted by key, so
that one point always has one encoding. Timestamps are integer nanoseconds
since the Unix epoch (UTC); every write uses ``precision=ns``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from spinewatch.errors import StorageError

FieldValue = float | int | bool | str

INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
MAX_STRING_FIELD_BYTES: Final = 64 * 1024
"""InfluxDB's limit on one string field value, in bytes of UTF-8."""

_MEASUREMENT_SPECIALS: Final = (",", " ")
_KEY_SPECIALS: Final = (",", "=", " ")
_NEWLINES: Final = ("\n", "\r")
_CACHE_SIZE: Final = 4096
"""Escaped names and tag values remembered (they repeat: patient, device, field keys)."""


@dataclass(frozen=True, slots=True)
class Point:
    """One result point: a measurement, its tags, fields and time.

    ``time_ns`` is nanoseconds since the Unix epoch (UTC). ``tags`` and
    ``fields`` are copied into plain dicts; two points are equal when their
    measurement, tags, fields and time are equal.
    """

    measurement: str
    tags: Mapping[str, str]
    fields: Mapping[str, FieldValue]
    time_ns: int
    _key: tuple[object, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tags", dict(self.tags))
        object.__setattr__(self, "fields", dict(self.fields))
        object.__setattr__(
            self,
            "_key",
            (
                self.measurement,
                tuple(sorted(self.tags.items())),
                tuple(sorted((k, type(v).__name__, v) for k, v in self.fields.items())),
                self.time_ns,
            ),
        )

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Point):
            return NotImplemented
        return self._key == other._key


def _check_text(text: str, what: str, specials: tuple[str, ...]) -> None:
    if not isinstance(text, str):
        raise StorageError(f"{what} must be a string", where="line protocol", value=text)
    if not text:
        raise StorageError(f"{what} must not be empty", where="line protocol", value=text)
    if any(c in text for c in _NEWLINES):
        raise StorageError(
            f"{what} contains a newline, which line protocol cannot carry",
            where="line protocol",
            value=text,
            advice="replace newlines before storing",
        )
    if "\\" not in text:
        return
    for i, char in enumerate(text):
        if char != "\\":
            continue
        after = text[i + 1] if i + 1 < len(text) else None
        if after is None or after in specials or after == "\\":
            raise StorageError(
                f"{what} has a backslash that would be read as an escape",
                where="line protocol",
                value=text,
                advice="avoid a backslash at the end or before another backslash, "
                + ", ".join(repr(c) for c in specials),
            )


def _escape(text: str, specials: tuple[str, ...]) -> str:
    for char in specials:
        text = text.replace(char, "\\" + char)
    return text


@functools.lru_cache(maxsize=_CACHE_SIZE)
def escape_measurement(name: str) -> str:
    """The measurement name as written: commas and spaces escaped."""
    _check_text(name, "measurement name", _MEASUREMENT_SPECIALS)
    if name.startswith(("_", "#")):
        # "#" would make the line a comment, silently dropped by the server.
        raise StorageError("measurement name must not start with '_' or '#'", value=name)
    return _escape(name, _MEASUREMENT_SPECIALS)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def escape_key(text: str, what: str = "tag key") -> str:
    """A tag key, tag value or field key as written: commas, equals signs, spaces escaped."""
    _check_text(text, what, _KEY_SPECIALS)
    if what != "tag value" and (text.startswith("_") or text == "time"):
        raise StorageError(f"{what} must not be 'time' nor start with '_'", value=text)
    return _escape(text, _KEY_SPECIALS)


def format_field_value(value: FieldValue, key: str = "") -> str:
    """One field value as written: ``1.5``, ``3i``, ``true``, ``"text"``.

    Floats must be finite; integers must fit in int64; strings must have no
    newline and at most :data:`MAX_STRING_FIELD_BYTES` bytes of UTF-8.
    """
    where = f"field {key!r}" if key else "field value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise StorageError("integer does not fit in int64", where=where, value=value)
        return f"{value}i"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise StorageError(
                "must be a finite number", where=where, value=value, advice="leave the field out"
            )
        return repr(value)
    if isinstance(value, str):
        if any(c in value for c in _NEWLINES):
            raise StorageError(
                "string contains a newline, which line protocol cannot carry",
                where=where,
                value=value,
                advice="replace newlines before storing",
            )
        if len(value.encode("utf-8")) > MAX_STRING_FIELD_BYTES:
            raise StorageError("string longer than 64 KiB", where=where, value=value[:40])
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise StorageError(
        f"unsupported field type {type(value).__name__}",
        where=where,
        value=value,
        advice="use float, int, bool or str",
    )


def series_key(measurement: str, tags: Mapping[str, str]) -> str:
    """``measurement,tag=value,...``: the series a point belongs to (tags sorted)."""
    parts = [escape_measurement(measurement)]
    for key in sorted(tags):
        parts.append(f"{escape_key(key, 'tag key')}={escape_key(tags[key], 'tag value')}")
    return ",".join(parts)


def encode_point(point: Point) -> str:
    """One point as one line of line protocol, without the trailing newline."""
    return series_and_line(point)[1]


def series_and_line(point: Point) -> tuple[str, str]:
    """The point's :func:`series_key` and its line (see :func:`encode_point`)."""
    if not point.fields:
        raise StorageError("a point needs at least one field", value=point.measurement)
    if isinstance(point.time_ns, bool) or not isinstance(point.time_ns, int):
        raise StorageError("time must be integer nanoseconds", value=point.time_ns)
    if not INT64_MIN <= point.time_ns <= INT64_MAX:
        raise StorageError("time does not fit in int64 nanoseconds", value=point.time_ns)
    fields = ",".join(
        f"{escape_key(key, 'field key')}={format_field_value(point.fields[key], key)}"
        for key in sorted(point.fields)
    )
    series = series_key(point.measurement, point.tags)
    return series, f"{series} {fields} {point.time_ns}"


def encode_lines(lines: Iterable[str]) -> bytes:
    """Encoded lines as one request body: UTF-8, one line each, newline-terminated."""
    return "".join(line + "\n" for line in lines).encode("utf-8")


def encode_points(points: Iterable[Point]) -> bytes:
    """Points as one request body (see :func:`encode_lines`)."""
    return encode_lines(encode_point(p) for p in points)
