"""The gateway's link to the body: device profiles, packet decoders, timing and the BLE collector.

Pure parts (no I/O): :mod:`collector.profiles`, :mod:`collector.decode`,
:mod:`collector.encode`, :mod:`collector.timing`, :mod:`collector.cheader`.
The BLE shell (bleak) lives in :mod:`collector.link`; the virtual sensor and the
bumble-based bleak backend in :mod:`collector.virtual_sensor` and
:mod:`collector.bumble_backend`.
"""
