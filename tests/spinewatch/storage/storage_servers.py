"""Real servers for the storage tests: Debian's InfluxDB 1.6 and VictoriaMetrics.

Each runs from its own temporary folder on free loopback ports and is stopped
by its own PID. ``stop()`` and ``start()`` may be called again on the same
instance (same data, same port), for the fault tests.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

START_TIMEOUT_S = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _status(url: str, timeout_s: float = 1.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


class _Server:
    name = ""
    ready_path = ""
    ready_status = 200

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = folder / "server.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.folder
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            if _status(self.url + self.ready_path) == self.ready_status:
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {START_TIMEOUT_S} s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the server by its PID with ``sig`` (SIGTERM: clean; SIGKILL: a crash)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.kill(self.process.pid, sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.process = None


class InfluxServer(_Server):
    """``influxd run`` (1.6) with data, meta and WAL in ``folder``."""

    name = "influxd"
    ready_path = "/ping"
    ready_status = 204

    def __init__(self, folder: Path, *, auth: bool = False, http_extra: str = "") -> None:
        super().__init__(folder)
        self.rpc_port = free_port()
        self.config = folder / "influxdb.conf"
        self.pidfile = folder / "influxd.pid"
        self.config.write_text(
            f"""reporting-disabled = true
bind-address = "127.0.0.1:{self.rpc_port}"
[meta]
  dir = "{folder / "meta"}"
[data]
  dir = "{folder / "data"}"
  wal-dir = "{folder / "wal"}"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:{self.port}"
  auth-enabled = {"true" if auth else "false"}
  log-enabled = false
  {http_extra}
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = true
  log-enabled = false
"""
        )

    def command(self) -> list[str]:
        return ["influxd", "run", "-config", str(self.config), "-pidfile", str(self.pidfile)]

    def query(self, q: str, db: str = "", auth: tuple[str, str] | None = None) -> list[Any]:
        """InfluxQL through POST /query; the statement's series, or AssertionError on error."""
        params = {"q": q, "epoch": "ns"}
        if db:
            params["db"] = db
        request = urllib.request.Request(
            self.url + "/query", data=urllib.parse.urlencode(params).encode()
        )
        if auth:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            request.add_header("Authorization", "Basic " + token)
        with urllib.request.urlopen(request, timeout=10) as response:
            doc = json.loads(response.read())
        result = doc["results"][0]
        if "error" in result:
            raise AssertionError(f"InfluxQL error for {q!r}: {result['error']}")
        series: list[Any] = result.get("series", [])
        return series

    def rows(self, q: str, db: str) -> list[dict[str, Any]]:
        """Rows of every series of ``q`` as dicts (tags merged in)."""
        out = []
        for s in self.query(q, db):
            for values in s["values"]:
                row = dict(zip(s["columns"], values, strict=True))
                row.update(s.get("tags", {}))
                out.append(row)
        return out


class VictoriaServer(_Server):
    """``victoria-metrics`` with its data in ``folder``."""

    name = "victoria-metrics"
    ready_path = "/health"

    def command(self) -> list[str]:
        return [
            "victoria-metrics",
            f"-storageDataPath={self.folder / 'data'}",
            f"-httpListenAddr=127.0.0.1:{self.port}",
            "-retentionPeriod=100y",
            "-loggerLevel=ERROR",
        ]

    def export(self, match: str = '{__name__=~".+"}') -> list[dict[str, Any]]:
        """Every series matching ``match``, as VictoriaMetrics' JSON-lines export."""
        urllib.request.urlopen(self.url + "/internal/force_flush", timeout=10).read()
        query = urllib.parse.urlencode({"match[]": match, "start": "0"})
        with urllib.request.urlopen(f"{self.url}/api/v1/export?{query}", timeout=10) as r:
            return [json.loads(line) for line in r.read().splitlines() if line.strip()]


def have(binary: str) -> bool:
    return shutil.which(binary) is not None


def need(binary: str, package: str) -> None:
    """Skip the calling test when ``binary`` is absent (CI installs ``package``)."""
    import pytest

    if not have(binary):
        pytest.skip(f"{binary} is not installed (apt-get install {package}; .ci/run does)")


def normalized(measurement: str, tags: dict[str, str], fields: dict[str, Any], time_ns: int) -> Any:
    """A point as a hashable tuple, numbers as float (InfluxDB's JSON writes 1.0 as 1)."""

    def num(v: Any) -> Any:
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v

    return (
        measurement,
        tuple(sorted(tags.items())),
        tuple(sorted((k, num(v)) for k, v in fields.items() if v is not None)),
        time_ns,
    )


def influx_points(server: InfluxServer, db: str) -> list[Any]:
    """Every point of database ``db`` (default retention policy), normalised, sorted."""
    out = []
    for row in server.query("SHOW MEASUREMENTS", db):
        for (name,) in row["values"]:
            for s in server.query(f'SELECT * FROM "{name}" GROUP BY *', db):
                tags = {k: v for k, v in s.get("tags", {}).items() if v != ""}
                for values in s["values"]:
                    rec = dict(zip(s["columns"], values, strict=True))
                    t = rec.pop("time")
                    out.append(normalized(name, tags, rec, t))
    return sorted(out, key=repr)
