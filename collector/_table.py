"""Typed reads from a parsed TOML table, each error naming the file and dotted key."""

from __future__ import annotations

import re
import uuid as uuid_module
from collections.abc import Iterator, Mapping
from typing import Any

from spinewatch.errors import DeviceProfileError

_MISSING: Any = object()


class Table:
    """A TOML table with its place (``file: a.b``) for one-line errors."""

    def __init__(self, data: Mapping[str, Any], where: str, prefix: str = "") -> None:
        self._data = data
        self._file = where
        self._prefix = prefix

    def where(self, key: str) -> str:
        return f"{self._file}: {self._prefix}{key}"

    def keys(self) -> list[str]:
        return list(self._data)

    def __contains__(self, key: str) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._data))

    def fail(self, key: str, message: str, value: Any = None) -> DeviceProfileError:
        return DeviceProfileError(message, where=self.where(key), value=value,
                                  advice="see firmware_config/spinewatch_ref.toml for an example")

    def check(self, ok: bool, key: str, message: str) -> None:
        if not ok:
            raise self.fail(key, message)

    def _get(self, key: str, kinds: tuple[type, ...], what: str, default: Any) -> Any:
        if key not in self._data:
            if default is _MISSING:
                raise self.fail(key, f"is missing ({what})")
            return default
        value = self._data[key]
        if isinstance(value, bool) and bool not in kinds:
            raise self.fail(key, f"must be {what}, got {value!r}", value)
        if not isinstance(value, kinds):
            raise self.fail(key, f"must be {what}, got {value!r}", value)
        return value

    def table(self, key: str, required: bool = True) -> Table:
        value = self._get(key, (dict,), "a table", _MISSING if required else {})
        return Table(value, self._file, f"{self._prefix}{key}.")

    def table_list(self, key: str, required: bool = True) -> list[Table]:
        items = self._get(key, (list,), "an array of tables", _MISSING if required else [])
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise self.fail(f"{key}[{i}]", "must be a table", item)
            out.append(Table(item, self._file, f"{self._prefix}{key}[{i}]."))
        return out

    def text(self, key: str, default: Any = _MISSING, pattern: str | None = None) -> str:
        value: str = self._get(key, (str,), "a string", default)
        if pattern is not None and not re.fullmatch(pattern, value):
            raise self.fail(key, f"must match {pattern}, got {value!r}", value)
        return value

    def choice(self, key: str, options: tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in options:
            raise self.fail(key, f"must be one of {', '.join(options)}, got {value!r}", value)
        return value

    def flag(self, key: str, default: Any = _MISSING) -> bool:
        value: bool = self._get(key, (bool,), "true or false", default)
        return value

    def integer(
        self, key: str, default: Any = _MISSING, lo: int = -(2**63), hi: int = 2**63
    ) -> int:
        value: int = self._get(key, (int,), "an integer", default)
        if not lo <= value <= hi:
            raise self.fail(key, f"must be in {lo}..{hi}, got {value}", value)
        return value

    def number(self, key: str, default: Any = _MISSING, gt: float | None = None) -> float:
        value = float(self._get(key, (int, float), "a number", default))
        if value != value or value in (float("inf"), float("-inf")):
            raise self.fail(key, "must be finite", value)
        if gt is not None and not value > gt:
            raise self.fail(key, f"must be > {gt}, got {value}", value)
        return value

    def scalar(self, key: str) -> int | float | str:
        value: int | float | str = self._get(key, (int, float, str), "a number or string",
                                             _MISSING)
        return value

    def int_key(self, key: str) -> int:
        try:
            return int(key)
        except ValueError as exc:
            raise self.fail(key, "key must be an integer (a rate in Hz)", key) from exc

    def _list(self, key: str, kind: type, what: str, required: bool) -> list[Any]:
        items = self._get(key, (list,), f"an array of {what}", _MISSING if required else [])
        for i, item in enumerate(items):
            if not isinstance(item, kind) or isinstance(item, bool):
                raise self.fail(f"{key}[{i}]", f"must be {what}", item)
        return list(items)

    def str_list(self, key: str, required: bool = True) -> list[str]:
        return self._list(key, str, "strings", required)

    def int_list(self, key: str, required: bool = True) -> list[int]:
        return self._list(key, int, "integers", required)

    def uuid(self, key: str, required: bool = True) -> str:
        text = self.text(key, default=_MISSING if required else "")
        if not text:
            return ""
        try:
            return str(uuid_module.UUID(text))
        except ValueError as exc:
            raise self.fail(key, f"is not a 128-bit UUID: {text!r}", text) from exc

    def uuid_list(self, key: str) -> list[str]:
        out = []
        for i, text in enumerate(self.str_list(key)):
            try:
                out.append(str(uuid_module.UUID(text)))
            except ValueError as exc:
                raise self.fail(f"{key}[{i}]", f"is not a 128-bit UUID: {text!r}", text) from exc
        return out
