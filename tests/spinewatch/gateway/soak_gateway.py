"""``spinewatch run`` with the virtual sensor's ground truth written to a file (soak test).

``python -m tests.spinewatch.gateway.soak_gateway run --virtual ...`` is exactly
``spinewatch run`` (:func:`spinewatch.cli.main`), except that the virtual sensor's
:class:`~collector.virtual_sensor.SensorLog` is also written, as it happens, to the file
named by ``SOAK_SENSOR_LOG``: one unbuffered ``os.write`` per line, so what was written
survives a SIGKILL of the process. Lines:

* ``start RATE_HZ``: a sensor was powered on (one per gateway run);
* ``+ FIRST N UTC_S``: samples FIRST … FIRST+N-1 were handed to the radio (a
  notification); sample FIRST was taken at UTC_S (sensor clock), the others one sample
  period apart;
* ``- FIRST``: that notification failed after all (the link dropped under it);
* ``drop UTC_S``: the sensor dropped the link (a fault injected) at UTC_S, sensor clock.

Nothing of the product changes: the test reads this as the in-process e2e test reads
``gateway.link.sensor.log``.
"""

from __future__ import annotations

import os
import sys
from typing import Any, SupportsIndex

from collector.virtual_sensor import VirtualSensor
from spinewatch.gateway import virtual

ENV = "SOAK_SENSOR_LOG"


class _Out:
    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def line(self, text: str) -> None:
        os.write(self.fd, (text + "\n").encode())


class _LoggedDelivered(list[tuple[int, int]]):
    """The sensor's ``delivered`` list, mirrored to the log file."""

    def __init__(self, out: _Out) -> None:
        super().__init__()
        self.out = out
        self.taken_utc_s = 0.0  # the packet being emitted: its first sample's time

    def append(self, item: tuple[int, int]) -> None:
        super().append(item)
        self.out.line(f"+ {item[0]} {item[1]} {self.taken_utc_s!r}")

    def pop(self, index: SupportsIndex = -1) -> tuple[int, int]:
        item = super().pop(index)
        self.out.line(f"- {item[0]}")
        return item


def install(path: str) -> None:
    out = _Out(path)
    original_init = virtual.VirtualLink.__init__
    original_drop = VirtualSensor._drop
    original_emit = VirtualSensor._emit

    def init(self: virtual.VirtualLink, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.sensor.log.delivered = _LoggedDelivered(out)
        out.line(f"start {self.rate_hz}")

    async def drop(self: VirtualSensor) -> None:
        out.line(f"drop {self.clock.now()!r}")
        await original_drop(self)

    async def emit(self: VirtualSensor, first_utc_s: float) -> None:
        if isinstance(self.log.delivered, _LoggedDelivered):
            self.log.delivered.taken_utc_s = first_utc_s
        await original_emit(self, first_utc_s)

    virtual.VirtualLink.__init__ = init  # type: ignore[method-assign]
    VirtualSensor._drop = drop  # type: ignore[method-assign]
    VirtualSensor._emit = emit  # type: ignore[method-assign]


if __name__ == "__main__":
    install(os.environ[ENV])
    from spinewatch.cli import main

    sys.exit(main())
