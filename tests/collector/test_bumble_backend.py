"""The bumble-based bleak backend: bleak's own API over the virtual link."""

from __future__ import annotations

import asyncio
import logging

import numpy as np
import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakError

from collector.bumble_backend import VirtualAir
from collector.profiles import load_profile
from collector.virtual_sensor import ArraySource, Faults, VirtualClock, VirtualSensor

logging.getLogger("bumble").setLevel(logging.ERROR)
BATTERY = "00002a19-0000-1000-8000-00805f9b34fb"


async def scenario() -> dict[str, object]:
    air = VirtualAir()
    profile = load_profile("spinewatch_ref")
    source = ArraySource(np.zeros((10, 3)), np.zeros((10, 3)))
    sensor = VirtualSensor(air, profile, source, VirtualClock(), address="F0:00:00:00:00:07",
                           name="SW-REF-7", faults=Faults(battery_pct=42))
    await sensor.start()
    found = await BleakScanner.find_device_by_filter(
        lambda d, a: a.local_name == "SW-REF-7", timeout=5, backend=air.scanner_backend())
    assert found is not None
    lost = asyncio.Event()
    got: list[bytearray] = []
    async with BleakClient(found, disconnected_callback=lambda _c: lost.set(),
                           backend=air.client_backend()) as client:
        result: dict[str, object] = {"mtu": client.mtu_size, "name": client.name}
        result["battery"] = bytes(await client.read_gatt_char(BATTERY))
        result["uuids"] = {s.uuid for s in client.services}
        await client.start_notify(profile.data_uuid, lambda _c, d: got.append(d))
        while len(got) < 3:
            await asyncio.sleep(0.01)
        await sensor._drop()  # the sensor drops the link
        await asyncio.wait_for(lost.wait(), 2)
        result["connected_after_drop"] = client.is_connected
        with pytest.raises(BleakError):
            await client.read_gatt_char(BATTERY)
    await sensor.stop()
    result["packets"] = len(got)
    return result


def test_scan_connect_read_notify_and_see_the_drop() -> None:
    r = asyncio.run(scenario())
    assert r["mtu"] == 247 and r["name"] == "SW-REF-7"
    assert r["battery"] == bytes([42])
    assert "53570001-8c1e-4b7a-9f5d-2a6e0c3b1d40" in r["uuids"]  # type: ignore[operator]
    assert r["packets"] >= 3 and r["connected_after_drop"] is False
