"""What a settings dataclass tree looks like to the loader, and how it prints.

Helpers shared by :mod:`spinewatch.config` (loading) and its commented TOML
output: type introspection, the :class:`Secret` wrapper, value formatting
(TOML literals, used in error messages too) and the dump itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import enum
import hmac
import json
import re
import textwrap
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal, Union, get_args, get_origin, get_type_hints

NO_VALUE: Final[Any] = object()
"""Marks "no value to show" in an error (``None`` could be a real value)."""

_SECRET_WORDS: Final = ("token", "password")
_BARE_KEY: Final = re.compile(r"[A-Za-z0-9_-]+")


class Secret:
    """A secret string (token, password) that never shows itself.

    ``repr`` is ``Secret('***')`` and ``str``/``format`` give ``***``, so a
    secret cannot leak through a settings repr, a log line or an f-string;
    :meth:`reveal` hands the value to the one place that needs it.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        # Constant-time, as secrets may be compared against user input.
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


# --------------------------------------------------------------------------- types


def join_key(prefix: str, name: str) -> str:
    """``a.b`` + ``c`` → ``a.b.c``; the root has no prefix."""
    return f"{prefix}.{name}" if prefix else name


def key_prefixes(key: str) -> list[str]:
    """``a.b[1].c`` → ``["a.b[1].c", "a.b[1]", "a.b", "a"]`` (most specific first)."""
    cuts = [m.start() for m in re.finditer(r"[.\[]", key)]
    return [key] + [key[:cut] for cut in reversed(cuts)]


def strip_optional(tp: Any) -> Any:
    """``X | None`` → ``X``; anything else unchanged."""
    if get_origin(tp) in (Union, types.UnionType):
        options = [a for a in get_args(tp) if a is not type(None)]
        if len(options) == 1:
            return options[0]
    return tp


def is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def is_secret_type(tp: Any) -> bool:
    return strip_optional(tp) is Secret


def is_table_array(tp: Any) -> bool:
    """``tuple[Dataclass, ...]``: an array of tables in TOML."""
    args = get_args(tp)
    return (
        get_origin(tp) is tuple
        and len(args) == 2
        and args[1] is Ellipsis
        and is_dataclass_type(args[0])
    )


_HINTS: dict[type, dict[str, Any]] = {}
_FIELDS: dict[type, dict[str, dataclasses.Field[Any]]] = {}


def type_hints(cls: type) -> dict[str, Any]:
    """The resolved type hints of dataclass ``cls``, checked for unmasked secrets."""
    if cls not in _HINTS:
        hints = get_type_hints(cls)
        for name in init_fields(cls):
            if any(word in name for word in _SECRET_WORDS) and not is_secret_type(hints[name]):
                # A programming error: a token typed str would appear in every repr.
                raise TypeError(f"{cls.__name__}.{name} holds a secret: type it Secret")
        _HINTS[cls] = hints
    return _HINTS[cls]


def init_fields(cls: type) -> dict[str, dataclasses.Field[Any]]:
    """Name → field of the fields a dataclass's ``__init__`` accepts."""
    if cls not in _FIELDS:
        _FIELDS[cls] = {f.name: f for f in dataclasses.fields(cls) if f.init}
    return _FIELDS[cls]


def type_name(tp: Any) -> str:
    """How an expected type reads in a message: ``a number``, ``one of "a", "b"``."""
    origin = get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(format_value(a) for a in get_args(tp))
    if origin in (Union, types.UnionType):
        return " or ".join(type_name(a) for a in get_args(tp) if a is not type(None))
    if origin is tuple:
        return "an array"
    if origin in (dict, Mapping) or is_dataclass_type(tp):
        return "a table"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "one of " + ", ".join(format_value(m.name.lower()) for m in tp)
    names = {
        bool: "true or false",
        int: "an integer",
        float: "a number",
        str: "a string",
        Path: "a path string",
        Secret: "a string",
        dt.date: "a date (YYYY-MM-DD)",
    }
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def in_range(value: float, meta: Mapping[str, Any]) -> bool:
    """Whether ``value`` meets the ``min``/``max``/``gt`` bounds in field metadata."""
    lo, hi, gt = meta.get("min"), meta.get("max"), meta.get("gt")
    return (
        (lo is None or value >= lo) and (hi is None or value <= hi) and (gt is None or value > gt)
    )


def range_text(meta: Mapping[str, Any]) -> str | None:
    """The bounds in field metadata with their unit: ``between 0 and 200 Hz``, ``≥ 0 s``."""
    lo, hi, gt = meta.get("min"), meta.get("max"), meta.get("gt")
    unit = meta.get("unit", "")
    tail = f"{'' if unit == '°' else ' '}{unit}" if unit else ""
    if lo is not None and hi is not None:
        return f"between {format_value(lo)} and {format_value(hi)}{tail}"
    parts = [
        f"{op} {format_value(b)}" for op, b in (("≥", lo), (">", gt), ("≤", hi)) if b is not None
    ]
    return " and ".join(parts) + tail if parts else None


def suggest(name: str, candidates: list[str]) -> str:
    """Advice for an unknown key: the closest known one (difflib), or all of them."""
    lowered = {c.lower(): c for c in candidates}
    close = [lowered[name.lower()]] if name.lower() in lowered else []
    close = close or difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return "known keys: " + ", ".join(sorted(candidates))


def field_doc(spec: dataclasses.Field[Any], tp: Any) -> str:
    """A field's help with its unit, range and allowed values: ``help [≥ 0 s]``."""
    meta = spec.metadata
    inner = strip_optional(tp)
    bounds = range_text(meta)
    facts = [bounds] if bounds else [meta["unit"]] if meta.get("unit") else []
    if get_origin(inner) is Literal or (isinstance(inner, type) and issubclass(inner, enum.Enum)):
        facts.append(type_name(inner))
    if inner is not tp:
        facts.append("optional")
    text: str = meta.get("help", "")
    return f"{text} [{'; '.join(facts)}]".strip() if facts else text


