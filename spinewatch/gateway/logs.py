"""Structured logs for the gateway: one JSON object per line on stderr.

Each line has ``ts`` (UTC, ISO 8601), ``level``, ``logger`` and ``msg``; an
exception adds ``exc``, and a record logged on behalf of one patient (inside
:func:`for_patient`'s context: the gateway's tasks and threads) adds ``patient``,
so that the lines of a gateway serving several patients can be told apart.
Only the pseudonymous patient id ever appears in a message, never a name, and
no token or password is ever logged.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from contextvars import ContextVar
from typing import Final, TextIO

#: Loggers the gateway's log shows at INFO (everything else at WARNING).
GATEWAY_LOGGERS: Final = ("spinewatch.gateway", "collector")
#: The pseudonymous id of the patient the current task or thread works for (asyncio tasks
#: and ``asyncio.to_thread`` copy it from where they were started).
PATIENT: ContextVar[str | None] = ContextVar("spinewatch_patient", default=None)


def for_patient(patient_id: str) -> None:
    """Tag this task's log records (and those of tasks and threads it starts) with a patient."""
    PATIENT.set(patient_id)


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
        patient = PATIENT.get()
        if patient is not None:
            doc["patient"] = patient
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
