"""The report's pictures, drawn with matplotlib (Agg, no display) as PNG bytes.

Readable in black and white: zones, postures and sets are told apart by hatches,
line styles and labels, never by colour alone. Gaps are drawn as crossed-out
"no data" spans and non-wear as "not worn" spans, so neither reads as a value.
The x axis of day plots is the local clock, hours.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from typing import Final

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

from spinewatch.report.model import POSTURES, DayTrend, PatientDay, Span, Targets

DPI: Final = 130
WIDTH_IN: Final = 7.4
# Flexion is drawn as a min/max envelope over this many time bins (peaks survive).
ENVELOPE_BINS: Final = 1400
# Samples further apart than this are not joined in the posture timeline, s.
MAX_STEP_S: Final = 1.0
POSTURE_ROWS: Final = ("lying", "sitting", "standing", "walking", "other")
POSTURE_HATCH: Final = {
    "lying": "",
    "sitting": "////",
    "standing": "....",
    "walking": "xxx",
    "other": "\\\\\\\\",
}
ZONE_HATCH: Final = {"extension": "\\\\\\", "neutral": "", "caution": "...", "beyond": "///"}
GAP_HATCH: Final = "xx"
FONT: Final = 7.0
# Posture runs narrower than this fraction of the time axis are drawn without hatch.
NARROW_FRACTION: Final = 0.008
TICK_STEPS_MIN: Final = (1, 2, 5, 10, 15, 30, 60, 120)


def _figure(height_in: float, width_in: float = WIDTH_IN) -> Figure:
    fig = Figure(figsize=(width_in, height_in), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _style(ax: Axes) -> None:
    ax.tick_params(labelsize=FONT)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _message(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=FONT + 2, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def hours_offset(day: PatientDay) -> float:
    """Local clock hours (since the day's midnight) of ``t = 0``."""
    local0 = day.clock(0.0)
    midnight = dt.datetime.combine(day.date, dt.time(), tzinfo=local0.tzinfo)
    return (local0 - midnight).total_seconds() / 3600


def _hours_axis(ax: Axes, day: PatientDay) -> tuple[float, float]:
    """Local clock on the x axis (hours); ticks every 5 min to 2 h for the span shown."""
    h0 = hours_offset(day)
    t = day.series.t_s
    first = h0 + (float(t[0]) if len(t) else 0.0) / 3600
    last = h0 + (float(t[-1]) if len(t) else 0.0) / 3600
    span_min = max((last - first) * 60, 1.0)
    step_min = next((m for m in TICK_STEPS_MIN if span_min / m <= 12), TICK_STEPS_MIN[-1])
    lo_min = math.floor(first * 60 / step_min) * step_min
    hi_min = max(math.ceil(last * 60 / step_min) * step_min, lo_min + step_min)
    ax.set_xlim(lo_min / 60, hi_min / 60)
    ticks = list(range(lo_min, hi_min + 1, step_min))
    ax.set_xticks([m / 60 for m in ticks])
    ax.set_xticklabels([f"{(m // 60) % 24:02d}:{m % 60:02d}" for m in ticks])
    return lo_min / 60, hi_min / 60


def _spans(ax: Axes, day: PatientDay, label_y: float) -> None:
    """Gaps (crossed, "no data") and non-wear (grey, "not worn") across the axes."""
    h0 = hours_offset(day)

    def draw(spans: Sequence[Span], text: str, **kw: object) -> None:
        for s in spans:
            a, b = h0 + s.start_s / 3600, h0 + s.end_s / 3600
            ax.axvspan(a, b, zorder=3, **kw)  # type: ignore[arg-type]
            ax.text(
                (a + b) / 2,
                label_y,
                text,
                ha="center",
                va="center",
                fontsize=FONT - 1,
                zorder=4,
                rotation=90 if b - a < 0.4 else 0,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5},
            )

    draw(day.gaps, "no data", facecolor="white", edgecolor="black", hatch=GAP_HATCH, lw=0.5)
    draw(day.not_worn, "not worn", facecolor="0.85", edgecolor="0.4", lw=0.5)


def _envelope(hours: np.ndarray, y: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, ...]:
    """Per-bin min, mean and max of ``y`` (NaN where a bin has no sample)."""
    edges = np.linspace(lo, hi, ENVELOPE_BINS + 1)
    idx = np.clip(np.searchsorted(edges, hours, side="right") - 1, 0, ENVELOPE_BINS - 1)
    ok = np.isfinite(y)
    idx, y = idx[ok], y[ok]
    count = np.bincount(idx, minlength=ENVELOPE_BINS).astype(float)
    total = np.bincount(idx, weights=y, minlength=ENVELOPE_BINS)
    ymin = np.full(ENVELOPE_BINS, np.inf)
    ymax = np.full(ENVELOPE_BINS, -np.inf)
    np.minimum.at(ymin, idx, y)
    np.maximum.at(ymax, idx, y)
    empty = count == 0
    mean = np.where(empty, np.nan, total / np.maximum(count, 1))
    ymin[empty] = np.nan
    ymax[empty] = np.nan
    return (edges[:-1] + edges[1:]) / 2, ymin, mean, ymax


