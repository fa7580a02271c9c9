"""Finding supported sensors nearby: one scan, each advertisement matched to a profile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from bleak import BleakScanner
from bleak.backends.scanner import BaseBleakScanner
from bleak.exc import BleakError

from collector.link import matches_profile
from collector.profiles import DeviceProfile, builtin_profiles, load_profile
from spinewatch.errors import CollectorError

#: Advertised service-data UUIDs that carry a battery level (one byte, percent).
BATTERY_UUIDS: Final = ("0000180f-0000-1000-8000-00805f9b34fb",
                        "00002a19-0000-1000-8000-00805f9b34fb")


@dataclass(frozen=True, slots=True)
class FoundSensor:
    """A supported sensor seen in a scan."""

    profile: str
    address: str
    name: str | None
    rssi_dbm: int | None
    battery_pct: int | None


def identify(profiles: list[DeviceProfile], name: str | None,
             service_uuids: list[str]) -> DeviceProfile | None:
    """The first profile whose name patterns or advertised services match, or None."""
    for profile in profiles:
        if matches_profile(profile, name, service_uuids):
            return profile
    return None


async def scan(timeout_s: float = 5.0,
               backend: type[BaseBleakScanner] | None = None) -> list[FoundSensor]:
    """Supported sensors advertising nearby, strongest signal first.

    Raises:
        CollectorError: no Bluetooth adapter or stack is available.
    """
    profiles = [load_profile(n) for n in builtin_profiles()]
    kwargs: dict[str, Any] = {} if backend is None else {"backend": backend}
    try:
        seen = await BleakScanner.discover(timeout=timeout_s, return_adv=True, **kwargs)
    except (BleakError, OSError) as exc:
        raise CollectorError(f"cannot scan: {exc}", advice="is Bluetooth on, and is this "
                             "machine's Bluetooth stack (BlueZ, macOS, Windows) running? "
                             "Try --virtual for a demo without hardware") from exc
    out = []
    for device, adv in seen.values():
        profile = identify(profiles, adv.local_name or device.name, adv.service_uuids)
        if profile is None:
            continue
        battery = next((data[0] for uuid, data in adv.service_data.items()
                        if uuid.lower() in BATTERY_UUIDS and data), None)
        out.append(FoundSensor(profile.name, device.address, adv.local_name or device.name,
                               adv.rssi, battery))
    return sorted(out, key=lambda f: -(f.rssi_dbm if f.rssi_dbm is not None else -999))
