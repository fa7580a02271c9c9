"""The gateway uploads while it runs, through an InfluxDB restart, and loses nothing.

A real InfluxDB 1.6 on loopback (skipped only when ``influxd`` is absent; ``.ci/run``
installs it). The server is stopped and started again while the gateway streams a
virtual sensor; afterwards every point of the local store is in InfluxDB.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from spinewatch.gateway.runner import Gateway
from spinewatch.gateway.virtual import VirtualSpec
from spinewatch.storage.settings import StorageSettings
from spinewatch.storage.store import LocalStore
from spinewatch.storage.uploader import target_name
from spinewatch.storage_feed import upload
from tests.spinewatch.gateway.factories import gateway_settings
from tests.spinewatch.storage.storage_servers import InfluxServer, have

pytestmark = pytest.mark.skipif(not have("influxd"), reason="influxd is not installed")


def test_upload_follows_through_an_influxdb_restart(tmp_path: Path) -> None:
    (tmp_path / "influx").mkdir()
    server = InfluxServer(tmp_path / "influx")
    server.start()
    try:
        server.query("CREATE DATABASE gw")
        storage = StorageSettings(url=server.url, database="gw", poll_s=0.2, timeout_s=2.0)
        settings = gateway_settings(tmp_path / "data", storage=storage)
        gateway = Gateway(settings, virtual=VirtualSpec(scenario="demo_day", speed=20.0))
        uploaded_during = asyncio.run(_run_with_restart(gateway, server))
        assert uploaded_during > 0
        with LocalStore(storage.store_file(settings.paths.data_path)) as store:
            upload(store, storage, give_up_after_s=20.0)  # what was committed at the stop
            stored = {m: len(store.query(m)) for m in store.measurements()}
            assert store.status(target_name(storage)).backlog == 0
        for measurement, n in stored.items():
            series = server.query(f'SELECT count(*) FROM "{measurement}"', db="gw")
            counts = [v for v in series[0]["values"][0][1:] if v is not None]
            assert max(counts) == n, measurement
    finally:
        server.stop()


async def _run_with_restart(gateway: Gateway, server: InfluxServer) -> int:
    """Run; restart the server while streaming; stop once the backlog was drained."""
    stop = asyncio.Event()
    run = asyncio.create_task(gateway.run(stop))
    await asyncio.sleep(2.0)
    await asyncio.to_thread(server.stop)
    await asyncio.sleep(1.5)  # results pile up in the store meanwhile
    await asyncio.to_thread(server.start)
    deadline = time.monotonic() + 30.0
    backlog = None
    while time.monotonic() < deadline:
        await asyncio.sleep(0.3)
        backlog = gateway.health()["upload_backlog"]
        if backlog is not None and backlog < 50 and gateway.stats.points_committed > 500:
            break
    assert backlog is not None and backlog < 50, backlog
    stop.set()
    await run
    with LocalStore(gateway.settings.storage.store_file(gateway.data_dir)) as store:
        return store.cursor(target_name(gateway.settings.storage))


