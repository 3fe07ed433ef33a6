"""Exports of replies, themes and topics to CSV, XLSX or Parquet — safe to open in Excel.

The same privacy default as the report: authors and handles pseudonymised, ids
that embed an account keyed, e-mails and phone numbers removed
(`show_authors=True` keeps real handles and ids).
CSV and XLSX cells that a spreadsheet would run as a formula (starting with
= + - @, tab or carriage return) get a leading ' so they stay text.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import IO, Any

import polars as pl

from reports.output import output_error
from reports.privacy import pseudonymiser
from store import Store
from textsafety import defuse_cell

WHAT = ("replies", "themes", "topics")
FORMATS = ("csv", "xlsx", "parquet")
XLSX_CELL_LIMIT = 32_767  # Excel's maximum characters in one cell


class ExportError(Exception):
    """An export that cannot be made, with what to do."""


def load_export_frame(store: Store, what: str, *, show_authors: bool = False) -> pl.DataFrame:
    """The rows to export, privacy-filtered."""
    p = pseudonymiser(store, show_authors=show_authors)
    if what == "replies":
        frame = pl.from_arrow(
            store.con.sql(
                """SELECT platform, reply_id, thread_id, parent_id, depth,
                          coalesce(author_handle, author_name) AS author, created_at, text,
                          like_count, likes_band, array_to_string(themes, '; ') AS themes,
                          evidence, topic_id, topic_label, tone, tone_score,
                          detected_lang, duplicate_group, campaign_id, low_content, spam
                   FROM replies_tagged ORDER BY platform, thread_id, created_at, reply_id"""
            ).to_arrow_table()
        )
        assert isinstance(frame, pl.DataFrame)
        return frame.with_columns(
            pl.Series("author", [p.name(a) for a in frame["author"].to_list()], dtype=pl.String),
            pl.Series("text", [p.text(t or "") for t in frame["text"].to_list()], dtype=pl.String),
            # Ids that embed an account (Bluesky at://did:…) become stable keys.
            *(
                pl.Series(c, [p.reply_id(v) for v in frame[c].to_list()], dtype=pl.String)
                for c in ("reply_id", "parent_id")
            ),
            pl.Series(
                "thread_id", [p.thread_id(v) for v in frame["thread_id"].to_list()], dtype=pl.String
            ),
        )
    if what == "themes":
        frame = pl.from_arrow(store.con.sql("SELECT * FROM theme_summary").to_arrow_table())
        assert isinstance(frame, pl.DataFrame)
        if frame.height == 0:
            raise ExportError("no tagging run yet: run `replyscope tag` first.")
        return frame
    if what == "topics":
        frame = pl.from_arrow(
            store.con.sql(
                "SELECT topic_id, label, keywords, size, likes, share, representative FROM "
                "topic_summary"
            ).to_arrow_table()
        )
        assert isinstance(frame, pl.DataFrame)
        if frame.height == 0:
            raise ExportError("no topic model yet: run `replyscope topics` first.")

        def words(value: str | None) -> str:
            return ", ".join(
                k[0] if isinstance(k, list) else str(k) for k in json.loads(value or "[]")
            )

        def reps(value: str | None) -> str:
            items = json.loads(value or "[]")
            return " | ".join(
                p.text(str(x.get("text", "") if isinstance(x, dict) else x)) for x in items
            )

        return frame.with_columns(
            pl.Series("keywords", [words(v) for v in frame["keywords"].to_list()], dtype=pl.String),
            pl.Series(
                "representative",
                [reps(v) for v in frame["representative"].to_list()],
                dtype=pl.String,
            ),
        )
    raise ExportError(f"--what {what}: choose one of {', '.join(WHAT)}.")


def _defused(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column with formula-like cells neutralised."""
    return frame.with_columns(
        [
            pl.col(c).map_elements(defuse_cell, return_dtype=pl.String)
            for c, t in frame.schema.items()
            if t == pl.String
        ]
    )


def export(
    store: Store,
    what: str,
    fmt: str,
    out: Path,
    *,
    show_authors: bool = False,
    notes: list[str] | None = None,
) -> int:
    """Write the export and return its row count (notes for the user, e.g. cut cells: `notes`)."""
    if fmt not in FORMATS:
        raise ExportError(f"--format {fmt}: choose one of {', '.join(FORMATS)}.")
    frame = load_export_frame(store, what, show_authors=show_authors)
    try:
        return _write(store, frame, what, fmt, out, notes if notes is not None else [])
    except OSError as err:
        raise output_error(out, err) from err


