"""Environment overrides: ``SPINEWATCH__SECTION__KEY=value`` into the raw settings tree.

Levels are separated by a double underscore and matched case-insensitively to
the dataclass fields (or table keys) they name; the value is parsed as the
target type (booleans also as 1/0, yes/no, on/off; arrays and tables as TOML
inline values, e.g. ``[1, 2]``). Overrides are written into the parsed TOML
before validation, so they are checked exactly like the file, and errors name
the variable.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import tomllib
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal, Union, get_args, get_origin

from spinewatch.config_schema import (
    Secret,
    format_value,
    init_fields,
    is_dataclass_type,
    is_secret_type,
    join_key,
    strip_optional,
    suggest,
    type_hints,
    type_name,
)
from spinewatch.errors import ConfigError

_TRUE: Final = frozenset({"true", "1", "yes", "on"})
_FALSE: Final = frozenset({"false", "0", "no", "off"})


def parse_env(tp: Any, text: str, key: str, var: str) -> Any:
    """The environment string ``text`` as the TOML value it stands for."""
    inner = strip_optional(tp)
    if inner is not tp and text.strip().lower() in ("", "none", "null"):
        return None
    word = text.strip().lower()
    origin = get_origin(inner)
    scalars = get_args(inner) if origin is Union or origin is types.UnionType else (inner,)
    if origin is Literal:
        scalars = tuple({type(a) for a in get_args(inner)})
    if is_dataclass_type(inner) or origin in (tuple, dict, Mapping):
        try:
            return tomllib.loads(f"value = {text}")["value"]
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                f"{key} = {format_value(text)}: must be {type_name(inner)}",
                where=var,
                advice="write it as a TOML value, e.g. [1, 2] or { key = 1 }",
            ) from exc
    for option in scalars:
        if option is int and re.fullmatch(r"[+-]?\d[\d_]*", word):
            return int(word)
        if option is float:
            try:
                return float(word)
            except ValueError:
                continue
        if option is bool and word in _TRUE | _FALSE:
            return word in _TRUE
    if any(o in (str, Path, Secret, dt.date) or isinstance(o, enum.EnumMeta) for o in scalars):
        return text
    advice = "use true/false, 1/0 or yes/no" if bool in scalars else None
    raise ConfigError(
        f"{key} = {format_value(text)}: must be {type_name(inner)}", where=var, advice=advice
    )


def apply_env(
    cls: type, raw: dict[str, Any], env: Mapping[str, str], prefix: str
) -> dict[str, str]:
    """Write ``PREFIX__A__B=value`` variables into ``raw``; return key → variable."""
    origins: dict[str, str] = {}
    head = prefix.upper() + "__"
    for var in sorted(env):
        if not var.upper().startswith(head):
            continue
        parts = var[len(head) :].split("__")
        if not all(parts):
            raise ConfigError(
                "empty key level", where=var, advice="separate levels with exactly two _"
            )
        tp: Any = cls
        table = raw
        key = ""
        for depth, part in enumerate(parts):
            names: dict[str, Any] = {}
            if is_dataclass_type(tp):
                hints = type_hints(tp)
                names = {
                    **{n: hints[n] for n in init_fields(tp)},
                    **{f"{n}_file": str for n in init_fields(tp) if is_secret_type(hints[n])},
                }
                match = next((n for n in names if n.lower() == part.lower()), None)
                if match is None:
                    raise ConfigError(
                        f"{join_key(key, part.lower())}: unknown key",
                        where=var,
                        advice=suggest(part.lower(), list(names)),
                    )
                name, child_type = match, names[match]
            elif get_origin(tp) in (dict, Mapping):
                name = next((k for k in table if k.lower() == part.lower()), part.lower())
                child_type = get_args(tp)[1]
            else:
                raise ConfigError(
                    f"{key}: is not a table, so it has no key {part.lower()!r}", where=var
                )
            key = join_key(key, name)
            if depth == len(parts) - 1:
                table[name] = parse_env(child_type, env[var], key, var)
                # The environment wins over the file, whichever way the file gave a secret.
                other = name.removesuffix("_file") if name.endswith("_file") else f"{name}_file"
                if other in names:
                    table.pop(other, None)
                origins[key] = var
            else:
                child = table.setdefault(name, {})
                if not isinstance(child, dict):
                    raise ConfigError(f"{key}: is not a table in the file", where=var)
                table, tp = child, strip_optional(child_type)
    return origins
