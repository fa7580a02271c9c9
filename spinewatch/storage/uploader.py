"""The uploader: drains the local store to InfluxDB in batches, losing nothing.

For each batch after the target's cursor (oldest first) it POSTs the
points' line protocol, grouped by retention class, to:

* API 1: ``/write?db=…&rp=…&precision=ns``, HTTP basic auth when a user is set;
* API 2: ``/api/v2/write?org=…&bucket=…&precision=ns`` with ``Authorization: Token …``.

Then, in one local transaction, it quarantines what the server refused and
moves the cursor past the batch. A crash at any moment (even SIGKILL) leaves
the cursor before the batch, which is sent again on restart; InfluxDB
stores a point by series and time, so sending it twice is the same point.

Answers (see :mod:`spinewatch.storage.backoff`): 2xx → done; 400/413/422 →
the batch is split in halves and each half sent again until the refused
points are isolated, then quarantined with the server's message (1.x's
partial writes keep the good points, so re-sending them is harmless); 401/403
or 404 → :class:`UploadError` with advice, nothing retried; anything else,
or no answer → retried after a jittered exponential backoff or the server's
``Retry-After``.
"""

from __future__ import annotations

import random
import time
import urllib.parse
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

from spinewatch.errors import UploadError
from spinewatch.storage.backoff import Outcome, classify, retry_delay_s
from spinewatch.storage.http import HttpTransport, Response, Transport, basic_auth
from spinewatch.storage.lineprotocol import encode_lines
from spinewatch.storage.settings import StorageSettings
from spinewatch.storage.store import Batch, LocalStore, OutboxRow, Rejected

AUTH_ADVICE: Final = {
    1: "check storage.user and storage.password (or password_file), and that the user has "
    "WRITE on the database",
    2: "check storage.token (or token_file) and that it may write to the bucket",
}
NOT_FOUND_ADVICE: Final = {
    1: "create the database (CREATE DATABASE), or check storage.database, retention_policy and "
    "url; an InfluxDB 2.x/3.x server needs api_version = 2",
    2: "check storage.bucket, org and url; InfluxDB 1.7 and older need api_version = 1",
}


class UploadStopped(UploadError):
    """The uploader was asked to stop (``should_stop``) while waiting to retry."""


@dataclass(frozen=True, slots=True)
class DrainReport:
    """What one drain did: points acknowledged (sent + quarantined), quarantined, batches."""

    acknowledged: int
    quarantined: int
    batches: int


def target_name(settings: StorageSettings) -> str:
    """The name under which the store keeps this server's cursor: URL, API and database."""
    where = settings.database if settings.api_version == 1 else f"{settings.org}/{settings.bucket}"
    return f"{settings.url} v{settings.api_version} {where}"


def write_path(settings: StorageSettings, retention: str) -> str:
    """The write path and query for points of retention class ``retention`` ('raw'/'long')."""
    raw = retention == "raw"
    if settings.api_version == 1:
        params = {"db": settings.database, "precision": "ns"}
        rp = (settings.raw_retention_policy if raw else None) or settings.retention_policy
        if rp:
            params["rp"] = rp
        return "/write?" + urllib.parse.urlencode(params)
    params = {"precision": "ns"}
    if settings.org:
        params["org"] = settings.org
    params["bucket"] = ((settings.raw_bucket if raw else None) or settings.bucket) or ""
    return "/api/v2/write?" + urllib.parse.urlencode(params)


def auth_headers(settings: StorageSettings) -> dict[str, str]:
    """The Authorization header for the configured credentials (none without any)."""
    if settings.api_version == 2 and settings.token:
        return {"Authorization": "Token " + settings.token.reveal()}
    if settings.api_version == 1 and settings.user:
        password = settings.password.reveal() if settings.password else ""
        return {"Authorization": basic_auth(settings.user, password)}
    return {}


