"""Small factories the dashboards are assembled from: data source, queries, panels, variables.

Every factory returns plain JSON-ready dicts in the shape of Grafana's
dashboard schema (``schemaVersion`` :data:`SCHEMA_VERSION`, the version of the
schemas in ``../shared/grafana-jsonschema``). Queries are InfluxQL only
(served by InfluxDB 1.x, 2.x through a DBRP mapping, and 3.x), with Grafana's
macros: ``$timeFilter``, ``$__interval``, ``${__to}`` and template variables.
Raw-class measurements (``trunk_angles``, ``device_status``) are read from the
retention policy in the hidden ``raw_rp`` variable; long-kept ones from the
database's default policy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

JSON = dict[str, Any]

SCHEMA_VERSION: Final = 42
DATASOURCE_UID: Final = "spinewatch-influxdb"
DATASOURCE: Final[Mapping[str, str]] = {"type": "influxdb", "uid": DATASOURCE_UID}
DEFAULT_RAW_RP: Final = "autogen"
"""The raw-class retention policy when none is configured (InfluxDB 1.x's default)."""
TAGS: Final = ("spinewatch",)
UID_DAY: Final = "spinewatch-day"
UID_TRENDS: Final = "spinewatch-trends"
UID_OVERVIEW: Final = "spinewatch-overview"
UID_HEALTH: Final = "spinewatch-health"

GREEN: Final = "green"
YELLOW: Final = "yellow"
ORANGE: Final = "orange"
RED: Final = "red"
BLUE: Final = "blue"
PURPLE: Final = "purple"


def raw(measurement: str) -> str:
    """A raw-class measurement qualified with the ``raw_rp`` variable's retention policy."""
    return f'"$raw_rp"."{measurement}"'


def target(query: str, ref_id: str = "A", result_format: str = "time_series") -> JSON:
    """One raw InfluxQL query of a panel (the SDK has no InfluxDB query type)."""
    return {
        "datasource": dict(DATASOURCE),
        "query": query,
        "rawQuery": True,
        "refId": ref_id,
        "resultFormat": result_format,
    }


def steps(*pairs: tuple[float | None, str]) -> JSON:
    """Absolute thresholds from ``(value, color)`` pairs; the first value must be None (base)."""
    return {"mode": "absolute", "steps": [{"color": c, "value": v} for v, c in pairs]}


def field_defaults(
    unit: str,
    thresholds: JSON,
    *,
    custom: JSON | None = None,
    decimals: int | None = None,
    minimum: float | None = None,
    mappings: Sequence[JSON] = (),
    color_mode: str = "thresholds",
) -> JSON:
    """A panel's ``fieldConfig``: unit and thresholds always, the rest as given."""
    defaults: JSON = {
        "unit": unit,
        "thresholds": thresholds,
        "color": {"mode": color_mode},
        "mappings": list(mappings),
    }
    if custom is not None:
        defaults["custom"] = custom
    if decimals is not None:
        defaults["decimals"] = decimals
    if minimum is not None:
        defaults["min"] = minimum
    return {"defaults": defaults, "overrides": []}


def legend() -> JSON:
    return {"calcs": [], "displayMode": "list", "placement": "bottom", "showLegend": True}


def tooltip() -> JSON:
    return {"mode": "multi", "sort": "none"}


def panel(
    kind: str,
    title: str,
    description: str,
    targets: Sequence[JSON],
    field_config: JSON,
    options: JSON,
    grid: tuple[int, int, int, int],
    **extra: Any,
) -> JSON:
    """A panel of type ``kind`` at grid ``(x, y, w, h)``; ``id`` is set by :func:`dashboard`."""
    x, y, w, h = grid
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": dict(DATASOURCE),
        "targets": list(targets),
        "fieldConfig": field_config,
        "options": options,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        **extra,
    }


def timeseries(
    title: str,
    description: str,
    targets: Sequence[JSON],
    unit: str,
    thresholds: JSON,
    grid: tuple[int, int, int, int],
    *,
    bars: bool = False,
    bands: bool = False,
    points: bool = False,
) -> JSON:
    """A time series; ``bands`` shades the threshold zones, ``bars`` draws bars."""
    custom: JSON = {
        "drawStyle": "bars" if bars else ("points" if points else "line"),
        "fillOpacity": 60 if bars else 10,
        "lineWidth": 1,
        "showPoints": "always" if points else "never",
        "pointSize": 6,
        "spanNulls": False,
        "thresholdsStyle": {"mode": "line+area" if bands else "dashed"},
    }
    return panel(
        "timeseries",
        title,
        description,
        targets,
        field_defaults(unit, thresholds, custom=custom, color_mode="palette-classic"),
        {"legend": legend(), "tooltip": tooltip()},
        grid,
    )


def stat(
    title: str,
    description: str,
    targets: Sequence[JSON],
    unit: str,
    thresholds: JSON,
    grid: tuple[int, int, int, int],
    *,
    calc: str = "sum",
    decimals: int | None = 0,
) -> JSON:
    """A single number coloured by its thresholds."""
    options: JSON = {
        "colorMode": "background",
        "graphMode": "none",
        "justifyMode": "auto",
        "orientation": "auto",
        "percentChangeColorMode": "standard",
        "reduceOptions": {"calcs": [calc], "fields": "", "values": False},
        "showPercentChange": False,
        "textMode": "value",
        "wideLayout": True,
    }
    return panel(
        "stat",
        title,
        description,
        targets,
        field_defaults(unit, thresholds, decimals=decimals, minimum=0),
        options,
        grid,
    )


