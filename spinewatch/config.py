"""Typed settings from TOML and the environment, validated once at start-up.

The loader is generic: how a TOML table becomes a frozen dataclass is read
from the dataclass itself. Type hints give each key's type (``int``,
``float``, ``bool``, ``str``, ``Path``, ``date``, :class:`Secret`,
``Literal[...]``, enums, ``tuple[...]``, ``X | None``, nested dataclasses,
``dict``/``Mapping[str, X]`` and ``tuple[Dataclass, ...]`` for arrays of
tables). ``field(metadata=...)`` gives constraints and docs:

* ``min`` / ``max`` (inclusive) and ``gt`` (exclusive lower bound) for numbers,
* ``min_len`` for strings and tuples, ``pattern`` (full match) for strings,
* ``unit`` and ``help`` for error messages and :func:`dump_defaults`.

Rules between fields live in the dataclass's ``__post_init__``, which raises
``ConfigError(problem, where=<field name relative to the dataclass>,
value=<bad value>)``; the loader turns ``where`` into the full dotted key and
the file and line, so a rule is written once, next to its fields.

Environment variables ``SPINEWATCH__SECTION__KEY=value`` override the file
before validation. A field typed :class:`Secret` may instead be given as
``<name>_file``, the path of a file holding it.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import enum
import functools
import math
import os
import re
import tomllib
import types
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar, Union, get_args, get_origin

from spinewatch.config_env import apply_env
from spinewatch.config_schema import (
    NO_VALUE,
    Secret,
    dump_lines,
    field_doc,
    format_value,
    in_range,
    index_lines,
    init_fields,
    is_dataclass_type,
    is_secret_type,
    join_key,
    key_prefixes,
    range_text,
    suggest,
    type_hints,
    type_name,
)
from spinewatch.errors import ConfigError

if TYPE_CHECKING:
    from spinewatch.settings import Settings

__all__ = [
    "ENV_PREFIX",
    "Secret",
    "build",
    "convert_partial",
    "dump_defaults",
    "dump_toml",
    "format_value",
    "load",
    "load_settings",
    "read_toml",
]

T = TypeVar("T")
ENV_PREFIX: Final = "SPINEWATCH"
_TOML_ERROR_LINE: Final = re.compile(r"\(at line (\d+), column \d+\)")


# --------------------------------------------------------------------------- locations


@dataclasses.dataclass(frozen=True, slots=True)
class _Ctx:
    """Where values come from, so that every error can name its origin.

    ``relative`` errors (no file) keep ``where`` = the dotted key and the
    problem as message, so that an enclosing loader can re-locate them.
    """

    source: str | None = None
    lines: Mapping[str, int] = dataclasses.field(default_factory=dict)
    env_origin: Mapping[str, str] = dataclasses.field(default_factory=dict)
    base_dir: Path | None = None
    relative: bool = False

    def location(self, key: str) -> str | None:
        for prefix in key_prefixes(key):
            if prefix in self.env_origin:
                return self.env_origin[prefix]
            if prefix in self.lines:
                return f"{self.source}:{self.lines[prefix]}"
        return self.source

    def error(
        self, key: str, problem: str, value: Any = NO_VALUE, advice: str | None = None
    ) -> ConfigError:
        shown = None if value is NO_VALUE else value
        if self.relative:
            return ConfigError(problem, where=key, value=shown, advice=advice)
        text = (
            f"{key}: {problem}"
            if value is NO_VALUE
            else f"{key} = {format_value(value)}: {problem}"
        )
        return ConfigError(text, where=self.location(key), value=shown, advice=advice)


# --------------------------------------------------------------------------- conversion


def _convert_scalar(tp: Any, value: Any, key: str, ctx: _Ctx, meta: Mapping[str, Any]) -> Any:
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int or tp is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and tp is int and not isinstance(value, int):
            ok = False
        if ok:
            number = float(value) if tp is float else value
            if not math.isfinite(number):
                raise ctx.error(key, "must be a finite number", value)
            if not in_range(number, meta):
                raise ctx.error(key, f"must be {range_text(meta)}", value)
            return number
    elif tp is str or tp is Path:
        if isinstance(value, str):
            pattern = meta.get("pattern")
            if pattern and not re.fullmatch(pattern, value):
                raise ctx.error(
                    key, f"must be {meta.get('pattern_help') or 'like ' + pattern}", value
                )
            return Path(value) if tp is Path else value
    elif tp is Secret:
        if isinstance(value, str):
            return Secret(value)
        raise ctx.error(key, "must be a string", "***")
    elif tp is dt.date:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
    elif isinstance(tp, type) and issubclass(tp, enum.Enum):
        for member in tp:
            if (isinstance(value, str) and value.lower() == member.name.lower()) or (
                type(value) is type(member.value) and value == member.value
            ):
                return member
        names = ", ".join(format_value(m.name.lower()) for m in tp)
        raise ctx.error(key, f"must be one of {names}", value)
    else:
        # A type the loader does not know is a bug in the settings tree, not user error.
        raise TypeError(f"config loader: unsupported type {tp!r} for {key}")
    raise ctx.error(key, f"must be {type_name(tp)}", value)


def _convert(tp: Any, value: Any, key: str, ctx: _Ctx, meta: Mapping[str, Any]) -> Any:
    """``value`` (from TOML) as type ``tp``, or a ConfigError naming ``key``."""
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        if value is None and type(None) in get_args(tp):
            return None  # only from the environment: TOML has no null
        options = [a for a in get_args(tp) if a is not type(None)]
        if len(options) == 1:
            return _convert(options[0], value, key, ctx, meta)
        for option in options:
            try:
                return _convert(option, value, key, ctx, meta)
            except ConfigError:
                continue
        raise ctx.error(key, f"must be {type_name(tp)}", value)
    if origin is Literal:
        for allowed in get_args(tp):
            if type(value) is type(allowed) and value == allowed:
                return allowed
        raise ctx.error(key, f"must be {type_name(tp)}", value)
    if is_dataclass_type(tp):
        if not isinstance(value, Mapping):
            raise ctx.error(key, "must be a table", value)
        return _build(tp, value, key, ctx)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ctx.error(key, f"must be {type_name(tp)}", value)
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            item_types = (args[0],) * len(value)
        elif len(args) != len(value):
            raise ctx.error(key, f"must be {type_name(tp)}", value)
        else:
            item_types = args
        return tuple(
            _convert(t, v, f"{key}[{i}]", ctx, meta)
            for i, (t, v) in enumerate(zip(item_types, value, strict=True))
        )
    if origin is dict or origin is Mapping:
        if not isinstance(value, Mapping):
            raise ctx.error(key, "must be a table", value)
        item_type = get_args(tp)[1]
        out = {
            str(k): _convert(item_type, v, join_key(key, str(k)), ctx, meta)
            for k, v in value.items()
        }
        return out if origin is dict else types.MappingProxyType(out)
    return _convert_scalar(tp, value, key, ctx, meta)


def _convert_field(tp: Any, value: Any, key: str, ctx: _Ctx, meta: Mapping[str, Any]) -> Any:
    out = _convert(tp, value, key, ctx, meta)
    min_len = meta.get("min_len")
    if min_len is not None and isinstance(out, str | tuple) and len(out) < min_len:
        what = "character" if isinstance(out, str) else "item"
        raise ctx.error(
            key, f"must have at least {min_len} {what}{'s' if min_len != 1 else ''}", value
        )
    return out


def _read_secret(value: Any, key: str, ctx: _Ctx) -> Secret:
    if not isinstance(value, str):
        raise ctx.error(key, "must be a path string", value)
    path = Path(value).expanduser()
    from_env = any(prefix in ctx.env_origin for prefix in key_prefixes(key))
    # A relative path in a file is relative to that file; from the environment, to the cwd.
    if not path.is_absolute() and ctx.base_dir is not None and not from_env:
        path = ctx.base_dir / path
    try:
        text = path.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ctx.error(key, f"cannot read secret file: {reason}", value) from exc
    if not text:
        raise ctx.error(key, "secret file is empty", value)
    return Secret(text)


def _build(cls: type[T], table: Mapping[str, Any], key: str, ctx: _Ctx) -> T:
    """An instance of dataclass ``cls`` from ``table``; every key is checked."""
    hints = type_hints(cls)
    fields = init_fields(cls)
    secret_files = {f"{n}_file": n for n in fields if is_secret_type(hints[n])}
    for name in table:
        if name not in fields and name not in secret_files:
            raise ctx.error(
                join_key(key, name), "unknown key", advice=suggest(name, [*fields, *secret_files])
            )
    kwargs: dict[str, Any] = {}
    for name, spec in fields.items():
        sub = join_key(key, name)
        file_key = f"{name}_file"
        if file_key in secret_files and file_key in table:
            if name in table:
                raise ctx.error(sub, f"give either {name} or {file_key}, not both")
            kwargs[name] = _read_secret(table[file_key], join_key(key, file_key), ctx)
        elif name in table:
            kwargs[name] = _convert_field(hints[name], table[name], sub, ctx, spec.metadata)
        elif spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
            raise ctx.error(
                sub, "missing required key", advice=field_doc(spec, hints[name]) or None
            )
    try:
        return cls(**kwargs)
    except ConfigError as exc:
        # A cross-field rule of ``cls`` names its field relative to cls: make it absolute.
        head = (exc.where or "").split(".")[0].split("[")[0]
        if head not in fields:
            raise
        value = NO_VALUE if exc.value is None else exc.value
        raise ctx.error(join_key(key, exc.where or ""), exc.message, value, exc.advice) from exc


# --------------------------------------------------------------------------- public API


def read_toml(path: str | Path) -> tuple[dict[str, Any], str]:
    """The parsed TOML file and its text; ConfigError naming the file otherwise."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror or exc}", where=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError("not UTF-8 text", where=str(path)) from exc
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_ERROR_LINE.search(str(exc))
        where = f"{path}:{match[1]}" if match else str(path)
        raise ConfigError(f"invalid TOML: {exc}", where=where) from exc


