"""Benchmark: latency of the alert engine (policy + dispatcher), notice to channel.

A 100 Hz stream is cut into BLE-sized chunks (5–20 samples); the event
notices a day of detectors would produce (bends, twists, side bends, lifts,
sitting bouts, falls, at realistic rates) are handed to
:class:`~processing.alert_policy.AlertPolicy` with the chunk they fall in,
and every alert goes to a :class:`~spinewatch.alerts.Dispatcher` with a
terminal channel (to /dev/null) and a webhook to a real local HTTP server.
The stream is replayed as fast as the engine goes, twice: "paced", where the
deliveries of an alert finish before the replay goes on (live, chunks come
50–200 ms apart, much longer than a delivery), and "burst", where the replay
never waits (hundreds of alerts a second: a stress test of the queueing in
the worker threads, not a latency a patient would see).

Printed, in ms, as p50 / p95 / p99 / max:
  * update: one ``policy.update`` call per chunk (most chunks carry no notice),
  * engine: notices handed over → ``dispatch()`` returned (the alert left the engine),
  * channel: notices handed over → the channel's ``send`` starts (the event loop ran it),
  * webhook: notices handed over → the local server has the POST (HTTP over loopback).

The cooldown and escalation window are shortened (``--cooldown-s``, ``--window-s``)
so that a run yields enough alerts for percentiles; the policy's cost does not
depend on them. The event detectors' own latency is not included (added later).

Run: ``python benchmarks/bench_alert_latency.py [--hours 6] [--seed 1]``
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from processing.alert_policy import Alert, AlertPolicy, AlertSettings, Audience
from processing.event_types import Event, EventNotice, Phase, Severity
from spinewatch.alerts import Dispatcher, TerminalChannel, WebhookChannel
from spinewatch.alerts.channels import AlertChannel
from spinewatch.alerts.records import alert_id
from spinewatch.profiles import load_profile

RATE_HZ = 100.0
CHUNK_SAMPLES = (5, 20)
PATIENT_ID = "bench-patient"
# Mean seconds between events of each kind while awake (a patient who moves a lot).
MEAN_GAP_S = {"bend": 45.0, "twist": 120.0, "lateral_bend": 150.0, "lift": 600.0}


def make_notices(hours: float, rng: random.Random) -> list[tuple[float, EventNotice]]:
    """(time handed over, notice) pairs in time order, s."""
    end_s = hours * 3600.0
    out: list[tuple[float, EventNotice]] = []
    for kind, gap_s in MEAN_GAP_S.items():
        t = rng.expovariate(1.0 / gap_s)
        while t < end_s:
            held_s = 3.0 + rng.random() * 4.0
            severity = Severity.FAR_BEYOND if rng.random() < 0.1 else Severity.BEYOND
            side = rng.choice(("left", "right")) if kind in ("twist", "lateral_bend") else ""
            technique = rng.choice(("stoop", "squat")) if kind == "lift" else side
            ev = Event(kind, t - held_s, math.nan, rng.uniform(30, 70), technique, severity, t)
            close_s = t + (0.0 if kind == "lift" else rng.uniform(1.0, 8.0))
            out.append((t, EventNotice(Phase.OPENED, ev)))
            closed = Event(kind, ev.start_s, close_s, ev.peak_deg, technique, severity, t)
            out.append((close_s, EventNotice(Phase.CLOSED, closed)))
            t += rng.expovariate(1.0 / gap_s)
    for start_s in np.arange(1800.0, end_s, 5400.0):  # a sitting bout every 90 min
        sit = Event(
            "prolonged_sitting", start_s, math.nan, math.nan, "", Severity.BEYOND, start_s + 1200
        )
        out.append((start_s + 1200.0, EventNotice(Phase.OPENED, sit)))
        done = Event(
            sit.type, start_s, start_s + 3000.0, math.nan, "", sit.severity, sit.detected_s
        )
        out.append((start_s + 3000.0, EventNotice(Phase.CLOSED, done)))
    for fall_s in np.arange(3000.0, end_s, 7200.0):
        fall = Event("fall", fall_s - 1.0, fall_s, math.nan, "", Severity.CRITICAL, fall_s)
        out += [
            (fall_s, EventNotice(Phase.OPENED, fall)),
            (fall_s, EventNotice(Phase.CLOSED, fall)),
        ]
    out.sort(key=lambda item: item[0])
    return out


class Probe:
    """Wraps a channel and notes when each alert's send starts (perf_counter, s)."""

    def __init__(self, inner: AlertChannel, entered: dict[str, float]) -> None:
        self._inner = inner
        self._entered = entered
        self.name = inner.name
        self.audiences = inner.audiences

    async def send(self, alert: Alert) -> None:
        self._entered.setdefault(alert_id(alert, PATIENT_ID), time.perf_counter())
        await self._inner.send(alert)


