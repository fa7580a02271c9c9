"""Line-protocol encoding: exact vectors for every escaping rule, and a real 1.6 round trip."""

from __future__ import annotations

import urllib.request

import pytest
from hypothesis import given
from hypothesis import strategies as st
from storage_servers import InfluxServer

from spinewatch.errors import StorageError
from spinewatch.storage.lineprotocol import (
    Point,
    encode_point,
    encode_points,
    format_field_value,
    series_key,
)


def pt(
    measurement: str = "m",
    tags: dict[str, str] | None = None,
    fields: dict[str, float | int | bool | str] | None = None,
    time_ns: int = 1,
) -> Point:
    return Point(measurement, tags or {}, fields if fields is not None else {"v": 1.0}, time_ns)


@pytest.mark.parametrize(
    ("point", "line"),
    [
        (pt(), "m v=1.0 1"),
        (pt(tags={"b": "2", "a": "1"}), "m,a=1,b=2 v=1.0 1"),
        (
            pt(fields={"n": 3, "x": -0.5, "ok": True, "no": False}),
            "m n=3i,no=false,ok=true,x=-0.5 1",
        ),
        (pt(fields={"big": 2**63 - 1}), "m big=9223372036854775807i 1"),
        (pt(fields={"f": 1e20}), "m f=1e+20 1"),
        (pt("my meas,x"), "my\\ meas\\,x v=1.0 1"),
        (pt("a=b"), "a=b v=1.0 1"),  # '=' needs no escape in a measurement
        (pt(tags={"k ey": "v,a=l ue"}), "m,k\\ ey=v\\,a\\=l\\ ue v=1.0 1"),
        (pt(fields={"f k=,": 1.0}), "m f\\ k\\=\\,=1.0 1"),
        (pt(fields={"s": 'say "hi"'}), 'm s="say \\"hi\\"" 1'),
        (pt(fields={"s": "back\\slash"}), 'm s="back\\\\slash" 1'),
        (pt(fields={"s": ""}), 'm s="" 1'),
        (pt(tags={"patient": "Zoë-Ω", "q": 'a"b'}), 'm,patient=Zoë-Ω,q=a"b v=1.0 1'),
        (pt(tags={"path": "a\\b"}), "m,path=a\\b v=1.0 1"),
        (pt(time_ns=1_700_000_000_123_456_789), "m v=1.0 1700000000123456789"),
        (pt(time_ns=-5), "m v=1.0 -5"),
    ],
)
def test_encoding_vectors(point: Point, line: str) -> None:
    assert encode_point(point) == line


def test_body_is_utf8_one_line_per_point() -> None:
    body = encode_points([pt(tags={"t": "é"}), pt(time_ns=2)])
    assert body == "m,t=é v=1.0 1\nm v=1.0 2\n".encode()


@pytest.mark.parametrize(
    "point",
    [
        pt(""),
        pt("_internal"),
        pt("#comment"),
        pt("a\nb"),
        pt(tags={"t": ""}),
        pt(tags={"": "v"}),
        pt(tags={"t": "line\nbreak"}),
        pt(tags={"t": "cr\r"}),
        pt(tags={"_t": "v"}),
        pt(tags={"time": "v"}),
        pt(tags={"t": "ends\\"}),
        pt(tags={"t": "a\\ b"}),
        pt(tags={"t": "a\\,b"}),
        pt(tags={"t": "a\\\\b"}),
        pt("m\\"),
        pt(fields={}),
        pt(fields={"time": 1.0}),
        pt(fields={"s": "two\nlines"}),
        pt(fields={"x": float("nan")}),
        pt(fields={"x": float("inf")}),
        pt(fields={"n": 2**63}),
        pt(fields={"s": "x" * (64 * 1024 + 1)}),
        pt(time_ns=2**63),
    ],
)
def test_unrepresentable_points_are_rejected_with_a_project_error(point: Point) -> None:
    with pytest.raises(StorageError):
        encode_point(point)


def test_unsupported_field_type_names_the_field() -> None:
    with pytest.raises(StorageError, match="field 'x'"):
        format_field_value([1], "x")  # type: ignore[arg-type]


def test_float_time_is_rejected() -> None:
    with pytest.raises(StorageError, match="integer nanoseconds"):
        encode_point(Point("m", {}, {"v": 1.0}, 1.5))  # type: ignore[arg-type]


def test_series_key_is_independent_of_tag_order() -> None:
    assert series_key("m", {"b": "1", "a": "2"}) == series_key("m", {"a": "2", "b": "1"})


def test_points_compare_by_content_and_type() -> None:
    assert pt(fields={"n": 1}) == pt(fields={"n": 1})
    assert pt(fields={"n": 1}) != pt(fields={"n": 1.0})
    assert len({pt(), pt()}) == 1


_name = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\\"), min_size=1
).filter(lambda s: not s.startswith("_") and s != "time")


@given(
    tags=st.dictionaries(_name, _name, max_size=4),
    s=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r")),
)
def test_any_unicode_tags_and_strings_encode_to_one_line(tags: dict[str, str], s: str) -> None:
    line = encode_point(pt(tags=tags, fields={"s": s}))
    assert "\n" not in line


def test_real_influxdb_reads_back_what_was_encoded(influx: InfluxServer) -> None:
    influx.query("CREATE DATABASE lp")
    tags = {"patient": "p é,1", "device": 'dev=1 "a"', "path": "a\\b"}
    fields: dict[str, float | int | bool | str] = {
        "angle_deg": -12.25,
        "count": 7,
        "worn": True,
        "note": 'quote " and back\\slash, comma=equals',
        "f k=,": 2.5,
    }
    body = encode_points([Point("my meas,x", tags, fields, 1_700_000_000_000_000_001)])
    request = urllib.request.Request(influx.url + "/write?db=lp&precision=ns", data=body)
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204
    rows = influx.rows('SELECT * FROM "my meas,x"', "lp")
    assert rows == [{"time": 1_700_000_000_000_000_001, **fields, **tags}]


def test_random_awkward_text_round_trips_through_real_influxdb(influx: InfluxServer) -> None:
    """Tag values, tag keys and string fields of awkward characters read back unchanged."""
    import random

    from storage_servers import influx_points, normalized

    rng = random.Random(6)
    alphabet = " ,=\"\\'=ab9é€Ω中😀\t#_-."
    points, expected = [], []
    for i in range(300):
        texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in "abc"]
        tag_key = "k" + texts[2]
        point = pt("rt", {"v": texts[0], tag_key: texts[1]}, {"s": texts[0] + texts[2]}, i)
        try:
            encode_point(point)
        except StorageError:
            continue  # e.g. a backslash before a comma: rejected, never sent
        points.append(point)
        expected.append(normalized("rt", dict(point.tags), dict(point.fields), i))
    assert len(points) > 100
    influx.query("CREATE DATABASE roundtrip")
    request = urllib.request.Request(
        influx.url + "/write?db=roundtrip&precision=ns", data=encode_points(points)
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204
    assert influx_points(influx, "roundtrip") == sorted(expected, key=repr)
