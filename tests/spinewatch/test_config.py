"""The generic settings loader: types, errors, environment, secrets, dump."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from spinewatch.commands import config as config_command
from spinewatch.config import Secret, build, convert_partial, dump_toml, format_value, load
from spinewatch.config_schema import type_hints
from spinewatch.errors import ConfigError


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True, slots=True, kw_only=True)
class Flexion:
    hold_s: float = field(default=5.0, metadata={"min": 0, "unit": "s", "help": "hold time"})
    enabled: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Alerts:
    flexion: Flexion = field(default_factory=Flexion)
    rules: dict[str, Flexion] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Store:
    url: str = "http://localhost:8086"
    token: Secret | None = None
    password: Secret | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    name: str
    weight_kg: float = field(default=1.0, metadata={"gt": 0, "unit": "kg"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Root:
    sample_rate_hz: float = field(default=100.0, metadata={"gt": 0, "max": 200, "unit": "Hz"})
    count: int = field(default=3, metadata={"min": 1, "max": 10})
    mode: Literal["live", "replay"] = "live"
    color: Color = Color.RED
    channels: tuple[int, ...] = field(default=(1, 2), metadata={"min": 0, "min_len": 1})
    pair: tuple[float, float] = (0.0, 1.0)
    label: str | None = None
    day: dt.date | None = None
    out: Path = Path("out")
    alerts: Alerts = field(default_factory=Alerts)
    store: Store = field(default_factory=Store)
    items: tuple[Item, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Leaky:
    api_token: str = ""


def write(tmp_path: Path, text: str, name: str = "gateway.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str, env: Mapping[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load(Root, write(tmp_path, text), env or {})
    return str(info.value)


# ---------------------------------------------------------------- types and defaults


def test_no_file_and_no_environment_gives_the_defaults() -> None:
    assert load(Root, None, {}) == Root()


def test_every_supported_type_loads(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
sample_rate_hz = 52
count = 4
mode = "replay"
color = "BLUE"
channels = [3, 4, 5]
pair = [0.5, 2]
label = "left"
day = 2025-03-01
out = "results"
tags = { site = "home" }

[alerts.flexion]
hold_s = 2.5
enabled = false

[alerts.rules.stoop]
hold_s = 1

[[items]]
name = "kettle"
weight_kg = 1.5

[[items]]
name = "bag"
""",
    )
    root = load(Root, path, {})
    assert root.sample_rate_hz == 52.0 and isinstance(root.sample_rate_hz, float)
    assert (root.count, root.mode, root.color) == (4, "replay", Color.BLUE)
    assert (root.channels, root.pair) == ((3, 4, 5), (0.5, 2.0))
    assert (root.label, root.day, root.out) == ("left", dt.date(2025, 3, 1), Path("results"))
    assert root.alerts == Alerts(
        flexion=Flexion(hold_s=2.5, enabled=False), rules={"stoop": Flexion(hold_s=1.0)}
    )
    assert root.items == (Item(name="kettle", weight_kg=1.5), Item(name="bag"))
    assert root.tags == {"site": "home"}


def test_dates_may_be_strings() -> None:
    assert build(Root, {"day": "2024-12-24"}).day == dt.date(2024, 12, 24)


def test_enum_by_value_is_accepted() -> None:
    assert build(Root, {"color": "blue"}).color is Color.BLUE


# ---------------------------------------------------------------- errors


def test_out_of_range_names_file_line_key_value_and_range(tmp_path: Path) -> None:
    text = "count = 3\n\n[alerts.flexion]\nhold_s = -3\n"
    assert error_of(tmp_path, text) == (
        f"{tmp_path / 'gateway.toml'}:4: alerts.flexion.hold_s = -3: must be ≥ 0 s"
    )


def test_range_with_both_bounds_and_an_exclusive_one(tmp_path: Path) -> None:
    assert error_of(tmp_path, "count = 11").endswith("count = 11: must be between 1 and 10")
    assert error_of(tmp_path, "sample_rate_hz = 0").endswith(
        "sample_rate_hz = 0: must be > 0 and ≤ 200 Hz"
    )


