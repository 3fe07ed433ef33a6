"""Commands for topic models: topics, and `codebook draft` / `codebook suggest` (from topics)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from commands.common import Ctx, Phases, open_store, render_table, say
from commands.scope import thread_option
from store import Store
from store_scope import scoped_threads
from textsafety import plural

if TYPE_CHECKING:
    from analysis.codebook import Theme
    from analysis.codebook_draft import CodebookDraft, DraftTopic

T = TypeVar("T")

MAX_BUCKETS = 60  # rows of the topics-over-time table


def _topics_value(value: str) -> int | None:
    if value.strip().lower() == "auto":
        return None
    try:
        n = int(value)
    except ValueError:
        raise click.BadParameter("use auto or a whole number of topics, like 10.") from None
    if n < 2:
        # BERTopic cannot merge topics down to fewer than 2 (one topic is no model).
        raise click.BadParameter("the number of topics must be at least 2 (or auto).")
    return n


@click.command("topics")
@click.option(
    "--embedder",
    default=None,
    help=(
        "wordllama (default), minilm, tfidf, or the folder of a local sentence-transformers model."
    ),
)
@click.option("--seed", default=42, show_default=True, help="Random seed: same seed, same topics.")
@click.option(
    "--min-topic-size",
    type=click.IntRange(min=2),
    default=None,
    help="Smallest topic, in replies (default: 10, or 1% of the replies when more).",
)
@click.option(
    "--topics",
    "topics_opt",
    default="auto",
    show_default=True,
    help="auto (as many as the clustering finds) or a number to merge them down to.",
)
@click.option(
    "--freq",
    default="1d",
    show_default=True,
    help="Bucket for the topics-over-time table (shown when replies span more than a day).",
)
@thread_option
@click.pass_obj
def topics_cmd(
    ctx: Ctx,
    embedder: str | None,
    seed: int,
    min_topic_size: int | None,
    topics_opt: str,
    freq: str,
    thread: str | None,
) -> None:
    """Find the topics of the replies (BERTopic, offline): each with its keywords and examples.

    Each run is kept with its seed, parameters and library versions; the same
    replies, seed and options give the same topics. Embeddings are cached in
    the store, so a second run only embeds new replies.

    \b
    Examples:
      replyscope topics
      replyscope topics --embedder minilm --seed 7 --topics 12
      replyscope topics --thread reddit:9mu3ty
    """
    from analysis.embed import EmbedderError
    from analysis.topic_labels import freq_interval
    from analysis.topics import DEFAULT_EMBEDDER, TopicError, TopicOptions, compute_topic_run
    from textsafety import plural

    try:
        wanted = _topics_value(topics_opt)
        freq_interval(freq)
    except click.BadParameter as err:
        raise click.ClickException(f"--topics {topics_opt}: {err.message}") from err
    except TopicError as err:
        raise click.ClickException(f"--freq {freq}: {err}") from err
    phases = Phases(ctx, "topics")
    with open_store(ctx, thread=thread) as store:
        scope = scoped_threads(store)
        options = TopicOptions(
            embedder=embedder or DEFAULT_EMBEDDER,
            seed=seed,
            min_topic_size=min_topic_size,
            topics=wanted,
            thread=scope[0] if scope else None,
        )
        try:
            result = compute_topic_run(store, options, progress=phases)
            over_time = _over_time_table(store, result.run_id, freq)
        except (TopicError, EmbedderError) as err:
            phases.done()
            raise click.ClickException(str(err)) from err
        phases.done()
    rows = []
    for r in result.table.iter_rows(named=True):
        words = ", ".join(w for w, _ in json.loads(r["keywords"])[:6])
        example = json.loads(r["representative"])[:1]
        text = " ".join(example[0]["text"].split()) if example else ""
        rows.append(
            (
                r["topic_id"],
                r["label"],
                r["size"],
                f"{r['size'] / result.replies:.0%}",
                r["likes"],
                words,
                text[:80] + ("…" if len(text) > 80 else ""),
            )
        )
    click.echo(
        render_table(["topic", "label", "replies", "share", "likes", "keywords", "example"], rows)
    )
    if over_time:
        click.echo("\n" + over_time)
    if result.note:
        click.echo(f"\nNote: {result.note}")
    say(
        ctx,
        f"\nTopics run {result.run_id}: {plural(result.topics, 'topic')} in "
        f"{plural(result.replies, 'reply', 'replies')} with {result.embedder} "
        f"(seed {seed}); {result.outlier_share:.0%} left unassigned; "
        f"{plural(result.new_embeddings, 'reply', 'replies')} newly "
        f"embedded; {result.seconds:.1f} s. Query them in the view topic_summary, or draft a "
        "codebook from them with: replyscope codebook draft -o mine.toml",
    )


# Bucket sizes to suggest, smallest first; the first that fits MAX_BUCKETS is named.
FREQ_LADDER = ("1h", "2h", "6h", "12h", "1d", "2d", "1w", "2w", "4w", "13w", "26w", "52w", "520w")
_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def _freq_seconds(freq: str) -> int:
    text = freq.strip().lower()
    return int(text[:-1]) * _SECONDS[text[-1]]


def _fitting_freq(store: Store, run_id: int, freq: str) -> tuple[str, int] | None:
    """The smallest bucket larger than `freq` that gives at most MAX_BUCKETS rows, and its count."""
    from analysis.topic_labels import compute_topics_over_time

    for candidate in FREQ_LADDER:
        if _freq_seconds(candidate) <= _freq_seconds(freq):
            continue
        # Counted as the table counts them (aligned buckets, empty ones included).
        n = compute_topics_over_time(store, run_id, candidate)["bucket"].n_unique()
        if n <= MAX_BUCKETS:
            return candidate, n
    return None


def _over_time_table(store: Store, run_id: int, freq: str) -> str:
    """Replies per bucket for the largest topics, when the replies span more than one bucket."""
    import polars as pl

    from analysis.topics import compute_topics_over_time

    frame = compute_topics_over_time(store, run_id, freq)
    totals = frame.group_by("bucket").agg(pl.col("replies").sum()).sort("bucket")
    if totals.height < 2:
        return ""
    if totals.height > MAX_BUCKETS:
        first, last = str(totals["bucket"][0])[:10], str(totals["bucket"][-1])[:10]
        better = _fitting_freq(store, run_id, freq)
        return (
            f"Topics over time: {totals.height} buckets of {freq} are too many to show "
            f"(replies from {first} to {last}); "
            + (
                f"use --freq {better[0]} ({better[1]} buckets)."
                if better
                else "use a larger --freq."
            )
        )
    sizes = frame.group_by("topic_id").agg(pl.col("replies").sum()).sort("replies", descending=True)
    shown = [t for t in sizes["topic_id"].to_list() if t != -1][:8]
    wide = {(b, t): n for b, t, n in frame.select("bucket", "topic_id", "replies").iter_rows()}
    rows = [
        (str(b)[:16], *(wide.get((b, t), 0) for t in shown), total)
        for b, total in totals.iter_rows()
    ]
    return f"Replies per {freq} bucket (largest topics):\n" + render_table(
        ["from", *(f"topic {t}" for t in shown), "all"], rows
    )


_OUTPUT = click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="The draft codebook (TOML) to write.",
)
_RUN = click.option(
    "--run",
    "run_id",
    type=int,
    default=None,
    help="The topics run to draft from (default: the latest; none yet: one is run first).",
)
_FORCE = click.option("--force", is_flag=True, help="Overwrite an existing file.")


@click.command("draft")
@_OUTPUT
@_RUN
@_FORCE
@thread_option
@click.pass_obj
def codebook_draft_cmd(
    ctx: Ctx, output: Path, run_id: int | None, force: bool, thread: str | None
) -> None:
    """Draft a codebook for these replies from their topics: one theme per topic.

    No tagging run or codebook needed: the latest topics run is used (or one
    is run first). Each theme gets an ASCII id and a label from its
    distinctive words, those words as include terms (no stop words of the
    replies' languages, no words common to every topic), and 3 example
    replies; the name and question come from the thread's post when known.
    Review the draft, then tag with it.

    \b
    Example:
      replyscope codebook draft -o mine.toml
      replyscope tag --codebook mine.toml
      replyscope codebook draft -o ufc.toml --thread reddit:9mu3ty
    """
    from analysis.codebook import to_toml
    from analysis.codebook_draft import compute_codebook_draft

    _refuse_existing(output, force)
    draft = _run_draft(
        ctx,
        lambda store, phases: compute_codebook_draft(store, run_id=run_id, progress=phases),
        thread=thread,
    )
    click.echo(_draft_table(draft.topics))
    if not draft.themes:
        raise click.ClickException(
            f"no topic of topics run {draft.topic_run} has words that set it apart, so there is "
            f"nothing to draft; {output} not written. Try `replyscope topics --topics 5`, then "
            "draft again."
        )
    output.write_text(to_toml(draft.codebook()), encoding="utf-8")
    _say_written(ctx, output, draft, plural(len(draft.themes), "theme"))


def _refuse_existing(output: Path, force: bool) -> None:
    if output.exists() and not force:
        raise click.ClickException(f"{output} exists; choose another name or add --force.")


def _run_draft(ctx: Ctx, compute: Callable[[Store, Phases], T], thread: str | None = None) -> T:
    """Run a drafting function on the store (it may run topics first), errors as one line."""
    from analysis.embed import EmbedderError
    from analysis.topic_labels import TopicError

    phases = Phases(ctx, "draft")
    with open_store(ctx, thread=thread) as store:
        try:
            result = compute(store, phases)
        except (TopicError, EmbedderError) as err:
            phases.done()
            raise click.ClickException(str(err)) from err
    phases.done()
    return result


def _draft_table(
    topics: list[DraftTopic], *, coverage: bool = False, drafted: dict[int, Theme] | None = None
) -> str:
    """One row per topic: its size, (its coverage,) the drafted theme and terms, or why none."""
    rows = []
    for t in topics:
        theme = t.theme if drafted is None else drafted.get(t.topic_id)
        if theme:
            terms = ", ".join(theme.include[:6])
        elif t.theme:
            terms = f"(covered: {t.share:.0%} of its replies carry a theme)"
        else:
            terms = f"(no theme: {t.skipped})"
        covered = (f"{t.share:.0%}",) if coverage else ()
        rows.append((t.topic_id, t.size, *covered, theme.id if theme else "-", terms))
    head = ["topic", "replies", *(["carry a theme"] if coverage else []), "theme", "include terms"]
    return render_table(head, rows)


def _say_written(ctx: Ctx, output: Path, draft: CodebookDraft, themes: str) -> None:

    how = "a new topics run" if draft.ran_topics else "topics run"
    skipped = sum(1 for t in draft.topics if t.theme is None)
    say(
        ctx,
        f"\nWrote {output}: {themes} from {how} {draft.topic_run} "
        f"({plural(draft.replies, 'reply', 'replies')}, main language {draft.languages[0]}"
        f"{'; ' + plural(skipped, 'topic') + ' without a theme' if skipped else ''}). "
        f"Review it (rename, describe, prune terms), then: replyscope codebook check {output} "
        f"&& replyscope tag --codebook {output}",
    )
    if draft.stale:
        say(ctx, f"Note: {draft.stale}")


@click.command("suggest")
@_OUTPUT
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=0.30,
    show_default=True,
    help="Draft a theme for topics of which fewer than this share of replies carry any theme.",
)
@click.option(
    "--only-new", is_flag=True, help="Write the draft themes alone, not the whole codebook."
)
@_RUN
@_FORCE
@click.pass_obj
def codebook_suggest_cmd(
    ctx: Ctx, output: Path, threshold: float, only_new: bool, run_id: int | None, force: bool
) -> None:
    """Draft new themes for the topics the current codebook barely tags.

    A topic is barely tagged when fewer than --threshold of its replies carry
    any theme of the latest tagging run (judged on the replies, not on theme
    names). Without a tagging run every topic gets a theme, as with
    `codebook draft`; without a topics run one is run first. Review the
    drafts before tagging with them.

    \b
    Example:
      replyscope codebook suggest -o draft.toml
    """
    from analysis.codebook import to_toml
    from analysis.codebook_draft import compute_codebook_suggestions

    _refuse_existing(output, force)
    suggestion = _run_draft(
        ctx,
        lambda store, phases: compute_codebook_suggestions(
            store, run_id=run_id, threshold=threshold, progress=phases
        ),
    )
    click.echo(
        _draft_table(
            suggestion.coverage,
            coverage=suggestion.codebook is not None,
            drafted=suggestion.by_topic,
        )
    )
    if suggestion.misfit:
        say(
            ctx,
            f"\nNote: {suggestion.codebook.name if suggestion.codebook else 'the codebook'} fits "
            f"these replies badly ({'; '.join(suggestion.misfit)}): a codebook of their own may "
            "serve better: replyscope codebook draft -o mine.toml",
        )
    if suggestion.codebook is None:
        say(ctx, "\nNo tagging run yet: every topic gets a theme (as `replyscope codebook draft`).")
    if not suggestion.drafts:
        who = suggestion.codebook.name if suggestion.codebook else "no codebook"
        say(
            ctx,
            f"\nEvery topic of run {suggestion.topic_run} with a theme to draft has at least "
            f"{threshold:.0%} of its replies tagged by {who}: nothing to draft; {output} not "
            "written.",
        )
        return
    output.write_text(to_toml(suggestion.draft_codebook(only_new=only_new)), encoding="utf-8")
    drafted = plural(len(suggestion.drafts), "draft theme")
    if suggestion.codebook and not only_new:
        drafted += f" after the {plural(len(suggestion.codebook.themes), 'theme')} of the codebook"
    _say_written(ctx, output, suggestion.draft, drafted)


COMMANDS: list[click.Command] = [topics_cmd]
