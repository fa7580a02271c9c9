"""The report as one self-contained HTML file: inline CSS, plots as base64 PNG.

No script, font, image or style is fetched from anywhere: the file can be mailed,
archived or printed offline. Print CSS sets the paper (A4 or Letter) and puts each
patient-day on exactly one page (content that would overflow is clipped, never
spilled onto a second page).

Each headline number carries ``data-key``/``data-value`` attributes with the value
as the analysis gave it (seconds, counts), so a test can compare the page with the
analysis output; an unmeasured value has an empty ``data-value``.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from spinewatch.report import plots
from spinewatch.report.findings import (
    AttentionRules,
    Finding,
    attention_reasons,
    findings,
    minutes,
    plural,
)
from spinewatch.report.model import DayTrend, PatientDay, Targets

Paper = Literal["a4", "letter"]
PAPER_MM: Final = {"a4": (210, 297), "letter": (216, 279)}
MARGIN_MM: Final = 8


@dataclass(frozen=True, slots=True)
class PageInput:
    """One page: a patient's date, its day (None: no data), and the trend up to it."""

    patient_id: str
    date: dt.date
    day: PatientDay | None
    trend: tuple[DayTrend, ...]
    targets: Targets


def _css(paper: Paper) -> str:
    w, h = PAPER_MM[paper]
    inner_h = h - 2 * MARGIN_MM
    return f"""
@page {{ size: {"A4" if paper == "a4" else "letter"}; margin: {MARGIN_MM}mm; }}
* {{ box-sizing: border-box; }}
body {{ font-family: "DejaVu Sans", Arial, sans-serif; font-size: 8.5pt; color: #000;
  margin: 0; background: #fff; }}
.page {{ width: {w - 2 * MARGIN_MM}mm; height: {inner_h}mm; overflow: hidden;
  margin: 0 auto; break-after: page; page-break-after: always; }}
.page:last-child {{ break-after: auto; page-break-after: auto; }}
@media screen {{ .page {{ border: 1px solid #999; margin: 4mm auto; padding: 2mm; }} }}
header {{ display: flex; justify-content: space-between; align-items: baseline;
  border-bottom: 1.5pt solid #000; margin-bottom: 1.5mm; }}
h1 {{ font-size: 13pt; margin: 0; }}
h2 {{ font-size: 9.5pt; margin: 1.5mm 0 0.5mm 0; }}
.meta {{ font-size: 8pt; }}
ul.findings {{ margin: 0 0 1mm 0; padding-left: 4mm; }}
ul.findings li {{ margin: 0.3mm 0; }}
li.attention {{ font-weight: bold; list-style: "▲ "; }}
li.data {{ font-style: italic; list-style: "◻ "; }}
table.headline {{ border-collapse: collapse; width: 100%; }}
table.headline td {{ border: 0.5pt solid #666; padding: 0.6mm 1.2mm; vertical-align: top; }}
table.headline td.k {{ font-weight: bold; width: 16%; }}
.page {{ display: flex; flex-direction: column; }}
.page > * {{ flex: none; }}
.page.clinic {{ height: auto; min-height: 0; overflow: visible; display: block; }}
.page > .plots {{ flex: 1 1 0; min-height: 0; display: flex; flex-direction: column; }}
.plots .box {{ flex: 1 1 0; min-height: 0; min-width: 0; display: flex; flex-direction: column; }}
.plots .row {{ flex: 1 1 0; min-height: 0; display: flex; gap: 2mm; }}
.box > .img {{ flex: 1 1 0; min-height: 0; }}
.box img {{ display: block; width: 100%; height: 100%; object-fit: contain;
  object-position: left top; }}
img {{ display: block; max-width: 100%; }}
table.clinic {{ border-collapse: collapse; width: 100%; font-size: 8pt; }}
table.clinic th, table.clinic td {{ border: 0.5pt solid #666; padding: 0.8mm 1mm;
  text-align: left; }}
tr.attention td:first-child {{ font-weight: bold; }}
.note {{ font-size: 7pt; margin: 0.3mm 0 0 0; }}
.nodata {{ border: 1pt dashed #000; padding: 6mm; text-align: center; font-size: 11pt; }}
"""


def _img(png: bytes, alt: str, name: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<img class="plot" data-plot="{name}" alt="{html.escape(alt)}" '
        f'src="data:image/png;base64,{data}">'
    )


def _box(title: str, grow: int, png: bytes, alt: str, name: str) -> str:
    """A titled plot that shrinks (keeping its shape) when the text above takes more room."""
    return (
        f'<div class="box" style="flex-grow: {grow}"><h2>{html.escape(title)}</h2>'
        f'<div class="img">{_img(png, alt, name)}</div></div>'
    )


