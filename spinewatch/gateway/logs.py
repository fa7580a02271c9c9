"""Structured logs for the gateway: one JSON object per line on stderr.

Each line has ``ts`` (UTC, ISO 8601), ``level``, ``logger`` and ``msg``; an
exception adds ``exc``. Only the pseudonymous patient id ever appears in a
message, never a name, and no token or password is ever logged.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Final, TextIO

#: Loggers the gateway's log shows at INFO (everything else at WARNING).
GATEWAY_LOGGERS: Final = ("spinewatch.gateway", "collector")


class JsonLines(logging.Handler):
    """Log records as JSON lines on a text stream (stderr by default, looked up per record)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(logging.INFO)
        self._stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        doc = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            doc["exc"] = logging.Formatter().formatException(record.exc_info)
        stream = self._stream or sys.stderr
        try:
            stream.write(json.dumps(doc, ensure_ascii=False) + "\n")
            stream.flush()
        except (OSError, ValueError):
            self.handleError(record)


def use_json_logs(stream: TextIO | None = None) -> None:
    """Replace the root's handlers by one JSON-lines handler; gateway loggers at INFO."""
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(JsonLines(stream))
    root.setLevel(logging.WARNING)
    for name in GATEWAY_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    logging.getLogger("bumble").setLevel(logging.ERROR)
