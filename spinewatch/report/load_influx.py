"""Read stored points back from InfluxDB 1.x for the report (InfluxQL over HTTP).

:class:`InfluxReader` answers :meth:`LocalStore.query`'s question (points of one
measurement in ``[start_ns, end_ns)`` with given tag values) with one InfluxQL
``SELECT`` through ``/query`` (``db``, ``rp`` from ``storage.database`` and
``storage.retention_policy`` / ``raw_retention_policy``; HTTP basic auth from
``storage.user`` / ``password``; times as ``epoch=ns``; ``chunked`` so no row
limit truncates a day). InfluxQL errors come back as HTTP 200 with
``results[k].error``; both those and HTTP errors become a :class:`ReportError`.
The connection is :class:`~spinewatch.storage.http.HttpTransport` (TLS verified,
``storage.ca_file``). :class:`InfluxDaySource` is
:class:`~spinewatch.report.load_store.StoreDaySource` over such a reader.

InfluxDB 2.x/3.x (``api_version = 2``) is not read yet.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any, Final

from spinewatch.errors import ReportError
from spinewatch.report.load_store import StoreDaySource
from spinewatch.report.model import Targets
from spinewatch.storage.http import HttpTransport, Response, Transport
from spinewatch.storage.lineprotocol import FieldValue, Point
from spinewatch.storage.schema import MEASUREMENTS, REQUIRED_TAGS, retention_of
from spinewatch.storage.settings import StorageSettings
from spinewatch.storage.uploader import auth_headers

CHUNK_ROWS: Final = 10_000


def quote_ident(name: str) -> str:
    """An InfluxQL identifier in double quotes."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_string(text: str) -> str:
    """An InfluxQL string literal in single quotes."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def select(
    measurement: str,
    rp: str | None,
    start_ns: int | None,
    end_ns: int | None,
    tags: Mapping[str, str] | None,
    names: Sequence[str] = (),
) -> str:
    """The InfluxQL ``SELECT`` of fields ``names`` (default ``*``) of one measurement,
    time range (ns) and tag values."""
    source = quote_ident(measurement)
    if rp:
        source = quote_ident(rp) + "." + source
    where = []
    if start_ns is not None:
        where.append(f"time >= {int(start_ns)}")
    if end_ns is not None:
        where.append(f"time < {int(end_ns)}")
    where += [f"{quote_ident(k)} = {quote_string(v)}" for k, v in (tags or {}).items()]
    picked = ", ".join(quote_ident(n) for n in names) or "*"
    text = f"SELECT {picked} FROM {source}"
    if where:
        text += " WHERE " + " AND ".join(where)
    return text + " ORDER BY time ASC"


class InfluxReader:
    """Points back from an InfluxDB 1.x database over its query API (a :class:`PointReader`)."""

    def __init__(self, settings: StorageSettings, transport: Transport | None = None) -> None:
        if settings.url is None:
            raise ReportError(
                "is not set", where="storage.url", advice="give the InfluxDB URL in the settings"
            )
        if settings.api_version != 1:
            raise ReportError(
                "reading InfluxDB 2.x/3.x (api_version 2) is not supported yet",
                where="storage.api_version",
                advice="use --source store (the gateway's local store) for the report",
            )
        self.settings = settings
        self.where = f"{settings.url} database {settings.database}"
        self._transport = transport or HttpTransport(
            settings.url, settings.timeout_s, settings.ca_file
        )
        self._headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            **auth_headers(settings),
        }

    def close(self) -> None:
        self._transport.close()

    def _rp(self, measurement: str) -> str | None:
        s = self.settings
        raw = retention_of(measurement) == "raw"
        return (s.raw_retention_policy if raw else None) or s.retention_policy

    def query(
        self,
        measurement: str,
        start_ns: int | None = None,
        end_ns: int | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> list[Point]:
        """Points of ``measurement`` with ``start_ns <= time < end_ns`` and ``tags``, by time."""
        docs = self._ask(select(measurement, self._rp(measurement), start_ns, end_ns, tags))
        points = [p for doc in docs for p in _points(doc, self)]
        return sorted(points, key=lambda p: p.time_ns)

    def columns(
        self,
        measurement: str,
        names: Sequence[str],
        start_ns: int | None = None,
        end_ns: int | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> tuple[list[int], dict[str, list[Any]]]:
        """:meth:`query` as columns: times (ns) and the fields ``names`` (None: absent)."""
        q = select(measurement, self._rp(measurement), start_ns, end_ns, tags, names)
        rows: list[list[Any]] = []
        for doc in self._ask(q):
            for series in _series_of(doc, self):
                at = {c: k for k, c in enumerate(series.get("columns", []))}
                idx = [at.get(n) for n in names]
                rows += [
                    [v[at["time"]], *(None if k is None else v[k] for k in idx)]
                    for v in series.get("values", [])
                ]
        rows.sort(key=lambda r: int(r[0]))
        return [int(r[0]) for r in rows], {n: [r[k + 1] for r in rows] for k, n in enumerate(names)}

    def _ask(self, q: str) -> list[dict[str, Any]]:
        """The answer documents of InfluxQL statement ``q``."""
        params = {
            "db": self.settings.database,
            "q": q,
            "epoch": "ns",
            "chunked": "true",
            "chunk_size": str(CHUNK_ROWS),
        }
        answer = self._transport.request(
            "POST", "/query", urllib.parse.urlencode(params).encode(), self._headers
        )
        self._check(answer)
        return _documents(answer.body, self.where)

    def _check(self, answer: Response) -> None:
        if answer.status is None:
            raise ReportError(
                f"InfluxDB did not answer: {answer.message}",
                where=self.where,
                advice="check storage.url and that InfluxDB is running",
            )
        if answer.status in (401, 403):
            raise ReportError(
                f"InfluxDB refused the credentials (HTTP {answer.status}): {answer.message}",
                where=self.where,
                advice="check storage.user and storage.password (the user needs READ)",
            )
        if not 200 <= answer.status < 300:
            raise ReportError(
                f"InfluxDB answered HTTP {answer.status}: {answer.message}",
                where=self.where,
                advice="check storage.url, database and retention policies",
            )


def _documents(body: bytes, where: str) -> list[dict[str, Any]]:
    """The JSON documents of a (chunked: one per line) /query answer."""
    out = []
    for line in body.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except ValueError as exc:
            raise ReportError(
                "InfluxDB's answer is not JSON", where=where, value=line[:200]
            ) from exc
        if not isinstance(doc, dict):
            raise ReportError("InfluxDB's answer is not a JSON object", where=where)
        if isinstance(doc.get("error"), str):
            raise ReportError(f"InfluxDB: {doc['error']}", where=where)
        out.append(doc)
    return out


def _points(doc: Mapping[str, Any], reader: InfluxReader) -> list[Point]:
    """The points of one answer document."""
    return [p for series in _series_of(doc, reader) for p in _series_points(series)]


def _series_of(doc: Mapping[str, Any], reader: InfluxReader) -> list[Mapping[str, Any]]:
    """The series of one answer document; an InfluxQL error in it is a ReportError."""
    out: list[Mapping[str, Any]] = []
    for result in doc.get("results", []):
        error = result.get("error")
        if isinstance(error, str):
            advice = (
                "create it, or check storage.database"
                if "database not found" in error
                else "check storage.database and the retention policies"
            )
            raise ReportError(f"InfluxQL error: {error}", where=reader.where, advice=advice)
        out += result.get("series", [])
    return out


def _series_points(series: Mapping[str, Any]) -> list[Point]:
    """Rows of one answered series as points: schema tags as tags, the rest as fields."""
    name = str(series.get("name", ""))
    spec = MEASUREMENTS.get(name)
    tag_keys = set(REQUIRED_TAGS) | set(spec.tags if spec else ())
    kinds = spec.fields if spec else {}
    columns = list(series.get("columns", []))
    base_tags = {str(k): str(v) for k, v in series.get("tags", {}).items() if v}
    out = []
    for values in series.get("values", []):
        row = dict(zip(columns, values, strict=True))
        time_ns = int(row.pop("time"))
        tags = dict(base_tags)
        fields: dict[str, FieldValue] = {}
        for key, value in row.items():
            if value is None or (value == "" and key in tag_keys):
                continue
            if key in tag_keys:
                tags[key] = str(value)
            elif kinds.get(key) is float and isinstance(value, int | float):
                fields[key] = float(value)  # JSON writes 1.0 as 1
            elif isinstance(value, bool | int | float | str):
                fields[key] = value
        out.append(Point(name, tags, fields, time_ns))
    return out


class InfluxDaySource(StoreDaySource):
    """A :class:`~spinewatch.report.sources.DaySource` over InfluxDB 1.x (``[storage]``)."""

    def __init__(
        self,
        settings: StorageSettings,
        targets: Targets | Mapping[str, Targets],
        timezone: str,
        transport: Transport | None = None,
    ) -> None:
        reader = InfluxReader(settings, transport)
        super().__init__(reader, targets, timezone, name=reader.where)
