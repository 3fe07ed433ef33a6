"""DiscordChatExporter (Tyrrrz) JSON exports: the messages of one Discord channel.

The file is one object: `guild{id,name}`, `channel{id,type,name,topic,...}`,
`dateRange`, `messages[]`, `messageCount`. The channel is the thread
(`discord:<channel id>`, linked as https://discord.com/channels/<guild>/<channel>).
A message that replies to another carries `reference.messageId`, whatever its
`type` (older DiscordChatExporter versions write "Default", newer ones
"Reply"): that message is its parent, kept as given even when it is not in the
file, and its depth comes from the parent when the parent is in the file.
Every other message is a reply to the channel (depth 1).

System messages (a member joined, a thread was created, a message was pinned,
a call, a renamed channel, ...) are not replies: they are skipped and counted
in the summary, as other formats skip records that are not replies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.formats.base import RecordFormat, RecordRejected, SubRecord
from collectors.model import ParseContext, RawReply, get_path
from collectors.textutil import as_str

PLATFORM = "discord"

# Message types people write; the rest (GuildMemberJoin, ThreadCreated,
# ChannelPinnedMessage, Call, RecipientAdd, ...) are system messages.
USER_TYPES = frozenset({"default", "reply"})
NO_TEXT_NOTE = (
    "discord message without text (attachment, sticker or embed): rejected, no text to analyse"
)


def detect_discordchatexporter(record: Any) -> bool:
    """A DiscordChatExporter JSON export: guild, channel (with id) and a messages list."""
    return (
        isinstance(record, Mapping)
        and isinstance(record.get("guild"), Mapping)
        and isinstance(get_path(record, "channel", "id"), str | int)
        and isinstance(record.get("messages"), list)
    )


def channel_url(guild_id: str | None, channel_id: str) -> str:
    """The channel's link; direct messages (guild "0" or none) live under @me."""
    guild = guild_id if guild_id not in (None, "0") else "@me"
    return f"https://discord.com/channels/{guild}/{channel_id}"


def _handle(author: Mapping[str, Any]) -> str | None:
    """The account name, with its #discriminator where Discord still showed one (name#1234)."""
    name = author.get("name")
    if not isinstance(name, str) or not name:
        return None
    tag = as_str(author.get("discriminator"))
    return f"{name}#{tag}" if tag and tag.strip("0") else name


def _reaction_total(reactions: Any) -> int | None:
    """Likes = the sum of every reaction's count (None when the export has no reactions list)."""
    if not isinstance(reactions, list):
        return None
    total = 0
    for reaction in reactions:
        count = reaction.get("count") if isinstance(reaction, Mapping) else None
        if isinstance(count, int) and not isinstance(count, bool) and count > 0:
            total += count
    return total


def _message_row(msg: Mapping[str, Any], channel_id: str, base_url: str) -> RawReply:
    """One person's message as a row: a reply to its referenced message, else to the channel."""
    message_id = as_str(msg.get("id"))
    parent = as_str(get_path(msg, "reference", "messageId"))
    author = msg.get("author")
    author = author if isinstance(author, Mapping) else {}
    row: RawReply = {
        "reply_id": message_id,
        "thread_native_id": channel_id,
        "thread_url": base_url,
        "parent_id": parent or channel_id,
        "text": msg.get("content"),
        "created_at": msg.get("timestamp"),
        "like_count": _reaction_total(msg.get("reactions")),
        "author_id": as_str(author.get("id")),
        "author_handle": _handle(author),
        "author_name": author.get("nickname") or author.get("name"),
        "url": f"{base_url}/{message_id}" if message_id else None,
    }
    if parent is None:
        row["depth"] = 1
    return row


def _is_user_message(msg: Mapping[str, Any]) -> bool:
    kind = msg.get("type")
    # No type at all: an export trimmed by hand; a person's message is likelier.
    return kind is None or (isinstance(kind, str) and kind.strip().lower() in USER_TYPES)


def _channel_id(record: Mapping[str, Any]) -> str:
    channel_id = as_str(get_path(record, "channel", "id"))
    if channel_id is None:
        raise RecordRejected("DiscordChatExporter export without a channel id (channel.id)")
    return channel_id


def parse_discordchatexporter(record: Any, ctx: ParseContext) -> list[RawReply]:
    """Every person's message of the export as a row; system messages skipped and counted."""
    if not isinstance(record, Mapping):
        return []
    channel_id = _channel_id(record)
    base_url = channel_url(as_str(get_path(record, "guild", "id")), channel_id)
    rows: list[RawReply] = []
    for msg in record.get("messages") or []:
        if not isinstance(msg, Mapping):
            ctx.note("discord: message that is not an object skipped")
            continue
        if not _is_user_message(msg):
            ctx.note(f"discord: system messages ({msg.get('type')}) skipped, not replies")
            continue
        row = _message_row(msg, channel_id, base_url)
        if not (isinstance(row.get("text"), str) and row["text"].strip()):
            ctx.note(NO_TEXT_NOTE)
        rows.append(row)
    return rows


def _media(msg: Mapping[str, Any]) -> str | None:
    """What a message without text holds instead."""
    for key, what in (("stickers", "sticker"), ("attachments", "attachment"), ("embeds", "embed")):
        if isinstance(msg.get(key), list) and msg[key]:
            return what
    return None


def locate_discordchatexporter(record: Any) -> dict[str, SubRecord]:
    """message id -> its place ("messages[4] (id)") and JSON, for rejects."""
    out: dict[str, SubRecord] = {}
    messages = record.get("messages") if isinstance(record, Mapping) else None
    for i, msg in enumerate(messages if isinstance(messages, list) else []):
        if not isinstance(msg, Mapping):
            continue
        message_id = as_str(msg.get("id"))
        if message_id is not None and message_id not in out:
            out[message_id] = SubRecord(f"messages[{i}] ({message_id})", msg, _media(msg))
    return out


FORMATS: list[RecordFormat] = [
    RecordFormat(
        name="discordchatexporter",
        description="DiscordChatExporter JSON export of a channel (replies via reference)",
        platform=PLATFORM,
        detect=detect_discordchatexporter,
        parse=parse_discordchatexporter,
        locate=locate_discordchatexporter,
    ),
]
