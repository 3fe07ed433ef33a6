"""Commands for word clouds and tone: wordcloud, tone."""

from __future__ import annotations

from pathlib import Path

import click

from commands.common import Ctx, Phases, open_store, render_table, say


@click.command("wordcloud")
@click.option(
    "--by",
    type=click.Choice(["none", "theme", "topic"]),
    default="none",
    show_default=True,
    help=(
        "One cloud of all replies, or one per theme (latest tagging) or per topic (latest topic "
        "model)."
    ),
)
@click.option(
    "--weight",
    type=click.Choice(["count", "likes"]),
    default="count",
    show_default=True,
    help="count: each occurrence counts 1; likes: each counts the reply's likes + 1.",
)
@click.option(
    "--stopword",
    "stopwords",
    multiple=True,
    metavar="WORD",
    help="A word to leave out (repeat for more).",
)
@click.option(
    "--emoji/--no-emoji",
    default=False,
    show_default=True,
    help=(
        "Count emoji as words. The bundled font cannot draw emoji, so they are drawn as their "
        "names, e.g. (clapping hands)."
    ),
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("wordclouds"),
    show_default=True,
    help="Folder for the PNG files.",
)
@click.pass_obj
def wordcloud_cmd(
    ctx: Ctx, by: str, weight: str, stopwords: tuple[str, ...], emoji: bool, out_dir: Path
) -> None:
    """Draw word clouds of the replies as PNG files: all.png, theme-<id>.png or topic-<id>.png.

    Left out: the stop words of the replies' languages (German ones for a
    German thread; languages from `replyscope quality`, else detected),
    platform noise (rt, amp, links, @handles, numbers), the words of the
    question in the root post, and --stopword words. Two-word phrases that
    occur together often ("front line") are kept as one entry. The same
    replies always give byte-identical PNGs.

    \b
    Examples:
      replyscope wordcloud
      replyscope wordcloud --by theme --weight likes --stopword nhs -o clouds
    """
    from analysis.wordclouds import WordcloudError, render_wordclouds

    with open_store(ctx, read_only=True) as store:
        try:
            paths = render_wordclouds(
                store,
                by,
                weight,
                out_dir,
                stopwords=stopwords,
                emoji=emoji,
                say=lambda msg: say(ctx, msg),
            )
        except WordcloudError as err:
            raise click.ClickException(str(err)) from err
    for path in paths:
        click.echo(str(path))
    if paths:
        say(ctx, f"Wrote {len(paths)} word cloud{'s' if len(paths) != 1 else ''} to {out_dir}.")


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


@click.command("tone")
@click.option(
    "--by",
    type=click.Choice(["none", "theme", "topic"]),
    default="none",
    show_default=True,
    help="Summarise tone over all replies, per theme or per topic.",
)
@click.option(
    "--recompute",
    is_flag=True,
    help="With --by: score again even when the latest tone run covers every reply.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes for scoring large stores (default: the number of cores, at most 8).",
)
@click.pass_obj
def tone_cmd(ctx: Ctx, by: str, recompute: bool, workers: int | None) -> None:
    """Score the tone of every reply with VADER (English only) and summarise it.

    A reply is positive when VADER's compound score is at least 0.05,
    negative at -0.05 or below, else neutral. Without --by this scores all
    replies as a new run; with --by it reuses the latest run if it covers
    every reply (unless --recompute) and prints one row per theme or topic.

    \b
    Examples:
      replyscope tone
      replyscope tone --by theme
    """
    from analysis.tone import (
        ToneError,
        check_tone_groups,
        compute_store_tone,
        compute_tone_summary,
        default_workers,
        load_group_labels,
        tone_is_current,
    )

    with open_store(ctx) as store:
        try:
            # Before scoring: minutes of work should not end in "tag first".
            check_tone_groups(store, by)
        except ToneError as err:
            raise click.ClickException(str(err)) from err
        if by == "none" or recompute or not tone_is_current(store):
            line = Phases(ctx, "Tone")

            def show(done: int, total: int) -> None:
                line(f"{done:,} of {total:,} distinct texts scored")

            try:
                result = compute_store_tone(
                    store, progress=show, workers=workers or default_workers()
                )
            finally:
                line.done()
            say(
                ctx,
                f"Scored {result.replies} replies ({result.distinct_texts} distinct texts), "
                f"tone run {result.run_id}: {result.positive} positive, {result.neutral} neutral, "
                f"{result.negative} negative.",
            )
        try:
            summary = compute_tone_summary(store, by)
        except ToneError as err:
            raise click.ClickException(str(err)) from err
        labels = load_group_labels(store, by)
    if summary.is_empty():
        say(ctx, "No replies to summarise" + ("." if by == "none" else f" with a {by}."))
        return
    with_label = by != "none"
    rows: list[list[object]] = []
    for r in summary.iter_rows(named=True):
        cells: list[object] = [r["group"]]
        if with_label:
            cells.append(labels.get(r["group"], ""))
        cells += [
            r["replies"],
            f"{r['mean_compound']:+.3f}",
            _pct(r["positive_share"]),
            _pct(r["neutral_share"]),
            _pct(r["negative_share"]),
        ]
        rows.append(cells)
    head = [by, "label"] if with_label else ["group"]
    head += ["replies", "mean compound", "positive", "neutral", "negative"]
    click.echo(render_table(head, rows))


COMMANDS: list[click.Command] = [wordcloud_cmd, tone_cmd]
