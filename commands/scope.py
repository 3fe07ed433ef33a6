"""`--thread ID_OR_URL`: find the thread a person means and scope the session to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from store import Store, fetch_one
from store_scope import scope_store

F = TypeVar("F", bound=Callable[..., Any])

THREAD_HELP = (
    "Only this thread of the store: its id as `replyscope threads` lists it, or the post's URL."
)


def thread_option(func: F) -> F:
    """The shared `--thread ID_OR_URL` option."""
    return click.option("--thread", metavar="ID_OR_URL", default=None, help=THREAD_HELP)(func)


def _known(store: Store, sql: str, params: list[Any]) -> list[str]:
    rows = store.con.execute(sql, params).fetchall()
    return sorted({str(r[0]) for r in rows if r[0] is not None})


def resolve_thread(store: Store, value: str) -> str:
    """The stored thread_id that `value` names: a thread id, a native post id or a post URL."""
    from collectors.urls import parse_post_url

    text = value.strip()
    ids = "(SELECT thread_id FROM threads UNION SELECT DISTINCT thread_id FROM replies)"
    found = _known(store, f"SELECT thread_id FROM {ids} WHERE thread_id = ?", [text])
    if not found and text.lower().startswith(("http://", "https://")):
        bare = text.rstrip("/")
        found = _known(store, "SELECT thread_id FROM threads WHERE rtrim(url, '/') = ?", [bare])
        post = parse_post_url(text)
        if not found and post:
            found = _known(
                store,
                f"SELECT thread_id FROM {ids} WHERE thread_id = ? OR thread_id IN "
                "(SELECT thread_id FROM threads WHERE platform = ? AND native_id = ?)",
                [f"{post[0]}:{post[1]}", post[0], post[1]],
            )
    if not found:
        found = _known(store, "SELECT thread_id FROM threads WHERE native_id = ?", [text])
    if not found:
        found = _keyed(store, text)
    if len(found) == 1:
        return found[0]
    if found:
        raise click.ClickException(
            f"--thread {value}: matches {len(found)} threads ({', '.join(found[:5])}); "
            "give the full id as `replyscope threads` lists it."
        )
    count = fetch_one(store.con, f"SELECT count(*) FROM {ids} WHERE thread_id IS NOT NULL")
    held = int(count[0]) if count else 0
    raise click.ClickException(
        f"--thread {value}: no such thread in the store ({held} thread"
        f"{'' if held == 1 else 's'} stored); list them with `replyscope threads`."
    )


def _keyed(store: Store, text: str) -> list[str]:
    """The threads whose id or URL, as `threads` and reports show them (keyed), is `text`.

    An id that embeds an account (a Bluesky DID) is listed as `bluesky:id-…`
    and its URL with a pseudonym: both must pick the thread they stand for.
    """
    from reports.privacy import pseudonymiser
    from reports.threads import public_url

    p = pseudonymiser(store, show_authors=False)
    rows = store.con.execute(
        "SELECT thread_id, NULL FROM replies UNION SELECT thread_id, url FROM threads"
    ).fetchall()
    bare = text.rstrip("/")
    return sorted(
        {
            str(tid)
            for tid, url in rows
            if tid is not None
            and (
                p.thread_id(str(tid)) == text
                or (url and public_url(str(url), p).rstrip("/") == bare)
            )
        }
    )


def apply_scope(store: Store, thread: str | None, *, reading: bool) -> str | None:
    """Scope the session to `thread` (or hide one-thread runs); return the thread_id used."""
    thread_id = resolve_thread(store, thread) if thread is not None else None
    scope_store(store, [thread_id] if thread_id else None, reading=reading)
    if thread_id and reading:
        from analysis.themes import scope_theme_stats

        # Theme figures are stored per tagging run for the replies it tagged:
        # recomputed here for the thread's replies only.
        scope_theme_stats(store)
    return thread_id
