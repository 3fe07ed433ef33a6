"""Render the self-contained HTML report: one file, no request to any other host.

CSS, JavaScript, charts (inline SVG) and word clouds (PNG as data: URIs) are
all inside the file. Every piece of reply text goes through Jinja2's
autoescaping or `highlight` (which escapes before it marks), so a reply can
never run code; a Content-Security-Policy forbids any external load.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, Template, select_autoescape
from markupsafe import Markup

from reports.charts import render_bar_chart, render_heatmap, render_histogram, render_line_chart
from reports.data import Reply, ReportData
from reports.output import output_error
from reports.privacy import pseudonymiser
from reports.sections import load_report_data
from reports.trust import share_text
from store import Store, tool_version
from textsafety import count, plural


@dataclass
class ReportResult:
    """Where the report went and what it holds."""

    path: Path
    bytes: int
    replies: int
    listed: int
    sections_missing: list[str]


CLOUD_SAMPLE = 20_000  # replies per theme word cloud in the report


def _asset(name: str) -> str:
    return resources.files("reports").joinpath("assets", name).read_text(encoding="utf-8")


def _term_regex(term: str) -> str:
    """A display-text regex for a codebook term (wildcards, phrases across punctuation)."""
    wildcard = term.endswith("*")
    words = [re.escape(w) for w in re.split(r"[^\w]+", term.rstrip("*")) if w]
    if not words:
        return ""
    body = r"[\W_]*".join(words)
    return rf"\b{body}" + (r"\w*" if wildcard else r"\b")


def highlight(text: str, terms: list[str]) -> Markup:
    """Escape text and wrap the codebook terms it contains in <mark>."""
    patterns = [p for p in (_term_regex(t) for t in sorted(terms, key=len, reverse=True)) if p]
    if not patterns:
        return Markup(escape(text))
    out: list[str] = []
    last = 0
    for m in re.finditer("|".join(f"(?:{p})" for p in patterns), text, flags=re.IGNORECASE):
        out.append(escape(text[last : m.start()]))
        out.append(f"<mark>{escape(m.group(0))}</mark>")
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("".join(out))


def reply_html(r: Reply) -> Markup:
    """One quoted reply with its author pseudonym, likes and themes."""
    tags = "".join(f'<span class="tag">{escape(t)}</span>' for t in r.themes)
    flags = f' <span class="flag">[{escape(r.flags)}]</span>' if r.flags else ""
    return Markup(
        f'<div class="reply"><p>{highlight(r.text, r.evidence)}</p>'
        f'<div class="meta">{escape(r.author)} · {plural(r.likes, "like")} · {escape(r.created)} '
        f"{tags}{flags}</div></div>"
    )


def _pct(v: Any) -> str:
    return "–" if v is None else f"{float(v) * 100:.1f}%"


def _num(v: Any) -> str:
    return "–" if v is None else f"{float(v):.2f}"


def _wordclouds(store: Store, d: ReportData) -> dict[str, str]:
    """Base64 PNG word cloud per theme (word counts: a few very liked replies would swamp likes)."""
    if not d.themes:
        return {}
    try:
        from analysis import wordclouds as wc

        stop = wc.load_stopwords(store)
        out: dict[str, str] = {}
        for stem, frame in wc.load_wordcloud_groups(store, "theme", sample=CLOUD_SAMPLE):
            # The store hands over about CLOUD_SAMPLE replies per theme (by key
            # hash, before reading text); this trims to at most CLOUD_SAMPLE.
            sample = frame.sample(n=CLOUD_SAMPLE, seed=7) if frame.height > CLOUD_SAMPLE else frame
            freqs = wc.compute_word_frequencies(sample["text"], None, stop, "count")
            if freqs:
                png = wc.wordcloud_png_bytes(
                    freqs, width=720, height=300, max_words=100, optimize=False
                )
                out[stem.removeprefix("theme-")] = base64.b64encode(png).decode("ascii")
        return out
    except Exception:
        # A word cloud is decoration: it must never stop the report.
        return {}


def _validation_sentence(rows: list[dict[str, Any]]) -> str:
    micro = next((r for r in rows if r["theme_id"] == "_micro"), None)
    if not micro or micro["f1"] is None:
        return ""
    f1 = micro["f1"]
    if f1 >= 0.8:
        level = "close agreement: the automatic tags can be read much like a person's coding"
    elif f1 >= 0.6:
        level = (
            "fair agreement: the overall picture holds, but check individual replies before "
            "quoting them"
        )
    else:
        level = (
            "modest agreement: use the theme figures as a first sort and rely on human review "
            "for conclusions"
        )
    precision, recall = micro["precision"] or 0, micro["recall"] or 0
    lean = (
        " Tags are more often right than complete (higher precision than recall): theme shares are "
        "likely under-counts."
        if precision > recall + 0.1
        else " Tags are more complete than precise: theme shares are likely over-counts."
        if recall > precision + 0.1
        else ""
    )
    return f"That is {level}.{lean}"


def _theme_chart(d: ReportData) -> str:
    """Theme shares with intervals: corrected for tagging error when validated, else automatic."""
    if d.trust is None:
        return render_bar_chart(
            [t["label"] for t in d.themes],
            [
                (
                    "share of replies (automatic, not validated)",
                    [t["share"] for t in d.themes],
                    [(t["share_low"], t["share_high"]) for t in d.themes],
                ),
                (
                    "share of likes (automatic)",
                    [t["likes_share"] for t in d.themes],
                    [(t["likes_share_low"], t["likes_share_high"]) for t in d.themes],
                ),
            ],
            title="Theme shares of replies and of likes by the automatic tags, with 95% intervals",
        )
    rows = [(t, d.trust.themes.get(t["theme_id"])) for t in d.themes]

    def fig(x: Any, key: str) -> Any:
        return None if x is None else x.get(key)

    return render_bar_chart(
        [t["label"] for t, _ in rows],
        [
            (
                "share of replies, corrected",
                [fig(x, "share") for _, x in rows],
                [(fig(x, "share_low"), fig(x, "share_high")) for _, x in rows],
            ),
            (
                "automatic share",
                [t["share"] if x is None else fig(x, "raw_share") for t, x in rows],
                None,
            ),
        ],
        title=(
            "Theme shares of replies corrected for tagging error (95% intervals), and the "
            "automatic shares"
        ),
    )


def _ci2(value: Any, low: Any, high: Any) -> str:
    """0.62 (0.41–0.80), or – when undefined."""
    if value is None:
        return "–"
    if low is None or high is None:
        return f"{float(value):.2f}"
    return f"{float(value):.2f} ({float(low):.2f}–{float(high):.2f})"


def _trust_word(t: Any) -> str:
    """reliable / not reliable / not measurable, for one theme of the trust panel."""
    if t is None:
        return "–"
    if t.get("reliable"):
        return "reliable"
    return "not measurable (fewer than 10 coded)" if not t.get("measurable") else "not reliable"


def _charts(d: ReportData) -> dict[str, Markup | str]:
    """The report's inline SVG charts (empty where a section has no data)."""
    labels = {t["theme_id"]: t["label"] for t in d.themes}
    charts: dict[str, Markup | str] = {
        "theme_chart": Markup(_theme_chart(d)) if d.themes else "",
        "likes_chart": Markup(
            render_histogram(
                [b for b, _ in d.likes_hist],
                [n for _, n in d.likes_hist],
                title="Replies by number of likes",
            )
        ),
        "heatmap": "",
        "over_time_chart": "",
        "comparison_chart": "",
    }
    if d.topic_theme:
        charts["heatmap"] = Markup(
            render_heatmap(*d.topic_theme, title="Replies per topic and theme")
        )
    if d.topics_over_time and len(d.topics_over_time[0]) > 1:
        charts["over_time_chart"] = Markup(
            render_line_chart(
                d.topics_over_time[0],
                d.topics_over_time[1],
                title=f"Replies per {d.over_time_unit} for the largest topics",
            )
        )
    if d.comparison:
        groups, columns, values = d.comparison
        charts["comparison_chart"] = Markup(
            render_bar_chart(
                [labels.get(c, c) for c in columns],
                [
                    (name, [row[j] for j in range(len(columns))], None)
                    for name, row in zip(groups, values, strict=True)
                ],
                title="Theme shares by group",
            )
        )
    return charts


