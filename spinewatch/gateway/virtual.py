"""A virtual sensor for the gateway: a simulated patient over bumble's virtual BLE link.

The sensor (:class:`collector.virtual_sensor.VirtualSensor`) speaks the device profile
over a :class:`collector.bumble_backend.VirtualAir`, fed by a simulator scenario on an
accelerated :class:`~collector.virtual_sensor.VirtualClock`; the gateway's collector
reaches it through the same bleak code as a real sensor.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from collector.bumble_backend import VirtualAir
from collector.link import Collector
from collector.profiles import DeviceProfile
from collector.stream import LiveChunk
from collector.virtual_run import VIRTUAL_ADDRESS, virtual_name
from collector.virtual_sensor import Faults, SimulatorSource, VirtualClock, VirtualSensor

#: Wall seconds left for the last notifications to arrive after the sensor stops.
SETTLE_S: Final = 0.05


@dataclass(frozen=True, slots=True)
class VirtualSpec:
    """A virtual sensor instead of hardware.

    Attributes:
        scenario: simulator scenario (name or .toml file) the patient follows.
        speed: the virtual clock's speed, × real time.
        duration_s: sensor time to stream before the gateway stops on its own (None: until
            stopped).
        drop_every_s: drop the BLE link every so many seconds of sensor time (None: never).
        outage_s: after a drop the sensor is unreachable this long (sensor time), s.
        seed: the simulator's seed.
        battery_pct: battery level the sensor reports, %.
        address: the sensor's BLE address.
    """

    scenario: str = "demo_day"
    speed: float = 1.0
    duration_s: float | None = None
    drop_every_s: float | None = None
    outage_s: float = 1.0
    seed: int = 0
    battery_pct: int = 90
    address: str = VIRTUAL_ADDRESS


def virtual_address(k: int) -> str:
    """The ``k``-th virtual sensor's address (k = 0 gives :data:`VIRTUAL_ADDRESS`)."""
    return f"F0:00:00:00:{(k >> 8) & 0xFF:02X}:{(k & 0xFF) + 1:02X}"


class VirtualLink:
    """The virtual radio, clock and sensor of one gateway run."""

    def __init__(self, profile: DeviceProfile, spec: VirtualSpec, rate_hz: int,
                 start_utc_s: float, address: str = VIRTUAL_ADDRESS) -> None:
        self.spec = spec
        self.address = address
        self.air = VirtualAir()
        self.clock = VirtualClock(spec.speed, start_utc_s)
        faults = Faults(drop_every_s=spec.drop_every_s, outage_s=spec.outage_s,
                        battery_pct=spec.battery_pct)
        source = SimulatorSource(spec.scenario, float(rate_hz), seed=spec.seed)
        self.sensor = VirtualSensor(self.air, profile, source, self.clock, address=address,
                                    name=virtual_name(profile), rate_hz=rate_hz, faults=faults)
        self.profile = profile
        self.rate_hz = rate_hz
        self._stopped = False

    def collector(self, out: Path | None, queue: asyncio.Queue[LiveChunk]) -> Collector:
        """The gateway's collector, on this air and clock."""
        return Collector(self.profile, self.address, allowed=frozenset({self.address}), out=out,
                         rate_hz=self.rate_hz, clock=self.clock.now,
                         scanner_backend=self.air.scanner_backend(),
                         client_backend=self.air.client_backend(), live_queue=queue)

    async def start(self) -> None:
        """Power the sensor on (advertising, sampling)."""
        await self.sensor.start()

    async def until_done(self, stop: asyncio.Event) -> None:
        """Set ``stop`` once ``duration_s`` of sensor time has passed (never without one)."""
        if self.spec.duration_s is None:
            return
        await self.clock.sleep(self.spec.duration_s)
        stop.set()

    async def stop_sensor(self) -> None:
        """Power the sensor off and let its last notifications arrive."""
        if self._stopped:
            return
        self._stopped = True
        await self.sensor.stop()
        await asyncio.sleep(SETTLE_S)

    async def close(self) -> None:
        await self.stop_sensor()
