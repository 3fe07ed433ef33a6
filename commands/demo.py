"""`replyscope demo`: the whole pipeline on the bundled, illustrative data."""

from __future__ import annotations

from pathlib import Path

import click

from commands.common import Ctx, say
from reports.terminal import render_theme_table
from store import Store, StoreError


@click.command("demo")
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("replyscope-demo"),
    show_default=True,
    help="Folder for the demo database and outputs.",
)
@click.pass_obj
def demo_cmd(ctx: Ctx, out_dir: Path) -> None:
    """Run the pipeline on the bundled, illustrative demo thread in a fresh demo database.

    Imports the thread, tags it with the default codebook and shows the
    store and the themes.

    \b
    Example:
      replyscope demo -o /tmp/demo
    """
    from analysis.codebook import load_codebook
    from analysis.themes import tag_store
    from collectors.demo import DEMO_FILE
    from collectors.files import ImportOptions, import_file
    from collectors.readers import ImportProblem
    from collectors.summary import describe_import, render_status

    out_dir.mkdir(parents=True, exist_ok=True)
    db = out_dir / "demo.duckdb"
    for stale in (db, db.with_name(db.name + ".wal")):
        if stale.exists():
            stale.unlink()
    try:
        store = Store.open(db)
    except StoreError as err:
        raise click.ClickException(str(err)) from err
    try:
        try:
            result = import_file(store, DEMO_FILE, ImportOptions())
        except ImportProblem as err:
            raise click.ClickException(str(err)) from err
        say(ctx, describe_import(result))
        click.echo(render_status(store))
        tagged = tag_store(store, load_codebook(None))
        say(
            ctx,
            f"\nTagged {tagged.replies} replies with the default codebook: {tagged.tagged} carry a theme.",
        )
        click.echo("\n" + render_theme_table(store))
    finally:
        store.close()
    say(
        ctx,
        f"\nDemo database: {db}\nLook around: replyscope --db {db} themes | "
        f'replyscope --db {db} sql "SELECT themes, like_count, text FROM replies_tagged ORDER BY like_count DESC LIMIT 10"',
    )
