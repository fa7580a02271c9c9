"""Benchmark: decode throughput per profile, and the collector's CPU per second of stream.

1. Decoder alone: samples/s of :class:`collector.decode.PacketDecoder` per profile.
2. The collector's processing path per 100 Hz stream (frame assembly, decoding,
   gap detection and UTC mapping, CSV recording with sidecars, live queue), fed
   notifications as a sensor sends them: CPU seconds per second of stream, as a
   percentage of one core (target: under 1 %).
3. Optionally (``--virtual S``) the same over the virtual BLE link; that figure
   also includes the virtual sensor and both bumble stacks in the same process,
   so it is an upper bound, not the collector's own cost.

Run: ``python benchmarks/bench_collector.py [--seconds 600] [--virtual 30]``
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from pathlib import Path

import numpy as np

from collector.decode import PacketDecoder
from collector.encode import SampleBlock, encode_packet
from collector.profiles import DeviceProfile, builtin_profiles, load_profile
from collector.stream import RecordingSink, StreamProcessor
from collector.virtual_run import run_virtual
from collector.virtual_sensor import ArraySource, Faults

RATE_HZ = {"thingy52": 100, "witmotion_bwt901ble": 100, "movesense_gsp": 104,
           "spinewatch_ref": 100}


def packets(profile: DeviceProfile, seconds: float, rate_hz: int) -> tuple[list[bytes], int]:
    """A sensor's notifications for ``seconds`` of stream, and samples per packet."""
    p = profile.packet
    n = p.samples_per_packet or int(profile.settings.get("samples_per_packet", 4))
    rng = np.random.default_rng(0)
    count = max(int(seconds * rate_hz / n), 1)
    out = []
    for k in range(count):
        header: dict[str, int | float] = {f.name: v for f, v in (
            (f, profile.settings.get(f.name)) for f in p.header) if isinstance(v, int)}
        if p.counter_field:
            header[p.counter_field] = (k * n) % (1 << p.counter_bits)
        if p.timestamp:
            header[p.timestamp.field] = round(k * n / rate_hz / p.timestamp.tick_s) % (
                1 << p.timestamp.bits)
        if p.rate_field:
            header[p.rate_field] = rate_hz
        if p.battery_field:
            header[p.battery_field] = 80
        acc = np.array([0, 0, 9.81]) + rng.normal(0, 1, (n, 3))
        out.append(encode_packet(profile, SampleBlock(acc, rng.normal(0, 0.3, (n, 3)),
                                                      header=header)))
    return out, n


def bench_decode(profile: DeviceProfile, data: list[bytes], n: int) -> float:
    decoder = PacketDecoder(profile)
    start = time.perf_counter()
    for d in data:
        decoder.decode(d)
    return len(data) * n / (time.perf_counter() - start)


def bench_processing(profile: DeviceProfile, data: list[bytes], rate_hz: int,
                     folder: Path) -> float:
    """CPU seconds per stream second of the processing path."""
    proc = StreamProcessor(profile, rate_hz)
    mag = any(c.name == "mag" for c in profile.packet.channels)
    sink = RecordingSink(folder / f"{profile.name}.csv", with_magnetometer=mag).open()
    live: list[object] = []
    n = len(data)
    period = (profile.packet.samples_per_packet or 1) / rate_hz
    t0 = 1_800_000_000.0
    cpu = time.process_time()
    for k, d in enumerate(data):
        for chunk in proc.process(d, t0 + k * period + 0.01):
            sink.write(chunk)
            live.append(chunk)
            if len(live) > 512:
                live.clear()
    sink.close()
    used = time.process_time() - cpu
    stream_s = proc.counts.samples / rate_hz
    del n
    return used / stream_s


def bench_virtual(seconds: float) -> float:
    profile = load_profile("spinewatch_ref")
    i = np.arange(1000.0)
    source = ArraySource(np.column_stack([np.sin(i / 30), np.cos(i / 30), np.full(1000, 9.8)]),
                         np.zeros((1000, 3)))
    cpu = time.process_time()
    session = asyncio.run(run_virtual(profile, source, duration_s=seconds, speed=1.0,
                                      faults=Faults(), on_chunk=lambda _c: None))
    used = time.process_time() - cpu
    return used / max(session.collector.processor.counts.samples / 100.0, 1e-9)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=600.0, help="stream length per profile")
    ap.add_argument("--virtual", type=float, default=0.0, metavar="S",
                    help="also run S seconds over the virtual BLE link (real time)")
    args = ap.parse_args()
    logging.getLogger("bumble").setLevel(logging.ERROR)
    print(f"{'profile':22s} {'samples/packet':>14s} {'decode samples/s':>17s} "
          f"{'collector CPU per 100 Hz stream':>32s}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in builtin_profiles():
            profile = load_profile(name)
            rate = RATE_HZ.get(name, profile.default_rate_hz)
            data, n = packets(profile, args.seconds, rate)
            throughput = bench_decode(profile, data, n)
            cpu = bench_processing(profile, data, rate, Path(tmp)) * 100.0 / rate
            print(f"{name:22s} {n:14d} {throughput:17,.0f} {cpu * 100:31.3f}%")
    print("(CPU: one core's share while streaming 100 Hz, scaled from the profile's rate; "
          "target < 1 %)")
    if args.virtual > 0:
        share = bench_virtual(args.virtual)
        print(f"virtual link, spinewatch_ref 100 Hz, {args.virtual:g} s: "
              f"{share * 100:.2f}% of one core (upper bound: includes the virtual sensor "
              "and both bumble stacks)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
