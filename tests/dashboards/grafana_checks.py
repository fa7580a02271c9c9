"""Offline Grafana checks: JSON Schema validation and macro substitution for InfluxQL queries."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

SCHEMAS = Path(__file__).resolve().parents[3] / "shared" / "grafana-jsonschema"
PANEL_SCHEMAS = {
    "timeseries": "timeseries",
    "stat": "stat",
    "table": "table",
    "statetimeline": "statetimeline",
}


@cache
def _registry() -> Registry:
    resources = []
    for path in SCHEMAS.glob("*.jsonschema.json"):
        doc = json.loads(path.read_text())
        resource = Resource.from_contents(doc, default_specification=DRAFT7)
        resources.append((path.name, resource))
    return Registry().with_resources(resources)


def validator(schema_file: str, definition: str | None = None) -> jsonschema.Draft7Validator:
    """A validator for ``schema_file`` (or one of its definitions), references resolved."""
    ref = schema_file + (f"#/definitions/{definition}" if definition else "")
    return jsonschema.Draft7Validator({"$ref": ref}, registry=_registry())


def errors(instance: Any, schema_file: str, definition: str | None = None) -> list[str]:
    v = validator(schema_file, definition)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in v.iter_errors(instance)]


def panel_errors(panel: Mapping[str, Any]) -> list[str]:
    """The panel's options and field config against its own type's schema."""
    name = PANEL_SCHEMAS.get(panel["type"])
    if name is None:
        return [f"no schema known for panel type {panel['type']}"]
    file = f"{name}.jsonschema.json"
    out = [f"options: {e}" for e in errors(panel.get("options", {}), file, "Options")]
    custom = panel["fieldConfig"]["defaults"].get("custom")
    if custom is not None and name != "stat":
        out += [f"custom: {e}" for e in errors(custom, file, "FieldConfig")]
    return [f"{panel['title']}: {e}" for e in out]


def dashboard_errors(dash: Mapping[str, Any]) -> list[str]:
    out = errors({**dash, "panels": []}, "dashboard.jsonschema.json")
    for p in dash["panels"]:
        out += [f"{p['title']}: {e}" for e in errors(p, "dashboard.jsonschema.json", "Panel")]
        out += panel_errors(p)
    return out


def substitute(query: str, start_ms: int, end_ms: int, variables: Mapping[str, str],
               interval: str = "1m") -> str:
    """``query`` with Grafana's macros and template variables replaced, as Grafana does."""
    text = query.replace("$timeFilter", f"time >= {start_ms}ms and time <= {end_ms}ms")
    text = text.replace("$__interval", interval)
    text = text.replace("${__to}", str(end_ms)).replace("${__from}", str(start_ms))
    for name, value in variables.items():
        text = text.replace("${" + name + "}", value)
        text = re.sub(r"\$" + name + r"\b", value, text)
    if "$" in text:
        raise AssertionError(f"unsubstituted macro left in {text!r}")
    return text


def dashboard_queries(dash: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(panel title, refId, query) of every panel target and annotation."""
    for p in dash["panels"]:
        for t in p["targets"]:
            yield p["title"], t["refId"], t["query"]
    for a in dash["annotations"]["list"]:
        yield a["name"], "Anno", a["target"]["query"]
    for v in dash["templating"]["list"]:
        if v["type"] == "query":
            yield v["name"], "var", v["query"]
