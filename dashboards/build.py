"""Every dashboard, from the options of an export; one module per dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from dashboards import clinic_overview, device_health, patient_day, patient_trends
from dashboards.common import DEFAULT_RAW_RP, JSON
from processing.profile import ClinicalProfile
from spinewatch.errors import DashboardError
from spinewatch.profiles import profile_names, read_profile

MAX_UID: Final = 40
"""Grafana's longest dashboard uid."""


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """What an export depends on.

    ``raw_rp``: the retention policy of raw-class measurements (``storage.raw_retention_policy``;
    on 2.x the DBRP mapping's policy for the raw bucket). ``prescribed_sets_per_week``:
    the exercise prescription the adherence panels and alert compare with (the schema
    stores sets done, not the prescription). ``profiles``: shipped profile names or
    profile TOML paths; one patient-day and one trends dashboard each.
    """

    raw_rp: str = DEFAULT_RAW_RP
    prescribed_sets_per_week: int = 14
    profiles: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.raw_rp or '"' in self.raw_rp:
            raise DashboardError("must be a retention policy name", where="raw_rp",
                                 value=self.raw_rp)
        if not 1 <= self.prescribed_sets_per_week <= 200:
            raise DashboardError("must be between 1 and 200", where="prescribed_sets_per_week",
                                 value=self.prescribed_sets_per_week)

    def clinical_profiles(self) -> tuple[ClinicalProfile, ...]:
        """The profiles to build for: those named, else every shipped one."""
        return tuple(read_profile(name) for name in (self.profiles or profile_names()))


def all_dashboards(options: BuildOptions) -> dict[str, JSON]:
    """Every dashboard by file name (``<uid>.json``)."""
    boards = [
        clinic_overview.build(options.raw_rp, options.prescribed_sets_per_week),
        device_health.build(options.raw_rp),
    ]
    for p in options.clinical_profiles():
        boards.append(patient_day.build(p, options.raw_rp))
        boards.append(patient_trends.build(p, options.raw_rp, options.prescribed_sets_per_week))
    for b in boards:
        if len(b["uid"]) > MAX_UID:
            raise DashboardError(
                f"dashboard uid longer than {MAX_UID} characters",
                value=b["uid"],
                advice="give the profile a shorter name",
            )
    return {f"{b['uid']}.json": b for b in boards}
