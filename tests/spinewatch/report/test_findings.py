"""Findings are derived from the data alone, and say gaps and non-wear as such."""

from __future__ import annotations

from report_factories import done, event, exercise_set, headline, make_day, spans, targets

from spinewatch.report.findings import (
    AttentionRules,
    activity_findings,
    attention_reasons,
    bend_findings,
    coverage_findings,
    exercise_findings,
    fall_findings,
    findings,
    lift_findings,
    minutes,
    sitting_findings,
)

H = 3600.0  # the day starts at 08:00 local: t = 2 h is 10:00


def texts(fs: list) -> list[str]:
    return [f.text for f in fs]


def test_stoop_lifts_grouped_by_hour_and_no_squat_lifts_said() -> None:
    lifts = [event("lift", 2 * H + m * 60, technique="stoop") for m in (5, 20, 33, 50)]
    (f,) = lift_findings(make_day(events=lifts))
    assert f.text.startswith("4 stoop lifts between 10:00 and 11:00; no squat lifts")
    assert "load is not measured" in f.text
    assert f.kind == "attention"  # fusion weeks 0-6: no lifting


def test_single_squat_lift_has_its_time() -> None:
    (f,) = lift_findings(make_day(events=[event("lift", 3 * H + 23 * 60, technique="squat")]))
    assert "1 squat lift at 11:23" in f.text
    assert f.text.startswith("No stoop lifts")


def test_long_sitting_bout_with_start_time() -> None:
    day = make_day(
        headline=headline(longest_sitting_s=95 * 60, longest_sitting_start_s=6 * H + 600),
        targets=targets(sitting_max_min=30),
    )
    (f,) = sitting_findings(day)
    assert f.text == "Sat for 95 minutes without a break at 14:10 (limit 30 min)."
    assert f.kind == "attention"


def test_short_sitting_within_limit() -> None:
    (f,) = sitting_findings(make_day())
    assert f.text.startswith("Longest sitting bout 10 min at 09:00, within")
    assert f.kind == "info"


def test_gaps_and_non_wear_are_named_with_times() -> None:
    day = make_day(
        gaps=spans((2 * H, 2 * H + 2400)),
        not_worn=spans((4 * H, 5 * H + 600)),
        headline=headline(wear_s=6 * H, measured_s=7.3 * H),
    )
    got = texts(coverage_findings(day))
    assert got[0].startswith("No data 10:00–10:40 (40 min)")
    assert got[1] == "Not worn 12:00–13:10 (70 min)."
    assert "cover the 6 h 00 min the sensor was worn" in got[2]
    assert all(f.kind == "data" for f in coverage_findings(day))
    (act,) = activity_findings(day)
    assert act.text.endswith("counted while worn.")


def test_many_gaps_are_summarised() -> None:
    day = make_day(gaps=spans(*[(i * 600.0, i * 600.0 + 60) for i in range(5)]))
    assert "and 2 more" in texts(coverage_findings(day))[0]


def test_day_not_worn_gives_no_movement_figures() -> None:
    day = make_day(
        headline=headline(
            wear_s=0.0,
            steps=None,
            walking_s=None,
            longest_sitting_s=None,
            longest_sitting_start_s=None,
        )
    )
    got = findings(day)
    assert got[0].text.startswith("The sensor was not worn")
    assert not any("steps" in f.text or "No falls" in f.text or "No risky" in f.text for f in got)
    assert bend_findings(day) == [] and lift_findings(day) == [] and activity_findings(day) == []


def test_day_without_data() -> None:
    day = make_day(headline=headline(measured_s=0.0, wear_s=0.0, duration_s=0.0))
    assert texts(coverage_findings(day)) == [
        "No data was recorded on this day: there are no figures for it."
    ]


def test_bends_against_allowance() -> None:
    bends = [
        event("bend", 100.0 * i, severity="far_beyond" if i < 2 else "beyond") for i in range(3)
    ]
    (f,) = bend_findings(make_day(events=bends))
    assert (
        f.text
        == "3 risky bends past 25° (2 of them 20° or more past it); the daily allowance is 0."
    )
    assert f.kind == "attention"
    (ok,) = bend_findings(make_day(events=bends, targets=targets(daily_risky_bend_allowance=5)))
    assert ok.kind == "info" and "within the daily allowance of 5" in ok.text
    assert texts(bend_findings(make_day())) == ["No risky bends past 25° while worn."]


def test_falls() -> None:
    (f,) = fall_findings(make_day(events=[event("fall", 6 * H + 32 * 60)]))
    assert f.text == "1 fall detected (at 14:32): check with the patient."
    assert texts(fall_findings(make_day())) == ["No falls detected while worn."]


def test_exercise_sets_against_prescription_with_falling_range() -> None:
    sets = (exercise_set("bridge", 100, [25, 26, 24] * 3), exercise_set("bridge", 400, [18] * 9))
    day = make_day(sets=sets, adherence=(done("bridge", 2, 3, 18, 30),))
    (f,) = exercise_findings(day)
    assert f.text == "bridge: 2 of 3 sets, 18 of 30 reps, range falling in the last set."
    assert f.kind == "info"


def test_range_falling_through_one_set_and_not_prescribed() -> None:
    day = make_day(
        sets=(
            exercise_set("pelvic_tilt", 100, [14, 14, 13, 12, 9, 8]),
            exercise_set("bird_dog", 300, [9, 9, 3, 3, 2, 2]),
        )
    )
    (f,) = exercise_findings(day)
    assert f.text == (
        "Exercises (none prescribed): pelvic tilt 1 set of 6 reps "
        "(range falling through the last set); bird dog 1 set of 6 reps."
    )


def test_steady_range_makes_no_claim() -> None:
    day = make_day(
        sets=(exercise_set("bridge", 100, [25.0] * 8),), adherence=(done("bridge", 1, 1, 8, 10),)
    )
    assert texts(exercise_findings(day)) == ["bridge: 1 of 1 sets, 8 of 10 reps."]


def test_no_exercise_files_is_no_exercise_data() -> None:
    (f,) = exercise_findings(make_day(sets=None))
    assert f.text.startswith("No exercise data") and f.kind == "data"
    assert texts(exercise_findings(make_day(sets=()))) == [
        "No exercise sets recognised while worn."
    ]


def test_findings_order_puts_attention_first() -> None:
    day = make_day(events=[event("fall", 100.0)])
    kinds = [f.kind for f in findings(day)]
    assert kinds == sorted(kinds, key={"data": 0, "attention": 1, "info": 2}.get)
    assert kinds[0] == "attention"


def test_attention_reasons() -> None:
    rules = AttentionRules(min_wear_h=8.0, min_adherence=0.5)
    assert attention_reasons(make_day(), rules) == []
    assert attention_reasons(None, rules) == ["no data"]
    day = make_day(
        events=[event("fall", 10.0), event("bend", 50.0)],
        headline=headline(wear_s=3 * H, event_counts={"fall": 1, "bend": 1}),
        adherence=(done("bridge", 1, 3, 5, 30),),
    )
    reasons = attention_reasons(day, rules)
    assert reasons[0] == "1 fall"
    assert any("risky bends" in r for r in reasons)
    assert any(r.startswith("worn 3.0 h") for r in reasons)
    assert any("bridge" in r for r in reasons)


def test_minutes_format() -> None:
    assert minutes(40 * 60) == "40 min"
    assert minutes(125 * 60) == "2 h 05 min"
