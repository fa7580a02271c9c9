"""An alert as a JSON document: what the webhook posts and the alert log keeps.

The schema (``spinewatch.alert/1``) is documented in :mod:`spinewatch.alerts.webhook`.
Only the pseudonymous patient id identifies the patient, never a name.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Final

from processing.alert_policy import Alert
from spinewatch.errors import ConfigError

SCHEMA: Final = "spinewatch.alert/1"


def iso_utc(when: dt.datetime) -> str:
    """``when`` as ISO 8601 UTC with milliseconds and a ``Z``."""
    return when.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check_start(recording_start_utc: dt.datetime) -> dt.datetime:
    """The recording's start, which must carry a time zone (naive times are ambiguous)."""
    if recording_start_utc.tzinfo is None or recording_start_utc.utcoffset() is None:
        raise ConfigError(
            "must be timezone-aware", where="recording_start_utc", value=recording_start_utc
        )
    return recording_start_utc


def _seconds(value: float) -> float | None:
    # JSON has no NaN: an open event's end is null.
    return round(value, 3) if math.isfinite(value) else None


def _utc(start: dt.datetime, seconds: float) -> str | None:
    return iso_utc(start + dt.timedelta(seconds=seconds)) if math.isfinite(seconds) else None


def alert_id(alert: Alert, patient_id: str) -> str:
    """A stable id, the same on every retry, so that a receiver can drop duplicates."""
    return f"{patient_id}:{alert.kind}:{alert.at_s:.3f}"


def alert_document(
    alert: Alert,
    *,
    patient_id: str,
    recording_start_utc: dt.datetime,
    sent_utc: dt.datetime | None = None,
) -> dict[str, Any]:
    """The JSON-ready document of ``alert`` (see the schema in the webhook module)."""
    start = check_start(recording_start_utc)
    event = alert.event
    return {
        "schema": SCHEMA,
        "alert_id": alert_id(alert, patient_id),
        "patient_id": patient_id,
        "kind": alert.kind,
        "level": alert.level.name.lower(),
        "level_rank": int(alert.level),
        "audience": sorted(a.value for a in alert.audience),
        "message": alert.message,
        "suppressed_since_last": alert.suppressed_since_last,
        "at_s": _seconds(alert.at_s),
        "at_utc": _utc(start, alert.at_s),
        "recording_start_utc": iso_utc(start),
        "sent_utc": iso_utc(sent_utc) if sent_utc is not None else None,
        "event": {
            "type": event.type,
            "severity": event.severity.value,
            "technique": event.technique,
            "peak_deg": round(event.peak_deg, 2) if math.isfinite(event.peak_deg) else None,
            "start_s": _seconds(event.start_s),
            "start_utc": _utc(start, event.start_s),
            "end_s": _seconds(event.end_s),
            "end_utc": _utc(start, event.end_s),
            "detected_s": _seconds(event.detected_s),
            "detected_utc": _utc(start, event.detected_s),
        },
    }