def test_unknown_key_suggests_the_closest(tmp_path: Path) -> None:
    message = error_of(tmp_path, "[alerts.flexion]\nhold = 3\n")
    assert message.endswith(":2: alerts.flexion.hold: unknown key (did you mean 'hold_s'?)")


def test_unknown_key_in_wrong_case_suggests_the_right_case(tmp_path: Path) -> None:
    assert "(did you mean 'count'?)" in error_of(tmp_path, "Count = 3")


def test_unknown_key_without_a_close_match_lists_known_keys(tmp_path: Path) -> None:
    assert "(known keys: enabled, hold_s)" in error_of(tmp_path, "[alerts.flexion]\nzzz = 1\n")


def test_unknown_section_is_an_error(tmp_path: Path) -> None:
    assert "alertz: unknown key (did you mean 'alerts'?)" in error_of(tmp_path, "[alertz]\nx = 1\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('sample_rate_hz = "abc"', 'sample_rate_hz = "abc": must be a number'),
        ("count = 2.5", "count = 2.5: must be an integer"),
        ("count = true", "count = true: must be an integer"),
        ("sample_rate_hz = true", "sample_rate_hz = true: must be a number"),
        ("sample_rate_hz = nan", "sample_rate_hz = nan: must be a finite number"),
        (
            '[alerts.flexion]\nenabled = "yes"',
            'alerts.flexion.enabled = "yes": must be true or false',
        ),
        ("label = 3", "label = 3: must be a string"),
        ("day = 2025-13-01", ""),  # a TOML syntax error, covered below
        ('day = "March"', 'day = "March": must be a date (YYYY-MM-DD)'),
        ('mode = "LIVE"', 'mode = "LIVE": must be one of "live", "replay"'),
        ('color = "green"', 'color = "green": must be one of "red", "blue"'),
        ("channels = 3", "channels = 3: must be an array"),
        ("channels = []", "channels = []: must have at least 1 item"),
        ("channels = [1, -1]", "channels[1] = -1: must be ≥ 0"),
        ("pair = [1.0]", "pair = [1.0]: must be an array"),
        ("alerts = 3", "alerts = 3: must be a table"),
        ("tags = { a = 1 }", "tags.a = 1: must be a string"),
    ],
)
def test_wrong_types_name_key_value_and_expectation(
    tmp_path: Path, text: str, expected: str
) -> None:
    message = error_of(tmp_path, text)
    assert message.endswith(expected) if expected else "invalid TOML" in message


def test_errors_inside_arrays_of_tables_name_the_element_and_its_line(tmp_path: Path) -> None:
    text = '[[items]]\nname = "a"\n\n[[items]]\nname = "b"\nweight_kg = 0\n'
    assert error_of(tmp_path, text).endswith(":6: items[1].weight_kg = 0: must be > 0 kg")


def test_missing_required_key_in_a_table(tmp_path: Path) -> None:
    assert error_of(tmp_path, "[[items]]\nweight_kg = 2\n").endswith(
        ":1: items[0].name: missing required key"
    )


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, "count = 3\nmode = live\n")
    assert message.startswith(f"{tmp_path / 'gateway.toml'}:2: invalid TOML: ")
    assert "line 2" in message


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.toml: cannot read file"):
        load(Root, tmp_path / "nowhere.toml", {})


def test_errors_are_one_line(tmp_path: Path) -> None:
    assert "\n" not in error_of(tmp_path, "label = 3\n")


def test_unsupported_type_is_a_programming_error() -> None:
    @dataclass(frozen=True)
    class Odd:
        value: complex = 1j

    with pytest.raises(TypeError, match="unsupported type"):
        build(Odd, {"value": 3})


def test_partial_tables_give_relative_errors() -> None:
    assert convert_partial(Flexion, {"hold_s": 2}, key="over") == {"hold_s": 2.0}
    with pytest.raises(ConfigError) as info:
        convert_partial(Flexion, {"hold_s": -1}, key="over")
    assert (info.value.where, info.value.message, info.value.value) == (
        "over.hold_s",
        "must be ≥ 0 s",
        -1,
    )


