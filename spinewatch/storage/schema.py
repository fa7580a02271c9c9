"""The measurements spinewatch writes: their tags, fields (unit in each name) and retention.

This table is the schema of record; ``SCHEMA.md`` beside this file explains it
for people and a test keeps the two in step. :func:`make_point` builds a
checked :class:`~spinewatch.storage.lineprotocol.Point` for one measurement.

Every point carries the pseudonymous ``patient`` id (never a name; the
``patient.id`` setting) and ``device``; ``profile`` (the clinical profile's
name) is a tag where the judgement depends on it. Retention class ``raw``
data (high-rate angles, heartbeats) are kept briefly; ``long`` data
(summaries, events, alerts, exercise) for years.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, get_args

from spinewatch.errors import StorageError
from spinewatch.storage.lineprotocol import FieldValue, Point

RetentionClass = Literal["raw", "long"]
RETENTION_CLASSES: Final[tuple[RetentionClass, ...]] = get_args(RetentionClass)
REQUIRED_TAGS: Final = ("patient", "device")
_PATIENT_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True, slots=True)
class Measurement:
    """One measurement: optional tags beyond ``patient``/``device``, fields by type."""

    name: str
    description: str
    tags: tuple[str, ...]
    fields: Mapping[str, type]
    retention: RetentionClass


def _m(
    name: str,
    description: str,
    retention: RetentionClass,
    tags: tuple[str, ...],
    **fields: type,
) -> Measurement:
    return Measurement(name, description, tags, fields, retention)


MEASUREMENTS: Final[Mapping[str, Measurement]] = {
    m.name: m
    for m in (
        _m(
            "trunk_angles",
            "trunk orientation at the stored timeline rate (analysis.timeline_hz)",
            "raw",
            (),
            flexion_deg=float,
            lateral_deg=float,
            twist_rate_deg_s=float,
        ),
        _m(
            "posture",
            "one posture bout: its zone and duration, stamped at its start",
            "long",
            ("profile", "zone"),
            duration_s=float,
            mean_flexion_deg=float,
            max_flexion_deg=float,
        ),
        _m(
            "steps",
            "steps counted in one interval",
            "long",
            (),
            count=int,
            interval_s=float,
            cadence_steps_min=float,
        ),
        _m(
            "events",
            "one detected movement (lift-like, bend, twist, sit-to-stand...)",
            "long",
            ("profile", "kind"),
            duration_s=float,
            peak_flexion_deg=float,
            peak_lateral_deg=float,
            violates_profile=bool,
            technique=str,
        ),
        _m(
            "alerts",
            "one alert sent",
            "long",
            ("profile", "rule", "audience"),
            level=int,
            message=str,
            value=float,
        ),
        _m(
            "exercise_sets",
            "one exercise set of the home programme",
            "long",
            ("exercise",),
            reps=int,
            hold_s=float,
            range_deg=float,
            wobble_deg=float,
            duration_s=float,
        ),
        _m(
            "daily_summary",
            "one day's totals, stamped at local midnight",
            "long",
            ("profile",),
            steps=int,
            wear_time_s=float,
            upright_time_s=float,
            sitting_time_s=float,
            lying_time_s=float,
            bends_over_limit=int,
            lift_like_events=int,
            alerts=int,
            exercise_sets=int,
        ),
        _m(
            "device_status",
            "battery, connection and a heartbeat (tells 'not worn' from 'gateway offline')",
            "raw",
            (),
            battery_pct=float,
            connected=bool,
            worn=bool,
            rssi_dbm=float,
            heartbeat=int,
        ),
    )
}


def retention_of(measurement: str) -> RetentionClass:
    """The retention class of ``measurement``; an unknown one is kept long (safe side)."""
    spec = MEASUREMENTS.get(measurement)
    return spec.retention if spec else "long"


def make_point(
    measurement: str,
    time_ns: int,
    *,
    patient: str,
    device: str,
    tags: Mapping[str, str] | None = None,
    **fields: FieldValue,
) -> Point:
    """A checked point of a known measurement.

    ``patient`` must be a pseudonymous id (1–64 letters, digits, ``_ . -``);
    tags and fields must be those the schema lists, fields of its type (an
    int is accepted for a float field and stored as float). A field may be
    left out; at least one must be given.
    """
    spec = MEASUREMENTS.get(measurement)
    if spec is None:
        raise StorageError(
            "unknown measurement", value=measurement, advice="known: " + ", ".join(MEASUREMENTS)
        )
    if not _PATIENT_ID.fullmatch(patient):
        raise StorageError(
            "patient must be a pseudonymous id: 1-64 letters, digits, '_', '.', '-'",
            where="patient tag",
            value=patient,
        )
    extra = dict(tags or {})
    unknown = set(extra) - set(spec.tags)
    if unknown:
        raise StorageError(f"unknown tags {sorted(unknown)}", where=measurement)
    out: dict[str, FieldValue] = {}
    for key, value in fields.items():
        kind = spec.fields.get(key)
        if kind is None:
            raise StorageError("unknown field", where=measurement, value=key)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if type(value) is not kind:
            raise StorageError(
                f"field {key!r} must be {kind.__name__}", where=measurement, value=value
            )
        out[key] = value
    return Point(measurement, {"patient": patient, "device": device, **extra}, out, time_ns)
