"""Human review in Excel: export the tags, import the corrections as overrides.

The sheet has one row per reply and one column per theme holding 1 where the
reply carries the theme (automatic tags with earlier overrides applied).
People change 1 to 0 or blank to 1; `import_review` stores exactly the cells
that differ from what was exported as `reply_overrides`, which win over
automatic tags everywhere (views, statistics, reports).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import polars as pl

from analysis.sampling import find_tag_run, load_theme_ids
from store import Store, fetch_one, now_utc
from textsafety import defuse_cell

FIXED = ["platform", "reply_id", "likes", "text", "matched terms"]


class ReviewError(Exception):
    """A review sheet that cannot be read; the message says which cell and how to fix it."""


class SheetPrivacy(Protocol):
    """What the sheet shows instead of reply text and ids (reports.privacy.Pseudonymiser)."""

    def text(self, text: str) -> str:
        """Reply text as outputs show it (contacts removed, handles pseudonymised)."""
        ...

    def reply_id(self, value: str | None) -> str | None:
        """A reply id as outputs show it (a stable key when it could name an account)."""
        ...


def _latest_tag_run(store: Store) -> tuple[int, str]:
    found = find_tag_run(store)
    if found is None:
        raise ReviewError("no tagging run yet: run `replyscope tag` first.")
    return found


def review_frame(store: Store) -> tuple[pl.DataFrame, list[str]]:
    """One row per reply with a 0/1 column per theme of the latest run's codebook."""
    _run_id, codebook_hash = _latest_tag_run(store)
    theme_ids = load_theme_ids(store, codebook_hash)
    base = pl.from_arrow(
        store.con.sql(
            """SELECT r.platform, r.reply_id, r.like_count AS likes, r.text,
                      coalesce(t.evidence, '') AS "matched terms", t.themes
               FROM replies r LEFT JOIN (
                   SELECT platform, reply_id, list(theme_id) AS themes,
                          string_agg(theme_id || ': ' || coalesce(evidence, method), ' | '
                                     ORDER BY theme_id) AS evidence
                   FROM reply_theme_tags GROUP BY ALL) t USING (platform, reply_id)
               ORDER BY r.platform, r.thread_id, r.created_at, r.reply_id"""
        ).to_arrow_table()
    )
    assert isinstance(base, pl.DataFrame)
    frame = base.with_columns(
        [pl.col("themes").fill_null([]).list.contains(t).cast(pl.Int8).alias(t) for t in theme_ids]
    ).drop("themes")
    return frame, theme_ids


def export_review(store: Store, out: Path, privacy: SheetPrivacy | None = None) -> int:
    """Write the review workbook (frozen header, filters, wrapped text); return the rows written.

    With `privacy`, reply text and ids are shown as in every output (import_review
    then needs the same `privacy` to find the replies again).
    """
    import xlsxwriter

    frame, theme_ids = review_frame(store)
    if privacy is not None:
        frame = frame.with_columns(
            pl.Series("reply_id", [privacy.reply_id(v) for v in frame["reply_id"].to_list()]),
            pl.Series("text", [privacy.text(v or "") for v in frame["text"].to_list()]),
        )
    wb = xlsxwriter.Workbook(str(out), {"strings_to_formulas": False, "strings_to_urls": False})
    try:
        ws = wb.add_worksheet("review")
        head = wb.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
        )
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        center = wb.add_format({"align": "center", "valign": "top"})
        columns = [*FIXED, *theme_ids]
        for c, name in enumerate(columns):
            ws.write_string(0, c, name, head)
        for r, row in enumerate(frame.iter_rows(), start=1):
            for c, value in enumerate(row):
                name = columns[c]
                if name in theme_ids:
                    if value:
                        ws.write_number(r, c, 1, center)
                elif name == "likes":
                    if value is not None:
                        ws.write_number(r, c, int(value))
                else:
                    ws.write_string(
                        r,
                        c,
                        defuse_cell(str(value or "")),
                        wrap if name in ("text", "matched terms") else None,
                    )
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(frame.height, 1), len(columns) - 1)
        widths = {"platform": 10, "reply_id": 22, "likes": 7, "text": 70, "matched terms": 30}
        for c, name in enumerate(columns):
            ws.set_column(c, c, widths.get(name, max(6, min(16, len(name) + 2))))
        ws.write_comment(
            0,
            3,
            "Change the theme columns only: 1 = the reply carries the theme, "
            "blank or 0 = it does not.",
        )
    finally:
        wb.close()
    return frame.height


@dataclass
class ReviewImport:
    """What an imported review changed."""

    changes: int
    added: int
    removed: int
    rows: int


