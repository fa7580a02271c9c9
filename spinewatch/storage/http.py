"""The thin HTTP edge of the uploader: one persistent connection, TLS always verified.

Built on the standard library's :mod:`http.client` (no extra dependency) so
that one keep-alive connection carries every batch. A request that gets no
answer (refused, reset, timeout, TLS failure) returns a :class:`Response`
with ``status=None`` and the reason as its message, rather than raising, so
that the retry policy sees every failure the same way.
"""

from __future__ import annotations

import base64
import http.client
import json
import ssl
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

from spinewatch.storage.backoff import parse_retry_after

MAX_MESSAGE_CHARS: Final = 1000
USER_AGENT: Final = "spinewatch-uploader"


@dataclass(frozen=True, slots=True)
class Response:
    """What a server answered: status (None: no answer), its message, Retry-After (s), body."""

    status: int | None
    message: str
    retry_after_s: float | None = None
    body: bytes = b""


class Transport(Protocol):
    """Sends one request; a scripted fake replaces it in tests."""

    def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Response: ...

    def close(self) -> None: ...


def server_message(body: bytes) -> str:
    """The error text of an InfluxDB answer: ``error`` (1.x) or ``message`` (2.x) in its JSON."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        doc = json.loads(text)
    except ValueError:
        return text[:MAX_MESSAGE_CHARS]
    if isinstance(doc, dict):
        for key in ("error", "message"):
            if isinstance(doc.get(key), str):
                return str(doc[key])[:MAX_MESSAGE_CHARS]
    return text[:MAX_MESSAGE_CHARS]


def basic_auth(user: str, password: str) -> str:
    """The value of an ``Authorization: Basic`` header."""
    raw = f"{user}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


class HttpTransport:
    """A keep-alive HTTP(S) connection to ``base_url`` (its path is a prefix of every path)."""

    def __init__(self, base_url: str, timeout_s: float, ca_file: Path | None = None) -> None:
        parts = urllib.parse.urlsplit(base_url)
        self.prefix = parts.path.rstrip("/")
        host = parts.hostname or ""
        self._connection: http.client.HTTPConnection
        if parts.scheme == "https":
            context = ssl.create_default_context()  # verifies certificate and host name
            if ca_file is not None:
                context.load_verify_locations(cafile=str(ca_file.expanduser()))
            self._connection = http.client.HTTPSConnection(
                host, parts.port, timeout=timeout_s, context=context
            )
        else:
            self._connection = http.client.HTTPConnection(host, parts.port, timeout=timeout_s)

    def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Response:
        all_headers = {"User-Agent": USER_AGENT, **headers}
        try:
            self._connection.request(method, self.prefix + path, body=body, headers=all_headers)
            answer = self._connection.getresponse()
            data = answer.read()
        except (OSError, http.client.HTTPException) as exc:
            self._connection.close()  # the next request reconnects
            return Response(None, f"no answer: {exc.__class__.__name__}: {exc}")
        if answer.getheader("Connection", "").lower() == "close":
            self._connection.close()
        retry_after = parse_retry_after(answer.getheader("Retry-After"))
        return Response(answer.status, server_message(data), retry_after, data)

    def close(self) -> None:
        self._connection.close()
