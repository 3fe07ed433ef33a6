"""Inline SVG charts: bars with intervals, a heatmap, lines over time, a histogram.

Every label is escaped; charts carry a <title> and a text fallback table is
rendered next to them by the report, so they read without colour or JS.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#1f5f8b", "#c75b12", "#2e7d4f", "#8e3b8e", "#b8860b", "#4a6fa5", "#a23b3b", "#3f7f7f")


def _short(label: str, n: int) -> str:
    """Labels longer than n characters end in an ellipsis (the full label is in the table)."""
    return label if len(label) <= n else label[: n - 1].rstrip() + "…"


def _num(v: float | None) -> float:
    return 0.0 if v is None else float(v)


def render_bar_chart(
    labels: Sequence[str],
    series: Sequence[
        tuple[str, Sequence[float | None], Sequence[tuple[float | None, float | None]] | None]
    ],
    *,
    title: str,
    percent: bool = True,
    width: int = 720,
) -> str:
    """Horizontal grouped bars (one group per label), with optional 95% interval whiskers."""
    bar_h, gap, left, right = 11, 8, 262, 60
    group_h = bar_h * len(series) + gap
    height = 30 + group_h * len(labels) + 30
    values = [_num(v) for _, vals, _ in series for v in vals]
    highs = [_num(h) for _, _, ci in series if ci for _, h in ci]
    top = max([*values, *highs, 1e-9])
    scale = (width - left - right) / top
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, label in enumerate(labels):
        y0 = 30 + i * group_h
        out.append(
            f'<text x="{left - 8}" y="{y0 + group_h / 2:.1f}" text-anchor="end" '
            'dominant-baseline="middle" '
            f'class="lbl">{escape(_short(label, 34))}</text>'
        )
        for s, (_name, vals, ci) in enumerate(series):
            y = y0 + s * bar_h
            if vals[i] is None:  # no figure (e.g. a theme not in the coded sample)
                out.append(f'<text x="{left + 4}" y="{y + bar_h - 3}" class="val">–</text>')
                continue
            v = _num(vals[i])
            out.append(
                f'<rect x="{left}" y="{y}" width="{v * scale:.1f}" height="{bar_h - 2}" '
                f'fill="{PALETTE[s % len(PALETTE)]}"/>'
            )
            if ci and ci[i][0] is not None and ci[i][1] is not None:
                lo, hi = left + _num(ci[i][0]) * scale, left + _num(ci[i][1]) * scale
                mid = y + (bar_h - 2) / 2
                out.append(
                    f'<line x1="{lo:.1f}" x2="{hi:.1f}" y1="{mid:.1f}" y2="{mid:.1f}" class="ci"/>'
                )
            text = f"{v * 100:.1f}%" if percent else f"{v:g}"
            # The value sits right of the bar and of its whisker, never on them.
            end = max(v, _num(ci[i][1]) if ci and ci[i][1] is not None else 0.0)
            out.append(
                f'<text x="{left + end * scale + 4:.1f}" y="{y + bar_h - 3}" '
                f'class="val">{escape(text)}</text>'
            )
    for s, (name, _vals, _ci) in enumerate(series):
        x = left + s * 170
        out.append(
            f'<rect x="{x}" y="8" width="10" height="10" fill="{PALETTE[s % len(PALETTE)]}"/>'
        )
        out.append(f'<text x="{x + 14}" y="17" class="lbl">{escape(name)}</text>')
    out.append("</svg>")
    return "".join(out)


def render_heatmap(
    rows: Sequence[str],
    cols: Sequence[str],
    values: Sequence[Sequence[float]],
    *,
    title: str,
    width: int = 720,
) -> str:
    """A rows x cols grid shaded by value (counts), each cell labelled."""
    left, top = 200, 110
    cell_w = max(22, min(48, (width - left - 10) // max(len(cols), 1)))
    cell_h = 20
    height = top + cell_h * len(rows) + 10
    peak = max([v for r in values for v in r] + [1])
    out = [
        f'<svg class="chart" viewBox="0 0 {left + cell_w * len(cols) + 10} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for j, col in enumerate(cols):
        x = left + j * cell_w + cell_w / 2
        out.append(
            f'<text transform="translate({x:.1f},{top - 6}) rotate(-55)" '
            f'class="lbl">{escape(col[:22])}</text>'
        )
    for i, row in enumerate(rows):
        y = top + i * cell_h
        out.append(
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" '
            f'class="lbl">{escape(row[:34])}</text>'
        )
        for j, v in enumerate(values[i]):
            shade = 0.08 + 0.92 * (v / peak)
            out.append(
                f'<rect x="{left + j * cell_w}" y="{y}" width="{cell_w - 1}" height="{cell_h - 1}" '
                f'fill="#1f5f8b" fill-opacity="{shade:.2f}"/>'
            )
            if v:
                colour = "#fff" if shade > 0.55 else "#111"
                out.append(
                    f'<text x="{left + j * cell_w + cell_w / 2:.1f}" y="{y + 14}" '
                    'text-anchor="middle" '
                    f'class="val" fill="{colour}">{int(v)}</text>'
                )
    out.append("</svg>")
    return "".join(out)


def render_line_chart(
    buckets: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str,
    width: int = 720,
) -> str:
    """Lines over time buckets (e.g. replies per topic per day)."""
    left, right, top, bottom = 50, 160, 20, 40
    height = 260
    peak = max([v for _, vals in series for v in vals] + [1])
    n = max(len(buckets) - 1, 1)
    sx = (width - left - right) / n
    sy = (height - top - bottom) / peak
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{height - bottom}" class="axis"/>',
        f'<line x1="{left}" x2="{width - right}" y1="{height - bottom}" y2="{height - bottom}" '
        'class="axis"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" class="val">{peak:g}</text>',
    ]
    step = max(1, len(buckets) // 8)
    for i in range(0, len(buckets), step):
        out.append(
            f'<text x="{left + i * sx:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
            f'class="val">{escape(buckets[i])}</text>'
        )
    for s, (name, vals) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        points = " ".join(
            f"{left + i * sx:.1f},{height - bottom - v * sy:.1f}" for i, v in enumerate(vals)
        )
        out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out.append(
            f'<text x="{width - right + 8}" y="{top + 14 * s + 10}" class="lbl" '
            f'fill="{colour}">{escape(name[:24])}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def render_histogram(
    labels: Sequence[str], counts: Sequence[int], *, title: str, width: int = 720
) -> str:
    """Vertical bars for a distribution (e.g. replies per likes bucket)."""
    left, bottom, top = 40, 40, 20
    height = 220
    peak = max([*counts, 1])
    bw = (width - left - 10) / max(len(counts), 1)
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, (label, c) in enumerate(zip(labels, counts, strict=True)):
        h = (height - top - bottom) * c / peak
        x = left + i * bw
        out.append(
            f'<rect x="{x + 2:.1f}" y="{height - bottom - h:.1f}" width="{bw - 4:.1f}" '
            f'height="{h:.1f}" fill="#1f5f8b"/>'
        )
        out.append(
            f'<text x="{x + bw / 2:.1f}" y="{height - bottom - h - 4:.1f}" text-anchor="middle" '
            f'class="val">{c}</text>'
        )
        out.append(
            f'<text x="{x + bw / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
            f'class="val">{escape(label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
