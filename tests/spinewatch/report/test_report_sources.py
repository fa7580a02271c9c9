"""`spinewatch report --source store|influx`: the same day as the analysis folder gives.

The simulated day of ``test_report_render`` (about 7 minutes, analysed by the real
pipeline) and its copy with 60 s cut out go through the project's own writer
(:mod:`spinewatch.storage_feed`) into a local store, and from it into a real
InfluxDB 1.6 on loopback (skipped only when ``influxd`` is absent). The report
from either must show the headline numbers of the report from the analysis folder;
the gap must show as a gap, and a day without data must say so.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from report_factories import GAP, targets, write_analysis_folder
from test_report_render import DAY, START, cells

from spinewatch.cli import main
from spinewatch.errors import ReportError
from spinewatch.report import load_influx
from spinewatch.report.load_analysis import load_analysis, parse_start
from spinewatch.report.load_influx import InfluxDaySource, InfluxReader, select
from spinewatch.report.load_store import StoreDaySource
from spinewatch.storage.http import Response
from spinewatch.storage.schema import make_point
from spinewatch.storage.settings import StorageSettings
from spinewatch.storage.store import LocalStore
from spinewatch.storage_feed import FeedContext, commit, points_from_output, read_output, upload

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "storage"))
from storage_servers import InfluxServer, have

TZ = "Europe/Berlin"
GAP_DAY = "2026-11-25"
OFF_DAY = "2026-11-24"
DATABASE = "report_sources"
# Headline cells that must read the same from every source.
SAME = (
    "wear_s",
    "steps",
    "events.bend",
    "events.lift",
    "events.fall",
    "events.twist",
    "events.lateral_bend",
)


@pytest.fixture(scope="module")
def folders(
    tmp_path_factory: pytest.TempPathFactory, simulated_days: dict[str, Path]
) -> dict[str, Path]:
    """Analysis folders ``full`` and ``gap`` (60 s cut), ``off`` (never worn), and a store."""
    root = tmp_path_factory.mktemp("report_sources")
    folders = {**simulated_days, "off": root / "off"}
    write_analysis_folder(root / "off", hours=0.2, not_worn=((0.0, 720.0),), exercises=False)
    (root / "off" / "steps.csv").write_text("t\n")  # the synthetic folder has no steps file
    starts = {
        "full": parse_start(START),
        "gap": parse_start(f"{GAP_DAY}T13:00:00Z"),
        "off": parse_start(f"{OFF_DAY}T13:00:00Z"),
    }
    store_path = root / "results.sqlite"
    with LocalStore(store_path) as store:
        for key, start in starts.items():
            ctx = FeedContext("p-001", "dev-1", "fusion_weeks_0_6", start, timezone=TZ)
            commit(store, points_from_output(read_output(folders[key]), ctx))
    names = root / "names.csv"
    names.write_text("id,name\np-001,Jane Example\n")
    return {**folders, "store": store_path, "names": names, "root": root}


def _config(folder: Path, storage: str) -> Path:
    path = folder / "settings.toml"
    path.write_text(f'[patient]\nid = "p-001"\n\n[storage]\n{storage}\n')
    return path


def _report(folders: dict[str, Path], out: Path, day: str, *extra: str) -> str:
    args = ["report", "--patient", "p-001", "--date", day, "--timezone", TZ]
    args += ["--names", str(folders["names"]), "--out", str(out), *extra]
    assert main(args) == 0
    return out.read_text()


def _from_analysis(folders: dict[str, Path], key: str, day: str, tmp_path: Path) -> str:
    start = {"full": START, "gap": f"{GAP_DAY}T13:00:00Z"}[key]
    extra = ("--analysis", str(folders[key]), "--start", start)
    return _report(folders, tmp_path / "a.html", day, *extra)


def _same_headline(expected: str, got: str) -> None:
    (a,), (b,) = cells(expected), cells(got)
    for key in SAME:
        assert b[key]["data-value"] == a[key]["data-value"], key
        assert b[key]["text"] == a[key]["text"], key  # lifts by technique are in the text
    # The store's series is the 10 Hz timeline, the analysis' the full rate: one period.
    sit_a, sit_b = (float(c["longest_sitting_s"]["data-value"]) for c in (a, b))
    assert sit_a > 30 and abs(sit_a - sit_b) <= 0.2
    assert b["longest_sitting_s"]["text"] == a["longest_sitting_s"]["text"]
    assert abs(float(b["walking_s"]["data-value"]) - float(a["walking_s"]["data-value"])) <= 1.0


def test_store_report_has_the_analysis_headline(folders: dict[str, Path], tmp_path: Path) -> None:
    config = _config(tmp_path, f'store_path = "{folders["store"]}"')
    expected = _from_analysis(folders, "full", DAY, tmp_path)
    got = _report(folders, tmp_path / "s.html", DAY, "--config", str(config))  # store: default
    _same_headline(expected, got)
    assert int(cells(got)[0]["events.lift"]["data-value"]) >= 1
    assert "stoop" in cells(got)[0]["events.lift"]["text"]
    assert "Jane Example (p-001)" in got and "14:00" in got
    assert "No data" not in got


def test_store_day_matches_the_loaded_analysis(folders: dict[str, Path]) -> None:
    a = load_analysis(
        folders["full"],
        patient_id="p-001",
        targets=targets(),
        timezone=TZ,
        start=parse_start(START),
    )
    source = StoreDaySource.open(folders["store"], targets(), TZ)
    b = source.day("p-001", dt.date.fromisoformat(DAY))
    assert b is not None and source.day("p-001", b.date) is b  # read once
    assert b.start_utc == a.start_utc and b.date == a.date
    assert len(b.series) == len(a.series)
    assert np.allclose(b.series.t_s, a.series.t_s, atol=1e-3)
    assert np.array_equal(b.series.posture, a.series.posture)
    assert [(e.type, e.technique) for e in b.events] == [(e.type, e.technique) for e in a.events]
    assert b.headline.event_counts == a.headline.event_counts
    assert b.headline.lifts_by_technique == a.headline.lifts_by_technique
    assert b.gaps == () and b.not_worn == ()
    assert a.sets and b.sets and [s.rep_count for s in b.sets] == [s.rep_count for s in a.sets]
    assert source.patients(b.date) == ("p-001",)
    assert source.patients(dt.date(2026, 11, 26)) == ()
    source.close()


def test_store_day_with_a_gap_shows_the_gap(folders: dict[str, Path], tmp_path: Path) -> None:
    config = _config(tmp_path, f'store_path = "{folders["store"]}"')
    expected = _from_analysis(folders, "gap", GAP_DAY, tmp_path)
    got = _report(folders, tmp_path / "s.html", GAP_DAY, "--config", str(config))
    assert "No data 14:03–14:04 (1 min)" in expected
    assert "No data 14:03–14:04 (1 min)" in got
    _same_headline(expected, got)
    day = StoreDaySource.open(folders["store"], targets(), TZ).day(
        "p-001", dt.date.fromisoformat(GAP_DAY)
    )
    assert day is not None and len(day.gaps) == 1
    assert GAP[0] - 0.2 <= day.gaps[0].start_s and day.gaps[0].end_s <= GAP[1] + 0.2
    # Nothing is drawn inside the gap: no samples, no zeros.
    inside = (day.series.t_s > GAP[0] + 0.2) & (day.series.t_s < GAP[1] - 0.2)
    assert not inside.any()


def test_days_without_data_and_without_wear(folders: dict[str, Path], tmp_path: Path) -> None:
    config = _config(tmp_path, f'store_path = "{folders["store"]}"')
    text = _report(folders, tmp_path / "s.html", "2026-11-26", "--config", str(config))
    assert "No data for this day" in text
    assert not cells(text)[0]  # no headline numbers at all, and no zeros
    off = _report(folders, tmp_path / "o.html", OFF_DAY, "--config", str(config))
    assert "The sensor was not worn" in off
    (c,) = cells(off)
    assert float(c["wear_s"]["data-value"]) == 0.0
    assert c["steps"]["text"] == "not worn" and "0 steps" not in off
    # Four days from the store in one report: not worn, gap, no data, full.
    four = _report(folders, tmp_path / "f.html", DAY, "--days", "4", "--config", str(config))
    assert four.count('<section class="page"') == 4


def test_store_errors(
    folders: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    absent = _config(tmp_path, f'store_path = "{tmp_path / "absent.sqlite"}"')
    args = ["report", "--patient", "p-001", "--date", DAY, "--out", str(tmp_path / "r.html")]
    assert main([*args, "--config", str(absent)]) == 2
    assert "local store does not exist" in capsys.readouterr().err
    assert not (tmp_path / "absent.sqlite").exists()  # reading never creates a store
    assert main([*args, "--source", "store", "--analysis", str(folders["full"])]) == 2
    assert "--source analysis" in capsys.readouterr().err
    assert main([*args, "--source", "influx", "--config", str(absent)]) == 2
    assert "storage.url" in capsys.readouterr().err


def test_clinic_summary_from_the_store(folders: dict[str, Path], tmp_path: Path) -> None:
    config = _config(tmp_path, f'store_path = "{folders["store"]}"')
    out = tmp_path / "c.html"
    args = ["report", "--clinic", "--date", DAY, "--timezone", TZ, "--out", str(out)]
    assert main([*args, "--config", str(config)]) == 0
    assert 'data-patient="p-001"' in out.read_text()


# ---------------------------------------------------------------- InfluxDB


class _Scripted:
    """A transport answering every request with one response."""

    def __init__(self, response: Response) -> None:
        self.response = response

    def request(self, method: str, path: str, body: bytes | None, headers: object) -> Response:
        return self.response

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (Response(200, "", body=b'{"results":[{"error":"database not found: x"}]}'), "not found"),
        (Response(401, "authorization failed"), "credentials"),
        (Response(None, "no answer: ConnectionRefusedError"), "did not answer"),
        (Response(400, "error parsing query", body=b'{"error":"error parsing query"}'), "HTTP 400"),
    ],
)
def test_influx_errors_are_report_errors(response: Response, message: str) -> None:
    settings = StorageSettings(url="http://127.0.0.1:9", database="x")
    reader = InfluxReader(settings, _Scripted(response))
    with pytest.raises(ReportError, match=message):
        reader.query("events", 0, 10, {"patient": "p-001"})


def test_influxql_is_quoted() -> None:
    q = select("trunk_angles", "raw", 1, 2, {"patient": "p'1"})
    assert q == (
        'SELECT * FROM "raw"."trunk_angles" WHERE time >= 1 AND time < 2'
        " AND \"patient\" = 'p\\'1' ORDER BY time ASC"
    )
    with pytest.raises(ReportError, match="api_version 2"):
        InfluxReader(StorageSettings(url="http://127.0.0.1:9", api_version=2, bucket="b"))


@pytest.fixture(scope="module")
def influx(
    folders: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InfluxServer]:
    """A real InfluxDB 1.6 holding the store's points, uploaded by the project's uploader."""
    if not have("influxd"):
        pytest.skip("influxd is not installed (apt-get install influxdb; .ci/run does)")
    server = InfluxServer(tmp_path_factory.mktemp("influxd"))
    server.start()
    try:
        server.query(f"CREATE DATABASE {DATABASE}")
        with LocalStore(folders["store"]) as store:
            report = upload(store, StorageSettings(url=server.url, database=DATABASE), 30.0)
        assert report.quarantined == 0
        yield server
    finally:
        server.stop()


def test_influx_report_has_the_analysis_headline(
    folders: dict[str, Path], influx: InfluxServer, tmp_path: Path
) -> None:
    config = _config(tmp_path, f'url = "{influx.url}"\ndatabase = "{DATABASE}"')
    for key, day in (("full", DAY), ("gap", GAP_DAY)):
        expected = _from_analysis(folders, key, day, tmp_path)
        got = _report(
            folders, tmp_path / "i.html", day, "--source", "influx", "--config", str(config)
        )
        _same_headline(expected, got)
    assert "No data 14:03–14:04 (1 min)" in got
    empty = _report(
        folders, tmp_path / "e.html", "2026-11-26", "--source", "influx", "--config", str(config)
    )
    assert "No data for this day" in empty and not cells(empty)[0]


def test_influx_day_equals_the_store_day(
    folders: dict[str, Path], influx: InfluxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load_influx, "CHUNK_ROWS", 700)  # answers in several chunks
    settings = StorageSettings(url=influx.url, database=DATABASE)
    a = StoreDaySource.open(folders["store"], targets(), TZ)
    b = InfluxDaySource(settings, targets(), TZ)
    for day in (DAY, GAP_DAY, OFF_DAY, "2026-11-26"):
        date = dt.date.fromisoformat(day)
        da, db = a.day("p-001", date), b.day("p-001", date)
        if da is None or db is None:
            assert da is None and db is None, day
            continue
        assert db.headline == da.headline, day
        assert db.events == da.events and db.gaps == da.gaps and db.not_worn == da.not_worn
        assert np.array_equal(db.series.t_s, da.series.t_s)
        assert np.array_equal(db.series.flexion_deg, da.series.flexion_deg)
        assert np.array_equal(db.series.posture, da.series.posture)
    assert b.patients(dt.date.fromisoformat(DAY)) == ("p-001",)
    missing = InfluxDaySource(StorageSettings(url=influx.url, database="absent"), targets(), TZ)
    with pytest.raises(ReportError, match="database not found"):
        missing.day("p-001", dt.date.fromisoformat(DAY))
    a.close()
    b.close()
    missing.close()


# ---------------------------------------------------------------- synthetic stores

T0 = int(parse_start(START).timestamp()) * 1_000_000_000


def _synthetic(path: Path, summary_wear_s: float | None = None) -> LocalStore:
    """100 s of 10 Hz angles with no data 30–60 s (heartbeats: not worn) and 70–90 s
    (no heartbeats), standing throughout, then heartbeats saying not worn till 200 s."""
    ns = 1_000_000_000
    t = [k / 10 for k in range(1000) if not (30 < k / 10 < 60 or 70 < k / 10 < 90)]
    pts = [
        make_point(
            "trunk_angles",
            T0 + round(x * ns),
            patient="p-1",
            device="d",
            flexion_deg=5.0,
            lateral_deg=0.0,
        )
        for x in t
    ]
    pts.append(
        make_point(
            "posture",
            T0,
            patient="p-1",
            device="d",
            tags={"profile": "x", "zone": "standing"},
            duration_s=100.0,
        )
    )
    beats = [(b, b in (40, 50) or b >= 100) for b in range(0, 200, 10) if not 70 <= b <= 89]
    pts += [
        make_point(
            "device_status",
            T0 + b * ns,
            patient="p-1",
            device="d",
            connected=True,
            worn=not off,
            heartbeat=b,
        )
        for b, off in beats
    ]
    if summary_wear_s is not None:
        pts.append(
            make_point(
                "daily_summary",
                T0 - 13 * 3600 * ns,
                patient="p-1",
                device="d",
                tags={"profile": "x"},
                steps=500,
                wear_time_s=summary_wear_s,
            )
        )
    store = LocalStore(path)
    store.append(pts)
    return store


def test_heartbeats_tell_not_worn_from_no_data(tmp_path: Path) -> None:
    with _synthetic(tmp_path / "s.sqlite") as store:
        day = StoreDaySource(store, targets(), TZ).day("p-001", dt.date.fromisoformat(DAY))
        assert day is None  # another patient's store
        day = StoreDaySource(store, targets(), TZ).day("p-1", dt.date.fromisoformat(DAY))
    assert day is not None
    assert [(round(g.start_s, 1), round(g.end_s, 1)) for g in day.gaps] == [(70.0, 90.0)]
    assert [(round(s.start_s, 1), round(s.end_s, 1)) for s in day.not_worn] == [
        (30.0, 60.0),
        (100.0, 200.0),
    ]
    h = day.headline
    assert h.steps == 0 and abs(h.wear_s - 49.9) < 1e-6  # the angles' own worn time
    assert h.posture_s["standing"] == h.wear_s


def test_a_stored_summary_is_used_only_when_it_fits_the_day(tmp_path: Path) -> None:
    date = dt.date.fromisoformat(DAY)
    with _synthetic(tmp_path / "a.sqlite", summary_wear_s=49.0) as store:
        fits = StoreDaySource(store, targets(), TZ).day("p-1", date)
    with _synthetic(tmp_path / "b.sqlite", summary_wear_s=36_000.0) as store:
        too_much = StoreDaySource(store, targets(), TZ).day("p-1", date)
    assert fits is not None and fits.headline.wear_s == 49.0 and fits.headline.steps == 500
    assert too_much is not None and too_much.headline.wear_s < 50 and too_much.headline.steps == 0


def test_local_store_columns_equal_its_points(folders: dict[str, Path]) -> None:
    with LocalStore(folders["store"]) as store:
        tags = {"patient": "p-001"}
        points = store.query("device_status", tags=tags)
        times, cols = store.columns("device_status", ("worn", "heartbeat", "absent"), tags=tags)
    assert times == [p.time_ns for p in points]
    assert cols["heartbeat"] == [p.fields["heartbeat"] for p in points]
    assert cols["worn"] == [int(p.fields["worn"]) for p in points]  # booleans as 1/0
    assert cols["absent"] == [None] * len(points)