# ---------------------------------------------------------------- environment


def test_environment_overrides_at_every_depth(tmp_path: Path) -> None:
    path = write(tmp_path, "count = 2\n[alerts.flexion]\nhold_s = 1\n")
    env = {
        "SPINEWATCH__COUNT": "7",
        "SPINEWATCH__ALERTS__FLEXION__HOLD_S": "9.5",
        "spinewatch__alerts__flexion__enabled": "no",
        "SPINEWATCH__ALERTS__RULES__STOOP__HOLD_S": "2",
        "SPINEWATCH__TAGS__Site": "clinic",
        "SPINEWATCH__STORE__URL": "http://db:8086",
        "SPINEWATCH_IGNORED": "x",
        "OTHER__COUNT": "1",
    }
    root = load(Root, path, env)
    assert root.count == 7
    assert root.alerts.flexion == Flexion(hold_s=9.5, enabled=False)
    assert root.alerts.rules == {"stoop": Flexion(hold_s=2.0)}
    assert root.tags == {"site": "clinic"}
    assert root.store.url == "http://db:8086"


@pytest.mark.parametrize(
    ("word", "value"),
    [("true", True), ("1", True), ("YES", True), ("on", True), ("False", False), ("0", False)],
)
def test_environment_booleans(word: str, value: bool) -> None:
    assert (
        load(Root, None, {"SPINEWATCH__ALERTS__FLEXION__ENABLED": word}).alerts.flexion.enabled
        is value
    )


def test_environment_arrays_literals_enums_dates_and_none() -> None:
    env = {
        "SPINEWATCH__CHANNELS": "[7, 8]",
        "SPINEWATCH__ITEMS": '[{ name = "box", weight_kg = 3 }]',
        "SPINEWATCH__MODE": "replay",
        "SPINEWATCH__COLOR": "blue",
        "SPINEWATCH__DAY": "2025-02-03",
        "SPINEWATCH__LABEL": "none",
        "SPINEWATCH__OUT": "/tmp/x",
    }
    root = load(Root, None, env)
    assert root.channels == (7, 8) and root.items == (Item(name="box", weight_kg=3.0),)
    assert (root.mode, root.color, root.day) == ("replay", Color.BLUE, dt.date(2025, 2, 3))
    assert root.label is None and root.out == Path("/tmp/x")


@pytest.mark.parametrize(
    ("var", "text", "expected"),
    [
        ("SPINEWATCH__COUNT", "many", 'SPINEWATCH__COUNT: count = "many": must be an integer'),
        (
            "SPINEWATCH__SAMPLE_RATE_HZ",
            "fast",
            'SAMPLE_RATE_HZ: sample_rate_hz = "fast": must be a number',
        ),
        (
            "SPINEWATCH__ALERTS__FLEXION__ENABLED",
            "maybe",
            'ENABLED: alerts.flexion.enabled = "maybe": must be true or false (use true/false',
        ),
        (
            "SPINEWATCH__ALERTS__FLEXION__HOLD",
            "3",
            "SPINEWATCH__ALERTS__FLEXION__HOLD: alerts.flexion.hold: unknown key "
            "(did you mean 'hold_s'?)",
        ),
        ("SPINEWATCH__COUNT__X", "1", "SPINEWATCH__COUNT__X: count: is not a table"),
        ("SPINEWATCH__ALERTS____HOLD_S", "1", "SPINEWATCH__ALERTS____HOLD_S: empty key level"),
        ("SPINEWATCH__CHANNELS", "[1,", 'SPINEWATCH__CHANNELS: channels = "[1,": must be an array'),
        (
            "SPINEWATCH__ALERTS__FLEXION__HOLD_S",
            "-2",
            "SPINEWATCH__ALERTS__FLEXION__HOLD_S: alerts.flexion.hold_s = -2.0: must be ≥ 0 s",
        ),
        (
            "SPINEWATCH__MODE",
            "test",
            'SPINEWATCH__MODE: mode = "test": must be one of "live", "replay"',
        ),
    ],
)
def test_environment_errors_name_the_variable(var: str, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(Root, None, {var: text})
    assert expected in str(info.value)


def test_environment_beats_the_file_and_its_errors_point_to_the_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "count = 50\n")
    assert load(Root, path, {"SPINEWATCH__COUNT": "5"}).count == 5
    with pytest.raises(ConfigError, match=r"^SPINEWATCH__COUNT: count = 50: must be between"):
        load(Root, write(tmp_path, "count = 2\n"), {"SPINEWATCH__COUNT": "50"})


