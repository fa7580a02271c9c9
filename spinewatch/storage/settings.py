"""The ``[storage]`` settings table: the local store and the InfluxDB it uploads to.

Without ``url`` nothing is uploaded and the local store is the only store
(the embedded default). Secrets (``password``, ``token``) are best given as
``password_file`` / ``token_file`` or through ``SPINEWATCH__STORAGE__TOKEN``;
they are :class:`~spinewatch.config_schema.Secret` and never printed.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from spinewatch.config_schema import Secret
from spinewatch.errors import ConfigError

_NAME_PATTERN: Final = r"[^\s\\\"]{1,255}"
_LOOPBACK_NAMES: Final = ("localhost", "localhost.localdomain")


def _meta(text: str, unit: str = "", **limits: Any) -> dict[str, Any]:
    return {"help": text, "unit": unit, **limits}


def _name(text: str, default: str | None) -> Any:
    return field(
        default=default,
        metadata=_meta(text, pattern=_NAME_PATTERN, pattern_help="a name without spaces"),
    )


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names this machine (localhost, 127.0.0.0/8, ::1)."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True, kw_only=True)
class StorageSettings:
    """Where results are kept on the gateway, and the InfluxDB they are uploaded to."""

    store_path: Path = field(
        default=Path("results.sqlite"),
        metadata=_meta("the local result store (SQLite); a relative path is under paths.data_dir"),
    )
    url: str | None = field(
        default=None,
        metadata=_meta(
            "InfluxDB base URL, e.g. https://influx.clinic.example:8086; unset: local store only",
            pattern=r"https?://\S+",
            pattern_help="an http:// or https:// URL",
        ),
    )
    api_version: Literal[1, 2] = field(
        default=1,
        metadata=_meta("1: the /write endpoint (InfluxDB 1.x); 2: /api/v2/write (1.8+, 2.x, 3.x)"),
    )
    database: str = _name("InfluxDB 1.x database (api_version 1)", "spinewatch")
    retention_policy: str | None = _name(
        "1.x retention policy for long-kept results; unset: the database's default", None
    )
    raw_retention_policy: str | None = _name(
        "1.x retention policy for raw-rate data (trunk_angles, device_status); unset: as above",
        None,
    )
    org: str | None = _name("InfluxDB 2.x organisation (api_version 2)", None)
    bucket: str | None = _name("bucket for long-kept results (api_version 2)", None)
    raw_bucket: str | None = _name("bucket for raw-rate data (api_version 2); unset: bucket", None)
    user: str | None = _name("1.x user name (api_version 1); unset: no authentication", None)
    password: Secret | None = field(
        default=None, metadata=_meta("1.x password; or password_file = a file holding it")
    )
    token: Secret | None = field(
        default=None, metadata=_meta("API token (api_version 2); or token_file = a file holding it")
    )
    ca_file: Path | None = field(
        default=None,
        metadata=_meta("extra CA certificate (PEM) to trust; TLS verification is always on"),
    )
    batch_size: int = field(
        default=5000, metadata=_meta("points per write request", "points", min=1, max=100_000)
    )
    timeout_s: float = field(
        default=10.0, metadata=_meta("timeout of each write request", "s", gt=0, max=300)
    )
    poll_s: float = field(
        default=2.0,
        metadata=_meta("how often `upload --follow` looks for new results", "s", gt=0, max=3600),
    )

    def __post_init__(self) -> None:
        if self.url is not None:
            parts = urllib.parse.urlsplit(self.url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConfigError("must be an http:// or https:// URL with a host", where="url")
            secret = self.password or self.token
            if secret and parts.scheme == "http" and not is_loopback_host(parts.hostname):
                raise ConfigError(
                    "would send the password or token in clear text",
                    where="url",
                    value=self.url,
                    advice="use https://",
                )
        if self.api_version == 1:
            if self.token is not None:
                raise ConfigError(
                    "is for api_version 2", where="token", advice="for 1.x give user and password"
                )
            if self.password is not None and not self.user:
                raise ConfigError("is set but user is not", where="password")
        else:
            if self.user is not None or self.password is not None:
                raise ConfigError(
                    "is for api_version 1", where="user", advice="for api_version 2 give a token"
                )
            if self.url is not None and not self.bucket:
                raise ConfigError("is required with api_version 2", where="bucket")

    def store_file(self, data_dir: Path) -> Path:
        """``store_path`` with ``~`` expanded, relative paths under ``data_dir``."""
        path = self.store_path.expanduser()
        return path if path.is_absolute() else data_dir.expanduser() / path