def build(
    cls: type[T],
    data: Mapping[str, Any],
    *,
    source: str | None = None,
    text: str = "",
    base_dir: Path | None = None,
) -> T:
    """Validate ``data`` (a parsed TOML document) into dataclass ``cls``.

    ``source`` and ``text`` (the file's name and content) let errors name the
    file and line; ``base_dir`` anchors relative ``*_file`` secret paths.
    """
    return _build(cls, data, "", _Ctx(source, index_lines(text), {}, base_dir))


def convert_partial(cls: type, data: Mapping[str, Any], *, key: str = "") -> dict[str, Any]:
    """Check some of ``cls``'s keys (e.g. overrides) and convert their values.

    Nothing is built, so cross-field rules are left to the caller. Errors are
    relative: ``where`` is the dotted key below ``key``, for the caller to locate.
    """
    ctx = _Ctx(relative=True)
    hints = type_hints(cls)
    fields = init_fields(cls)
    out: dict[str, Any] = {}
    for name, value in data.items():
        sub = join_key(key, name)
        if name not in fields:
            raise ctx.error(sub, "unknown key", advice=suggest(name, list(fields)))
        out[name] = _convert_field(hints[name], value, sub, ctx, fields[name].metadata)
    return out


def load(
    cls: type[T],
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    env_prefix: str = ENV_PREFIX,
) -> T:
    """Load dataclass ``cls`` from TOML file ``path`` (None: defaults only) and ``env``.

    ``env`` defaults to ``os.environ``; pass ``{}`` to ignore the environment.
    """
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    text = ""
    if path is not None:
        raw, text = read_toml(path)
        raw = copy.deepcopy(raw)
    origins = apply_env(cls, raw, env, env_prefix)
    base_dir = Path(path).parent if path is not None else None
    ctx = _Ctx(str(path) if path is not None else None, index_lines(text), origins, base_dir)
    return _build(cls, raw, "", ctx)


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """The gateway's :class:`~spinewatch.settings.Settings`, validated once.

    Defaults, then the TOML file (if any), then ``SPINEWATCH__…`` variables
    from ``env`` (default ``os.environ``). Raises a one-line ConfigError.
    """
    # Imported here: settings → profiles → config would otherwise be a cycle.
    from spinewatch.settings import Settings

    return load(Settings, path, env)


def dump_toml(obj: Any, *, header: str = "") -> str:
    """A commented TOML document of dataclass instance ``obj`` (secrets masked)."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines.extend(dump_lines(obj, ""))
    return "\n".join(lines).strip() + "\n"


@functools.cache
def dump_defaults() -> str:
    """Every setting with its default, unit and help, as a commented TOML file."""
    from spinewatch.settings import Settings

    header = (
        "spinewatch settings: every key with its default value.\n"
        "Any key may be left out; environment variables SPINEWATCH__SECTION__KEY=value override it."
    )
    return dump_toml(Settings(), header=header)
