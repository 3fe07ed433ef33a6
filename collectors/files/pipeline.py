"""Import export files (CSV, XLSX, JSON, NDJSON, tweets.js) into the store.

`import_file` is the one entry point: read → detect format → parse → normalise
→ save, all in one transaction, so a file that fails leaves the store exactly
as it was, and a file that half-fits keeps its good rows and lists the rest in
`rejects`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import duckdb

from collectors.errors import ImportProblem
from collectors.files.header import HEADER_SCAN_ROWS
from collectors.files.json_parse import parse_json
from collectors.files.options import ImportOptions, Parsed
from collectors.files.readers import check_path, decode, detect_kind
from collectors.files.table_parse import has_text_column, parse_table
from collectors.files.tableload import RAW_T, SRC_T, label_rejected_rows, save_table_records
from collectors.files.xlsx import Workbook, read_xlsx
from collectors.rows.normalise import REJECTS_T, REPLIES_T, ROOTS_T, Normalised, normalise_into
from collectors.rows.rawframes import drop_temp
from collectors.rows.sink import fill_depths_from_store, save_batch, save_raw_frame, save_rejects
from store import RunCounts, Store, fetch_one, finish_run, now_utc, start_run, tool_version

__all__ = ["ImportResult", "import_file", "parse_file"]

PhaseFn = Callable[[str], None]  # told "reading", "normalising", "saving"


@dataclass
class ImportResult:
    """The outcome of one file's import, for the summary paragraph."""

    path: Path
    run_id: int
    fmt: str
    platform: str
    rows_in: int
    added: int
    updated: int
    unchanged: int
    rejected: int
    first: datetime | None
    last: datetime | None
    threads: list[str]
    notes: dict[str, Any]  # as runs.summary stores them (ParseNotes and NormaliseNotes)
    reject_examples: list[str]
    rejects_run: int | None = None  # the run whose rejects list this file's rows


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


HEAD_BYTES = 1 << 20  # enough to sniff the dialect and find a header below a preamble


def parse_file(con: duckdb.DuckDBPyConnection, path: Path, opts: ImportOptions) -> Parsed:
    """Read and parse a file into the temp table _raw of `con` (nothing is stored yet)."""
    check_path(path)
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    kind = detect_kind(path, head[:8192])
    if kind == "xls":
        raise ImportProblem(
            f"{path}: old-style .xls workbooks are not supported; save it as .xlsx in Excel."
        )
    if kind == "xlsx":
        with Workbook(path) as book:
            rows = read_xlsx(book, opts.sheet, has_text_column(opts), HEADER_SCAN_ROWS + 5)
            return parse_table(
                con,
                path,
                rows.head,
                opts,
                sheet=rows.name,
                csv_text=None,
                sheets=book.names,
                more=rows,
            )
    if kind == "json":
        return parse_json(con, path, decode(path.read_bytes())[0], opts)
    head_text, encoding = decode(head, strict=False)
    if len(head) == HEAD_BYTES:
        # Cut the partial last line so the sniffer sees whole rows.
        head_text = head_text[: head_text.rfind("\n") + 1] or head_text
    # A few NUL bytes (a broken export) are removed; many make the file binary.
    head_text = head_text.replace("\x00", "")
    return parse_table(con, path, None, opts, sheet=None, csv_text=(head_text, encoding))


def import_file(
    store: Store, path: Path, opts: ImportOptions, progress: PhaseFn | None = None
) -> ImportResult:
    """Import one file as one run; raise ImportProblem (store untouched) if nothing is usable."""
    say = progress or (lambda _phase: None)
    con = store.con
    now = now_utc()
    # The file's hash is computed in a thread while DuckDB reads (hashlib
    # releases the GIL): provenance for free on a big file.
    hashing = ThreadPoolExecutor(max_workers=1)
    sha_future = hashing.submit(sha256_file, path) if path.is_file() else None
    # Reading and normalising only touch temp tables: no transaction is needed
    # (and DuckDB's fast CSV reader may fail and fall back, which would abort one).
    try:
        say("reading")
        parsed = parse_file(con, path, opts)
        say("normalising")
        result = normalise_into(con, RAW_T, parsed.batch)
        sha = sha_future.result() if sha_future else None
        # Every row read counts, duplicates merged into another row included,
        # so that added + updated + unchanged + rejected + merged + thread posts add up.
        merged_dups = result.notes.duplicates_in_input
        rows_in = result.replies + result.roots + result.rejects + len(parsed.rejects) + merged_dups
        if result.replies + result.roots == 0:
            reasons = [r.reason for r in parsed.rejects] + [
                r[0]
                for r in con.execute(f"SELECT DISTINCT reason FROM {REJECTS_T} LIMIT 3").fetchall()
            ]
            shown = "; ".join(sorted(set(reasons))[:3]) or "no rows found"
            raise ImportProblem(f"{path}: no usable replies ({rows_in} rows read: {shown}).")
        say("saving")
        return _save_import(store, path, opts, parsed, result, rows_in, sha, now)
    finally:
        hashing.shutdown(wait=True)
        drop_temp(con, REPLIES_T, ROOTS_T, REJECTS_T, RAW_T, SRC_T)


