"""The gateway's uploader: follows the local store to InfluxDB in a thread of its own."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from spinewatch.errors import SpinewatchError
from spinewatch.storage.settings import StorageSettings
from spinewatch.storage.store import LocalStore
from spinewatch.storage.uploader import Uploader, follow

log = logging.getLogger("spinewatch.gateway")


def start_uploader(settings: StorageSettings, store_path: Path,
                   stop: threading.Event) -> threading.Thread:
    """Start following ``store_path`` to ``settings.url`` until ``stop`` is set.

    The thread has its own store connection; it retries forever with the uploader's
    backoff, looks for new results every ``poll_s`` and wakes at once when stopped. It
    is a daemon: a request in flight at exit is simply retried by the next run.
    """

    def upload() -> None:
        store = LocalStore(store_path)
        uploader = Uploader(store, settings, should_stop=stop.is_set, sleep=stop.wait)
        try:
            follow(uploader, poll_s=settings.poll_s, stop=stop.is_set, sleep=stop.wait)
        except SpinewatchError as exc:
            if not stop.is_set():
                log.error("uploader stopped: %s", exc.one_line())
        finally:
            uploader.close()
            store.close()

    thread = threading.Thread(target=upload, name="gateway-upload", daemon=True)
    thread.start()
    return thread
