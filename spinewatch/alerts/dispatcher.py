"""Fan alerts out to every channel at once, without ever holding up processing.

:meth:`Dispatcher.dispatch` returns at once: delivery runs in a background
task the dispatcher keeps a reference to. Each channel's send is bounded by
``send_timeout_s``; a failure is counted per (channel, reason) and logged
once per channel and reason, so a dead webhook cannot flood the log. Every
alert is written to the :class:`AlertLog` (JSON lines, fsync'd) whatever the
channels do: it is the record that the alert happened.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final, TextIO

from processing.alert_policy import Alert
from spinewatch.alerts.channels import (
    AlertChannel,
    AlertDeliveryError,
    Buzz,
    HapticChannel,
    TerminalChannel,
)
from spinewatch.alerts.records import alert_document, alert_id, check_start, iso_utc
from spinewatch.alerts.webhook import WebhookChannel
from spinewatch.errors import ConfigError

if TYPE_CHECKING:
    from spinewatch.settings import AlertsSettings

DEFAULT_SEND_TIMEOUT_S: Final = 10.0
OK: Final = "ok"
_log = logging.getLogger(__name__)


class AlertLog:
    """The alert record: one JSON object per line, flushed and fsync'd per line.

    Lines are ``{"record": "alert", …the alert document…}`` when an alert is
    dispatched and ``{"record": "delivery", "alert_id", "results": {channel:
    "ok" | reason}, "logged_utc"}`` once its channels are done. Thread-safe.
    """

    def __init__(self, path: Path, *, patient_id: str, recording_start_utc: dt.datetime) -> None:
        self.path = path
        self._patient_id = patient_id
        self._start = check_start(recording_start_utc)
        self._lock = threading.Lock()
        self._file: IO[str] | None = None

    def append(self, record: Mapping[str, Any]) -> None:
        """Write ``record`` as one line and make it durable; AlertDeliveryError if not."""
        line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
        with self._lock:
            try:
                if self._file is None:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    self._file = self.path.open("a", encoding="utf-8")
                self._file.write(line)
                self._file.flush()
                os.fsync(self._file.fileno())
            except OSError as exc:
                raise AlertDeliveryError(
                    f"cannot write: {exc.strerror or exc}", reason="alert_log", where=str(self.path)
                ) from exc

    def write_alert(self, alert: Alert) -> None:
        doc = alert_document(alert, patient_id=self._patient_id, recording_start_utc=self._start)
        self.append({"record": "alert", **doc})

    def write_delivery(self, alert: Alert, results: Mapping[str, str]) -> None:
        self.append(
            {
                "record": "delivery",
                "alert_id": alert_id(alert, self._patient_id),
                "results": dict(results),
                "logged_utc": iso_utc(dt.datetime.now(dt.UTC)),
            }
        )

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


class Dispatcher:
    """Sends each alert to every channel serving one of its audiences, concurrently.

    Args:
        channels: the channels; names must be unique.
        log: the alert log, or None (tests, benchmarks).
        send_timeout_s: longest one channel's send may take, s.

    Attributes:
        dispatched: alerts handed to :meth:`dispatch`.
        delivered: successful sends per channel name.
        failures: failed sends per (channel name, reason).
    """

    def __init__(
        self,
        channels: Sequence[AlertChannel],
        log: AlertLog | None = None,
        *,
        send_timeout_s: float = DEFAULT_SEND_TIMEOUT_S,
    ) -> None:
        names = [c.name for c in channels]
        if len(set(names)) != len(names):
            raise ConfigError("channel names must be unique", where="channels", value=names)
        if not send_timeout_s > 0:
            raise ConfigError("must be > 0 s", where="send_timeout_s", value=send_timeout_s)
        self.channels = tuple(channels)
        self.log = log
        self.send_timeout_s = send_timeout_s
        self.dispatched = 0
        self.delivered: Counter[str] = Counter()
        self.failures: Counter[tuple[str, str]] = Counter()
        self._tasks: set[asyncio.Task[dict[str, str]]] = set()

    @property
    def pending(self) -> int:
        """Alerts still being delivered."""
        return len(self._tasks)

    def dispatch(self, alert: Alert) -> asyncio.Task[dict[str, str]]:
        """Start delivering ``alert`` and return at once (call inside the event loop).

        The task's result maps each channel's name to ``"ok"`` or its failure reason.
        """
        self.dispatched += 1
        task = asyncio.get_running_loop().create_task(self._deliver(alert))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self) -> None:
        """Wait until every alert dispatched so far has been delivered or has failed."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def aclose(self) -> None:
        """Drain, then close the log."""
        await self.drain()
        if self.log is not None:
            await asyncio.to_thread(self.log.close)

    async def _deliver(self, alert: Alert) -> dict[str, str]:
        targets = [c for c in self.channels if c.audiences & alert.audience]
        sends = [self._send_one(c, alert) for c in targets]
        if self.log is not None:
            # Written alongside the sends, not before: the fsync must not delay the buzz.
            outcomes = await asyncio.gather(*sends, self._write_log(self.log.write_alert, alert))
        else:
            outcomes = await asyncio.gather(*sends)
        results = {c.name: str(r) for c, r in zip(targets, outcomes, strict=False)}
        if self.log is not None:
            await self._write_log(self.log.write_delivery, alert, results)
        return results

    async def _send_one(self, channel: AlertChannel, alert: Alert) -> str:
        """``"ok"`` or the reason the send failed."""
        try:
            await asyncio.wait_for(channel.send(alert), timeout=self.send_timeout_s)
        except TimeoutError:
            return self._failed(channel.name, "timeout", f"took over {self.send_timeout_s} s")
        except AlertDeliveryError as exc:
            return self._failed(channel.name, exc.reason, exc.one_line())
        except Exception as exc:  # a broken channel must never stop the others
            return self._failed(channel.name, type(exc).__name__, str(exc))
        self.delivered[channel.name] += 1
        return OK

    def _failed(self, channel: str, reason: str, text: str) -> str:
        self.failures[(channel, reason)] += 1
        if self.failures[(channel, reason)] == 1:
            _log.warning(
                "alert channel %s failed (%s): %s; further %s failures of it are only counted",
                channel,
                reason,
                text,
                reason,
            )
        return reason

    async def _write_log(self, write: Callable[..., None], *args: Any) -> str:
        try:
            await asyncio.to_thread(write, *args)
        except AlertDeliveryError as exc:
            return self._failed("alert_log", exc.reason, exc.one_line())
        return OK


