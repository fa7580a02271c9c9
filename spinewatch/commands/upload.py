"""``spinewatch upload``: send the local store's results to InfluxDB (now, or following).

``spinewatch upload`` drains the backlog and exits; ``--follow`` keeps
uploading new results until stopped (SIGTERM or Ctrl-C stop it cleanly; even
SIGKILL loses nothing, the next run resumes at the acknowledged cursor);
``--status`` shows the backlog, the last success and error, and the
quarantined points.
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import threading
from pathlib import Path
from typing import Any

from spinewatch.config import load_settings
from spinewatch.settings import Settings
from spinewatch.storage.store import LocalStore, UploadStatus
from spinewatch.storage.uploader import (
    DrainReport,
    Uploader,
    UploadStopped,
    follow,
    target_name,
)

DEFAULT_GIVE_UP_S = 120.0
SHOWN_QUARANTINED = 5


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "upload",
        help="upload stored results to InfluxDB (now, --follow, or --status)",
        description="Upload the results in the local store to the InfluxDB of [storage] in "
        "the settings. Without options: drain the backlog and exit.",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--follow", action="store_true", help="keep uploading new results")
    mode.add_argument(
        "--status", action="store_true", help="show backlog, last success and quarantine"
    )
    p.add_argument(
        "--give-up-after",
        type=float,
        default=DEFAULT_GIVE_UP_S,
        metavar="S",
        help=f"stop retrying an unreachable server after S seconds (default {DEFAULT_GIVE_UP_S:g}; "
        "--follow retries forever)",
    )
    p.add_argument("--config", type=Path, default=None, help="settings TOML")
    p.set_defaults(func=run)


def _store(settings: Settings) -> LocalStore:
    return LocalStore(settings.storage.store_file(settings.paths.data_path))


def _when(ns: int | None) -> str:
    if ns is None:
        return "never"
    return dt.datetime.fromtimestamp(ns / 1e9, dt.UTC).isoformat(timespec="seconds")


def format_status(status: UploadStatus, configured: bool) -> list[str]:
    """The lines ``upload --status`` prints."""
    lines = [
        f"target: {status.target if configured else 'none (storage.url unset: local store only)'}",
        f"stored points: {status.stored}",
        f"backlog: {status.backlog} points",
        f"last success: {_when(status.last_success_ns)}",
        f"quarantined: {status.quarantined} points",
    ]
    if status.last_error:
        lines.append(f"last error: {_when(status.last_error_ns)} {status.last_error}")
    return lines


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    storage = settings.storage
    with _store(settings) as store:
        if args.status:
            target = target_name(storage)
            for line in format_status(store.status(target), storage.url is not None):
                print(line)
            for q in store.quarantined(target)[-SHOWN_QUARANTINED:]:
                print(f"  point {q.point_id}: HTTP {q.status} {q.message}")
            return 0
        stop = threading.Event()
        uploader = Uploader(store, storage, sleep=stop.wait, should_stop=stop.is_set)
        try:
            if args.follow:
                signal.signal(signal.SIGTERM, lambda *_: stop.set())
                try:
                    report = follow(
                        uploader, poll_s=storage.poll_s, stop=stop.is_set, sleep=stop.wait
                    )
                except UploadStopped:
                    report = DrainReport(0, 0, 0)
                    print("stopped while the server was unreachable; the backlog is kept")
            else:
                report = uploader.drain(give_up_after_s=args.give_up_after)
        finally:
            uploader.close()
        print(_brief(report, store.status(uploader.target)))
    return 0


def _brief(report: DrainReport, status: UploadStatus) -> str:
    sent = report.acknowledged - report.quarantined
    return (
        f"uploaded {sent} points in {report.batches} batches, quarantined {report.quarantined}; "
        f"backlog {status.backlog}"
    )
