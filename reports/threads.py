"""The store's threads: the list (`replyscope threads`, the report's comparison), their labels,
and the report's title (kept in the store once given)."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from reports.privacy import Pseudonymiser
from reports.queries import query_rows
from store import Store, fetch_one, main_table
from store_scope import scoped_threads

DEFAULT_TITLE = "What people said: theme report"
TITLE_KEY = "report_title"  # store_meta key; per thread: report_title:<thread_id>
LABEL_WIDTH = 60

# Every thread with its post and its replies' counts and dates, most replies first
# (a thread known only from its replies' thread_id is listed too).
THREADS_SQL = """SELECT coalesce(t.thread_id, r.thread_id) AS thread_id,
       coalesce(t.platform, r.platform) AS platform, t.url, t.text,
       coalesce(r.replies, 0) AS replies, r.first_at, r.last_at
FROM threads t
FULL JOIN (SELECT thread_id, any_value(platform) AS platform, count(*) AS replies,
                  min(created_at) AS first_at, max(created_at) AS last_at
           FROM replies WHERE thread_id IS NOT NULL GROUP BY thread_id) r USING (thread_id)
ORDER BY replies DESC, thread_id"""


def load_threads(store: Store, limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """The threads (most replies first, at most `limit`) and how many there are in all."""
    rows = query_rows(store, THREADS_SQL)
    return (rows if limit is None else rows[:limit]), len(rows)


def trim(text: str, width: int = LABEL_WIDTH) -> str:
    """One line of at most `width` characters, with … when cut."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


def public_url(url: str, p: Pseudonymiser) -> str:
    """A post URL with the account names in it pseudonymised (unless authors are shown).

    The report's own rule (textsafety.replace_handles via Pseudonymiser.text):
    x.com/NAME, bsky.app/profile/NAME, DIDs, /@name, …/profile/NAME, so a
    URL shows the same pseudonym as the author's replies.
    """
    return p.text(url) if p.enabled else url


def thread_label(row: dict[str, Any], p: Pseudonymiser, width: int = LABEL_WIDTH) -> str:
    """What people recognise a thread by: its post's text, else its URL, else its id."""
    text = trim(p.text(str(row.get("text") or "")), width)
    if text:
        return text
    url = str(row.get("url") or "")
    if url:
        return trim(re.sub(r"^https?://(www\.)?", "", public_url(url, p)), width)
    return trim(p.thread_id(str(row.get("thread_id") or "")) or "no thread", width)


def report_title(store: Store, title: str | None, p: Pseudonymiser) -> str:
    """The report's title: the one given (kept in the store), else the one kept, else the post's.

    A report on one thread keeps its own title; without one it is named
    after the thread's post (text or URL).
    """
    scope = scoped_threads(store)
    key = f"{TITLE_KEY}:{scope[0]}" if scope else TITLE_KEY
    if title:
        # A read-only store cannot keep it: the title is still used for this report.
        with contextlib.suppress(Exception):
            store.con.execute("INSERT OR REPLACE INTO store_meta VALUES (?, ?)", [key, title])
        return title
    kept = fetch_one(store.con, "SELECT value FROM store_meta WHERE key = ?", [key])
    if kept and kept[0]:
        return str(kept[0])
    if scope:
        rows, _ = load_threads(store)
        if rows and rows[0].get("text"):
            return trim(p.text(str(rows[0]["text"])), 120)
        if rows:
            return f"What people said: {thread_label(rows[0], p)}"
    return DEFAULT_TITLE


def scope_note(store: Store, p: Pseudonymiser) -> dict[str, Any] | None:
    """For a report on one thread: its label and id, and how many threads the store holds."""
    scope = scoped_threads(store)
    if not scope:
        return None
    rows, _ = load_threads(store)
    held = fetch_one(
        store.con,
        f"SELECT count(DISTINCT thread_id) FROM {main_table(store.con, 'replies')}",
    )
    coded = fetch_one(store.con, "SELECT count(*) FROM validation_samples")
    return {
        "label": thread_label(rows[0], p) if rows else scope[0],
        "id": public_url(scope[0], p),
        "threads": int(held[0]) if held else 0,
        "samples": int(coded[0]) if coded else 0,
    }


def short_labels(labels: list[str], width: int) -> list[str]:
    """Labels cut to `width`, without the start they all share (URLs of one forum, say)."""
    cut = 0
    if len(labels) > 1:
        # The shared start, then back to its last "/": whole path segments only.
        while all(len(x) > cut and x[cut] == labels[0][cut] for x in labels):
            cut += 1
        cut = labels[0].rfind("/", 0, cut) + 1
    return [trim(("…" + x[cut:]) if cut > 8 else x, width) for x in labels]
