"""A whole virtual session: one virtual sensor, the real collector, the bumble backend.

Used by ``spinewatch collect --virtual`` and by the end-to-end tests.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from collector.bumble_backend import VirtualAir
from collector.link import Collector
from collector.profiles import DeviceProfile
from collector.stream import LiveChunk
from collector.virtual_sensor import Faults, SampleSource, VirtualClock, VirtualSensor

VIRTUAL_ADDRESS: Final = "F0:00:00:00:00:01"


def virtual_name(profile: DeviceProfile) -> str:
    """An advertised name that matches the profile's first name pattern."""
    return profile.name_patterns[0].replace("*", "") + "-VIRTUAL"


@dataclass(frozen=True, slots=True)
class VirtualSession:
    """What happened: the sensor's ground truth, the collector, the chunks received."""

    sensor: VirtualSensor
    collector: Collector
    chunks: list[LiveChunk]


async def run_virtual(profile: DeviceProfile, source: SampleSource, *, duration_s: float,
                      speed: float = 1.0, rate_hz: int | None = None,
                      faults: Faults | None = None, out: Path | None = None,
                      on_chunk: Callable[[LiveChunk], None] | None = None,
                      during: Callable[[Collector], Awaitable[None]] | None = None,
                      ) -> VirtualSession:
    """Streams ``duration_s`` of sensor time from a virtual sensor through the collector.

    Args:
        duration_s: sensor (clock) time to run, s.
        speed: clock speed; 20 runs 5 minutes in 15 s.
        on_chunk: called with each live chunk (default: kept in the result).
        during: a coroutine function run with the collector while streaming (e.g. a
            haptic alert); awaited before the session ends.
    """
    air = VirtualAir()
    clock = VirtualClock(speed)
    sensor = VirtualSensor(air, profile, source, clock, address=VIRTUAL_ADDRESS,
                           name=virtual_name(profile), rate_hz=rate_hz, faults=faults or Faults())
    live: asyncio.Queue[LiveChunk] = asyncio.Queue()
    collector = Collector(profile, VIRTUAL_ADDRESS, allowed=frozenset({VIRTUAL_ADDRESS}),
                          out=out, rate_hz=rate_hz, clock=clock.now,
                          scanner_backend=air.scanner_backend(),
                          client_backend=air.client_backend(), live_queue=live)
    chunks: list[LiveChunk] = []

    async def consume() -> None:
        while True:
            chunk = await live.get()
            if on_chunk is not None:
                on_chunk(chunk)
            else:
                chunks.append(chunk)

    stop = asyncio.Event()
    await sensor.start()
    consumer = asyncio.create_task(consume(), name="virtual-consumer")
    run = asyncio.create_task(collector.run(stop), name="virtual-collector")
    try:
        if during is not None:
            await during(collector)
        await clock.sleep(duration_s)
    finally:
        await sensor.stop()
        await asyncio.sleep(0.05)  # let the last notifications arrive
        stop.set()
        await run
        while not live.empty():
            await asyncio.sleep(0)
        consumer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consumer
    return VirtualSession(sensor=sensor, collector=collector, chunks=chunks)
