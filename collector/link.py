"""The collector's BLE shell (bleak): find, connect, configure, stream, reconnect forever.

All decisions are pure functions or pure classes elsewhere (:func:`backoff_s`,
:mod:`collector.stream`, :mod:`collector.timing`); this module only does I/O:

* the notification callback only enqueues ``(arrival time, bytes)``;
* one processing task decodes, times, writes the recording and offers each chunk
  to live processing through a bounded queue (oldest chunk dropped when full,
  counted; the recording never drops);
* connections go through ``bleak-retry-connector``'s ``establish_connection``;
  after a loss the collector scans and reconnects with backoff, forever, and logs
  each loss and recovery;
* only allowed devices (addresses or names) are connected.

``scanner_backend``/``client_backend`` select a bleak backend (None: the
platform's; :mod:`collector.bumble_backend` for the virtual sensor).
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import BleakError
from bleak_retry_connector import establish_connection

from collector.profiles import DeviceProfile
from collector.stream import LiveChunk, RecordingSink, StreamProcessor
from spinewatch.errors import CollectorError

logger = logging.getLogger(__name__)

BACKOFF_INITIAL_S: Final = 0.5
BACKOFF_FACTOR: Final = 2.0
BACKOFF_MAX_S: Final = 30.0
SCAN_TIMEOUT_S: Final = 10.0
#: Notifications held between the BLE callback and the processing task.
RAW_QUEUE_PACKETS: Final = 8192
#: Chunks held for live processing before the oldest is dropped.
LIVE_QUEUE_CHUNKS: Final = 512
#: Under a backlog of notifications, recording rows reach the OS at least this often (s);
#: otherwise they do as soon as the backlog is worked off (see :meth:`Collector._process`).
FLUSH_EVERY_S: Final = 0.25


def backoff_s(failures: int) -> float:
    """Seconds to wait after ``failures`` consecutive failed connection attempts (≥ 1)."""
    if failures <= 0:
        return 0.0
    return float(min(BACKOFF_INITIAL_S * BACKOFF_FACTOR ** (failures - 1), BACKOFF_MAX_S))


def matches_profile(profile: DeviceProfile, name: str | None, service_uuids: list[str]) -> bool:
    """True if an advertisement looks like ``profile``'s sensor (name pattern or service)."""
    if name and any(fnmatch.fnmatchcase(name, pat) for pat in profile.name_patterns):
        return True
    return any(u.lower() in profile.advertised_services for u in service_uuids)


def is_allowed(device: BLEDevice, allowed: frozenset[str]) -> bool:
    """True if the device's address or name is in ``allowed`` (case-insensitive)."""
    return device.address.upper() in allowed or (device.name or "").upper() in allowed


@dataclass(slots=True)
class CollectorStats:
    """What the collector has done so far."""

    connections: int = 0
    losses: int = 0
    failed_attempts: int = 0
    raw_overflow: int = 0
    live_dropped: int = 0
    connected_s: float = 0.0
    log: list[str] = field(default_factory=list)


