"""Read a coder's filled-in coding sheet and store their codes, or refuse it whole.

One row per (sample, reply, theme, coder) goes to `human_codes` (true or
false), and one per (sample, reply, coder) to `human_code_rows` (the `none`
mark and the note). Nothing is stored unless the whole sheet is sound: every
problem — a row added or removed, a reply not in the sample, a cell that is
not 1/x/yes/blank/0, a theme column renamed or missing, the same coder (or
the same file) imported twice — is one error line naming the cell or row.
A row with no theme and no `none` is not coded yet: it is counted and left
out, and the summary says so.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import polars as pl

from analysis.sampling import SampleError, load_sample, load_theme_ids
from analysis.text import fold_one
from store import RunCounts, Store, fetch_one, finish_run, start_run
from textsafety import LINK_MARK, plural, redact_contacts, remove_links

FIXED = ("reply_id", "platform", "text")
END = ("none", "note")
YES = {"1", "1.0", "x", "yes", "y", "true", "✓", "✔"}
NO = {"", "0", "0.0", "no", "n", "false", "-"}
MAX_COLUMNS = 500  # a codebook has tens of themes; a wider sheet is not a coding sheet
MAX_EXTRA_ROWS = 1000  # rows read past the sample's size before giving up (bounded reading)


SCHEMA_CODES = {
    "sample_id": pl.Int64,
    "platform": pl.String,
    "reply_id": pl.String,
    "coder": pl.String,
    "theme_id": pl.String,
    "value": pl.Boolean,
    "import_run_id": pl.Int64,
}
SCHEMA_ROWS = {
    "sample_id": pl.Int64,
    "platform": pl.String,
    "reply_id": pl.String,
    "coder": pl.String,
    "none_marked": pl.Boolean,
    "note": pl.String,
    "import_run_id": pl.Int64,
}


class CodingError(Exception):
    """A coding sheet that cannot be stored; the message names the cell or row and the fix."""


def column_letter(index: int) -> str:
    """Excel column letters of a 0-based column index (0 → A, 27 → AB)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def is_coding_sheet(path: Path) -> bool:
    """Whether an XLSX file is a `review sample` coding sheet (reply_id, text and none columns)."""
    header, _rows, _about = read_workbook(path, max_rows=0, header_only=True)
    names = {h.strip().lower() for h in header}
    return {"reply_id", "text", "none"} <= names and "matched terms" not in names


def _coding_worksheet(wb: Any) -> Any:
    """The sheet named 'coding' (a sheet added before it must not hide it), else the first."""
    return wb["coding"] if "coding" in wb.sheetnames else wb.worksheets[0]


def _about(wb: Any) -> dict[str, str]:
    """The facts of the 'about' sheet (sample id, seed…), when it is still there."""
    about: dict[str, str] = {}
    if "about" in wb.sheetnames:
        for row in wb["about"].iter_rows(values_only=True, max_col=2, max_row=50):
            if row and row[0] is not None:
                about[str(row[0]).strip()] = "" if len(row) < 2 or row[1] is None else str(row[1])
    return about


def read_workbook(
    path: Path, *, max_rows: int, header_only: bool = False
) -> tuple[list[str], list[tuple[Any, ...]], dict[str, str]]:
    """(header, non-blank data rows, about facts) of a coding sheet.

    Rows with no value at all (Excel keeps formatted empty rows) are skipped,
    and reading stops with an error past max_rows rows that hold something:
    a hostile or wrong file cannot make memory grow without limit.
    """
    import openpyxl

    if not path.exists():
        raise CodingError(f"{path}: no such file.")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:
        raise CodingError(
            f"{path}: cannot be opened as an Excel workbook ({err}); coding sheets are .xlsx files."
        ) from err
    try:
        rows: list[tuple[Any, ...]] = []
        header: list[str] = []
        for i, row in enumerate(
            _coding_worksheet(wb).iter_rows(values_only=True, max_col=MAX_COLUMNS)
        ):
            if i == 0:
                header = [str(c).strip() if c is not None else "" for c in row]
                while header and not header[-1]:
                    header.pop()
                if header_only:
                    break
                continue
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
                rows.append(())  # keeps row numbers right for the messages
                continue
            if sum(1 for r in rows if r) >= max_rows:
                raise CodingError(
                    f"{path}: more than {max_rows} filled rows below the header; the sample has "
                    "fewer. Rows cannot be added to a coding sheet."
                )
            rows.append(tuple(row))
        about = _about(wb)
    finally:
        wb.close()
    return header, rows, about