def flexion_plot(day: PatientDay) -> bytes:
    """Trunk flexion over the day with the profile's zones as hatched bands, PNG."""
    fig = _figure(1.6)
    ax = fig.add_axes((0.075, 0.14, 0.83, 0.8))
    _style(ax)
    t = day.targets
    top, bottom = 100.0, -40.0
    bands = (
        (bottom, -t.extension_limit_deg, "extension"),
        (t.flexion_caution_deg, t.flexion_limit_deg, "caution"),
        (t.flexion_limit_deg, top, "beyond"),
    )
    for a, b, name in bands:
        ax.axhspan(a, b, facecolor="0.93", edgecolor="0.55", hatch=ZONE_HATCH[name], lw=0, zorder=0)
        ax.text(
            1.005,
            (a + b) / 2,
            name,
            transform=ax.get_yaxis_transform(),
            fontsize=FONT - 1,
            va="center",
        )
    ax.axhline(t.flexion_limit_deg, color="black", ls="--", lw=0.8, zorder=1)
    ax.axhline(t.flexion_caution_deg, color="black", ls=":", lw=0.8, zorder=1)
    lo, hi = _hours_axis(ax, day)
    s = day.series
    hours = hours_offset(day) + s.t_s / 3600
    flex = np.where(s.posture == POSTURES.index("not_worn"), np.nan, s.flexion_deg)
    x, ymin, mean, ymax = _envelope(hours, np.clip(flex, bottom, top), lo, hi)
    ax.fill_between(x, ymin, ymax, color="0.55", lw=0, zorder=2)
    ax.plot(x, mean, color="black", lw=0.7, zorder=2)
    h0 = hours_offset(day)
    for e in day.events:
        if e.type in ("lift", "fall"):
            marker = "X" if e.type == "fall" else ("v" if e.technique == "stoop" else "^")
            ax.plot(
                h0 + e.start_s / 3600,
                min(e.peak_deg or 60.0, top - 8),
                marker=marker,
                color="black",
                mfc="white",
                ms=5,
                zorder=5,
                ls="none",
            )
    _spans(ax, day, label_y=top - 15)
    ax.set_ylim(bottom, top)
    ax.set_ylabel("flexion (°)", fontsize=FONT)
    ax.text(
        0.0,
        1.02,
        "▽ stoop lift  △ squat lift  ✕ fall   -- limit   ··· caution",
        transform=ax.transAxes,
        fontsize=FONT - 1,
    )
    return _png(fig)


def _runs(codes: np.ndarray, t_s: np.ndarray) -> list[tuple[int, float, float]]:
    """(posture code, start s, end s) runs, broken where samples are far apart."""
    if len(codes) == 0:
        return []
    step = np.diff(t_s)
    cut = np.flatnonzero((np.diff(codes) != 0) | (step > MAX_STEP_S)) + 1
    starts = np.concatenate([[0], cut])
    ends = np.concatenate([cut, [len(codes)]])
    out = []
    for a, b in zip(starts, ends, strict=True):
        end_t = t_s[b] if b < len(t_s) and t_s[b] - t_s[b - 1] <= MAX_STEP_S else t_s[b - 1]
        out.append((int(codes[a]), float(t_s[a]), float(end_t)))
    return out


def _rect(x: float, y: float, w: float, h: float) -> np.ndarray:
    return np.array([(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)])


def posture_plot(day: PatientDay) -> bytes:
    """Posture as a timeline: one row per posture, each with its own hatch, PNG."""
    fig = _figure(1.1)
    ax = fig.add_axes((0.075, 0.2, 0.83, 0.76))
    _style(ax)
    lo, hi = _hours_axis(ax, day)
    h0 = hours_offset(day)
    rows = {name: i for i, name in enumerate(reversed(POSTURE_ROWS))}
    bars: dict[str, list[tuple[float, float]]] = {name: [] for name in POSTURE_ROWS}
    for code, a, b in _runs(day.series.posture, day.series.t_s):
        name = POSTURES[code]
        if name in bars:
            bars[name].append((h0 + a / 3600, max(b - a, 1.0) / 3600))
    # Runs too narrow to show a hatch are drawn plain (the row already names the posture).
    narrow_h = (hi - lo) * NARROW_FRACTION
    for name, spans in bars.items():
        wide = [s for s in spans if s[1] >= narrow_h]
        thin = [(a, max(w, (hi - lo) / 800)) for a, w in spans if w < narrow_h]
        y = (rows[name] + 0.15, 0.7)
        ax.broken_barh(thin, y, facecolors="0.45", edgecolors="none")
        if wide:  # one compound path: Agg hatches it once, not once per run
            rects = [MplPath(_rect(a, y[0], w, y[1]), closed=True) for a, w in wide]
            ax.add_patch(
                PathPatch(
                    MplPath.make_compound_path(*rects),
                    facecolor="0.6",
                    edgecolor="black",
                    hatch=POSTURE_HATCH[name],
                    lw=0.2,
                )
            )
    ax.set_yticks([rows[n] + 0.5 for n in POSTURE_ROWS])
    ax.set_yticklabels(list(POSTURE_ROWS), fontsize=FONT)
    ax.set_ylim(0, len(POSTURE_ROWS))
    _spans(ax, day, label_y=len(POSTURE_ROWS) / 2)
    return _png(fig)


