"""`spinewatch report` end to end: a simulated patient-day, rendered in headless Chromium.

The day is simulated (about 7 minutes), analysed by the real pipeline, then reported
through the command line. The HTML's headline numbers must equal the analysis output;
the screenshot must show drawn plots where the page puts them; the PDF must have one
non-blank page per day. A copy with 60 s of samples removed is the day with a gap;
a synthetic analysis folder is the day the sensor was not worn.
"""

from __future__ import annotations

import csv
import html.parser
import json
import re
from pathlib import Path

import numpy as np
import pytest
from report_browser import ink, pdf_pages, plot_boxes, screenshot
from report_factories import write_analysis_folder

from spinewatch.cli import main

DAY = "2026-11-27"
START = "2026-11-27T13:00:00Z"  # 14:00 in Berlin


@pytest.fixture(scope="module")
def days(
    tmp_path_factory: pytest.TempPathFactory, simulated_days: dict[str, Path]
) -> dict[str, Path]:
    """Analysis folders: ``full`` (simulated), ``gap`` (60 s cut out), ``off`` (not worn)."""
    root = tmp_path_factory.mktemp("report_days")
    write_analysis_folder(
        root / "off", hours=0.5, not_worn=((0.0, 1800.0),), exercises=False, start_utc=None
    )
    names = root / "names.csv"
    names.write_text("id,name\np-001,Jane Example\np-002,John Example\n")
    return {**simulated_days, "off": root / "off", "names": names}


def report(days: dict[str, Path], out: Path, *extra: str) -> int:
    return main(
        [
            "report",
            "--date",
            DAY,
            "--timezone",
            "Europe/Berlin",
            "--names",
            str(days["names"]),
            "--out",
            str(out),
            *extra,
        ]
    )


def one_day(days: dict[str, Path], key: str, tmp_path: Path) -> str:
    """The HTML report of day ``key`` for patient p-001, started at START."""
    out = tmp_path / "r.html"
    args = ("--patient", "p-001", "--analysis", str(days[key]), "--start", START)
    assert report(days, out, *args) == 0
    return out.read_text()


class _Cells(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict[str, str]] = []
        self._open: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "data-key" in a:
            self._open = {**a, "text": ""}
            self.cells.append(self._open)

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._open = None


def cells(text: str) -> list[dict[str, dict[str, str]]]:
    """Per page, the headline cells by key."""
    out = []
    for page in text.split('<section class="page"')[1:]:
        p = _Cells()
        p.feed(page)
        out.append({c["data-key"]: c for c in p.cells})
    return out


def test_headline_numbers_equal_the_analysis(days: dict[str, Path], tmp_path: Path) -> None:
    text = one_day(days, "full", tmp_path)
    summary = json.loads((days["full"] / "summary.json").read_text())
    rows = list(csv.DictReader((days["full"] / "events.csv").open()))
    (c,) = cells(text)
    assert float(c["wear_s"]["data-value"]) == summary["wear_s"]
    assert int(c["steps"]["data-value"]) == summary["steps"]
    assert c["steps"]["text"].startswith(f"{summary['steps']} (target")
    assert float(c["walking_s"]["data-value"]) == summary["walking_s"]
    assert float(c["longest_sitting_s"]["data-value"]) == summary["longest_sitting_bout_s"]
    assert float(c["zone.beyond"]["data-value"]) == summary["flexion_zone_s"]["beyond"]
    for kind in ("bend", "lift", "fall", "twist", "lateral_bend"):
        n = sum(1 for r in rows if r["type"] == kind)
        assert int(c[f"events.{kind}"]["data-value"]) == n == summary["events"]["count"][kind]
        assert c[f"events.{kind}"]["text"].startswith(str(n))
    assert summary["events"]["count"]["lift"] >= 1  # the simulated day has lift-like movements
    # The name only in the report; times on the clinic's clock; nothing fetched from outside.
    assert "Jane Example (p-001)" in text
    assert "14:00" in text
    assert not re.search(r"""(src|href)=["']?(https?:|//)|<link|<script|url\(""", text)


