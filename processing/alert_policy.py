"""Which detected events become alerts, for whom, and how strongly.

Pure policy: no I/O, no asyncio, no clock. Time is the recording's seconds,
read from the events (``detected_s`` of an opening, ``end_s`` of a closing)
and, optionally, from ``now_s`` (the sample time the stream has reached).
The rules, each there because frequent buzzing makes patients take the
device off (``shared/clinical-rules.md``):

1. An alert may go out only when an event OPENS; the detectors already apply
   hold time and hysteresis. Events below ``min_severity`` never alert.
2. Per alert kind (the event type), a cooldown: an event less than
   ``cooldown_s`` after the last counted one belongs to the same episode and
   never alerts. Every event held back, by this or any rule, is counted and
   the count is carried by the next alert of its kind (``suppressed_since_last``).
3. Escalation instead of repetition: the k-th episode of a kind within
   ``escalation_window_s`` has level ``REMINDER`` while k < N, ``WARNING``
   (a stronger buzz) from k = N and ``CLINIC`` (the clinic is told too) from
   k = 2N, N = ``escalation_count``; a ``FAR_BEYOND`` event starts at
   ``WARNING``. The patient is alerted only when the level rises above every
   alert they had of that kind within the window: a repeat at the same level
   is held back. The clinic hears about one kind at most once per window.
4. Falls alert at once at ``URGENT`` (patient and clinic), whatever the
   cooldown, quiet hours or severity.
5. Prolonged sitting alerts once per bout, then reminds (``WARNING``) after
   every further ``sitting_reminder_s`` until the bout closes.
6. Daily allowance: once a local day counts more than ``daily_allowance``
   events of ``allowance_kinds``, the clinic is told with the next episode of
   those kinds (once a day), even one held back from the patient as a repeat.
7. Quiet hours (local time of day) take the patient out of the audience of
   every alert but falls; an alert left with nobody to tell is held back.

Every notice (and every reminder) leaves a :class:`Decision`, so tests and the
log can account for each event: alerted, suppressed (and why) or ignored.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum, StrEnum
from typing import Any, Final

from processing.alert_messages import LADDER_KINDS, NOUNS, message
from processing.event_types import EVENT_TYPES, Event, EventNotice, Phase, Severity
from processing.profile import ClinicalProfile
from spinewatch.errors import ConfigError

DAY_S: Final = 86_400.0
_SEVERITY_RANK: Final = {s: i for i, s in enumerate(Severity)}  # declared mildest first
_CHECKED_KINDS: Final = ("allowance_kinds", "clinic_only_kinds")
_CLOSED_MEMORY: Final = 1024  # closed events remembered against repeated closings


class AlertLevel(IntEnum):
    """How strongly an alert is given; higher is stronger."""

    REMINDER = 1  # a gentle buzz for the patient
    WARNING = 2  # a stronger buzz: the patient keeps doing it
    CLINIC = 3  # strongest buzz, and the clinic is told
    URGENT = 4  # a fall: patient and clinic at once


class Audience(StrEnum):
    PATIENT = "patient"
    CLINIC = "clinic"


class Outcome(StrEnum):
    ALERTED = "alerted"
    SUPPRESSED = "suppressed"  # would have alerted; counted into the next alert
    IGNORED = "ignored"  # never alerts (a closing, a caution-zone event, a duplicate)


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert, as the engine hands it to the channels.

    Attributes:
        kind: the event type it is about (one of ``EVENT_TYPES``).
        level: see :class:`AlertLevel`.
        event: the event as it was when the alert was decided.
        message: plain language for the patient (the clinic gets it too).
        audience: who is told.
        at_s: recording time of the decision, s.
        suppressed_since_last: events of this kind held back since the last alert of it.
    """

    kind: str
    level: AlertLevel
    event: Event
    message: str
    audience: frozenset[Audience]
    at_s: float
    suppressed_since_last: int

    @property
    def to_patient(self) -> bool:
        return Audience.PATIENT in self.audience

    @property
    def to_clinic(self) -> bool:
        return Audience.CLINIC in self.audience


