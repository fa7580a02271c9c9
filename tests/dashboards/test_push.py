"""``spinewatch dashboards push`` through grafana-client against a scripted Grafana on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from dashboards.push import TOKEN_ENV, check_url
from spinewatch.cli import main
from spinewatch.errors import DashboardError


class FakeGrafana(ThreadingHTTPServer):
    """Answers like Grafana's API: records each request; knows which objects exist."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, str, str, Any]] = []
        self.existing: set[str] = set()
        self.fail_dashboards = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeGrafana

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"null")
        path = self.path
        self.server.requests.append((self.command, path, self.headers.get("Authorization"), body))
        status, reply = 200, {}
        if self.command == "POST" and path == "/api/folders":
            status = 412 if "folder" in self.server.existing else 200
            self.server.existing.add("folder")
        elif self.command == "PUT" and ("/contact-points/" in path or "/mute-timings/" in path):
            status = 202 if path in self.server.existing else 404
        elif self.command == "POST" and path.endswith(("/contact-points", "/mute-timings")):
            key = path + "/" + (body.get("uid") or body.get("name"))
            self.server.existing.add(key)
        elif path == "/api/dashboards/db" and self.server.fail_dashboards:
            status, reply = 400, {"message": "Dashboard title cannot be empty"}
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer


@pytest.fixture
def grafana() -> Iterator[FakeGrafana]:
    server = FakeGrafana()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_push_uploads_everything_with_the_token_from_the_environment(
    grafana: FakeGrafana, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "glsa_secret")
    for _ in range(2):  # twice: the second push updates what the first created
        assert main(["dashboards", "push", "--url", grafana.url]) == 0
    assert "pushed 12 dashboards, 3 rule groups and 2 contact points" in capsys.readouterr().out
    assert {auth for _, _, auth, _ in grafana.requests} == {"Bearer glsa_secret"}
    paths = [(m, p) for m, p, _, _ in grafana.requests]
    assert paths.count(("POST", "/api/dashboards/db")) == 24
    boards = [b for m, p, _, b in grafana.requests if p == "/api/dashboards/db"]
    assert all(b["overwrite"] and b["folderUid"] == "spinewatch" for b in boards)
    groups = {p for m, p, _, _ in grafana.requests if "/rule-groups/" in p}
    assert groups == {f"/api/v1/provisioning/folder/spinewatch/rule-groups/{g}"
                      for g in ("patient-safety", "daily-limits", "weekly-adherence")}
    assert ("PUT", "/api/v1/provisioning/policies") in paths
    # Created once (404 on the first update), updated the second time.
    assert paths.count(("POST", "/api/v1/provisioning/contact-points")) == 2
    assert paths.count(("POST", "/api/v1/provisioning/mute-timings")) == 1


def test_push_without_a_token_or_over_plain_http_refuses(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert main(["dashboards", "push", "--url", "https://grafana.clinic.example"]) == 2
    assert TOKEN_ENV in capsys.readouterr().err
    with pytest.raises(DashboardError, match="clear text"):
        check_url("http://grafana.clinic.example:3000")
    assert check_url("https://grafana.clinic.example/sub").path == "/sub"
    with pytest.raises(SystemExit):  # no --token option exists
        main(["dashboards", "push", "--url", "https://g", "--token", "x"])


def test_a_refusal_is_one_line_with_advice(
    grafana: FakeGrafana, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "t")
    grafana.fail_dashboards = True
    assert main(["dashboards", "push", "--url", grafana.url]) == 2
    err = capsys.readouterr().err
    assert "Grafana refused the upload" in err and "Editor" in err and "\n" not in err.strip()