# --------------------------------------------------------------------------- output


def toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def format_value(value: Any) -> str:
    """``value`` as a TOML literal (secrets masked); also used in error messages."""
    if isinstance(value, Secret):
        return '"***"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return format_value(value.name.lower())
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, str | Path):
        # JSON string escapes are a subset of TOML basic-string escapes.
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return (
            "{ "
            + ", ".join(f"{toml_key(str(k))} = {format_value(v)}" for k, v in value.items())
            + " }"
        )
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        present = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return format_value({k: v for k, v in present.items() if v is not None})
    return repr(value)


def _comment(text: str) -> list[str]:
    if not text:
        return []
    return ["# " + line for line in textwrap.wrap(text, width=96)]


def _class_doc(cls: type) -> str:
    return (cls.__doc__ or "").strip().split("\n")[0]


def _example_lines(cls: type, key: str) -> list[str]:
    """Commented-out keys of one table of ``cls`` at ``key``, for an empty array of tables
    (a sub-table field as its own commented-out table, with its defaults)."""
    lines: list[str] = []
    tables: list[str] = []
    hints = type_hints(cls)
    for name, spec in init_fields(cls).items():
        inner = strip_optional(hints[name])
        if is_dataclass_type(inner) and spec.default_factory is not dataclasses.MISSING:
            sub = join_key(key, toml_key(name))
            tables += [*_comment(field_doc(spec, hints[name]) or _class_doc(inner)), f"[{sub}]",
                       *dump_lines(spec.default_factory(), sub)]
            continue
        lines.extend(_comment(field_doc(spec, hints[name])))
        if spec.default is not dataclasses.MISSING and spec.default is not None:
            example = format_value(spec.default)
        elif get_origin(inner) is Literal:
            example = format_value(get_args(inner)[0])
        else:
            example = ""
        lines.append(f"{name} = {example}".rstrip())
    return ["# " + line if not line.startswith("#") else "#" + line
            for line in lines + tables if line]


def dump_lines(obj: Any, key: str) -> list[str]:
    """TOML lines of dataclass instance ``obj`` at dotted ``key`` (root: ``""``).

    Plain keys come first and sub-tables after them, as TOML requires; ``None``
    values are written commented out, since TOML has no null.
    """
    cls = type(obj)
    hints = type_hints(cls)
    lines: list[str] = []
    tables: list[str] = []
    for name, spec in init_fields(cls).items():
        tp, value, sub = hints[name], getattr(obj, name), join_key(key, toml_key(name))
        inner = strip_optional(tp)
        doc = field_doc(spec, tp)
        if is_dataclass_type(inner) and value is not None:
            tables += ["", *_comment(doc or _class_doc(inner)), f"[{sub}]", *dump_lines(value, sub)]
        elif is_table_array(inner):
            item_cls = get_args(inner)[0]
            tables += ["", *_comment(doc)]
            for item in value:
                tables += [f"[[{sub}]]", *dump_lines(item, sub)]
            if not value:
                tables += [f"# [[{sub}]]", *_example_lines(item_cls, sub)]
        elif get_origin(inner) in (dict, Mapping) and value is not None:
            item_type = get_args(inner)[1]
            tables += ["", *_comment(doc)]
            if is_dataclass_type(item_type):
                for k, item in value.items():
                    item_key = join_key(sub, toml_key(k))
                    tables += [f"[{item_key}]", *dump_lines(item, item_key), ""]
                if not value:
                    tables.append(f"# [{sub}.NAME]")
            else:
                tables.append(f"[{sub}]")
                tables += [f"{toml_key(k)} = {format_value(v)}" for k, v in value.items()]
        else:
            lines += _comment(doc)
            lines.append(
                f"# {name} =" if value is None else f"{toml_key(name)} = {format_value(value)}"
            )
    return lines + tables


# --------------------------------------------------------------------------- positions


def index_lines(text: str) -> dict[str, int]:
    """First line of each dotted key and table in a TOML text (best effort).

    tomllib does not report positions, so headers and ``key =`` lines are
    scanned; arrays of tables get indices (``a.b[1].c``) as in error keys.
    """
    lines: dict[str, int] = {}
    prefix = ""
    counts: dict[str, int] = {}
    header = re.compile(r"(\[\[?)\s*([^\]]+?)\s*\]\]?")
    assignment = re.compile(r"""([A-Za-z0-9_\-."' ]+?)\s*=""")

    def norm(name: str) -> str:
        return ".".join(part.strip().strip("\"'") for part in name.split("."))

    def resolve(name: str) -> str:
        # ``[a.b.c]`` after ``[[a.b]]`` belongs to the last element of a.b.
        for array in sorted(counts, key=len, reverse=True):
            if name == array or name.startswith(array + "."):
                return f"{array}[{counts[array]}]{name[len(array) :]}"
        return name

    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = header.match(stripped)
        if match:
            name = norm(match[2])
            if match[1] == "[[":
                outer = resolve(name.rpartition(".")[0]) if "." in name else ""
                full = join_key(outer, name.rpartition(".")[2])
                counts[full] = counts.get(full, -1) + 1
                prefix = f"{full}[{counts[full]}]"
            else:
                prefix = resolve(name)
            lines.setdefault(prefix, number)
            continue
        match = assignment.match(stripped)
        if match:
            lines.setdefault(join_key(prefix, norm(match[1])), number)
    return lines
