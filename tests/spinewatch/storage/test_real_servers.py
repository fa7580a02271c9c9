"""The uploader against real servers: InfluxDB 1.6 (v1 API) and VictoriaMetrics (v2 write)."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import pytest
from storage_factories import day_points, store_points
from storage_servers import InfluxServer, VictoriaServer, influx_points, need

from spinewatch.config_schema import Secret
from spinewatch.errors import UploadError
from spinewatch.storage.http import HttpTransport
from spinewatch.storage.retention import apply_retention, influxql
from spinewatch.storage.schema import make_point
from spinewatch.storage.settings import StorageSettings
from spinewatch.storage.store import LocalStore
from spinewatch.storage.uploader import Uploader

_db_names = itertools.count()


def v1(server: InfluxServer, **kw: Any) -> StorageSettings:
    base: dict[str, Any] = {"url": server.url, "database": f"t{next(_db_names)}", "timeout_s": 5}
    return StorageSettings(**{**base, **kw})


def test_v1_upload_reads_back_equal_by_count_and_content(
    influx: InfluxServer, tmp_path: Path
) -> None:
    s = v1(influx, batch_size=700)
    influx.query(f'CREATE DATABASE "{s.database}"')
    with LocalStore(tmp_path / "s.sqlite") as store:
        store.append(day_points(120))
        up = Uploader(store, s)
        report = up.drain()
        up.drain()  # again: nothing more
        assert report.quarantined == 0 and report.acknowledged == store.status(up.target).stored
        expected = store_points(store)
    got = influx_points(influx, s.database)
    assert len(got) == len(expected) == 1200 + 120 + 12 + 4 + 1
    assert got == expected


def test_writing_twice_gives_the_same_points(influx: InfluxServer, tmp_path: Path) -> None:
    s = v1(influx)
    influx.query(f'CREATE DATABASE "{s.database}"')
    points = day_points(5)
    for name in ("a", "b"):  # two gateways' stores, or one store lost and refilled
        with LocalStore(tmp_path / f"{name}.sqlite") as store:
            store.append(points)
            Uploader(store, s).drain()
            expected = store_points(store)
    assert influx_points(influx, s.database) == expected


def test_v2_write_path_reaches_victoriametrics(victoria: VictoriaServer, tmp_path: Path) -> None:
    s = StorageSettings(
        url=victoria.url, api_version=2, org="clinic", bucket="results", token=Secret("t0k")
    )
    with LocalStore(tmp_path / "s.sqlite") as store:
        store.append(
            [
                make_point(
                    "steps",
                    (1_764_000_000 + i) * 10**9,
                    patient="vm-1",
                    device="d",
                    count=i,
                    interval_s=10.0,
                )
                for i in range(50)
            ]
        )
        assert Uploader(store, s).drain().acknowledged == 50
    series = victoria.export('{__name__=~"steps_.*",patient="vm-1"}')
    by_name = {x["metric"]["__name__"]: x for x in series}
    assert set(by_name) == {"steps_count", "steps_interval_s"}
    count = by_name["steps_count"]
    assert count["metric"]["device"] == "d"
    assert count["values"] == list(range(50))
    assert count["timestamps"] == [(1_764_000_000 + i) * 1000 for i in range(50)]  # ms


def test_missing_database_is_a_clear_error(influx: InfluxServer, tmp_path: Path) -> None:
    with LocalStore(tmp_path / "s.sqlite") as store:
        store.append(day_points(1))
        with pytest.raises(UploadError, match="not found") as info:
            Uploader(store, v1(influx, database="nope")).drain()
        assert "CREATE DATABASE" in (info.value.advice or "")
        assert store.status(Uploader(store, v1(influx)).target).acked_id == 0


def test_auth_refusals_on_a_real_server(tmp_path: Path) -> None:
    need("influxd", "influxdb")
    folder = tmp_path / "influxd"
    folder.mkdir()
    server = InfluxServer(folder, auth=True)
    server.start()
    try:
        server.query("CREATE USER admin WITH PASSWORD 'adm' WITH ALL PRIVILEGES")
        admin = ("admin", "adm")
        server.query("CREATE DATABASE sec", auth=admin)
        server.query("CREATE USER reader WITH PASSWORD 'r'", auth=admin)
        server.query('GRANT READ ON "sec" TO "reader"', auth=admin)
        with LocalStore(tmp_path / "s.sqlite") as store:
            store.append(day_points(1))
            for user, password, status in (("admin", "bad", "401"), ("reader", "r", "403")):
                s = v1(server, database="sec", user=user, password=Secret(password))
                with pytest.raises(UploadError, match=f"HTTP {status}") as info:
                    Uploader(store, s).drain()
                assert "WRITE" in (info.value.advice or "")
            s = v1(server, database="sec", user="admin", password=Secret("adm"))
            assert Uploader(store, s).drain().quarantined == 0
            assert server.query("SELECT count(*) FROM steps", "sec", auth=admin)
    finally:
        server.stop()


def test_retention_policies_and_continuous_queries(influx: InfluxServer, tmp_path: Path) -> None:
    s = v1(influx, retention_policy="long", raw_retention_policy="raw")
    transport = HttpTransport(influx.url, 5.0)
    apply_retention(transport, s)
    apply_retention(transport, s, raw_days=14)  # again: idempotent, updates the duration
    policies = {
        row[0]: row[1:]
        for series in influxql(transport, s, f'SHOW RETENTION POLICIES ON "{s.database}"')
        for row in series["values"]
    }
    assert policies["raw"][0] == "336h0m0s" and policies["raw"][3] is False
    assert policies["long"][0] == f"{5 * 365 * 24}h0m0s" and policies["long"][3] is True
    cqs = [
        row[0]
        for series in influxql(transport, s, "SHOW CONTINUOUS QUERIES")
        if series["name"] == s.database
        for row in series["values"]
    ]
    assert sorted(cqs) == ["device_status_5m", "trunk_angles_1m"]
    # Each class lands in its policy.
    recent_ns = (time.time_ns() // 60_000_000_000 - 60) * 60_000_000_000  # an hour ago, whole min
    with LocalStore(tmp_path / "s.sqlite") as store:
        store.append(day_points(3, t0_ns=recent_ns))
        assert Uploader(store, s).drain().quarantined == 0
    raw = influx.query('SELECT count("flexion_deg") FROM "raw"."trunk_angles"', s.database)
    long = influx.query('SELECT count("count") FROM "long"."steps"', s.database)
    assert raw[0]["values"][0][1] == 30 and long[0]["values"][0][1] == 1
    # The continuous queries' SELECTs run on the data (what the CQ does every interval).
    rows = influx.query(
        'SELECT mean("flexion_deg") FROM "raw"."trunk_angles" GROUP BY time(1m)', s.database
    )
    assert rows and rows[0]["values"][0][1] is not None
    transport.close()
