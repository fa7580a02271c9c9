"""``spinewatch report``: the therapist's daily movement report, as HTML or PDF.

Reads patient-days (``--source``) from the local store (``storage.store_path``, the
default when no ``--analysis`` folder is given), from InfluxDB (``storage.url``,
1.x query API) or from analysis folders (``--analysis``); see
:mod:`spinewatch.report.sources`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from pathlib import Path
from typing import Any

from spinewatch.config import load_settings
from spinewatch.errors import ReportError
from spinewatch.report.build import clinic_report, patient_report, write_report
from spinewatch.report.findings import AttentionRules
from spinewatch.report.load_analysis import check_timezone, parse_start
from spinewatch.report.load_influx import InfluxDaySource
from spinewatch.report.load_store import StoreDaySource
from spinewatch.report.model import Targets
from spinewatch.report.sources import AnalysisFolders, DaySource, FolderSpec, read_names
from spinewatch.settings import PATIENT_ID_PATTERN, Settings

MAX_DAYS = 31


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "report",
        help="the therapist's movement report of a patient (or the clinic) as HTML or PDF",
        description="One page per patient-day: findings, headline numbers against the "
        "profile's targets, trunk flexion with the limit zones, posture, time per zone, "
        "exercise sets and a 7-day trend. Self-contained HTML, or PDF through headless "
        "Chromium. Data from the local store (default), InfluxDB, or --analysis folders "
        "(each one day of `spinewatch analyze` output).",
    )
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--patient", help="pseudonymous patient id")
    who.add_argument(
        "--clinic",
        action="store_true",
        help="a clinic summary of every patient with data (with --analysis: those given as "
        "ID=DIR), attention first",
    )
    p.add_argument("--date", type=_date, required=True, help="the (last) day, YYYY-MM-DD")
    p.add_argument("--days", type=int, default=1, help=f"days ending on --date, 1-{MAX_DAYS}")
    p.add_argument("--out", type=Path, required=True, help="FILE.html or FILE.pdf")
    p.add_argument(
        "--source",
        choices=("store", "influx", "analysis"),
        default=None,
        help="where the data comes from: the local store (storage.store_path; the default "
        "without --analysis), InfluxDB (storage.url) or --analysis folders",
    )
    p.add_argument(
        "--analysis",
        nargs="+",
        action="extend",
        default=[],
        metavar="[ID=]DIR",
        help="analysis folders, one per patient-day; ID= names the patient (default --patient)",
    )
    p.add_argument(
        "--start",
        nargs="+",
        action="extend",
        default=[],
        metavar="TIME",
        help="wall-clock start (ISO 8601 with offset) of each --analysis recording, in order; "
        "default from its summary.json",
    )
    p.add_argument("--timezone", default=None, help="clinic time zone (default: settings)")
    p.add_argument("--names", type=Path, default=None, help="the clinic's id,name CSV file")
    p.add_argument("--paper", choices=("a4", "letter"), default="a4", help="paper size")
    p.add_argument(
        "--config",
        type=Path,
        default=None,
        help="settings TOML: the patient's profile and [report]; with --clinic the profile "
        "applies to every patient",
    )
    p.set_defaults(func=run)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from exc


def _specs(args: argparse.Namespace) -> list[FolderSpec]:
    if not args.analysis:
        raise ReportError(
            "--source analysis needs analysis folders",
            where="--analysis",
            advice="give the analysis folders: --analysis DIR [DIR ...]",
        )
    starts = [parse_start(s) for s in args.start]
    if starts and len(starts) != len(args.analysis):
        raise ReportError(
            f"{len(starts)} start times for {len(args.analysis)} analysis folders",
            where="--start",
            advice="give one --start per --analysis folder, in the same order, or none",
        )
    specs = []
    for k, text in enumerate(args.analysis):
        pid, sep, folder = str(text).rpartition("=")
        pid = pid if sep else (args.patient or "")
        if not pid:
            raise ReportError(
                "names no patient", where="--analysis", value=text, advice="write it as ID=DIR"
            )
        specs.append(FolderSpec(pid, Path(folder), starts[k] if starts else None))
    return specs


def _targets(settings: Settings, args: argparse.Namespace) -> Targets:
    if args.config is not None and args.patient and settings.patient.id != args.patient:
        raise ReportError(
            f"holds the settings of patient {settings.patient.id}, not {args.patient}",
            where=str(args.config),
            advice="give this patient's settings file",
        )
    return Targets.from_profile(settings.patient.clinical_profile())


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.days <= MAX_DAYS:
        raise ReportError(f"must be 1 to {MAX_DAYS}", where="--days", value=args.days)
    if args.patient is not None and not _valid_id(args.patient):
        raise ReportError(
            "is not a pseudonymous id",
            where="--patient",
            value=args.patient,
            advice="1 to 64 letters, digits, '_', '.' or '-'",
        )
    settings = load_settings(args.config)
    rs = settings.report
    timezone = check_timezone(args.timezone or rs.timezone)
    names_path = args.names or rs.names_file
    names = read_names(names_path) if names_path is not None else {}
    targets = _targets(settings, args)
    source, patients = _source(args, settings, targets, timezone)
    try:
        if args.clinic:
            rules = AttentionRules(min_wear_h=rs.min_wear_h, min_adherence=rs.min_adherence)
            text = clinic_report(
                source,
                patients,
                args.date,
                args.days,
                dict.fromkeys(patients, targets),
                names,
                args.paper,
                rules,
            )
        else:
            text = patient_report(
                source, args.patient, args.date, args.days, targets, names, args.paper
            )
    finally:
        close = getattr(source, "close", None)
        if callable(close):
            close()
    out = write_report(text, args.out)
    print(f"report written to {out}")
    return 0


def _source(
    args: argparse.Namespace, settings: Settings, targets: Targets, timezone: str
) -> tuple[DaySource, tuple[str, ...]]:
    """The day source ``--source`` names, and the patients a clinic report covers."""
    kind = args.source or ("analysis" if args.analysis else "store")
    if kind == "analysis":
        specs = _specs(args)
        ids = {s.patient_id for s in specs}
        folders = AnalysisFolders(specs, dict.fromkeys(ids, targets), timezone)
        return folders, folders.all_patients()
    if args.analysis or args.start:
        raise ReportError(
            f"is for --source analysis, not {kind}",
            where="--analysis" if args.analysis else "--start",
            advice="leave it out, or give --source analysis",
        )
    source: StoreDaySource | InfluxDaySource
    if kind == "influx":
        source = InfluxDaySource(settings.storage, targets, timezone)
    else:
        path = settings.storage.store_file(settings.paths.data_dir)
        source = StoreDaySource.open(path, targets, timezone)
    dates = [args.date - dt.timedelta(days=k) for k in range(args.days)]
    patients = sorted({p for d in dates for p in source.patients(d)}) if args.clinic else []
    return source, tuple(patients)


def _valid_id(patient_id: str) -> bool:
    return re.fullmatch(PATIENT_ID_PATTERN, patient_id) is not None