_MENTION = re.compile(r"(?<![\w@])@[\w.\-]+|\bu/[\w-]+")
_NOT_LETTER = re.compile(r"[^a-z]+")
FINGERPRINT_CHARS = 200
TEXT_MATCH = 0.8  # similarity of a row's text to its reply's, below which the row moved


def text_fingerprint(text: str) -> str:
    """The letters of a reply's text (lower case, no @handles, contacts or links), for matching.

    The sheet shows the text privacy-filtered (pseudonymised @handles, contacts
    and links removed) and defused; the fingerprint is the same either way, so
    a row whose text cells were moved away from their reply_id is caught.
    """
    cleaned = _MENTION.sub(" ", redact_contacts(remove_links(text or "", " ")))
    cleaned = cleaned.replace(LINK_MARK, " ")
    return _NOT_LETTER.sub("", fold_one(cleaned))[:FINGERPRINT_CHARS]


def cell_flag(value: object, where: str) -> bool:
    """True for 1/x/yes, False for blank/0/no; anything else is a CodingError naming the cell."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    text = str(value).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise CodingError(
        f"{where}: {value!r} is not a code; type 1 (or x) when the reply carries the theme, "
        "leave it blank (or 0) when it does not."
    )


@dataclass(frozen=True)
class CodedRow:
    """One coded row of the sheet."""

    platform: str
    reply_id: str
    values: dict[str, bool]
    none: bool
    note: str


@dataclass(frozen=True)
class CodingImport:
    """What `review import --coder` stored."""

    sample_id: int
    coder: str
    run_id: int
    rows: int
    coded: int
    uncoded: int
    tags: int
    replaced: bool


def _check_header(path: Path, header: list[str], theme_ids: list[str]) -> dict[str, int]:
    """Column index of every expected column; errors name the cell of a renamed or missing one."""
    expected = [*FIXED, *theme_ids, *END]
    index = {name: i for i, name in enumerate(header)}
    for i, name in enumerate(header):
        if name and name not in expected:
            raise CodingError(
                f"{path}, cell {column_letter(i)}1: column {name!r} is not a column of this "
                "sample's "
                f"sheet (themes: {', '.join(theme_ids)}); restore the header as it was written."
            )
    missing = [n for n in expected if n not in index]
    if missing:
        raise CodingError(
            f"{path}: column(s) {', '.join(missing)} missing from the first row; restore the "
            "header "
            "as it was written (`replyscope review sheet SAMPLE -o blank.xlsx` writes it again)."
        )
    return index


def _match_sample(
    store: Store, path: Path, rows: list[tuple[Any, ...]], about: dict[str, str], key_col: int
) -> int:
    """The sample this sheet belongs to: its 'about' sheet, else the sample holding its keys."""
    if about.get("sample_id", "").strip().isdigit():
        return int(about["sample_id"])
    keys = [str(r[key_col]).strip() for r in rows if key_col < len(r) and r[key_col] is not None]
    if not keys:
        raise CodingError(f"{path}: no reply_id in the sheet; it is not a coding sheet.")
    row = fetch_one(
        store.con,
        """SELECT sample_id FROM validation_sample_replies
           WHERE sheet_key IN (SELECT unnest(?::VARCHAR[]))
           GROUP BY sample_id ORDER BY count(*) DESC, sample_id DESC LIMIT 1""",
        [keys[:1000]],
    )
    if row is None:
        raise CodingError(
            f"{path}: its reply_id values belong to no sample in this store; was it drawn from "
            "another --db?"
        )
    return int(row[0])


@dataclass(frozen=True)
class SampleRows:
    """What a sheet's rows are checked against: each sheet key's reply and text fingerprint."""

    sample_id: int
    replies: dict[str, tuple[str, str]]
    fingerprints: dict[str, str]


def _row_key(
    path: Path, n: int, cells: list[Any], kc: int, sample: SampleRows, seen: dict[str, int]
) -> str | None:
    """The row's sheet key, checked (None for a fully blank row)."""
    key = "" if cells[kc] is None else str(cells[kc]).strip()
    if not key:
        if any(c not in (None, "") for c in cells):
            raise CodingError(
                f"{path}, row {n}: no reply_id; rows cannot be added to a coding sheet "
                "(delete this row)."
            )
        return None
    if key not in sample.replies:
        raise CodingError(
            f"{path}, row {n}: reply_id {key!r} is not in this sample; rows cannot be added "
            "(delete the row, or restore the reply_id that was there)."
        )
    if key in seen:
        raise CodingError(
            f"{path}, rows {seen[key]} and {n} hold the same reply_id {key!r}; delete the copy."
        )
    return key