def test_screenshot_shows_the_plots(days: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    args = ("--patient", "p-001", "--analysis", str(days["full"]), "--start", START)
    assert report(days, out, *args, "--paper", "letter") == 0  # the shorter page
    boxes = plot_boxes(out, 900, tmp_path)
    assert {b["plot"] for b in boxes} == {"flexion", "posture", "zones", "trend", "exercise"}
    height = int(max(b["y"] + b["h"] for b in boxes)) + 20
    img = screenshot(out, tmp_path / "shot.png", 900, height)
    for b in boxes:
        assert b["loaded"], b
        assert b["y"] + b["h"] <= b["page_bottom"] + 1, f"{b['plot']} falls off the page"
        region = img[
            int(b["y"]) + 2 : int(b["y"] + b["h"]) - 2, int(b["x"]) + 2 : int(b["x"] + b["w"]) - 2
        ]
        assert region.size > 5000, b
        assert 0.02 < ink(region) < 0.9, (b["plot"], ink(region))
        assert region.std() > 20, b["plot"]
    # Between the plots: the page's text, not a blank screenshot.
    assert ink(img[: int(min(b["y"] for b in boxes))]) > 0.01


def test_pdf_has_one_non_blank_page_per_day(days: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    assert (
        report(
            days,
            out,
            "--patient",
            "p-001",
            "--days",
            "4",
            "--analysis",
            str(days["off"]),
            str(days["gap"]),
            str(days["full"]),
            "--start",
            "2026-11-24T13:00:00Z",
            "2026-11-25T13:00:00Z",
            START,
        )
        == 0
    )
    pages = pdf_pages(out, tmp_path)
    assert len(pages) == 4  # 24th not worn, 25th gap, 26th no data, 27th full
    for k, p in enumerate(pages):
        assert ink(p) > 0.01, f"page {k + 1} is blank"
        assert abs(p.shape[0] / p.shape[1] - 297 / 210) < 0.02  # A4
    assert ink(pages[3]) > ink(pages[2])  # a full day draws more than "no data"
    # The HTML with the patient's name is not left beside the PDF.
    assert not list(tmp_path.glob("*.htm*"))


def test_letter_paper(days: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    assert (
        report(
            days,
            out,
            "--patient",
            "p-001",
            "--paper",
            "letter",
            "--days",
            "2",
            "--analysis",
            str(days["full"]),
            "--start",
            START,
        )
        == 0
    )
    pages = pdf_pages(out, tmp_path)
    assert len(pages) == 2
    assert abs(pages[0].shape[0] / pages[0].shape[1] - 11 / 8.5) < 0.02


def test_day_with_a_gap_says_so(days: dict[str, Path], tmp_path: Path) -> None:
    text = one_day(days, "gap", tmp_path)
    summary = json.loads((days["gap"] / "summary.json").read_text())
    assert summary["gaps"], "the cut must be a gap in the analysis"
    assert "No data 14:03–14:04 (1 min)" in text
    (c,) = cells(text)
    assert float(c["wear_s"]["data-value"]) == summary["wear_s"]
    assert "counted while worn" in text


def test_day_not_worn_has_no_zeros(days: dict[str, Path], tmp_path: Path) -> None:
    text = one_day(days, "off", tmp_path)
    assert "The sensor was not worn" in text
    (c,) = cells(text)
    for key in (
        "steps",
        "walking_s",
        "events.bend",
        "events.lift",
        "events.fall",
        "zone.beyond",
        "longest_sitting_s",
    ):
        assert c[key]["data-value"] == "", key
        assert c[key]["text"] == "not worn", key
    assert "0 steps" not in text and "No falls" not in text
    assert float(c["wear_s"]["data-value"]) == 0.0


def test_missing_exercise_files_say_no_exercise_data(days: dict[str, Path], tmp_path: Path) -> None:
    assert "no exercise data" in one_day(days, "off", tmp_path)


def test_clinic_summary_attention_first(days: dict[str, Path], tmp_path: Path) -> None:
    calm = tmp_path / "calm"
    fall = tmp_path / "fall"
    write_analysis_folder(calm, hours=0.5, exercises=False)
    write_analysis_folder(fall, hours=0.5, exercises=False, falls=(900.0,))
    out = tmp_path / "clinic.html"
    assert (
        report(
            days,
            out,
            "--clinic",
            "--analysis",
            f"p-001={calm}",
            f"p-002={fall}",
            "--start",
            START,
            START,
        )
        == 0
    )
    text = out.read_text()
    order = re.findall(r'<tr class="(\w+)" data-patient="([^"]+)"', text)
    assert order[0] == ("attention", "p-002")
    assert "1 fall" in text
    assert "John Example (p-002)" in text
    assert text.count('<section class="page') == 3  # summary + one page per patient


def test_errors_are_one_line(
    days: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "r.html"
    assert report(days, out, "--patient", "p-001", "--analysis", str(days["full"])) == 2
    assert "--start" in capsys.readouterr().err
    # Without --analysis the source is the local store (here: one that does not exist).
    monkeypatch.setenv("SPINEWATCH__STORAGE__STORE_PATH", str(tmp_path / "absent.sqlite"))
    assert report(days, out, "--patient", "p-001") == 2
    assert "local store does not exist" in capsys.readouterr().err
    assert (
        report(days, tmp_path / "r.txt", "--patient", "p-001", "--analysis", str(days["off"])) == 2
    )
    assert not out.exists()


def test_settings_of_another_patient_are_refused(
    days: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "patient.toml"
    config.write_text('[patient]\nid = "p-002"\n')
    args = ("--patient", "p-001", "--analysis", str(days["off"]), "--start", START)
    assert report(days, tmp_path / "r.html", *args, "--config", str(config)) == 2
    assert "p-002, not p-001" in capsys.readouterr().err
    assert report(days, tmp_path / "r.html", "--patient", "bad id!", "--analysis", "x") == 2


def test_timeline_is_envelope_of_real_data(days: dict[str, Path]) -> None:
    # Guard for the plots: the analysis timeline really has 10 Hz rows with flexion.
    t = np.loadtxt(days["full"] / "timeline.csv", delimiter=",", skiprows=1, usecols=(0, 1))
    assert np.allclose(np.diff(t[:50, 0]), 0.1, atol=1e-3)


def test_a_busy_day_still_fits_one_letter_page(tmp_path: Path) -> None:
    from report_factories import done, event, exercise_set, make_day, spans

    from spinewatch.report.html import PageInput, document, page_html
    from spinewatch.report.model import DayTrend

    names = ["bridge", "pelvic_tilt", "cat_camel", "bird_dog", "sit_to_stand", "knee_to_chest"]
    sets = tuple(exercise_set(n, 600.0 * k, [20.0, 18, 15, 12, 10, 8]) for k, n in enumerate(names))
    events = [event("fall", 100.0), event("bend", 200.0), event("lift", 300.0, technique="stoop")]
    day = make_day(
        sets=sets + sets[:3],
        events=events,
        adherence=tuple(done(n, 1, 3, 6, 30) for n in names[:4]),
        gaps=spans(*[(7000.0 + 900 * i, 7100.0 + 900 * i) for i in range(5)]),
        not_worn=spans((15000.0, 16000.0), (20000.0, 21000.0)),
    )
    page = PageInput("p-001", day.date, day, (DayTrend.of(day),) * 7, day.targets)
    out = tmp_path / "busy.html"
    out.write_text(document([page_html(page, {"p-001": "Jane Example"})], "t", "letter"))
    for b in plot_boxes(out, 900, tmp_path):
        assert b["y"] + b["h"] <= b["page_bottom"] + 1, f"{b['plot']} falls off the page"