def test_env_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPINEWATCH__COUNT", "6")
    assert load(Root).count == 6


# ---------------------------------------------------------------- secrets


def test_secret_never_shows_itself() -> None:
    secret = Secret("hunter2")
    assert repr(secret) == "Secret('***')"
    assert str(secret) == "***" and f"{secret}" == "***" and f"{secret:>10}" == "***"
    assert secret.reveal() == "hunter2"
    assert (
        secret == Secret("hunter2")
        and secret != Secret("other")
        and hash(secret) == hash(Secret("hunter2"))
    )
    assert format_value(secret) == '"***"'


def test_secret_from_the_file_is_masked_in_repr(tmp_path: Path) -> None:
    root = load(Root, write(tmp_path, '[store]\ntoken = "tok-123"\n'), {})
    assert root.store.token is not None and root.store.token.reveal() == "tok-123"
    assert "tok-123" not in repr(root) and "Secret('***')" in repr(root)
    assert "tok-123" not in dump_toml(root)


def test_secret_from_a_file_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "token.txt").write_text("tok-from-file\n", encoding="utf-8")
    root = load(Root, write(tmp_path, '[store]\ntoken_file = "token.txt"\n'), {})
    assert root.store.token == Secret("tok-from-file")


def test_secret_file_from_the_environment(tmp_path: Path) -> None:
    secret_path = tmp_path / "pw"
    secret_path.write_text("pw-1", encoding="utf-8")
    path = write(tmp_path, '[store]\npassword = "in-file"\n')
    root = load(Root, path, {"SPINEWATCH__STORE__PASSWORD_FILE": str(secret_path)})
    assert root.store.password == Secret("pw-1")
    root = load(Root, None, {"SPINEWATCH__STORE__TOKEN": "tok-env"})
    assert root.store.token == Secret("tok-env")


def test_secret_given_twice_is_an_error(tmp_path: Path) -> None:
    message = error_of(tmp_path, '[store]\ntoken = "a"\ntoken_file = "b"\n')
    assert message.endswith("store.token: give either token or token_file, not both")


def test_unreadable_or_empty_secret_file(tmp_path: Path) -> None:
    assert "store.token_file = " in error_of(tmp_path, '[store]\ntoken_file = "missing"\n')
    assert "cannot read secret file" in error_of(tmp_path, '[store]\ntoken_file = "missing"\n')
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    assert "secret file is empty" in error_of(tmp_path, '[store]\ntoken_file = "empty"\n')


def test_a_bad_secret_value_is_not_echoed(tmp_path: Path) -> None:
    message = error_of(tmp_path, "[store]\ntoken = 123456\n")
    assert "123456" not in message and 'store.token = "***": must be a string' in message


def test_secret_named_fields_must_be_typed_secret() -> None:
    with pytest.raises(TypeError, match=r"Leaky\.api_token holds a secret"):
        type_hints(Leaky)


# ---------------------------------------------------------------- dump


def test_dump_of_the_defaults_loads_back_equal(tmp_path: Path) -> None:
    text = dump_toml(Root())
    assert load(Root, write(tmp_path, text), {}) == Root()
    assert "# hold time [≥ 0 s]" in text and "hold_s = 5.0" in text
    assert "# label =" in text and "# [[items]]" in text