def table(
    title: str,
    description: str,
    targets: Sequence[JSON],
    unit: str,
    thresholds: JSON,
    grid: tuple[int, int, int, int],
    *,
    sort_by: str | None = None,
    links: Sequence[JSON] = (),
    transformations: Sequence[JSON] = (),
) -> JSON:
    """A table with one unit for all columns (column names carry theirs); ``links`` per cell.

    No per-column overrides: the schema types an override's matcher options and
    values as objects, where Grafana's ``byName`` and ``unit`` take strings.
    """
    # ``cellOptions`` is left out: in the schema its variants differ only by the value of
    # ``type``, so any one matches several of them and fails the schema's ``oneOf``.
    custom: JSON = {"align": "auto", "inspect": False, "displayMode": "color-text"}
    config = field_defaults(unit, thresholds, custom=custom)
    if links:
        config["defaults"]["links"] = list(links)
    options: JSON = {"frameIndex": 0, "showHeader": True, "cellHeight": "sm"}
    if sort_by:
        options["sortBy"] = [{"displayName": sort_by, "desc": True}]
    return panel(
        "table",
        title,
        description,
        targets,
        config,
        options,
        grid,
        transformations=list(transformations),
    )


def state_timeline(
    title: str,
    description: str,
    targets: Sequence[JSON],
    colors: Mapping[str, str],
    grid: tuple[int, int, int, int],
    *,
    hide_fields: Sequence[str] = (),
) -> JSON:
    """A state timeline of text states, each state mapped to a colour; ``hide_fields`` dropped."""
    mapping = {
        "type": "value",
        "options": {
            state: {"color": color, "index": i, "text": state}
            for i, (state, color) in enumerate(sorted(colors.items()))
        },
    }
    config = field_defaults(
        "none",
        steps((None, GREEN)),
        custom={"fillOpacity": 80, "lineWidth": 0, "spanNulls": False},
        mappings=[mapping],
    )
    options = {
        "alignValue": "left",
        "legend": legend(),
        "mergeValues": True,
        "rowHeight": 0.9,
        "showValue": "auto",
        "tooltip": tooltip(),
    }
    return panel(
        "statetimeline", title, description, targets, config, options, grid,
        transformations=[organize(hide_fields)] if hide_fields else [],
    )


def organize(hide: Sequence[str] = (), rename: Mapping[str, str] | None = None) -> JSON:
    """The ``organize`` transformation: drop the fields in ``hide``, rename others."""
    return {
        "id": "organize",
        "options": {
            "excludeByName": dict.fromkeys(hide, True),
            "renameByName": dict(rename or {}),
        },
    }


def join_by(field_name: str) -> JSON:
    """The ``joinByField`` transformation: one row per value of ``field_name`` (outer join)."""
    return {"id": "joinByField", "options": {"byField": field_name, "mode": "outer"}}


def link(title: str, url: str) -> JSON:
    """A data link (same tab), in the schema's link shape (which types data links so too)."""
    return {
        "title": title,
        "type": "link",
        "url": url,
        "icon": "dashboard",
        "tooltip": title,
        "tags": [],
        "asDropdown": False,
        "includeVars": False,
        "keepTime": False,
        "targetBlank": False,
    }


def patient_variable(profile: str | None = None) -> JSON:
    """The ``patient`` template variable: the pseudonymous ids (of one profile, if given)."""
    where = f" WHERE \"profile\" = '{profile}'" if profile else ""
    query = f'SHOW TAG VALUES FROM "daily_summary" WITH KEY = "patient"{where}'
    return {
        "type": "query",
        "name": "patient",
        "label": "Patient",
        "datasource": dict(DATASOURCE),
        "query": query,
        "definition": query,
        "refresh": 2,
        "sort": 1,
        "multi": False,
        "includeAll": False,
        "options": [],
        "current": {"text": "", "value": ""},
    }


def raw_rp_variable(raw_rp: str) -> JSON:
    """The hidden ``raw_rp`` constant: the retention policy of raw-class measurements."""
    return {
        "type": "constant",
        "name": "raw_rp",
        "label": "Raw retention policy",
        "hide": 2,
        "query": raw_rp,
        "current": {"text": raw_rp, "value": raw_rp},
        "options": [{"selected": True, "text": raw_rp, "value": raw_rp}],
    }


def annotation(name: str, query: str, color: str) -> JSON:
    """An annotation from an InfluxQL query (time, text and tag columns)."""
    return {
        "name": name,
        "datasource": dict(DATASOURCE),
        "enable": True,
        "iconColor": color,
        "target": target(query, "Anno", "table"),
    }


def dashboard(
    uid: str,
    title: str,
    description: str,
    panels: Sequence[JSON],
    *,
    variables: Sequence[JSON] = (),
    annotations: Sequence[JSON] = (),
    time_from: str = "now/d",
    time_to: str = "now/d",
    refresh: str = "5m",
) -> JSON:
    """A dashboard; panels get ids 1, 2, … in the order given."""
    numbered = [{**p, "id": i} for i, p in enumerate(panels, start=1)]
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": list(TAGS),
        "timezone": "browser",
        "editable": False,
        "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "refresh": refresh,
        "time": {"from": time_from, "to": time_to},
        "templating": {"list": list(variables)},
        "annotations": {"list": list(annotations)},
        "links": [
            {
                "title": "spinewatch",
                "type": "dashboards",
                "icon": "external link",
                "tooltip": "other spinewatch dashboards",
                "tags": list(TAGS),
                "asDropdown": True,
                "targetBlank": False,
                "includeVars": True,
                "keepTime": True,
            }
        ],
        "panels": numbered,
    }


def to_json(obj: Any) -> str:
    """Deterministic JSON: sorted keys, two-space indent, trailing newline."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