def zones_plot(day: PatientDay) -> bytes:
    """Minutes per flexion zone while worn, hatched bars, PNG."""
    fig = _figure(1.45, 3.6)
    ax = fig.add_axes((0.25, 0.27, 0.6, 0.66))
    _style(ax)
    if not day.worn:
        _message(ax, "not worn: no figures")
        return _png(fig)
    names = [z for z in ZONE_HATCH if z in day.headline.zone_s]
    values = [day.headline.zone_s[z] / 60 for z in names]
    y = np.arange(len(names))[::-1]
    ax.barh(
        y, values, color="0.75", edgecolor="black", lw=0.5, hatch=[ZONE_HATCH[n] for n in names]
    )
    for yi, v in zip(y, values, strict=True):
        label = "< 1" if 0 < v < 0.5 else f"{v:.0f}"
        ax.text(v, yi, f" {label} min", va="center", fontsize=FONT - 1)
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontsize=FONT)
    ax.set_xlabel("minutes while worn, any posture", fontsize=FONT)
    ax.set_xlim(0, max([*values, 1.0]) * 1.35)
    return _png(fig)


def exercise_plot(day: PatientDay) -> bytes:
    """Each set's reps as bars of range of motion (°); partial reps hatched, PNG."""
    fig = _figure(1.3)
    ax = fig.add_axes((0.075, 0.3, 0.9, 0.6))
    _style(ax)
    if day.sets is None:
        _message(ax, "no exercise data")
        return _png(fig)
    if not day.sets:
        _message(ax, "no exercise sets recognised" if day.worn else "not worn")
        return _png(fig)
    x = 0.0
    ticks, labels = [], []
    for s in day.sets:
        ranges = [r.range_deg for r in s.reps] or [s.mean_range_deg]
        xs = x + np.arange(len(ranges))
        partial = [r.partial for r in s.reps] or [False]
        ax.bar(
            xs,
            ranges,
            width=0.8,
            color=["white" if p else "0.6" for p in partial],
            edgecolor="black",
            lw=0.4,
            hatch=["////" if p else "" for p in partial],
        )
        ticks.append(x + (len(ranges) - 1) / 2)
        labels.append(f"{s.exercise.replace('_', ' ')}\n{day.hhmm(s.start_s)} ×{s.rep_count}")
        x += len(ranges) + 2
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels, fontsize=FONT - 1)
    ax.set_ylabel("range (°)", fontsize=FONT)
    ax.set_xlim(-1, x - 1)
    ax.text(
        1.0,
        1.02,
        "hatched: partial rep · ×N: reps in the set",
        transform=ax.transAxes,
        ha="right",
        fontsize=FONT - 1,
    )
    return _png(fig)


def trend_plot(days: Sequence[DayTrend], targets: Targets) -> bytes:
    """Key numbers of the last days, one small panel each; no-data days marked, PNG."""
    fig = _figure(1.45, 3.8)
    panels: tuple[tuple[str, str, float | None], ...] = (
        ("worn (h)", "wear_h", None),
        ("steps", "steps", float(targets.daily_steps_target)),
        ("risky bends", "risky_bends", float(targets.daily_risky_bend_allowance)),
        ("longest sit (min)", "longest_sitting_min", targets.sitting_max_min),
    )
    x = [float(i) for i in range(len(days))]
    for k, (title, attr, line) in enumerate(panels):
        ax = fig.add_axes((0.08 + 0.24 * k, 0.22, 0.17, 0.62))
        _style(ax)
        ax.set_title(title, fontsize=FONT)
        values: list[float | None] = [getattr(d, attr) for d in days]
        top = max([float(v) for v in values if v is not None] + [line or 0.0, 1.0]) * 1.15
        for xi, v, d in zip(x, values, days, strict=True):
            if v is None:
                note = "not worn" if d.wear_h == 0.0 else "no data"
                ax.text(
                    xi, top * 0.05, note, rotation=90, ha="center", va="bottom", fontsize=FONT - 2
                )
            else:
                ax.bar(xi, float(v), width=0.7, color="0.6", edgecolor="black", lw=0.4, hatch="//")
        if line is not None:
            ax.axhline(line, color="black", ls="--", lw=0.7)
        ax.set_ylim(0, top)
        ax.set_xticks(x)
        ax.set_xticklabels([str(d.date.day) for d in days], fontsize=FONT - 2)
        ax.tick_params(axis="y", labelsize=FONT - 2)
    fig.text(0.5, 0.02, "-- target or limit", ha="center", fontsize=FONT - 1)
    return _png(fig)
