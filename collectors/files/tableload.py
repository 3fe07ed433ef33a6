"""Load spreadsheet cells into DuckDB: the `_src` table of cells and the `_raw` fields.

Both CSV paths end in the same place: a temp table `_src` with one VARCHAR
column per header cell (c0, c1, ...) and `_record_no`, the row number as a
spreadsheet shows it. Big clean CSVs are read by DuckDB's parallel reader;
anything it refuses (rows with extra cells, odd escapes, other encodings)
goes through Python's csv module with the repairs in collectors.files.header.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import polars as pl

from collectors.files.header import TablePlan
from collectors.files.readers import SWALLOWED_ROWS
from collectors.formats.base import TableFormat, norm_header
from collectors.model import ParseContext
from store import fetch_one

SRC_T, RAW_T = "_src", "_raw"
_RAW_RECORDS = (
    "raw_records (run_id, record_no, locator, source, retrieved_at, tool_version, payload)"
)


def load_csv_fast(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    skip: int,
    width: int,
    dialect: dict[str, object],
    expected: list[list[str]],
) -> bool:
    """Read a UTF-8 CSV's data rows with DuckDB into _src; False if DuckDB refuses the file.

    `expected` holds the first data rows as Python's csv module read them:
    DuckDB must agree with them, or the file goes the slow, careful way.
    """
    if dialect.get("escapechar"):
        return False
    delim = str(dialect.get("delimiter", ","))
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {SRC_T} AS
            SELECT * FROM read_csv(?, header = false, skip = ?, columns = {columns}, delim = ?,
                                   quote = '"', escape = '"', auto_detect = false,
                                   strict_mode = true, max_line_size = 20000000,
                                   encoding = 'utf-8')""",
            [str(path), skip, delim],
        )
    except duckdb.Error:
        con.execute(f"DROP TABLE IF EXISTS {SRC_T}")
        return False
    got = [
        [c or "" for c in row]
        for row in con.execute(
            f"SELECT * FROM {SRC_T} ORDER BY rowid LIMIT ?", [len(expected)]
        ).fetchall()
        if any(c is not None for c in row)
    ]
    want = [[*row, *[""] * (width - len(row))] for row in expected if any(row)]
    if got != want[: len(got)] or len(got) < min(len(want), 1):
        # Mixed line endings and similar oddities can make DuckDB read
        # something else than the file says, silently: trust the slow path.
        con.execute(f"DROP TABLE IF EXISTS {SRC_T}")
        return False
    if _swallowed_rows(con, width, delim):
        # A quote left open swallowed many rows into one cell (and a later stray
        # quote closed it): the Python path rejects that row and reads on.
        con.execute(f"DROP TABLE IF EXISTS {SRC_T}")
        return False
    # Row numbers as a spreadsheet shows them: `skip` lines come before the first data row.
    con.execute(f"ALTER TABLE {SRC_T} ADD COLUMN _record_no BIGINT")
    con.execute(f"UPDATE {SRC_T} SET _record_no = rowid + ?", [skip + 1])
    # DuckDB reads an empty unquoted cell as NULL and a fully blank line as a
    # row of NULLs; drop the latter as the Python path does.
    cond = " AND ".join(f"c{i} IS NULL" for i in range(width))
    con.execute(f"DELETE FROM {SRC_T} WHERE {cond}")
    return True


def _swallowed_rows(con: duckdb.DuckDBPyConnection, width: int, delim: str) -> bool:
    """Whether some cell of _src holds SWALLOWED_ROWS lines shaped like rows of the file.

    A quote left open reads the next rows into one cell: many line breaks, each
    line with the file's number of delimiters. A long comment of many
    paragraphs has the line breaks but not the delimiters, and stays on the
    fast path. The length test, which costs nothing, leaves the line checks
    for very few cells.
    """
    n, least = SWALLOWED_ROWS, SWALLOWED_ROWS * width
    sep = delim.replace("'", "''")
    row_like = (
        f"len(list_filter(string_split(c{{i}}, chr(10)), "
        f"lambda x: strlen(x) - strlen(replace(x, '{sep}', '')) "
        f">= {max(width - 1, 1) * len(delim)})) >= {n}"
    )
    # Only columns holding a cell that long are looked at: one cheap pass, so
    # that a wide table does not build (and DuckDB bind) a huge expression.
    longest = fetch_one(
        con, f"SELECT {', '.join(f'max(strlen(c{i}))' for i in range(width))} FROM {SRC_T}"
    )
    columns = [i for i, m in enumerate(longest or ()) if m is not None and m >= least]
    if not columns:
        return False
    cond = " OR ".join(
        f"(CASE WHEN strlen(c{i}) >= {least} AND contains(c{i}, chr(10)) "
        f"AND strlen(c{i}) - strlen(replace(c{i}, chr(10), '')) >= {n} "
        f"THEN {row_like.format(i=i)} ELSE false END)"
        for i in columns
    )
    return con.execute(f"SELECT 1 FROM {SRC_T} WHERE {cond} LIMIT 1").fetchone() is not None


