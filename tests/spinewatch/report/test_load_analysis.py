"""Loading a patient-day from an analysis folder; the model, names file and plots."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from report_factories import START, TZ, make_day, targets, write_analysis_folder

from spinewatch.errors import ReportError
from spinewatch.report import plots
from spinewatch.report.load_analysis import load_analysis, parse_start
from spinewatch.report.model import POSTURES, DayTrend, Series
from spinewatch.report.sources import AnalysisFolders, FolderSpec, read_names


def test_loads_what_the_folder_holds(tmp_path: Path) -> None:
    summary = write_analysis_folder(tmp_path, hours=0.5, not_worn=((600.0, 900.0),))
    day = load_analysis(tmp_path, patient_id="p-001", targets=targets(), timezone=TZ)
    assert day.start_utc == START
    assert day.date == dt.date(2026, 11, 27)
    assert day.hhmm(0.0) == "08:00"
    assert day.headline.wear_s == summary["wear_s"]
    assert day.headline.steps == summary["steps"]
    assert day.headline.event_counts["bend"] == summary["events"]["count"]["bend"]
    assert len(day.series) == 18000
    assert day.not_worn and abs(day.not_worn[0].start_s - 600.0) < 0.2
    assert day.sets is not None and day.sets[0].exercise == "bridge"
    assert [r.range_deg for r in day.sets[0].reps][:2] == [24.0, 26.0]
    assert day.adherence is not None and day.adherence[0].sets_prescribed == 3


def test_missing_exercise_files_mean_no_exercise_data(tmp_path: Path) -> None:
    write_analysis_folder(tmp_path, hours=0.2, exercises=False)
    day = load_analysis(tmp_path, patient_id="p", targets=targets(), timezone=TZ)
    assert day.sets is None and day.adherence is None


def test_start_from_option_and_unix_clock(tmp_path: Path) -> None:
    write_analysis_folder(tmp_path, hours=0.1, start_utc=None)
    with pytest.raises(ReportError, match="no wall-clock start") as err:
        load_analysis(tmp_path, patient_id="p", targets=targets(), timezone=TZ)
    assert err.value.advice and "--start" in err.value.advice
    start = parse_start("2026-11-27T09:30:00+01:00")
    day = load_analysis(tmp_path, patient_id="p", targets=targets(), timezone=TZ, start=start)
    assert day.hhmm(0.0) == "09:30"
    # A recording clock in Unix seconds needs no start.
    s = json.loads((tmp_path / "summary.json").read_text())
    s["start_s"] = START.timestamp()
    (tmp_path / "summary.json").write_text(json.dumps(s))
    day = load_analysis(tmp_path, patient_id="p", targets=targets(), timezone=TZ)
    assert day.hhmm(START.timestamp()) == "08:00"


@pytest.mark.parametrize("text", ["yesterday", "2026-11-27T09:30:00"])
def test_bad_start_times(text: str) -> None:
    with pytest.raises(ReportError):
        parse_start(text)


def test_bad_folder_and_timezone(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"summary\.json"):
        load_analysis(tmp_path, patient_id="p", targets=targets(), timezone=TZ)
    write_analysis_folder(tmp_path, hours=0.1)
    with pytest.raises(ReportError, match="time zone"):
        load_analysis(tmp_path, patient_id="p", targets=targets(), timezone="Mars/Olympus")
    (tmp_path / "timeline.csv").unlink()
    with pytest.raises(ReportError, match="missing"):
        load_analysis(tmp_path, patient_id="p", targets=targets(), timezone=TZ)


def test_unknown_posture_label_is_other(tmp_path: Path) -> None:
    write_analysis_folder(tmp_path, hours=0.01)
    lines = (tmp_path / "timeline.csv").read_text().splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + ",kneeling"
    (tmp_path / "timeline.csv").write_text("\n".join(lines) + "\n")
    day = load_analysis(tmp_path, patient_id="p", targets=targets(), timezone=TZ)
    assert day.series.posture[0] == POSTURES.index("other")


def test_two_analyses_of_one_day_are_refused(tmp_path: Path) -> None:
    write_analysis_folder(tmp_path / "a", hours=0.1)
    write_analysis_folder(tmp_path / "b", hours=0.1)
    specs = [FolderSpec("p", tmp_path / "a"), FolderSpec("p", tmp_path / "b")]
    with pytest.raises(ReportError, match="second analysis"):
        AnalysisFolders(specs, {"p": targets()}, TZ)


def test_names_file(tmp_path: Path) -> None:
    f = tmp_path / "names.csv"
    f.write_text("id,name\np-001, Jane Example \np-002,\n")
    assert read_names(f) == {"p-001": "Jane Example"}
    f.write_text("patient;name\n")
    with pytest.raises(ReportError, match="id,name"):
        read_names(f)
    with pytest.raises(ReportError, match="cannot be read"):
        read_names(tmp_path / "absent.csv")


def test_trend_of_a_day_not_worn_has_no_movement_numbers() -> None:
    from report_factories import headline

    day = make_day(headline=headline(wear_s=0.0, steps=None, walking_s=None))
    t = DayTrend.of(day)
    assert t.wear_h == 0.0 and t.steps is None and t.risky_bends is None
    assert DayTrend.of(make_day()).steps == 3000


def _png_ink(png: bytes) -> float:
    img = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    return float((img < 200).mean())


def test_every_plot_draws_for_a_normal_an_empty_and_a_no_data_day() -> None:
    empty = Series(np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int8))
    for day in (make_day(), make_day(series=empty, sets=None), make_day(sets=())):
        for f in (plots.flexion_plot, plots.posture_plot, plots.zones_plot, plots.exercise_plot):
            png = f(day)
            assert png.startswith(b"\x89PNG")
            assert _png_ink(png) > 0.005, f.__name__
    trend = [DayTrend(dt.date(2026, 11, 20 + i)) for i in range(6)] + [DayTrend.of(make_day())]
    assert _png_ink(plots.trend_plot(trend, targets())) > 0.01
