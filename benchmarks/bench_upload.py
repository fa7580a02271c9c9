"""Benchmark: the durable uploader beside a bare line-protocol POST; the store's commit rate.

Starts Debian's ``influxd`` (1.6) on a free loopback port in a temporary
folder (or uses ``--url``), then in one run:

1. **bare POST**: the same points, encoded once beforehand, POSTed in batches
   of ``--batch`` points over one keep-alive connection (no store, no cursor);
2. **uploader**: :class:`~spinewatch.storage.uploader.Uploader` draining a
   local store holding those points, with the same batch size: reading the
   outbox, POSTing, and committing the cursor (fsynced) after every batch.

Each is run ``--repeat`` times into fresh databases, back to back with the
order alternating, and the best run of each is printed with their ratio
(target: uploader ≥ 80% of bare), then the ratio of each pair.

3. **local store commits** (``synchronous=FULL``, WAL): one transaction per
   patient-second of live results (10 trunk-angle points at 10 Hz and one
   device-status point: 11 points), and one per 1000 points. A live patient
   commits once a second, so commits/s of the first is the number of live
   patients the store keeps up with (target: ≥ 100).

Run: ``python benchmarks/bench_upload.py [--points 200000] [--batch 5000]``
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "spinewatch" / "storage"))
sys.path.insert(0, str(REPO))

from storage_servers import InfluxServer, have  # noqa: E402

from spinewatch.storage.lineprotocol import Point, encode_lines, encode_point  # noqa: E402
from spinewatch.storage.schema import make_point  # noqa: E402
from spinewatch.storage.settings import StorageSettings  # noqa: E402
from spinewatch.storage.store import LocalStore  # noqa: E402
from spinewatch.storage.uploader import Uploader  # noqa: E402

T0_NS = 1_764_000_000 * 10**9
POINTS_PER_PATIENT_SECOND = 11


def patient_second(patient: int, second: int) -> list[Point]:
    """One live patient's results for one second: 10 Hz angles and a status heartbeat."""
    who = {"patient": f"p-{patient:03d}", "device": f"imu-{patient:03d}"}
    t = T0_NS + second * 10**9
    out = [
        make_point(
            "trunk_angles",
            t + k * 10**8,
            **who,
            flexion_deg=(second * 10 + k) % 41 * 0.5,
            lateral_deg=-1.25,
            twist_rate_deg_s=0.1 * k,
        )
        for k in range(10)
    ]
    out.append(make_point("device_status", t, **who, battery_pct=80.0, heartbeat=second))
    return out


def make_points(n: int) -> list[Point]:
    points: list[Point] = []
    second = 0
    while len(points) < n:
        for patient in range(100):
            points.extend(patient_second(patient, second))
        second += 1
    return points[:n]


def bare_post(url: str, db: str, lines: list[str], batch: int) -> float:
    """Seconds to POST ``lines`` in batches over one keep-alive connection."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    path = "/write?" + urllib.parse.urlencode({"db": db, "precision": "ns"})
    bodies = [encode_lines(lines[i : i + batch]) for i in range(0, len(lines), batch)]
    start = time.perf_counter()
    for body in bodies:
        conn.request("POST", path, body=body, headers={"Content-Type": "text/plain"})
        answer = conn.getresponse()
        answer.read()
        if answer.status != 204:
            raise SystemExit(f"bare POST failed: HTTP {answer.status}")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def uploader_run(url: str, db: str, store_path: Path, batch: int) -> float:
    """Seconds for the uploader to drain the store at ``store_path`` into ``db``."""
    settings = StorageSettings(url=url, database=db, batch_size=batch, timeout_s=60)
    with LocalStore(store_path) as store:
        uploader = Uploader(store, settings)
        start = time.perf_counter()
        report = uploader.drain(give_up_after_s=30)
        elapsed = time.perf_counter() - start
        uploader.close()
    if report.quarantined:
        raise SystemExit(f"uploader quarantined {report.quarantined} points")
    return elapsed


def create_db(url: str, db: str) -> None:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    body = urllib.parse.urlencode({"q": f'CREATE DATABASE "{db}"'})
    conn.request(
        "POST", "/query", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    conn.getresponse().read()
    conn.close()


def commit_rate(folder: Path, seconds: float) -> tuple[float, float, float]:
    """(patient-second commits/s, their points/s, points/s with 1000-point commits)."""
    with LocalStore(folder / "commits.sqlite") as store:
        chunks = [patient_second(p, s) for s in range(100) for p in range(100)]
        done = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds and done < len(chunks):
            store.append(chunks[done])
            done += 1
        per_second = done / (time.perf_counter() - start)
        big = [p for c in chunks[done : done + 2000] for p in c]
        big = big or make_points(20_000)
        start = time.perf_counter()
        for i in range(0, len(big), 1000):
            store.append(big[i : i + 1000])
        bulk = len(big) / (time.perf_counter() - start)
    return per_second, per_second * POINTS_PER_PATIENT_SECOND, bulk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--commit-seconds", type=float, default=3.0)
    parser.add_argument("--url", default=None, help="an InfluxDB 1.x to use instead of a local one")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        server = None
        url = args.url
        if url is None:
            if not have("influxd"):
                raise SystemExit("influxd is not installed (apt-get install influxdb)")
            (folder / "influxd").mkdir()
            server = InfluxServer(folder / "influxd")
            server.start()
            url = server.url
        try:
            points = make_points(args.points)
            lines = [encode_point(p) for p in points]
            bare_s, durable_s = [], []
            filled = folder / "filled.sqlite"
            with LocalStore(filled) as store:
                store.append(points)  # closing checkpoints the WAL into the file
            for r in range(args.repeat):
                store_path = folder / f"upload{r}.sqlite"
                shutil.copyfile(filled, store_path)
                for db in (f"bare{r}", f"durable{r}"):
                    create_db(url, db)
                # Order alternates: the server's background work after a run (cache
                # snapshots, compactions) would otherwise always slow the second one.
                if r % 2 == 0:
                    bare_s.append(bare_post(url, f"bare{r}", lines, args.batch))
                    durable_s.append(uploader_run(url, f"durable{r}", store_path, args.batch))
                else:
                    durable_s.append(uploader_run(url, f"durable{r}", store_path, args.batch))
                    bare_s.append(bare_post(url, f"bare{r}", lines, args.batch))
            bare_rate = len(points) / min(bare_s)
            durable_rate = len(points) / min(durable_s)
            print(f"points: {len(points)}, batch: {args.batch}, best of {args.repeat}, {url}")
            print(f"bare line-protocol POST : {bare_rate:12,.0f} points/s")
            print(f"durable uploader        : {durable_rate:12,.0f} points/s")
            print(f"uploader / bare         : {durable_rate / bare_rate:12.0%}  (target >= 80%)")
            pairs = " ".join(f"{b / d:.0%}" for b, d in zip(bare_s, durable_s, strict=True))
            print(f"  run by run (order alternating): {pairs}")
        finally:
            if server is not None:
                server.stop()
        commits, commit_points, bulk = commit_rate(folder, args.commit_seconds)
        print("local store (WAL, synchronous=FULL):")
        print(
            f"  one commit per patient-second ({POINTS_PER_PATIENT_SECOND} points): "
            f"{commits:,.0f} commits/s = {commit_points:,.0f} points/s "
            f"= {commits:,.0f} live patients (target >= 100)"
        )
        print(f"  1000-point commits: {bulk:,.0f} points/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
