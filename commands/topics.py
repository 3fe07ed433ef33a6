"""Commands for topic models: topics, and `codebook suggest` (drafted from topics)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from commands.common import Ctx, Phases, open_store, render_table, say
from commands.scope import thread_option
from store import Store
from store_scope import scoped_threads

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
        f"embedded; {result.seconds:.1f} s. Query them in the view topic_summary, or draft themes "
        "from them with: replyscope codebook suggest -o draft.toml",
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


@click.command("suggest")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="The draft codebook (TOML) to write.",
)
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
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.pass_obj
def codebook_suggest_cmd(
    ctx: Ctx, output: Path, threshold: float, only_new: bool, force: bool
) -> None:
    """Draft new themes from topics the codebook barely covers (latest topics and tagging runs).

    Each draft theme takes its id and label from the topic, include terms from
    its keywords and examples from its representative replies. Review them
    before tagging with the draft.

    \b
    Example:
      replyscope codebook suggest -o draft.toml
    """
    from analysis.codebook import to_toml
    from analysis.topic_labels import TopicError, compute_codebook_suggestions
    from textsafety import plural

    if output.exists() and not force:
        raise click.ClickException(f"{output} exists; choose another name or add --force.")
    with open_store(ctx, read_only=True) as store:
        try:
            suggestion = compute_codebook_suggestions(store, threshold=threshold)
        except TopicError as err:
            raise click.ClickException(str(err)) from err
    rows = [
        (c.topic_id, c.label, c.size, f"{c.share:.0%}")
        for c in suggestion.coverage
        if c.topic_id != -1
    ]
    click.echo(render_table(["topic", "label", "replies", "carry a theme"], rows))
    if not suggestion.drafts:
        say(
            ctx,
            f"\nEvery topic of run {suggestion.topic_run} has at least {threshold:.0%} of its "
            "replies "
            f"tagged by {suggestion.codebook.name}: nothing to draft; {output} not written.",
        )
        return
    output.write_text(to_toml(suggestion.draft_codebook(only_new=only_new)), encoding="utf-8")
    say(
        ctx,
        f"\nWrote {output}: {plural(len(suggestion.drafts), 'draft theme')} "
        f"({', '.join(t.id for t in suggestion.drafts)}) "
        f"from topics run {suggestion.topic_run}. Edit them, then: replyscope codebook check "
        f"{output}",
    )


COMMANDS: list[click.Command] = [topics_cmd]
