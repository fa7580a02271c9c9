"""A virtual sensor: a bumble peripheral (GATT server) that speaks a device profile.

It samples from a :class:`SampleSource` (the simulator or arrays) on its own
clock, packs samples with :func:`collector.encode.encode_packet` and notifies
them while a central is subscribed. Samples taken while nobody listens are lost,
as on a real sensor. Faults are injected on request (:class:`Faults`), and
:attr:`VirtualSensor.delivered` records exactly which samples went out intact,
the ground truth for end-to-end tests.

Time runs on a :class:`VirtualClock`, which may run faster than real time so
that minutes of streaming take seconds; the collector must use the same clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import numpy as np
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection, Device
from bumble.gatt import Characteristic, CharacteristicValue, Service

from collector.bumble_backend import VirtualAir, new_device
from collector.encode import SampleBlock, encode_packet
from collector.profiles import DeviceProfile
from spinewatch.errors import InputDataError

logger = logging.getLogger(__name__)

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
#: A link drop happens only this long (wall s) after streaming started on a connection:
#: bumble's virtual controller can miss a drop in the first milliseconds.
MIN_CONNECTED_BEFORE_DROP_S: Final = 0.1
LOW_BATTERY_PCT: Final = 15
#: Longest wait (wall s) for queued notifications to leave the stack before a drop.
DRAIN_TIMEOUT_S: Final = 2.0


class VirtualClock:
    """Shared time for virtual sensors and the collector: UTC seconds, ``speed`` × real time."""

    def __init__(self, speed: float = 1.0, start_utc_s: float | None = None) -> None:
        if not speed > 0:
            raise InputDataError("clock speed must be > 0", value=speed)
        self.speed = speed
        self._start_utc = time.time() if start_utc_s is None else start_utc_s
        self._start_mono = time.monotonic()

    def now(self) -> float:
        """UTC, epoch seconds, on this clock."""
        return self._start_utc + (time.monotonic() - self._start_mono) * self.speed

    async def sleep(self, seconds: float) -> None:
        """Sleeps ``seconds`` of this clock's time."""
        await asyncio.sleep(max(seconds, 0.0) / self.speed)


class SampleSource(Protocol):
    def read(self, n: int) -> tuple[FloatArray, FloatArray]:
        """The next ``n`` samples: acc m/s² and gyro rad/s, shape (n, 3) each."""
        ...


class ArraySource:
    """Samples from arrays (a recording), repeated when they run out."""

    def __init__(self, acc_mps2: FloatArray, gyr_rads: FloatArray) -> None:
        self.acc = np.asarray(acc_mps2, dtype=np.float64)
        self.gyr = np.asarray(gyr_rads, dtype=np.float64)
        if self.acc.shape != self.gyr.shape or self.acc.ndim != 2 or len(self.acc) == 0:
            raise InputDataError("acc and gyr must be non-empty arrays of shape (N, 3)")
        self._pos = 0

    def read(self, n: int) -> tuple[FloatArray, FloatArray]:
        idx = (self._pos + np.arange(n)) % len(self.acc)
        self._pos = int(idx[-1] + 1) % len(self.acc)
        return self.acc[idx], self.gyr[idx]


class SimulatorSource:
    """Samples from a simulator scenario (:mod:`simulator`), generated chunk by chunk."""

    def __init__(self, scenario: str, rate_hz: float, seed: int = 0) -> None:
        from simulator import Simulation, resolve_scenario

        self._sim = Simulation(resolve_scenario(scenario), seed=seed, sample_rate_hz=rate_hz,
                               chunk_s=10.0)
        self._chunks: Iterator[Any] = iter(self._sim.chunks())
        self._acc = np.zeros((0, 3))
        self._gyr = np.zeros((0, 3))

    def read(self, n: int) -> tuple[FloatArray, FloatArray]:
        while len(self._acc) < n:
            try:
                chunk = next(self._chunks)
            except StopIteration:
                self._chunks = iter(self._sim.chunks())
                continue
            self._acc = np.concatenate([self._acc, chunk.samples.acc_mps2])
            self._gyr = np.concatenate([self._gyr, chunk.samples.gyr_rads])
        acc, self._acc = self._acc[:n], self._acc[n:]
        gyr, self._gyr = self._gyr[:n], self._gyr[n:]
        return acc, gyr


@dataclass(frozen=True, slots=True)
class Faults:
    """Faults a virtual sensor injects (all off by default).

    Attributes:
        drop_every_s: drop the link every so many seconds of streaming (sensor time).
        outage_s: after a drop the sensor is unreachable (not advertising) this long.
        lose_every: lose every Nth notification (sent by nobody; 0 = never).
        corrupt_every: corrupt every Nth notification (cut short; 0 = never).
        jitter_s: random extra delay of each notification, up to this much (s).
        clock_ppm: the sensor clock's error (timestamps run fast when > 0), ppm.
        battery_pct: battery level reported; at or below 15 % the low-battery flag is set.
    """

    drop_every_s: float | None = None
    outage_s: float = 1.0
    lose_every: int = 0
    corrupt_every: int = 0
    jitter_s: float = 0.0
    clock_ppm: float = 0.0
    battery_pct: int = 90


