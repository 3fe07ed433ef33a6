"""Commands that analyse the store: tag, themes, codebook, review, validate."""

from __future__ import annotations

from pathlib import Path

import click

from commands.common import Ctx, open_store, render_table, say
from reports.terminal import render_theme_table


@click.command("tag")
@click.option(
    "--codebook",
    "codebook_path",
    type=click.Path(path_type=Path),
    help="Codebook TOML (or CSV/XLSX sheet); default: the bundled one.",
)
@click.option(
    "--method",
    type=click.Choice(["keyword", "semantic", "both"]),
    default=None,
    help="How to tag (default: see README, chosen on the validation set).",
)
@click.option(
    "--embedder",
    default=None,
    help="For semantic tagging: wordllama, minilm, tfidf or a model folder.",
)
@click.pass_obj
def tag_cmd(ctx: Ctx, codebook_path: Path | None, method: str | None, embedder: str | None) -> None:
    """Tag every reply with the themes of a codebook, with the matched terms as evidence.

    Each run is kept; views and reports use the latest. Human corrections
    (`replyscope review import`) win over automatic tags.

    \b
    Examples:
      replyscope tag
      replyscope tag --codebook my_codebook.toml --method both
    """
    from analysis.codebook import CodebookError, load_codebook, require_usable
    from analysis.text import plural
    from analysis.themes import DEFAULT_METHOD, tag_store

    try:
        codebook = load_codebook(codebook_path)
        # The checks of `codebook check`: a codebook with errors is refused
        # before the store is opened (one "Error:" line per problem).
        require_usable(codebook)
    except CodebookError as err:
        raise click.ClickException(_error_lines(err)) from err
    chosen = method or DEFAULT_METHOD
    with open_store(ctx) as store:
        try:
            result = tag_store(store, codebook, method=chosen, embedder=embedder)
        except CodebookError as err:
            raise click.ClickException(_error_lines(err)) from err
        except (ValueError, RuntimeError) as err:
            raise click.ClickException(str(err)) from err
    share = result.tagged / result.replies if result.replies else 0
    say(
        ctx,
        f"Tagged {plural(result.replies, 'reply', 'replies')} with {codebook.name} v{codebook.version} "
        f"({plural(len(codebook.themes), 'theme')}, method {chosen}), run {result.run_id}: "
        f"{plural(result.tagged, 'reply', 'replies')} ({share:.0%}) "
        f"{'carries' if result.tagged == 1 else 'carry'} at least one theme, "
        f"{plural(result.tags, 'tag')} in all. See them with: replyscope themes",
    )


def _error_lines(err: Exception) -> str:
    """A multi-line error as click shows it: every line starts with "Error: "."""
    return "\nError: ".join(str(err).splitlines())


@click.command("themes")
@click.option(
    "--count-campaigns-once",
    is_flag=True,
    help="Count each coordinated campaign (see `replyscope quality`) as one reply.",
)
@click.pass_obj
def themes_cmd(ctx: Ctx, count_campaigns_once: bool) -> None:
    """Show replies, shares, likes-weighted shares (95% CI) and resonance per theme.

    \b
    Examples:
      replyscope themes
      replyscope themes --count-campaigns-once
    """
    with open_store(ctx, read_only=True) as store:
        text = render_theme_table(store, campaigns_once=count_campaigns_once)
    if not text:
        raise click.ClickException("no tagging run yet: run `replyscope tag` first.")
    click.echo(text)


@click.group("codebook")
def codebook_group() -> None:
    """Write, show, check and import codebooks.

    \b
    Example:
      replyscope codebook init -o codebook.toml
    """


@codebook_group.command("init")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="Where to write the codebook.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def codebook_init_cmd(output: Path, force: bool) -> None:
    """Write the bundled default codebook to a file to start from.

    \b
    Example:
      replyscope codebook init -o codebook.toml
    """
    from analysis.codebook import default_codebook_text

    if output.exists() and not force:
        raise click.ClickException(f"{output} exists; choose another name or add --force.")
    output.write_text(default_codebook_text(), encoding="utf-8")
    click.echo(
        f"Wrote {output}. Edit it, check it with `replyscope codebook check {output}`, use it with `replyscope tag --codebook {output}`."
    )


@codebook_group.command("show")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def codebook_show_cmd(path: Path | None) -> None:
    """Show a codebook's themes and terms (default: the bundled one).

    \b
    Example:
      replyscope codebook show codebook.toml
    """
    from analysis.codebook import CodebookError, load_codebook
    from analysis.text import plural

    try:
        cb = load_codebook(path)
    except CodebookError as err:
        raise click.ClickException(str(err)) from err
    click.echo(
        f"{cb.name} — version {cb.version} — {plural(len(cb.themes), 'theme')} — hash {cb.hash}"
    )
    for t in cb.themes:
        click.echo(f"\n{t.id}: {t.label}" + (f" (under {t.parent})" if t.parent else ""))
        if t.description:
            click.echo(f"  {t.description}")
        click.echo(f"  include: {', '.join(t.include) or '-'}")
        if t.exclude:
            click.echo(f"  exclude: {', '.join(t.exclude)}")
        if t.regex:
            click.echo(f"  regex: {', '.join(t.regex)}")