@dataclass(frozen=True, slots=True)
class Decision:
    """What the policy did with one notice or timer, at recording time ``at_s`` (s).

    ``phase`` is None for a sitting reminder (a timer, not a notice).
    """

    at_s: float
    phase: Phase | None
    event: Event
    outcome: Outcome
    reason: str
    alert: Alert | None = None


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily span of local time, hours after midnight; may wrap past midnight."""

    start_h: float
    end_h: float

    def __post_init__(self) -> None:
        for name in ("start_h", "end_h"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0.0 <= value < 24.0):
                raise ConfigError("must be an hour in [0, 24)", where=name, value=value)

    def contains(self, hour: float) -> bool:
        if self.start_h <= self.end_h:
            return self.start_h <= hour < self.end_h
        return hour >= self.start_h or hour < self.end_h


def _num(lo: float, hi: float, unit: str, text: str, default: Any) -> Any:
    return field(default=default, metadata={"min": lo, "max": hi, "unit": unit, "help": text})


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertSettings:
    """How the policy turns events into alerts; build it with :meth:`from_profile`."""

    cooldown_s: float = _num(0, 3600, "s", "no two alerts of one kind within this", 120.0)
    escalation_count: int = _num(1, 20, "", "every N-th alert in the window climbs a level", 3)
    escalation_window_s: float = _num(60, 86_400, "s", "window for counting alerts", 1800.0)
    daily_allowance: int = _num(0, 1000, "1/day", "allowance-kind events a day", 0)
    sitting_reminder_s: float = _num(60, 28_800, "s", "reminder period while still sitting", 1200.0)
    # Limits quoted in the patient's messages, degrees.
    flexion_limit_deg: float = _num(1, 120, "°", "forward bend limit", 25.0)
    extension_limit_deg: float = _num(0, 60, "°", "backward bend limit", 10.0)
    twist_limit_deg: float = _num(1, 90, "°", "twist limit", 10.0)
    lateral_limit_deg: float = _num(1, 60, "°", "side bend limit", 15.0)
    lift_allowed: bool = False
    min_severity: Severity = Severity.BEYOND
    allowance_kinds: frozenset[str] = frozenset({"bend", "lift"})
    clinic_only_kinds: frozenset[str] = frozenset()
    quiet_hours: QuietHours | None = None

    def __post_init__(self) -> None:
        for spec in self.__dataclass_fields__.values():
            lo, hi = spec.metadata.get("min"), spec.metadata.get("max")
            value = getattr(self, spec.name)
            if lo is not None and not (math.isfinite(value) and lo <= value <= hi):
                raise ConfigError(f"must be between {lo} and {hi}", where=spec.name, value=value)
        for name in _CHECKED_KINDS:
            unknown = sorted(getattr(self, name) - set(EVENT_TYPES))
            if unknown:
                raise ConfigError(f"unknown event types {unknown}", where=name, value=unknown)
        if "fall" in self.clinic_only_kinds:
            # A fall must reach the patient too: the device's buzz is how they know it was seen.
            raise ConfigError("falls always alert the patient", where="clinic_only_kinds")

    @classmethod
    def from_profile(cls, profile: ClinicalProfile, **overrides: Any) -> AlertSettings:
        """Defaults from the patient's profile; ``overrides`` replace any field."""
        base = cls(
            cooldown_s=profile.alert_cooldown_s,
            escalation_count=profile.alert_escalation_count,
            escalation_window_s=profile.alert_escalation_window_min * 60.0,
            daily_allowance=profile.daily_risky_bend_allowance,
            sitting_reminder_s=profile.sitting_max_min * 60.0,
            flexion_limit_deg=profile.flexion_limit_deg,
            extension_limit_deg=profile.extension_limit_deg,
            twist_limit_deg=profile.twist_limit_deg,
            lateral_limit_deg=profile.lateral_limit_deg,
            lift_allowed=profile.lift_allowed,
        )
        return replace(base, **overrides)


@dataclass(slots=True)
class _KindState:
    """What the policy remembers about one kind; deques hold times within the window, s."""

    last_alert_s: float = -math.inf
    last_episode_s: float = -math.inf
    events_s: deque[float] = field(default_factory=deque)
    episodes_s: deque[float] = field(default_factory=deque)
    to_patient: deque[tuple[float, AlertLevel]] = field(default_factory=deque)
    clinic_last_s: float = -math.inf
    suppressed: int = 0

    def forget_before(self, cutoff_s: float) -> None:
        """Drop what is at or before ``cutoff_s`` (one window before now)."""
        for times in (self.events_s, self.episodes_s):
            while times and times[0] <= cutoff_s:
                times.popleft()
        while self.to_patient and self.to_patient[0][0] <= cutoff_s:
            self.to_patient.popleft()


@dataclass(slots=True)
class _Bout:
    event: Event
    next_reminder_s: float


def _key(event: Event) -> tuple[str, float]:
    return (event.type, event.start_s)


def _notice_time_s(notice: EventNotice) -> float:
    event = notice.event
    if notice.phase is Phase.CLOSED and math.isfinite(event.end_s):
        return event.end_s
    return event.detected_s


