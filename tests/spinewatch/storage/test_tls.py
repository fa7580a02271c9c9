"""TLS is always verified: a self-signed server is refused unless its CA is given (ca_file)."""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from spinewatch.config_schema import Secret
from spinewatch.storage.checks import check_server
from spinewatch.storage.http import HttpTransport
from spinewatch.storage.settings import StorageSettings


class _NoContent(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(204)
        self.end_headers()

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on loopback with a self-signed certificate: (url, certificate file)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NoContent)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}", cert
    server.shutdown()
    server.server_close()


def test_self_signed_certificate_is_refused(tls_server: tuple[str, Path]) -> None:
    url, _ = tls_server
    answer = HttpTransport(url, 5.0).request("GET", "/ping", None, {})
    assert answer.status is None and "CERTIFICATE_VERIFY_FAILED" in answer.message


def test_its_ca_file_makes_it_trusted(tls_server: tuple[str, Path]) -> None:
    url, cert = tls_server
    answer = HttpTransport(url, 5.0, ca_file=cert).request("GET", "/ping", None, {})
    assert answer.status == 204


def test_doctor_points_at_the_certificate(tls_server: tuple[str, Path]) -> None:
    url, cert = tls_server
    s = StorageSettings(url=url, api_version=2, bucket="b", token=Secret("t"))
    (check,) = check_server(s)
    assert not check.ok and "ca_file" in check.advice
    ok = check_server(StorageSettings(url=url, api_version=2, bucket="b", ca_file=cert))
    assert [c.ok for c in ok] == [True, True]
