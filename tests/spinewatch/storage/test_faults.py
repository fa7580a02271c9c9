"""Fault tests against a real InfluxDB 1.6: afterwards it holds exactly the accepted points.

"Exactly" is by count and by content: every stored point that was not
quarantined is in InfluxDB with the same tags, fields and time, and nothing
else is there (a point sent twice is the same point, so it is not counted twice).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from storage_factories import T0_NS, day_points, store_points
from storage_servers import InfluxServer, influx_points, normalized

from spinewatch.storage.http import HttpTransport, Response
from spinewatch.storage.settings import StorageSettings
from spinewatch.storage.store import LocalStore
from spinewatch.storage.uploader import Uploader

REPO = Path(__file__).resolve().parents[3]


def settings(server: InfluxServer, **kw: Any) -> StorageSettings:
    base: dict[str, Any] = {"url": server.url, "database": "faults", "timeout_s": 2.0}
    return StorageSettings(**{**base, **kw})


def accepted(store: LocalStore, target: str) -> list[Any]:
    return store_points(store, {q.point_id for q in store.quarantined(target)})


class Hooked:
    """A real transport that calls ``hook(n)`` before request number ``n`` (from 0)."""

    def __init__(self, inner: HttpTransport, hook: Any) -> None:
        self.inner, self.hook, self.n = inner, hook, 0

    def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Response:
        self.hook(self.n)
        self.n += 1
        return self.inner.request(method, path, body, headers)

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["stopped", "crashed"])
def test_server_down_during_upload_then_back(
    own_influx: InfluxServer, tmp_path: Path, how: int
) -> None:
    own_influx.query("CREATE DATABASE faults")
    s = settings(own_influx, batch_size=300)
    restarted = threading.Event()

    def hook(n: int) -> None:
        if n == 4:  # after four batches: the server goes away for about a second
            own_influx.stop(how)

            def back() -> None:
                time.sleep(1.0)
                own_influx.start()
                restarted.set()

            threading.Thread(target=back, daemon=True).start()

    with LocalStore(tmp_path / "s.sqlite") as store:
        store.append(day_points(300))
        transport = Hooked(HttpTransport(own_influx.url, 2.0), hook)
        up = Uploader(store, s, transport=transport)
        report = up.drain(give_up_after_s=60)
        assert restarted.is_set() and store.status(up.target).last_error is not None
        assert report.quarantined == 0 and store.status(up.target).backlog == 0
        expected = accepted(store, up.target)
    assert influx_points(own_influx, "faults") == expected


def test_uploader_sigkilled_mid_batch_resumes_at_the_cursor(
    influx: InfluxServer, tmp_path: Path
) -> None:
    db = "sigkill"
    influx.query(f"CREATE DATABASE {db}")
    s = settings(influx, database=db, batch_size=500)
    path = tmp_path / "s.sqlite"
    with LocalStore(path) as store:
        store.append(day_points(2000))  # ~22,000 points, 45 batches
        target = Uploader(store, s).target
    config = tmp_path / "spinewatch.toml"
    config.write_text(
        f'[paths]\ndata_dir = "{tmp_path}"\n[storage]\nstore_path = "{path}"\n'
        f'url = "{influx.url}"\ndatabase = "{db}"\nbatch_size = 500\n'
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [
        sys.executable,
        "-m",
        "spinewatch.cli",
        "upload",
        "--follow",
        "--config",
        str(config),
    ]
    kills = 0
    with LocalStore(path) as store:
        for _ in range(2):  # killed twice, at different points of the backlog
            # A small uploader process (it starts faster than the whole CLI); the CLI last.
            quick = (
                "from spinewatch.storage.settings import StorageSettings\n"
                "from spinewatch.storage.store import LocalStore\n"
                "from spinewatch.storage.uploader import Uploader, follow\n"
                f"s = StorageSettings(url={influx.url!r}, database={db!r}, batch_size=500)\n"
                f"follow(Uploader(LocalStore({str(path)!r}), s), poll_s=0.1)\n"
            )
            process = subprocess.Popen([sys.executable, "-c", quick], env=env)
            start = store.cursor(target)
            deadline = time.monotonic() + 30
            while store.cursor(target) <= start and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(0.013 * (kills + 1))  # into the next batch
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                kills += 1
            process.wait(timeout=10)
        assert kills >= 1
        assert store.status(target).backlog > 0, "killed too late to test anything"
        # Restarted once more: it finishes the backlog, and SIGTERM stops it cleanly.
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while store.status(target).backlog and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGTERM)
        out, _ = process.communicate(timeout=20)
        assert process.returncode == 0 and "uploaded" in out
        expected = accepted(store, target)
        assert store.status(target).backlog == 0
    assert influx_points(influx, db) == expected


def test_crash_between_write_and_acknowledge_sends_the_batch_again(
    influx: InfluxServer, tmp_path: Path
) -> None:
    influx.query("CREATE DATABASE crash_ack")
    s = settings(influx, database="crash_ack", batch_size=100)
    with LocalStore(tmp_path / "s.sqlite") as store:
        store.append(day_points(30))
        up = Uploader(store, s)
        real_ack = store.acknowledge
        store.acknowledge = lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt())  # type: ignore[method-assign]
        with pytest.raises(KeyboardInterrupt):
            up.drain()  # the server has the batch, the store does not know
        store.acknowledge = real_ack  # type: ignore[method-assign]
        assert store.cursor(up.target) == 0
        Uploader(store, s).drain()
        expected = accepted(store, up.target)
    assert influx_points(influx, "crash_ack") == expected


def test_server_refusing_some_points_quarantines_exactly_those(
    influx: InfluxServer, tmp_path: Path
) -> None:
    db = "conflict"
    influx.query(f"CREATE DATABASE {db}")
    # A float "count" already in the shard: every integer "count" afterwards is a type
    # conflict, which 1.6 answers with HTTP 400 "partial write" while keeping the rest.
    earlier = "steps,device=imu-7,patient=p-001 count=1.5 " + str(T0_NS - 10**9)
    request = urllib.request.Request(f"{influx.url}/write?db={db}", data=earlier.encode())
    assert urllib.request.urlopen(request, timeout=5).status == 204
    s = settings(influx, database=db, batch_size=400)
    with LocalStore(tmp_path / "s.sqlite") as store:
        store.append(day_points(100))
        up = Uploader(store, s)
        report = up.drain()
        quarantined = store.quarantined(up.target)
        assert report.quarantined == len(quarantined) == 10  # the ten steps points
        assert all(q.line.startswith("steps,") and q.status == 400 for q in quarantined)
        assert "field type conflict" in quarantined[0].message
        expected = accepted(store, up.target)
    extra = normalized(
        "steps", {"device": "imu-7", "patient": "p-001"}, {"count": 1.5}, T0_NS - 10**9
    )
    assert influx_points(influx, db) == sorted([*expected, extra], key=repr)


def test_full_server_refusing_large_bodies_gets_smaller_batches(
    tmp_path: Path, make_influx: Callable[..., InfluxServer]
) -> None:
    small = make_influx(http_extra="max-body-size = 20000")  # bytes: ~150 points
    small.query("CREATE DATABASE full")
    s = settings(small, database="full", batch_size=2000)
    with LocalStore(tmp_path / "s.sqlite") as store:
        store.append(day_points(200))
        transport = Hooked(HttpTransport(small.url, 2.0), lambda n: None)
        report = Uploader(store, s, transport=transport).drain()
        assert report.quarantined == 0 and report.batches == 2
        assert transport.n > 30  # 413 Request Entity Too Large, then halves until they fit
        expected = store_points(store)
    assert influx_points(small, "full") == expected


def test_slow_and_busy_server_is_waited_for(influx: InfluxServer, tmp_path: Path) -> None:
    """A front that first stalls past the timeout, then answers 503 with Retry-After, then
    passes requests on to the real server: the uploader waits as told and loses nothing."""
    import http.server

    influx.query("CREATE DATABASE slow")
    script = ["stall", "busy"]
    seen: list[str] = []

    class Front(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            step = script.pop(0) if script else "pass"
            seen.append(step)
            if step == "stall":
                time.sleep(1.5)  # past the uploader's 0.5 s timeout
                return
            if step == "busy":
                self.send_response(503)
                self.send_header("Retry-After", "1")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            request = urllib.request.Request(influx.url + self.path, data=body)
            with urllib.request.urlopen(request, timeout=10) as answer:
                self.send_response(answer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    front = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Front)
    threading.Thread(target=front.serve_forever, daemon=True).start()
    try:
        s = settings(influx, database="slow", timeout_s=0.5, batch_size=500)
        s = dataclasses.replace(s, url=_url(front))
        slept: list[float] = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            time.sleep(seconds)

        with LocalStore(tmp_path / "s.sqlite") as store:
            store.append(day_points(60))
            up = Uploader(store, s, sleep=sleep)
            assert up.drain(give_up_after_s=30).quarantined == 0
            expected = accepted(store, up.target)
        assert seen[:3] == ["stall", "busy", "pass"] and slept[1] == 1.0
    finally:
        front.shutdown()
        front.server_close()
    assert influx_points(influx, "slow") == expected


def _url(server: Any) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


def test_results_committed_while_uploading_all_arrive(influx: InfluxServer, tmp_path: Path) -> None:
    """A producer commits one patient-second at a time while the uploader follows."""
    from spinewatch.storage.uploader import follow

    influx.query("CREATE DATABASE live")
    s = settings(influx, database="live", batch_size=64)
    path = tmp_path / "s.sqlite"
    chunks = [day_points(1, t0_ns=T0_NS + k * 10**9) for k in range(150)]
    done = threading.Event()

    def produce() -> None:
        with LocalStore(path) as producer:
            for chunk in chunks:
                producer.append(chunk)
                time.sleep(0.002)
        done.set()

    with LocalStore(path) as store:
        up = Uploader(store, s)
        thread = threading.Thread(target=produce)
        thread.start()
        polls: list[float] = []

        def finished() -> bool:
            return done.is_set() and store.status(up.target).backlog == 0

        follow(up, poll_s=0.01, stop=finished, sleep=lambda t: (polls.append(t), time.sleep(t)))
        thread.join()
        expected = accepted(store, up.target)
        up.close()
    assert len(expected) == sum(len(c) for c in chunks) == 150 * 14
    assert influx_points(influx, "live") == expected