@codebook_group.command("check")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--broad",
    default=0.5,
    show_default=True,
    help="Flag terms that match more than this share of replies.",
)
@click.pass_obj
def codebook_check_cmd(ctx: Ctx, path: Path, broad: float) -> None:
    """Check a codebook: duplicate ids, empty themes, terms that can never match, and — with replies in the store — terms that match nothing or almost everything.

    \b
    Example:
      replyscope codebook check codebook.toml
    """
    from analysis.codebook import CodebookError, Finding, check_codebook, load_codebook
    from analysis.keywords import term_match_counts
    from analysis.text import plural
    from analysis.themes import load_reply_texts
    from store import StoreError

    try:
        cb = load_codebook(path)
    except CodebookError as err:
        raise click.ClickException(str(err)) from err
    findings = check_codebook(cb)
    if ctx.db.exists():
        try:
            with open_store(ctx, read_only=True) as store:
                texts = load_reply_texts(store)["text"]
        except (click.ClickException, StoreError):
            texts = None
        if texts is not None and len(texts):
            for theme, term, kind, n in term_match_counts(texts, cb).iter_rows():
                if kind != "include":
                    continue
                if n == 0:
                    findings.append(
                        Finding(
                            "warning",
                            theme,
                            f"term {term!r} matches none of the {plural(len(texts), 'stored reply', 'stored replies')}",
                        )
                    )
                elif n > broad * len(texts):
                    findings.append(
                        Finding(
                            "warning",
                            theme,
                            f"term {term!r} matches {n} of {len(texts)} replies: too broad to tell themes apart",
                        )
                    )
    errors = [f for f in findings if f.level == "error"]
    for f in findings:
        click.echo(str(f))
    click.echo(
        f"{path}: {plural(len(cb.themes), 'theme')}, {plural(len(errors), 'error')}, "
        f"{plural(len(findings) - len(errors), 'warning')}."
    )
    if errors:
        raise SystemExit(1)


@codebook_group.command("import")
@click.argument("sheet", type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="TOML file to write."
)
def codebook_import_cmd(sheet: Path, output: Path) -> None:
    """Turn a CSV/XLSX sheet (columns theme, label, description, term) into a TOML codebook.

    \b
    Example:
      replyscope codebook import themes.xlsx -o codebook.toml
    """
    from analysis.codebook import CodebookError, check_codebook, codebook_from_sheet, to_toml
    from analysis.text import plural

    try:
        cb = codebook_from_sheet(sheet)
    except CodebookError as err:
        raise click.ClickException(str(err)) from err
    output.write_text(to_toml(cb), encoding="utf-8")
    problems = [f for f in check_codebook(cb) if f.level == "error"]
    click.echo(
        f"Wrote {output}: {plural(len(cb.themes), 'theme')}, "
        f"{plural(sum(len(t.include) for t in cb.themes), 'include term')}."
    )
    for f in problems:
        click.echo(str(f), err=True)


@click.group("review")
def review_group() -> None:
    """Check and correct tags in Excel.

    \b
    Example:
      replyscope review export -o review.xlsx
    """


@review_group.command("export")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="The .xlsx to write."
)
@click.pass_obj
def review_export_cmd(ctx: Ctx, output: Path) -> None:
    """Write one row per reply with a 1/blank column per theme, for people to correct.

    \b
    Example:
      replyscope review export -o review.xlsx
    """
    from analysis.review import ReviewError, export_review

    with open_store(ctx, read_only=True) as store:
        try:
            n = export_review(store, output)
        except ReviewError as err:
            raise click.ClickException(str(err)) from err
    say(
        ctx,
        f"Wrote {output} ({n} replies). Change the theme columns, save, then: replyscope review import {output}",
    )


@review_group.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.pass_obj
def review_import_cmd(ctx: Ctx, path: Path) -> None:
    """Store the corrections in a reviewed sheet; they win over automatic tags.

    \b
    Example:
      replyscope review import review.xlsx
    """
    from analysis.review import ReviewError, import_review

    with open_store(ctx) as store:
        try:
            result = import_review(store, path)
        except ReviewError as err:
            raise click.ClickException(str(err)) from err
    say(
        ctx,
        f"{path}: {result.rows} rows read, {result.changes} corrections stored ({result.added} tags added, {result.removed} removed).",
    )


@click.command("validate")
@click.argument("gold", type=click.Path(path_type=Path))
@click.pass_obj
def validate_cmd(ctx: Ctx, gold: Path) -> None:
    """Score the latest automatic tags against hand-coded ones (precision, recall, F1, kappa).

    GOLD is a CSV/XLSX with reply_id and either a `themes` column (ids
    separated by ;) or one 0/1 column per theme id.

    \b
    Example:
      replyscope validate tests/fixtures/validation_demo.csv
    """
    from analysis.validation import ValidationError, validate

    with open_store(ctx) as store:
        try:
            run_id, scores, matched = validate(store, gold)
        except ValidationError as err:
            raise click.ClickException(str(err)) from err

    def num(v: float | None) -> str:
        return "" if v is None else f"{v:.2f}"

    rows = [
        (s.theme_id, s.support, num(s.precision), num(s.recall), num(s.f1), num(s.kappa))
        for s in scores
    ]
    click.echo(render_table(["theme", "support", "precision", "recall", "F1", "kappa"], rows))
    micro = next(s for s in scores if s.theme_id == "_micro")
    macro = next(s for s in scores if s.theme_id == "_macro")
    say(
        ctx,
        f"\n{matched} gold replies scored (validation run {run_id}). Micro F1 {num(micro.f1)}, macro F1 {num(macro.f1)}.",
    )


COMMANDS: list[click.Command] = [tag_cmd, themes_cmd, codebook_group, review_group, validate_cmd]
