"""Provisioning files and the HTTP API's shapes: the project's own schema and Grafana's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from grafana_checks import SCHEMAS, errors

from dashboards.build import BuildOptions
from dashboards.export import ExportOptions, bundle, write
from dashboards.provisioning import SCHEMAS as OWN_SCHEMAS
from spinewatch.cli import main


def _kind(name: str) -> str:
    return name.split("/")[1]


@pytest.mark.parametrize("version", [1, 2])
def test_yaml_files_match_the_projects_schema(tmp_path: Path, version: int) -> None:
    written = write(tmp_path, ExportOptions(influx_version=version))
    yamls = [p for p in written if p.suffix == ".yaml"]
    assert len(yamls) == 3
    for path in yamls:
        doc = yaml.safe_load(path.read_text())
        schema = OWN_SCHEMAS[_kind(str(path.relative_to(tmp_path)))]
        jsonschema.Draft7Validator.check_schema(schema)
        jsonschema.validate(doc, schema)


def test_the_schema_catches_mistakes() -> None:
    b = bundle(ExportOptions())
    doc = b.yaml_files["provisioning/alerting/spinewatch.yaml"]
    broken = json.loads(json.dumps(doc))
    broken["groups"][0]["rules"][0]["noDataState"] = "Maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, OWN_SCHEMAS["alerting"])
    del broken["groups"][0]["rules"][0]["for"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, OWN_SCHEMAS["alerting"])


def test_datasource_versions_and_no_secrets() -> None:
    one = bundle(ExportOptions(influx_version=1)).yaml_files
    two = bundle(ExportOptions(influx_version=2, database="clinic")).yaml_files
    ds1 = one["provisioning/datasources/spinewatch.yaml"]["datasources"][0]
    ds2 = two["provisioning/datasources/spinewatch.yaml"]["datasources"][0]
    assert ds1["jsonData"]["version"] == ds2["jsonData"]["version"] == "InfluxQL"
    assert ds2["jsonData"]["dbName"] == "clinic"  # the DBRP mapping's database name
    assert ds2["secureJsonData"]["httpHeaderValue1"] == "Token $SPINEWATCH_INFLUX_TOKEN"
    assert "$SPINEWATCH_INFLUX_PASSWORD" in json.dumps(ds1)


def test_rules_in_both_shapes_are_the_same_rules() -> None:
    b = bundle(ExportOptions())
    file_rules = {r["uid"]: r for g in b.yaml_files["provisioning/alerting/spinewatch.yaml"]
                  ["groups"] for r in g["rules"]}
    api_rules = {r["uid"]: r for name, g in b.json_files.items()
                 if name.startswith("api/rule-groups/") for r in g["rules"]}
    assert file_rules.keys() == api_rules.keys() == {r.uid for r in b.rules}
    for uid, r in file_rules.items():
        assert r["data"] == api_rules[uid]["data"] and r["for"] == api_rules[uid]["for"]


def test_raw_retention_policy_reaches_every_raw_query() -> None:
    b = bundle(ExportOptions(build=BuildOptions(raw_rp="raw")))
    text = json.dumps(b.json_files)
    assert '\\"raw\\".\\"device_status\\"' in text
    assert '"autogen"' not in text


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason="../shared/grafana-jsonschema is absent")
def test_api_contact_points_and_policy_validate() -> None:
    b = bundle(ExportOptions())
    for cp in b.json_files["api/contact-points.json"]:
        assert errors(cp, "alerting.jsonschema.json", "ContactPoint") == []
    assert errors(b.json_files["api/policies.json"], "alerting.jsonschema.json",
                  "NotificationPolicy") == []
    # Mute timings are not checked against the schema: its TimeRange has from/to date-times,
    # while Grafana's API takes start_time/end_time as HH:MM (as exported).


def test_export_is_deterministic_and_the_cli_writes_it(tmp_path: Path, capsys) -> None:
    assert main(["dashboards", "export", str(tmp_path / "a")]) == 0
    assert main(["dashboards", "export", str(tmp_path / "b")]) == 0
    a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert a == b and len(a) == 21
    for rel in a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    assert "wrote 21 files" in capsys.readouterr().out


def test_cli_options_reach_the_export(tmp_path: Path) -> None:
    code = main(["dashboards", "export", str(tmp_path), "--profile", "fusion_weeks_0_6",
                 "--influx-version", "2", "--raw-rp", "raw", "--prescribed-sets-per-week", "21"])
    assert code == 0
    boards = sorted(p.name for p in (tmp_path / "dashboards").iterdir())
    assert boards == ["spinewatch-day-fusion_weeks_0_6.json", "spinewatch-health.json",
                      "spinewatch-overview.json", "spinewatch-trends-fusion_weeks_0_6.json"]
    weekly = json.loads((tmp_path / "api/rule-groups/weekly-adherence.json").read_text())
    assert weekly["rules"][0]["data"][-1]["model"]["expression"] == "$RA < 21"


def test_bad_options_are_project_errors(tmp_path: Path, capsys) -> None:
    assert main(["dashboards", "export", str(tmp_path), "--prescribed-sets-per-week", "0"]) == 2
    assert "prescribed_sets_per_week" in capsys.readouterr().err
    assert main(["dashboards", "export", str(tmp_path), "--profile", "nope"]) == 2


def test_compose_file_is_wired_to_the_export() -> None:
    compose_dir = Path(__file__).resolve().parents[2] / "dashboards" / "compose"
    compose = yaml.safe_load((compose_dir / "docker-compose.yml").read_text())
    grafana = compose["services"]["grafana"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in grafana["volumes"]}
    assert mounts["/etc/grafana/provisioning"] == "./export/provisioning"
    provider = bundle(ExportOptions()).yaml_files["provisioning/dashboards/spinewatch.yaml"]
    assert mounts[provider["providers"][0]["options"]["path"]] == "./export/dashboards"
    # Every variable the data source file refers to is set for Grafana (for InfluxDB 2).
    ds = json.dumps(bundle(ExportOptions(influx_version=2)).yaml_files)
    for name in set(re.findall(r"\$(SPINEWATCH_[A-Z_]+)", ds)):
        assert name in grafana["environment"], name
    init = (compose_dir / "influxdb-init" / "10-spinewatch-dbrp.sh").read_text()
    assert "--rp raw" in init and "--rp long" in init and "--default" in init