def _write(
    store: Store, frame: pl.DataFrame, what: str, fmt: str, out: Path, notes: list[str]
) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        store.con.register("_export", frame.to_arrow())
        try:
            store.con.execute(
                f"COPY (SELECT * FROM _export) TO '{str(out).replace(chr(39), chr(39) * 2)}' "
                "(FORMAT parquet)"
            )
        finally:
            store.con.unregister("_export")
        return frame.height
    safe = _defused(frame)
    if fmt == "csv":
        with out.open("w", newline="", encoding="utf-8-sig") as fh:  # BOM: Excel reads UTF-8 right
            writer = csv.writer(fh)
            writer.writerow(safe.columns)
            for row in safe.iter_rows():
                writer.writerow(["" if v is None else v for v in row])
        return frame.height
    cut = _write_xlsx(safe, out, what)
    if cut:
        notes.append(
            f"{cut:,} cell{'s' if cut != 1 else ''} cut to Excel's {XLSX_CELL_LIMIT:,}-character "
            "limit "
            "(marked in the cell); use --format csv or parquet for the full text."
        )
    return frame.height


def xlsx_cell(value: str) -> tuple[str, bool]:
    """The text as one XLSX cell holds it: cut to Excel's limit with a marker saying so."""
    if len(value) <= XLSX_CELL_LIMIT:
        return value, False
    # The marker's own length depends on the number it states: fix it first.
    cut = len(value) - XLSX_CELL_LIMIT
    for _ in range(3):
        mark = f"… [cut: {cut:,} more characters; full text in the CSV or Parquet export]"
        keep = XLSX_CELL_LIMIT - len(mark)
        cut = len(value) - keep
    mark = f"… [cut: {cut:,} more characters; full text in the CSV or Parquet export]"
    keep = XLSX_CELL_LIMIT - len(mark)
    return value[:keep] + mark, True


def _write_xlsx(frame: pl.DataFrame, out: Path, sheet: str) -> int:
    """Write the sheet; return the number of cells cut to Excel's limit."""
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    wb = xlsxwriter.Workbook(
        str(out),
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    cut = 0
    try:
        ws = wb.add_worksheet(sheet[:31])
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        for c, name in enumerate(frame.columns):
            ws.write_string(0, c, name, head)
        for r, row in enumerate(frame.iter_rows(), start=1):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, bool):
                    ws.write_boolean(r, c, value)
                elif isinstance(value, int | float):
                    ws.write_number(r, c, value)
                else:
                    text, was_cut = xlsx_cell(str(value))
                    cut += was_cut
                    ws.write_string(
                        r,
                        c,
                        text,
                        wrap
                        if frame.columns[c] in ("text", "representative", "evidence")
                        else None,
                    )
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(frame.height, 1), max(len(frame.columns) - 1, 0))
        for c, name in enumerate(frame.columns):
            sample = [len(str(v)) for v in frame[name].head(200).to_list() if v is not None]
            width = (
                60
                if name in ("text", "representative", "evidence")
                else min(40, max(len(name) + 2, *(sample or [8])))
            )
            ws.set_column(c, c, width)
    finally:
        try:
            wb.close()
        except FileCreateError as err:
            cause = err.args[0] if err.args and isinstance(err.args[0], OSError) else None
            raise cause or OSError(str(err)) from err
    return cut


# --- `replyscope sql --export FILE`: one checked query's result, written by us ---

QUERY_FORMATS = ("csv", "parquet", "json")
_BATCH = 50_000  # rows per step: a large result never sits in memory whole


def export_query(store: Store, statement: str, fmt: str, out: Path) -> int:
    """Write a read-only query's result to `out` (csv, parquet or json); return its row count.

    The query runs on the sandboxed connection (no file access), so replyscope
    writes the one file the person named; CSV cells are defused as in every export.
    """
    if fmt not in QUERY_FORMATS:
        raise ExportError(f"--export {out.name}: name the file .csv, .parquet or .json.")
    reader = store.con.sql(statement).to_arrow_reader(_BATCH)
    try:
        if fmt == "parquet":
            return _query_parquet(reader, out)
        with out.open("w", newline="", encoding="utf-8-sig" if fmt == "csv" else "utf-8") as fh:
            return (_query_csv if fmt == "csv" else _query_json)(reader, fh)
    except OSError as err:
        raise output_error(out, err) from err


def _query_parquet(reader: Any, out: Path) -> int:
    import pyarrow.parquet as pq

    n = 0
    with pq.ParquetWriter(str(out), reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
            n += batch.num_rows
    return n


def _query_csv(reader: Any, fh: IO[str]) -> int:
    writer = csv.writer(fh)
    writer.writerow(reader.schema.names)
    n = 0
    for batch in reader:
        for row in batch.to_pylist():
            writer.writerow(
                [
                    "" if v is None else defuse_cell(v) if isinstance(v, str) else v
                    for v in row.values()
                ]
            )
            n += 1
    return n


def _json_safe(value: Any) -> Any:
    """NaN and infinities are not JSON: they are written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _query_json(reader: Any, fh: IO[str]) -> int:
    """A JSON array of objects, one per row, written row by row."""
    fh.write("[")
    n = 0
    for batch in reader:
        for row in batch.to_pylist():
            fh.write(",\n " if n else "\n ")
            fh.write(
                json.dumps(
                    {k: _json_safe(v) for k, v in row.items()}, default=str, ensure_ascii=False
                )
            )
            n += 1
    fh.write("\n]\n" if n else "]\n")
    return n
