"""The uploader against a scripted transport: batching, retries, quarantine, auth, cursor."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from spinewatch.config_schema import Secret
from spinewatch.errors import ConfigError, UploadError
from spinewatch.storage.http import Response, basic_auth, server_message
from spinewatch.storage.schema import make_point
from spinewatch.storage.settings import StorageSettings
from spinewatch.storage.store import LocalStore
from spinewatch.storage.uploader import (
    Uploader,
    UploadStopped,
    follow,
    target_name,
    write_path,
)


class Script:
    """A transport whose answers come from ``answer(path, lines)``; it records every request."""

    def __init__(self, answer: Callable[[str, list[str]], Response]) -> None:
        self.answer = answer
        self.requests: list[tuple[str, list[str], Mapping[str, str]]] = []
        self.closed = False

    def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Response:
        lines = (body or b"").decode().splitlines()
        self.requests.append((path, lines, headers))
        return self.answer(path, lines)

    def close(self) -> None:
        self.closed = True


def ok(_path: str, _lines: list[str]) -> Response:
    return Response(204, "")


def settings(**overrides: Any) -> StorageSettings:
    base: dict[str, Any] = {"url": "http://127.0.0.1:9", "batch_size": 4}
    return StorageSettings(**{**base, **overrides})


def filled(tmp_path: Path, n: int = 10) -> LocalStore:
    store = LocalStore(tmp_path / "s.sqlite")
    store.append(
        [make_point("steps", (i + 1) * 10**9, patient="p1", device="d", count=i) for i in range(n)]
    )
    return store


def make(store: LocalStore, transport: Script, **kw: Any) -> tuple[Uploader, list[float]]:
    slept: list[float] = []
    up = Uploader(
        store, settings(**kw), transport=transport, sleep=slept.append, random_unit=lambda: 0.5
    )
    return up, slept


def test_drains_in_batches_and_moves_the_cursor(tmp_path: Path) -> None:
    store, script = filled(tmp_path), Script(ok)
    up, slept = make(store, script)
    report = up.drain()
    assert (report.acknowledged, report.quarantined, report.batches) == (10, 0, 3)
    assert [len(lines) for _, lines, _ in script.requests] == [4, 4, 2]
    assert script.requests[0][0] == "/write?db=spinewatch&precision=ns"
    assert store.status(up.target).backlog == 0 and slept == []
    assert up.drain().batches == 0  # nothing sent twice


def test_retries_no_answer_and_5xx_with_backoff_and_retry_after(tmp_path: Path) -> None:
    answers = iter(
        [Response(None, "refused"), Response(503, "busy", retry_after_s=7.0), Response(500, "x")]
    )
    store = filled(tmp_path, 2)
    up, slept = make(store, Script(lambda p, body: next(answers, Response(204, ""))))
    assert up.drain().acknowledged == 2
    assert slept == [0.375, 7.0, 1.5]  # 0.5·(0.5+0.25), Retry-After, 2.0·0.75
    assert store.status(up.target).last_error == "HTTP 500: x"


def test_gives_up_after_the_deadline_and_keeps_the_points(tmp_path: Path) -> None:
    store = filled(tmp_path, 3)
    up, _ = make(store, Script(lambda p, body: Response(None, "refused")))
    with pytest.raises(UploadError, match="gave up retrying") as info:
        up.drain(give_up_after_s=5.0)
    assert "local store" in (info.value.advice or "")
    assert store.status(up.target).backlog == 3


def test_rejected_points_are_isolated_and_quarantined_with_the_message(tmp_path: Path) -> None:
    store = filled(tmp_path, 10)
    bad = {"count=3i", "count=6i"}

    def answer(_path: str, lines: list[str]) -> Response:
        if any(b in line for line in lines for b in bad):
            return Response(400, "partial write: field type conflict dropped=1")
        return Response(204, "")

    script = Script(answer)
    up, slept = make(store, script, batch_size=10)
    report = up.drain()
    assert (report.acknowledged, report.quarantined) == (10, 2)
    quarantined = store.quarantined(up.target)
    assert [q.point_id for q in quarantined] == [4, 7]
    assert quarantined[0].message == "partial write: field type conflict dropped=1"
    assert quarantined[0].status == 400 and "count=3i" in quarantined[0].line
    accepted = {line for _, lines, _ in script.requests for line in lines if not bad & {line}}
    assert len([line for line in accepted if not any(b in line for b in bad)]) == 8
    assert slept == [] and store.status(up.target).backlog == 0


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_stop_with_advice_and_move_nothing(tmp_path: Path, status: int) -> None:
    store = filled(tmp_path, 3)
    up, _ = make(store, Script(lambda p, b: Response(status, "authorization failed")))
    with pytest.raises(UploadError, match="refused the credentials") as info:
        up.drain()
    assert "password" in (info.value.advice or "")
    assert store.status(up.target).backlog == 3


def test_missing_database_says_how_to_fix_it(tmp_path: Path) -> None:
    store = filled(tmp_path, 1)
    up, _ = make(store, Script(lambda p, b: Response(404, 'database not found: "x"')))
    with pytest.raises(UploadError, match="not found") as info:
        up.drain()
    assert "CREATE DATABASE" in (info.value.advice or "")


def test_v1_credentials_and_retention_policies_per_class(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "s.sqlite")
    store.append(
        [
            make_point("trunk_angles", 1, patient="p", device="d", flexion_deg=1.0),
            make_point("steps", 2, patient="p", device="d", count=1),
        ]
    )
    script = Script(ok)
    up, _ = make(
        store,
        script,
        user="gw",
        password=Secret("pw"),
        retention_policy="long_5y",
        raw_retention_policy="raw_30d",
    )
    up.drain()
    paths = [p for p, _, _ in script.requests]
    assert paths == [
        "/write?db=spinewatch&precision=ns&rp=raw_30d",
        "/write?db=spinewatch&precision=ns&rp=long_5y",
    ]
    assert script.requests[0][2]["Authorization"] == basic_auth("gw", "pw")


def test_v2_path_and_token() -> None:
    s = settings(api_version=2, org="clinic", bucket="results", raw_bucket="raw", token=Secret("t"))
    assert write_path(s, "long") == "/api/v2/write?precision=ns&org=clinic&bucket=results"
    assert write_path(s, "raw") == "/api/v2/write?precision=ns&org=clinic&bucket=raw"
    assert target_name(s) == "http://127.0.0.1:9 v2 clinic/results"


def test_follow_polls_until_stopped(tmp_path: Path) -> None:
    store = filled(tmp_path, 5)
    up, _ = make(store, Script(ok))
    polls: list[float] = []
    report = follow(up, poll_s=0.25, stop=lambda: len(polls) >= 2, sleep=polls.append)
    assert report.acknowledged == 5 and polls == [0.25, 0.25]


def test_no_url_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UploadError, match="no server configured"):
        Uploader(filled(tmp_path, 1), StorageSettings())


@pytest.mark.parametrize(
    ("kw", "where"),
    [
        ({"url": "http://influx.example", "user": "u", "password": Secret("p")}, "url"),
        ({"url": "ftp://x"}, "url"),
        ({"token": Secret("t")}, "token"),
        ({"password": Secret("p")}, "password"),
        ({"api_version": 2, "user": "u"}, "user"),
        ({"api_version": 2, "url": "https://x"}, "bucket"),
    ],
)
def test_settings_rules(kw: dict[str, Any], where: str) -> None:
    with pytest.raises(ConfigError) as info:
        StorageSettings(**kw)
    assert info.value.where == where


def test_server_message_reads_v1_and_v2_errors() -> None:
    assert server_message(b'{"error":"partial write: x"}') == "partial write: x"
    assert server_message(b'{"code":"invalid","message":"bad"}') == "bad"
    assert server_message(b"plain text\n") == "plain text"


def test_should_stop_ends_the_retries_and_keeps_the_batch(tmp_path: Path) -> None:
    store = filled(tmp_path, 3)
    slept: list[float] = []
    up = Uploader(
        store,
        settings(),
        transport=Script(lambda p, b: Response(None, "refused")),
        sleep=slept.append,
        random_unit=lambda: 0.0,
        should_stop=lambda: len(slept) >= 2,
    )
    with pytest.raises(UploadStopped, match="stopped while waiting"):
        up.drain()
    assert slept == [0.25, 0.5] and store.status(up.target).backlog == 3
