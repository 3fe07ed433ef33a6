"""X/Twitter web-client JSON: GraphQL tweet results, and the older adaptive.json tweets.

The web client (x.com) loads tweets from GraphQL endpoints (SearchTimeline,
TweetDetail, UserTweets, ...); browser capture tools such as Zeeschuimer save
each tweet result as it came. A result keeps the tweet's API v1.1 fields in
`legacy` (full_text, favorite_count, in_reply_to_status_id_str,
conversation_id_str, display_text_range, ...), so the row is built by the
function that reads twarc1 and archive tweets (`x_json.parse_v1_tweet`):
replies, thread roots and stand-alone posts are placed exactly as for the
other X formats. This module only finds the tweet, its author and its whole
text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.formats.base import RecordRejected
from collectors.formats.x_json import parse_v1_tweet
from collectors.model import ParseContext, RawReply, get_path
from collectors.platforms.x import TweetAuthor
from collectors.textutil import as_str

# Results that stand for a tweet the viewer could not see (deleted, protected,
# withheld): nothing to import.
UNAVAILABLE = frozenset({"TweetTombstone", "TweetUnavailable"})
UNAVAILABLE_NOTE = "x: unavailable tweets (deleted, protected or withheld) skipped"


def graphql_tweet(result: Any) -> Mapping[str, Any] | None:
    """The tweet of a GraphQL tweet result: inside `tweet` (TweetWithVisibilityResults) or bare."""
    if not isinstance(result, Mapping):
        return None
    inner = result.get("tweet")
    if isinstance(inner, Mapping) and isinstance(inner.get("legacy"), Mapping):
        return inner
    return result if isinstance(result.get("legacy"), Mapping) else None


def _tweet_id(tweet: Mapping[str, Any]) -> str | None:
    """rest_id (a string), else legacy.id_str; never `id`, which capture tools may round."""
    rest_id = tweet.get("rest_id")
    if isinstance(rest_id, str | int) and not isinstance(rest_id, bool):
        return as_str(rest_id)
    return as_str(get_path(tweet, "legacy", "id_str"))


def _first_str(*values: Any) -> str | None:
    return next((v for v in values if isinstance(v, str) and v), None)


def graphql_author(tweet: Mapping[str, Any]) -> TweetAuthor:
    """The author in core.user_results.result: `legacy` (2023 layout) or `core` (2025+ layout)."""
    user = get_path(tweet, "core", "user_results", "result")
    fallback_id = as_str(get_path(tweet, "legacy", "user_id_str"))
    if not isinstance(user, Mapping):
        return TweetAuthor(id=fallback_id)
    return TweetAuthor(
        as_str(user.get("rest_id")) or fallback_id,
        _first_str(get_path(user, "core", "screen_name"), get_path(user, "legacy", "screen_name")),
        _first_str(get_path(user, "core", "name"), get_path(user, "legacy", "name")),
    )


def _range_start(value: Any) -> int:
    """The start of display_text_range (where the leading @mentions end), else 0."""
    if not isinstance(value, list) or not value:
        return 0
    try:
        return max(int(value[0]), 0)
    except (TypeError, ValueError):
        return 0


def _legacy_fields(tweet: Mapping[str, Any], legacy: Mapping[str, Any]) -> dict[str, Any]:
    """The legacy fields with the exact id and, for long posts, the whole note_tweet text.

    `legacy.full_text` of a post over 280 characters is cut ("…"); the note
    text is whole. Its leading reply @mentions (when it has them) are dropped
    like the legacy text's, by the same display_text_range start.
    """
    fields = dict(legacy)
    fields["id_str"] = _tweet_id(tweet)
    note = get_path(tweet, "note_tweet", "note_tweet_results", "result", "text")
    if isinstance(note, str) and note.strip():
        fields["full_text"] = note
        fields["display_text_range"] = [
            _range_start(legacy.get("display_text_range")),
            len(note),
        ]
    return fields


def parse_graphql_tweet(result: Any, ctx: ParseContext) -> RawReply | None:
    """One GraphQL tweet result as a row; None (counted) for an unavailable tweet."""
    if isinstance(result, Mapping) and result.get("__typename") in UNAVAILABLE:
        ctx.note(UNAVAILABLE_NOTE)
        return None
    tweet = graphql_tweet(result)
    if tweet is None:
        kind = result.get("__typename") if isinstance(result, Mapping) else None
        raise RecordRejected(
            "not an X/Twitter tweet: the captured object has no `legacy` tweet fields"
            + (f" (__typename {kind})" if isinstance(kind, str) else "")
        )
    legacy = tweet["legacy"]
    return parse_v1_tweet(
        _legacy_fields(tweet, legacy),
        ctx,
        graphql_author(tweet),
        conversation_id=as_str(legacy.get("conversation_id_str")),
    )


def parse_adaptive_tweet(item: Mapping[str, Any], ctx: ParseContext) -> RawReply | None:
    """A tweet of the older adaptive.json API: v1.1 fields in `legacy`, the author in `user`."""
    legacy = item.get("legacy")
    if not isinstance(legacy, Mapping):
        raise RecordRejected("X/Twitter adaptive item without its `legacy` tweet fields")
    user = item.get("user")
    user = user if isinstance(user, Mapping) else {}
    author = TweetAuthor(as_str(user.get("id_str")), user.get("screen_name"), user.get("name"))
    return parse_v1_tweet(
        legacy, ctx, author, conversation_id=as_str(legacy.get("conversation_id_str"))
    )
