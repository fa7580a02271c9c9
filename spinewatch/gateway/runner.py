"""The gateway's async shell: collector → bounded queue → live session → alerts and the store.

Tasks (each kept referenced until it ends):

* the collector (:class:`collector.link.Collector`): BLE, reconnects forever, writes the
  recording and puts every chunk in a bounded queue (the oldest is dropped from live
  processing when full, counted; the recording keeps it);
* processing: takes what is queued, runs the :class:`~spinewatch.gateway.session.LiveSession`,
  hands alerts to the dispatcher (which never blocks) and commits points to the local
  store at least every ``gateway.commit_every_s``;
* health: rewrites the health file every ``gateway.health_every_s`` and, while the sensor
  is not connected, commits a ``device_status`` point with ``connected = false`` a minute;
* with ``[storage] url``: the uploader follows the store in a thread.

Each run writes a new segment (``DATA/live/PATIENT/UTC-START/recording.csv`` and
``analysis/``); a restart after a crash starts a new segment and reports the gap since
the previous one's last recorded sample. :meth:`Gateway.run` returns when ``stop`` is
set, after flushing (within :data:`STOP_BUDGET_S`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TextIO

from collector.link import Collector
from collector.profiles import DeviceProfile, load_profile
from collector.stream import LiveChunk
from spinewatch.alerts import build_dispatcher
from spinewatch.alerts.dispatcher import Dispatcher
from spinewatch.errors import GatewayError, SpinewatchError
from spinewatch.gateway.logs import for_patient
from spinewatch.gateway.recover import recover_segment, unfinished
from spinewatch.gateway.segments import new_segment, previous_last_utc
from spinewatch.gateway.session import (
    EPOCH,
    LiveSession,
    disconnected_status,
    live_options,
    write_json,
)
from spinewatch.gateway.upload import start_uploader
from spinewatch.gateway.virtual import VirtualLink, VirtualSpec
from spinewatch.settings import Settings
from spinewatch.storage.lineprotocol import Point
from spinewatch.storage.store import LocalStore
from spinewatch.storage.uploader import target_name

log = logging.getLogger("spinewatch.gateway")

#: SIGTERM to exit: the whole stop must fit in this (s); the collector gets part of it.
STOP_BUDGET_S: Final = 4.0
COLLECTOR_STOP_S: Final = 1.5
#: Chunks taken from the queue per processing step at most.
MAX_BATCH_CHUNKS: Final = 500
DISCONNECTED_STATUS_S: Final = 60.0


@dataclass(slots=True)
class GatewayStats:
    """What the gateway did (also in the health file)."""

    samples: int = 0
    points_committed: int = 0
    alerts: int = 0
    last_sample_utc_s: float | None = None
    restart_gap_s: float | None = None
    commit_errors: int = 0


def _utc(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="milliseconds")


class Gateway:
    """One patient's gateway as the settings describe it.

    Args:
        settings: the settings tree (``[patient]``, ``[gateway]``, ``[collector]``,
            ``[alerts]``, ``[storage]``, ``[paths]``).
        virtual: run a virtual sensor over bumble's virtual link instead of BLE hardware.
        terminal: where the terminal alert channel writes (None: no terminal channel).
        on_alert_engine: called with each alert as it leaves the engine, and the arrival
            time (collector clock, UTC s) of the newest notification the engine had then
            (benchmarks).
        upload: run the uploader (with ``[storage] url``); of several gateways sharing one
            local store (:func:`serve_room`), only one uploads.
        label: starts each terminal alert line (the patient id when several share it).
    """

    def __init__(self, settings: Settings, *, virtual: VirtualSpec | None = None,
                 terminal: TextIO | None = None,
                 on_alert_engine: Callable[[Any, float], None] | None = None,
                 upload: bool = True, label: str | None = None) -> None:
        g = settings.gateway
        self.settings = settings
        self.data_dir = settings.paths.data_path
        self.profile: DeviceProfile = load_profile(g.device_profile)
        self.rate_hz = self.profile.check_rate(
            settings.collector.rate_hz or self.profile.default_rate_hz)
        self.virtual = virtual
        if virtual is None and not g.device:
            raise GatewayError(f"no sensor configured for patient {settings.patient.id}",
                               where="gateway.device",
                               advice="set the sensor's address or name, or try "
                                      "'spinewatch demo' for a virtual one")
        self.device = g.device or ""
        self.terminal = terminal
        self.on_alert_engine = on_alert_engine
        self.upload = upload
        self.label = label
        patient_dir = self.data_dir / "live" / settings.patient.id
        self.previous_last_utc_s = previous_last_utc(patient_dir)
        self.unfinished = ([d for d in sorted(patient_dir.iterdir()) if unfinished(d)]
                           if patient_dir.is_dir() else [])
        self.segment = new_segment(patient_dir)
        self.recording = self.segment / "recording.csv"
        self.health_path = g.health_file(self.data_dir)
        self.stats = GatewayStats()
        self.state = "starting"
        self.collector: Collector | None = None
        self.session: LiveSession | None = None
        self.store: LocalStore | None = None
        self.dispatcher: Dispatcher | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._pending: list[Point] = []
        self._last_commit = time.monotonic()
        self._upload_stop = threading.Event()
        self._uploader_thread: threading.Thread | None = None
        self.link: VirtualLink | None = None
        self._health_store: LocalStore | None = None

    # -- life cycle ---------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> GatewayStats:
        """Runs until ``stop`` is set (or a virtual run's duration is over), then flushes."""
        s = self.settings
        for_patient(s.patient.id)  # this task's log lines, and those of the tasks it starts
        try:
            self.segment.mkdir(parents=True, exist_ok=True)
            self.store = LocalStore(s.storage.store_file(self.data_dir))
        except (OSError, SpinewatchError) as exc:
            raise GatewayError(f"cannot prepare the data folder: {exc}",
                               where=str(self.segment), advice="check paths.data_dir") from exc
        queue: asyncio.Queue[LiveChunk] = asyncio.Queue(s.gateway.queue_chunks)
        self.session = LiveSession(
            self.segment / "analysis", live_options(s, s.gateway.nominal_mounting), self.rate_hz,
            patient=s.patient.id, device=self.device or "virtual",
            profile=s.patient.clinical_profile().name, timezone=s.report.timezone)
        self.collector = self._collector(queue)
        self.dispatcher = build_dispatcher(
            s.alerts, patient_id=s.patient.id, recording_start_utc=EPOCH, data_dir=self.data_dir,
            stream=self.terminal, buzz=self._buzz if self.profile.haptic is not None else None,
            terminal_label=self.label)
        collector_stop = asyncio.Event()
        self._start_uploader()
        self._spawn(self._health_loop(), "gateway-health")
        if self.unfinished:
            self._spawn(self._recover(), "gateway-recover")
        if self.link is not None:
            await self.link.start()
            self._spawn(self.link.until_done(stop), "virtual-duration")
        collecting = self._spawn(self.collector.run(collector_stop), "gateway-collector")
        collected = asyncio.Event()
        collecting.add_done_callback(lambda _t: collected.set())
        collecting.add_done_callback(lambda t: self._failed(t, stop))
        processing = self._spawn(self._process(queue, collected), "gateway-processing")
        processing.add_done_callback(lambda t: self._failed(t, stop))
        self.state = "running"
        log.info("gateway started: patient %s, sensor %s (%s), segment %s", s.patient.id,
                 self.collector.device, self.profile.name, self.segment)
        try:
            await stop.wait()
        finally:
            await self._stop(collecting, processing, collector_stop)
        return self.stats

    async def _stop(self, collecting: asyncio.Task[Any], processing: asyncio.Task[Any],
                    collector_stop: asyncio.Event) -> None:
        """Stop collecting, finish the analysis, commit, and close everything (bounded)."""
        began = time.monotonic()
        self.state = "stopping"
        link_log = logging.getLogger("collector.link")
        level = link_log.level
        if self.link is not None:
            # The virtual sensor is powered off first, so that everything it sent arrives;
            # the collector would log that intended disconnection as a lost link.
            link_log.setLevel(logging.ERROR)
            await self.link.stop_sensor()
        collector_stop.set()
        failure: BaseException | None = None
        try:
            await asyncio.wait_for(asyncio.shield(collecting), COLLECTOR_STOP_S)
        except (TimeoutError, asyncio.CancelledError):
            pass
        except Exception as exc:  # a bug: clean up first, then let it show its traceback
            failure = exc
        link_log.setLevel(level)
        if not collecting.done():
            collecting.cancel()
            log.warning("the collector did not stop in %.1f s; cancelled", COLLECTOR_STOP_S)
            # Its clean-up still writes the rows it has taken to the recording: wait for it.
            with contextlib.suppress(asyncio.CancelledError):
                await collecting
        try:
            await processing  # drains the queue, finishes the session and commits
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # a bug: clean up first, then let it show its traceback
            failure = failure or exc
        if self.dispatcher is not None:
            left = max(STOP_BUDGET_S - (time.monotonic() - began), 0.1)
            try:
                await asyncio.wait_for(self.dispatcher.aclose(), left)
            except TimeoutError:
                log.warning("alerts still being delivered at stop: %d left in the alert log "
                            "only", self.dispatcher.pending)
        self._upload_stop.set()
        if self._uploader_thread is not None:
            await asyncio.to_thread(self._uploader_thread.join, 1.0)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.link is not None:
            await self.link.close()
        self.state = "stopped"
        self._write_health()
        for store in (self.store, self._health_store):
            if store is not None:
                store.close()
        log.info("gateway stopped in %.2f s: %d samples, %d points, %d alerts",
                 time.monotonic() - began, self.stats.samples, self.stats.points_committed,
                 self.stats.alerts)
        if failure is not None:
            raise failure

    @staticmethod
    def _failed(task: asyncio.Task[Any], stop: asyncio.Event) -> None:
        """A task that must run until the end ended early: stop (the supervisor restarts)."""
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed: %r; stopping", task.get_name(), task.exception())
            stop.set()

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _collector(self, queue: asyncio.Queue[LiveChunk]) -> Collector:
        s = self.settings
        if self.virtual is not None:
            start = time.time()
            if self.previous_last_utc_s is not None:
                start = max(start, self.previous_last_utc_s + 1.0)
            self.link = VirtualLink(self.profile, self.virtual, self.rate_hz, start,
                                    address=self.virtual.address)
            self.device = self.link.address
            return self.link.collector(self.recording, queue)
        return Collector(self.profile, self.device, allowed=frozenset(s.collector.allowed_devices),
                         out=self.recording, rate_hz=self.rate_hz, live_queue=queue)

    # -- processing ---------------------------------------------------------------------
    async def _process(self, queue: asyncio.Queue[LiveChunk], collector_done: asyncio.Event,
                       ) -> None:
        session = self.session
        if session is None:  # pragma: no cover - run() sets it first
            return
        try:
            while not (collector_done.is_set() and queue.empty()):
                try:
                    first = await asyncio.wait_for(queue.get(), 0.2)
                except TimeoutError:
                    await self._commit(force=False)
                    continue
                chunks = [first]
                while not queue.empty() and len(chunks) < MAX_BATCH_CHUNKS:
                    chunks.append(queue.get_nowait())
                # The analysis runs in a worker thread: notifications keep being taken (and
                # timed) on the loop meanwhile.
                self._take(await asyncio.to_thread(session.feed, chunks),
                           chunks[-1].arrival_utc_s)
                await self._commit(force=False)
        finally:
            recording: dict[str, Any] = {"path": str(self.recording)}
            if self.collector is not None:
                counts = self.collector.processor.counts
                gaps = self.collector.processor.timeline.gaps
                recording.update(packets=counts.packets, samples=counts.samples,
                                 malformed=counts.malformed_total, gaps=len(gaps),
                                 live_dropped=self.collector.stats.live_dropped)
            if self.stats.restart_gap_s is not None:
                recording["restart_gap_s"] = self.stats.restart_gap_s
            self._take(await asyncio.to_thread(session.finish, recording), math.nan)
            await self._commit(force=True)

    def _take(self, out: Any, arrived_s: float) -> None:
        for alert in out.alerts:
            if self.on_alert_engine is not None:
                self.on_alert_engine(alert, arrived_s)
            if self.dispatcher is not None:
                self.dispatcher.dispatch(alert)
            self.stats.alerts += 1
            log.info("alert %s (%s) at %s", alert.kind, alert.level.name.lower(),
                     _utc(alert.at_s))
        self._pending += out.points
        first = self.session.first_utc_s if self.session is not None else None
        before = self.previous_last_utc_s
        if first is not None and before is not None and self.stats.last_sample_utc_s is None:
            gap = first - before
            self.stats.restart_gap_s = round(max(gap, 0.0), 3)
            log.warning("restarted: no data from %s to %s (%.1f s) between the previous run "
                        "and this one", _utc(before), _utc(first), gap)
        if out.last_sample_utc_s is not None:
            self.stats.last_sample_utc_s = out.last_sample_utc_s
        if self.session is not None:
            self.stats.samples = self.session.samples

    async def _recover(self) -> None:
        """Finish the analysis of segments a crash left unfinished; commit their points."""
        session = self.session
        if session is None:  # pragma: no cover - run() sets it first
            return
        for segment in self.unfinished:
            points = await asyncio.to_thread(
                recover_segment, segment, session.options, self.rate_hz, session.ctx)
            # Not ``self._pending += await ...``: that reads the list before the await, and
            # a commit meanwhile replaces it, losing the live points taken since.
            self._pending += points

    async def _commit(self, force: bool) -> None:
        """Commit pending points (durable when this returns) if due or ``force``."""
        due = time.monotonic() - self._last_commit >= self.settings.gateway.commit_every_s
        if not self._pending or not (force or due) or self.store is None:
            return
        points, self._pending = self._pending, []
        try:
            self.stats.points_committed += await asyncio.to_thread(self.store.append, points)
        except SpinewatchError as exc:
            self.stats.commit_errors += 1
            self._pending = points + self._pending  # kept for the next attempt
            log.error("commit failed (kept for the next attempt): %s", exc.one_line())
        self._last_commit = time.monotonic()

    async def _buzz(self, pattern_ms: tuple[int, ...]) -> None:
        """The haptic channel: on/off pulses (ms) on the sensor's motor."""
        if self.collector is None:
            return
        for i, ms in enumerate(pattern_ms):
            if i % 2 == 0:
                await self.collector.send_haptic(100, int(ms))
            await asyncio.sleep(ms / 1000)

    # -- supervision --------------------------------------------------------------------
    def _start_uploader(self) -> None:
        st = self.settings.storage
        if st.url is not None and self.upload:
            self._uploader_thread = start_uploader(st, st.store_file(self.data_dir),
                                                   self._upload_stop)

    async def _health_loop(self) -> None:
        last_status = time.monotonic()
        while True:
            await asyncio.to_thread(self._write_health)
            await asyncio.sleep(self.settings.gateway.health_every_s)
            if self.connection() != "connected" and self.state == "running":
                if time.monotonic() - last_status >= DISCONNECTED_STATUS_S:
                    last_status = time.monotonic()
                    self._pending.append(disconnected_status(
                        self.settings.patient.id, self.device or "virtual", time.time()))
            else:
                last_status = time.monotonic()

    def connection(self) -> str:
        """``connected``, ``searching`` (never connected yet) or ``disconnected``."""
        c = self.collector
        if c is None or c.stats.connections == 0:
            return "searching"
        return "connected" if c.stats.connections > c.stats.losses else "disconnected"

    def health(self) -> dict[str, Any]:
        """The health document (what the health file holds)."""
        c = self.collector
        backlog = None
        if self.settings.storage.url is not None:
            try:
                if self._health_store is None:  # its own connection: health runs in a thread
                    self._health_store = LocalStore(
                        self.settings.storage.store_file(self.data_dir))
                backlog = self._health_store.status(target_name(self.settings.storage)).backlog
            except SpinewatchError as exc:
                log.warning("cannot read the upload backlog: %s", exc.one_line())
        counts = c.processor.counts if c is not None else None
        return {
            "state": self.state,
            "pid": os.getpid(),
            "updated_utc": _utc(time.time()),
            "patient": self.settings.patient.id,
            "device": self.device,
            "connection": self.connection(),
            "last_sample_utc": _utc(self.stats.last_sample_utc_s),
            "samples": self.stats.samples,
            "packets": counts.packets if counts else 0,
            "malformed_packets": counts.malformed_total if counts else 0,
            "gaps": len(c.processor.timeline.gaps) if c is not None else 0,
            "connections": c.stats.connections if c is not None else 0,
            "link_losses": c.stats.losses if c is not None else 0,
            "live_dropped_chunks": c.stats.live_dropped if c is not None else 0,
            "points_committed": self.stats.points_committed,
            "points_pending_commit": len(self._pending),
            "alerts": self.stats.alerts,
            "upload_backlog": backlog,
            "restart_gap_s": self.stats.restart_gap_s,
            "segment": str(self.segment),
        }

    def _write_health(self) -> None:
        try:
            write_json(self.health_path, self.health())
        except OSError as exc:
            log.warning("cannot write the health file %s: %s", self.health_path, exc)
