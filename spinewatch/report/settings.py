"""The ``[report]`` settings table: the clinic's side of the therapist report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _meta(text: str, unit: str = "", **limits: Any) -> dict[str, Any]:
    return {"help": text, "unit": unit, **limits}


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportSettings:
    """How the clinic's reports are made (names, time zone, when a day needs attention)."""

    names_file: Path | None = field(
        default=None,
        metadata=_meta(
            "the clinic's CSV file id,name mapping pseudonymous ids to names; names appear "
            "only in reports"
        ),
    )
    timezone: str = field(
        default="UTC", metadata=_meta("the clinic's IANA time zone for report times")
    )
    min_wear_h: float = field(
        default=8.0, metadata=_meta("a day worn less than this needs attention", "h", min=0, max=24)
    )
    min_adherence: float = field(
        default=0.5,
        metadata=_meta(
            "exercises done below this fraction of prescribed need attention", min=0, max=1
        ),
    )
