"""Retention on InfluxDB 1.x: raw-rate data kept briefly, results and summaries for years.

:func:`retention_statements` is the pure InfluxQL; :func:`apply_retention`
runs it through ``/query`` and is idempotent (existing policies are
ALTERed, existing continuous queries replaced). The layout:

* retention policy ``raw`` (:data:`RAW_DAYS` days) for the ``raw`` class
  (``trunk_angles``, ``device_status``);
* retention policy ``long`` (:data:`LONG_DAYS` days), the database's default,
  for everything else;
* continuous queries that keep 1-minute trunk-angle statistics
  (``trunk_angles_1m``) and 5-minute device status (``device_status_5m``) in
  ``long`` after the raw data has expired.

Set ``storage.retention_policy = "long"`` and ``raw_retention_policy = "raw"``
so that the uploader writes each class to its policy. InfluxDB 2.x/3.x have
no retention policies: see ``SCHEMA.md`` for the bucket equivalent.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any, Final

from spinewatch.errors import UploadError
from spinewatch.storage.http import Transport
from spinewatch.storage.settings import StorageSettings
from spinewatch.storage.uploader import auth_headers

RAW_POLICY: Final = "raw"
LONG_POLICY: Final = "long"
RAW_DAYS: Final = 30
LONG_DAYS: Final = 5 * 365

_CQS: Final = {
    "trunk_angles_1m": (
        'SELECT mean("flexion_deg") AS "flexion_deg_mean", max("flexion_deg") AS '
        '"flexion_deg_max", mean("lateral_deg") AS "lateral_deg_mean", '
        'max("twist_rate_deg_s") AS "twist_rate_deg_s_max"',
        "trunk_angles",
        "1m",
    ),
    "device_status_5m": (
        'SELECT last("battery_pct") AS "battery_pct", count("heartbeat") AS "heartbeats"',
        "device_status",
        "5m",
    ),
}


def _ident(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def retention_statements(
    database: str,
    *,
    raw_days: int = RAW_DAYS,
    long_days: int = LONG_DAYS,
    existing_policies: frozenset[str] = frozenset(),
    existing_cqs: frozenset[str] = frozenset(),
) -> list[str]:
    """The InfluxQL that sets up retention on ``database`` (durations in days)."""
    db = _ident(database)
    out = [f"CREATE DATABASE {db}"]
    for name, days, default in ((RAW_POLICY, raw_days, ""), (LONG_POLICY, long_days, " DEFAULT")):
        verb = "ALTER" if name in existing_policies else "CREATE"
        out.append(
            f"{verb} RETENTION POLICY {_ident(name)} ON {db} DURATION {days}d "
            f"REPLICATION 1{default}"
        )
    for name, (select, source, every) in _CQS.items():
        if name in existing_cqs:
            out.append(f"DROP CONTINUOUS QUERY {_ident(name)} ON {db}")
        out.append(
            f"CREATE CONTINUOUS QUERY {_ident(name)} ON {db} BEGIN {select} "
            f"INTO {db}.{_ident(LONG_POLICY)}.{_ident(name)} "
            f"FROM {db}.{_ident(RAW_POLICY)}.{_ident(source)} GROUP BY time({every}), * END"
        )
    return out


def influxql(
    transport: Transport, settings: StorageSettings, statement: str, database: str = ""
) -> list[dict[str, Any]]:
    """Run one InfluxQL statement through ``/query``; its series, or :class:`UploadError`.

    InfluxDB answers an InfluxQL error with HTTP 200 and ``results[0].error``,
    so the body is checked, not only the status.
    """
    params = {"q": statement}
    if database:
        params["db"] = database
    body = urllib.parse.urlencode(params).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **auth_headers(settings)}
    response = transport.request("POST", "/query", body, headers)
    if response.status != 200:
        raise UploadError(
            f"query failed (HTTP {response.status}): {response.message}",
            where=settings.url,
            value=statement,
        )
    try:
        result = json.loads(response.body)["results"][0]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise UploadError("unexpected /query answer", where=settings.url) from exc
    if "error" in result:
        raise UploadError(f"InfluxQL error: {result['error']}", where=settings.url, value=statement)
    series: list[dict[str, Any]] = result.get("series", [])
    return series


def apply_retention(
    transport: Transport,
    settings: StorageSettings,
    *,
    raw_days: int = RAW_DAYS,
    long_days: int = LONG_DAYS,
) -> list[str]:
    """Create (or update) the database, policies and continuous queries; the statements run."""
    database = settings.database
    influxql(transport, settings, f"CREATE DATABASE {_ident(database)}")
    policies = influxql(transport, settings, f"SHOW RETENTION POLICIES ON {_ident(database)}")
    existing_policies = frozenset(v[0] for s in policies for v in s.get("values", []))
    cqs = influxql(transport, settings, "SHOW CONTINUOUS QUERIES")
    existing_cqs = frozenset(
        v[0] for s in cqs if s.get("name") == database for v in s.get("values", [])
    )
    statements = retention_statements(
        database,
        raw_days=raw_days,
        long_days=long_days,
        existing_policies=existing_policies,
        existing_cqs=existing_cqs,
    )
    for statement in statements:
        influxql(transport, settings, statement)
    return statements
