"""A bleak backend on bumble's virtual BLE stack, for tests and demos without hardware.

:class:`VirtualAir` is one bumble ``LocalLink`` (the "air") with one central
device (the "adapter"). Its :meth:`VirtualAir.scanner_backend` and
:meth:`VirtualAir.client_backend` return :class:`BaseBleakScanner` and
:class:`BaseBleakClient` subclasses bound to it, to be passed as ``backend=`` to
``BleakScanner``/``BleakClient`` (and through ``establish_connection``), so that
collector code written only against bleak's API runs unchanged.

bumble raises its own errors, and ``asyncio.CancelledError`` for GATT requests
pending when a link drops; the backend turns both into ``BleakError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid as uuid_module
from collections.abc import Callable
from typing import Any, ClassVar, Final

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError
from bumble.controller import Controller
from bumble.core import UUID, AdvertisingData
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

logger = logging.getLogger(__name__)

#: ATT MTU the virtual central asks for (the most BLE allows).
REQUESTED_MTU: Final = 247
#: Address of the virtual adapter.
CENTRAL_ADDRESS: Final = "F0:F0:F0:F0:F0:00"
_SIG_BASE: Final = "-0000-1000-8000-00805f9b34fb"
_PROPERTY_NAMES: Final = (
    (0x02, "read"), (0x04, "write-without-response"), (0x08, "write"), (0x10, "notify"),
    (0x20, "indicate"),
)


def uuid_str(uuid: UUID) -> str:
    """A bumble UUID as bleak's lower-case 128-bit string."""
    raw = uuid.to_bytes(force_128=True)[::-1]
    return str(uuid_module.UUID(bytes=raw))


def new_device(link: LocalLink, name: str, address: str) -> Device:
    """A bumble device with its own virtual controller on ``link``."""
    controller = Controller(name, link=link, public_address=address)
    return Device(name=name, address=Address(address),
                  host=Host(controller, AsyncPipeSink(controller)))


class VirtualAir:
    """One virtual radio space: peripherals added by the virtual sensors, one central."""

    def __init__(self) -> None:
        self.link = LocalLink()  # type: ignore[no-untyped-call]
        self._central: Device | None = None
        self._lock = asyncio.Lock()

    async def central(self) -> Device:
        """The powered-on central device (created on first use)."""
        async with self._lock:
            if self._central is None:
                device = new_device(self.link, "spinewatch-central", CENTRAL_ADDRESS)
                await device.power_on()
                self._central = device
            return self._central

    def scanner_backend(self) -> type[BaseBleakScanner]:
        """A ``BleakScanner`` backend class bound to this air."""
        return type("BumbleScanner", (BumbleScanner,), {"air": self})

    def client_backend(self) -> type[BaseBleakClient]:
        """A ``BleakClient`` backend class bound to this air."""
        return type("BumbleClient", (BumbleClient,), {"air": self})


def _advertisement_data(adv: Advertisement) -> tuple[str | None, AdvertisementData]:
    data = adv.data
    name = data.get(AdvertisingData.COMPLETE_LOCAL_NAME)
    uuids: list[str] = []
    for kind in (AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
                 AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
                 AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                 AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS):
        uuids += [uuid_str(u) for u in (data.get(kind) or [])]
    service_data: dict[str, bytes] = {}
    for kind in (AdvertisingData.SERVICE_DATA_16_BIT_UUID,
                 AdvertisingData.SERVICE_DATA_128_BIT_UUID):
        entry: Any = data.get(kind)
        if isinstance(entry, tuple) and isinstance(entry[0], UUID):
            service_data[uuid_str(entry[0])] = bytes(entry[1])
    text = name if isinstance(name, str) else None
    return text, AdvertisementData(
        local_name=text, manufacturer_data={}, service_data=service_data,
        service_uuids=uuids, tx_power=None, rssi=int(adv.rssi), platform_data=(adv,),
    )


class BumbleScanner(BaseBleakScanner):
    """Scans the virtual air through the central's bumble scanner."""

    air: ClassVar[VirtualAir]

    def __init__(self, detection_callback: AdvertisementDataCallback | None,
                 service_uuids: list[str] | None, scanning_mode: str = "active",
                 **kwargs: Any) -> None:
        super().__init__(detection_callback, service_uuids)
        self._device: Device | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        device = await self.air.central()
        self._device = device
        device.on(Device.EVENT_ADVERTISEMENT, self._on_advertisement)
        await device.start_scanning(filter_duplicates=False)

    async def stop(self) -> None:
        if self._device is not None:
            self._device.remove_listener(Device.EVENT_ADVERTISEMENT, self._on_advertisement)
            with contextlib.suppress(Exception):
                await self._device.stop_scanning()
            self._device = None

    def _on_advertisement(self, adv: Advertisement) -> None:
        name, data = _advertisement_data(adv)
        if not self.is_allowed_uuid(data.service_uuids):
            return
        address = str(adv.address).removesuffix("/P")
        device = self.create_or_update_device(address, address, name, {"bumble": adv.address},
                                              data)
        self.call_detection_callbacks(device, data)