@dataclass(slots=True)
class SensorLog:
    """What the virtual sensor did (ground truth for tests)."""

    delivered: list[tuple[int, int]] = field(default_factory=list)  # (first index, n)
    lost_unconnected: int = 0
    lost_notifications: int = 0
    corrupted: int = 0
    drops: int = 0
    control_writes: list[bytes] = field(default_factory=list)


class VirtualSensor:
    """A bumble peripheral streaming ``profile`` packets into ``air``.

    Args:
        air: the virtual radio space (shared with the collector's backend).
        profile: the device profile to speak.
        source: where samples come from.
        clock: the shared clock.
        address: the sensor's BLE address.
        name: advertised name (must match the profile's name patterns to be found).
        rate_hz: sample rate (default: the profile's).
        faults: faults to inject.
        seed: seed of the jitter generator.
    """

    def __init__(self, air: VirtualAir, profile: DeviceProfile, source: SampleSource,
                 clock: VirtualClock, *, address: str, name: str, rate_hz: int | None = None,
                 faults: Faults | None = None, seed: int = 0) -> None:
        self.air = air
        self.profile = profile
        self.source = source
        self.clock = clock
        self.address = address
        self.name = name
        self.rate_hz = profile.check_rate(rate_hz or profile.default_rate_hz)
        self.faults = faults or Faults()
        self.log = SensorLog()
        packet = profile.packet
        self.per_packet = packet.samples_per_packet or int(
            profile.settings.get("samples_per_packet", min(4, packet.max_samples)))
        self._rng = np.random.default_rng(seed)
        self._device: Device | None = None
        self._connection: Connection | None = None
        self._subscribed = False
        self._streaming_since = 0.0
        self._task: asyncio.Task[None] | None = None
        self._background: asyncio.Task[None] | None = None
        self._data_char: Characteristic[bytes] | None = None
        self._index = 0
        self._notifications = 0

    # -- GATT server -------------------------------------------------------------------
    def _services(self) -> list[Service]:
        p = self.profile
        data = Characteristic(p.data_uuid, Characteristic.Properties.NOTIFY
                              | Characteristic.Properties.READ, Characteristic.READABLE, b"")
        data.on(Characteristic.EVENT_SUBSCRIPTION, self._on_subscription)
        self._data_char = data
        chars: list[Characteristic[Any]] = [data]
        if p.control_uuid:
            chars.append(Characteristic(
                p.control_uuid, Characteristic.Properties.WRITE
                | Characteristic.Properties.WRITE_WITHOUT_RESPONSE, Characteristic.WRITEABLE,
                CharacteristicValue(write=self._on_control)))
        services = [Service(p.service_uuid, chars)]
        if p.battery_uuid:
            battery: Characteristic[bytes] = Characteristic(
                p.battery_uuid, Characteristic.Properties.READ, Characteristic.READABLE,
                CharacteristicValue(read=self._read_battery))
            services.append(Service("0000180f-0000-1000-8000-00805f9b34fb", [battery]))
        return services

    def _on_subscription(self, _bearer: Any, notify: bool, _indicate: bool) -> None:
        self._subscribed = bool(notify)
        self._streaming_since = time.monotonic()

    def _on_control(self, _connection: Any, value: bytes) -> None:
        self.log.control_writes.append(bytes(value))

    def _read_battery(self, _connection: Any) -> bytes:
        return bytes([self.faults.battery_pct])

    def _advertising_data(self) -> bytes:
        entries: list[tuple[int, bytes]] = [
            (AdvertisingData.FLAGS, bytes([0x06])),
            (AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode()),
        ]
        for uuid in self.profile.advertised_services:
            u = UUID(uuid)
            kind = (AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS
                    if uuid.endswith("-0000-1000-8000-00805f9b34fb") and uuid.startswith("0000")
                    else AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS)
            if kind == AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS:
                u = UUID.from_16_bits(int(uuid[4:8], 16))
            entries.append((kind, u.to_bytes()))
        return bytes(AdvertisingData(entries))

    # -- life cycle --------------------------------------------------------------------
    async def start(self) -> None:
        """Powers the sensor on: GATT server, advertising, sampling."""
        device = new_device(self.air.link, self.name, self.address)
        device.add_services(self._services())
        device.advertising_data = self._advertising_data()
        device.on(Device.EVENT_CONNECTION, self._on_connection)
        await device.power_on()
        self._device = device
        await self._advertise()
        self._task = asyncio.create_task(self._run(), name=f"virtual-sensor-{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._connection is not None:
            await self._drain(self._connection)
            with contextlib.suppress(Exception):
                await self._connection.disconnect()

    async def _drain(self, connection: Connection) -> None:
        """Waits until notifications already handed to the stack have left it.

        A drop loses whatever is still queued; waiting first keeps :attr:`log`
        exact: every packet logged as delivered was sent before the link went down.
        """
        if self._device is None:
            return
        queue = self._device.host.get_data_packet_queue(connection.handle)
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while queue is not None and queue.pending > 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.001)

    async def _advertise(self) -> None:
        if self._device is not None:
            await self._device.start_advertising(advertising_interval_min=20.0,
                                                 advertising_interval_max=20.0)

    def _on_connection(self, connection: Connection) -> None:
        self._connection = connection
        self._subscribed = False
        connection.on(Connection.EVENT_DISCONNECTION, self._on_disconnection)

    def _on_disconnection(self, _reason: int) -> None:
        self._connection = None
        self._subscribed = False

    # -- streaming ---------------------------------------------------------------------
    async def _run(self) -> None:
        period = 1.0 / self.rate_hz
        packet_s = period * self.per_packet
        start = self.clock.now()
        next_drop = None if self.faults.drop_every_s is None else start + self.faults.drop_every_s
        sent_packets = 0
        while True:
            due = start + (sent_packets + 1) * packet_s
            await self.clock.sleep(due - self.clock.now() + self._jitter())
            now = self.clock.now()
            if next_drop is not None and now >= next_drop and self._can_drop():
                await self._drop()
                next_drop = now + (self.faults.drop_every_s or 0.0)
            while start + (sent_packets + 1) * packet_s <= self.clock.now():
                await self._emit(start + sent_packets * packet_s)
                sent_packets += 1

    def _jitter(self) -> float:
        return float(self._rng.uniform(0, self.faults.jitter_s)) if self.faults.jitter_s else 0.0

    def _can_drop(self) -> bool:
        return (self._connection is not None and self._subscribed
                and time.monotonic() - self._streaming_since >= MIN_CONNECTED_BEFORE_DROP_S)

    async def _drop(self) -> None:
        """Drops the link and stays silent for ``outage_s`` (sensor time)."""
        self.log.drops += 1
        connection, self._connection = self._connection, None
        self._subscribed = False
        if self._device is not None:
            with contextlib.suppress(Exception):
                await self._device.stop_advertising()
        if connection is not None:
            await self._drain(connection)
            with contextlib.suppress(Exception):
                await connection.disconnect()
        task = asyncio.create_task(self._readvertise_later(), name=f"readvertise-{self.name}")
        self._background = task

    async def _readvertise_later(self) -> None:
        await self.clock.sleep(self.faults.outage_s)
        with contextlib.suppress(Exception):
            await self._advertise()

    def packet(self, first_index: int, first_utc_s: float, n: int) -> bytes:
        """The profile's packet for samples ``first_index`` … (also used by tests)."""
        acc, gyr = self.source.read(n)
        p = self.profile.packet
        header: dict[str, int | float] = {k: v for k, v in self.profile.settings.items()
                                          if isinstance(v, int | float)}
        if p.counter_field:
            header[p.counter_field] = first_index % (1 << p.counter_bits)
        if p.timestamp is not None:
            sensor_s = (first_utc_s - self.clock._start_utc) * (1 + self.faults.clock_ppm * 1e-6)
            header[p.timestamp.field] = round(sensor_s / p.timestamp.tick_s) % (
                1 << p.timestamp.bits)
        if p.rate_field:
            header[p.rate_field] = self.rate_hz
        if p.battery_field:
            header[p.battery_field] = self.faults.battery_pct
        if p.flags_field:
            flags = 0
            if p.wear_bit is not None and p.wear_bit >= 0:
                flags |= 1 << p.wear_bit
            if (p.low_battery_bit is not None and p.low_battery_bit >= 0
                    and self.faults.battery_pct <= LOW_BATTERY_PCT):
                flags |= 1 << p.low_battery_bit
            header[p.flags_field] = flags
        return encode_packet(self.profile, SampleBlock(acc, gyr, header=header))

    async def _emit(self, first_utc_s: float) -> None:
        n = self.per_packet
        first = self._index
        self._index += n
        data = self.packet(first, first_utc_s, n)
        connection = self._connection
        char = self._data_char
        if connection is None or not self._subscribed or self._device is None or char is None:
            self.log.lost_unconnected += n
            return
        self._notifications += 1
        f = self.faults
        if f.lose_every and self._notifications % f.lose_every == 0:
            self.log.lost_notifications += 1
            return
        if f.corrupt_every and self._notifications % f.corrupt_every == 0:
            data = data[: len(data) // 2]
            self.log.corrupted += 1
        else:
            self.log.delivered.append((first, n))
        # Stream-framed sensors (WitMotion) cut frames across notifications: so does this one,
        # every other notification, so that the collector has to re-join them.
        pieces = [data]
        if self.profile.packet.stream_sync is not None and self._notifications % 2 == 0:
            pieces = [data[:7], data[7:]]
        try:
            for piece in pieces:
                await self._device.notify_subscriber(connection, char, piece)
        except Exception as exc:  # the link dropped under us: the packet is lost
            logger.debug("notify failed: %r", exc)
            if self.log.delivered and self.log.delivered[-1][0] == first:
                self.log.delivered.pop()