def _cell(key: str, value: float | int | None, text: str) -> str:
    raw = "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
    return f'<td data-key="{key}" data-value="{raw}">{html.escape(text)}</td>'


def _headline(day: PatientDay) -> str:
    h, t = day.headline, day.targets
    worn = day.worn
    nw = "not worn" if h.measured_s > 0 else "no data"

    def count(kind: str) -> int | None:
        return h.event_counts.get(kind, 0) if worn else None

    def count_text(kind: str, extra: str = "") -> str:
        n = count(kind)
        return nw if n is None else f"{n}{extra}"

    lifts = ", ".join(f"{k} {v}" for k, v in sorted(h.lifts_by_technique.items()))
    sit = h.longest_sitting_s
    sit_at = (
        f" at {day.hhmm(h.longest_sitting_start_s)}"
        if h.longest_sitting_start_s is not None
        else ""
    )
    beyond = h.zone_s.get("beyond") if worn else None
    caution = h.zone_s.get("caution") if worn else None
    ext = h.zone_s.get("extension") if worn else None
    rows = [
        (
            "Worn",
            _cell(
                "wear_s",
                h.wear_s if h.measured_s > 0 else None,
                f"{minutes(h.wear_s)} of {minutes(h.duration_s)} recorded"
                if h.measured_s > 0
                else "no data",
            ),
        ),
        (
            "Steps",
            _cell(
                "steps",
                h.steps,
                nw if h.steps is None else f"{h.steps} (target {t.daily_steps_target})",
            ),
        ),
        (
            "Walking",
            _cell(
                "walking_s",
                h.walking_s,
                nw
                if h.walking_s is None
                else f"{minutes(h.walking_s)} (target {t.walking_target_min:g} min)",
            ),
        ),
        (
            "Risky bends",
            _cell(
                "events.bend",
                count("bend"),
                count_text("bend", f" (allowance {t.daily_risky_bend_allowance})"),
            ),
        ),
        (
            "Lift-like",
            _cell("events.lift", count("lift"), count_text("lift", f" ({lifts})" if lifts else "")),
        ),
        ("Falls", _cell("events.fall", count("fall"), count_text("fall"))),
        ("Twists", _cell("events.twist", count("twist"), count_text("twist"))),
        (
            "Side bends",
            _cell("events.lateral_bend", count("lateral_bend"), count_text("lateral_bend")),
        ),
        (
            "Beyond limit",
            _cell(
                "zone.beyond",
                beyond,
                nw if beyond is None else f"{minutes(beyond)} past {t.flexion_limit_deg:g}°",
            ),
        ),
        (
            "Caution zone",
            _cell(
                "zone.caution",
                caution,
                nw
                if caution is None
                else f"{minutes(caution)} at {t.flexion_caution_deg:g}–{t.flexion_limit_deg:g}°",
            ),
        ),
        (
            "Extension",
            _cell(
                "zone.extension",
                ext,
                nw if ext is None else f"{minutes(ext)} past {t.extension_limit_deg:g}° back",
            ),
        ),
        (
            "Longest sitting",
            _cell(
                "longest_sitting_s",
                sit,
                nw if sit is None else f"{minutes(sit)}{sit_at} (limit {t.sitting_max_min:g} min)",
            ),
        ),
    ]
    if day.sets is None:
        ex = "no exercise data"
    elif day.adherence:
        ex = "; ".join(
            f"{a.exercise.replace('_', ' ')} {a.sets_done}/{a.sets_prescribed} sets"
            for a in day.adherence
        )
    else:
        ex = (
            f"{plural(len(day.sets), 'set')}, none prescribed" if day.sets else "no sets recognised"
        )
    rows.append(("Exercises", f'<td data-key="exercises">{html.escape(ex)}</td>'))
    cells = [f'<td class="k">{html.escape(k)}</td>{v}' for k, v in rows]
    lines = ["<tr>" + "".join(cells[i : i + 3]) + "</tr>" for i in range(0, len(cells), 3)]
    note = (
        '<p class="note">Zone times count every posture while worn: lying on the back reads '
        "as extension, lying face down as flexion.</p>"
    )
    return '<table class="headline">' + "".join(lines) + "</table>" + note


def _findings(items: Sequence[Finding]) -> str:
    lis = "".join(f'<li class="{f.kind}">{html.escape(f.text)}</li>' for f in items)
    return f'<ul class="findings">{lis}</ul>'


def _who(patient_id: str, names: Mapping[str, str]) -> str:
    name = names.get(patient_id)
    return f"{name} ({patient_id})" if name else patient_id