class BumbleClient(BaseBleakClient):
    """A GATT client over a bumble connection in the virtual air."""

    air: ClassVar[VirtualAir]

    def __init__(self, address_or_ble_device: BLEDevice | str, services: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(address_or_ble_device,
                         disconnected_callback=kwargs.get("disconnected_callback"),
                         timeout=float(kwargs.get("timeout", 10.0)))
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._name = (address_or_ble_device.name if isinstance(address_or_ble_device, BLEDevice)
                      else None) or self.address
        details = (address_or_ble_device.details
                   if isinstance(address_or_ble_device, BLEDevice) else None)
        self._bumble_address: Address = (details["bumble"] if isinstance(details, dict)
                                         and "bumble" in details else Address(self.address))
        self._subscriptions: dict[int, Callable[[bytes], None]] = {}

    @property
    def name(self) -> str:
        return self._name

    @property
    def mtu_size(self) -> int:
        return int(self._connection.att_mtu) if self._connection is not None else 23

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        central = await self.air.central()
        timeout = float(kwargs.get("timeout", self._timeout))
        try:
            connection = await central.connect(self._bumble_address, timeout=timeout)
        except (asyncio.CancelledError, Exception) as exc:
            if isinstance(exc, asyncio.CancelledError) and _really_cancelled():
                raise
            raise BleakError(f"{self.address}: connection failed: {exc!r}") from exc
        self._connection = connection
        connection.on(Connection.EVENT_DISCONNECTION, self._on_disconnection)
        try:
            peer = Peer(connection)
            await peer.request_mtu(REQUESTED_MTU)
            self.services = await self._discover(peer)
            self._peer = peer
        except (asyncio.CancelledError, Exception) as exc:
            if isinstance(exc, asyncio.CancelledError) and _really_cancelled():
                raise
            self._connection = None
            with contextlib.suppress(Exception):
                await connection.disconnect()
            raise BleakError(f"{self.address}: service discovery failed: {exc!r}") from exc

    async def _discover(self, peer: Peer) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        for service in await peer.discover_services():
            bs = BleakGATTService(service, service.handle, uuid_str(service.uuid))
            collection.add_service(bs)
            for ch in await peer.discover_characteristics(service=service):
                props = [name for bit, name in _PROPERTY_NAMES if int(ch.properties) & bit]
                bc = BleakGATTCharacteristic(ch, ch.handle, uuid_str(ch.uuid), props,  # type: ignore[arg-type]
                                             lambda: self.mtu_size - 3, bs)
                collection.add_characteristic(bc)
                for d in await peer.discover_descriptors(ch):
                    collection.add_descriptor(
                        BleakGATTDescriptor(d, d.handle, uuid_str(d.type), bc))
        return collection

    def _on_disconnection(self, reason: int) -> None:
        was = self._connection is not None
        self._connection = None
        self._peer = None
        logger.debug("%s: disconnected (reason %s)", self.address, reason)
        if was and self._disconnected_callback is not None:
            self._disconnected_callback()

    def _require_peer(self) -> Peer:
        if self._peer is None:
            raise BleakError(f"{self.address}: not connected")
        return self._peer

    async def _gatt(self, what: str, awaitable: Any) -> Any:
        try:
            return await awaitable
        except (asyncio.CancelledError, Exception) as exc:
            if isinstance(exc, asyncio.CancelledError) and _really_cancelled():
                raise
            raise BleakError(f"{self.address}: {what} failed: {exc!r}") from exc

    async def disconnect(self) -> None:
        connection = self._connection
        if connection is not None:
            self._connection = None
            self._peer = None
            with contextlib.suppress(Exception):
                await connection.disconnect()

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        raise BleakError("pairing is not supported by the virtual backend")

    async def unpair(self) -> None:
        raise BleakError("pairing is not supported by the virtual backend")

    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, *,
                             use_cached: bool = False, **kwargs: Any) -> bytearray:
        value = await self._gatt("read", self._require_peer().read_value(characteristic.obj))
        return bytearray(value)

    async def read_gatt_descriptor(self, descriptor: BleakGATTDescriptor, *,
                                   use_cached: bool = False, **kwargs: Any) -> bytearray:
        value = await self._gatt("read", self._require_peer().read_value(descriptor.handle))
        return bytearray(value)

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: Any,
                              response: bool) -> None:
        peer = self._require_peer()
        await self._gatt("write", peer.write_value(characteristic.obj, bytes(data),
                                                   with_response=response))

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        peer = self._require_peer()
        await self._gatt("write", peer.write_value(descriptor.handle, bytes(data),
                                                   with_response=True))

    async def start_notify(self, characteristic: BleakGATTCharacteristic,
                           callback: NotifyCallback, **kwargs: Any) -> None:
        def on_value(value: bytes) -> None:
            callback(bytearray(value))

        self._subscriptions[characteristic.handle] = on_value
        await self._gatt("subscribe", self._require_peer().subscribe(characteristic.obj, on_value))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        on_value = self._subscriptions.pop(characteristic.handle, None)
        await self._gatt("unsubscribe",
                         self._require_peer().unsubscribe(characteristic.obj, on_value))


def _really_cancelled() -> bool:
    """True when the current task itself is being cancelled (not a dropped GATT request)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
