"""The plain-language texts of alerts, for a patient to read (angles in °, times in s).

Short sentences with the number and the limit, no jargon: what happened,
what the limit is, what to do. Pure functions of the event and the settings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from processing.event_types import EVENT_TYPES, Event

if TYPE_CHECKING:
    from processing.alert_policy import AlertSettings

# Kinds whose alerts climb the escalation ladder (falls and sitting have their own rules).
LADDER_KINDS: Final = frozenset(EVENT_TYPES) - {"fall", "prolonged_sitting"}
# How a count of held-back events is named in the next alert.
NOUNS: Final[Mapping[str, str]] = {
    "bend": "risky bends",
    "lift": "lift-like movements",
    "twist": "twists",
    "lateral_bend": "side bends",
    "prolonged_sitting": "sitting reminders",
}


def _held_s(event: Event, at_s: float) -> float:
    end_s = event.end_s if math.isfinite(event.end_s) else at_s
    return max(0.0, end_s - event.start_s)


def message(event: Event, settings: AlertSettings, *, at_s: float, reminder: bool = False) -> str:
    """The plain-language text of an alert for ``event`` (times in s, angles in °)."""
    peak = abs(event.peak_deg) if math.isfinite(event.peak_deg) else math.nan
    held_s = _held_s(event, at_s)
    side = f" to the {event.technique}" if event.technique in ("left", "right") else ""
    if event.type == "fall":
        return (
            "A fall was detected. Your care team has been told. "
            "If you are hurt, stay still and call for help."
        )
    if event.type == "prolonged_sitting":
        minutes = round(held_s / 60.0)
        ask = "please stand up and move now" if reminder else "time to stand up and walk a little"
        text = f"You have been sitting for {minutes} min — {ask}."
    elif event.type == "bend" and math.isfinite(event.peak_deg) and event.peak_deg < 0:
        text = (
            f"You bent backward {peak:.0f}° for {held_s:.0f} s — "
            f"your limit is {settings.extension_limit_deg:.0f}°."
        )
    elif event.type == "bend":
        text = (
            f"You bent forward {peak:.0f}° for {held_s:.0f} s — "
            f"your limit is {settings.flexion_limit_deg:.0f}°."
        )
    elif event.type == "lift":
        how = "with a rounded back" if event.technique == "stoop" else "bending"
        advice = (
            "bend your knees and keep the load close"
            if settings.lift_allowed
            else "you should not lift anything yet"
        )
        text = f"That looked like a lift ({how} {peak:.0f}°) — {advice}."
    elif event.type == "twist":
        text = f"You twisted {peak:.0f}°{side} — your limit is {settings.twist_limit_deg:.0f}°."
    else:
        text = f"You leaned {peak:.0f}°{side} — your limit is {settings.lateral_limit_deg:.0f}°."
    # No angle known: say nothing rather than "nan".
    return text.replace(" nan°", "")