def page_html(page: PageInput, names: Mapping[str, str]) -> str:
    """One ``<section class="page">`` for one patient-day."""
    title = f"{html.escape(_who(page.patient_id, names))}"
    date = page.date.strftime("%A %d %B %Y")
    day = page.day
    if day is None:
        body = (
            f'<div class="nodata">No data for this day: the sensor was not recorded '
            f"or no analysis was given.</div>"
            f"<h2>Last {len(page.trend)} days</h2>"
            + _img(plots.trend_plot(page.trend, page.targets), "7-day trend", "trend")
        )
        meta = f"profile {html.escape(page.targets.profile_name)}"
    else:
        meta = (
            f"profile {html.escape(day.targets.profile_name)} · times {day.timezone} · "
            f"{day.clock(float(day.series.t_s[0]) if len(day.series) else 0.0):%H:%M}–"
            f"{day.clock(float(day.series.t_s[-1]) if len(day.series) else 0.0):%H:%M}"
        )
        body = (
            "<h2>Findings</h2>"
            + _findings(findings(day))
            + "<h2>The day in numbers</h2>"
            + _headline(day)
            + '<div class="plots">'
            + _box(
                "Trunk flexion with the profile's zones",
                16,
                plots.flexion_plot(day),
                "trunk flexion over the day",
                "flexion",
            )
            + _box("Posture", 11, plots.posture_plot(day), "posture timeline", "posture")
            + '<div class="row" style="flex-grow: 16">'
            + _box(
                "Time per flexion zone", 1, plots.zones_plot(day), "time per flexion zone", "zones"
            )
            + _box(
                f"Last {len(page.trend)} days",
                1,
                plots.trend_plot(page.trend, day.targets),
                "trend of key numbers",
                "trend",
            )
            + "</div>"
            + _box(
                "Exercise sets: range per rep",
                13,
                plots.exercise_plot(day),
                "exercise sets",
                "exercise",
            )
            + "</div>"
        )
    return (
        f'<section class="page" data-patient="{html.escape(page.patient_id)}" '
        f'data-date="{page.date.isoformat()}"><header><h1>{title}</h1>'
        f'<span class="meta">{date} · {meta}</span></header>{body}</section>'
    )


def clinic_html(
    date_from: dt.date,
    date_to: dt.date,
    days: Mapping[str, Sequence[PatientDay | None]],
    names: Mapping[str, str],
    rules: AttentionRules,
) -> str:
    """A clinic summary page: every patient over the dates, those needing attention first."""
    rows = []
    for pid, ds in days.items():
        reasons: list[str] = []
        for d in ds:
            for r in attention_reasons(d, rules):
                tag = f"{d.date:%d %b}: {r}" if d is not None and len(ds) > 1 else r
                reasons.append(tag)
        present = [d for d in ds if d is not None]
        worn = [d for d in present if d.worn]
        falls = sum(d.headline.event_counts.get("fall", 0) for d in worn)
        bends = sum(d.headline.event_counts.get("bend", 0) for d in worn)
        lifts = sum(d.headline.event_counts.get("lift", 0) for d in worn)
        steps = [d.headline.steps for d in worn if d.headline.steps is not None]
        wear = sum(d.headline.wear_s for d in present) / 3600
        score = (falls > 0, len(reasons))
        cells = [
            html.escape(_who(pid, names)),
            f"{len(present)} of {len(ds)}",
            f"{wear:.1f}",
            str(round(sum(steps) / len(steps))) if steps else "—",
            str(bends) if worn else "—",
            str(lifts) if worn else "—",
            str(falls) if worn else "—",
            html.escape("; ".join(reasons)) or "none",
        ]
        cls = "attention" if reasons else "ok"
        rows.append(
            (
                score,
                f'<tr class="{cls}" data-patient="{html.escape(pid)}">'
                + "".join(f"<td>{c}</td>" for c in cells)
                + "</tr>",
            )
        )
    rows.sort(key=lambda r: r[0], reverse=True)
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "patient",
            "days with data",
            "worn (h, total)",
            "steps (mean a day)",
            "risky bends",
            "lift-like",
            "falls",
            "needs attention because",
        )
    )
    span = f"{date_from:%d %B %Y}" + ("" if date_from == date_to else f" – {date_to:%d %B %Y}")
    return (
        f'<section class="page clinic"><header><h1>Clinic summary</h1>'
        f'<span class="meta">{span} · attention: falls, risky bends over the allowance, '
        f"worn under {rules.min_wear_h:g} h a day, exercises under "
        f"{rules.min_adherence:.0%} of prescribed</span></header>"
        f'<table class="clinic"><tr>{head}</tr>{"".join(r[1] for r in rows)}</table></section>'
    )


def document(sections: Sequence[str], title: str, paper: Paper) -> str:
    """The whole self-contained HTML document."""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_css(paper)}</style></head>"
        f"<body>{''.join(sections)}</body></html>\n"
    )
