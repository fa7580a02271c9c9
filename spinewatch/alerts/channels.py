"""Where alerts go: the channel protocol, and the terminal and haptic channels.

A channel is anything with a ``name``, the ``audiences`` it serves and an
``async send(alert)``. The dispatcher gives a channel only the alerts meant
for one of its audiences, bounds each send with a timeout and catches what
it raises; a channel should raise :class:`AlertDeliveryError` (with a short
``reason``, e.g. ``"timeout"``, ``"http_500"``) for failures it understands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, Protocol, TextIO, runtime_checkable

from processing.alert_policy import Alert, AlertLevel, Audience
from spinewatch.errors import SpinewatchError

ALL_AUDIENCES: Final = frozenset(Audience)

# Vibration patterns, milliseconds on, off, on, …: longer and more pulses for stronger levels,
# so that the patient can tell them apart without looking at a screen.
HAPTIC_PATTERNS_MS: Final[Mapping[AlertLevel, tuple[int, ...]]] = {
    AlertLevel.REMINDER: (200,),
    AlertLevel.WARNING: (300, 150, 300),
    AlertLevel.CLINIC: (500, 200, 500, 200, 500),
    AlertLevel.URGENT: (1000, 300, 1000, 300, 1000, 300, 1000),
}

Buzz = Callable[[tuple[int, ...]], Awaitable[Any]]
"""The sensor's vibration motor: ``await buzz(pattern_ms)``."""


class AlertDeliveryError(SpinewatchError):
    """A channel could not deliver an alert.

    Attributes:
        reason: a short, stable name of the kind of failure (``"timeout"``,
            ``"connection"``, ``"http_500"``, ``"bad_response"`` …), by which the
            dispatcher counts failures and logs each kind once.
        retry_after_s: how long the receiver asked us to wait (HTTP Retry-After), s.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        where: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        self.reason = reason
        self.retry_after_s = retry_after_s
        super().__init__(message, where=where)


@runtime_checkable
class AlertChannel(Protocol):
    """One way of telling someone about an alert."""

    @property
    def name(self) -> str:
        """A short name for logs and counts (unique within a dispatcher)."""
        ...

    @property
    def audiences(self) -> frozenset[Audience]:
        """Who this channel reaches; it gets only alerts for one of them."""
        ...

    async def send(self, alert: Alert) -> None:
        """Deliver ``alert``; raise (preferably AlertDeliveryError) if it could not."""
        ...


# Recording times past this are Unix time (a live stream's clock), not seconds from the start.
_EPOCH_AFTER_S: Final = 1e9


def terminal_line(alert: Alert) -> str:
    """One line for a person watching a console: the local clock time for a live stream,
    the recording's seconds for a recording."""
    who = "+".join(sorted(a.value for a in alert.audience))
    if alert.at_s > _EPOCH_AFTER_S:
        when = dt.datetime.fromtimestamp(alert.at_s).astimezone().strftime("%H:%M:%S")
    else:
        when = f"{alert.at_s:10.1f} s"
    return f"[{when}] {alert.level.name:<8} {alert.kind:<17} → {who}: {alert.message}"


class NamedChannel:
    """What every channel has: a name for logs and the audiences it serves."""

    def __init__(self, name: str, audiences: frozenset[Audience]) -> None:
        self._name = name
        self._audiences = audiences

    @property
    def name(self) -> str:
        return self._name

    @property
    def audiences(self) -> frozenset[Audience]:
        return self._audiences


class TerminalChannel(NamedChannel):
    """Writes one line per alert to a text stream (stdout, a file, /dev/null)."""

    def __init__(
        self,
        stream: TextIO,
        *,
        name: str = "terminal",
        audiences: frozenset[Audience] = ALL_AUDIENCES,
        label: str | None = None,
    ) -> None:
        super().__init__(name, audiences)
        self._stream = stream
        # Several patients in one gateway share the console: each line says whose it is.
        self._prefix = f"{label} " if label else ""

    async def send(self, alert: Alert) -> None:
        try:
            self._stream.write(self._prefix + terminal_line(alert) + "\n")
            self._stream.flush()
        except (OSError, ValueError) as exc:  # ValueError: the stream was closed
            raise AlertDeliveryError(str(exc), reason="stream", where=self._name) from exc


class HapticChannel(NamedChannel):
    """Buzzes the sensor's vibration motor, with a pattern per level (the patient's channel)."""

    def __init__(
        self,
        buzz: Buzz,
        *,
        name: str = "haptic",
        patterns_ms: Mapping[AlertLevel, tuple[int, ...]] = HAPTIC_PATTERNS_MS,
    ) -> None:
        super().__init__(name, frozenset({Audience.PATIENT}))
        self._buzz = buzz
        self._patterns_ms = patterns_ms

    async def send(self, alert: Alert) -> None:
        await self._buzz(self._patterns_ms[alert.level])