class Uploader:
    """Uploads ``store`` to the server of ``settings``.

    ``transport``, ``sleep``, ``random_unit`` and ``clock_s`` are injectable for
    tests; by default a keep-alive :class:`HttpTransport`, :func:`time.sleep`,
    :func:`random.random` and :func:`time.monotonic`. ``should_stop`` is asked
    after each wait between retries; when true, :class:`UploadStopped` is raised.
    """

    def __init__(
        self,
        store: LocalStore,
        settings: StorageSettings,
        *,
        transport: Transport | None = None,
        sleep: Callable[[float], object] = time.sleep,
        random_unit: Callable[[], float] = random.random,
        clock_s: Callable[[], float] = time.monotonic,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> None:
        if settings.url is None:
            raise UploadError(
                "no server configured",
                where="storage.url",
                advice="set storage.url (results stay in the local store until then)",
            )
        self.store = store
        self.settings = settings
        self.target = target_name(settings)
        self.transport = transport or HttpTransport(
            settings.url, settings.timeout_s, settings.ca_file
        )
        self._sleep = sleep
        self._random = random_unit
        self._clock = clock_s
        self._should_stop = should_stop
        self._headers = {"Content-Type": "text/plain; charset=utf-8", **auth_headers(settings)}
        self._deadline: float | None = None
        self._reader: LocalStore | None = None

    def close(self) -> None:
        self.transport.close()
        if self._reader is not None:
            self._reader.close()

    # ------------------------------------------------------------------ public

    def drain(
        self, *, give_up_after_s: float | None = None, max_batches: int | None = None
    ) -> DrainReport:
        """Upload every pending point (or ``max_batches`` batches), oldest first.

        Failures without an answer are retried until ``give_up_after_s`` of
        retrying (``None``: forever), then :class:`UploadError`; the points
        stay in the store for the next run. While a batch is in flight the
        next one is read from the store (a second connection, in a thread),
        so the server rarely waits for the gateway.
        """
        acknowledged = quarantined = batches = 0
        size = self.settings.batch_size
        batch = self.store.batch_after(self.store.cursor(self.target), size)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as pool:
            while batch.count and (max_batches is None or batches < max_batches):
                self._deadline = (
                    None if give_up_after_s is None else self._clock() + give_up_after_s
                )
                ahead = pool.submit(self._read_ahead, batch.last_id)
                rejected = self.upload_batch(batch)
                acknowledged += batch.count
                quarantined += len(rejected)
                batches += 1
                batch = ahead.result()
        return DrainReport(acknowledged, quarantined, batches)

    def upload_batch(self, batch: Batch) -> list[Rejected]:
        """Send one batch, then acknowledge it; the points the server refused."""
        rejected: list[Rejected] = []
        for retention, body in batch.bodies.items():

            def rows(retention: str = retention) -> list[OutboxRow]:
                every = self.store.rows_after(batch.after_id, batch.count)
                return [r for r in every if r.retention == retention and r.id <= batch.last_id]

            self._send(write_path(self.settings, retention), body, rows, rejected)
        self.store.acknowledge(self.target, batch.last_id, rejected)
        return rejected

    def _read_ahead(self, after_id: int) -> Batch:
        if self._reader is None:
            self._reader = LocalStore(self.store.path)
        return self._reader.batch_after(after_id, self.settings.batch_size)

    # ------------------------------------------------------------------ internals

    def _send(
        self,
        path: str,
        body: bytes,
        rows: Callable[[], Sequence[OutboxRow]],
        rejected: list[Rejected],
    ) -> None:
        """POST ``body``; on a refusal, halve ``rows()`` until the refused points are found."""
        response = self._post(path, body)
        outcome = classify(response.status)
        if outcome is Outcome.OK:
            return
        if outcome is Outcome.REJECTED:
            lines = rows()
            if not lines:
                return  # replaced meanwhile: the new versions are sent later
            if len(lines) == 1:
                only = lines[0]
                rejected.append(Rejected(only.id, response.status, response.message, only.line))
                return
            half = len(lines) // 2
            for part in (lines[:half], lines[half:]):
                self._send(path, encode_lines(r.line for r in part), _constant(part), rejected)
            return
        version = self.settings.api_version
        self.store.record_error(self.target, f"HTTP {response.status}: {response.message}")
        if outcome is Outcome.AUTH:
            raise UploadError(
                f"the server refused the credentials (HTTP {response.status}: {response.message})",
                where=self.settings.url,
                advice=AUTH_ADVICE[version],
            )
        raise UploadError(
            f"not found (HTTP {response.status}: {response.message})",
            where=f"{self.settings.url}{path.split('?')[0]}",
            advice=NOT_FOUND_ADVICE[version],
        )

    def _post(self, path: str, body: bytes) -> Response:
        """POST until the answer is not one to retry (or the deadline passes)."""
        attempt = 0
        while True:
            response = self.transport.request("POST", path, body, self._headers)
            if classify(response.status) is not Outcome.RETRY:
                return response
            what = f"HTTP {response.status}: " if response.status else ""
            self.store.record_error(self.target, what + response.message)
            delay = retry_delay_s(attempt, self._random(), response.retry_after_s)
            if self._deadline is not None and self._clock() + delay > self._deadline:
                raise UploadError(
                    f"gave up retrying: {what}{response.message}",
                    where=self.settings.url,
                    advice="the results stay in the local store; check the network and the "
                    "server, then run `spinewatch upload` again (or use --follow)",
                )
            self._sleep(delay)
            if self._should_stop():
                raise UploadStopped(
                    "stopped while waiting to retry",
                    where=self.settings.url,
                    advice="the batch stays in the local store and is sent on the next run",
                )
            attempt += 1


def _constant(rows: Sequence[OutboxRow]) -> Callable[[], Sequence[OutboxRow]]:
    return lambda: rows


def follow(
    uploader: Uploader,
    *,
    poll_s: float,
    stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], object] = time.sleep,
) -> DrainReport:
    """Drain, then look again every ``poll_s`` seconds until ``stop()``; retries forever."""
    total = DrainReport(0, 0, 0)
    while not stop():
        report = uploader.drain()
        total = DrainReport(
            total.acknowledged + report.acknowledged,
            total.quarantined + report.quarantined,
            total.batches + report.batches,
        )
        if report.batches == 0:
            sleep(poll_s)
    return total
