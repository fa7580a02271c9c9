"""Benchmark: the live gateway end to end over bumble's virtual BLE link.

``latency`` (default): a virtual sensor (reference profile, 100 Hz) streams a simulated
patient who bends forward, bends to the side and twists again and again, through the
whole gateway (collector, live analysis, alert policy, dispatcher, local store). For every
alert, latency = the wall time it left the engine (handed to the dispatcher) minus the
wall time the notification carrying the sample that completed its condition
(``event.detected_s``) arrived at the collector, read from the recording's
``.packets.csv``. The profile's hold time is not in it: the condition completes only
after the hold. Cooldown and escalation are shortened (patient overrides) so that a run
yields enough alerts; the policy's cost does not depend on them. The virtual clock runs
``--speed`` × real time, so the gateway carries that many streams' load: a conservative
figure for one sensor. Printed in ms: p50 / p95 / p99 / max.

``scale``: N virtual 100 Hz sensors (simulated patients, each on its own virtual radio)
at real time, each through its own gateway (collector, live session, alerts, commits to
one shared local store) in one process on this machine's cores. Measured over a window
after start-up: process CPU per stream, once with the radio and collector alone
(chunks discarded: the virtual radio's own cost, with the collector's decoding) and once
with the whole gateway; the difference is the gateway's processing. A run is kept in real
time without loss when every sample delivered was analysed (none dropped from the live
queue) and the analysis is less than 2 s behind at the end.

Run: ``python benchmarks/bench_gateway.py [--minutes 20] [--speed 10]`` (latency) and
``python benchmarks/bench_gateway.py scale --streams 10 25 50 [--seconds 40]``
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import csv
import dataclasses
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from spinewatch.gateway.runner import Gateway
from spinewatch.gateway.virtual import VirtualSpec, virtual_address
from spinewatch.settings import AlertsSettings, PathsSettings, PatientSettings, Settings

SCENARIO = """
name = "bench_bends"
description = "Bends, side bends and twists, again and again (latency benchmark)."
start_posture = "standing"
[mounting]
mode = "nominal"
[imu]
sample_rate_hz = 100
"""
ROUND = """
[[activity]]
type = "standing"
duration_s = 6
[[activity]]
type = "bend"
count = 2
peak_deg = [40, 60]
hold_s = [4, 6]
duration_s = 3
pause_s = [3, 5]
[[activity]]
type = "lateral_bend"
count = 2
angle_deg = [25, 35]
hold_s = [2, 3]
duration_s = 2
pause_s = [3, 5]
[[activity]]
type = "twist"
count = 2
angle_deg = [40, 60]
speed_dps = [40, 60]
bent_deg = 0
hold_s = 1
pause_s = [3, 5]
"""
OVERRIDES = {"alert_cooldown_s": 1.0, "alert_escalation_window_min": 1.0,
             "alert_escalation_count": 1}


def percentiles(values_ms: list[float]) -> str:
    if not values_ms:
        return "no samples"
    a = np.asarray(values_ms)
    p50, p95, p99 = np.percentile(a, [50, 95, 99])
    return f"p50 {p50:.1f}  p95 {p95:.1f}  p99 {p99:.1f}  max {a.max():.1f} ms  (n={len(a)})"


def arrivals(packets_csv: Path) -> tuple[list[float], list[float]]:
    """(first sample UTC s, host arrival UTC s) of every packet, in order."""
    firsts, arrived = [], []
    with packets_csv.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            firsts.append(float(row["first_utc_s"]))
            arrived.append(float(row["host_arrival_utc_s"]))
    return firsts, arrived


def latency(minutes: float, speed: float, rounds: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench_gateway_"))
    scenario = work / "bench_bends.toml"
    scenario.write_text(SCENARIO + ROUND * rounds, encoding="utf-8")
    settings = dataclasses.replace(
        Settings(),
        paths=PathsSettings(data_dir=work),
        alerts=AlertsSettings(terminal=False),
        patient=PatientSettings(overrides=OVERRIDES),
    )
    exits: list[tuple[Any, float, float]] = []
    spec = VirtualSpec(scenario=str(scenario), speed=speed, duration_s=minutes * 60)
    holder: dict[str, Gateway] = {}

    def on_alert(alert: Any, newest_arrival_s: float) -> None:
        link = holder["g"].link
        if link is not None:
            exits.append((alert, newest_arrival_s, link.clock.now()))

    gateway = Gateway(settings, virtual=spec, on_alert_engine=on_alert)
    holder["g"] = gateway
    t0 = time.perf_counter()
    asyncio.run(gateway.run(asyncio.Event()))
    wall = time.perf_counter() - t0
    firsts, arrived = arrivals(gateway.recording.with_name("recording.packets.csv"))
    engine: dict[str, list[float]] = {}
    wait: dict[str, list[float]] = {}
    for alert, newest_s, left_s in exits:
        i = bisect.bisect_right(firsts, alert.event.detected_s) - 1
        if i < 0 or not np.isfinite(newest_s):
            continue
        # Clock seconds → wall ms: the clock runs `speed` times faster than the wall.
        engine.setdefault(alert.kind, []).append((left_s - newest_s) / speed * 1000)
        wait.setdefault(alert.kind, []).append(max(newest_s - arrived[i], 0.0) * 1000)
    every = [v for vs in engine.values() for v in vs]
    print(f"gateway latency ({minutes:g} simulated min at {speed:g}x = {speed:g} streams' "
          f"load, {wall:.0f} s wall, {gateway.stats.samples} samples, {len(exits)} alerts)")
    print("engine: arrival of the notification that let the engine decide → alert left the "
          "engine (wall)")
    print(f"  all alerts      {percentiles(every)}")
    for kind, values in sorted(engine.items()):
        print(f"  {kind:15s} {percentiles(values)}")
    print("data wait: the sample completing the condition → the notification that let the "
          "engine decide (sensor time; the detectors' own horizon, e.g. walking status)")
    for kind, values in sorted(wait.items()):
        print(f"  {kind:15s} {percentiles(values)}")


MAX_LAG_S = 2.0


async def _radio_only(n: int, seconds: float, warmup_s: float) -> tuple[float, int, int]:
    """N virtual sensors and collectors, chunks discarded: (CPU s in window, sent, received)."""
    from collector.profiles import load_profile
    from spinewatch.gateway.virtual import VirtualLink

    profile = load_profile("spinewatch_ref")
    received = [0]
    links, tasks = [], []
    stop = asyncio.Event()
    for k in range(n):
        spec = VirtualSpec(scenario="demo_day", speed=1.0, seed=k)
        link = VirtualLink(profile, spec, 100, time.time(), address=virtual_address(k))
        queue: asyncio.Queue[Any] = asyncio.Queue(100_000)
        collector = link.collector(None, queue)
        links.append(link)
        await link.start()
        tasks.append(asyncio.create_task(collector.run(stop)))
        tasks.append(asyncio.create_task(_discard(queue, received)))
    await asyncio.sleep(warmup_s)
    cpu0 = time.process_time()
    await asyncio.sleep(seconds)
    cpu = time.process_time() - cpu0
    for link in links:
        await link.stop_sensor()
    stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    sent = sum(sum(m for _, m in link.sensor.log.delivered) for link in links)
    return cpu, sent, received[0]


async def _discard(queue: asyncio.Queue[Any], received: list[int]) -> None:
    while True:
        chunk = await queue.get()
        received[0] += len(chunk.samples)


async def _gateways(n: int, seconds: float, warmup_s: float, work: Path,
                    ) -> tuple[float, list[Gateway]]:
    """N whole gateways at real time: (CPU s in the window, the gateways)."""
    gateways = []
    for k in range(n):
        settings = dataclasses.replace(
            Settings(),
            paths=PathsSettings(data_dir=work),
            alerts=AlertsSettings(terminal=False),
            patient=PatientSettings(id=f"scale-{k:03d}"),
        )
        settings = dataclasses.replace(settings, gateway=dataclasses.replace(
            settings.gateway, health_path=Path(f"health-{k:03d}.json")))
        spec = VirtualSpec(scenario="demo_day", speed=1.0, seed=k)
        gateways.append(Gateway(settings, virtual=spec))
    stop = asyncio.Event()
    runs = [asyncio.create_task(g.run(stop)) for g in gateways]
    await asyncio.sleep(warmup_s)
    cpu0 = time.process_time()
    await asyncio.sleep(seconds)
    cpu = time.process_time() - cpu0
    lags = [time.time() - (g.stats.last_sample_utc_s or 0.0) for g in gateways]
    stop.set()
    await asyncio.gather(*runs)
    for g, lag in zip(gateways, lags, strict=True):
        g.stats.restart_gap_s = lag  # reused to carry the lag at the end of the window
    return cpu, gateways


def scale(streams: list[int], seconds: float, warmup_s: float) -> None:
    print(f"scale: N virtual 100 Hz sensors at real time, {seconds:g} s window after "
          f"{warmup_s:g} s start-up; CPU in % of one core per stream")
    print("    N  radio+collector  whole gateway  gateway processing  kept up  lost  max lag s")
    for n in streams:
        radio_cpu, sent, got = asyncio.run(_radio_only(n, seconds, warmup_s))
        work = Path(tempfile.mkdtemp(prefix="bench_gateway_scale_"))
        cpu, gateways = asyncio.run(_gateways(n, seconds, warmup_s, work))
        lost = 0
        for g in gateways:
            link = g.link
            delivered = sum(m for _, m in link.sensor.log.delivered) if link else 0
            dropped = g.collector.stats.live_dropped if g.collector else 0
            lost += max(delivered - g.stats.samples, 0) + dropped
        max_lag = max(g.stats.restart_gap_s or 0.0 for g in gateways)
        ok = lost == 0 and max_lag < MAX_LAG_S
        radio = radio_cpu / seconds / n * 100
        whole = cpu / seconds / n * 100
        print(f"  {n:3d}  {radio:13.2f} %  {whole:11.2f} %  {whole - radio:16.2f} %  "
              f"{'yes' if ok else 'NO':>7s}  {lost:4d}  {max_lag:9.2f}"
              f"   (radio alone: {sent - got} of {sent} not received)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("part", nargs="?", choices=("latency", "scale"), default="latency")
    parser.add_argument("--minutes", type=float, default=20.0, help="latency: simulated min")
    parser.add_argument("--speed", type=float, default=10.0, help="latency: clock speed")
    parser.add_argument("--rounds", type=int, default=40, help="latency: scenario rounds")
    parser.add_argument("--streams", type=int, nargs="+", default=[10, 25, 50],
                        help="scale: numbers of concurrent sensors")
    parser.add_argument("--seconds", type=float, default=40.0, help="scale: measured window")
    parser.add_argument("--warmup", type=float, default=10.0, help="scale: start-up, s")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("bumble").setLevel(logging.ERROR)
    if args.part == "scale":
        scale(args.streams, args.seconds, args.warmup)
    else:
        latency(args.minutes, args.speed, args.rounds)


if __name__ == "__main__":
    main()
