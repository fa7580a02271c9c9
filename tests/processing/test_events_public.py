"""Falls on the public SisFall recordings: every F-code is a fall, no D-code is."""

from __future__ import annotations

import pytest

from processing.event_types import Phase
from processing.pipeline import PipelineSettings, analyze_samples
from spinewatch.datasets import datasets_dir, load_sisfall, sisfall_files
from spinewatch.profiles import load_profile

pytestmark = pytest.mark.datasets


def _files() -> list:
    if datasets_dir() is None:
        return []
    return sisfall_files()


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_falls_are_falls_and_daily_activities_are_not(path) -> None:
    rec = load_sisfall(path)
    res = analyze_samples(rec.samples, PipelineSettings(), rec.sampling_rate_hz,
                          load_profile("fusion_weeks_0_6"))  # fmt: skip
    falls = [n.event for n in res.events if n.phase is Phase.CLOSED and n.event.type == "fall"]
    if rec.is_fall:
        assert len(falls) == 1, rec.activity_code
    else:
        assert falls == [], rec.activity_code


# What each daily activity must (and must not) show as lift-like movements.
LIFTS_EXPECTED = {"D15": ["squat"], "D16": ["stoop"], "D07": [], "D09": [], "D01": []}


@pytest.mark.parametrize(
    "path",
    [p for p in _files() if p.name[:3] in LIFTS_EXPECTED],
    ids=lambda p: p.name,
)
def test_lifts_squats_stoops_and_chairs(path) -> None:
    # Unknown mounting, no calibration: squats and stoops are lifts with their technique;
    # sitting on a chair and getting up is not a lift; walking has no bend, lift or fall.
    rec = load_sisfall(path)
    res = analyze_samples(rec.samples, PipelineSettings(), rec.sampling_rate_hz,
                          load_profile("fusion_weeks_0_6"))  # fmt: skip
    closed = [n.event for n in res.events if n.phase is Phase.CLOSED]
    lifts = [e.technique for e in closed if e.type == "lift"]
    assert lifts == LIFTS_EXPECTED[rec.activity_code]
    if rec.activity_code == "D01":
        assert not [e for e in closed if e.type in ("bend", "lift", "fall")]


def test_sisfall_folder_present_or_skipped() -> None:
    if datasets_dir() is None:
        pytest.skip("public datasets folder (../shared/datasets) is absent")
    assert len(_files()) >= 4
