"""Everything Grafana needs, as files: dashboards, provisioning YAML, and the HTTP API's shape.

Layout of an export folder::

    dashboards/<uid>.json                       the dashboards (the provider reads this folder)
    provisioning/datasources/spinewatch.yaml    InfluxDB 1.x, or 2.x with a DBRP mapping
    provisioning/dashboards/spinewatch.yaml     the dashboards provider
    provisioning/alerting/spinewatch.yaml       rule groups, contact points, policy, mute timing
    api/rule-groups/<group>.json                PUT /api/v1/provisioning/folder/…/rule-groups/…
    api/contact-points.json, api/policies.json, api/mute-timings.json

Output is deterministic (sorted keys), so two exports can be diffed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from dashboards import provisioning
from dashboards.alerts import RuleSpec, all_rules, api_rule_groups
from dashboards.build import BuildOptions, all_dashboards
from dashboards.common import JSON, to_json
from spinewatch.errors import DashboardError


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """What to export: build options, the InfluxDB version and database, contacts."""

    build: BuildOptions = field(default_factory=BuildOptions)
    influx_version: Literal[1, 2] = 1
    database: str = "spinewatch"
    contacts: provisioning.ContactOptions = field(default_factory=provisioning.ContactOptions)


@dataclass(frozen=True, slots=True)
class Bundle:
    """Everything an export writes, in memory: file name (relative) → document."""

    json_files: dict[str, Any]
    yaml_files: dict[str, JSON]
    rules: tuple[RuleSpec, ...]


def bundle(options: ExportOptions) -> Bundle:
    """Build every dashboard, rule and provisioning document."""
    b = options.build
    rules = all_rules(b.clinical_profiles(), b.raw_rp, b.prescribed_sets_per_week)
    json_files: dict[str, Any] = {
        f"dashboards/{name}": board for name, board in all_dashboards(b).items()
    }
    for group in api_rule_groups(rules):
        json_files[f"api/rule-groups/{group['title']}.json"] = group
    c = options.contacts
    json_files["api/contact-points.json"] = [
        {**r, "name": cp["name"]} for cp in provisioning.contact_points(c) for r in cp["receivers"]
    ]
    json_files["api/policies.json"] = provisioning.notification_policy()
    json_files["api/mute-timings.json"] = [provisioning.night(c)]
    datasource = (
        provisioning.influx1_datasource(options.database)
        if options.influx_version == 1
        else provisioning.influx2_datasource(options.database)
    )
    yaml_files = {
        "provisioning/datasources/spinewatch.yaml": datasource,
        "provisioning/dashboards/spinewatch.yaml": provisioning.dashboards_provider(),
        "provisioning/alerting/spinewatch.yaml": provisioning.alerting(rules, c),
    }
    return Bundle(json_files, yaml_files, rules)


def to_yaml(doc: JSON) -> str:
    """Deterministic YAML (sorted keys, block style)."""
    text: str = yaml.safe_dump(doc, sort_keys=True, allow_unicode=True, default_flow_style=False)
    return text


def write(out_dir: Path, options: ExportOptions) -> list[Path]:
    """Write the export into ``out_dir`` (created); the files written, sorted."""
    b = bundle(options)
    texts = {name: to_json(doc) for name, doc in b.json_files.items()}
    texts.update({name: to_yaml(doc) for name, doc in b.yaml_files.items()})
    written = []
    try:
        for name, text in sorted(texts.items()):
            path = out_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise DashboardError(f"cannot write the export: {exc}", where=str(out_dir)) from exc
    return written


def read_json(path: Path) -> Any:
    """A JSON file of an export (for ``push``)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DashboardError(f"cannot read {path.name}: {exc}", where=str(path)) from exc
