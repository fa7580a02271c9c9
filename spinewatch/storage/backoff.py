"""The upload retry policy as pure functions: what an HTTP answer means, and how long to wait.

:func:`classify` maps a write's HTTP status (or ``None`` for no answer) to an
:class:`Outcome`; :func:`retry_delay_s` gives the wait before the next
attempt: exponential backoff with "equal jitter" (half fixed, half random, so
that many gateways do not retry in step) capped at :data:`MAX_DELAY_S`, or
the server's ``Retry-After`` when it gave one (capped at
:data:`MAX_RETRY_AFTER_S`). Randomness is passed in, so the policy is testable.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import enum
import math
from typing import Final

BASE_DELAY_S: Final = 0.5
"""Wait before the first retry, before jitter (s)."""
MULTIPLIER: Final = 2.0
"""Growth of the wait per failed attempt."""
MAX_DELAY_S: Final = 60.0
"""Longest computed wait (s): a gateway offline for hours retries once a minute or so."""
MAX_RETRY_AFTER_S: Final = 600.0
"""Longest ``Retry-After`` honoured (s); a longer one is cut to this."""
JITTER_FRACTION: Final = 0.5
"""Share of each wait that is random: the wait is uniform in [(1 - f)·d, d]."""


class Outcome(enum.Enum):
    """What to do after a write answered with some status."""

    OK = "ok"
    """2xx: every point is stored."""
    REJECTED = "rejected"
    """400, 413, 422: some points cannot be stored as sent; isolate and quarantine them."""
    AUTH = "auth"
    """401, 403: wrong or missing credentials, or no write permission. Not retried."""
    NOT_FOUND = "not_found"
    """404: no such database/bucket or endpoint (wrong URL or API version). Not retried."""
    RETRY = "retry"
    """No answer, timeout, 408, 429, 5xx, anything else: try again later."""


def classify(status: int | None) -> Outcome:
    """The :class:`Outcome` of a write that answered ``status`` (None: no answer)."""
    if status is None:
        return Outcome.RETRY
    if 200 <= status < 300:
        return Outcome.OK
    if status in (400, 413, 422):
        return Outcome.REJECTED
    if status in (401, 403):
        return Outcome.AUTH
    if status == 404:
        return Outcome.NOT_FOUND
    return Outcome.RETRY


def retry_delay_s(attempt: int, random_unit: float, retry_after_s: float | None = None) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (0 = the first failure).

    ``random_unit`` is a random number in [0, 1) (e.g. ``random.random()``).
    A server's ``retry_after_s`` is honoured as given, capped at
    :data:`MAX_RETRY_AFTER_S`; otherwise the wait is
    ``min(MAX_DELAY_S, BASE_DELAY_S · MULTIPLIER**attempt)`` with its last
    :data:`JITTER_FRACTION` random.
    """
    if retry_after_s is not None and math.isfinite(retry_after_s):
        return min(max(retry_after_s, 0.0), MAX_RETRY_AFTER_S)
    exponent = min(max(attempt, 0), 64)  # 2**64 · 0.5 s is past any cap already
    ceiling = min(MAX_DELAY_S, BASE_DELAY_S * MULTIPLIER**exponent)
    unit = min(max(random_unit, 0.0), 1.0)
    return ceiling * (1.0 - JITTER_FRACTION) + ceiling * JITTER_FRACTION * unit


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """A ``Retry-After`` header as seconds from ``now``: delta-seconds or an HTTP date.

    ``None`` for a missing or unreadable header; a date in the past gives 0.
    ``now`` (timezone-aware) defaults to the current UTC time.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max((when - now).total_seconds(), 0.0)
