"""End to end over bumble's virtual BLE link: virtual sensor → bleak (bumble backend) → collector.

The virtual sensor records exactly which samples it delivered intact; the
collector must receive all of them, in order, and report the others as gaps.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from pathlib import Path

import numpy as np
import pytest
from collector_factories import PROFILE_NAMES

from collector.link import BACKOFF_MAX_S, Collector, backoff_s
from collector.profiles import load_profile
from collector.virtual_run import VirtualSession, run_virtual
from collector.virtual_sensor import ArraySource, Faults
from spinewatch.errors import CollectorError
from spinewatch.recordings import read_recording

logging.getLogger("bumble").setLevel(logging.ERROR)


def index_source(n: int = 500) -> ArraySource:
    """acc x encodes the sample index (0.05 m/s² per index, repeating every n)."""
    i = np.arange(n, dtype=np.float64)
    acc = np.column_stack([i * 0.05 - 12.0, np.zeros(n), np.full(n, 9.81)])
    gyr = np.column_stack([np.zeros(n), np.sin(i / 50), np.zeros(n)])
    return ArraySource(acc, gyr)


def delivered_indices(session: VirtualSession) -> np.ndarray:
    return np.concatenate([np.arange(f, f + n) for f, n in session.sensor.log.delivered])


def received(session: VirtualSession) -> tuple[np.ndarray, np.ndarray]:
    """(first index of each chunk, acc x of every sample)."""
    firsts = np.array([c.first_index for c in session.chunks])
    acc_x = np.concatenate([c.samples.acc_mps2[:, 0] for c in session.chunks])
    return firsts, acc_x


def true_gaps(session: VirtualSession) -> list[tuple[int, int]]:
    """(index, missing) between consecutive delivered packets."""
    out = []
    log = session.sensor.log.delivered
    for (f0, n0), (f1, _) in itertools.pairwise(log):
        if f1 != f0 + n0:
            out.append((f0 + n0, f1 - f0 - n0))
    return out


def run(name: str, duration_s: float, speed: float, faults: Faults | None = None,
        rate_hz: int | None = None, out: Path | None = None) -> VirtualSession:
    return asyncio.run(run_virtual(load_profile(name), index_source(), duration_s=duration_s,
                                   speed=speed, rate_hz=rate_hz, faults=faults, out=out))


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_every_profile_streams_all_samples_in_order(name: str, tmp_path: Path) -> None:
    rate = {"thingy52": 50, "witmotion_bwt901ble": 50, "movesense_gsp": 52}.get(name, 100)
    session = run(name, duration_s=8.0, speed=4.0, rate_hz=rate, out=tmp_path / "rec.csv")
    sent = delivered_indices(session)
    firsts, acc_x = received(session)
    assert len(sent) > 6 * rate * 0.8
    assert len(acc_x) == len(sent)  # every delivered sample arrived, none invented
    expected = (sent % 500) * 0.05 - 12.0
    np.testing.assert_allclose(acc_x, expected, atol=0.03)  # same samples, same order
    assert np.all(np.diff(firsts) > 0)
    t = np.concatenate([c.samples.t_s for c in session.chunks])
    assert np.all(np.diff(t) > 0)
    assert session.collector.processor.counts.malformed_total == 0
    rec = read_recording(tmp_path / "rec.csv")
    assert len(rec) == len(sent)
    packets = (tmp_path / "rec.packets.csv").read_text().splitlines()
    assert packets[0].startswith("first_row,n,counter,sensor_ticks")
    assert len(packets) - 1 == len(session.chunks)


def test_five_minutes_at_100_hz_with_a_drop_every_20_s() -> None:
    # The acceptance scenario, 20x faster than real time.
    session = run("spinewatch_ref", duration_s=300.0, speed=20.0,
                  faults=Faults(drop_every_s=20.0, outage_s=1.0))
    log = session.sensor.log
    assert log.drops >= 13
    sent = delivered_indices(session)
    _firsts, acc_x = received(session)
    assert len(acc_x) == len(sent)
    np.testing.assert_allclose(acc_x, (sent % 500) * 0.05 - 12.0, atol=0.03)
    first = int(sent[0])  # the collector numbers samples from the first one it received
    reported = [(g.index + first, g.missing) for g in session.collector.processor.timeline.gaps]
    truth = true_gaps(session)
    assert len(truth) >= 13 and len(reported) == len(truth)
    for (ri, rm), (ti, tm) in zip(reported, truth, strict=True):
        assert abs(ri - ti) <= 1 and abs(rm - tm) <= 1  # within one sample period
    # Every drop, and the sensor's power-off at the end, was a logged loss and recovery.
    assert session.collector.stats.losses == log.drops + 1
    assert session.collector.stats.connections == log.drops + 1


def test_corrupt_and_lost_notifications_are_counted_and_become_gaps() -> None:
    session = run("spinewatch_ref", duration_s=14.0, speed=5.0,
                  faults=Faults(corrupt_every=20, lose_every=30, jitter_s=0.004))
    log = session.sensor.log
    counts = session.collector.processor.counts
    assert log.corrupted > 3 and log.lost_notifications > 2
    assert counts.malformed == {"length": log.corrupted}
    sent = delivered_indices(session)
    _, acc_x = received(session)
    assert len(acc_x) == len(sent)
    first = int(sent[0])
    reported = [(g.index + first, g.missing) for g in session.collector.processor.timeline.gaps]
    assert reported == true_gaps(session)


def test_low_battery_flag_and_level_reach_the_collector() -> None:
    session = run("spinewatch_ref", duration_s=3.0, speed=4.0, faults=Faults(battery_pct=9))
    packet = session.chunks[-1].packet
    assert packet.battery_pct == 9 and packet.low_battery is True and packet.worn is True


def test_haptic_command_reaches_the_sensor() -> None:
    async def buzz(collector: Collector) -> None:
        while collector.processor.counts.packets == 0:
            await asyncio.sleep(0.01)
        await collector.send_haptic(80, 250)

    session = asyncio.run(run_virtual(load_profile("spinewatch_ref"), index_source(),
                                      duration_s=2.0, speed=2.0, during=buzz))
    writes = session.sensor.log.control_writes
    assert writes[0][0] == 0x01 and writes[1] == b"\x02"  # configured, then started
    assert bytes([0x10, 80, 250, 0]) in writes


def test_haptic_on_a_sensor_without_a_motor_is_a_collector_error() -> None:
    collector = Collector(load_profile("thingy52"), "AA", allowed=frozenset({"aa"}))
    with pytest.raises(CollectorError, match="no haptic output"):
        asyncio.run(collector.send_haptic())


def test_only_allowed_devices_are_collected() -> None:
    with pytest.raises(CollectorError, match="not in the allowed list"):
        Collector(load_profile("thingy52"), "11:22:33:44:55:66", allowed=frozenset({"AA"}))


def test_backoff_grows_to_a_ceiling() -> None:
    waits = [backoff_s(k) for k in range(0, 12)]
    assert waits[0] == 0.0 and waits[1] == 0.5 and waits[2] == 1.0
    assert all(a <= b for a, b in itertools.pairwise(waits))
    assert waits[-1] == BACKOFF_MAX_S


@pytest.mark.parametrize(("name", "rate", "source", "tolerance"),
                         [("thingy52", 50, "arrival", 2), ("movesense_gsp", 52, "timestamp", 1)])
def test_drops_without_a_counter_are_found_from_timestamps_or_arrival(
        name: str, rate: int, source: str, tolerance: int) -> None:
    session = run(name, duration_s=26.0, speed=8.0, rate_hz=rate,
                  faults=Faults(drop_every_s=8.0, outage_s=2.0))
    sent = delivered_indices(session)
    _, acc_x = received(session)
    assert len(acc_x) == len(sent)
    first = int(sent[0])
    gaps = session.collector.processor.timeline.gaps
    truth = true_gaps(session)
    assert len(truth) >= 2 and len(gaps) == len(truth)
    for g, (index, missing) in zip(gaps, truth, strict=True):
        assert g.source == source
        assert abs(g.index + first - index) <= tolerance and abs(g.missing - missing) <= tolerance
