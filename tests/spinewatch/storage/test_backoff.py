"""The retry policy: classification of answers, jittered backoff, Retry-After."""

from __future__ import annotations

import datetime as dt

import pytest

from spinewatch.storage.backoff import (
    BASE_DELAY_S,
    MAX_DELAY_S,
    MAX_RETRY_AFTER_S,
    Outcome,
    classify,
    parse_retry_after,
    retry_delay_s,
)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (204, Outcome.OK),
        (200, Outcome.OK),
        (400, Outcome.REJECTED),
        (413, Outcome.REJECTED),
        (422, Outcome.REJECTED),
        (401, Outcome.AUTH),
        (403, Outcome.AUTH),
        (404, Outcome.NOT_FOUND),
        (408, Outcome.RETRY),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (503, Outcome.RETRY),
        (None, Outcome.RETRY),
    ],
)
def test_classify(status: int | None, outcome: Outcome) -> None:
    assert classify(status) is outcome


def test_backoff_grows_exponentially_within_jitter_bounds() -> None:
    for attempt in range(6):
        ceiling = BASE_DELAY_S * 2**attempt
        assert retry_delay_s(attempt, 0.0) == pytest.approx(ceiling / 2)
        assert retry_delay_s(attempt, 0.999999) == pytest.approx(ceiling, rel=1e-5)


def test_backoff_is_capped_even_for_huge_attempts() -> None:
    assert retry_delay_s(10_000, 0.999) <= MAX_DELAY_S
    assert retry_delay_s(10_000, 0.0) == MAX_DELAY_S / 2
    assert retry_delay_s(-3, 0.0) == BASE_DELAY_S / 2


def test_retry_after_is_honoured_and_capped() -> None:
    assert retry_delay_s(0, 0.3, retry_after_s=7.0) == 7.0
    assert retry_delay_s(5, 0.3, retry_after_s=0.0) == 0.0
    assert retry_delay_s(0, 0.3, retry_after_s=1e9) == MAX_RETRY_AFTER_S
    assert retry_delay_s(0, 0.0, retry_after_s=float("nan")) == BASE_DELAY_S / 2


def test_parse_retry_after_seconds_and_http_date() -> None:
    now = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 3 ") == 3.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("-5") is None
