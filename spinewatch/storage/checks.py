"""The checks behind ``spinewatch doctor``: local store, server reachability, write permission.

Each check gives a :class:`Check` with a one-line finding and, when it
fails, advice. The write check POSTs an empty body to the write endpoint:
InfluxDB (1.x and 2.x) checks the credentials, permission and database or
bucket before it reads the body, and an empty body writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spinewatch.errors import SpinewatchError
from spinewatch.storage.backoff import Outcome, classify
from spinewatch.storage.http import HttpTransport, Transport
from spinewatch.storage.settings import StorageSettings
from spinewatch.storage.store import LocalStore
from spinewatch.storage.uploader import AUTH_ADVICE, NOT_FOUND_ADVICE, auth_headers, write_path


@dataclass(frozen=True, slots=True)
class Check:
    """One finding: what was checked, whether it passed, what was seen, what to do."""

    name: str
    ok: bool
    detail: str
    advice: str = ""


def check_inline_secrets(storage_table: Mapping[str, Any]) -> Check:
    """Secrets should come from a file or the environment, not the settings file itself."""
    inline = sorted(key for key in ("password", "token") if key in storage_table)
    if inline:
        keys = ", ".join(f"storage.{k}" for k in inline)
        return Check(
            "secrets",
            False,
            f"{keys} written in the settings file",
            "use password_file/token_file (a file only the gateway user can read) or "
            "SPINEWATCH__STORAGE__PASSWORD/TOKEN in the environment",
        )
    return Check("secrets", True, "none in the settings file")


def check_store(path: Path) -> Check:
    """The local store opens (created if missing), is writable and its backlog."""
    try:
        with LocalStore(path) as store:
            quick = store.health()
            stored = store.status("").stored
    except SpinewatchError as exc:
        return Check("local store", False, exc.message, exc.advice or "")
    if quick != "ok":
        return Check("local store", False, f"damaged: {quick}", "move the file aside and restart")
    return Check("local store", True, f"{path}: {stored} points, writable")


def check_server(settings: StorageSettings, transport: Transport | None = None) -> list[Check]:
    """Reachability (``/ping``) and write permission of the configured server."""
    if settings.url is None:
        return [
            Check(
                "server",
                True,
                "no storage.url: results stay in the local store (the embedded default)",
            )
        ]
    transport = transport or HttpTransport(settings.url, settings.timeout_s, settings.ca_file)
    try:
        ping = transport.request("GET", "/ping", None, {})
        if ping.status is None or not 200 <= ping.status < 300:
            seen = ping.message if ping.status is None else f"HTTP {ping.status} {ping.message}"
            return [
                Check(
                    "reachable",
                    False,
                    f"{settings.url}/ping: {seen}",
                    "check storage.url (scheme, host, port), the network and that the "
                    "server runs; for https, that its certificate is trusted (storage.ca_file)",
                )
            ]
        checks = [Check("reachable", True, f"{settings.url}/ping answered {ping.status}")]
        path = write_path(settings, "long")
        answer = transport.request("POST", path, b"", auth_headers(settings))
    finally:
        transport.close()
    outcome = classify(answer.status)
    where = path.split("?", 1)[1]
    if outcome is Outcome.OK:
        checks.append(Check("write permission", True, f"may write ({where})"))
    elif outcome is Outcome.AUTH:
        checks.append(
            Check(
                "write permission",
                False,
                f"HTTP {answer.status}: {answer.message}",
                AUTH_ADVICE[settings.api_version],
            )
        )
    elif outcome is Outcome.NOT_FOUND:
        checks.append(
            Check(
                "write permission",
                False,
                f"HTTP 404: {answer.message}",
                NOT_FOUND_ADVICE[settings.api_version],
            )
        )
    else:
        checks.append(
            Check(
                "write permission",
                False,
                f"HTTP {answer.status}: {answer.message}",
                "the server answered an empty write unexpectedly; check storage.api_version",
            )
        )
    return checks
