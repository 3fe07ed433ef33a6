"""Plain-text tables for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from store import Store


def render_table(names: Sequence[str], rows: Sequence[Sequence[Any]], max_width: int = 60) -> str:
    """A plain text table sized to the terminal."""

    def cell(v: Any) -> str:
        text = "" if v is None else str(v)
        text = text.replace("\n", " ")
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    body = [[cell(v) for v in row] for row in rows]
    widths = [max([len(n), *(len(r[i]) for r in body)]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in body]
    return "\n".join(line.rstrip() for line in lines)


def _pct(value: object) -> str:
    return "" if value is None else f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]


def render_theme_table(store: Store, *, campaigns_once: bool = False) -> str:
    """The latest theme summary as a terminal table ('' when nothing is tagged)."""
    from analysis.themes import latest_stats

    frame = latest_stats(store, campaigns_once=campaigns_once)
    if frame.height == 0:
        return ""
    from reports.data import count, plural

    rows = frame.to_dicts()
    table = [
        (
            r["theme_id"],
            r["label"],
            # Weighted (campaigns counted once) counts can be fractional: 1.5.
            count(r["replies_weighted"] if r.get("replies_weighted") is not None else r["replies"]),
            f"{_pct(r['share'])} ({_pct(r['share_low'])}–{_pct(r['share_high'])})",
            f"{_pct(r['likes_share'])} ({_pct(r['likes_share_low'])}–{_pct(r['likes_share_high'])})",
            "" if r["resonance"] is None else f"{r['resonance']:.2f}",
        )
        for r in rows
    ]
    head = ["theme", "label", "replies", "share (95% CI)", "likes share (95% CI)", "resonance"]
    once = ""
    if campaigns_once:
        once = (
            " Each coordinated campaign counts as one reply (its k copies 1/k each, so a count can"
            " have a decimal); `replyscope report` shows this table."
            if "replies_weighted" in frame.columns
            else " No coordinated campaign found (see `replyscope quality`): every reply counts once."
        )
    return (
        render_table(head, table)
        + f"\n\n{plural(rows[0]['replies_in_scope'], 'reply', 'replies')} in scope; tagging run {rows[0]['run_id']}. "
        + f"Resonance = likes share ÷ reply share.{once}"
    )
