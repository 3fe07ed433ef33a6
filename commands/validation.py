"""Commands that check the tags against people: review (sample, sheet, export, import), validate."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import click

from commands.common import Ctx, open_store, render_table, say

if TYPE_CHECKING:
    from analysis.coding import CodingImport


@click.group("review")
def review_group() -> None:
    """Hand-code a random sample to validate the tags, or correct tags in Excel.

    \b
    Examples:
      replyscope review sample --n 200 -o sample.xlsx     # blind sample to code
      replyscope review import sample.xlsx --coder ann    # load the codes
      replyscope review export -o review.xlsx             # correct tags in Excel
    """


@review_group.command("sample")
@click.option("--n", "n", type=int, default=200, show_default=True, help="Replies to draw.")
@click.option(
    "--seed",
    type=int,
    default=None,
    help=(
        "Random seed (default: a new one, printed); the same seed on the same store draws the "
        "same sample."
    ),
)
@click.option(
    "--stratify",
    type=click.Choice(["none", "theme"]),
    default="none",
    show_default=True,
    help=(
        "none: simple random sample; theme: oversample replies tagged with rare themes (weights "
        "are kept)."
    ),
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="The coding sheet (.xlsx) to write.",
)
@click.pass_obj
def review_sample_cmd(ctx: Ctx, n: int, seed: int | None, stratify: str, output: Path) -> None:
    """Draw a blind random sample of replies and write a coding sheet for people to code.

    The sample comes from the report's scope (each coordinated campaign once)
    and is recorded in the store with its seed and design. The sheet has no
    automatic tags, likes or authors: coders type 1 in each theme column a
    reply carries (or in `none`), then `replyscope review import`.

    \b
    Examples:
      replyscope review sample --n 200 -o sample.xlsx
      replyscope review sample --n 300 --stratify theme --seed 7 -o sample.xlsx
    """
    from analysis.sampling import SampleError, draw_sample
    from reports.coding_sheet import render_coding_sheet
    from reports.output import OutputError, prepare_output

    if n < 1:
        raise click.BadParameter("must be at least 1 (200 is a good start).", param_hint="--n")
    _check_xlsx(output)
    try:
        target = prepare_output(output, "sample.xlsx")
    except OutputError as err:
        raise click.ClickException(str(err)) from err
    with open_store(ctx) as store:
        try:
            drawn = draw_sample(store, n, seed=seed, stratify=stratify)
            rows = render_coding_sheet(store, drawn.info.sample_id, target)
        except (SampleError, OutputError) as err:
            raise click.ClickException(str(err)) from err
    info = drawn.info
    if drawn.no_quality:
        say(
            ctx,
            "Note: reply quality has not been checked (replyscope quality), so this sample counts "
            "every copy of a coordinated campaign; run quality first to sample as the report "
            "counts.",
        )
    if info.n_drawn > n and not drawn.census:
        say(
            ctx,
            f"Note: {info.n_drawn} replies drawn, not {n}: a stratified sample takes at least 2 "
            f"from each of its {len(info.strata)} strata.",
        )
    how = (
        "every unit in scope (the sample asked for as many or more)"
        if drawn.census
        else f"{rows} drawn "
        + ("with rare themes oversampled" if info.design == "stratified" else "at random")
    )
    say(
        ctx,
        f"Sample {info.sample_id}: {how} from {info.note} (seed {info.seed}: "
        f"--seed {info.seed} draws the same sample again).\nWrote {target}. Each coder fills in "
        f"their own copy, then: replyscope review import {target} --coder NAME",
    )


@review_group.command("sheet")
@click.argument("sample_id", type=int)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="The .xlsx to write."
)
@click.pass_obj
def review_sheet_cmd(ctx: Ctx, sample_id: int, output: Path) -> None:
    """Write a blank coding sheet of an existing sample again (e.g. for a second coder).

    \b
    Example:
      replyscope review sheet 4 -o sample-second-coder.xlsx
    """
    from analysis.sampling import SampleError, load_sample
    from reports.coding_sheet import render_coding_sheet
    from reports.output import OutputError, prepare_output

    _check_xlsx(output)
    try:
        target = prepare_output(output, "sample.xlsx")
    except OutputError as err:
        raise click.ClickException(str(err)) from err
    with open_store(ctx, read_only=True) as store:
        try:
            load_sample(store, sample_id)
            rows = render_coding_sheet(store, sample_id, target)
        except (SampleError, OutputError) as err:
            raise click.ClickException(str(err)) from err
    say(ctx, f"Wrote {target} ({rows} replies of sample {sample_id}).")


@review_group.command("export")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="The .xlsx to write."
)
@click.option(
    "--show-authors",
    is_flag=True,
    help="Keep real handles and reply ids in the sheet (default: pseudonyms and keys).",
)
@click.pass_obj
def review_export_cmd(ctx: Ctx, output: Path, show_authors: bool) -> None:
    """Write one row per reply with a 1/blank column per theme, for people to correct.

    Private like every output: handles in the text are pseudonymised, e-mail
    addresses and phone numbers removed, and reply ids that embed an account
    (Bluesky at://did:…) replaced by stable keys that `review import` maps
    back; --show-authors keeps the real handles and ids. Corrections are not
    a validation: they change the figures, but only a blind random sample
    (`review sample`) measures the tagger.

    \b
    Examples:
      replyscope review export -o review.xlsx
      replyscope review export -o review-named.xlsx --show-authors
    """
    from analysis.review import ReviewError, export_review
    from reports.privacy import pseudonymiser

    # Writable: the store's pseudonym salt is created on first use, so that
    # `review import` finds the same keys again.
    with open_store(ctx) as store:
        try:
            n = export_review(store, output, pseudonymiser(store, show_authors=show_authors))
        except ReviewError as err:
            raise click.ClickException(str(err)) from err
    who = "real handles and ids" if show_authors else "authors pseudonymised"
    say(
        ctx,
        f"Wrote {output} ({n} replies, {who}). Change the theme columns, save, then: "
        f"replyscope review import {output}",
    )


@review_group.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--coder", help="Who coded this sheet (a name or initials); needed for coding sheets."
)
@click.option("--replace", is_flag=True, help="Replace this coder's earlier codes of the sample.")
@click.pass_obj
def review_import_cmd(ctx: Ctx, path: Path, coder: str | None, replace: bool) -> None:
    """Load a filled-in coding sheet (with --coder), or the corrections in a review sheet.

    A coding sheet (from `review sample`) is checked whole — rows, reply ids,
    theme columns, every cell — and stored for its coder, or refused with
    the cell to fix and nothing stored. A correction sheet (from `review
    export`) stores the cells people changed; they win over automatic tags.

    \b
    Examples:
      replyscope review import sample.xlsx --coder ann
      replyscope review import review.xlsx
    """
    from analysis.coding import CodingError, import_coding_sheet, is_coding_sheet
    from analysis.review import ReviewError, import_review

    if not path.exists():
        raise click.ClickException(f"{path}: no such file.")
    if path.suffix.lower() in (".csv", ".tsv", ".txt") and _looks_like_coding_csv(path):
        raise click.ClickException(
            f"{path}: a coding sheet saved as {path.suffix.lower()[1:].upper()} loses what "
            "identifies it; open the .xlsx you were given, code it there, and save it as .xlsx."
        )
    try:
        coding = path.suffix.lower() == ".xlsx" and path.exists() and is_coding_sheet(path)
    except CodingError as err:
        raise click.ClickException(str(err)) from err
    if coding:
        if not coder:
            raise click.UsageError(
                f"{path} is a coding sheet: say who coded it with --coder NAME "
                f"(e.g. replyscope review import {path.name} --coder ann)."
            )
        with open_store(ctx) as store:
            try:
                result = import_coding_sheet(store, path, coder, replace=replace)
            except CodingError as err:
                raise click.ClickException(str(err)) from err
        say(ctx, _coding_summary(path, result))
        return
    if coder or replace:
        raise click.UsageError(
            f"{path} is not a coding sheet from `review sample` (its first row needs reply_id, "
            "text and none); --coder and --replace are only for coding sheets."
        )
    from reports.privacy import pseudonymiser

    with open_store(ctx) as store:
        try:
            changes = import_review(store, path, pseudonymiser(store, show_authors=False))
        except ReviewError as err:
            raise click.ClickException(str(err)) from err
    say(
        ctx,
        f"{path}: {changes.rows} rows read, {changes.changes} corrections stored "
        f"({changes.added} tags added, {changes.removed} removed).",
    )


def _check_xlsx(output: Path) -> None:
    """The coding sheet is an Excel workbook: its file name must say so."""
    if output.suffix and output.suffix.lower() != ".xlsx" and not output.is_dir():
        raise click.BadParameter(
            f"{output.name}: the coding sheet is an Excel workbook; name it .xlsx "
            f"(e.g. -o {output.with_suffix('.xlsx').name}).",
            param_hint="-o/--output",
        )


def _looks_like_coding_csv(path: Path) -> bool:
    """Whether a CSV's first line has a coding sheet's columns (reply_id, text, none)."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as fh:
            first = fh.readline(10_000).lower()
    except OSError:
        return False
    return all(name in first for name in ("reply_id", "text", "none"))


def _coding_summary(path: Path, result: CodingImport) -> str:
    """The lines printed after a coding sheet is stored."""
    from textsafety import plural

    text = (
        f"{path}: {plural(result.coded, 'reply', 'replies')} of sample {result.sample_id} coded by "
        f"{result.coder} stored ({plural(result.tags, 'theme code')})"
        + (", replacing their earlier codes" if result.replaced else "")
        + "."
    )
    if result.uncoded:
        text += (
            f"\n{plural(result.uncoded, 'row has', 'rows have')} no theme and no `none` mark: not "
            "coded yet, left out. Mark `none` where a reply carries no theme, then import again "
            "with --replace. Skipping hard rows biases the figures: code every row."
        )
    return text + "\nNext: replyscope validate"


@click.command("validate")
@click.argument("gold", required=False, type=click.Path(path_type=Path))
@click.option("--sample", "sample_id", type=int, help="The coded sample (default: the latest).")
@click.pass_obj
def validate_cmd(ctx: Ctx, gold: Path | None, sample_id: int | None) -> None:
    """Measure the tags against hand coding and correct the theme shares for tagging error.

    Without GOLD: the latest coded sample (`review sample` + `review import
    --coder`): precision, recall, F1 and kappa per theme with 95% bootstrap
    intervals, agreement between coders, and theme shares corrected for
    tagging error (see `replyscope themes`). With GOLD, a CSV/XLSX with
    reply_id and either a `themes` column (ids separated by ;) or one 0/1
    column per theme id: its agreement scores only.

    \b
    Examples:
      replyscope validate
      replyscope validate gold.csv
    """
    if gold is not None:
        if sample_id is not None:
            raise click.UsageError("give either GOLD or --sample, not both.")
        _validate_gold(ctx, gold)
        return
    from analysis.sample_validation import validate_sample
    from analysis.sampling import SampleError

    with open_store(ctx) as store:
        try:
            result = validate_sample(store, sample_id)
        except SampleError as err:
            raise click.ClickException(str(err)) from err
    from reports.terminal import render_validation

    click.echo(render_validation(result))


def _validate_gold(ctx: Ctx, gold: Path) -> None:
    """`validate GOLD`: agreement with a hand-coded file (no estimates)."""
    from analysis.validation import ValidationError, validate

    with open_store(ctx) as store:
        try:
            run_id, scores, matched = validate(store, gold)
        except ValidationError as err:
            raise click.ClickException(str(err)) from err

    def num(v: float | None) -> str:
        return "" if v is None or math.isnan(v) else f"{v:.2f}"

    rows = [
        (s.theme_id, s.support, num(s.precision), num(s.recall), num(s.f1), num(s.kappa))
        for s in scores
    ]
    click.echo(render_table(["theme", "support", "precision", "recall", "F1", "kappa"], rows))
    micro = next(s for s in scores if s.theme_id == "_micro")
    macro = next(s for s in scores if s.theme_id == "_macro")
    say(
        ctx,
        f"\n{matched} gold replies scored (validation run {run_id}). Micro F1 {num(micro.f1)}, "
        f"macro F1 {num(macro.f1)}. A gold file gives agreement only; for theme shares corrected "
        "for tagging error, code a random sample: replyscope review sample --n 200 -o sample.xlsx",
    )


COMMANDS: list[click.Command] = [review_group, validate_cmd]
