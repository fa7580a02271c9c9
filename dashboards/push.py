"""Upload an export to Grafana through its HTTP API with ``grafana-client``.

The token comes from the environment (:data:`TOKEN_ENV`), never from the
command line (which other users can read in the process list). TLS
certificates are always verified; plain ``http://`` is accepted only for a
Grafana on this machine (loopback). The data source is not pushed: it holds
credentials, so it is provisioned from the file the export writes.

Everything is an upsert, so pushing twice gives the same result: the folder
is created if missing, dashboards are saved with ``overwrite``, rule groups,
the policy tree, contact points and the mute timing are replaced.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Final

from dashboards.alerts import FOLDER_TITLE, FOLDER_UID
from dashboards.export import read_json
from spinewatch.errors import DashboardError
from spinewatch.storage.settings import is_loopback_host

TOKEN_ENV: Final = "SPINEWATCH_GRAFANA_TOKEN"
TIMEOUT_S: Final = 30.0


@dataclass(frozen=True, slots=True)
class PushReport:
    """What a push uploaded."""

    dashboards: int
    rule_groups: int
    contact_points: int


def check_url(url: str) -> urllib.parse.SplitResult:
    """Grafana's base URL: https, or http only on loopback."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DashboardError("must be an http:// or https:// URL with a host", where="--url",
                             value=url)
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise DashboardError("would send the token in clear text", where="--url", value=url,
                             advice="use https://")
    return parts


def token_from(env: Mapping[str, str]) -> str:
    """The API token from ``env``; DashboardError with advice when it is missing."""
    token = env.get(TOKEN_ENV, "").strip()
    if not token:
        raise DashboardError(
            f"no Grafana token: set {TOKEN_ENV}",
            advice="create a service account token with the Editor role (Administration → "
            "Service accounts) and export it in the environment",
        )
    return token


def make_api(url: str, token: str) -> Any:
    """A ``GrafanaApi`` for ``url`` with token auth and certificate verification on."""
    try:
        from grafana_client.api import GrafanaApi
        from grafana_client.client import TokenAuth
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise DashboardError("grafana-client is not installed",
                             advice="pip install 'spinewatch[grafana]'") from exc
    parts = check_url(url)
    return GrafanaApi(
        auth=TokenAuth(token),  # type: ignore[no-untyped-call]
        host=parts.hostname,
        port=parts.port,
        url_path_prefix=parts.path.strip("/"),
        protocol=parts.scheme,
        verify=True,
        timeout=TIMEOUT_S,
    )


def _status(exc: Exception) -> int | None:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def _upsert(update: Callable[[], Any], create: Callable[[], Any]) -> None:
    """``update``; when the object does not exist yet (404), ``create``."""
    try:
        update()
    except Exception as exc:
        if _status(exc) != 404:
            raise
        create()


def push(export_dir: Path, api: Any) -> PushReport:
    """Upload the export in ``export_dir`` through ``api`` (a ``GrafanaApi``)."""
    boards = sorted((export_dir / "dashboards").glob("*.json"))
    groups = sorted((export_dir / "api" / "rule-groups").glob("*.json"))
    if not boards:
        raise DashboardError("no dashboards found", where=str(export_dir),
                             advice="run spinewatch dashboards export DIR first")
    contacts = read_json(export_dir / "api" / "contact-points.json")
    try:
        try:
            api.folder.create_folder(FOLDER_TITLE, uid=FOLDER_UID)
        except Exception as exc:
            if _status(exc) not in (409, 412):  # it exists already
                raise
        for path in boards:
            api.dashboard.update_dashboard(
                {"dashboard": read_json(path), "folderUid": FOLDER_UID, "overwrite": True,
                 "message": "spinewatch dashboards push"})
        alerting = api.alertingprovisioning
        for cp in contacts:
            _upsert(partial(alerting.update_contactpoint, cp["uid"], cp),
                    partial(alerting.create_contactpoint, cp))
        for mt in read_json(export_dir / "api" / "mute-timings.json"):
            _upsert(partial(alerting.update_mute_timing, mt["name"], mt),
                    partial(alerting.create_mute_timing, mt))
        for path in groups:
            group = read_json(path)
            alerting.update_rule_group(FOLDER_UID, group["title"], group)
        alerting.set_notification_policy_tree(read_json(export_dir / "api" / "policies.json"))
    except DashboardError:
        raise
    except Exception as exc:
        raise DashboardError(
            f"Grafana refused the upload: {exc}",
            advice="check --url, that the token's service account is an Editor, and that the "
            "data source uid spinewatch-influxdb is provisioned",
        ) from exc
    return PushReport(len(boards), len(groups), len(contacts))


def push_from_env(export_dir: Path, url: str, env: Mapping[str, str] | None = None) -> PushReport:
    """Push with the token from the environment (``os.environ`` by default)."""
    token = token_from(os.environ if env is None else env)
    return push(export_dir, make_api(url, token))
