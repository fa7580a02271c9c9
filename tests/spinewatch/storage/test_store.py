"""The local store: durable, idempotent, ordered, and readable without a server."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from spinewatch.errors import StorageError
from spinewatch.storage.lineprotocol import Point, encode_point
from spinewatch.storage.schema import make_point
from spinewatch.storage.store import LocalStore, Rejected


def angle(t_s: int, flexion: float = 10.0, patient: str = "p1") -> Point:
    return make_point(
        "trunk_angles", t_s * 10**9, patient=patient, device="d1", flexion_deg=flexion
    )


def test_store_is_wal_with_full_sync(tmp_path: Path) -> None:
    with LocalStore(tmp_path / "s.sqlite") as store:
        assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_points_read_back_equal_with_types(tmp_path: Path) -> None:
    points = [
        angle(1),
        make_point("steps", 2 * 10**9, patient="p1", device="d1", count=12, interval_s=10),
        make_point(
            "events",
            3 * 10**9,
            patient="p1",
            device="d1",
            tags={"kind": "lift", "profile": "f"},
            violates_profile=True,
            technique='stoop "deep"',
            peak_flexion_deg=55.5,
        ),
    ]
    with LocalStore(tmp_path / "s.sqlite") as store:
        assert store.append(points) == 3
    with LocalStore(tmp_path / "s.sqlite") as store:
        got = [p for m in store.measurements() for p in store.query(m)]
    assert sorted(got, key=lambda p: p.time_ns) == points
    assert isinstance(got[0].fields.get("count", 0), int)


def test_writing_the_same_point_twice_is_one_point(tmp_path: Path) -> None:
    with LocalStore(tmp_path / "s.sqlite") as store:
        assert store.append([angle(1), angle(2)]) == 2
        assert store.append([angle(1)]) == 0
        assert store.status("t").stored == 2
        assert [r.id for r in store.pending("t", 10)] == [1, 2]


def test_a_changed_point_replaces_the_old_and_is_sent_again(tmp_path: Path) -> None:
    with LocalStore(tmp_path / "s.sqlite") as store:
        store.append([angle(1), angle(2)])
        store.acknowledge("t", 2)
        assert store.append([angle(1, flexion=20.0)]) == 1
        rows = store.pending("t", 10)
        assert len(rows) == 1 and rows[0].id > 2
        assert rows[0].line == encode_point(angle(1, flexion=20.0))
        assert store.query("trunk_angles")[0].fields["flexion_deg"] == 20.0


def test_ids_only_grow_even_after_deleting_the_newest(tmp_path: Path) -> None:
    with LocalStore(tmp_path / "s.sqlite") as store:
        store.append([angle(1), angle(2)])
        store._db.execute("DELETE FROM outbox WHERE id = 2")
        store.append([angle(3)])
        assert [r.id for r in store.pending("t", 10)] == [1, 3]


def test_a_bad_point_stores_nothing_of_its_call(tmp_path: Path) -> None:
    bad = Point("trunk_angles", {"patient": "p"}, {"flexion_deg": float("nan")}, 5)
    with LocalStore(tmp_path / "s.sqlite") as store:
        with pytest.raises(StorageError):
            store.append([angle(1), bad])
        assert store.status("t").stored == 0


def test_query_by_time_range_and_tags(tmp_path: Path) -> None:
    with LocalStore(tmp_path / "s.sqlite") as store:
        store.append([angle(t, patient=p) for t in range(10) for p in ("a", "b")])
        got = store.query("trunk_angles", 2 * 10**9, 5 * 10**9, tags={"patient": "b"})
        assert [p.time_ns // 10**9 for p in got] == [2, 3, 4]
        assert {p.tags["patient"] for p in got} == {"b"}
        assert store.query("nothing") == []


def test_cursor_quarantine_and_status(tmp_path: Path) -> None:
    with LocalStore(tmp_path / "s.sqlite") as store:
        store.append([angle(t) for t in range(5)])
        assert len(store.pending("t", 2)) == 2
        store.acknowledge("t", 3, [Rejected(2, 400, "field type conflict", "x")], now_ns=7)
        store.acknowledge("t", 1, now_ns=7)  # never moves back
        assert store.cursor("t") == 3
        assert [r.id for r in store.pending("t", 10)] == [4, 5]
        assert store.cursor("other") == 0
        store.record_error("t", "connection refused", now_ns=9)
        status = store.status("t")
        assert (status.backlog, status.acked_id, status.quarantined) == (2, 3, 1)
        assert (status.last_success_ns, status.last_error) == (7, "connection refused")
        assert store.quarantined("t") == [Rejected(2, 400, "field type conflict", "x")]


def test_unwritable_store_is_a_project_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError, match="cannot open"):
        LocalStore(tmp_path / "file" / "s.sqlite")


def test_a_committed_point_survives_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    code = (
        "import os, signal\n"
        "from spinewatch.storage.store import LocalStore\n"
        "from spinewatch.storage.schema import make_point\n"
        f"s = LocalStore({str(path)!r})\n"
        "s.append([make_point('steps', i, patient='p', device='d', count=i) for i in range(100)])\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False, timeout=60)
    assert done.returncode == -9
    with LocalStore(path) as store:
        assert len(store.query("steps")) == 100
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_make_point_checks_the_schema() -> None:
    with pytest.raises(StorageError, match="pseudonymous"):
        make_point("steps", 1, patient="Jane Doe", device="d", count=1)
    with pytest.raises(StorageError, match="unknown measurement"):
        make_point("nope", 1, patient="p", device="d", x=1)
    with pytest.raises(StorageError, match="unknown field"):
        make_point("steps", 1, patient="p", device="d", weight_kg=1.0)
    with pytest.raises(StorageError, match="must be int"):
        make_point("steps", 1, patient="p", device="d", count=1.5)
    with pytest.raises(StorageError, match="unknown tags"):
        make_point("steps", 1, patient="p", device="d", tags={"name": "x"})


def test_schema_doc_lists_every_measurement_field_and_tag() -> None:
    from spinewatch.storage.schema import MEASUREMENTS

    doc = (Path(__file__).parents[3] / "spinewatch" / "storage" / "SCHEMA.md").read_text()
    rows = {line.split("|")[1].strip(" `"): line for line in doc.splitlines() if "| `" in line}
    assert set(rows) == set(MEASUREMENTS)
    for name, spec in MEASUREMENTS.items():
        row = rows[name]
        assert f"| {spec.retention} |" in row
        for key in [*spec.fields, *spec.tags]:
            assert f"`{key}`" in row, (name, key)


def test_batch_bodies_by_retention_class_and_sync_restored(tmp_path: Path) -> None:
    with LocalStore(tmp_path / "s.sqlite") as store:
        store.append([angle(1), make_point("steps", 5, patient="p1", device="d1", count=3)])
        store.append([angle(2)])
        batch = store.batch_after(0, 10)
        assert (batch.after_id, batch.last_id, batch.count) == (0, 3, 3)
        assert list(batch.bodies) == ["raw", "long"]
        assert sorted(batch.bodies["raw"].decode().splitlines()) == [
            encode_point(angle(1)),
            encode_point(angle(2)),
        ]
        assert batch.bodies["long"].endswith(b" count=3i 5\n")
        assert store.batch_after(3, 10).count == 0
        store.acknowledge("t", 3)
        assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL again


def test_store_check_reports_a_damaged_file(tmp_path: Path) -> None:
    from spinewatch.storage.checks import check_store

    path = tmp_path / "s.sqlite"
    assert check_store(path).ok
    path.unlink()
    path.write_bytes(b"this is not a database" * 200)
    check = check_store(path)
    assert not check.ok and "not a database" in check.detail and check.advice