def _save_import(
    store: Store,
    path: Path,
    opts: ImportOptions,
    parsed: Parsed,
    result: Normalised,
    rows_in: int,
    sha: str | None,
    now: datetime,
) -> ImportResult:
    """Write one parsed, normalised file into the store in a single transaction."""
    parameters = opts.run_parameters()
    with store.transaction():
        notes = {**parsed.notes.summary(), **result.notes.summary()}
        # The same file imported before with the same options by this version:
        # its raw rows and rejects are stored already, and are not stored twice.
        earlier = _earlier_import(store, sha, parameters)
        run_id = start_run(
            store,
            "import",
            parameters=parameters,
            input_path=str(path.resolve()),
            input_sha256=sha,
            fmt=parsed.fmt,
            platform=parsed.platform,
        )
        if earlier is not None:
            notes["raw_rows_of_run"] = earlier
            rejects_run = earlier
            rejected = len(parsed.rejects) + int(result.rejects)
        else:
            rejects_run = run_id
            rejected = _save_raw_and_rejects(store, run_id, parsed, source=str(path), now=now)
        merged = save_batch(store, run_id, seen_at=now)
        _fill_depths_of_orphans(store)
        facts = _batch_facts(store.con, rejects_run)
        counts = RunCounts(
            rows_in=rows_in,
            rows_added=merged.added,
            rows_updated=merged.updated,
            rows_unchanged=merged.unchanged,
            rows_rejected=rejected,
            summary={
                **notes,
                "threads": facts.threads[:50],
                "first": facts.first,
                "last": facts.last,
            },
        )
        finish_run(store, run_id, counts)
    return ImportResult(
        path=path,
        run_id=run_id,
        fmt=parsed.fmt,
        platform=parsed.platform,
        rows_in=rows_in,
        added=merged.added,
        updated=merged.updated,
        unchanged=merged.unchanged,
        rejected=rejected,
        first=facts.first,
        last=facts.last,
        threads=facts.threads,
        notes=notes,
        reject_examples=facts.reject_examples,
        rejects_run=rejects_run,
    )


def _save_raw_and_rejects(
    store: Store, run_id: int, parsed: Parsed, *, source: str, now: datetime
) -> int:
    """Keep the file's raw rows/records and its rejects; the number of rows rejected."""
    if parsed.header is not None:
        save_table_records(
            store.con,
            run_id,
            parsed.header,
            source=source,
            retrieved_at=now,
            version=tool_version(),
            preamble=parsed.preamble,
        )
    elif parsed.records is not None:
        save_raw_frame(store, run_id, parsed.records, source=source, retrieved_at=now)
    rejected = save_rejects(store, run_id, parsed.rejects, source=source)
    if parsed.header is not None and rejected:
        label_rejected_rows(store.con, run_id, parsed.header)
    return rejected


def _fill_depths_of_orphans(store: Store) -> None:
    """Parents stored by an earlier import give replies of this batch their depth."""
    con = store.con
    orphans = fetch_one(
        con, f"SELECT count(*) FROM {REPLIES_T} WHERE depth IS NULL AND parent_id IS NOT NULL"
    )
    if orphans and orphans[0]:
        threads = con.execute(
            f"SELECT DISTINCT thread_id FROM {REPLIES_T} WHERE thread_id IS NOT NULL"
        ).fetchall()
        fill_depths_from_store(store, [r[0] for r in threads])


class _BatchFacts(NamedTuple):
    """What the summary says about a saved batch."""

    first: datetime | None
    last: datetime | None
    threads: list[str]
    reject_examples: list[str]


def _batch_facts(con: duckdb.DuckDBPyConnection, rejects_run: int) -> _BatchFacts:
    span = fetch_one(con, f"SELECT min(created_at), max(created_at) FROM {REPLIES_T}")
    first, last = span or (None, None)
    threads = sorted(
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT thread_id FROM {REPLIES_T} WHERE thread_id IS NOT NULL "
            f"UNION SELECT thread_id FROM {ROOTS_T}"
        ).fetchall()
    )
    examples = [
        f"{loc}: {why}"
        for loc, why in con.execute(
            "SELECT locator, reason FROM rejects WHERE run_id = ? ORDER BY record_no LIMIT 3",
            [rejects_run],
        ).fetchall()
    ]
    return _BatchFacts(first, last, threads, examples)


def _earlier_import(store: Store, sha: str | None, parameters: dict[str, Any]) -> int | None:
    """The first ok import of this exact file with the same options by this version, if any.

    Only such a run read the same rows in the same way (another sheet, other
    options or another replyscope version may store other raw rows and
    rejects), so only then are they not stored again.
    """
    if sha is None:
        return None
    rows = store.con.execute(
        """SELECT run_id, parameters FROM runs
           WHERE kind = 'import' AND status = 'ok' AND input_sha256 = ? AND tool_version = ?
           ORDER BY run_id""",
        [sha, tool_version()],
    ).fetchall()
    wanted = json.loads(json.dumps(parameters))  # as stored: JSON round trip
    return next(
        (int(r) for r, p in rows if (json.loads(p) if isinstance(p, str) else p) == wanted), None
    )
