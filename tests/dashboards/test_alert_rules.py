"""Alert rules: their queries against the real InfluxDB, evaluated as Grafana would, and shapes.

Grafana is not available here, so each rule is evaluated the way its data
section says: each query over its relative range (``$timeFilter``), reduced
to the last non-null value per ``patient`` series, then the math condition
over the reduced values of the patients present in every query.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dashboard_fixtures import DATABASE, DAY, Patient
from grafana_checks import SCHEMAS, errors, substitute
from storage_servers import InfluxServer

from dashboards.alerts import RuleSpec, all_rules, api_rule_groups
from spinewatch.profiles import read_profile
from spinewatch.storage.schema import make_point
from spinewatch.storage.settings import StorageSettings
from spinewatch.storage.store import LocalStore
from spinewatch.storage_feed import commit, upload

PRESCRIBED = 14
SYNTH_DAY = DAY + dt.timedelta(days=3)  # synthetic patients, away from the simulated day


def rules_for(patients) -> dict[str, RuleSpec]:
    profiles = [read_profile(p.profile) for p in patients]
    return {r.uid: r for r in all_rules(profiles, "autogen", PRESCRIBED)}


def evaluate(server: InfluxServer, rule: RuleSpec, now: dt.datetime) -> dict[str, bool]:
    """patient → firing, for the patients every query of ``rule`` has a value for."""
    end_ms = int(now.timestamp() * 1000)
    reduced: dict[str, dict[str, float]] = {}
    for q in rule.queries:
        text = substitute(q.query, end_ms - q.range_s * 1000, end_ms, {})
        for s in server.query(text, DATABASE):
            values = [v[1] for v in s["values"] if v[1] is not None]
            if values:
                reduced.setdefault(s["tags"]["patient"], {})[q.ref] = float(values[-1])
    refs = {q.ref for q in rule.queries}
    out = {}
    for patient, vals in reduced.items():
        if set(vals) != refs:
            continue  # Grafana's math drops series without a partner
        expr = rule.condition.replace("&&", " and ")
        for ref, value in vals.items():
            expr = expr.replace(f"${ref}", repr(value))
        out[patient] = bool(eval(expr))
    return out


def firing(server: InfluxServer, rule: RuleSpec, now: dt.datetime) -> set[str]:
    return {p for p, f in evaluate(server, rule, now).items() if f}


@pytest.fixture(scope="module")
def synthetic(loaded: InfluxServer, tmp_path_factory: pytest.TempPathFactory) -> InfluxServer:
    """Three made-up patients over 3 h before SYNTH_DAY 12:00, written by the project's writer.

    ``s-offwrist``: heartbeats all along, saying not worn; ``s-offline``: worn, heartbeats stop
    an hour before; ``s-idle``: worn all along, a few steps early on, then none, and a fall
    at 11:50.
    """
    t0 = SYNTH_DAY.replace(hour=9)
    points = []
    for minute in range(180):
        t = int((t0 + dt.timedelta(minutes=minute)).timestamp()) * 10**9
        for who, worn, alive in (("s-offwrist", False, True), ("s-offline", True, minute < 120),
                                 ("s-idle", True, True)):
            if alive:
                points.append(make_point("device_status", t, patient=who, device="d",
                                         connected=True, worn=worn, heartbeat=minute))
        if minute < 20:
            points.append(make_point("steps", t, patient="s-idle", device="d", count=30,
                                     interval_s=60.0))
    fall_at = int(SYNTH_DAY.replace(hour=11, minute=50).timestamp()) * 10**9
    points.append(make_point("events", fall_at, patient="s-idle", device="d",
                             tags={"profile": "maintenance", "kind": "fall"}, duration_s=1.5,
                             violates_profile=True))
    settings = StorageSettings(url=loaded.url, database=DATABASE, timeout_s=10)
    with LocalStore(tmp_path_factory.mktemp("synth") / "s.sqlite") as store:
        commit(store, points)
        upload(store, settings)
    return loaded


def test_fall_and_limits_fire_for_the_analysed_days(loaded: InfluxServer, patients) -> None:
    rules = rules_for(patients)
    evening = DAY.replace(hour=20)
    assert firing(loaded, rules["spinewatch-fall"], evening) == set()  # no falls simulated
    for p in patients:
        prof = read_profile(p.profile)
        rule = next(r for r in rules.values() if r.uid.startswith("spinewatch-bends-")
                    and prof.name[:20] in r.uid)
        with (p.out / "events.csv").open() as fh:
            n = sum(1 for line in fh if line.startswith("bend,") and "beyond" in line)
        want = {p.id} if n > prof.daily_risky_bend_allowance else set()
        assert firing(loaded, rule, evening) & {p.id} == want, p.id
    lifts = firing(loaded, rules["spinewatch-lifts"], evening)
    assert lifts == {p.id for p in patients}  # every simulated day has a stoop lift
    # 24 h later the day has left the window.
    assert firing(loaded, rules["spinewatch-lifts"], evening + dt.timedelta(days=1)) == set()


def test_adherence_below_prescription_over_a_week(loaded: InfluxServer, patients) -> None:
    rule = rules_for(patients)["spinewatch-adherence"]
    result = evaluate(loaded, rule, DAY.replace(hour=23))
    assert {p.id for p in patients} <= set(result) and all(result[p.id] for p in patients)


def test_not_worn_is_told_apart_from_gateway_offline(synthetic: InfluxServer, patients) -> None:
    rules = rules_for(patients)
    now = SYNTH_DAY.replace(hour=12)
    assert firing(synthetic, rules["spinewatch-not-worn"], now) == {"s-offwrist"}
    offline = firing(synthetic, rules["spinewatch-gateway-offline"], now)
    assert "s-offline" in offline and not offline & {"s-offwrist", "s-idle"}
    # The simulated patients' gateways stopped after their recordings: offline too.
    assert {p.id for p in patients} <= firing(synthetic, rules["spinewatch-gateway-offline"],
                                              DAY.replace(hour=20))
    # While a recording runs, its gateway is online.
    during = DAY + dt.timedelta(minutes=8)
    assert patients[0].id not in firing(synthetic, rules["spinewatch-gateway-offline"], during)


def test_prolonged_inactivity_needs_the_sensor_worn(synthetic: InfluxServer, patients) -> None:
    rule = rules_for(patients)["spinewatch-inactivity"]
    now = SYNTH_DAY.replace(hour=12)
    assert firing(synthetic, rule, now) == {"s-idle"}
    # Early on, while still walking, not inactive.
    assert "s-idle" not in firing(synthetic, rule, SYNTH_DAY.replace(hour=9, minute=30))


def test_every_state_is_set_deliberately(patients) -> None:
    for r in rules_for(patients).values():
        assert r.no_data in {"OK", "Alerting", "NoData", "KeepLast"}
        assert r.exec_err == "Error"
    assert rules_for(patients)["spinewatch-gateway-offline"].no_data == "Alerting"


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason="../shared/grafana-jsonschema is absent")
def test_rule_groups_validate_against_the_alerting_schema(patients) -> None:
    groups = api_rule_groups(list(rules_for(patients).values()))
    assert sum(len(g["rules"]) for g in groups) == len(rules_for(patients))
    for g in groups:
        assert errors(g, "alerting.jsonschema.json", "RuleGroup") == []
        for r in g["rules"]:
            assert errors(r, "alerting.jsonschema.json", "Rule") == []


def test_the_analysis_folder_is_where_the_fixture_says(patients) -> None:
    assert all(isinstance(p, Patient) and Path(p.out).is_dir() for p in patients)


def test_a_fall_fires_for_15_minutes(synthetic: InfluxServer, patients) -> None:
    rule = rules_for(patients)["spinewatch-fall"]
    assert firing(synthetic, rule, SYNTH_DAY.replace(hour=12)) == {"s-idle"}
    assert firing(synthetic, rule, SYNTH_DAY.replace(hour=12, minute=10)) == set()


def test_every_rule_query_of_every_profile_runs(loaded: InfluxServer) -> None:
    from spinewatch.profiles import profile_names

    rules = all_rules([read_profile(n) for n in profile_names()], "autogen", PRESCRIBED)
    assert len(rules) == 6 + len(profile_names())
    for rule in rules:
        evaluate(loaded, rule, DAY.replace(hour=20))  # raises on any InfluxQL error
