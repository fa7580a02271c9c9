"""The clinic's channel: an HTTP POST of each alert as a JSON document.

Stdlib only (``urllib.request`` in a worker thread via ``asyncio.to_thread``):
TLS certificates are verified, redirects are not followed (a redirect could
carry the token elsewhere), each attempt has a timeout, and transient
failures are retried after a backoff computed by the pure
:func:`retry_delay_s`. The bearer token (a :class:`Secret`) is only ever put
in the ``Authorization`` header, never in a log line or an error.

JSON document (``Content-Type: application/json; charset=utf-8``), schema
``spinewatch.alert/1``; times are recording seconds (``*_s``, s since the
recording started) and ISO 8601 UTC (``*_utc``, e.g. ``2025-03-01T09:15:02.250Z``);
a value that does not apply (an open event's end, an unknown angle) is null::

    {
      "schema": "spinewatch.alert/1",
      "alert_id": "<patient_id>:<kind>:<at_s>",   # same on every retry: drop duplicates
      "patient_id": "P-0042",                     # pseudonymous id, never a name
      "kind": "bend",        # bend | lift | twist | lateral_bend | prolonged_sitting | fall
      "level": "warning",    # reminder | warning | clinic | urgent
      "level_rank": 2,       # 1 … 4, the same order
      "audience": ["patient"],                    # who the alert is for: patient, clinic
      "message": "You bent forward 48° for 6 s — your limit is 25°.",
      "suppressed_since_last": 3,                 # events of this kind held back since
      "at_s": 5321.5, "at_utc": "…",              # when the policy decided
      "recording_start_utc": "…",
      "sent_utc": "…",                            # wall clock when this attempt was built
      "event": {
        "type": "bend", "severity": "beyond", "technique": "",
        "peak_deg": 48.0,
        "start_s": 5315.5, "start_utc": "…",
        "end_s": null, "end_utc": null,
        "detected_s": 5321.5, "detected_utc": "…"
      }
    }

Any 2xx answer is success; the body is ignored.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import ipaddress
import json
import random
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Final

from processing.alert_policy import Alert, Audience
from spinewatch.alerts.channels import AlertDeliveryError, NamedChannel
from spinewatch.alerts.records import alert_document, check_start
from spinewatch.config_schema import Secret
from spinewatch.errors import ConfigError

MAX_ATTEMPTS: Final = 3
BACKOFF_BASE_S: Final = 0.5  # wait before the 2nd attempt; doubles each attempt
BACKOFF_FACTOR: Final = 2.0
BACKOFF_MAX_S: Final = 8.0
JITTER_FRACTION: Final = 0.2  # up to 20 % shorter, so that many gateways do not retry in step
RETRY_AFTER_MAX_S: Final = 30.0  # a receiver asking for more is treated as asking for this
RESPONSE_READ_MAX_BYTES: Final = 65_536
TRANSIENT_REASONS: Final = frozenset({"timeout", "connection", "http_429"})
_LOOPBACK_NAMES: Final = frozenset({"localhost"})


def is_transient(reason: str) -> bool:
    """Whether a failure of this kind may go away by itself (worth a retry)."""
    return reason in TRANSIENT_REASONS or (reason.startswith("http_5") and len(reason) == 8)


def retry_delay_s(
    attempt: int,
    reason: str,
    *,
    retry_after_s: float | None = None,
    jitter: float = 0.0,
    max_attempts: int = MAX_ATTEMPTS,
    base_s: float = BACKOFF_BASE_S,
    max_s: float = BACKOFF_MAX_S,
) -> float | None:
    """Seconds to wait after failed attempt ``attempt`` (1-based), or None to give up.

    Exponential backoff ``base_s · 2^(attempt-1)`` capped at ``max_s``, shortened by
    up to ``JITTER_FRACTION`` for ``jitter`` in [0, 1); a receiver's Retry-After
    (s) is honoured up to ``RETRY_AFTER_MAX_S``. Permanent failures (4xx, TLS, a
    nonsense answer) and the last attempt give None.
    """
    if attempt >= max_attempts or not is_transient(reason):
        return None
    if retry_after_s is not None and retry_after_s >= 0:
        return min(retry_after_s, RETRY_AFTER_MAX_S)
    delay = min(max_s, base_s * BACKOFF_FACTOR ** (attempt - 1))
    return delay * (1.0 - JITTER_FRACTION * min(max(jitter, 0.0), 1.0))


def check_webhook_url(url: str, *, with_token: bool) -> str:
    """``url`` if it is an http(s) URL with a host; a token needs https off loopback."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("must be an http:// or https:// URL with a host", where="webhook_url")
    if with_token and parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            "sends the token in clear text",
            where="webhook_url",
            advice="use https://, or no token",
        )
    return url


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