def _validation_n(d: ReportData) -> int:
    """How many hand-coded replies a gold-file validation scored (its counts are DOUBLE)."""
    per_theme = [r for r in d.validation if not str(r["theme_id"]).startswith("_")]
    if not per_theme:
        return 0
    first = per_theme[0]
    return round(sum(float(first[k] or 0) for k in ("tp", "fp", "fn", "tn")))


# Formatting helpers the template calls.
HELPERS = {
    "pct": _pct,
    "num": _num,
    "reply_html": reply_html,
    "basename": lambda s: re.split(r"[\\/]", s)[-1] if s else "",
    "minute": lambda t: t.strftime("%Y-%m-%d %H:%M") if t else "",
    "day": lambda t: t.strftime("%Y-%m-%d") if t else "",
    "plural": plural,
    "count": count,
    "ci2": _ci2,
    "share_text": share_text,
    "trust_word": _trust_word,
}


def _template() -> Template:
    """The report template, autoescaping everything."""
    env = Environment(
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.from_string(
        resources.files("reports")
        .joinpath("templates", "report.html.j2")
        .read_text(encoding="utf-8")
    )


def render_report(
    store: Store,
    out: Path,
    *,
    title: str | None = None,
    show_authors: bool = False,
) -> ReportResult:
    """Write the HTML report for the store to `out`."""
    p = pseudonymiser(store, show_authors=show_authors)
    d = load_report_data(store, p, title=title)
    first, last = d.summary.get("first"), d.summary.get("last")
    d.summary["first_day"] = first.strftime("%Y-%m-%d") if first else "?"
    d.summary["last_day"] = last.strftime("%Y-%m-%d") if last else "?"
    is_demo = any(
        "bluesky_leadership_thread.json" in str(r.get("input_path") or "") for r in d.runs
    )
    html = _template().render(
        d=d,
        version=tool_version(),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        db_name=store.path.name,
        css=Markup(_asset("report.css")),
        js=Markup(_asset("report.js")),
        wordclouds=_wordclouds(store, d),
        labels={t["theme_id"]: t["label"] for t in d.themes},
        illustrative=is_demo,
        campaigns_once=d.campaigns_once,
        validation_sentence=_validation_sentence(d.validation),
        validation_n=_validation_n(d),
        **_charts(d),
        **HELPERS,
    )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(html, encoding="utf-8")
    except OSError as err:
        raise output_error(out, err) from err
    sections = {
        "themes": d.themes,
        "topics": d.topics,
        "tone": d.tone_overall,
        "quality": d.quality,
        "validation": d.validation,
    }
    missing = [name for name, ok in sections.items() if not ok]
    return ReportResult(out, len(html.encode("utf-8")), d.replies_total, len(d.replies), missing)
