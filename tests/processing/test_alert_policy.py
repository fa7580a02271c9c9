"""The alert policy: cooldown, escalation, falls, sitting, allowance, quiet hours, fatigue."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace

import pytest

from processing.alert_messages import message
from processing.alert_policy import (
    Alert,
    AlertLevel,
    AlertPolicy,
    AlertSettings,
    Audience,
    Outcome,
    QuietHours,
)
from processing.event_types import Event, EventNotice, Phase, Severity
from spinewatch.errors import ConfigError
from spinewatch.profiles import load_profile

PATIENT = frozenset({Audience.PATIENT})
BOTH = frozenset({Audience.PATIENT, Audience.CLINIC})
SUPPRESSED = Outcome.SUPPRESSED
# No daily allowance in play unless a test sets one.
SETTINGS = AlertSettings(
    cooldown_s=120.0, escalation_count=3, escalation_window_s=1800.0, daily_allowance=1000
)


# --------------------------------------------------------------------------- factories


def event(
    kind: str = "bend",
    at_s: float = 0.0,
    *,
    held_s: float = 5.0,
    peak_deg: float = 40.0,
    severity: Severity = Severity.BEYOND,
    technique: str = "",
    end_s: float = math.nan,
) -> Event:
    """An event of ``kind`` whose condition completed at ``at_s`` after ``held_s``."""
    return Event(kind, at_s - held_s, end_s, peak_deg, technique, severity, at_s)


def opened(kind: str = "bend", at_s: float = 0.0, **kw: object) -> EventNotice:
    return EventNotice(Phase.OPENED, event(kind, at_s, **kw))  # type: ignore[arg-type]


def closed(notice: EventNotice, end_s: float) -> EventNotice:
    return EventNotice(Phase.CLOSED, replace(notice.event, end_s=end_s))


def feed(policy: AlertPolicy, notices: Iterable[EventNotice]) -> list[Alert]:
    """Each notice handed over on its own, as a stream would."""
    return [alert for n in notices for alert in policy.update([n])]


def bends(times_s: Iterable[float], **kw: object) -> list[EventNotice]:
    return [opened("bend", t, **kw) for t in times_s]


# --------------------------------------------------------------------------- basics


def test_a_bend_alerts_the_patient_with_plain_language() -> None:
    policy = AlertPolicy(SETTINGS)
    [alert] = policy.update([opened("bend", 100.0, held_s=6.0, peak_deg=48.0)])
    assert alert.level is AlertLevel.REMINDER and alert.audience == PATIENT
    assert alert.at_s == 100.0 and alert.suppressed_since_last == 0
    assert alert.message == "You bent forward 48° for 6 s — your limit is 25°."


def test_closing_never_alerts_and_caution_events_are_ignored() -> None:
    policy = AlertPolicy(SETTINGS)
    first = opened("bend", 10.0)
    assert len(policy.update([first])) == 1
    assert policy.update([closed(first, 20.0)]) == []
    assert policy.update([opened("bend", 500.0, severity=Severity.CAUTION)]) == []
    assert policy.counts[("bend", Outcome.IGNORED, "below_min_severity")] == 1
    assert policy.counts[("bend", Outcome.IGNORED, "closed")] == 1


def test_duplicates_are_ignored_and_a_closing_without_opening_opens() -> None:
    policy = AlertPolicy(SETTINGS)
    lift = opened("lift", 50.0, technique="stoop", peak_deg=70.0)
    # A lift is known only at its end: its closing alone must still alert.
    [alert] = policy.update([closed(lift, 52.0)])
    assert alert.kind == "lift" and "should not lift" in alert.message
    assert policy.update([closed(lift, 52.0)]) == []
    bend = opened("bend", 1000.0)
    assert len(policy.update([bend, bend])) == 1
    assert policy.counts[("bend", Outcome.IGNORED, "duplicate_open")] == 1
    assert policy.counts[("lift", Outcome.IGNORED, "duplicate_close")] == 1


# --------------------------------------------------------------------------- cooldown


def test_cooldown_boundary_and_suppressed_count_carried() -> None:
    policy = AlertPolicy(replace(SETTINGS, escalation_count=2))
    assert len(policy.update(bends([0.0]))) == 1
    # Just inside the cooldown: the same episode, held back and counted, per kind.
    assert policy.update(bends([30.0, 60.0, 119.999])) == []
    assert policy.pending_suppressed("bend") == 3
    assert policy.counts[("bend", Outcome.SUPPRESSED, "cooldown")] == 3
    # Another kind has its own cooldown.
    assert len(policy.update([opened("twist", 119.999, technique="left")])) == 1
    # Exactly one cooldown after the last episode: a second episode, which escalates.
    [alert] = policy.update(bends([120.0]))
    assert alert.level is AlertLevel.WARNING and alert.suppressed_since_last == 3
    assert "(3 more risky bends since the last alert.)" in alert.message
    assert "That makes 5 risky bends in 30 min." in alert.message
    assert policy.pending_suppressed("bend") == 0


def test_nobody_is_buzzed_twice_within_the_cooldown_of_a_kind() -> None:
    policy = AlertPolicy(replace(SETTINGS, escalation_count=1))
    alerts = feed(policy, bends(range(0, 7200, 7)))
    gaps = [b.at_s - a.at_s for a, b in itertools.pairwise(alerts)]
    assert gaps and min(gaps) >= SETTINGS.cooldown_s


# --------------------------------------------------------------------------- escalation


def test_escalation_instead_of_repetition() -> None:
    policy = AlertPolicy(SETTINGS)
    alerts = feed(policy, bends([0, 120, 240, 360, 480, 600, 720]))
    # Episode 1: a reminder; 3: stronger; 6: the clinic. Same-level repeats are held back.
    assert [(a.at_s, a.level) for a in alerts] == [
        (0.0, AlertLevel.REMINDER),
        (240.0, AlertLevel.WARNING),
        (600.0, AlertLevel.CLINIC),
    ]
    assert [a.audience for a in alerts] == [PATIENT, PATIENT, BOTH]
    assert [a.suppressed_since_last for a in alerts] == [0, 1, 2]
    assert policy.counts[("bend", Outcome.SUPPRESSED, "repeat")] == 4
    assert "That makes 3 risky bends in 30 min." in alerts[1].message
    assert "Your care team has been told." in alerts[2].message


def test_escalation_window_boundary() -> None:
    inside = feed(AlertPolicy(SETTINGS), bends([0.0, 900.0, 1799.999]))
    assert [a.level for a in inside] == [AlertLevel.REMINDER, AlertLevel.WARNING]
    # The first episode is exactly one window old at the third: it no longer counts,
    # and neither does the reminder it gave, so the patient is reminded again.
    edge = feed(AlertPolicy(SETTINGS), bends([0.0, 900.0, 1800.0]))
    assert [(a.at_s, a.level) for a in edge] == [
        (0.0, AlertLevel.REMINDER),
        (1800.0, AlertLevel.REMINDER),
    ]


def test_continued_bending_reaches_the_clinic_once_per_window() -> None:
    policy = AlertPolicy(SETTINGS)
    alerts = feed(policy, bends([i * 120.0 for i in range(30)]))  # an hour of bending
    assert [a.at_s for a in alerts] == [0.0, 240.0, 600.0, 2400.0]
    assert [a.at_s for a in alerts if a.to_clinic] == [600.0, 2400.0]
    total = len(alerts) + policy.pending_suppressed("bend")
    assert total + sum(a.suppressed_since_last for a in alerts) == 30


def test_far_beyond_starts_one_level_up() -> None:
    [alert] = AlertPolicy(SETTINGS).update(bends([0.0], severity=Severity.FAR_BEYOND))
    assert alert.level is AlertLevel.WARNING and alert.audience == PATIENT


def test_escalation_count_of_one_escalates_at_once() -> None:
    settings = replace(SETTINGS, cooldown_s=60.0, escalation_count=1, escalation_window_s=600.0)
    levels = [a.level for a in feed(AlertPolicy(settings), bends([0, 60, 120]))]
    assert levels == [AlertLevel.WARNING, AlertLevel.CLINIC]


# --------------------------------------------------------------------------- falls


def test_falls_always_alert_at_once_to_patient_and_clinic() -> None:
    quiet = QuietHours(start_h=0.0, end_h=23.99)
    policy = AlertPolicy(AlertSettings(cooldown_s=3600.0, quiet_hours=quiet))
    notices = [
        opened("fall", 10.0, severity=Severity.CAUTION, peak_deg=math.nan),
        opened("fall", 11.0, severity=Severity.CRITICAL, peak_deg=math.nan),
        opened("fall", 12.0, severity=Severity.CRITICAL, peak_deg=math.nan),
    ]
    alerts = policy.update(notices)
    assert [a.level for a in alerts] == [AlertLevel.URGENT] * 3
    assert all(a.audience == BOTH and a.suppressed_since_last == 0 for a in alerts)
    assert "A fall was detected" in alerts[0].message


def test_a_fall_reported_opened_and_closed_together_alerts_once() -> None:
    fall = opened("fall", 42.0, severity=Severity.CRITICAL, peak_deg=math.nan)
    alerts = AlertPolicy(SETTINGS).update([fall, closed(fall, 42.0)])
    assert len(alerts) == 1 and alerts[0].at_s == 42.0


# --------------------------------------------------------------------------- sitting


def test_prolonged_sitting_alerts_once_per_bout_then_reminds_every_limit() -> None:
    settings = AlertSettings(cooldown_s=120.0, sitting_reminder_s=1200.0)
    policy = AlertPolicy(settings)
    bout = opened("prolonged_sitting", 1200.0, held_s=1200.0, peak_deg=math.nan)
    [first] = policy.update([bout], now_s=1200.0)
    assert first.level is AlertLevel.REMINDER
    assert first.message == "You have been sitting for 20 min — time to stand up and walk a little."
    assert policy.update([], now_s=2399.9) == []
    [again] = policy.update([], now_s=2400.0)
    assert again.level is AlertLevel.WARNING and again.at_s == 2400.0
    assert "sitting for 40 min — please stand up and move now" in again.message
    # Long silence in the stream: each due reminder comes out at its own time.
    assert [a.at_s for a in policy.update([], now_s=5000.0)] == [3600.0, 4800.0]
    # Standing up ends the bout: no more reminders.
    assert policy.update([closed(bout, 5100.0)], now_s=9000.0) == []
    next_bout = opened("prolonged_sitting", 9100.0, held_s=1200.0, peak_deg=math.nan)
    assert len(policy.update([next_bout])) == 1


def test_sitting_reminder_falls_due_before_a_later_notice() -> None:
    policy = AlertPolicy(AlertSettings(sitting_reminder_s=600.0))
    policy.update([opened("prolonged_sitting", 600.0, held_s=600.0)])
    alerts = policy.update([opened("bend", 1300.0)])
    assert [(a.kind, a.at_s) for a in alerts] == [("prolonged_sitting", 1200.0), ("bend", 1300.0)]


# --------------------------------------------------------------------------- allowance, quiet


def test_daily_allowance_tells_the_clinic_once_a_day() -> None:
    settings = AlertSettings(cooldown_s=0.0, escalation_count=20, daily_allowance=2)
    policy = AlertPolicy(settings, start_s_of_day=22 * 3600.0)
    day1 = [
        opened("bend", 0.0),
        opened("lift", 100.0, technique="squat"),
        opened("bend", 200.0),  # the 3rd of the day: a repeat for the patient, news for the clinic
        opened("bend", 300.0),
    ]
    alerts = policy.update(day1)
    assert [(a.kind, a.audience) for a in alerts] == [
        ("bend", PATIENT),
        ("lift", PATIENT),
        ("bend", frozenset({Audience.CLINIC})),
    ]
    assert "That is 3 today; your daily allowance is 2." in alerts[2].message
    # Midnight is 2 h after the start: a new day, a new count.
    day2 = policy.update([opened("bend", 7300.0 + 100 * i) for i in range(4)])
    assert [a.audience for a in day2] == [PATIENT, frozenset({Audience.CLINIC})]


def test_quiet_hours_hold_back_patient_alerts_but_not_the_clinic() -> None:
    quiet = QuietHours(start_h=22.0, end_h=7.0)  # wraps past midnight
    settings = replace(SETTINGS, quiet_hours=quiet, clinic_only_kinds=frozenset({"twist"}))
    policy = AlertPolicy(settings, start_s_of_day=21.5 * 3600.0)
    assert len(policy.update(bends([0.0]))) == 1  # 21:30
    assert policy.update(bends([3600.0])) == []  # 22:30
    assert policy.counts[("bend", Outcome.SUPPRESSED, "quiet_hours")] == 1
    [twist] = policy.update([opened("twist", 3700.0, technique="right")])
    assert twist.audience == frozenset({Audience.CLINIC})
    [morning] = policy.update(bends([10 * 3600.0]))  # 07:30
    assert morning.suppressed_since_last == 1 and morning.to_patient


# --------------------------------------------------------------------------- settings, text


def test_settings_from_profile() -> None:
    profile = load_profile("discectomy_weeks_2_6", {})
    settings = AlertSettings.from_profile(profile, cooldown_s=60.0)
    assert settings.cooldown_s == 60.0
    assert settings.escalation_count == profile.alert_escalation_count
    assert settings.escalation_window_s == profile.alert_escalation_window_min * 60.0
    assert settings.daily_allowance == profile.daily_risky_bend_allowance
    assert settings.sitting_reminder_s == profile.sitting_max_min * 60.0
    assert settings.flexion_limit_deg == profile.flexion_limit_deg


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"cooldown_s": -1.0}, "cooldown_s"),
        ({"escalation_count": 0}, "escalation_count"),
        ({"allowance_kinds": frozenset({"jump"})}, "allowance_kinds"),
        ({"clinic_only_kinds": frozenset({"fall"})}, "clinic_only_kinds"),
    ],
)
def test_bad_settings_raise_config_error(kwargs: dict[str, object], where: str) -> None:
    with pytest.raises(ConfigError) as info:
        AlertSettings(**kwargs)  # type: ignore[arg-type]
    assert info.value.where == where


def test_bad_quiet_hours_and_start_of_day() -> None:
    with pytest.raises(ConfigError, match="end_h"):
        QuietHours(start_h=22.0, end_h=24.0)
    with pytest.raises(ConfigError, match="start_s_of_day"):
        AlertPolicy(SETTINGS, start_s_of_day=-1.0)


@pytest.mark.parametrize(
    ("ev", "text"),
    [
        (event("bend", 10.0, peak_deg=-14.0, held_s=4.0), "You bent backward 14° for 4 s"),
        (event("twist", 10.0, peak_deg=-30.0, technique="left"), "You twisted 30° to the left"),
        (event("lateral_bend", 10.0, peak_deg=22.0, technique="right"), "You leaned 22° to the"),
        (event("lift", 10.0, peak_deg=math.nan, technique="squat"), "a lift (bending) — you"),
    ],
)
def test_messages(ev: Event, text: str) -> None:
    assert text in message(ev, SETTINGS, at_s=ev.detected_s)
    assert "nan" not in message(ev, SETTINGS, at_s=ev.detected_s)


# --------------------------------------------------------------------------- alert fatigue


def _bending_day(seed: int = 7) -> tuple[list[EventNotice], list[tuple[float, float]]]:
    """Ten hours of a patient who bends often: 200 risky bends in 22 clusters.

    20 short clusters (unloading the dishwasher, dressing: 6 to 9 bends within
    about 3 min) and 2 longer ones (gardening: 12 min); 4 sitting bouts, one
    of them 70 min long; a fall in the afternoon. Returns the notices in time
    order and the clusters' (start, end) times, s.
    """
    rng = random.Random(seed)
    per_cluster = [9 if i % 2 else 7 for i in range(20)] + [20, 20]
    assert sum(per_cluster) == 200
    notices: list[tuple[float, int, EventNotice]] = []
    clusters: list[tuple[float, float]] = []
    starts = [600.0 + i * 1600.0 + rng.uniform(-200, 200) for i in range(22)]
    for start, count in zip(starts, per_cluster, strict=True):
        spacing = 20.0 if count <= 9 else 36.0
        t = start
        for _ in range(count):
            severity = Severity.FAR_BEYOND if rng.random() < 0.1 else Severity.BEYOND
            note = opened("bend", t, held_s=3.0, peak_deg=rng.uniform(30, 70), severity=severity)
            notices.append((t, 0, note))
            notices.append((t + 4.0, 1, closed(note, t + 4.0)))
            t += spacing * rng.uniform(0.5, 1.5)
        clusters.append((start, t))
    for sit_start, sit_min in [(3000.0, 25.0), (12000.0, 70.0), (20000.0, 15.0), (27000.0, 45.0)]:
        if sit_min > 20.0:
            note = opened("prolonged_sitting", sit_start + 1200.0, held_s=1200.0, peak_deg=math.nan)
            notices.append((note.event.detected_s, 0, note))
            end_s = sit_start + sit_min * 60
            notices.append((end_s, 1, closed(note, end_s)))
    fall = opened("fall", 25_000.0, severity=Severity.CRITICAL, peak_deg=math.nan)
    notices += [(25_000.0, 0, fall), (25_000.0, 1, closed(fall, 25_000.0))]
    notices.sort(key=lambda item: (item[0], item[1]))
    return [n for _, _, n in notices], clusters


def _time_s(notice: EventNotice) -> float:
    return notice.event.end_s if notice.phase is Phase.CLOSED else notice.event.detected_s


def test_alert_fatigue_over_a_day_of_frequent_bending() -> None:
    profile = load_profile("fusion_weeks_0_6", {})
    settings = AlertSettings.from_profile(profile)
    policy = AlertPolicy(settings, start_s_of_day=8 * 3600.0)
    notices, clusters = _bending_day()
    alerts: list[Alert] = []
    # BLE-sized chunks with the stream's time advancing in between (10 s steps).
    pending = list(notices)
    for now_s in range(0, 36_001, 10):
        chunk = [n for n in pending if _time_s(n) <= now_s]
        pending = pending[len(chunk) :]
        alerts += policy.update(chunk, now_s=float(now_s))
    assert not pending

    patient = [a for a in alerts if a.to_patient]
    clinic = [a for a in alerts if a.to_clinic]
    bend_alerts = [a for a in alerts if a.kind == "bend"]
    to_patient = [a for a in bend_alerts if a.to_patient]
    # Few: fewer bend alerts than 10-minute slots of the day with any bending in them.
    slots = {math.floor(_time_s(n) / 600.0) for n in notices if n.event.type == "bend"}
    assert len(to_patient) <= len(slots) and len(to_patient) <= 20
    # Never two of a kind within the cooldown; within a window, only ever stronger.
    for kind in {a.kind for a in patient}:
        mine = [a for a in patient if a.kind == kind]
        assert all(b.at_s - a.at_s >= settings.cooldown_s for a, b in itertools.pairwise(mine))
    for i, later in enumerate(to_patient):
        recent = [a for a in to_patient[:i] if later.at_s - a.at_s < settings.escalation_window_s]
        assert all(later.level > a.level for a in recent), (later, recent)
    # Meaningful: each one says how many bends it stands for and how many in the window.
    assert all("more risky bends since the last alert" in a.message for a in to_patient[1:])
    # The clinic: the day's allowance (0 for this profile) flagged once, one escalation, the fall.
    assert [(a.kind, a.level) for a in clinic] == [
        ("bend", AlertLevel.REMINDER),
        ("fall", AlertLevel.URGENT),
        ("bend", AlertLevel.CLINIC),
    ]
    assert clinic[2].at_s >= clusters[-2][0]  # the escalation came from the long gardening bout
    # Sitting: bouts of 25, 70 and 45 min (a 15 min one is below the limit); reminders every
    # further 20 min while still sitting.
    assert [a.level.name for a in alerts if a.kind == "prolonged_sitting"] == [
        "REMINDER",
        "REMINDER",
        "WARNING",
        "WARNING",
        "REMINDER",
        "WARNING",
    ]
    # Every bend is accounted for: alerted, or held back and reported by a later alert.
    bend_opens = sum(1 for n in notices if n.event.type == "bend" and n.phase is Phase.OPENED)
    held = sum(
        n
        for (kind, outcome, _), n in policy.counts.items()
        if kind == "bend" and outcome is Outcome.SUPPRESSED
    )
    assert len(bend_alerts) + held == bend_opens == 200
    reported = sum(a.suppressed_since_last for a in bend_alerts)
    assert reported + policy.pending_suppressed("bend") == held
    assert len(policy.decisions) == len(notices) + 3  # + 3 sitting reminders
    reasons = {r: n for (k, o, r), n in policy.counts.items() if (k, o) == ("bend", SUPPRESSED)}
    print(
        f"\nfatigue: {bend_opens} bends in {len(clusters)} clusters ({len(slots)} ten-minute "
        f"slots) → {len(to_patient)} bend alerts to the patient "
        f"{dict(Counter(a.level.name for a in to_patient))}, {len(patient)} patient alerts in "
        f"all, {len(clinic)} to the clinic; held back: "
        f"{reasons}"
    )


def test_an_event_reported_closed_before_opened_alerts_once() -> None:
    # A fall is decided seconds after its impact: its close (at the impact) sorts first.
    from processing.event_types import Event, EventNotice, Phase, Severity

    fall = Event("fall", 100.0, 101.0, 90.0, "", Severity.CRITICAL, 104.0)
    policy = AlertPolicy(AlertSettings.from_profile(load_profile("fusion_weeks_0_6")))
    alerts = policy.update([EventNotice(Phase.OPENED, fall), EventNotice(Phase.CLOSED, fall)])
    assert [a.kind for a in alerts] == ["fall"]
