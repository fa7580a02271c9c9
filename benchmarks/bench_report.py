"""Benchmark: the therapist report of a 24 h patient-day (target: under 5 s).

The analysis folder is synthetic (``tests/spinewatch/report/report_factories.py``):
a 10 Hz timeline of 24 h (864,000 rows, the rate ``spinewatch analyze`` writes),
events, exercise sets and a summary consistent with the timeline, with a gap and a
non-worn hour. It is made synthetically because simulating and analysing 24 h at
100 Hz takes minutes; the report reads only these files, so its cost is the same.

Prints, each the best of ``--repeat`` runs in one process (imports and matplotlib's
font cache warm): loading the folder, rendering the HTML (findings and 5 plots);
then, once each in a fresh process, the CLI's start-up alone (``--help``: imports of
every command) and ``spinewatch report`` end to end to HTML and to PDF (Chromium).

Run: ``python benchmarks/bench_report.py [--repeat 3] [--no-pdf]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "spinewatch" / "report"))

from report_factories import targets, write_analysis_folder  # noqa: E402

from spinewatch.report.build import patient_report  # noqa: E402
from spinewatch.report.sources import AnalysisFolders, FolderSpec  # noqa: E402

DATE = dt.date(2026, 11, 27)
START = dt.datetime(2026, 11, 26, 23, 0, tzinfo=dt.UTC)  # local midnight in Berlin


def _startup() -> float:
    """Seconds for ``spinewatch report --help``: the CLI's imports, shared by every command."""
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "spinewatch.cli", "report", "--help"]
    subprocess.run(cmd, check=True, capture_output=True, cwd=REPO)
    return time.perf_counter() - t0


def _cli(folder: Path, out: Path) -> float:
    cmd = [
        sys.executable,
        "-m",
        "spinewatch.cli",
        "report",
        "--patient",
        "p-001",
        "--date",
        DATE.isoformat(),
        "--timezone",
        "Europe/Berlin",
        "--analysis",
        str(folder),
        "--out",
        str(out),
    ]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=REPO)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-pdf", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "day"
        t0 = time.perf_counter()
        write_analysis_folder(
            folder,
            hours=24.0,
            gaps=((10 * 3600.0, 10.5 * 3600.0),),
            not_worn=((13 * 3600.0, 14 * 3600.0),),
            start_utc=START,
        )
        print(f"synthetic 24 h analysis folder written in {time.perf_counter() - t0:.1f} s")
        tg = targets()
        load_s, render_s = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            source = AnalysisFolders([FolderSpec("p-001", folder)], {"p-001": tg}, "Europe/Berlin")
            t1 = time.perf_counter()
            text = patient_report(source, "p-001", DATE, 1, tg, {}, "a4")
            t2 = time.perf_counter()
            load_s.append(t1 - t0)
            render_s.append(t2 - t1)
        best = min(a + b for a, b in zip(load_s, render_s, strict=True))
        print(f"load folder (864,000 timeline rows): {min(load_s):.2f} s")
        print(f"render HTML ({len(text) / 1e3:.0f} kB, 5 plots): {min(render_s):.2f} s")
        print(f"report generation, in process: {best:.2f} s (target < 5 s)")
        print(f"CLI start-up alone (spinewatch report --help): {_startup():.2f} s")
        html_s = _cli(folder, Path(tmp) / "r.html")
        print(f"spinewatch report -> HTML, fresh process: {html_s:.2f} s")
        if not args.no_pdf and shutil.which("chromium"):
            pdf_s = _cli(folder, Path(tmp) / "r.pdf")
            print(f"spinewatch report -> PDF, fresh process: {pdf_s:.2f} s")


if __name__ == "__main__":
    main()