def build_dispatcher(
    settings: AlertsSettings,
    *,
    patient_id: str,
    recording_start_utc: dt.datetime,
    data_dir: Path,
    stream: TextIO | None = None,
    buzz: Buzz | None = None,
    terminal_label: str | None = None,
) -> Dispatcher:
    """The dispatcher the ``[alerts]`` settings describe.

    ``stream`` is the terminal channel's output (required if ``terminal``), its lines
    starting with ``terminal_label`` if given; ``buzz`` the sensor's motor (the haptic
    channel is left out without it).
    """
    channels: list[AlertChannel] = []
    if settings.terminal and stream is not None:
        channels.append(TerminalChannel(stream, label=terminal_label))
    if settings.haptic and buzz is not None:
        channels.append(HapticChannel(buzz))
    send_timeout_s = DEFAULT_SEND_TIMEOUT_S
    if settings.webhook_url is not None:
        webhook = WebhookChannel(
            settings.webhook_url,
            patient_id=patient_id,
            recording_start_utc=recording_start_utc,
            token=settings.webhook_token,
            timeout_s=settings.timeout_s,
        )
        channels.append(webhook)
        send_timeout_s = max(send_timeout_s, webhook.worst_case_s() + 1.0)
    log = AlertLog(
        settings.log_file(data_dir), patient_id=patient_id, recording_start_utc=recording_start_utc
    )
    return Dispatcher(channels, log, send_timeout_s=send_timeout_s)
