"""Plain-language summaries of imports, harvests, reply quality and the store, for the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from analysis.quality import latest_run
from reports.terminal import render_table
from store import Store, fetch_one, query
from textsafety import count, plural

if TYPE_CHECKING:
    from collectors.collect import CollectResult
    from collectors.files import ImportResult


COUNT_LABELS = {
    "like_count": "like count",
    "reply_count": "reply count",
    "repost_count": "repost count",
    "quote_count": "quote count",
}


def _were(n: object) -> str:
    return "was" if n == 1 else "were"


def _date(value: object) -> str:
    return str(value)[:16] if value is not None else "?"


def _date_notes(notes: dict[str, Any]) -> list[str]:
    """Sentences on relative, unreadable and ambiguous dates."""
    parts = []
    if notes.get("relative_times"):
        parts.append(
            f"{plural(notes['relative_times'], 'date')} {_were(notes['relative_times'])} relative "
            "('5 years ago') and left empty, not guessed."
        )
    if notes.get("unparsed_dates"):
        parts.append(
            f"{plural(notes['unparsed_dates'], 'date')} could not be read "
            f"(e.g. {str(notes.get('unparsed_date_example'))[:60]!r}) and "
            f"{_were(notes['unparsed_dates'])} left empty."
        )
    return parts


def _row_notes(notes: dict[str, Any]) -> list[str]:
    """Sentences on ids, duplicates, thread posts and unreadable counts."""
    parts = [
        str(notes[key]).rstrip(".") + "."
        for key in ("ambiguous_dates", "scientific_ids", "rows_rejoined")
        if notes.get(key)
    ]
    if notes.get("derived_ids"):
        parts.append(
            f"{plural(notes['derived_ids'], 'reply', 'replies')} had no id in the file; stable ids "
            "were derived."
        )
    if notes.get("duplicates_in_input"):
        dups = notes["duplicates_in_input"]
        parts.append(f"{plural(dups, 'duplicate row')} in the file {_were(dups)} merged.")
    if notes.get("thread_posts"):
        n_posts = int(notes["thread_posts"])
        parts.append(
            f"{plural(n_posts, 'row')} {_were(n_posts)} the thread's own "
            f"{'post' if n_posts == 1 else 'posts'}, stored in the threads table."
        )
    unread = [
        plural(notes[f"unparsed_{name}"], label)
        for name, label in COUNT_LABELS.items()
        if notes.get(f"unparsed_{name}")
    ]
    if unread:
        parts.append(f"Counts that could not be read were left empty: {', '.join(unread)}.")
    return parts


def _source_notes(result: ImportResult) -> list[str]:
    """The format's own notes, an earlier identical import, and where the rejects are."""
    notes = result.notes
    parts = []
    # Formats and readers note what they met in plain words ("x: retweets kept
    # as posts": 3); people must see them, above all replies missing from a file.
    said = [f"{key}: {value}" for key, value in notes.items() if " " in key]
    if said:
        parts.append(f"Notes: {'; '.join(said)}.")
    if notes.get("raw_rows_of_run"):
        parts.append(
            f"This exact file was imported before (run {notes['raw_rows_of_run']}): its raw rows "
            "are kept there and were not stored again."
        )
    rejects_run = result.rejects_run or result.run_id
    if result.rejected:
        again = " (as in that earlier import)" if rejects_run != result.run_id else ""
        parts.append(
            f"Rejected rows{again}: {'; '.join(result.reject_examples)}. "
            f"See them all with: replyscope rejects --run {rejects_run}."
        )
    return parts


def describe_import(result: ImportResult) -> str:
    """One paragraph: format, rows added/updated/rejected, dates, threads, what next."""
    parts = [
        f"{result.path}: read as {result.fmt} ({result.platform}), run {result.run_id}.",
        f"{plural(result.rows_in, 'row')}: {count(result.added)} added, "
        f"{count(result.updated)} updated, {count(result.unchanged)} already stored unchanged, "
        f"{count(result.rejected)} rejected.",
    ]
    if result.first or result.last:
        parts.append(f"Replies from {_date(result.first)} to {_date(result.last)} UTC.")
    n = len(result.threads)
    if n:
        parts.append(
            f"{n} thread{'s' if n != 1 else ''}" + (f" ({result.threads[0]})." if n == 1 else ".")
        )
    parts += _date_notes(result.notes) + _row_notes(result.notes) + _source_notes(result)
    parts.append('Next: replyscope status (or replyscope sql "SELECT ...").')
    return " ".join(parts)