def load_cells(
    con: duckdb.DuckDBPyConnection,
    batches: Iterable[tuple[list[list[str | None]], list[int]]],
    width: int,
) -> None:
    """Put already-parsed rows (XLSX, or CSV via Python) into _src, a batch at a time."""
    created = False
    for rows, numbers in batches:
        if created and not rows:
            continue
        data: dict[str, list[str | None]] = {f"c{i}": [] for i in range(width)}
        for row in rows:
            for i in range(width):
                data[f"c{i}"].append(row[i] if i < len(row) else None)
        frame = pl.DataFrame(data, schema={k: pl.String for k in data}).with_columns(
            pl.Series("_record_no", numbers, dtype=pl.Int64)
        )
        con.register("_cells", frame.to_arrow())
        try:
            if created:
                con.execute(f"INSERT INTO {SRC_T} SELECT * FROM _cells")
            else:
                con.execute(f"CREATE OR REPLACE TEMP TABLE {SRC_T} AS SELECT * FROM _cells")
                created = True
        finally:
            con.unregister("_cells")


def build_raw(
    con: duckdb.DuckDBPyConnection,
    plan: TablePlan,
    fmt: TableFormat | None,
    ctx: ParseContext,
) -> None:
    """Create _raw (RawReply fields as text) from _src using the plan and the format's derive."""
    # No per-row locator ("row 7"): the normaliser builds one for rejected rows only.
    fields = ", ".join(f'c{col} AS "{fld}"' for fld, col in plan.columns.items())
    select = f"SELECT {fields}, _record_no FROM {SRC_T}"
    if fmt is None or fmt.derive is None:
        # A view: the normaliser reads the cells once, straight from _src.
        con.execute(f"CREATE OR REPLACE TEMP VIEW {RAW_T} AS {select}")
        return
    con.execute(f"CREATE OR REPLACE TEMP TABLE {RAW_T} AS {select} ORDER BY _record_no")
    # Formats that combine columns work on a polars frame; such exports are
    # small (one post's comments), so the round trip costs little.
    src_names = ", ".join(
        f'c{i} AS "src:{norm_header(h) or i}"'
        for i, h in enumerate(plan.header)
        if i not in plan.columns.values()
    )
    query = (
        f"SELECT r.*{', ' + src_names if src_names else ''} "
        f"FROM {RAW_T} r JOIN {SRC_T} s USING (_record_no) ORDER BY _record_no"
    )
    frame = pl.from_arrow(con.sql(query).to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    # Mapped columns are also visible under their src: name for derive functions.
    for fld, col in plan.columns.items():
        name = f"src:{norm_header(plan.header[col]) or col}"
        if name not in frame.columns:
            frame = frame.with_columns(pl.col(fld).alias(name))
    derived = fmt.derive(frame, ctx)
    derived = derived.drop([c for c in derived.columns if c.startswith("src:")])
    con.register("_derived", derived.to_arrow())
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {RAW_T} AS SELECT * FROM _derived")
    finally:
        con.unregister("_derived")


def save_table_records(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    header: list[str],
    *,
    source: str,
    retrieved_at: object,
    version: str,
    preamble: list[tuple[int, list[str]]] | None = None,
) -> None:
    """Keep every row in raw_records as a JSON array of its cells, the header once as record 0.

    Rows above the header (the preamble) are kept too, as "preamble row N".
    """
    import json

    cells = ", ".join(f"c{i}" for i in range(len(header)))
    # The rows first, the header after: DuckDB writes a big insert straight to
    # the file only while the table has no other pending rows in the
    # transaction; a row inserted first makes it rewrite everything at the
    # next checkpoint (~0.5 s per million rows).
    con.execute(
        f"""INSERT INTO {_RAW_RECORDS}
            SELECT ?, _record_no, 'row ' || _record_no, ?, ?, ?, to_json([{cells}]) FROM {SRC_T}""",
        [run_id, source, retrieved_at, version],
    )
    con.execute(
        f"""INSERT INTO {_RAW_RECORDS} VALUES (?, 0, 'header', ?, ?, ?, ?)""",
        [run_id, source, retrieved_at, version, json.dumps(header, ensure_ascii=False)],
    )
    if preamble:
        con.executemany(
            f"""INSERT INTO {_RAW_RECORDS} VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [
                [
                    run_id,
                    n,
                    f"preamble row {n}",
                    source,
                    retrieved_at,
                    version,
                    json.dumps(cells, ensure_ascii=False),
                ]
                for n, cells in preamble
            ],
        )


def label_rejected_rows(con: duckdb.DuckDBPyConnection, run_id: int, header: list[str]) -> None:
    """Show rejected spreadsheet rows as {header: cell} objects, easier to read than arrays."""
    keys = [name.strip() or f"column {i + 1}" for i, name in enumerate(header)]
    pairs = ", ".join(f"?, c{i}" for i in range(len(header)))
    con.execute(
        f"""UPDATE rejects SET raw = CAST(j.obj AS VARCHAR)
            FROM (SELECT _record_no, json_object({pairs}) AS obj FROM {SRC_T}) j
            WHERE rejects.run_id = ? AND rejects.record_no = j._record_no""",
        [*keys, run_id],
    )
