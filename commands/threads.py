"""The `threads` command: the posts in the store, with their replies' counts and dates."""

from __future__ import annotations

import click

from commands.common import Ctx, open_store, render_table


@click.command("threads")
@click.option(
    "--limit",
    default=20,
    show_default=True,
    type=click.IntRange(min=1),
    help="Show at most this many threads (most replies first).",
)
@click.option(
    "--show-authors",
    is_flag=True,
    help="Keep account names in post texts and URLs (default: pseudonyms).",
)
@click.pass_obj
def threads_cmd(ctx: Ctx, limit: int, show_authors: bool) -> None:
    """List the threads (posts replied to): post text, replies, first and last reply, URL.

    The id (or the URL) picks one thread for `--thread` on themes, topics,
    tag, report and export.

    \b
    Examples:
      replyscope threads
      replyscope report --thread reddit:9mu3ty -o thread.html
    """
    from reports.privacy import pseudonymiser
    from reports.threads import load_threads, public_url, trim

    with open_store(ctx, read_only=True) as store:
        p = pseudonymiser(store, show_authors=show_authors)
        rows, total = load_threads(store, limit)
    if not rows:
        click.echo("No threads: the replies carry no thread information (or none are stored).")
        return

    def day(value: object) -> str:
        return str(value)[:10] if value else ""

    table = [
        (
            p.thread_id(str(r["thread_id"])) or "",
            r["platform"] or "",
            r["replies"],
            day(r["first_at"]),
            day(r["last_at"]),
            trim(p.text(str(r["text"] or "")), 50) or "–",
            public_url(str(r["url"] or ""), p),
        )
        for r in rows
    ]
    click.echo(
        render_table(["thread", "platform", "replies", "first", "last", "post", "url"], table)
    )
    if total > len(rows):
        click.echo(
            f"\nShowing {len(rows)} of {total} threads (most replies first); "
            f"see them all with --limit {total}."
        )


COMMANDS: list[click.Command] = [threads_cmd]