def _retry_after(headers: object) -> float | None:
    value = getattr(headers, "get", lambda _key: None)("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


class WebhookChannel(NamedChannel):
    """POSTs alerts to the clinic's URL (see the module doc for the document).

    Args:
        url: http(s) URL; a token requires https unless the host is loopback.
        patient_id: the pseudonymous id put in every document.
        recording_start_utc: timezone-aware start of the recording (turns ``*_s`` into UTC).
        token: bearer token, or None for no Authorization header.
        timeout_s: per attempt (connect and each read), s.
        max_attempts, backoff_base_s: see :func:`retry_delay_s`.
        clock: wall clock for ``sent_utc`` (a parameter so tests can fix it).
        rng: jitter source.
    """

    def __init__(
        self,
        url: str,
        *,
        patient_id: str,
        recording_start_utc: dt.datetime,
        token: Secret | None = None,
        timeout_s: float = 5.0,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_base_s: float = BACKOFF_BASE_S,
        audiences: frozenset[Audience] = frozenset({Audience.CLINIC}),
        name: str = "webhook",
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        rng: random.Random | None = None,
    ) -> None:
        self._url = check_webhook_url(url, with_token=bool(token))
        if not timeout_s > 0:
            raise ConfigError("must be > 0 s", where="timeout_s", value=timeout_s)
        self._host = urllib.parse.urlsplit(url).hostname or "?"
        self._patient_id = patient_id
        self._start = check_start(recording_start_utc)
        self._token = token
        self._timeout_s = timeout_s
        self._max_attempts = max_attempts
        self._backoff_base_s = backoff_base_s
        super().__init__(name, audiences)
        self._clock = clock
        self._rng = rng or random.Random()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=ssl.create_default_context()), _NoRedirect()
        )

    def worst_case_s(self) -> float:
        """Longest a send can take with every attempt timing out (no Retry-After), s."""
        waits = (
            retry_delay_s(
                i, "timeout", max_attempts=self._max_attempts, base_s=self._backoff_base_s
            )
            for i in range(1, self._max_attempts)
        )
        return self._max_attempts * self._timeout_s + sum(w or 0.0 for w in waits)

    async def send(self, alert: Alert) -> None:
        doc = alert_document(
            alert,
            patient_id=self._patient_id,
            recording_start_utc=self._start,
            sent_utc=self._clock(),
        )
        body = json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8")
        attempt = 1
        while True:
            try:
                await asyncio.to_thread(self._post, body)
                return
            except AlertDeliveryError as exc:
                delay = retry_delay_s(
                    attempt,
                    exc.reason,
                    retry_after_s=exc.retry_after_s,
                    jitter=self._rng.random(),
                    max_attempts=self._max_attempts,
                    base_s=self._backoff_base_s,
                )
                if delay is None:
                    raise
            await asyncio.sleep(delay)
            attempt += 1

    def _post(self, body: bytes) -> None:
        """One blocking attempt (runs in a worker thread); AlertDeliveryError on failure."""
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "spinewatch-alerts/1",
        }
        if self._token:
            headers["Authorization"] = f"Bearer {self._token.reveal()}"
        request = urllib.request.Request(self._url, data=body, headers=headers, method="POST")
        where = f"webhook {self._host}"
        try:
            with self._opener.open(request, timeout=self._timeout_s) as response:
                response.read(RESPONSE_READ_MAX_BYTES)
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            raise AlertDeliveryError(
                f"answered HTTP {exc.code}",
                reason=f"http_{exc.code}",
                where=where,
                retry_after_s=_retry_after(exc.headers),
            ) from exc
        except urllib.error.URLError as exc:
            raise self._failure(exc.reason, where) from exc
        except (http.client.HTTPException, OSError) as exc:
            raise self._failure(exc, where) from exc
        if not 200 <= status < 300:
            raise AlertDeliveryError(
                f"answered HTTP {status}", reason=f"http_{status}", where=where
            )

    @staticmethod
    def _failure(cause: object, where: str) -> AlertDeliveryError:
        # Order matters: RemoteDisconnected is both an HTTPException and a ConnectionError.
        if isinstance(cause, http.client.HTTPException):
            reason = "bad_response"
        elif isinstance(cause, TimeoutError):
            reason = "timeout"
        elif isinstance(cause, ssl.SSLError):
            reason = "tls"
        elif isinstance(cause, OSError):
            reason = "connection"
        else:
            reason = "other"
        text = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(cause)
        return AlertDeliveryError(text or type(cause).__name__, reason=reason, where=where)