def test_dump_of_every_kind_of_value_loads_back_equal(tmp_path: Path) -> None:
    root = Root(
        sample_rate_hz=52.0,
        count=4,
        mode="replay",
        color=Color.BLUE,
        channels=(3,),
        pair=(1e-05, 2.0),
        label='quote " and \\ backslash',
        day=dt.date(2025, 3, 1),
        out=Path("/data"),
        alerts=Alerts(
            flexion=Flexion(hold_s=0.0),
            rules={"stoop": Flexion(enabled=False), "two words": Flexion()},
        ),
        items=(Item(name="a"), Item(name="b", weight_kg=9.5)),
        tags={"k": "v", "x y": "z"},
    )
    assert load(Root, write(tmp_path, dump_toml(root)), {}) == root


# ---------------------------------------------------------------- the command


def run_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    config_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


def test_command_defaults_prints_loadable_toml(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_command(["config", "defaults"]) == 0
    assert "[patient]" in capsys.readouterr().out


def test_command_check_ok_and_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPINEWATCH__PATIENT__ID", "env-id")
    good = write(tmp_path, '[patient]\nid = "p-1"\n', "good.toml")
    assert run_command(["config", "check", str(good)]) == 0
    assert capsys.readouterr().out.startswith(
        f"OK: {good} (patient env-id, profile fusion_weeks_0_6)"
    )
    assert run_command(["config", "check", "--no-env", "--show", str(good)]) == 0
    out = capsys.readouterr().out
    assert "patient p-1" in out and 'id = "p-1"' in out
    bad = write(tmp_path, "[analysis]\ntimeline_hz = -1\n", "bad.toml")
    assert run_command(["config", "check", "--no-env", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {bad}:2: analysis.timeline_hz = -1: must be between 0 and 1000 Hz\n"


def test_command_profiles_lists_every_profile(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_command(["config", "profiles"]) == 0
    out = capsys.readouterr().out
    assert "fusion_weeks_0_6" in out and "15/25" in out and "maintenance" in out


def test_dataclass_fields_all_reachable() -> None:
    # Guard for the test tree itself: every Root field is exercised above.
    assert {f.name for f in dataclasses.fields(Root)} >= {"items", "tags", "store", "day"}


def test_environment_reaches_into_a_table_with_no_keys_yet() -> None:
    with pytest.raises(ConfigError) as info:
        load(Root, None, {"SPINEWATCH__ALERTS__RULES__NEW__HOLDS": "1"})
    assert str(info.value) == (
        "SPINEWATCH__ALERTS__RULES__NEW__HOLDS: alerts.rules.new.holds: unknown key "
        "(did you mean 'hold_s'?)"
    )


def test_environment_table_value_that_is_not_toml_gets_advice() -> None:
    with pytest.raises(ConfigError) as info:
        load(Root, None, {"SPINEWATCH__ITEMS": "box"})
    assert info.value.where == "SPINEWATCH__ITEMS"
    assert "TOML value" in (info.value.advice or "")


def test_environment_into_a_key_the_file_made_a_scalar(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="alerts: is not a table in the file"):
        load(Root, write(tmp_path, "alerts = 3\n"), {"SPINEWATCH__ALERTS__FLEXION__HOLD_S": "1"})


def test_environment_nan_is_rejected_as_not_finite() -> None:
    with pytest.raises(ConfigError, match="must be a finite number"):
        load(Root, None, {"SPINEWATCH__SAMPLE_RATE_HZ": "nan"})


def test_relative_secret_file_from_the_environment_is_relative_to_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cwd").mkdir()
    (tmp_path / "cwd" / "tok").write_text("from-cwd", encoding="utf-8")
    (tmp_path / "tok").write_text("next-to-config", encoding="utf-8")
    monkeypatch.chdir(tmp_path / "cwd")
    root = load(Root, write(tmp_path, ""), {"SPINEWATCH__STORE__TOKEN_FILE": "tok"})
    assert root.store.token == Secret("from-cwd")
