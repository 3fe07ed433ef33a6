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


def render_theme_table(store: Store) -> str:
    """The latest theme summary as a terminal table ('' when nothing is tagged)."""
    rows = store.con.execute(
        """SELECT theme_id, label, replies, share, share_low, share_high, likes_share,
                  likes_share_low, likes_share_high, resonance, replies_in_scope, run_id
           FROM theme_summary"""
    ).fetchall()
    if not rows:
        return ""
    table = [
        (
            r[0],
            r[1],
            r[2],
            f"{_pct(r[3])} ({_pct(r[4])}–{_pct(r[5])})",
            f"{_pct(r[6])} ({_pct(r[7])}–{_pct(r[8])})",
            "" if r[9] is None else f"{r[9]:.2f}",
        )
        for r in rows
    ]
    head = ["theme", "label", "replies", "share (95% CI)", "likes share (95% CI)", "resonance"]
    return (
        render_table(head, table)
        + f"\n\n{rows[0][10]} replies in scope; tagging run {rows[0][11]}. Resonance = likes share ÷ reply share."
    )
