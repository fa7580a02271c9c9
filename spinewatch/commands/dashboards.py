"""``spinewatch dashboards export DIR`` and ``spinewatch dashboards push --url URL``.

``export`` writes the Grafana dashboards, alert rules and provisioning files
(see :mod:`dashboards.export`); ``push`` uploads an export through Grafana's
HTTP API with the token from ``SPINEWATCH_GRAFANA_TOKEN`` (never an option:
the command line is visible to other users).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from dashboards.build import BuildOptions
from dashboards.common import DEFAULT_RAW_RP
from dashboards.export import ExportOptions, write
from dashboards.provisioning import EXAMPLE_EMAIL, EXAMPLE_WEBHOOK, ContactOptions
from dashboards.push import TOKEN_ENV, push_from_env
from spinewatch.config import load_settings


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "dashboards",
        help="Grafana dashboards and alert rules: export files, or push to Grafana",
        description="Grafana dashboards and alert rules for therapists, on the InfluxDB the "
        "results are uploaded to (InfluxQL: InfluxDB 1.x, 2.x with a DBRP mapping, 3.x).",
    )
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    e = sub.add_parser("export", help="write dashboards JSON and provisioning files into DIR")
    e.add_argument("dir", type=Path, help="output folder (created)")
    _options(e)
    e.set_defaults(func=run_export)
    u = sub.add_parser(
        "push",
        help=f"upload to Grafana's HTTP API (token from {TOKEN_ENV})",
        description=f"Export, then upload dashboards, alert rules, contact points and the "
        f"notification policy to Grafana. The API token is read from {TOKEN_ENV}. TLS "
        "certificates are verified; http:// only for a Grafana on this machine.",
    )
    u.add_argument("--url", required=True, help="Grafana's base URL, e.g. https://grafana:3000")
    u.add_argument("--from", dest="source", type=Path, default=None, metavar="DIR",
                   help="push this export folder instead of exporting afresh")
    _options(u)
    u.set_defaults(func=run_push)


def _options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, default=None,
                   help="settings TOML: [storage] database and retention policies")
    p.add_argument("--influx-version", type=int, choices=(1, 2), default=1,
                   help="the data source: 1 = InfluxDB 1.x; 2 = 2.x/3.x via a DBRP mapping")
    p.add_argument("--raw-rp", default=None, metavar="NAME",
                   help="retention policy (or DBRP mapping) holding trunk_angles and "
                   "device_status (default: from the settings, else autogen)")
    p.add_argument("--profile", action="append", default=None, metavar="NAME",
                   help="profile to build patient dashboards for (repeat; default: all shipped)")
    p.add_argument("--prescribed-sets-per-week", type=int, default=14, metavar="N",
                   help="exercise sets a week the adherence panels and alert compare with")
    p.add_argument("--email", default=EXAMPLE_EMAIL, help="example e-mail contact point")
    p.add_argument("--webhook-url", default=EXAMPLE_WEBHOOK,
                   help="example webhook contact point")
    p.add_argument("--timezone", default="UTC",
                   help="IANA zone of the night mute timing (22:00-07:00)")


def export_options(args: argparse.Namespace) -> ExportOptions:
    """Export options from the command line and the settings file."""
    storage = load_settings(args.config).storage
    raw_rp = args.raw_rp or storage.raw_retention_policy or storage.retention_policy
    return ExportOptions(
        build=BuildOptions(
            raw_rp=raw_rp or DEFAULT_RAW_RP,
            prescribed_sets_per_week=args.prescribed_sets_per_week,
            profiles=tuple(args.profile or ()),
        ),
        influx_version=args.influx_version,
        database=storage.database,
        contacts=ContactOptions(email=args.email, webhook_url=args.webhook_url,
                                timezone=args.timezone),
    )


def run_export(args: argparse.Namespace) -> int:
    written = write(args.dir, export_options(args))
    print(f"wrote {len(written)} files into {args.dir}")
    return 0


def run_push(args: argparse.Namespace) -> int:
    if args.source is not None:
        report = push_from_env(args.source, args.url)
    else:
        with tempfile.TemporaryDirectory(prefix="spinewatch-dashboards-") as tmp:
            write(Path(tmp), export_options(args))
            report = push_from_env(Path(tmp), args.url)
    print(
        f"pushed {report.dashboards} dashboards, {report.rule_groups} rule groups and "
        f"{report.contact_points} contact points to {args.url}"
    )
    return 0