class Collector:
    """Streams one sensor into a recording and a live queue until stopped.

    Args:
        profile: the sensor's profile.
        device: address or advertised name of the sensor to use.
        allowed: addresses/names that may be connected (the device must be one).
        out: the CSV recording (None: live only).
        rate_hz: sample rate to configure (default: the profile's).
        clock: UTC source for arrival times (epoch s); the virtual sensor's clock in tests.
        scanner_backend, client_backend: bleak backends (None: the platform's).
    """

    def __init__(self, profile: DeviceProfile, device: str, *, allowed: frozenset[str],
                 out: Path | None = None, rate_hz: int | None = None,
                 clock: Callable[[], float] = time.time,
                 scanner_backend: type[BaseBleakScanner] | None = None,
                 client_backend: type[BaseBleakClient] | None = None,
                 live_queue: asyncio.Queue[LiveChunk] | None = None) -> None:
        allowed_up = frozenset(a.upper() for a in allowed)
        if device.upper() not in allowed_up:
            raise CollectorError("device is not in the allowed list", value=device,
                                 advice="add its address or name to the allowed devices")
        self.profile = profile
        self.device = device
        self.allowed = allowed_up
        self.rate_hz = profile.check_rate(rate_hz or profile.default_rate_hz)
        self.clock = clock
        self.scanner_backend = scanner_backend
        self.client_backend = client_backend
        self.processor = StreamProcessor(profile, self.rate_hz)
        mag = any(c.name == "mag" for c in profile.packet.channels)
        self.sink = RecordingSink(out, with_magnetometer=mag) if out is not None else None
        self.live: asyncio.Queue[LiveChunk] = live_queue or asyncio.Queue(LIVE_QUEUE_CHUNKS)
        self.stats = CollectorStats()
        self._raw: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(RAW_QUEUE_PACKETS)
        self._client: BleakClient | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- callbacks: only enqueue ----------------------------------------------------------
    def _on_notification(self, _char: Any, data: bytearray) -> None:
        try:
            self._raw.put_nowait((self.clock(), bytes(data)))
        except asyncio.QueueFull:
            self.stats.raw_overflow += 1

    # -- processing task ------------------------------------------------------------------
    async def _process(self) -> None:
        last_flush = time.monotonic()
        while True:
            arrival, data = await self._raw.get()
            for chunk in self.processor.process(data, arrival):
                if self.sink is not None:
                    self.sink.write(chunk)
                if self.live.full():
                    self.live.get_nowait()
                    self.stats.live_dropped += 1
                self.live.put_nowait(chunk)
            # Rows go to the OS (not to disk: no fsync) as soon as nothing else is waiting,
            # so that a killed process loses only notifications still in flight; batching
            # only happens under a backlog, where it keeps the collector ahead.
            if self.sink is not None and (self._raw.empty()
                                          or time.monotonic() - last_flush >= FLUSH_EVERY_S):
                self.sink.flush()
                last_flush = time.monotonic()

    async def drain(self) -> None:
        """Waits until every enqueued notification has been processed."""
        while not self._raw.empty():
            await asyncio.sleep(0.005)
        await asyncio.sleep(0)

    # -- connection loop ------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> CollectorStats:
        """Collects until ``stop`` is set; reconnects after every loss."""
        if self.sink is not None:
            self.sink.open()
        worker = asyncio.create_task(self._process(), name="collector-process")
        self._tasks.add(worker)
        failures = 0
        try:
            while not stop.is_set():
                try:
                    found = await self._find(stop)
                    if found is None:
                        continue
                    await self._session(found, stop)
                    failures = 0
                except (BleakError, TimeoutError, OSError, CollectorError) as exc:
                    failures += 1
                    self.stats.failed_attempts += 1
                    wait = backoff_s(failures)
                    self._note(f"connection attempt {failures} failed: {exc}; retry in {wait:g} s")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), wait)
        finally:
            await self.drain()
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            self._tasks.discard(worker)
            if self.sink is not None:
                self.sink.close()
        return self.stats

    async def _find(self, stop: asyncio.Event) -> BLEDevice | None:
        target = self.device.upper()

        def wanted(device: BLEDevice, adv: AdvertisementData) -> bool:
            return ((device.address.upper() == target or (adv.local_name or "").upper() == target)
                    and is_allowed(device, self.allowed))

        kwargs: dict[str, Any] = {}
        if self.scanner_backend is not None:
            kwargs["backend"] = self.scanner_backend
        find = asyncio.create_task(
            BleakScanner.find_device_by_filter(wanted, timeout=SCAN_TIMEOUT_S, **kwargs))
        stopped = asyncio.create_task(stop.wait())
        self._tasks.update((find, stopped))
        await asyncio.wait((find, stopped), return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        self._tasks.difference_update((find, stopped))
        if not find.done():
            find.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await find
            return None
        device = find.result()
        if device is None and not stop.is_set():
            raise CollectorError(f"{self.device} not found within {SCAN_TIMEOUT_S:g} s",
                                 advice="is the sensor on, charged and in range?")
        return device

    async def _session(self, device: BLEDevice, stop: asyncio.Event) -> None:
        lost = asyncio.Event()
        kwargs: dict[str, Any] = {}
        if self.client_backend is not None:
            kwargs["backend"] = self.client_backend
        client = await establish_connection(
            BleakClient, device, device.name or device.address,
            disconnected_callback=lambda _c: lost.set(), pair=self.profile.bonding
            and self.client_backend is None, **kwargs)
        self._client = client
        self.stats.connections += 1
        self.processor.on_reconnect()
        start = time.monotonic()
        if self.stats.connections > 1:
            self._note(f"reconnected to {device.address}")
        try:
            await self._configure(client)
            await client.start_notify(self.profile.data_uuid, self._on_notification)
            waiters = [asyncio.create_task(lost.wait()), asyncio.create_task(stop.wait())]
            self._tasks.update(waiters)
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()
                self._tasks.discard(w)
        finally:
            self.stats.connected_s += time.monotonic() - start
            self._client = None
            if lost.is_set():
                self.stats.losses += 1
                self._note(f"lost connection to {device.address} after "
                           f"{time.monotonic() - start:.1f} s")
            else:
                await self._shutdown(client)

    async def _configure(self, client: BleakClient) -> None:
        values = self.profile.command_values(self.rate_hz)
        for cmd in self.profile.start:
            await client.write_gatt_char(self.profile.char_uuid(cmd.char),
                                         cmd.render(values), response=cmd.response)

    async def _shutdown(self, client: BleakClient) -> None:
        with contextlib.suppress(BleakError, TimeoutError):
            values = self.profile.command_values(self.rate_hz)
            for cmd in self.profile.stop:
                await client.write_gatt_char(self.profile.char_uuid(cmd.char),
                                             cmd.render(values), response=cmd.response)
            await client.disconnect()

    async def send_haptic(self, strength_pct: int = 100, duration_ms: int = 300) -> None:
        """Buzzes the sensor's motor (profiles with ``[haptic]``).

        Raises:
            CollectorError: the sensor has no haptic output or is not connected.
        """
        cmd = self.profile.haptic
        if cmd is None:
            raise CollectorError("this sensor has no haptic output", where=self.profile.name)
        client = self._client
        if client is None:
            raise CollectorError("not connected", where=self.device,
                                 advice="the alert is not delivered; retry after reconnection")
        data = cmd.render({"strength_pct": strength_pct, "duration_ms": duration_ms})
        try:
            await client.write_gatt_char(self.profile.char_uuid(cmd.char), data,
                                         response=cmd.response)
        except BleakError as exc:
            raise CollectorError(f"haptic command failed: {exc}", where=self.device) from exc

    def _note(self, text: str) -> None:
        self.stats.log.append(text)
        logger.warning("%s: %s", self.device, text)
