"""The blind coding sheet of a validation sample (XLSX), for people to code by hand.

Sheet 1 ("coding"): reply_id (a private key of the sample, never the
platform's id, which can embed an account), platform, text, one blank
column per theme, `none` and `note`. No automatic tags, likes or authors:
they would bias the coder. Sheet 2 ("codebook"): id, label, definition and
examples of each theme. Sheet 3 ("about"): which sample this is, so
`review import` knows it. Reply text is privacy-filtered as in every output
(@mentions pseudonymised, e-mail addresses and phone numbers removed) and
defused so that no cell runs as a formula.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reports.output import output_error
from reports.privacy import pseudonymiser
from store import Store
from textsafety import defuse_cell, remove_links

CODING_SHEET = "coding"
CODEBOOK_SHEET = "codebook"
ABOUT_SHEET = "about"
FIXED_COLUMNS = ("reply_id", "platform", "text")
END_COLUMNS = ("none", "note")
INSTRUCTIONS = (
    "For each reply, type 1 (or x) in the column of every theme it carries — see the "
    "'codebook' sheet for what each theme means. Type 1 in 'none' when it carries no theme. "
    "Leave other cells blank. Do not add, remove or reorder rows or columns, and do not "
    "change the reply_id column. Then: replyscope review import THIS_FILE --coder YOUR_NAME"
)


def sample_themes(store: Store, codebook_hash: str | None) -> list[dict[str, str]]:
    """The sample codebook's themes in order: id, label, description, examples (one per line)."""
    rows = store.con.execute(
        "SELECT theme_id, label, description, examples FROM themes WHERE codebook_hash = ? ORDER "
        "BY position",
        [codebook_hash],
    ).fetchall()
    return [
        {
            "id": r[0],
            "label": r[1] or "",
            "description": r[2] or "",
            "examples": "\n".join(json.loads(r[3] or "[]")),
        }
        for r in rows
    ]


def render_coding_sheet(store: Store, sample_id: int, out: Path) -> int:
    """Write the blank coding sheet of a sample; return the rows written."""
    import xlsxwriter

    info = store.con.execute(
        "SELECT design, seed, n_drawn, population, codebook_hash, created_at FROM "
        "validation_samples WHERE sample_id = ?",
        [sample_id],
    ).fetchall()
    if not info:
        raise ValueError(f"there is no sample {sample_id}")
    design, seed, n_drawn, population, codebook_hash, created = info[0]
    themes = sample_themes(store, codebook_hash)
    rows = store.con.execute(
        """SELECT s.sheet_key, s.platform, r.text FROM validation_sample_replies s
           JOIN replies r USING (platform, reply_id) WHERE s.sample_id = ? ORDER BY s.position""",
        [sample_id],
    ).fetchall()
    p = pseudonymiser(store, show_authors=False)

    def clean(text: str) -> str:
        # The sheet goes to volunteers: besides the report's filter (pseudonymised
        # handles, no e-mails or phones), links go too.
        return remove_links(p.text(text))

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        wb = xlsxwriter.Workbook(str(out), {"strings_to_formulas": False, "strings_to_urls": False})
    except OSError as err:
        raise output_error(out, err) from err
    try:
        _coding(wb, [t["id"] for t in themes], rows, clean)
        _codebook(wb, themes)
        about = wb.add_worksheet(ABOUT_SHEET)
        facts = [
            ("sample_id", str(sample_id)),
            ("design", str(design)),
            ("seed", "" if seed is None else str(seed)),
            ("replies in the sample", str(n_drawn)),
            ("units in scope when drawn", str(population)),
            ("codebook hash", str(codebook_hash or "")),
            ("drawn at (UTC)", created.strftime("%Y-%m-%d %H:%M") if created else ""),
            ("how to code", INSTRUCTIONS),
        ]
        for r, (k, v) in enumerate(facts):
            about.write_string(r, 0, k)
            about.write_string(r, 1, defuse_cell(v))
        about.set_column(0, 0, 26)
        about.set_column(1, 1, 90)
    finally:
        try:
            wb.close()
        except OSError as err:
            raise output_error(out, err) from err
    return len(rows)


def _coding(
    wb: Any, theme_ids: list[str], rows: list[tuple[str, str, str]], clean: Callable[[str], str]
) -> None:
    """The first sheet: one row per sampled reply, blank theme columns."""
    ws = wb.add_worksheet(CODING_SHEET)
    head = wb.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
    )
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    centre = wb.add_format({"align": "center", "valign": "top"})
    columns = [*FIXED_COLUMNS, *theme_ids, *END_COLUMNS]
    for c, name in enumerate(columns):
        ws.write_string(0, c, name, head)
    for r, (key, platform, text) in enumerate(rows, start=1):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, platform)
        ws.write_string(r, 2, defuse_cell(clean(text or "")), wrap)
        for c in range(3, len(columns) - 1):
            ws.write_blank(r, c, None, centre)
    ws.freeze_panes(1, 3)
    ws.set_column(0, 0, 13)
    ws.set_column(1, 1, 10)
    ws.set_column(2, 2, 70)
    ws.set_column(3, 3 + len(theme_ids), 7)
    ws.set_column(len(columns) - 1, len(columns) - 1, 30)
    ws.write_comment(0, 2, INSTRUCTIONS, {"x_scale": 3, "y_scale": 3})
    if rows:
        ws.data_validation(
            1,
            3,
            len(rows),
            3 + len(theme_ids),
            {
                "validate": "list",
                "source": ["1", "x", "0"],
                "error_type": "warning",
                "error_message": (
                    "Type 1 (or x) when the reply carries the theme; leave blank otherwise."
                ),
            },
        )


def _codebook(wb: Any, themes: list[dict[str, str]]) -> None:
    """The second sheet: what each theme means."""
    ws = wb.add_worksheet(CODEBOOK_SHEET)
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    for c, name in enumerate(("id", "label", "definition", "examples")):
        ws.write_string(0, c, name, head)
    for r, t in enumerate(themes, start=1):
        for c, key in enumerate(("id", "label", "description", "examples")):
            ws.write_string(r, c, defuse_cell(t[key]), wrap)
    ws.freeze_panes(1, 1)
    for c, width in enumerate((16, 30, 60, 70)):
        ws.set_column(c, c, width)
