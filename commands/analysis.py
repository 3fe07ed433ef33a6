"""Commands that analyse the store: tag, themes, codebook, review, validate."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from commands.common import Ctx, open_store, render_table, say
from commands.scope import thread_option
from reports.terminal import render_theme_table
from store import Store
from store_scope import scoped_threads

if TYPE_CHECKING:
    from analysis.misses import MissedReply, Misses
    from analysis.themes import TagResult


@click.command("tag")
@click.option(
    "--codebook",
    "codebook_path",
    type=click.Path(path_type=Path),
    help="Codebook TOML (or CSV/XLSX sheet). Without it: the bundled one, unless it clearly does "
    "not fit the replies; `--codebook default` uses it anyway.",
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
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=None,
    help="For semantic tagging: one similarity threshold for every theme "
    "(default: calibrated per theme on the coded sample, else the demo-tuned one).",
)
@thread_option
@click.pass_obj
def tag_cmd(
    ctx: Ctx,
    codebook_path: Path | None,
    method: str | None,
    embedder: str | None,
    threshold: float | None,
    thread: str | None,
) -> None:
    """Tag every reply with the themes of a codebook, with the matched terms as evidence.

    Each run is kept; views and reports use the latest. Human corrections
    (`replyscope review import`) win over automatic tags. Semantic tagging
    calibrates each theme's threshold on the latest coded sample (else it
    says the threshold is uncalibrated), and with the English embedders
    (wordllama, minilm) leaves out replies in other languages. With --thread
    only that thread's replies are tagged: reports on that thread use the
    run, whole-store reports keep the latest whole-store run.

    \b
    Examples:
      replyscope tag
      replyscope tag --codebook my_codebook.toml --method both
      replyscope tag --method semantic --embedder ./my-multilingual-model
      replyscope tag --thread reddit:9mu3ty --codebook ufc.toml
    """
    from analysis.codebook import CodebookError, load_codebook, require_usable
    from analysis.embed import EmbedderError
    from analysis.themes import DEFAULT_METHOD, tag_store
    from textsafety import plural

    # `--codebook default` asks for the bundled codebook by name (unless a file is so called).
    asked_default = codebook_path is not None and str(codebook_path) == "default"
    if asked_default and not Path("default").exists():
        codebook_path = None
    try:
        codebook = load_codebook(codebook_path)
        # The checks of `codebook check`: a codebook with errors is refused
        # before the store is opened (one "Error:" line per problem).
        require_usable(codebook)
    except CodebookError as err:
        raise click.ClickException(_error_lines(err)) from err
    chosen = method or DEFAULT_METHOD
    if threshold is not None and chosen == "keyword":
        raise click.ClickException(
            "--threshold is for semantic tagging: add --method semantic (or both)."
        )
    with open_store(ctx, thread=thread) as store:
        scope = scoped_threads(store)
        if codebook_path is None and not asked_default:
            _refuse_unfit_default(store)
        try:
            result = tag_store(
                store,
                codebook,
                method=chosen,
                embedder=embedder,
                threshold=threshold,
                parameters={"thread": scope[0]} if scope else None,
            )
        except CodebookError as err:
            raise click.ClickException(_error_lines(err)) from err
        except (ValueError, RuntimeError, EmbedderError) as err:
            raise click.ClickException(str(err)) from err
        # A coded sample is drawn from the whole store: it cannot score one thread's run.
        validated = "" if scope else _revalidate(store)
        misfit = _fit_warning(store, result, default=codebook_path is None)
        # (asked for by name or not, the figures of a badly fitting codebook get the warning)
    share = result.tagged / result.replies if result.replies else 0
    say(
        ctx,
        f"Tagged {plural(result.replies, 'reply', 'replies')} with {codebook.name} "
        f"v{codebook.version} "
        f"({plural(len(codebook.themes), 'theme')}, method {chosen}), run {result.run_id}: "
        f"{plural(result.tagged, 'reply', 'replies')} ({share:.0%}) "
        f"{'carries' if result.tagged == 1 else 'carry'} at least one theme, "
        f"{plural(result.tags, 'tag')} in all. See them with: replyscope themes"
        + (f" --thread {scope[0]}" if scope else ""),
    )
    for note in result.notes:  # semantic: how the thresholds were set, replies skipped
        say(ctx, note)
    if validated:
        say(ctx, validated)
    if misfit:
        click.echo(misfit, err=True)  # a warning, shown even with --quiet


def _refuse_unfit_default(store: Store) -> None:
    """Refuse to tag with the bundled codebook when it is clearly for another question."""
    from analysis.codebook_fit import CHECK_SAMPLE, CHECK_SEED, compute_default_misfit
    from analysis.themes import load_text_sample

    # A sample read straight from the store: not every reply's text, only to try it.
    problems = compute_default_misfit(load_text_sample(store, CHECK_SAMPLE, CHECK_SEED))
    if problems:
        raise click.ClickException(
            "the bundled codebook (public-service leadership, in English) does not fit these "
            f"replies: {'; '.join(problems)}. Draft a codebook from them: replyscope codebook "
            "draft -o mine.toml, review it, then: replyscope tag --codebook mine.toml "
            "(or use the bundled one anyway: replyscope tag --codebook default)."
        )


def _fit_warning(store: Store, result: TagResult, *, default: bool) -> str:
    """The warning `tag` prints when its codebook fits the replies badly, with what to do."""
    from analysis.codebook_fit import CHECK_SAMPLE, CHECK_SEED, compute_codebook_fit
    from analysis.themes import load_text_sample

    counts = dict(result.stats.select("theme_id", "replies").iter_rows())
    # The languages are told from a sample (as compute_language_shares would
    # take anyway); the tagged share is the run's own, over all its replies.
    problems = compute_codebook_fit(
        result.codebook,
        load_text_sample(store, CHECK_SAMPLE, CHECK_SEED),
        result.tagged,
        counts,
        replies=result.replies,
    )
    if not problems:
        return ""
    which = (
        "the bundled default codebook (public-service leadership)"
        if default
        else f"the codebook {result.codebook.name}"
    )
    return (
        f"Warning: {which} fits these replies badly: {'; '.join(problems)}. Its figures describe "
        "another question. Draft a codebook from these replies instead: replyscope codebook "
        "draft -o mine.toml, review it, then: replyscope tag --codebook mine.toml"
    )


def _revalidate(store: Store) -> str:
    """Score a new tagging run on the latest coded sample, so corrected shares follow the tags."""
    from analysis.sample_validation import latest_coded_sample, validate_sample
    from analysis.sampling import SampleError

    if latest_coded_sample(store) is None:
        return ""
    try:
        v = validate_sample(store)
    except SampleError as err:
        return f"Not validated: {err}"
    micro = next(s for s in v.scores if s.theme_id == "_micro")
    f1 = micro.values.get("f1")
    return (
        f"Validated on coded sample {v.info.sample_id} ({v.n_coded} replies): micro F1 "
        f"{'?' if f1 is None or f1 != f1 else f'{f1:.2f}'}; shares corrected for tagging error "
        "in `replyscope themes` (details: replyscope validate)."
    )


def _error_lines(err: Exception) -> str:
    """A multi-line error as click shows it: every line starts with "Error: "."""
    return "\nError: ".join(str(err).splitlines())


@click.command("themes")
@click.option(
    "--count-campaigns-once",
    is_flag=True,
    help="With --automatic (or before validation): count each coordinated campaign as one reply.",
)
@click.option(
    "--automatic",
    is_flag=True,
    help="Show the automatic tags' figures even when a coded sample corrects them.",
)
@thread_option
@click.pass_obj
def themes_cmd(ctx: Ctx, count_campaigns_once: bool, automatic: bool, thread: str | None) -> None:
    """Show each theme's share of replies and of likes, and how far to trust them.

    After `replyscope validate` on a coded sample: shares corrected for
    tagging error, with 95% intervals that include it, the automatic share
    beside them and each theme's agreement. Before: the automatic tags'
    replies, shares, likes shares (95% bootstrap CI) and resonance, labelled
    "not validated".

    \b
    Examples:
      replyscope themes
      replyscope themes --automatic --count-campaigns-once
      replyscope themes --thread reddit:9mu3ty
    """
    with open_store(ctx, read_only=True, thread=thread) as store:
        text = render_theme_table(store, campaigns_once=count_campaigns_once, automatic=automatic)
        scope = scoped_threads(store)
    if not text:
        raise click.ClickException(_no_tags_message(ctx, scope))
    click.echo(text)
    if scope:
        click.echo(
            f"\nOne thread: {scope[0]}. A validation sample is drawn from the whole store, so "
            "one thread's figures are the automatic tags' (not corrected for tagging error)."
        )


def _no_tags_message(ctx: Ctx, scope: list[str] | None) -> str:
    """Why `themes` has nothing to show: no run at all, or only runs made on single threads."""
    if scope:
        return (
            f"no tagging run covers thread {scope[0]} yet: run `replyscope tag --thread "
            f"{scope[0]}` (or `replyscope tag` for the whole store) first."
        )
    with open_store(ctx, read_only=True, raw=True) as store:
        threads = [
            r[0]
            for r in store.con.execute(
                """SELECT DISTINCT json_extract_string(parameters, '$.thread') AS t FROM runs
                   WHERE kind = 'tag' AND status = 'ok' AND t IS NOT NULL ORDER BY t LIMIT 3"""
            ).fetchall()
        ]
    if threads:
        return (
            "no whole-store tagging run yet: the tag runs so far were made on single threads; "
            f"see them with `replyscope themes --thread {threads[0]}`, or tag the whole store "
            "with `replyscope tag`."
        )
    return "no tagging run yet: run `replyscope tag` first."


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
        f"Wrote {output}. Edit it, check it with `replyscope codebook check {output}`, use it with "
        f"`replyscope tag --codebook {output}`."
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
    from analysis.languages import SNOWBALL
    from textsafety import plural

    try:
        cb = load_codebook(path)
    except CodebookError as err:
        raise click.ClickException(str(err)) from err
    click.echo(
        f"{cb.name} — version {cb.version} — {plural(len(cb.themes), 'theme')} — hash {cb.hash}"
    )
    if cb.language:
        click.echo(
            f"language: {cb.language} (terms match every form with the same Snowball stem: "
            f"{SNOWBALL[cb.language]})"
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
    default=0.15,
    show_default=True,
    help="Flag terms that match more than this share of replies (too broad to tell themes apart).",
)
@click.pass_obj
def codebook_check_cmd(ctx: Ctx, path: Path, broad: float) -> None:
    """Check a codebook: duplicate ids, empty themes, terms that can never match, and more.

    With replies in the store it also lists terms that match no reply, with
    the closest stored words (same stem, or a letter or two apart), and terms
    that match more than --broad of the replies.

    \b
    Example:
      replyscope codebook check codebook.toml
    """
    from analysis.codebook import CodebookError, check_codebook, load_codebook
    from analysis.codebook_check import load_term_findings
    from store import StoreError
    from textsafety import plural

    try:
        cb = load_codebook(path)
    except CodebookError as err:
        raise click.ClickException(str(err)) from err
    findings = check_codebook(cb)
    if ctx.db.exists():
        try:
            with open_store(ctx, read_only=True) as store:
                findings += load_term_findings(store, cb, broad=broad)
        except (click.ClickException, StoreError):
            pass  # no readable store: the checks of the file alone
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
    from textsafety import plural

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


@codebook_group.command("misses")
@click.argument("theme")
@click.option("--sample", "sample_id", type=int, help="The coded sample (default: the latest).")
@click.option("--limit", default=10, show_default=True, help="Replies shown per list.")
@click.option("--terms", default=15, show_default=True, help="Suggested terms shown.")
@click.pass_obj
def codebook_misses_cmd(
    ctx: Ctx, theme: str, sample_id: int | None, limit: int, terms: int
) -> None:
    """List the coded replies the tagger missed or wrongly tagged for THEME, and terms to add.

    Needs a coded sample (`review sample`, `review import --coder`). Terms
    are words and two-word phrases over-represented in the missed replies
    (log-odds with an informative Dirichlet prior, Monroe et al. 2008).

    \b
    Example:
      replyscope codebook misses listening
    """
    from analysis.misses import find_misses
    from analysis.sampling import SampleError
    from reports.privacy import pseudonymiser

    with open_store(ctx, read_only=True) as store:
        try:
            m = find_misses(store, theme, sample_id=sample_id, top=terms)
        except SampleError as err:
            raise click.ClickException(str(err)) from err
        clean = pseudonymiser(store, show_authors=False).text
    click.echo(render_misses(m, limit, clean))


def render_misses(m: Misses, limit: int, clean: Callable[[str], str]) -> str:
    """The text `codebook misses` prints."""
    from textsafety import plural

    def listing(title: str, replies: list[MissedReply]) -> list[str]:
        lines = [f"\n{title}: {len(replies)}"]
        for r in replies[:limit]:
            text = " ".join(clean(r.text).split())
            lines.append(f"  - {text[:200]}{'…' if len(text) > 200 else ''}")
        if len(replies) > limit:
            lines.append(f"  … and {len(replies) - limit} more (--limit)")
        return lines

    out = [
        f"Theme {m.theme_id} (“{m.label}”) on coded sample {m.sample_id} "
        f"({plural(m.coded, 'reply', 'replies')}), tagging run {m.tag_run_id}."
    ]
    out += listing(f"Missed by the tagger (coded {m.theme_id}, not tagged)", m.missed)
    out += listing(f"Wrongly tagged (tagged {m.theme_id}, coded without it)", m.wrong)
    if m.suggestions:
        out += [
            "",
            "Suggested include terms: over-represented in the missed replies compared with every "
            "other reply the theme does not tag (log-odds ratio, informative Dirichlet prior).",
            render_table(
                [
                    "term",
                    "in missed",
                    "in other replies",
                    "z",
                    "would newly tag",
                    "coded without the theme",
                ],
                [
                    (s.term, s.in_missed, s.in_others, f"{s.z:.1f}", s.would_tag, s.coded_without)
                    for s in m.suggestions
                ],
            ),
            "'would newly tag' counts every stored reply the term would add; 'coded without the "
            "theme' counts coded replies it would tag wrongly.",
            "Add the useful ones to the theme's include list (start a codebook file with "
            "`replyscope codebook init -o mine.toml`), then: replyscope tag --codebook mine.toml "
            "&& replyscope validate",
        ]
    elif m.missed:
        out.append("\nNo term stands out in the missed replies: they say it in words of their own.")
    else:
        out.append("\nThe tagger missed no coded reply on this theme.")
    return "\n".join(out)


COMMANDS: list[click.Command] = [tag_cmd, themes_cmd, codebook_group]
