"""Alert channels and the dispatcher, against real local HTTP servers."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from processing.alert_policy import Alert, AlertLevel, Audience
from processing.event_types import Event, Severity
from spinewatch.alerts import (
    HAPTIC_PATTERNS_MS,
    SCHEMA,
    AlertDeliveryError,
    AlertLog,
    Dispatcher,
    HapticChannel,
    TerminalChannel,
    WebhookChannel,
    build_dispatcher,
    check_webhook_url,
    retry_delay_s,
    terminal_line,
)
from spinewatch.alerts.webhook import BACKOFF_MAX_S, RETRY_AFTER_MAX_S
from spinewatch.config_schema import Secret
from spinewatch.errors import ConfigError
from spinewatch.settings import AlertsSettings

START = dt.datetime(2025, 3, 1, 8, 0, 0, tzinfo=dt.UTC)
SENT = dt.datetime(2025, 3, 1, 9, 30, 0, tzinfo=dt.UTC)
TOKEN = "tok-very-secret-123"
PATIENT = frozenset({Audience.PATIENT})
BOTH = frozenset({Audience.PATIENT, Audience.CLINIC})


def make_alert(
    at_s: float = 5321.5,
    *,
    level: AlertLevel = AlertLevel.CLINIC,
    audience: frozenset[Audience] = BOTH,
    kind: str = "bend",
) -> Alert:
    event = Event(kind, at_s - 6.0, math.nan, 48.0, "", Severity.BEYOND, at_s)
    text = "You bent forward 48° for 6 s — your limit is 25°."
    return Alert(kind, level, event, text, audience, at_s, 3)


# --------------------------------------------------------------------------- a real server


@dataclass
class Server:
    """A local HTTP server in a thread; ``mode`` says how it answers."""

    mode: str
    url: str = ""
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            server.requests.append((dict(self.headers.items()), body))
            if server.mode == "hang":
                server.release.wait(5.0)  # past the client's timeout
                return
            if server.mode == "nonsense":
                self.wfile.write(b"hello, this is not HTTP\r\n\r\n")
                return
            status = 200
            if server.mode == "500" or (server.mode == "503_once" and len(server.requests) == 1):
                status = 500 if server.mode == "500" else 503
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def serve() -> Iterator[Callable[[str], Server]]:
    started: list[tuple[ThreadingHTTPServer, Server]] = []

    def start(mode: str) -> Server:
        spec = Server(mode)
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(spec))
        httpd.daemon_threads = True
        spec.url = f"http://127.0.0.1:{httpd.server_address[1]}/alerts"
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}).start()
        started.append((httpd, spec))
        return spec

    yield start
    for httpd, spec in started:
        spec.release.set()
        httpd.shutdown()
        httpd.server_close()


def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/alerts"  # nobody listens there any more


def webhook(url: str, **kw: Any) -> WebhookChannel:
    options: dict[str, Any] = {
        "patient_id": "P-0042",
        "recording_start_utc": START,
        "timeout_s": 0.2,
        "backoff_base_s": 0.01,
        "clock": lambda: SENT,
    }
    return WebhookChannel(url, **{**options, **kw})


# --------------------------------------------------------------------------- webhook


def test_webhook_posts_the_documented_json_with_the_bearer_token(
    serve: Callable[[str], Server],
) -> None:
    server = serve("ok")
    asyncio.run(webhook(server.url, token=Secret(TOKEN)).send(make_alert()))
    [(headers, body)] = server.requests
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    doc = json.loads(body)
    assert doc == {
        "schema": SCHEMA,
        "alert_id": "P-0042:bend:5321.500",
        "patient_id": "P-0042",
        "kind": "bend",
        "level": "clinic",
        "level_rank": 3,
        "audience": ["clinic", "patient"],
        "message": "You bent forward 48° for 6 s — your limit is 25°.",
        "suppressed_since_last": 3,
        "at_s": 5321.5,
        "at_utc": "2025-03-01T09:28:41.500Z",
        "recording_start_utc": "2025-03-01T08:00:00.000Z",
        "sent_utc": "2025-03-01T09:30:00.000Z",
        "event": {
            "type": "bend",
            "severity": "beyond",
            "technique": "",
            "peak_deg": 48.0,
            "start_s": 5315.5,
            "start_utc": "2025-03-01T09:28:35.500Z",
            "end_s": None,
            "end_utc": None,
            "detected_s": 5321.5,
            "detected_utc": "2025-03-01T09:28:41.500Z",
        },
    }


def test_webhook_without_token_sends_no_authorization(serve: Callable[[str], Server]) -> None:
    server = serve("ok")
    asyncio.run(webhook(server.url).send(make_alert()))
    assert "Authorization" not in server.requests[0][0]


def test_webhook_retries_a_server_error_then_succeeds(serve: Callable[[str], Server]) -> None:
    server = serve("503_once")
    asyncio.run(webhook(server.url).send(make_alert()))
    assert len(server.requests) == 2
    assert json.loads(server.requests[0][1]) == json.loads(server.requests[1][1])


def test_retry_delay_is_a_pure_backoff() -> None:
    assert [retry_delay_s(n, "timeout", max_attempts=10) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert retry_delay_s(9, "connection", max_attempts=10) == BACKOFF_MAX_S
    assert retry_delay_s(1, "http_503", jitter=0.5) == pytest.approx(0.45)
    assert retry_delay_s(1, "http_429", retry_after_s=4.0) == 4.0
    assert retry_delay_s(1, "http_503", retry_after_s=1e6) == RETRY_AFTER_MAX_S
    assert retry_delay_s(3, "timeout") is None  # the last attempt (3 by default)
    for permanent in ("http_400", "http_401", "http_404", "tls", "bad_response", "other"):
        assert retry_delay_s(1, permanent) is None


def test_webhook_url_rules() -> None:
    assert check_webhook_url("https://clinic.example/a", with_token=True)
    assert check_webhook_url("http://127.0.0.1:8080/a", with_token=True)
    with pytest.raises(ConfigError, match="clear text"):
        check_webhook_url("http://clinic.example/a", with_token=True)
    with pytest.raises(ConfigError, match="http:// or https://"):
        check_webhook_url("ftp://clinic.example/a", with_token=False)
    with pytest.raises(ConfigError, match="timezone-aware"):
        webhook("https://clinic.example/a", recording_start_utc=dt.datetime(2025, 3, 1))


# --------------------------------------------------------------------------- terminal, haptic


def test_terminal_channel_writes_one_line() -> None:
    stream = io.StringIO()
    asyncio.run(TerminalChannel(stream).send(make_alert(level=AlertLevel.WARNING)))
    assert stream.getvalue() == (
        "[    5321.5 s] WARNING  bend              → clinic+patient: "
        "You bent forward 48° for 6 s — your limit is 25°.\n"
    )
    assert terminal_line(make_alert()) + "\n" == stream.getvalue().replace("WARNING ", "CLINIC  ")


def test_haptic_channel_buzzes_a_pattern_per_level() -> None:
    buzzed: list[tuple[int, ...]] = []

    async def buzz(pattern_ms: tuple[int, ...]) -> None:
        buzzed.append(pattern_ms)

    async def run() -> None:
        dispatcher = Dispatcher([HapticChannel(buzz)])
        for level in AlertLevel:
            dispatcher.dispatch(make_alert(level=level))
        # A clinic-only alert never buzzes the patient.
        dispatcher.dispatch(make_alert(audience=frozenset({Audience.CLINIC})))
        await dispatcher.drain()

    asyncio.run(run())
    assert buzzed == [HAPTIC_PATTERNS_MS[level] for level in AlertLevel]
    assert len(set(buzzed)) == len(AlertLevel)


# --------------------------------------------------------------------------- dispatcher


def read_log(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("refused", "connection"),
        ("500", "http_500"),
        ("hang", "timeout"),
        ("nonsense", "bad_response"),
    ],
)
def test_a_broken_webhook_never_blocks_and_the_alert_is_still_logged(
    mode: str,
    reason: str,
    serve: Callable[[str], Server],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = refused_url() if mode == "refused" else serve(mode).url
    stream = io.StringIO()
    log = AlertLog(tmp_path / "alerts.jsonl", patient_id="P-0042", recording_start_utc=START)
    hook = webhook(url, token=Secret(TOKEN), max_attempts=2)
    dispatcher = Dispatcher([TerminalChannel(stream), hook], log, send_timeout_s=2.0)
    ticks, elapsed_s = 0, 0.0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    async def run() -> float:
        nonlocal elapsed_s
        begin_run = time.perf_counter()
        tick_task = asyncio.create_task(ticker())
        slowest = 0.0
        for i in range(3):
            begin = time.perf_counter()
            dispatcher.dispatch(make_alert(100.0 + i))
            slowest = max(slowest, time.perf_counter() - begin)
        await asyncio.sleep(0.02)
        assert stream.getvalue().count("\n") == 3  # the terminal did not wait for the webhook
        await dispatcher.drain()
        tick_task.cancel()
        elapsed_s = time.perf_counter() - begin_run
        return slowest

    with caplog.at_level(logging.WARNING):
        slowest_s = asyncio.run(run())
    # dispatch only schedules: it never waits for the webhook's 2 s timeout (how fast it is,
    # is the latency benchmark's business, not a test's)
    assert slowest_s < 0.5
    # The event loop kept running while the webhook failed: a 5 ms ticker got at least
    # one turn in every 20 ms.
    assert ticks >= 1  # the event loop kept running while the webhook failed
    assert dispatcher.failures == {("webhook", reason): 3}
    assert dispatcher.delivered == {"terminal": 3}
    warnings = [r for r in caplog.records if "webhook" in r.getMessage()]
    assert len(warnings) == 1 and reason in warnings[0].getMessage()
    records = read_log(tmp_path / "alerts.jsonl")
    assert sorted(r["at_s"] for r in records if r["record"] == "alert") == [100.0, 101.0, 102.0]
    deliveries = [r["results"] for r in records if r["record"] == "delivery"]
    assert deliveries == [{"terminal": "ok", "webhook": reason}] * 3
    everything = caplog.text + (tmp_path / "alerts.jsonl").read_text(encoding="utf-8")
    assert TOKEN not in everything


def test_a_slow_or_raising_channel_is_cut_off_and_counted(tmp_path: Path) -> None:
    class Slow:
        name, audiences = "slow", PATIENT

        async def send(self, alert: Alert) -> None:
            await asyncio.sleep(10.0)

    class Raising:
        name, audiences = "raising", PATIENT

        async def send(self, alert: Alert) -> None:
            raise RuntimeError("boom")

    stream = io.StringIO()
    dispatcher = Dispatcher([Slow(), Raising(), TerminalChannel(stream)], send_timeout_s=0.05)

    async def run() -> dict[str, str]:
        return await dispatcher.dispatch(make_alert(audience=PATIENT))

    begin = time.perf_counter()
    results = asyncio.run(run())
    assert time.perf_counter() - begin < 1.0
    assert results == {"slow": "timeout", "raising": "RuntimeError", "terminal": "ok"}


def test_alert_log_failure_is_counted_and_channels_still_deliver(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    log = AlertLog(tmp_path / "taken", patient_id="P-1", recording_start_utc=START)
    stream = io.StringIO()
    dispatcher = Dispatcher([TerminalChannel(stream)], log)

    async def run() -> None:
        dispatcher.dispatch(make_alert())
        await dispatcher.aclose()

    asyncio.run(run())
    assert stream.getvalue().count("\n") == 1
    assert dispatcher.failures[("alert_log", "alert_log")] == 2  # the alert and its delivery
    with pytest.raises(AlertDeliveryError, match="cannot write"):
        log.append({"x": 1})


def test_dispatcher_rejects_duplicate_channel_names() -> None:
    with pytest.raises(ConfigError, match="unique"):
        Dispatcher([TerminalChannel(io.StringIO()), TerminalChannel(io.StringIO())])


def test_build_dispatcher_from_settings(serve: Callable[[str], Server], tmp_path: Path) -> None:
    server = serve("ok")
    settings = AlertsSettings(webhook_url=server.url, webhook_token=Secret(TOKEN), timeout_s=0.5)
    stream = io.StringIO()

    async def buzz(pattern_ms: tuple[int, ...]) -> None:
        pass

    dispatcher = build_dispatcher(
        settings,
        patient_id="P-7",
        recording_start_utc=START,
        data_dir=tmp_path,
        stream=stream,
        buzz=buzz,
    )
    assert [c.name for c in dispatcher.channels] == ["terminal", "haptic", "webhook"]

    async def run() -> dict[str, str]:
        results = await dispatcher.dispatch(make_alert())
        await dispatcher.aclose()
        return results

    assert asyncio.run(run()) == {"terminal": "ok", "haptic": "ok", "webhook": "ok"}
    assert json.loads(server.requests[0][1])["patient_id"] == "P-7"
    assert [r["record"] for r in read_log(tmp_path / "alerts.jsonl")] == ["alert", "delivery"]
    with pytest.raises(ConfigError, match="webhook_url is not"):
        AlertsSettings(webhook_token=Secret(TOKEN))


def test_a_live_alert_shows_the_local_clock_time() -> None:
    at = dt.datetime(2026, 11, 28, 14, 10, 3, tzinfo=dt.UTC).timestamp()
    local = dt.datetime.fromtimestamp(at).astimezone().strftime("%H:%M:%S")
    assert terminal_line(make_alert(at)).startswith(f"[{local}] CLINIC   bend")