def _check_text(path: Path, n: int, cell: Any, key: str, sample: SampleRows) -> None:
    """The row's text must be its reply's: a sort that left reply_id behind moves codes."""
    expected = sample.fingerprints.get(key, "")
    found = text_fingerprint("" if cell is None else str(cell))
    # Near-equal, not equal: the sheet's privacy filter may differ from this
    # fingerprint's in odd corners (a phone number inside a link); rows that
    # slid onto another reply's text differ wholesale.
    if expected and SequenceMatcher(None, found, expected).ratio() < TEXT_MATCH:
        raise CodingError(
            f"{path}, row {n}: the text is not the text of reply_id {key!r} (were some columns "
            "sorted without the reply_id column?). Sort whole rows only, or start again from the "
            "sheet as it was written; nothing was stored."
        )


def _row_codes(
    path: Path, n: int, cells: list[Any], index: dict[str, int], theme_ids: list[str]
) -> tuple[dict[str, bool], bool]:
    """The row's theme codes and its `none` mark, each cell checked."""
    values = {
        t: cell_flag(cells[index[t]], f"{path}, cell {column_letter(index[t])}{n} (theme {t})")
        for t in theme_ids
    }
    none = cell_flag(cells[index["none"]], f"{path}, cell {column_letter(index['none'])}{n} (none)")
    if none and any(values.values()):
        raise CodingError(
            f"{path}, row {n}: `none` is marked and so is a theme "
            f"({', '.join(t for t, v in values.items() if v)}); keep one of them."
        )
    return values, none


def _check_same_sample(
    path: Path, rows: list[tuple[Any, ...]], kc: int, sample: SampleRows
) -> None:
    """A sheet none of whose keys is in the sample comes from another store or sample."""
    keys = {str(r[kc]).strip() for r in rows if kc < len(r) and r[kc] is not None}
    if keys and not keys & set(sample.replies):
        raise CodingError(
            f"{path}: its reply_id values are not those of sample {sample.sample_id} in this "
            "store: is the sheet from another store (--db) or another sample?"
        )


def parse_coding_rows(
    path: Path,
    header_index: dict[str, int],
    rows: list[tuple[Any, ...]],
    sample: SampleRows,
    theme_ids: list[str],
) -> tuple[list[CodedRow], int]:
    """Check every row against the sample; return the coded rows and the count of uncoded ones."""
    kc = header_index["reply_id"]
    _check_same_sample(path, rows, kc, sample)
    seen: dict[str, int] = {}
    coded: list[CodedRow] = []
    uncoded = 0
    for n, row in enumerate(rows, start=2):
        cells = list(row) + [None] * (len(header_index) + 3 - len(row))
        key = _row_key(path, n, cells, kc, sample, seen)
        if key is None:
            continue  # a fully blank row (Excel leaves them)
        seen[key] = n
        _check_text(path, n, cells[header_index["text"]], key, sample)
        values, none = _row_codes(path, n, cells, header_index, theme_ids)
        if not none and not any(values.values()):
            uncoded += 1
            continue
        note = cells[header_index["note"]]
        platform, reply_id = sample.replies[key]
        coded.append(CodedRow(platform, reply_id, values, none, "" if note is None else str(note)))
    missing = [k for k in sample.replies if k not in seen]
    if missing:
        raise CodingError(
            f"{path}: {plural(len(missing), 'reply', 'replies')} of the sample's "
            f"{len(sample.replies)} {'is' if len(missing) == 1 else 'are'} missing from the sheet "
            f"(first: reply_id {missing[0]!r}); rows cannot be removed. Restore them (or write a "
            "blank sheet again with `replyscope review sheet SAMPLE -o blank.xlsx`)."
        )
    if not coded:
        raise CodingError(
            f"{path}: no row is coded yet (no theme and no `none` marked); nothing was stored. "
            "Is this the blank sheet rather than the filled-in copy?"
        )
    return coded, uncoded


