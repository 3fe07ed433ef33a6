"""`replyscope demo`: the whole pipeline on the bundled, illustrative data."""

from __future__ import annotations

import time
from pathlib import Path

import click

from commands.common import Ctx, Phases, say
from reports.privacy import SALT_KEY
from reports.terminal import render_theme_table
from store import Store, StoreError

# The demo's fixed pseudonym salt (its replies and people are invented).
DEMO_SALT = "7265706c7973636f70652d64656d6f21"


@click.command("demo")
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("replyscope-demo"),
    show_default=True,
    help="Folder for the demo database, word clouds and report.",
)
@click.pass_obj
def demo_cmd(ctx: Ctx, out_dir: Path) -> None:
    """Run the whole pipeline on the bundled, illustrative demo thread.

    In a fresh demo database: import the thread, check reply quality, tag it
    with the default codebook, validate the tags on the demo's hand-coded
    replies (so theme shares are corrected for tagging error), model topics,
    draw word clouds, score tone, and write the HTML report. Prints where
    the report is.

    \b
    Example:
      replyscope demo -o /tmp/demo
    """
    started = time.perf_counter()
    if ctx.db_option:
        say(ctx, f"Note: the demo always uses a fresh {out_dir / 'demo.duckdb'}; --db is not used.")
    db = _fresh_store_path(out_dir)
    try:
        store = Store.open(db)
    except StoreError as err:
        raise click.ClickException(str(err)) from err
    try:
        # The demo's people are invented: a fixed pseudonym salt makes two demo
        # reports identical apart from their timestamps (a real store's salt is
        # random and secret).
        store.con.execute("INSERT INTO store_meta VALUES (?, ?)", [SALT_KEY, DEMO_SALT])
        report = _run_pipeline(ctx, store, out_dir)
    finally:
        store.close()
    click.echo(f"\nReport: {report.resolve()}  ({time.perf_counter() - started:.0f} s)")
    say(ctx, f"Database: {db} — try: replyscope --db {db} themes")


def _fresh_store_path(out_dir: Path) -> Path:
    """The demo folder's database path, with any earlier demo database removed."""
    if out_dir.exists() and not out_dir.is_dir():
        raise click.BadParameter(
            f"{out_dir} is a file; the demo needs a folder (e.g. -o replyscope-demo).",
            param_hint="-o/--out",
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise click.ClickException(
            f"{out_dir}: cannot create the demo folder ({err.strerror or err}); choose another "
            "with -o."
        ) from err
    db = out_dir / "demo.duckdb"
    for stale in (db, db.with_name(db.name + ".wal")):
        if stale.exists():
            stale.unlink()
    return db


def _run_pipeline(ctx: Ctx, store: Store, out_dir: Path) -> Path:
    """Import, quality, tag, validate, topics, word clouds, tone, report; print what came out."""
    from analysis.codebook import load_codebook
    from analysis.coding import import_gold_sample
    from analysis.quality import run_quality
    from analysis.sample_validation import validate_sample
    from analysis.themes import tag_store
    from analysis.tone import compute_store_tone
    from analysis.topics import TopicOptions, compute_topic_run
    from analysis.validation import DEMO_GOLD, DEMO_GOLD_NOTE
    from analysis.wordclouds import render_wordclouds
    from collectors.demo import DEMO_FILE
    from collectors.files import ImportOptions, ImportProblem, import_file
    from commands.summary import describe_import, render_status
    from reports.html import render_report

    step = Phases(ctx, "demo")
    step("importing the thread")
    try:
        result = import_file(store, DEMO_FILE, ImportOptions())
    except ImportProblem as err:
        raise click.ClickException(str(err)) from err
    step.done()
    say(ctx, describe_import(result))
    step("checking reply quality")
    quality = run_quality(store)
    step("tagging themes")
    tagged = tag_store(store, load_codebook(None))
    step("validating the tags on the demo's hand-coded replies")
    import_gold_sample(store, DEMO_GOLD, "demo coder", note=DEMO_GOLD_NOTE)
    validation = validate_sample(store)
    step("modelling topics (the first run compiles UMAP: about half a minute)")
    topics = compute_topic_run(store, TopicOptions(), progress=step)
    step("drawing word clouds")
    clouds = render_wordclouds(store, "theme", "likes", out_dir / "wordclouds")
    step("scoring tone")
    compute_store_tone(store)
    step("writing the report")
    title = "What kind of leadership do our public services need? (demo)"
    report = render_report(store, out_dir / "report.html", title=title)
    step.done()
    click.echo(render_status(store))
    click.echo("\n" + render_theme_table(store))
    say(
        ctx,
        f"\nQuality run {quality.run_id}; {tagged.tagged} of {tagged.replies} replies carry a "
        f"theme (validated on {validation.n_coded} hand-coded replies); "
        f"{topics.topics} topics ({topics.outlier_share:.0%} unassigned); {len(clouds)} word "
        f"clouds in {out_dir / 'wordclouds'}.",
    )
    return report.path
