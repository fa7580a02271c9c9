"""Dashboards (and each panel's options and field config) against Grafana's published schemas."""

from __future__ import annotations

import json

import pytest
from grafana_checks import SCHEMAS, dashboard_errors

from dashboards.build import BuildOptions, all_dashboards
from dashboards.common import SCHEMA_VERSION, to_json

pytestmark = pytest.mark.skipif(
    not SCHEMAS.is_dir(), reason="../shared/grafana-jsonschema is absent"
)
BOARDS = all_dashboards(BuildOptions())


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_dashboard_validates(name: str) -> None:
    assert dashboard_errors(BOARDS[name]) == []


def test_schema_version_is_the_schemas_default() -> None:
    schema = json.loads((SCHEMAS / "dashboard.jsonschema.json").read_text())
    default = schema["definitions"]["Dashboard"]["properties"]["schemaVersion"]["default"]
    assert default == SCHEMA_VERSION


def test_every_panel_has_a_unit_thresholds_and_a_description() -> None:
    for board in BOARDS.values():
        for p in board["panels"]:
            d = p["fieldConfig"]["defaults"]
            assert d["unit"] and d["thresholds"]["steps"][0]["value"] is None, p["title"]
            assert p["description"], p["title"]
            ids = [q["refId"] for q in p["targets"]]
            assert len(ids) == len(set(ids)), p["title"]


def test_output_is_deterministic_with_sorted_keys() -> None:
    again = all_dashboards(BuildOptions())
    for name, board in BOARDS.items():
        text = to_json(board)
        assert text == to_json(again[name])
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True,
                                  ensure_ascii=False) + "\n"


def test_panels_do_not_overlap() -> None:
    for board in BOARDS.values():
        cells: set[tuple[int, int]] = set()
        for p in board["panels"]:
            g = p["gridPos"]
            mine = {(x, y) for x in range(g["x"], g["x"] + g["w"])
                    for y in range(g["y"], g["y"] + g["h"])}
            assert not cells & mine, (board["uid"], p["title"])
            cells |= mine


def test_queries_use_only_influxql_that_3x_serves() -> None:
    for board in BOARDS.values():
        for p in board["panels"]:
            for t in p["targets"]:
                q = t["query"].upper()
                assert t["rawQuery"] and "SLIMIT" not in q and "SOFFSET" not in q
                assert " INTO " not in q and "TZ(" not in q
