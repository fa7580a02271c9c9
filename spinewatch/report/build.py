"""Assemble reports from a :class:`~spinewatch.report.sources.DaySource`.

* :func:`patient_report`: one page per day for ``days`` days ending on ``date``
  (a day without data gets a page saying so), each with the trend of the
  ``trend_days`` days up to it.
* :func:`clinic_report`: a summary page of every patient over the dates,
  those needing attention first, then each patient-day's page.
* :func:`write_report`: HTML to ``.html``, or through Chromium to ``.pdf``.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from spinewatch.errors import ReportError
from spinewatch.report.findings import AttentionRules
from spinewatch.report.html import PageInput, Paper, clinic_html, document, page_html
from spinewatch.report.model import DayTrend, PatientDay, Targets
from spinewatch.report.pdf import html_to_pdf
from spinewatch.report.sources import DaySource

TREND_DAYS: Final = 7


def dates_ending(date: dt.date, days: int) -> list[dt.date]:
    """The ``days`` dates ending on ``date``, oldest first."""
    return [date - dt.timedelta(days=k) for k in range(days - 1, -1, -1)]


def _trend(source: DaySource, patient_id: str, date: dt.date, n: int) -> tuple[DayTrend, ...]:
    out = []
    for d in dates_ending(date, n):
        day = source.day(patient_id, d)
        out.append(DayTrend(d) if day is None else DayTrend.of(day))
    return tuple(out)


def patient_pages(
    source: DaySource,
    patient_id: str,
    date: dt.date,
    days: int,
    targets: Targets,
    trend_days: int = TREND_DAYS,
) -> list[PageInput]:
    """The pages of one patient's report, oldest day first."""
    return [
        PageInput(
            patient_id,
            d,
            source.day(patient_id, d),
            _trend(source, patient_id, d, trend_days),
            targets,
        )
        for d in dates_ending(date, days)
    ]


def patient_report(
    source: DaySource,
    patient_id: str,
    date: dt.date,
    days: int,
    targets: Targets,
    names: Mapping[str, str],
    paper: Paper = "a4",
) -> str:
    """The HTML report of one patient: one page per day."""
    pages = patient_pages(source, patient_id, date, days, targets)
    title = f"Movement report {names.get(patient_id, patient_id)} {date.isoformat()}"
    return document([page_html(p, names) for p in pages], title, paper)


def clinic_report(
    source: DaySource,
    patients: Sequence[str],
    date: dt.date,
    days: int,
    targets: Mapping[str, Targets],
    names: Mapping[str, str],
    paper: Paper = "a4",
    rules: AttentionRules | None = None,
) -> str:
    """The clinic summary page, then each patient's day pages (attention first)."""
    rules = rules or AttentionRules()
    dates = dates_ending(date, days)
    by_patient: dict[str, list[PatientDay | None]] = {
        p: [source.day(p, d) for d in dates] for p in patients
    }
    sections = [clinic_html(dates[0], dates[-1], by_patient, names, rules)]
    for p in patients:
        sections += [
            page_html(pg, names) for pg in patient_pages(source, p, date, days, targets[p])
        ]
    return document(sections, f"Clinic summary {date.isoformat()}", paper)


def write_report(text: str, out: Path) -> Path:
    """Write the HTML ``text`` to ``out`` (``.html``), or print it to PDF (``.pdf``)."""
    suffix = out.suffix.lower()
    if suffix not in (".html", ".htm", ".pdf"):
        raise ReportError("must end in .html or .pdf", where="--out", value=str(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix != ".pdf":
        out.write_text(text, encoding="utf-8")
        return out
    # The HTML holds the patient's name: kept only in a private temporary folder.
    with tempfile.TemporaryDirectory(prefix="spinewatch-report-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(text, encoding="utf-8")
        return html_to_pdf(page, out)
