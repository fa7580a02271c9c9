"""Fixtures: real InfluxDB 1.6 and VictoriaMetrics servers on loopback.

A test that needs one skips only when the server's binary is absent here;
``.ci/run`` installs both, so CI runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from storage_servers import InfluxServer, VictoriaServer
from storage_servers import need as _need


@pytest.fixture(scope="session")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxServer]:
    """One InfluxDB 1.6 for the whole session; tests use their own database."""
    _need("influxd", "influxdb")
    server = InfluxServer(tmp_path_factory.mktemp("influxd"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_influx(make_influx: Callable[..., InfluxServer]) -> InfluxServer:
    """An InfluxDB 1.6 of the test's own, which the test may stop and start."""
    return make_influx()


@pytest.fixture(scope="session")
def victoria(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VictoriaServer]:
    _need("victoria-metrics", "victoria-metrics")
    server = VictoriaServer(tmp_path_factory.mktemp("victoria"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def make_influx(tmp_path: Path) -> Iterator[Callable[..., InfluxServer]]:
    """Start InfluxDB 1.6 servers of the test's own with options; all stopped at the end."""
    _need("influxd", "influxdb")
    started: list[InfluxServer] = []

    def make(**options: object) -> InfluxServer:
        folder = tmp_path / f"influxd{len(started)}"
        folder.mkdir()
        server = InfluxServer(folder, **options)  # type: ignore[arg-type]
        started.append(server)
        server.start()
        return server

    yield make
    for server in started:
        server.stop()
