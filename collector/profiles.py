"""Device profiles: the typed, validated form of ``firmware_config/*.toml``.

A profile says how to find a sensor (name patterns, advertised services), which
GATT characteristics to use, which commands configure and start it, and how its
data packets are laid out (header fields, sample type and layout, scales to SI
units). It is validated once, at load; every error names the file and key.

Shipped profiles: ``thingy52``, ``witmotion_bwt901ble``, ``movesense_gsp`` and
``spinewatch_ref`` (see :func:`builtin_profiles`).
"""

from __future__ import annotations

import math
import re
import struct
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import NDArray

from collector._table import Table
from spinewatch.errors import DeviceProfileError

ChannelName = Literal["acc", "gyr", "mag", "angle"]

#: struct format letter of each field type (byte order is the profile's).
TYPE_CODES: Final[Mapping[str, str]] = {
    "u1": "B", "i1": "b", "u2": "H", "i2": "h", "u4": "I", "i4": "i", "f4": "f",
}
#: Factor from each channel's allowed units to its SI unit (acc m/s², gyr rad/s, mag µT,
#: angle rad).
UNIT_TO_SI: Final[Mapping[str, Mapping[str, float]]] = {
    "acc": {"g": 9.80665, "m/s2": 1.0},
    "gyr": {"deg/s": math.pi / 180.0, "rad/s": 1.0},
    "mag": {"uT": 1.0, "mT": 1000.0},
    "angle": {"deg": math.pi / 180.0, "rad": 1.0},
}
_TOKEN: Final = re.compile(r"\{(\w+):(u8|u16|u32|ascii)\}|[0-9a-fA-F]{2}")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One fixed header field: its type and the values a valid packet may hold."""

    name: str
    type: str
    equals: int | None = None
    allowed: tuple[int, ...] = ()
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """Three axes of one quantity in each sample.

    ``SI value = raw * scale [* header[scale_field]] * UNIT_TO_SI[name][unit]``;
    ``max_abs`` (in ``unit``) bounds plausible values (None: any finite value).
    """

    name: ChannelName
    fields: tuple[str, str, str]
    unit: str
    scale: float
    scale_field: str | None = None
    max_abs: float | None = None

    @property
    def si_factor(self) -> float:
        """raw → SI, without the header-dependent factor."""
        return self.scale * UNIT_TO_SI[self.name][self.unit]


@dataclass(frozen=True, slots=True)
class TimestampSpec:
    """A sensor clock field: ticks of ``tick_s`` seconds, wrapping at 2**bits."""

    field: str
    tick_s: float
    bits: int


@dataclass(frozen=True, slots=True)
class PacketLayout:
    """How one data packet (or stream frame) is laid out."""

    byte_order: Literal["little", "big"]
    header: tuple[FieldSpec, ...]
    sample_type: str
    layout: Literal["interleaved", "planar"]
    channels: tuple[ChannelSpec, ...]
    samples_per_packet: int | None
    max_samples: int
    count_field: str | None
    counter_field: str | None
    counter_bits: int
    timestamp: TimestampSpec | None
    rate_field: str | None
    battery_field: str | None
    flags_field: str | None
    wear_bit: int | None
    low_battery_bit: int | None
    stream_sync: bytes | None

    @property
    def struct_prefix(self) -> str:
        return "<" if self.byte_order == "little" else ">"

    @property
    def header_size(self) -> int:
        return struct.calcsize(self.struct_format)

    @property
    def struct_format(self) -> str:
        """struct format of the header fields, with the byte order."""
        return self.struct_prefix + "".join(TYPE_CODES[f.type] for f in self.header)

    @property
    def sample_size(self) -> int:
        """Bytes of one sample (all channels)."""
        return int(np.dtype(self.sample_type).itemsize) * 3 * len(self.channels)

    @property
    def frame_length(self) -> int | None:
        """Fixed packet length in bytes, or None when it depends on the sample count."""
        n = self.samples_per_packet
        return None if n is None else self.header_size + n * self.sample_size


@dataclass(frozen=True, slots=True)
class Command:
    """Bytes written to a characteristic; ``{name:fmt}`` tokens are filled at render time."""

    char: str
    template: str
    response: bool
    description: str
    params: Mapping[str, str]

    def render(self, values: Mapping[str, Any], byte_order: str = "little") -> bytes:
        """The command's bytes with ``values`` filled in.

        Raises:
            DeviceProfileError: a value is missing or does not fit its field.
        """
        context = dict(values)
        for key, text in self.params.items():
            context[key] = text.format(**context)
        out = bytearray()
        for m in _TOKEN.finditer(self.template):
            if m.group(1) is None:
                out += bytes.fromhex(m.group(0))
                continue
            name, fmt = m.group(1), m.group(2)
            if name not in context:
                raise DeviceProfileError(
                    f"command needs a value for {name!r}", where=self.description,
                    advice="give it in the profile's [settings] or the caller's values",
                )
            value = context[name]
            if fmt == "ascii":
                out += str(value).encode("ascii")
                continue
            size = {"u8": 1, "u16": 2, "u32": 4}[fmt]
            try:
                out += int(value).to_bytes(size, "little" if byte_order == "little" else "big")
            except (OverflowError, ValueError, TypeError) as exc:
                raise DeviceProfileError(
                    f"{name}={value!r} does not fit {fmt}", where=self.description, value=value
                ) from exc
        return bytes(out)


@dataclass(frozen=True, slots=True)
class DeviceProfile:
    """Everything the collector and the decoders know about one kind of sensor."""

    name: str
    title: str
    vendor: str
    path: Path
    sources: tuple[str, ...]
    notes: str
    bonding: bool
    min_mtu: int
    name_patterns: tuple[str, ...]
    advertised_services: tuple[str, ...]
    service_uuid: str
    data_uuid: str
    control_uuid: str | None
    battery_uuid: str | None
    default_rate_hz: int
    allowed_rates_hz: tuple[int, ...] | None
    min_rate_hz: int
    max_rate_hz: int
    rate_codes: Mapping[int, int]
    settings: Mapping[str, int | float | str]
    start: tuple[Command, ...]
    stop: tuple[Command, ...]
    haptic: Command | None
    axes: NDArray[np.float64]
    packet: PacketLayout

    def char_uuid(self, role: str) -> str:
        """UUID of ``data``, ``control`` or ``battery``."""
        uuid = {"data": self.data_uuid, "control": self.control_uuid,
                "battery": self.battery_uuid}.get(role)
        if uuid is None:
            raise DeviceProfileError(f"profile has no {role!r} characteristic", where=self.name)
        return uuid

    def check_rate(self, rate_hz: int) -> int:
        """``rate_hz`` if this sensor supports it, else DeviceProfileError."""
        ok = (rate_hz in self.allowed_rates_hz if self.allowed_rates_hz is not None
              else self.min_rate_hz <= rate_hz <= self.max_rate_hz)
        if not ok:
            allowed = (", ".join(map(str, self.allowed_rates_hz)) if self.allowed_rates_hz
                       else f"{self.min_rate_hz}-{self.max_rate_hz}")
            raise DeviceProfileError(f"rate {rate_hz} Hz not supported", where=self.name,
                                     value=rate_hz, advice=f"use {allowed} Hz")
        return rate_hz

    def command_values(self, rate_hz: int | None = None, **extra: Any) -> dict[str, Any]:
        """Values for :meth:`Command.render`: settings, rate, rate code and ``extra``."""
        rate = self.check_rate(self.default_rate_hz if rate_hz is None else rate_hz)
        values: dict[str, Any] = {**self.settings, "rate_hz": rate}
        if rate in self.rate_codes:
            values["rate_code"] = self.rate_codes[rate]
        values.update(extra)
        return values


def builtin_profiles() -> dict[str, Path]:
    """Shipped profile names and their files."""
    folder = resources.files("firmware_config")
    return {Path(p.name).stem: Path(str(p)) for p in sorted(folder.iterdir(), key=str)
            if p.name.endswith(".toml")}


def load_profile(name_or_path: str | Path) -> DeviceProfile:
    """A validated profile from a shipped name (``thingy52``) or a ``.toml`` path.

    Raises:
        DeviceProfileError: unknown name, unreadable file or an invalid key.
    """
    shipped = builtin_profiles()
    path = shipped.get(str(name_or_path), Path(name_or_path))
    if str(name_or_path) not in shipped and path.suffix != ".toml":
        raise DeviceProfileError("no such device profile", value=str(name_or_path),
                                 advice="shipped: " + ", ".join(shipped))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DeviceProfileError(f"cannot read: {exc.strerror or exc}", where=str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise DeviceProfileError(f"not valid TOML: {exc}", where=str(path)) from exc
    return parse_profile(data, path)


def parse_profile(data: Mapping[str, Any], path: Path) -> DeviceProfile:
    """Validates a parsed profile; errors name ``path`` and the key."""
    root = Table(data, str(path))
    dev, disc, gatt, rate = (root.table(k) for k in ("device", "discovery", "gatt", "rate"))
    settings = root.table("settings", required=False)
    values = {k: settings.scalar(k) for k in settings}
    packet = _packet(root.table("packet"))
    allowed = rate.int_list("allowed_hz", required=False)
    codes_raw = rate.table("codes", required=False)
    codes = {codes_raw.int_key(k): codes_raw.integer(k, lo=0, hi=255) for k in codes_raw}
    profile = DeviceProfile(
        name=dev.text("name", pattern=r"[a-z0-9_]+"),
        title=dev.text("title"),
        vendor=dev.text("vendor"),
        path=path,
        sources=tuple(dev.str_list("sources")),
        notes=dev.text("notes", default=""),
        bonding=dev.flag("bonding", default=False),
        min_mtu=dev.integer("min_mtu", default=23, lo=23, hi=517),
        name_patterns=tuple(disc.str_list("name_patterns")),
        advertised_services=tuple(disc.uuid_list("service_uuids")),
        service_uuid=gatt.uuid("service"),
        data_uuid=gatt.uuid("data"),
        control_uuid=gatt.uuid("control", required=False) or None,
        battery_uuid=gatt.uuid("battery", required=False) or None,
        default_rate_hz=rate.integer("default_hz", lo=1, hi=10_000),
        allowed_rates_hz=tuple(allowed) if allowed else None,
        min_rate_hz=rate.integer("min_hz", default=min(allowed or [1]), lo=1, hi=10_000),
        max_rate_hz=rate.integer("max_hz", default=max(allowed or [10_000]), lo=1, hi=10_000),
        rate_codes=codes,
        settings=values,
        start=tuple(_command(t) for t in root.table_list("start")),
        stop=tuple(_command(t) for t in root.table_list("stop", required=False)),
        haptic=_command(root.table("haptic")) if "haptic" in data else None,
        axes=_axes(root.table("axes")),
        packet=packet,
    )
    rate.check(profile.min_rate_hz <= profile.default_rate_hz <= profile.max_rate_hz,
               "default_hz", "is outside min_hz..max_hz")
    for cmd in (*profile.start, *profile.stop, *([profile.haptic] if profile.haptic else [])):
        root.check(cmd.char in ("control", "data") and (cmd.char != "control"
                   or profile.control_uuid is not None), f"command {cmd.description!r}",
                   f"writes to {cmd.char!r}, which the profile's [gatt] does not define")
    return profile


def _command(t: Table) -> Command:
    template = t.text("hex")
    leftover = _TOKEN.sub("", template).strip()
    t.check(not leftover, "hex", f"has text that is neither hex bytes nor {{name:fmt}}: "
            f"{leftover!r}")
    params = t.table("params", required=False)
    return Command(char=t.text("char"), template=template, response=t.flag("response", False),
                   description=t.text("description", default=template),
                   params={k: params.text(k) for k in params})


def _axes(t: Table) -> NDArray[np.float64]:
    spec = t.str_list("map")
    out = np.zeros((3, 3))
    ok = len(spec) == 3 and all(re.fullmatch(r"[+-][xyz]", s) for s in spec)
    t.check(ok and sorted(s[1] for s in spec) == ["x", "y", "z"], "map",
            "must name each of +/-x, y, z once, e.g. [\"+x\", \"-z\", \"+y\"]")
    for row, s in enumerate(spec):
        out[row, "xyz".index(s[1])] = 1.0 if s[0] == "+" else -1.0
    return out


def _packet(t: Table) -> PacketLayout:
    header = tuple(_field(f) for f in t.table_list("header", required=False))
    names = {f.name for f in header}
    sample_type = t.choice("sample_type", ("i1", "i2", "i4", "f4"))
    channels = tuple(_channel(c, names) for c in t.table_list("channels"))
    t.check(len({c.name for c in channels}) == len(channels), "channels", "repeat a name")
    t.check({"acc", "gyr"} <= {c.name for c in channels}, "channels", "need acc and gyr")
    roles = t.table("roles", required=False)

    def role(key: str) -> str | None:
        name = roles.text(key, default="") or None
        roles.check(name is None or name in names, key, f"names no header field: {name!r}")
        return name

    ts = t.table("timestamp", required=False)
    timestamp = None
    if ts.keys():
        timestamp = TimestampSpec(field=ts.text("field"), tick_s=ts.number("tick_s", gt=0),
                                  bits=ts.integer("bits", lo=8, hi=64))
        ts.check(timestamp.field in names, "field", "names no header field")
    fixed = t.integer("samples_per_packet", default=0, lo=0, hi=255) or None
    count = role("count")
    sync_hex = t.text("stream_sync", default="")
    try:
        sync = bytes.fromhex(sync_hex) if sync_hex else None
    except ValueError as exc:
        raise DeviceProfileError("is not hex", where=t.where("stream_sync")) from exc
    t.check(sync is None or fixed is not None, "stream_sync", "needs samples_per_packet")
    return PacketLayout(
        byte_order=t.choice("byte_order", ("little", "big")),  # type: ignore[arg-type]
        header=header,
        sample_type=sample_type,
        layout=t.choice("layout", ("interleaved", "planar")),  # type: ignore[arg-type]
        channels=channels,
        samples_per_packet=fixed,
        max_samples=t.integer("max_samples", default=fixed or 1, lo=1, hi=255),
        count_field=count,
        counter_field=role("counter"),
        counter_bits=roles.integer("counter_bits", default=16, lo=4, hi=32),
        timestamp=timestamp,
        rate_field=role("rate"),
        battery_field=role("battery"),
        flags_field=role("flags"),
        wear_bit=roles.integer("wear_bit", default=-1, lo=-1, hi=7) if roles.keys() else None,
        low_battery_bit=roles.integer("low_battery_bit", default=-1, lo=-1, hi=7)
        if roles.keys() else None,
        stream_sync=sync,
    )


def _field(t: Table) -> FieldSpec:
    equals = t.integer("equals", default=-1, lo=-1, hi=2**32) if "equals" in t else None
    return FieldSpec(
        name=t.text("name", pattern=r"[a-z_][a-z0-9_]*"),
        type=t.choice("type", tuple(TYPE_CODES)),
        equals=equals,
        allowed=tuple(t.int_list("allowed", required=False)),
        min=t.number("min") if "min" in t else None,
        max=t.number("max") if "max" in t else None,
    )


def _channel(t: Table, header_names: set[str]) -> ChannelSpec:
    name = t.choice("name", tuple(UNIT_TO_SI))
    fields = t.str_list("fields")
    t.check(len(fields) == 3, "fields", "must name exactly 3 axes")
    scale_field = t.text("scale_field", default="") or None
    t.check(scale_field is None or scale_field in header_names, "scale_field",
            f"names no header field: {scale_field!r}")
    return ChannelSpec(
        name=name,  # type: ignore[arg-type]
        fields=(fields[0], fields[1], fields[2]),
        unit=t.choice("unit", tuple(UNIT_TO_SI[name])),
        scale=t.number("scale", gt=0),
        scale_field=scale_field,
        max_abs=t.number("max_abs", gt=0) if "max_abs" in t else None,
    )
