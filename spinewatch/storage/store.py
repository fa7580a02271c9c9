"""The gateway's durable local store: every result is committed here before it is acknowledged.

One SQLite file in WAL mode holds:

* ``outbox``: every point, with an ``AUTOINCREMENT`` id that only grows (SQLite
  never reuses such an id, and writers are serialised, so ids follow commit
  order). A point is identified by its series (measurement + sorted tags) and
  its time, as in InfluxDB: storing it again with the same content changes
  nothing; storing it with other fields replaces it under a new id, so the
  uploader sends the new version (InfluxDB would overwrite it the same way).
* ``upload_state``: per upload target, the acknowledged cursor (every id ≤ it
  is either in the server or quarantined), the last success and last error.
* ``quarantine``: points a target refused (HTTP 400 and the like), with the
  server's message; they are not retried and not dropped.

Durability: ``synchronous=FULL`` with WAL syncs the WAL at every commit, so a
committed point survives a power cut, which a gateway on a patient's home
power or battery must expect; ``NORMAL`` would only survive a process crash
and may lose the last commits on power loss. The cost is one fsync per
commit, so producers should commit a chunk of results at once
(:meth:`LocalStore.append` takes many points); the benchmark measures both.

The store is also the embedded default: :meth:`LocalStore.query` reads points
back by measurement, time range and tags without any server.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NamedTuple

from spinewatch.errors import StorageError
from spinewatch.storage.lineprotocol import FieldValue, Point, series_and_line
from spinewatch.storage.schema import RETENTION_CLASSES, retention_of

BUSY_TIMEOUT_MS: Final = 10_000
SCHEMA_VERSION: Final = 1

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    measurement TEXT NOT NULL,
    series TEXT NOT NULL,
    time_ns INTEGER NOT NULL,
    retention TEXT NOT NULL,
    tags TEXT NOT NULL,
    fields TEXT NOT NULL,
    line TEXT NOT NULL,
    UNIQUE (series, time_ns)
);
CREATE INDEX IF NOT EXISTS outbox_by_time ON outbox (measurement, time_ns);
CREATE TABLE IF NOT EXISTS upload_state (
    target TEXT PRIMARY KEY,
    acked_id INTEGER NOT NULL DEFAULT 0,
    last_success_ns INTEGER,
    last_error TEXT,
    last_error_ns INTEGER
);
CREATE TABLE IF NOT EXISTS quarantine (
    target TEXT NOT NULL,
    point_id INTEGER NOT NULL,
    status INTEGER,
    message TEXT NOT NULL,
    at_ns INTEGER NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (target, point_id)
);
"""


