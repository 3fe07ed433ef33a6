"""A coding sheet that is not sound is refused whole: one line naming the cell or row, store
unchanged."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from cli import main
from store import Store
from tests.validation_helpers import code_sheet, loop, run, sample_keys

__all__ = ["loop"]  # the fixture, used by name

Loop = tuple[CliRunner, list[str], dict[str, set[str]], Path]


def store_state(db: Path) -> tuple[Any, ...]:
    """Everything an import could change."""
    with Store.open(db, read_only=True) as s:
        return tuple(
            s.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            for t in ("human_codes", "human_code_rows", "runs", "reply_overrides")
        )


@pytest.fixture
def coded(loop: Loop) -> tuple[CliRunner, list[str], Path, Path]:
    """A drawn sample of 30 and a correctly coded sheet of it: (runner, base, sheet, db)."""
    runner, base, truth, tmp = loop
    run(runner, base, "review", "sample", "--n", "30", "--seed", "9", "-o", str(tmp / "s.xlsx"))
    code_sheet(tmp / "s.xlsx", tmp / "good.xlsx", truth, sample_keys(Path(base[1])))
    return runner, base, tmp / "good.xlsx", Path(base[1])


def edited(src: Path, change: Callable[[Any], None]) -> Path:
    """A copy of the sheet with one change made to its first worksheet."""
    wb = openpyxl.load_workbook(src)
    change(wb["coding"])
    out = src.with_name("bad.xlsx")
    wb.save(out)
    return out


def refuse(runner: CliRunner, base: list[str], db: Path, sheet: Path, *extra: str) -> str:
    """Import must fail with one line and leave the store as it was; returns the message."""
    before = store_state(db)
    result = runner.invoke(main, [*base, "review", "import", str(sheet), *extra])
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    message = result.output.strip()
    assert message.startswith("Error: ") and "\n" not in message, message
    assert store_state(db) == before
    return message


def test_good_sheet_imports(coded: tuple[CliRunner, list[str], Path, Path]) -> None:
    runner, base, sheet, db = coded
    before = store_state(db)
    run(runner, base, "review", "import", str(sheet), "--coder", "ann")
    after = store_state(db)
    assert after[0] == before[0] + 30 * 3 and after[1] == before[1] + 30


def test_row_added(coded: tuple[CliRunner, list[str], Path, Path]) -> None:
    runner, base, sheet, db = coded
    bad = edited(sheet, lambda ws: ws.append(["rfeedface01", "other", "an extra reply", 1]))
    msg = refuse(runner, base, db, bad, "--coder", "ann")
    assert "row 32" in msg and "not in this sample" in msg


def test_row_added_without_key(coded: tuple[CliRunner, list[str], Path, Path]) -> None:
    runner, base, sheet, db = coded
    bad = edited(sheet, lambda ws: ws.append([None, "other", "a reply typed in", 1]))
    assert "row 32: no reply_id" in refuse(runner, base, db, bad, "--coder", "ann")


def test_row_removed(coded: tuple[CliRunner, list[str], Path, Path]) -> None:
    runner, base, sheet, db = coded
    bad = edited(sheet, lambda ws: ws.delete_rows(5))
    msg = refuse(runner, base, db, bad, "--coder", "ann")
    assert "1 reply of the sample's 30 is missing" in msg and "cannot be removed" in msg


def test_reply_not_in_sample(coded: tuple[CliRunner, list[str], Path, Path]) -> None:
    runner, base, sheet, db = coded

    def change(ws: Any) -> None:
        ws["A7"] = "r0000000000"

    msg = refuse(runner, base, db, edited(sheet, change), "--coder", "ann")
    assert "row 7: reply_id 'r0000000000' is not in this sample" in msg


def test_duplicate_row(coded: tuple[CliRunner, list[str], Path, Path]) -> None:
    runner, base, sheet, db = coded

    def change(ws: Any) -> None:
        ws["A7"] = ws["A6"].value

    msg = refuse(runner, base, db, edited(sheet, change), "--coder", "ann")
    assert "rows 6 and 7 hold the same reply_id" in msg


@pytest.mark.parametrize("value", ["maybe", "2", "yess", "?"])
def test_cell_that_is_not_a_code(
    coded: tuple[CliRunner, list[str], Path, Path], value: str
) -> None:
    runner, base, sheet, db = coded

    def change(ws: Any) -> None:
        ws["E9"] = value  # column E = theme "staff"

    msg = refuse(runner, base, db, edited(sheet, change), "--coder", "ann")
    assert "cell E9 (theme staff)" in msg and repr(value) in msg


def test_theme_column_renamed(coded: tuple[CliRunner, list[str], Path, Path]) -> None:
    runner, base, sheet, db = coded

    def change(ws: Any) -> None:
        ws["D1"] = "wages"

    msg = refuse(runner, base, db, edited(sheet, change), "--coder", "ann")
    assert "cell D1: column 'wages' is not a column" in msg


def test_theme_column_missing(coded: tuple[CliRunner, list[str], Path, Path]) -> None:
    runner, base, sheet, db = coded
    msg = refuse(runner, base, db, edited(sheet, lambda ws: ws.delete_cols(6)), "--coder", "ann")
    assert "column(s) trust missing" in msg


def test_none_and_a_theme(coded: tuple[CliRunner, list[str], Path, Path]) -> None:
    runner, base, sheet, db = coded

    def change(ws: Any) -> None:
        ws["D4"], ws["G4"] = 1, 1  # pay and none

    msg = refuse(runner, base, db, edited(sheet, change), "--coder", "ann")
    assert "row 4: `none` is marked and so is a theme (pay" in msg


def test_same_sheet_twice_for_one_coder(coded: tuple[CliRunner, list[str], Path, Path]) -> None:
    runner, base, sheet, db = coded
    run(runner, base, "review", "import", str(sheet), "--coder", "ann")
    msg = refuse(runner, base, db, sheet, "--coder", "ann")
    assert "coder 'ann' has already coded sample" in msg and "--replace" in msg
    # --replace swaps the codes, it does not add to them.
    before = store_state(db)
    out = run(runner, base, "review", "import", str(sheet), "--coder", "ann", "--replace")
    assert "replacing their earlier codes" in out
    assert store_state(db)[:2] == before[:2]


def test_same_file_for_two_coders(coded: tuple[CliRunner, list[str], Path, Path]) -> None:
    runner, base, sheet, db = coded
    run(runner, base, "review", "import", str(sheet), "--coder", "ann")
    msg = refuse(runner, base, db, sheet, "--coder", "bob")
    assert "already imported for coder 'ann'" in msg


def test_coding_sheet_needs_a_coder(coded: tuple[CliRunner, list[str], Path, Path]) -> None:
    runner, base, sheet, db = coded
    before = store_state(db)
    result = runner.invoke(main, [*base, "review", "import", str(sheet)])
    assert result.exit_code == 2 and "--coder NAME" in result.output
    assert store_state(db) == before


def test_uncoded_rows_are_counted_not_dropped(
    coded: tuple[CliRunner, list[str], Path, Path],
) -> None:
    runner, base, sheet, _db = coded

    def change(ws: Any) -> None:
        for col in "DEFG":
            ws[f"{col}3"] = None

    out = run(runner, base, "review", "import", str(edited(sheet, change)), "--coder", "ann")
    assert "29 replies of sample" in out and "1 row has no theme and no `none` mark" in out


def test_not_a_workbook(coded: tuple[CliRunner, list[str], Path, Path]) -> None:
    runner, base, _sheet, db = coded
    bogus = db.parent / "bogus.xlsx"
    bogus.write_bytes(b"not a zip")
    refuse(runner, base, db, bogus, "--coder", "ann")


def test_validate_before_any_codes_says_what_to_do(loop: Loop) -> None:
    runner, base, _truth, tmp = loop
    result = runner.invoke(main, [*base, "validate"])
    assert result.exit_code == 1 and "review sample --n 200" in result.output
    run(runner, base, "review", "sample", "--n", "10", "-o", str(tmp / "s.xlsx"))
    result = runner.invoke(main, [*base, "validate", "--sample", "99"])
    assert result.exit_code == 1 and "there is no sample 99" in result.output


def test_sample_before_tagging_says_what_to_do(tmp_path: Path, runner: CliRunner) -> None:
    (tmp_path / "r.csv").write_text("id,text\n1,hello there\n", encoding="utf-8")
    base = ["--db", str(tmp_path / "t.duckdb")]
    run(runner, base, "import", str(tmp_path / "r.csv"), "--platform", "other")
    result = runner.invoke(main, [*base, "review", "sample", "-o", str(tmp_path / "s.xlsx")])
    assert result.exit_code == 1 and "run `replyscope tag` first" in result.output
    assert not (tmp_path / "s.xlsx").exists()


def test_text_sorted_without_its_reply_id(coded: tuple[CliRunner, list[str], Path, Path]) -> None:
    # Excel's "continue with the current selection": columns B on sorted, reply_id left behind.
    runner, base, sheet, db = coded

    def change(ws: Any) -> None:
        rows = [[c.value for c in r[1:]] for r in ws.iter_rows(min_row=2)]
        rows.sort(key=lambda r: str(r[1]))
        for r, values in zip(ws.iter_rows(min_row=2), rows, strict=True):
            for cell, value in zip(r[1:], values, strict=True):
                cell.value = value

    msg = refuse(runner, base, db, edited(sheet, change), "--coder", "ann")
    assert "the text is not the text of reply_id" in msg and "Sort whole rows only" in msg


def test_whole_rows_sorted_still_import(coded: tuple[CliRunner, list[str], Path, Path]) -> None:
    runner, base, sheet, _db = coded

    def change(ws: Any) -> None:
        rows = sorted(
            ([c.value for c in r] for r in ws.iter_rows(min_row=2)), key=lambda r: str(r[2])
        )
        for r, values in zip(ws.iter_rows(min_row=2), rows, strict=True):
            for cell, value in zip(r, values, strict=True):
                cell.value = value

    out = run(runner, base, "review", "import", str(edited(sheet, change)), "--coder", "ann")
    assert "30 replies of sample" in out


def test_sheet_added_before_coding_and_formatted_rows(
    coded: tuple[CliRunner, list[str], Path, Path],
) -> None:
    runner, base, sheet, _db = coded
    wb = openpyxl.load_workbook(sheet)
    wb.create_sheet("my notes", 0)["A1"] = "coder's own notes"
    ws = wb["coding"]
    for r in range(40, 2000):  # formatted, empty rows below the data
        ws.cell(r, 3).number_format = "@"
    out_path = sheet.with_name("extra.xlsx")
    wb.save(out_path)
    assert "30 replies of sample" in run(
        runner, base, "review", "import", str(out_path), "--coder", "ann"
    )


def test_blank_sheet_is_not_a_coding(loop: Loop) -> None:
    runner, base, _truth, tmp = loop
    run(runner, base, "review", "sample", "--n", "12", "--seed", "3", "-o", str(tmp / "s.xlsx"))
    msg = refuse(runner, base, Path(base[1]), tmp / "s.xlsx", "--coder", "ann")
    assert "no row is coded yet" in msg


def test_sheet_from_another_store(
    coded: tuple[CliRunner, list[str], Path, Path], tmp_path: Path
) -> None:
    runner, base, sheet, db = coded
    other = [*base[:1], str(tmp_path / "other.duckdb")]
    run(runner, other, "import", str(db.parent / "replies.csv"), "--platform", "other")
    run(runner, other, "tag", "--codebook", str(db.parent / "codebook.toml"))
    run(
        runner,
        other,
        "review",
        "sample",
        "--n",
        "30",
        "--seed",
        "9",
        "-o",
        str(tmp_path / "o.xlsx"),
    )
    msg = refuse(runner, other, tmp_path / "other.duckdb", sheet, "--coder", "ann")
    assert "not those of sample" in msg and "another store" in msg


def test_saved_as_csv_and_missing_file(coded: tuple[CliRunner, list[str], Path, Path]) -> None:
    runner, base, sheet, db = coded
    csv_path = sheet.with_suffix(".csv")
    ws = openpyxl.load_workbook(sheet)["coding"]
    csv_path.write_text(
        "\n".join(
            ",".join("" if c.value is None else str(c.value) for c in r) for r in ws.iter_rows()
        ),
        encoding="utf-8",
    )
    assert "save it as .xlsx" in refuse(runner, base, db, csv_path, "--coder", "ann")
    assert "no such file" in refuse(
        runner, base, db, sheet.with_name("typo.xlsx"), "--coder", "ann"
    )


def test_sample_output_must_be_xlsx(loop: Loop) -> None:
    runner, base, _truth, tmp = loop
    result = runner.invoke(main, [*base, "review", "sample", "--n", "5", "-o", str(tmp / "s.csv")])
    assert result.exit_code == 2 and "name it .xlsx" in result.output
    assert not (tmp / "s.csv").exists()
