"""The `replyscope quality` command: language, duplicates, campaigns, low-content and spam."""

from __future__ import annotations

import click

from commands.common import Ctx, Phases, open_store, say
from textsafety import plural


@click.command("quality")
@click.option(
    "--min-authors",
    type=int,
    default=3,
    show_default=True,
    help="Different authors a duplicate group needs to count as a campaign.",
)
@click.option(
    "--near-threshold",
    type=float,
    default=0.6,
    show_default=True,
    help="Similarity (estimated Jaccard of word pairs, 0-1) for two replies to be near copies.",
)
@click.option(
    "--languages",
    default=None,
    metavar="CODES",
    help="Only choose among these languages, comma-separated ISO 639-1 codes (e.g. id,en,ms).",
)
@click.pass_obj
def quality_cmd(ctx: Ctx, min_authors: int, near_threshold: float, languages: str | None) -> None:
    """Check every reply's language, duplicates, campaigns, low content and spam.

    A campaign is the same message (exact or with small edits) posted by at
    least --min-authors different authors. Low content: empty, emoji only,
    only mentions or hashtags, only a link, a single word. Spam: a link (or
    "check my bio") with promotion words. Nothing is deleted: each run is
    kept, and the replies_tagged view shows the latest (columns
    detected_lang, duplicate_group, campaign_id, low_content, spam,
    quality_reason).

    \b
    Examples:
      replyscope quality
      replyscope quality --min-authors 5 --languages id,en
      replyscope sql "SELECT * FROM campaigns ORDER BY replies DESC"
    """
    from analysis.quality import run_quality

    codes = [c.strip().lower() for c in languages.split(",") if c.strip()] if languages else None
    phases = Phases(ctx, "quality")
    phases("checking replies")
    with open_store(ctx) as store:
        try:
            result = run_quality(
                store, min_authors=min_authors, near_threshold=near_threshold, languages=codes
            )
        except ValueError as err:
            raise click.ClickException(str(err)) from err
        finally:
            phases.done()
    n = result.replies
    top = ", ".join(f"{k} {v}" for k, v in list(result.languages.items())[:5])
    say(
        ctx,
        f"Checked {plural(n, 'reply', 'replies')}, run {result.run_id}: "
        f"{plural(result.campaigns, 'campaign')} "
        f"({plural(result.campaign_replies, 'reply', 'replies')}), "
        f"{plural(result.duplicates, 'reply', 'replies')} in "
        f"{plural(result.duplicate_groups, 'duplicate group')} "
        f"({result.near_groups} with near copies), "
        f"{result.low_content} low-content, {result.spam} spam. Languages: {top or 'none'}"
        f"{f'; {result.unknown_language} too short to tell' if result.unknown_language else ''}. "
        'See them with: replyscope status, or replyscope sql "SELECT * FROM campaigns".',
    )


COMMANDS = [quality_cmd]
