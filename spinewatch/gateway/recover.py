"""After a crash: finish the analysis of the segment the crashed run left behind.

A run killed without warning (SIGKILL, power loss) leaves a segment whose recording
is complete up to the notifications in flight at the kill but whose analysis folder has no
``summary.json``, and whose results after the last commit never reached the store. On
the next start the gateway analyses that recording as ``spinewatch analyze`` would
(same options, nominal rate), which completes the folder for the report, and commits
its points: those already committed are the same points and change nothing in the
store; the others fill the hole. Heartbeats (the live ones carry the battery) and the
daily summary are left out: the running gateway's summary adds up every finished segment
of its day, this one included (:func:`spinewatch.gateway.segments.day_total`).
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from pathlib import Path
from typing import Final

from spinewatch.analysis import CHUNK_ROWS, AnalyzeOptions, analyze_recording
from spinewatch.errors import SpinewatchError
from spinewatch.recording_writer import CsvRecordingWriter
from spinewatch.recordings import RecordingOptions
from spinewatch.storage.lineprotocol import Point
from spinewatch.storage_feed import FeedContext, points_from_output, read_output

log = logging.getLogger("spinewatch.gateway")

#: Measurements the recovery does not commit (see the module doc).
SKIPPED: Final = frozenset({"device_status", "daily_summary"})


def unfinished(segment: Path) -> bool:
    """True if ``segment`` has a recording but its analysis never finished."""
    rec = segment / "recording.csv"
    return (rec.is_file() and rec.stat().st_size > 0
            and not (segment / "analysis" / "summary.json").is_file())


def recover_segment(segment: Path, options: AnalyzeOptions, rate_hz: float,
                    ctx: FeedContext) -> list[Point]:
    """Analyse an unfinished segment's recording; its points (none if it cannot be read).

    An incomplete last line (the crash cut it) is removed from the recording first.
    """
    rec = segment / "recording.csv"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the cut line is expected after a crash
            with open(rec, encoding="utf-8") as fh:
                header = fh.readline()
            CsvRecordingWriter(rec, with_magnetometer="mx" in header.split(","),
                               append=True).open().close()
        opts = dataclasses.replace(options, recording=RecordingOptions(
            rate_hz=rate_hz, chunk_rows=CHUNK_ROWS))
        analyze_recording(rec, segment / "analysis", opts)
        points = points_from_output(read_output(segment / "analysis"), ctx)
    except (OSError, SpinewatchError) as exc:
        log.warning("cannot finish the analysis of the crashed run's segment %s: %s",
                    segment, exc)
        return []
    kept = [p for p in points if p.measurement not in SKIPPED]
    log.info("finished the analysis of the crashed run's segment %s: %d points", segment,
             len(kept))
    return kept