def start_server(received: dict[str, float]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received[json.loads(body)["alert_id"]] = time.perf_counter()
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        # The default backlog of 5 drops SYNs in the burst run (a 1 s retransmit each).
        request_queue_size = 128

    httpd = Server(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def describe(name: str, values_s: list[float]) -> str:
    if not values_s:
        return f"{name:<8} (no samples)"
    ms = np.asarray(values_s) * 1e3
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return (
        f"{name:<8} n={len(ms):>7}  p50 {p50:7.3f}  p95 {p95:7.3f}  p99 {p99:7.3f}  "
        f"max {ms.max():7.3f} ms"
    )


async def run(args: argparse.Namespace, *, burst: bool) -> None:
    rng = random.Random(args.seed)
    notices = make_notices(args.hours, rng)
    profile = load_profile("fusion_weeks_0_6", {})
    settings = AlertSettings.from_profile(
        profile,
        cooldown_s=args.cooldown_s,
        escalation_window_s=args.window_s,
        clinic_only_kinds=frozenset({"lateral_bend"}),
    )
    policy = AlertPolicy(settings, start_s_of_day=7 * 3600.0)
    received: dict[str, float] = {}
    entered: dict[str, float] = {}
    httpd = start_server(received)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/alerts"
    start_utc = dt.datetime.now(dt.UTC)
    hook = WebhookChannel(
        url,
        patient_id=PATIENT_ID,
        recording_start_utc=start_utc,
        audiences=frozenset(Audience),  # every alert, for more samples
    )
    with open("/dev/null", "w", encoding="utf-8") as devnull:
        channels = [Probe(TerminalChannel(devnull), entered), Probe(hook, entered)]
        dispatcher = Dispatcher(channels, send_timeout_s=10.0)
        handed: dict[str, float] = {}
        update_s: list[float] = []
        engine_s: list[float] = []
        n_samples = int(args.hours * 3600.0 * RATE_HZ)
        sample, i, n_alerts = 0, 0, 0
        wall0 = time.perf_counter()
        while sample < n_samples:
            sample += rng.randint(*CHUNK_SAMPLES)
            now_s = sample / RATE_HZ
            j = i
            while j < len(notices) and notices[j][0] <= now_s:
                j += 1
            chunk = [n for _, n in notices[i:j]]
            i = j
            t0 = time.perf_counter()
            alerts = policy.update(chunk, now_s=now_s)
            for alert in alerts:
                dispatcher.dispatch(alert)
                engine_s.append(time.perf_counter() - t0)
                handed[alert_id(alert, PATIENT_ID)] = t0
            update_s.append(time.perf_counter() - t0)
            n_alerts += len(alerts)
            if alerts and not burst:
                # Live, the next chunk comes 50–200 ms later, far longer than a delivery:
                # let this alert's deliveries finish before replaying on.
                await dispatcher.drain()
            elif alerts or sample % 2000 < 20:
                await asyncio.sleep(0)
        await dispatcher.drain()
        wall_s = time.perf_counter() - wall0
    httpd.shutdown()
    httpd.server_close()
    channel_s = [entered[k] - t for k, t in handed.items() if k in entered]
    webhook_s = [received[k] - t for k, t in handed.items() if k in received]
    mode = "burst (no pause between chunks)" if burst else "paced (each alert delivered first)"
    print(
        f"\n{mode}: {args.hours:g} h at {RATE_HZ:g} Hz in chunks of "
        f"{CHUNK_SAMPLES[0]}–{CHUNK_SAMPLES[1]} samples: {len(update_s)} chunks, "
        f"{len(notices)} notices, {n_alerts} alerts; "
        f"replayed in {wall_s:.1f} s; failures: {dict(dispatcher.failures) or 'none'}"
    )
    for name, values in [
        ("update", update_s),
        ("engine", engine_s),
        ("channel", channel_s),
        ("webhook", webhook_s),
    ]:
        print(describe(name, values))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hours", type=float, default=6.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cooldown-s", type=float, default=5.0)
    ap.add_argument("--window-s", type=float, default=60.0)
    args = ap.parse_args()
    for burst in (False, True):
        asyncio.run(run(args, burst=burst))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