def load_sample_rows(store: Store, sample_id: int) -> SampleRows:
    """The sample's sheet keys with their replies and text fingerprints."""
    rows = store.con.execute(
        """SELECT s.sheet_key, s.platform, s.reply_id, r.text FROM validation_sample_replies s
           JOIN replies r USING (platform, reply_id) WHERE s.sample_id = ?""",
        [sample_id],
    ).fetchall()
    return SampleRows(
        sample_id,
        {k: (p, r) for k, p, r, _t in rows},
        {k: text_fingerprint(t) for k, _p, _r, t in rows},
    )


def import_coding_sheet(
    store: Store, path: Path, coder: str, *, replace: bool = False
) -> CodingImport:
    """Check a filled-in coding sheet whole, then store its codes for `coder` in one transaction."""
    coder = coder.strip()
    if not coder:
        raise CodingError("--coder needs a name (or initials) for the person who coded the sheet.")
    count = fetch_one(store.con, "SELECT count(*) FROM validation_sample_replies")
    header, rows, about = read_workbook(
        path, max_rows=int(count[0] if count else 0) + MAX_EXTRA_ROWS
    )
    if "reply_id" not in header:
        raise CodingError(f"{path}: no reply_id column in the first row; it is not a coding sheet.")
    try:
        sample_id = _match_sample(store, path, rows, about, header.index("reply_id"))
        info = load_sample(store, sample_id)
    except SampleError as err:
        raise CodingError(f"{path}: {err}") from err
    theme_ids = load_theme_ids(store, info.codebook_hash)
    index = _check_header(path, header, theme_ids)
    sample = load_sample_rows(store, sample_id)
    coded, uncoded = parse_coding_rows(path, index, rows, sample, theme_ids)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    _check_not_imported(store, path, sample_id, coder, digest, replace=replace)
    with store.transaction():
        run_id = start_run(
            store,
            "code",
            parameters={"sample_id": sample_id, "coder": coder, "replace": replace},
            input_path=str(path.resolve()),
            input_sha256=digest,
        )
        replaced = _delete_codes(store, sample_id, coder) if replace else False
        _save_codes(store, sample_id, coder, run_id, coded, theme_ids)
        finish_run(
            store,
            run_id,
            RunCounts(
                rows_in=len(sample.replies),
                rows_added=len(coded),
                summary={"uncoded": uncoded, "sample_id": sample_id, "coder": coder},
            ),
        )
    tags = sum(sum(r.values.values()) for r in coded)
    return CodingImport(
        sample_id, coder, run_id, len(sample.replies), len(coded), uncoded, tags, replaced
    )


def _check_not_imported(
    store: Store, path: Path, sample_id: int, coder: str, digest: str, *, replace: bool
) -> None:
    """Refuse a second import for the same coder (without --replace) and one file for two coders."""
    earlier = store.con.execute(
        """SELECT json_extract_string(parameters, '$.coder'), input_sha256, started_at FROM runs
           WHERE kind = 'code' AND status = 'ok'
             AND json_extract(parameters, '$.sample_id')::BIGINT = ? ORDER BY run_id""",
        [sample_id],
    ).fetchall()
    for who, sha, _when in earlier:
        if who != coder and sha == digest:
            raise CodingError(
                f"{path}: this very file was already imported for coder {who!r}; each coder codes "
                "their own copy of the blank sheet (agreement between one file and itself means "
                "nothing)."
            )
    if not replace and any(who == coder for who, _sha, _when in earlier):
        raise CodingError(
            f"{path}: coder {coder!r} has already coded sample {sample_id}; add --replace to "
            "replace "
            "those codes with this sheet, or give another --coder."
        )