class AlertPolicy:
    """The streaming alert policy (see the module doc for the rules).

    Args:
        settings: see :class:`AlertSettings`.
        start_s_of_day: local time of day at recording time 0, s after midnight
            (for quiet hours and daily allowances).
        max_decisions: how many recent decisions :attr:`decisions` keeps;
            :attr:`counts` keeps every decision's (kind, outcome, reason) count.
    """

    def __init__(
        self, settings: AlertSettings, *, start_s_of_day: float = 0.0, max_decisions: int = 100_000
    ) -> None:
        if not (math.isfinite(start_s_of_day) and 0.0 <= start_s_of_day < DAY_S):
            raise ConfigError("must be in [0, 86400) s", where="start_s_of_day")
        self.settings = settings
        self._start_s_of_day = start_s_of_day
        self._kinds: dict[str, _KindState] = {k: _KindState() for k in EVENT_TYPES}
        self._open: set[tuple[str, float]] = set()
        # Recently closed events (insertion-ordered, bounded): a repeated closing is no opening.
        self._closed: dict[tuple[str, float], None] = {}
        self._bouts: dict[tuple[str, float], _Bout] = {}
        self._day = -1
        self._day_count = 0
        self._allowance_pending = False
        self._allowance_flagged_day = -1
        self.decisions: deque[Decision] = deque(maxlen=max_decisions)
        self.counts: Counter[tuple[str, Outcome, str]] = Counter()

    def update(self, notices: Sequence[EventNotice], now_s: float | None = None) -> list[Alert]:
        """The alerts due for ``notices`` (in stream order) and up to ``now_s`` (s).

        ``now_s`` lets sitting reminders fall due while no notice arrives.
        """
        alerts: list[Alert] = []
        for notice in notices:
            self._remind_until(_notice_time_s(notice), alerts, inclusive=False)
            if notice.phase is Phase.OPENED:
                self._on_open(notice.event, alerts)
            else:
                self._on_close(notice.event, alerts)
        if now_s is not None:
            self._remind_until(now_s, alerts, inclusive=True)
        return alerts

    def pending_suppressed(self, kind: str) -> int:
        """Events of ``kind`` held back and not yet reported by an alert."""
        return self._kinds[kind].suppressed

    # ------------------------------------------------------------------ notices

    def _on_open(self, event: Event, alerts: list[Alert]) -> None:
        key, t = _key(event), event.detected_s
        # Already open, or already over (an event decided after its end, like a fall, can
        # arrive closed first): either way it has had its alert.
        if key in self._open or key in self._closed:
            self._decide(t, Phase.OPENED, event, Outcome.IGNORED, "duplicate_open")
            return
        self._open.add(key)
        if event.type == "fall":
            self._emit(t, Phase.OPENED, event, AlertLevel.URGENT, set(Audience), "fall", alerts)
            return
        if _SEVERITY_RANK[event.severity] < _SEVERITY_RANK[self.settings.min_severity]:
            self._decide(t, Phase.OPENED, event, Outcome.IGNORED, "below_min_severity")
            return
        if event.type in self.settings.allowance_kinds:
            self._count_for_allowance(t)
        state = self._kinds[event.type]
        if event.type == "prolonged_sitting":
            self._bouts[key] = _Bout(event, t + self.settings.sitting_reminder_s)
            if t - state.last_alert_s < self.settings.cooldown_s:
                self._hold_back(t, Phase.OPENED, event, "cooldown")
            else:
                self._try_alert(t, Phase.OPENED, event, AlertLevel.REMINDER, alerts)
            return
        state.forget_before(t - self.settings.escalation_window_s)
        state.events_s.append(t)
        if t - state.last_episode_s < self.settings.cooldown_s:
            self._hold_back(t, Phase.OPENED, event, "cooldown")
            return
        state.last_episode_s = t
        state.episodes_s.append(t)
        level = self._ladder_level(event, state, t)
        repeat = level <= max((lv for _, lv in state.to_patient), default=0)
        self._try_alert(t, Phase.OPENED, event, level, alerts, repeat=repeat)

    def _on_close(self, event: Event, alerts: list[Alert]) -> None:
        key = _key(event)
        t = _notice_time_s(EventNotice(Phase.CLOSED, event))
        if key in self._closed:
            self._decide(t, Phase.CLOSED, event, Outcome.IGNORED, "duplicate_close")
            return
        if key not in self._open:
            # Never seen opening (a detector that reports only at the end): open it now.
            self._on_open(replace(event, end_s=math.nan), alerts)
        self._open.discard(key)
        self._bouts.pop(key, None)
        self._closed[key] = None
        if len(self._closed) > _CLOSED_MEMORY:
            del self._closed[next(iter(self._closed))]
        self._decide(t, Phase.CLOSED, event, Outcome.IGNORED, "closed")

    def _remind_until(self, t: float, alerts: list[Alert], *, inclusive: bool) -> None:
        cooldown_s = self.settings.cooldown_s
        while self._bouts:
            at_s, key = min(
                (max(b.next_reminder_s, self._kinds[k[0]].last_alert_s + cooldown_s), k)
                for k, b in self._bouts.items()
            )
            if at_s > t or (at_s == t and not inclusive):
                return
            bout = self._bouts[key]
            bout.next_reminder_s = at_s + self.settings.sitting_reminder_s
            self._try_alert(at_s, None, bout.event, AlertLevel.WARNING, alerts)

    # ------------------------------------------------------------------ rules

    def _ladder_level(self, event: Event, state: _KindState, t: float) -> AlertLevel:
        step = min(2, len(state.episodes_s) // self.settings.escalation_count)
        if event.severity is Severity.FAR_BEYOND:
            step = max(step, 1)
        if step == 2 and t - state.clinic_last_s < self.settings.escalation_window_s:
            step = 1  # the clinic already heard about this kind in this window
        return (AlertLevel.REMINDER, AlertLevel.WARNING, AlertLevel.CLINIC)[step]

    def _count_for_allowance(self, t: float) -> None:
        day = math.floor((self._start_s_of_day + t) / DAY_S)
        if day != self._day:
            # A new local day: the count restarts; yesterday's excess is the daily report's.
            self._day, self._day_count, self._allowance_pending = day, 0, False
        self._day_count += 1
        if self._day_count > self.settings.daily_allowance and self._allowance_flagged_day != day:
            self._allowance_pending = True

    def _in_quiet_hours(self, t: float) -> bool:
        quiet = self.settings.quiet_hours
        hour = ((self._start_s_of_day + t) % DAY_S) / 3600.0
        return quiet is not None and quiet.contains(hour)

    def _try_alert(
        self,
        t: float,
        phase: Phase | None,
        event: Event,
        level: AlertLevel,
        alerts: list[Alert],
        *,
        repeat: bool = False,
    ) -> None:
        clinic_only = event.type in self.settings.clinic_only_kinds
        audience = set[Audience]()
        if not repeat:
            audience.add(Audience.CLINIC if clinic_only else Audience.PATIENT)
        if level >= AlertLevel.CLINIC:
            audience.add(Audience.CLINIC)
        allowance = self._allowance_pending and event.type in self.settings.allowance_kinds
        if allowance:
            audience.add(Audience.CLINIC)
        quiet = self._in_quiet_hours(t)
        if quiet:
            audience.discard(Audience.PATIENT)
        if not audience:
            self._hold_back(t, phase, event, "repeat" if repeat else "quiet_hours")
            return
        if allowance:
            self._allowance_pending = False
            self._allowance_flagged_day = self._day
        reason = "reminder" if phase is None else "opened"
        self._emit(t, phase, event, level, audience, reason, alerts, allowance=allowance)

    def _hold_back(self, t: float, phase: Phase | None, event: Event, reason: str) -> None:
        self._kinds[event.type].suppressed += 1
        self._decide(t, phase, event, Outcome.SUPPRESSED, reason)

    def _emit(
        self,
        t: float,
        phase: Phase | None,
        event: Event,
        level: AlertLevel,
        audience: set[Audience],
        reason: str,
        alerts: list[Alert],
        *,
        allowance: bool = False,
    ) -> None:
        state = self._kinds[event.type]
        state.forget_before(t - self.settings.escalation_window_s)
        text = message(event, self.settings, at_s=t, reminder=phase is None)
        if state.suppressed:
            noun = NOUNS.get(event.type, "events")
            text += f" ({state.suppressed} more {noun} since the last alert.)"
        if event.type in LADDER_KINDS and level >= AlertLevel.WARNING and len(state.events_s) > 1:
            window_min = self.settings.escalation_window_s / 60.0
            noun = NOUNS.get(event.type, "events")
            text += f" That makes {len(state.events_s)} {noun} in {window_min:.0f} min."
        if allowance:
            text += (
                f" That is {self._day_count} today; your daily allowance is "
                f"{self.settings.daily_allowance}."
            )
        if event.type != "fall" and Audience.CLINIC in audience:
            text += " Your care team has been told."
        alert = Alert(event.type, level, event, text, frozenset(audience), t, state.suppressed)
        state.suppressed = 0
        state.last_alert_s = t
        if Audience.PATIENT in audience:
            state.to_patient.append((t, level))
        if Audience.CLINIC in audience and level >= AlertLevel.CLINIC:
            state.clinic_last_s = t
        alerts.append(alert)
        self._decide(t, phase, event, Outcome.ALERTED, reason, alert)

    def _decide(
        self,
        t: float,
        phase: Phase | None,
        event: Event,
        outcome: Outcome,
        reason: str,
        alert: Alert | None = None,
    ) -> None:
        self.decisions.append(Decision(t, phase, event, outcome, reason, alert))
        self.counts[(event.type, outcome, reason)] += 1