def render_status(store: Store) -> str:
    """Replies per platform, per thread and per run, as text tables."""

    out: list[str] = []
    names, rows = query(
        store,
        """SELECT platform, count(*) AS replies, count(DISTINCT thread_id) AS threads,
                  count(DISTINCT coalesce(author_id, author_handle, author_name)) AS authors,
                  sum(like_count) AS likes, strftime(min(created_at), '%Y-%m-%d %H:%M') AS first,
                  strftime(max(created_at), '%Y-%m-%d %H:%M') AS last
           FROM replies GROUP BY platform ORDER BY replies DESC""",
    )
    total = sum(int(r[1]) for r in rows)
    out.append(f"Store: {store.path} — {total} replies")
    if rows:
        out += ["", "Replies per platform", render_table(names, rows)]
    names, rows = query(
        store,
        """SELECT coalesce(r.thread_id, '(no thread in the file)') AS thread_id,
                  count(*) AS replies, max(r.depth) AS max_depth,
                  any_value(left(t.text, 50)) AS post
           FROM replies r LEFT JOIN threads t USING (thread_id)
           GROUP BY r.thread_id ORDER BY replies DESC LIMIT 20""",
    )
    if rows:
        out += ["", "Replies per thread (top 20)", render_table(names, rows)]
    names, rows = query(
        store,
        """SELECT run_id, kind, status, format, rows_in, rows_added AS added,
                  rows_updated AS updated, rows_rejected AS rejected,
                  strftime(started_at, '%Y-%m-%d %H:%M') AS started,
                  regexp_extract(coalesce(input_path, input_url, ''), '[^/]*$') AS input
           FROM runs ORDER BY run_id DESC LIMIT 20""",
    )
    if rows:
        out += ["", "Runs (latest 20)", render_table(names, rows)]
    block = render_quality_status(store)
    if block:
        out += ["", block]
    return "\n".join(out)


def describe_collect(result: CollectResult) -> str:
    """One paragraph: what a harvest fetched and stored, and what it could not."""
    verb = "Resumed and finished" if result.resumed else "Collected"
    parts = [
        f"{verb} {result.target.url} ({result.target.platform}), run {result.run_id}:",
        f"{count(result.added)} replies added, {count(result.updated)} updated, "
        f"{count(result.unchanged)} unchanged;",
        f"{result.pages} pages in {result.requests} requests",
    ]
    if result.waited >= 1:
        parts[-1] += f", {result.waited:.0f} s spent waiting for rate limits or retries"
    parts[-1] += "."
    for what, n in sorted(result.notes.items()):
        parts.append(f"{what.rstrip('.')}" + (f": {n}." if n > 1 else "."))
    if result.message:
        parts.append(result.message.rstrip(".") + ".")
    parts.append("Next: replyscope status.")
    return " ".join(parts)


def render_quality_status(store: Store) -> str:
    """The quality block of `status`: campaigns, duplicates, low content, spam, languages."""
    run_id = latest_run(store)
    if run_id is None:
        return ""
    row = fetch_one(
        store.con,
        """SELECT count(*), count(DISTINCT campaign_id), count(campaign_id),
                  count(DISTINCT duplicate_group), count(duplicate_group),
                  count(*) FILTER (low_content), count(*) FILTER (spam),
                  count(*) FILTER (lang IS NULL),
                  (SELECT json_extract(parameters, '$.min_authors') FROM runs WHERE run_id = ?)
           FROM reply_quality WHERE run_id = ?""",
        [run_id, run_id],
    )
    assert row is not None
    total, camps, camp_rows, groups, dup_rows, low, spam, unknown = (int(v) for v in row[:8])
    langs = store.con.execute(
        """SELECT lang, count(*) AS n FROM reply_quality WHERE run_id = ? AND lang IS NOT NULL
           GROUP BY lang ORDER BY n DESC, lang LIMIT 5""",
        [run_id],
    ).fetchall()

    def pct(n: int) -> str:
        return f"{n} ({n / total:.0%})" if total else str(n)

    top = ", ".join(f"{lang} {pct(int(n))}" for lang, n in langs) or "none detected"
    return "\n".join(
        [
            f"Reply quality (run {run_id}, {total} replies; replyscope quality to refresh)",
            f"  campaigns:    {camps}, {pct(camp_rows)} replies (same text from >= {row[8]} "
            "authors)",
            f"  duplicates:   {pct(dup_rows)} replies in {groups} groups of exact or near copies",
            f"  low content:  {pct(low)}",
            f"  spam:         {pct(spam)}",
            f"  languages:    {top}; too short to tell {pct(unknown)}",
        ]
    )
