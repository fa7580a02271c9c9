"""Where patient-days come from, and the clinic's mapping of pseudonymous ids to names.

The report reads :class:`~spinewatch.report.model.PatientDay` objects through a
:class:`DaySource` (``day(patient_id, date)`` and ``patients(date)``):
:class:`AnalysisFolders` here (``spinewatch analyze`` output folders),
:class:`~spinewatch.report.load_store.StoreDaySource` (the local SQLite store, the
default of ``spinewatch report`` when no ``--analysis`` folder is given) and
:class:`~spinewatch.report.load_influx.InfluxDaySource` (InfluxDB 1.x).

Names: the clinic keeps a CSV file ``id,name`` on its own side. Names are read only
to print them in a report and are never written anywhere else.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from spinewatch.errors import ReportError
from spinewatch.report.load_analysis import load_analysis
from spinewatch.report.model import PatientDay, Targets


class DaySource(Protocol):
    """Anything that gives patient-days: analysis folders, the local store, InfluxDB."""

    def day(self, patient_id: str, date: dt.date) -> PatientDay | None:
        """The patient's day, or None when there is no data for it."""
        ...

    def patients(self, date: dt.date) -> tuple[str, ...]:
        """The patients with data on ``date``."""
        ...


@dataclass(frozen=True, slots=True)
class FolderSpec:
    """One analysis folder: whose it is and when its clock starts (None: from the folder)."""

    patient_id: str
    folder: Path
    start: dt.datetime | None = None


class AnalysisFolders:
    """A :class:`DaySource` over ``spinewatch analyze`` folders, loaded once each.

    Each folder is one patient-day, dated by the local date of its first sample.
    ``targets`` maps a patient id to the profile's targets (every folder's patient
    must be in it).
    """

    def __init__(
        self, specs: Sequence[FolderSpec], targets: Mapping[str, Targets], timezone: str
    ) -> None:
        self._days: dict[tuple[str, dt.date], PatientDay] = {}
        for spec in specs:
            if spec.patient_id not in targets:
                raise ReportError(
                    "has no profile", where=spec.patient_id, advice="give the patient's settings"
                )
            day = load_analysis(
                spec.folder,
                patient_id=spec.patient_id,
                targets=targets[spec.patient_id],
                timezone=timezone,
                start=spec.start,
            )
            key = (spec.patient_id, day.date)
            if key in self._days:
                raise ReportError(
                    f"is a second analysis of {spec.patient_id} on {day.date}",
                    where=str(spec.folder),
                    advice="give one analysis folder per patient and day",
                )
            self._days[key] = day

    def day(self, patient_id: str, date: dt.date) -> PatientDay | None:
        return self._days.get((patient_id, date))

    def patients(self, date: dt.date) -> tuple[str, ...]:
        return tuple(sorted({p for p, d in self._days if d == date}))

    def all_patients(self) -> tuple[str, ...]:
        return tuple(sorted({p for p, _ in self._days}))


def read_names(path: Path) -> dict[str, str]:
    """The clinic's ``id,name`` CSV file as ``{pseudonymous id: name}``."""
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            columns = set(reader.fieldnames or ())
    except OSError as exc:
        raise ReportError(
            f"cannot be read: {exc.strerror}",
            where=str(path),
            advice="give the clinic's names file (CSV with columns id,name)",
        ) from exc
    if not {"id", "name"} <= columns:
        raise ReportError(
            "needs the columns id,name", where=str(path), advice="first line: id,name"
        )
    return {
        r["id"].strip(): r["name"].strip()
        for r in rows
        if r.get("id") and (r.get("name") or "").strip()
    }