def _delete_codes(store: Store, sample_id: int, coder: str) -> bool:
    """Remove a coder's earlier codes of a sample (for --replace); whether there were any."""
    row = fetch_one(
        store.con,
        "SELECT count(*) FROM human_code_rows WHERE sample_id = ? AND coder = ?",
        [sample_id, coder],
    )
    for table in ("human_codes", "human_code_rows"):
        store.con.execute(
            f"DELETE FROM {table} WHERE sample_id = ? AND coder = ?", [sample_id, coder]
        )
    return bool(row and row[0])


def _save_codes(
    store: Store,
    sample_id: int,
    coder: str,
    run_id: int,
    coded: list[CodedRow],
    theme_ids: list[str],
) -> None:
    """Insert the coded rows: every theme's true/false, and the none mark and note."""
    if not coded:
        return
    codes = pl.DataFrame(
        [
            (sample_id, r.platform, r.reply_id, coder, t, r.values[t], run_id)
            for r in coded
            for t in theme_ids
        ],
        schema=SCHEMA_CODES,
        orient="row",
    )
    marks = pl.DataFrame(
        [(sample_id, r.platform, r.reply_id, coder, r.none, r.note or None, run_id) for r in coded],
        schema=SCHEMA_ROWS,
        orient="row",
    )
    for table, frame in (("human_codes", codes), ("human_code_rows", marks)):
        store.con.register("_codes_in", frame.to_arrow())
        try:
            store.con.execute(f"INSERT INTO {table} SELECT * FROM _codes_in")
        finally:
            store.con.unregister("_codes_in")


def import_gold_sample(store: Store, path: Path, coder: str, *, note: str) -> CodingImport:
    """Record a hand-coded file (reply_id + themes) as a coded sample of one coder, design 'given'.

    For a set coded before replyscope drew samples (the demo's), taken as a
    simple random sample of the scope: `note` must say how it was chosen.
    Replies that are copies of one campaign count once (the first by id).
    """
    from analysis.sampling import SampleInfo, latest_tag_run, load_scope, save_sample
    from analysis.validation import read_gold

    tag_run, codebook_hash = latest_tag_run(store)
    theme_ids = load_theme_ids(store, codebook_hash)
    gold = read_gold(path, theme_ids)
    scope = load_scope(store)
    known = scope.filter(pl.col("reply_id").is_in(list(gold))).sort("unit_id", "reply_id")
    first = known.unique("unit_id", keep="first", maintain_order=True)
    population = scope["unit_id"].n_unique()
    drawn = first.select(
        pl.int_range(1, first.height + 1, dtype=pl.Int32).alias("position"),
        pl.format("g{}", pl.int_range(1, first.height + 1)).alias("sheet_key"),
        "platform",
        "reply_id",
        "unit_id",
        pl.lit("all").alias("stratum"),
        pl.lit(first.height / population).alias("inclusion_prob"),
    )
    coded = [
        CodedRow(p, r, {t: t in gold[r] for t in theme_ids}, not gold[r], "")
        for p, r in drawn.select("platform", "reply_id").iter_rows()
    ]
    with store.transaction():
        sample_id = start_run(
            store, "sample", parameters={"given": str(path.name)}, input_path=str(path)
        )
        info = SampleInfo(
            sample_id=sample_id,
            design="given",
            seed=None,
            n_drawn=drawn.height,
            population=population,
            replies=scope.height,
            campaigns_once=population < scope.height,
            codebook_hash=codebook_hash,
            tag_run_id=tag_run,
            strata={"all": {"units": population, "drawn": drawn.height}},
            note=note,
        )
        save_sample(store, info, drawn, n_requested=len(gold))
        finish_run(store, sample_id, RunCounts(rows_in=len(gold), rows_added=drawn.height))
        run_id = start_run(
            store, "code", parameters={"sample_id": sample_id, "coder": coder}, input_path=str(path)
        )
        _save_codes(store, sample_id, coder, run_id, coded, theme_ids)
        finish_run(store, run_id, RunCounts(rows_in=len(gold), rows_added=len(coded)))
    tags = sum(sum(r.values.values()) for r in coded)
    return CodingImport(sample_id, coder, run_id, len(gold), len(coded), 0, tags, False)