_INSERT_NEW: Final = (
    "INSERT OR IGNORE INTO outbox (measurement, series, time_ns, retention, tags, fields, line)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)


_BATCH_SQL: Final = (
    "SELECT "
    + "".join(
        f"group_concat(line, char(10)) FILTER (WHERE retention = '{cls}'), "
        for cls in RETENTION_CLASSES
    )
    + "count(*), max(id) FROM (SELECT id, line, retention FROM outbox WHERE id > ?"
    " ORDER BY id LIMIT ?)"
)


class OutboxRow(NamedTuple):
    """One stored point as the uploader sees it: id, encoded line, retention class."""

    id: int
    line: str
    retention: str


@dataclass(frozen=True, slots=True)
class Batch:
    """Points ``after_id < id <= last_id`` as line-protocol bodies by retention class."""

    after_id: int
    last_id: int
    count: int
    bodies: Mapping[str, bytes]


@dataclass(frozen=True, slots=True)
class Rejected:
    """A point a target refused: its outbox id, the HTTP status and the server's message."""

    point_id: int
    status: int | None
    message: str
    line: str = ""


@dataclass(frozen=True, slots=True)
class UploadStatus:
    """What ``spinewatch upload --status`` shows for one target."""

    target: str
    stored: int
    last_id: int
    acked_id: int
    backlog: int
    last_success_ns: int | None
    last_error: str | None
    last_error_ns: int | None
    quarantined: int


def _now_ns() -> int:
    return time.time_ns()


class LocalStore:
    """The SQLite store at ``path`` (created with its folder if missing).

    One thread at a time per instance; several instances and processes may
    open the same file (a producer and the uploader), SQLite serialises
    their writes.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Usable from another thread, one thread at a time (the uploader reads ahead).
            self._db = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StorageError("cannot switch the store to WAL mode", where=str(self.path))
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(
                f"cannot open the local store: {exc}",
                where=str(self.path),
                advice="check the folder exists, is writable and the disk is not full",
            ) from exc

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> LocalStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _fail(self, action: str, exc: sqlite3.Error) -> StorageError:
        return StorageError(
            f"{action} failed: {exc}",
            where=str(self.path),
            advice="check free disk space and that no other program locks the file",
        )

    # ------------------------------------------------------------------ writing

    def append(self, points: Iterable[Point]) -> int:
        """Commit ``points`` durably in one transaction; the number newly stored.

        Every point is encoded first, so an unrepresentable one raises
        :class:`StorageError` and nothing of the call is stored. When this
        returns, the points are on disk (fsynced).
        """
        rows = []
        for p in points:
            series, line = series_and_line(p)
            rows.append(
                (
                    p.measurement,
                    series,
                    p.time_ns,
                    retention_of(p.measurement),
                    json.dumps(p.tags, ensure_ascii=False, sort_keys=True),
                    json.dumps(p.fields, ensure_ascii=False, sort_keys=True),
                    line,
                )
            )
        added = 0
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                before = self._db.total_changes
                self._db.executemany(_INSERT_NEW, rows)
                added = self._db.total_changes - before
                if added != len(rows):  # some were there already: same point, or replaced
                    added = sum(self._put(row) for row in rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise self._fail("storing results", exc) from exc
        return added

    def _put(self, row: tuple[Any, ...]) -> int:
        cur = self._db.execute(_INSERT_NEW, row)
        if cur.rowcount == 1:
            return 1
        old = self._db.execute(
            "SELECT line FROM outbox WHERE series = ? AND time_ns = ?", (row[1], row[2])
        ).fetchone()
        if old is not None and old[0] == row[6]:
            return 0  # the same point again: idempotent
        self._db.execute("DELETE FROM outbox WHERE series = ? AND time_ns = ?", (row[1], row[2]))
        self._db.execute(
            "INSERT INTO outbox (measurement, series, time_ns, retention, tags, fields, line)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            row,
        )
        return 1

    # ------------------------------------------------------------------ reading

    def query(
        self,
        measurement: str,
        start_ns: int | None = None,
        end_ns: int | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> list[Point]:
        """Points of ``measurement`` with ``start_ns <= time < end_ns``, by time.

        ``tags`` keeps only points having all those tag values. Times are
        nanoseconds since the Unix epoch; ``None`` leaves that end open.
        """
        rows = self._select("tags, fields, time_ns", measurement, start_ns, end_ns, tags)
        out = []
        for tag_text, field_text, time_ns in rows:
            fields: dict[str, FieldValue] = json.loads(field_text)
            out.append(Point(measurement, json.loads(tag_text), fields, time_ns))
        return out

    def columns(
        self,
        measurement: str,
        names: Sequence[str],
        start_ns: int | None = None,
        end_ns: int | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> tuple[list[int], dict[str, list[Any]]]:
        """:meth:`query`'s points as columns: times (ns) and the fields ``names``.

        A field a point lacks is None; booleans come back as 1/0. The fields are
        decoded inside SQLite, without a :class:`Point` per row, so a day of
        10 Hz angles (864 000 rows) reads in about a second.
        """
        picks = "".join(f", json_extract(fields, {self._path(n)})" for n in names)
        rows = self._select("time_ns" + picks, measurement, start_ns, end_ns, tags)
        return [r[0] for r in rows], {n: [r[k + 1] for r in rows] for k, n in enumerate(names)}

    @staticmethod
    def _path(key: str) -> str:
        """A JSON path literal for SQL naming ``key`` (quoted as a JSON string)."""
        return "'$." + json.dumps(key).replace("'", "''") + "'"

    def _select(
        self,
        what: str,
        measurement: str,
        start_ns: int | None,
        end_ns: int | None,
        tags: Mapping[str, str] | None,
    ) -> list[Any]:
        sql = f"SELECT {what} FROM outbox WHERE measurement = ?"
        args: list[Any] = [measurement]
        if start_ns is not None:
            sql += " AND time_ns >= ?"
            args.append(start_ns)
        if end_ns is not None:
            sql += " AND time_ns < ?"
            args.append(end_ns)
        for key, value in (tags or {}).items():
            sql += " AND json_extract(tags, ?) = ?"
            args += [f"$.{json.dumps(key)}", value]
        try:
            return self._db.execute(sql + " ORDER BY time_ns, id", args).fetchall()
        except sqlite3.Error as exc:
            raise self._fail("reading results", exc) from exc

    def health(self) -> str:
        """``"ok"`` when the file is intact and writable now; SQLite's finding otherwise."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("ROLLBACK")
            return str(self._db.execute("PRAGMA quick_check").fetchone()[0])
        except sqlite3.Error as exc:
            raise self._fail("checking the store", exc) from exc

    def measurements(self) -> list[str]:
        """The measurements present in the store, sorted."""
        rows = self._db.execute("SELECT DISTINCT measurement FROM outbox ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    # ------------------------------------------------------------------ upload bookkeeping

    def cursor(self, target: str) -> int:
        """The highest outbox id acknowledged (uploaded or quarantined) for ``target``."""
        row = self._db.execute(
            "SELECT acked_id FROM upload_state WHERE target = ?", (target,)
        ).fetchone()
        return int(row[0]) if row else 0

    def pending(self, target: str, limit: int) -> list[OutboxRow]:
        """Up to ``limit`` points after ``target``'s cursor, in id order."""
        return self.rows_after(self.cursor(target), limit)

    def rows_after(self, after_id: int, limit: int) -> list[OutboxRow]:
        """Up to ``limit`` points with ids above ``after_id``, in id order."""
        try:
            rows = self._db.execute(
                "SELECT id, line, retention FROM outbox WHERE id > ? ORDER BY id LIMIT ?",
                (after_id, limit),
            ).fetchall()
        except sqlite3.Error as exc:
            raise self._fail("reading the outbox", exc) from exc
        return [OutboxRow._make(row) for row in rows]

    def batch_after(self, after_id: int, limit: int) -> Batch:
        """The next ``limit`` points after ``after_id`` as request bodies, one per retention class.

        The bodies are joined inside SQLite in one scan (an aggregate per
        retention class), so a batch costs the uploader little CPU, which on
        a small gateway sharing cores with others matters.
        """
        try:
            row = self._db.execute(_BATCH_SQL, (after_id, limit)).fetchone()
        except sqlite3.Error as exc:
            raise self._fail("reading the outbox", exc) from exc
        *bodies, count, last_id = row
        return Batch(
            after_id=after_id,
            last_id=int(last_id or after_id),
            count=int(count),
            bodies={
                cls: (body + "\n").encode("utf-8")
                for cls, body in zip(RETENTION_CLASSES, bodies, strict=True)
                if body is not None
            },
        )

    def acknowledge(
        self, target: str, up_to_id: int, rejected: Sequence[Rejected] = (), now_ns: int = 0
    ) -> None:
        """In one transaction: quarantine ``rejected`` and move the cursor to ``up_to_id``.

        The cursor never moves back. ``now_ns`` defaults to the current time.
        """
        now_ns = now_ns or _now_ns()
        # Not fsynced: a power cut may move the cursor back, and the batch is sent again,
        # which is harmless (the same points); results themselves are always FULL-synced.
        self._db.execute("PRAGMA synchronous = NORMAL")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO quarantine VALUES (?, ?, ?, ?, ?, ?)",
                    [(target, r.point_id, r.status, r.message, now_ns, r.line) for r in rejected],
                )
                self._db.execute(
                    "INSERT INTO upload_state (target, acked_id, last_success_ns) VALUES (?, ?, ?)"
                    " ON CONFLICT (target) DO UPDATE SET"
                    " acked_id = max(acked_id, excluded.acked_id),"
                    " last_success_ns = excluded.last_success_ns",
                    (target, up_to_id, now_ns),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise self._fail("recording the upload", exc) from exc
        finally:
            self._db.execute("PRAGMA synchronous = FULL")

    def record_error(self, target: str, message: str, now_ns: int = 0) -> None:
        """Remember the last upload error for ``--status`` (the cursor stays)."""
        try:
            self._db.execute(
                "INSERT INTO upload_state (target, last_error, last_error_ns) VALUES (?, ?, ?)"
                " ON CONFLICT (target) DO UPDATE SET last_error = excluded.last_error,"
                " last_error_ns = excluded.last_error_ns",
                (target, message, now_ns or _now_ns()),
            )
        except sqlite3.Error as exc:
            raise self._fail("recording the upload error", exc) from exc

    def quarantined(self, target: str) -> list[Rejected]:
        """The points ``target`` refused, in id order, with the server's messages."""
        rows = self._db.execute(
            "SELECT point_id, status, message, line FROM quarantine WHERE target = ?"
            " ORDER BY point_id",
            (target,),
        ).fetchall()
        return [Rejected(int(i), s, str(m), str(line)) for i, s, m, line in rows]

    def status(self, target: str) -> UploadStatus:
        """Backlog, last success and error, and the quarantine count of ``target``."""
        stored, last_id = self._db.execute("SELECT count(*), max(id) FROM outbox").fetchone()
        state = self._db.execute(
            "SELECT acked_id, last_success_ns, last_error, last_error_ns FROM upload_state"
            " WHERE target = ?",
            (target,),
        ).fetchone() or (0, None, None, None)
        backlog = self._db.execute(
            "SELECT count(*) FROM outbox WHERE id > ?", (state[0],)
        ).fetchone()[0]
        quarantined = self._db.execute(
            "SELECT count(*) FROM quarantine WHERE target = ?", (target,)
        ).fetchone()[0]
        return UploadStatus(
            target=target,
            stored=int(stored),
            last_id=int(last_id or 0),
            acked_id=int(state[0]),
            backlog=int(backlog),
            last_success_ns=state[1],
            last_error=state[2],
            last_error_ns=state[3],
            quarantined=int(quarantined),
        )