def _cell_flag(value: object, where: str) -> bool:
    if value is None:
        return False
    text = str(value).strip().lower()
    if text in ("", "0", "0.0", "no", "n", "false", "-"):
        return False
    if text in ("1", "1.0", "yes", "y", "true", "x", "✓"):
        return True
    raise ReviewError(
        f"{where}: {value!r} is not 1 or 0; write 1 for a theme the reply carries, "
        "leave blank otherwise."
    )


@dataclass(frozen=True)
class _Change:
    """A theme cell of the sheet that differs from the current tags."""

    platform: str
    reply_id: str
    theme_id: str
    tagged: bool


def import_review(store: Store, path: Path, privacy: SheetPrivacy | None = None) -> ReviewImport:
    """Store the theme cells that differ from the current tags as overrides.

    Sheets with keyed ids (exported with `privacy`) and with the stored ids both import.
    """
    rows = _read_sheet(path)
    header = [str(h or "").strip() for h in rows[0]]
    if "platform" not in header or "reply_id" not in header:
        raise ReviewError(
            f"{path}: the first row must have platform and reply_id columns "
            "(export one with `replyscope review export`)."
        )
    current, theme_ids = review_frame(store)
    themes_in_sheet = [t for t in theme_ids if t in header]
    if not themes_in_sheet:
        raise ReviewError(f"{path}: no theme columns ({', '.join(theme_ids)}) in the first row.")
    now = current.select("platform", "reply_id", *themes_in_sheet)
    aliases: dict[tuple[str, str], str] = {}
    if privacy is not None:
        for platform, reply_id in now.select("platform", "reply_id").iter_rows():
            shown = privacy.reply_id(reply_id)
            if shown is not None and shown != reply_id:
                aliases[(platform, shown)] = reply_id
    changes = _changed_cells(path, rows, header, now, themes_in_sheet, aliases)
    if changes:
        _save_overrides(store, path, changes)
    added = sum(1 for c in changes if c.tagged)
    return ReviewImport(
        changes=len(changes), added=added, removed=len(changes) - added, rows=len(rows) - 1
    )


def _read_sheet(path: Path) -> list[tuple[object, ...]]:
    """The first worksheet's rows (ReviewError when it cannot be read or is empty)."""
    import openpyxl

    if not path.exists():
        raise ReviewError(f"{path}: no such file.")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:
        raise ReviewError(f"{path}: cannot be opened as an Excel workbook ({err}).") from err
    try:
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()
    if not rows:
        raise ReviewError(f"{path}: the sheet is empty.")
    return rows


def _changed_cells(
    path: Path,
    rows: list[tuple[object, ...]],
    header: list[str],
    now: pl.DataFrame,
    themes: list[str],
    aliases: dict[tuple[str, str], str],
) -> list[_Change]:
    """The sheet's theme cells that differ from `now` (the current tags), in sheet order.

    `aliases` maps a keyed id as the sheet shows it back to the stored id.
    """
    known = {(p, r): i for i, (p, r) in enumerate(now.select("platform", "reply_id").iter_rows())}
    ip, ir = header.index("platform"), header.index("reply_id")
    changes: list[_Change] = []
    for n, row in enumerate(rows[1:], start=2):
        key = (str(row[ip] or ""), str(row[ir] or ""))
        key = (key[0], aliases.get(key, key[1]))
        if key not in known:
            if any(row):
                raise ReviewError(
                    f"{path}, row {n}: reply {key[1]!r} ({key[0]}) is not in the store."
                )
            continue
        before = now.row(known[key], named=True)
        for t in themes:
            flag = _cell_flag(row[header.index(t)], f"{path}, row {n}, column {t}")
            if flag != bool(before[t]):
                changes.append(_Change(key[0], key[1], t, flag))
    return changes


def _save_overrides(store: Store, path: Path, changes: list[_Change]) -> None:
    """Store the changes as reply_overrides and recompute the latest run's theme stats."""
    from analysis.codebook import parse_codebook
    from analysis.themes import save_theme_stats

    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    stamp = now_utc()
    store.con.executemany(
        "INSERT INTO reply_overrides VALUES (?, ?, ?, ?, ?, ?, NULL)",
        [
            [c.platform, c.reply_id, c.theme_id, c.tagged, f"{path.name} (sha256 {digest})", stamp]
            for c in changes
        ],
    )
    run_id, codebook_hash = _latest_tag_run(store)
    toml = fetch_one(
        store.con, "SELECT toml FROM codebooks WHERE codebook_hash = ?", [codebook_hash]
    )
    if toml:
        # Overrides win over automatic tags, so the stored statistics change with them.
        save_theme_stats(store, run_id, parse_codebook(str(toml[0])))
