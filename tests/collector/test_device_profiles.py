"""Device profiles: every shipped profile loads; invalid ones fail with file and key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from collector.profiles import builtin_profiles, load_profile, parse_profile
from spinewatch.errors import ConfigError, DeviceProfileError

REF = builtin_profiles()["spinewatch_ref"]


def ref_data() -> dict[str, Any]:
    return tomllib.loads(REF.read_text(encoding="utf-8"))


def test_all_four_profiles_are_shipped() -> None:
    assert set(builtin_profiles()) == {
        "thingy52", "witmotion_bwt901ble", "movesense_gsp", "spinewatch_ref"}


@pytest.mark.parametrize("name", sorted(builtin_profiles()))
def test_profile_loads_with_uuids_commands_and_layout(name: str) -> None:
    p = load_profile(name)
    assert p.name == name
    assert p.data_uuid and p.service_uuid and p.advertised_services
    assert {c.name for c in p.packet.channels} >= {"acc", "gyr"}
    for cmd in p.start:
        assert cmd.render(p.command_values())


def test_documented_facts_of_real_sensors() -> None:
    thingy = load_profile("thingy52")
    assert thingy.data_uuid == "ef680406-9b35-4933-9b10-52ffa9740042"
    assert thingy.packet.frame_length == 18
    wit = load_profile("witmotion_bwt901ble")
    assert wit.data_uuid.endswith("9a34fb")
    assert wit.packet.frame_length == 20 and wit.packet.stream_sync == b"\x55\x61"
    assert [c.render(wit.command_values(100)).hex() for c in wit.start] == [
        "ffaa6988b5", "ffaa030900", "ffaa000000"]
    ms = load_profile("movesense_gsp")
    assert ms.start[0].render(ms.command_values(52)) == b"\x01\x63/Meas/IMU6/52"
    assert ms.packet.layout == "planar" and ms.packet.timestamp is not None


def test_reference_profile_has_what_rehabilitation_needs() -> None:
    p = load_profile("spinewatch_ref")
    roles = p.packet
    assert roles.counter_field and roles.timestamp and roles.battery_field
    assert roles.wear_bit == 0 and p.haptic is not None
    assert (p.min_rate_hz, p.max_rate_hz) == (25, 200)
    assert p.haptic.render({"strength_pct": 80, "duration_ms": 300}) == bytes([0x10, 80, 44, 1])
    # 19 samples fit one notification at ATT MTU 247 (244 bytes of payload).
    assert roles.header_size + 19 * roles.sample_size <= 244


def test_rate_outside_range_is_a_profile_error() -> None:
    with pytest.raises(DeviceProfileError, match="rate 300 Hz"):
        load_profile("spinewatch_ref").command_values(300)
    with pytest.raises(DeviceProfileError, match="10, 20, 50, 100, 200"):
        load_profile("witmotion_bwt901ble").check_rate(30)


def test_unknown_profile_names_the_shipped_ones() -> None:
    with pytest.raises(DeviceProfileError, match=r"shipped: .*thingy52"):
        load_profile("nope")


def test_profile_error_is_a_config_error() -> None:
    assert issubclass(DeviceProfileError, ConfigError)


@pytest.mark.parametrize(
    ("edit", "key", "message"),
    [
        (lambda d: d["gatt"].pop("data"), "gatt.data", "is missing"),
        (lambda d: d["gatt"].update(data="not-a-uuid"), "gatt.data", "not a 128-bit UUID"),
        (lambda d: d["packet"].update(sample_type="f8"), "packet.sample_type", "one of"),
        (lambda d: d["packet"]["channels"][0].update(unit="furlong"),
         "packet.channels[0].unit", "one of"),
        (lambda d: d["packet"]["channels"][1].update(scale=0), "packet.channels[1].scale",
         "> 0"),
        (lambda d: d["packet"]["roles"].update(counter="nope"), "packet.roles.counter",
         "names no header field"),
        (lambda d: d["axes"].update(map=["+x", "+x", "+z"]), "axes.map", "each of"),
        (lambda d: d["rate"].update(default_hz=500), "rate.default_hz", "outside"),
        (lambda d: d["start"][0].update(hex="01 zz"), "start[0].hex", "neither hex"),
        (lambda d: d["device"].update(bonding="yes"), "device.bonding", "true or false"),
    ],
)
def test_invalid_profile_names_file_and_key(edit: Any, key: str, message: str) -> None:
    data = ref_data()
    edit(data)
    with pytest.raises(DeviceProfileError) as info:
        parse_profile(data, Path("x.toml"))
    text = str(info.value)
    assert f"x.toml: {key}" in text and message in text
    assert "\n" not in text


def test_profile_from_a_path(tmp_path: Path) -> None:
    copy = tmp_path / "mine.toml"
    copy.write_text(REF.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_profile(copy).name == "spinewatch_ref"
    bad = tmp_path / "bad.toml"
    bad.write_text("[device\n", encoding="utf-8")
    with pytest.raises(DeviceProfileError, match=r"bad\.toml: not valid TOML"):
        load_profile(bad)
