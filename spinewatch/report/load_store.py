"""The local store (SQLite, the embedded default) as a source of patient-days.

:class:`StoreDaySource` reads the points of one patient's local day through a
:class:`~spinewatch.report.from_points.PointReader` (the store itself) and rebuilds
the day with :func:`~spinewatch.report.from_points.build_day`; see there for what
comes from which measurement. :class:`~spinewatch.report.load_influx.InfluxDaySource`
is the same over InfluxDB.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from spinewatch.errors import ReportError, StorageError
from spinewatch.report.from_points import PointReader, build_day, day_bounds_ns
from spinewatch.report.load_analysis import check_timezone
from spinewatch.report.model import PatientDay, Targets
from spinewatch.storage.store import LocalStore

# Measurements that tell which patients have a day (a few points a day, not the 10 Hz angles).
PRESENCE: Final = ("posture", "events", "daily_summary", "device_status")


class StoreDaySource:
    """A :class:`~spinewatch.report.sources.DaySource` over stored points, each day read once.

    ``targets`` is one patient's targets, or a mapping from patient id to targets.
    """

    def __init__(
        self,
        reader: PointReader,
        targets: Targets | Mapping[str, Targets],
        timezone: str,
        *,
        name: str = "local store",
    ) -> None:
        self.reader = reader
        self.targets = targets
        self.timezone = check_timezone(timezone)
        self.name = name
        self._days: dict[tuple[str, dt.date], PatientDay | None] = {}

    @classmethod
    def open(
        cls, path: Path, targets: Targets | Mapping[str, Targets], timezone: str
    ) -> StoreDaySource:
        """The local store at ``path``, which must exist (reading never creates one)."""
        if not path.is_file():
            raise ReportError(
                "the local store does not exist",
                where=str(path),
                advice="set storage.store_path, or give --analysis DIR or --source influx",
            )
        try:
            store = LocalStore(path)
        except StorageError as exc:
            raise ReportError(exc.message, where=str(path), advice=exc.advice) from exc
        return cls(store, targets, timezone, name=str(path))

    def close(self) -> None:
        close = getattr(self.reader, "close", None)
        if callable(close):
            close()

    def _targets(self, patient_id: str) -> Targets:
        if isinstance(self.targets, Targets):
            return self.targets
        if patient_id not in self.targets:
            raise ReportError(
                "has no profile", where=patient_id, advice="give the patient's settings"
            )
        return self.targets[patient_id]

    def day(self, patient_id: str, date: dt.date) -> PatientDay | None:
        key = (patient_id, date)
        if key not in self._days:
            self._days[key] = build_day(
                self.reader,
                patient_id,
                date,
                targets=self._targets(patient_id),
                timezone=self.timezone,
                source=self.name,
            )
        return self._days[key]

    def patients(self, date: dt.date) -> tuple[str, ...]:
        lo, hi = day_bounds_ns(date, self.timezone)
        found: set[str] = set()
        try:
            for measurement in PRESENCE:
                points = self.reader.query(measurement, lo, hi)
                found.update(p.tags.get("patient", "") for p in points)
        except StorageError as exc:
            raise ReportError(exc.message, where=self.name, advice=exc.advice) from exc
        return tuple(sorted(found - {""}))
