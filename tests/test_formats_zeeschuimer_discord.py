"""Zeeschuimer NDJSON captures (X/Twitter, TikTok, Instagram) and DiscordChatExporter JSON.

Real samples are read by path (skipped when ../shared/samples is absent);
the hand-made fixtures in tests/fixtures always run. The TikTok comment and
Instagram comment fixtures follow the field meanings of 4CAT's mappers
(datasources tiktok_comments, instagram) and Zeeschuimer's capture modules;
no real capture of either was available.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from cli import main
from collectors.errors import ImportProblem
from collectors.files import ImportOptions, import_file
from collectors.formats import record_formats
from collectors.formats.base import RecordRejected
from collectors.formats.discord_json import channel_url
from collectors.formats.zeeschuimer import envelope_platform
from collectors.model import PLATFORMS, ParseContext
from collectors.urls import parse_post_url
from store import Store
from tests.conftest import FIXTURES, sample

X_SAMPLE = "twitter/zeeschuimer_twitter.com-SearchTimeline_fosfor-nl_104-tweets.ndjson"
TT_SAMPLE = "tiktok/zeeschuimer_tiktok.com-search-item-full_fosfor_96-posts-no-comments.ndjson"
IG_SAMPLE = "instagram/zeeschuimer_instagram.com-graphql-feed_23-posts-no-comments.ndjson"
DC_SAMPLE = "discord/discordchatexporter_json_example-guild-general_35-messages-3-replies.json"

X_MINI = FIXTURES / "zeeschuimer_twitter_mini.ndjson"
TT_MINI = FIXTURES / "zeeschuimer_tiktok_comments.ndjson"
IG_MINI = FIXTURES / "zeeschuimer_instagram_comments.ndjson"
DC_MINI = FIXTURES / "discordchatexporter_mini.json"

NEW_FORMATS = {
    "zeeschuimer-twitter": "x",
    "zeeschuimer-tiktok": "tiktok",
    "zeeschuimer-instagram": "instagram",
    "zeeschuimer-other": None,
    "discordchatexporter": "discord",
}
FMT = {f.name: f for f in record_formats()}


def lines(path: Path) -> list[dict[str, Any]]:
    """The NDJSON lines of a file."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def rows(
    store: Store, where: str = "true", params: list[Any] | None = None
) -> list[dict[str, Any]]:
    """Stored replies matching a condition, as dicts."""
    cur = store.con.execute(f"SELECT * FROM replies WHERE {where} ORDER BY reply_id", params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def one(store: Store, reply_id: str) -> dict[str, Any]:
    """The one stored reply with this id."""
    (row,) = rows(store, "reply_id = ?", [reply_id])
    return row


def utc(text: str) -> datetime:
    """A naive ISO time read as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def scalar(store: Store, sql: str, params: list[Any] | None = None) -> Any:
    """The single value of a query."""
    found = store.con.execute(sql, params or []).fetchone()
    assert found is not None
    return found[0]


def test_registry_and_platforms() -> None:
    for name, platform in NEW_FORMATS.items():
        assert FMT[name].platform == platform and FMT[name].description
    assert "discord" in PLATFORMS
    # The catch-all for other Zeeschuimer modules never wins over a known one.
    assert FMT["zeeschuimer-other"].priority < 0


# ------------------------------------------------------------ X/Twitter, real sample


@pytest.mark.samples
def test_x_sample_replies_parents_and_exact_ids(store: Store) -> None:
    path = sample(X_SAMPLE)
    raw = lines(path)
    result = import_file(store, path, ImportOptions())
    assert (result.fmt, result.platform) == ("zeeschuimer-twitter", "x")
    # 104 tweets: 57 replies; 47 posts reply to nothing: one of them is the
    # conversation root of a reply in the file (a thread post), 46 stand alone.
    assert (result.rows_in, result.added, result.rejected) == (104, 103, 0)
    assert result.notes.get("thread_posts") == 1
    replies = rows(store, "parent_id IS NOT NULL")
    assert len(replies) == 57
    parents = {
        line["data"]["rest_id"]: line["data"]["legacy"]["in_reply_to_status_id_str"]
        for line in raw
        if line["data"]["legacy"].get("in_reply_to_status_id_str")
    }
    assert {r["reply_id"]: r["parent_id"] for r in replies} == parents
    assert scalar(store, "SELECT count(*) FROM replies WHERE depth = 0") == 46
    # Ids are the tweets' rest_id strings, never the envelope's IndexedDB row number.
    stored = {r["reply_id"] for r in rows(store)} | {
        t[0]
        for t in store.con.execute(
            "SELECT native_id FROM threads WHERE text IS NOT NULL"
        ).fetchall()
    }
    assert stored == {line["data"]["rest_id"] for line in raw}
    assert not stored & {str(line["id"]) for line in raw}
    assert (
        scalar(store, "SELECT count(*) FROM raw_records WHERE run_id = ?", [result.run_id]) == 104
    )


@pytest.mark.samples
def test_x_sample_one_reply_exactly(store: Store) -> None:
    path = sample(X_SAMPLE)
    (line,) = [r for r in lines(path) if r["data"]["rest_id"] == "1711882654579138796"]
    legacy = line["data"]["legacy"]
    import_file(store, path, ImportOptions())
    got = one(store, "1711882654579138796")
    assert got["text"] == (
        "Hoe noem je het dat Palestijnse vrouwen worden verkracht door Israëlische soldaten? "
        "Hoe noem je het dat Palestijnen al decennialang barbaars worden vermoord, verkracht en "
        "verminkt onder het apartheidsregime. As we speak pleegt Israël ethnische genocide met "
        "witte fosfor in Gaza."
    )
    # The leading "@RonnyNaftaniel " and trailing t.co link are outside display_text_range.
    assert legacy["full_text"].startswith("@RonnyNaftaniel " + got["text"])
    assert got["like_count"] == legacy["favorite_count"] == 0
    assert got["author_handle"] == "kaas_couscous"
    assert (
        got["author_handle"]
        == line["data"]["core"]["user_results"]["result"]["legacy"]["screen_name"]
    )
    assert got["created_at"] == utc("2023-10-10T23:13:24")  # "Tue Oct 10 23:13:24 +0000 2023"
    assert legacy["created_at"] == "Tue Oct 10 23:13:24 +0000 2023"
    assert got["parent_id"] == legacy["in_reply_to_status_id_str"] == "1711387605890392566"
    assert got["thread_id"] == "x:" + legacy["conversation_id_str"]
    assert got["depth"] == 1  # its parent is the conversation's root
    assert got["url"] == "https://x.com/kaas_couscous/status/1711882654579138796"


@pytest.mark.samples
def test_x_sample_unwrapped_visibility_items_and_reimport(store: Store) -> None:
    path = sample(X_SAMPLE)
    bare = [r["data"]["rest_id"] for r in lines(path) if "__typename" not in r["data"]]
    assert len(bare) == 4
    first = import_file(store, path, ImportOptions())
    assert all(one(store, rid)["author_handle"] for rid in bare)
    again = import_file(store, path, ImportOptions())
    assert again.added == 0 and again.unchanged == first.added


# ------------------------------------------------------ X/Twitter, hand-made lines


def test_x_fixture_layouts_wrappers_and_odd_lines(store: Store) -> None:
    result = import_file(store, X_MINI, ImportOptions())
    assert result.fmt == "zeeschuimer-twitter"
    assert (result.added, result.rejected, result.notes.get("thread_posts")) == (3, 1, 1)
    assert result.notes["x: unavailable tweets (deleted, protected or withheld) skipped"] == 1
    assert result.notes["x: promoted tweets (ads) skipped"] == 1
    assert result.reject_examples == [
        "line 7: not an X/Twitter tweet: the captured object has no `legacy` tweet fields "
        "(__typename TimelineTimelineCursor)"
    ]
    # 2025+ layout: the screen name under user.core; the root becomes the thread's post.
    thread = store.con.execute(
        "SELECT author, text FROM threads WHERE thread_id = 'x:1930000000000000001'"
    ).fetchone()
    assert thread == ("civicdesk", "Who should lead our public services?")
    # TweetWithVisibilityResults: the tweet inside `tweet`; data.id (rounded) is not used.
    wrapped = one(store, "1930000000000000002")
    assert (wrapped["text"], wrapped["author_handle"], wrapped["like_count"]) == (
        "People who listen.",
        "ann_h",
        5,
    )
    assert (wrapped["parent_id"], wrapped["depth"]) == ("1930000000000000001", 1)
    # Long post: the whole note_tweet text, without the reply's leading @mention.
    long = one(store, "1930000000000000003")
    assert long["text"] == " ".join(["Leadership means staying when budgets are cut."] * 8)
    assert (long["author_handle"], long["parent_id"], long["depth"]) == (
        "bo_t",
        "1930000000000000002",
        2,
    )
    # An older adaptive.json item (v1.1 tweet in legacy, user beside it).
    old = one(store, "1930000000000000004")
    assert (old["text"], old["author_handle"], old["like_count"]) == (
        "Ask the people who use them.",
        "cy_d",
        9,
    )


# ------------------------------------------------------------------------- TikTok


@pytest.mark.samples
def test_tiktok_sample_posts_are_kept_as_posts(store: Store) -> None:
    path = sample(TT_SAMPLE)
    result = import_file(store, path, ImportOptions())
    assert (result.fmt, result.platform) == ("zeeschuimer-tiktok", "tiktok")
    # 96 video posts, no comments: stand-alone posts (depth 0); 9 have no description.
    assert (result.rows_in, result.added, result.rejected) == (96, 87, 9)
    assert scalar(store, "SELECT count(*) FROM replies WHERE depth = 0") == 87
    first = lines(path)[0]["data"]
    got = one(store, "7288995634328177926")
    assert got["text"] == first["desc"].strip()
    assert got["like_count"] == first["stats"]["diggCount"] == 59
    assert got["reply_count"] == 3
    assert got["author_handle"] == first["author"]["uniqueId"] == "haberturktv"
    assert got["created_at"] == datetime.fromtimestamp(1697101549, tz=UTC)
    assert got["url"] == "https://www.tiktok.com/@haberturktv/video/7288995634328177926"
    assert got["thread_id"] == "tiktok:7288995634328177926" and got["parent_id"] is None


def test_tiktok_fixture_comments_and_replies(store: Store) -> None:
    result = import_file(store, TT_MINI, ImportOptions())
    assert result.fmt == "zeeschuimer-tiktok"
    assert (result.added, result.rejected, result.notes.get("thread_posts")) == (4, 2, 1)
    assert result.reject_examples == [
        "line 5, data: no text: the reply text is empty",
        "line 7: Zeeschuimer TikTok line whose `data` is null, not an object",
    ]
    video = "7372000000000000001"
    top = one(store, "7372000000000000101")
    assert (top["parent_id"], top["depth"], top["thread_id"]) == (video, 1, f"tiktok:{video}")
    assert (top["like_count"], top["reply_count"], top["author_handle"]) == (42, 2, "viewer.one")
    assert top["created_at"] == datetime.fromtimestamp(1716900600, tz=UTC)
    assert top["url"] == f"https://www.tiktok.com/@civic.desk/video/{video}"
    # reply_id = the top-level comment; reply_to_reply_id = the reply answered.
    reply = one(store, "7372000000000000102")
    assert (reply["parent_id"], reply["depth"]) == ("7372000000000000101", 2)
    deeper = one(store, "7372000000000000103")
    assert (deeper["parent_id"], deeper["depth"]) == ("7372000000000000102", 3)
    # A comment saved by the posts module (tiktok.com) from api/comment/list.
    assert one(store, "7372000000000000105")["parent_id"] == video
    # The video post is in the file and answered: it is the thread's post.
    assert store.con.execute(
        "SELECT author, text FROM threads WHERE thread_id = ?", [f"tiktok:{video}"]
    ).fetchone() == ("civic.desk", "Who should run public services? #leadership")


# ---------------------------------------------------------------------- Instagram


@pytest.mark.samples
def test_instagram_sample_posts(store: Store) -> None:
    path = sample(IG_SAMPLE)
    result = import_file(store, path, ImportOptions())
    assert (result.fmt, result.platform) == ("zeeschuimer-instagram", "instagram")
    assert (result.rows_in, result.added, result.rejected) == (23, 23, 0)
    got = one(store, "DUgjOD7D0br")
    assert (got["like_count"], got["reply_count"], got["author_handle"], got["depth"]) == (
        306,
        37,
        "abc7ny",
        0,
    )
    assert got["created_at"] == datetime.fromtimestamp(1770578767, tz=UTC)
    assert got["url"] == "https://www.instagram.com/p/DUgjOD7D0br/"
    assert got["text"].startswith("New York Republican Rep. Mike Lawler")
    # Hidden like counts (the API sends a placeholder 3) are left empty.
    assert scalar(store, "SELECT count(*) FROM replies WHERE like_count IS NULL") == 4
    assert result.notes["instagram: like counts hidden by the poster left empty"] == 4


def test_instagram_fixture_comments_nested_in_posts(store: Store) -> None:
    result = import_file(store, IG_MINI, ImportOptions())
    assert result.fmt == "zeeschuimer-instagram"
    assert (result.added, result.rejected, result.notes.get("thread_posts")) == (3, 3, 1)
    assert result.reject_examples == [
        "line 1, data.comments[1]: no text: GIF-only reply",
        "line 2, data: no text: image-only reply",
        "line 4: Zeeschuimer Instagram item without a post shortcode (`code`): not a post",
    ]
    comment = one(store, "17990000000000001")  # in comments and preview_comments: once
    assert (comment["parent_id"], comment["depth"], comment["thread_id"]) == (
        "C7libRaRy01",
        1,
        "instagram:C7libRaRy01",
    )
    assert (comment["like_count"], comment["author_handle"], comment["author_name"]) == (
        12,
        "reader.anna",
        "Anna R.",
    )
    child = one(store, "17990000000000002")
    assert (child["parent_id"], child["depth"]) == ("17990000000000001", 2)
    hidden = one(store, "C7hidden003")
    assert (hidden["like_count"], hidden["depth"]) == (None, 0)


# ------------------------------------------- any module: detection and envelope fields

NEUTRAL = {
    X_SAMPLE: ("capture", "zeeschuimer-twitter", 104),
    TT_SAMPLE: ("export.csv", "zeeschuimer-tiktok", 96),
    IG_SAMPLE: ("data.json", "zeeschuimer-instagram", 23),
}


@pytest.mark.samples
@pytest.mark.parametrize("rel", list(NEUTRAL), ids=["x", "tiktok", "instagram"])
def test_samples_are_read_by_content_under_neutral_names(
    store: Store, tmp_path: Path, rel: str
) -> None:
    name, fmt, n_lines = NEUTRAL[rel]
    raw = lines(sample(rel))
    # The file name says nothing (no "zeeschuimer", no platform, even a .csv suffix).
    path = tmp_path / name
    shutil.copyfile(sample(rel), path)
    result = import_file(store, path, ImportOptions())
    assert (result.fmt, result.rows_in) == (fmt, n_lines)
    # The envelope's `id` (Zeeschuimer's row number) is never a reply or thread id.
    stored = {r["reply_id"] for r in rows(store)} | {
        t[0] for t in store.con.execute("SELECT native_id FROM threads").fetchall()
    }
    envelope_ids = {str(line["id"]) for line in raw}
    assert envelope_ids and not stored & envelope_ids
    # Every stored id is the platform's own: tweet and conversation ids, TikTok video
    # ids, Instagram shortcodes.
    platform_ids = {str(line["item_id"]) for line in raw}
    for line in raw:
        data = line["data"]
        platform_ids |= {str(data.get("code")), str(data.get("id"))}
        platform_ids.add(str(data.get("legacy", {}).get("conversation_id_str")))
    assert stored <= platform_ids
    if rel == X_SAMPLE:
        # nav_index ends in NaN on every line of this capture: no effect on reading.
        assert all(str(line["nav_index"]).endswith(":NaN") for line in raw)
        assert len(rows(store, "parent_id IS NOT NULL")) == 57


# ------------------------------------------------------------------------ Discord


@pytest.mark.samples
def test_discord_sample(store: Store) -> None:
    path = sample(DC_SAMPLE)
    result = import_file(store, path, ImportOptions())
    assert (result.fmt, result.platform) == ("discordchatexporter", "discord")
    # 35 messages: 4 system messages skipped; 3 without text (sticker, attachments) rejected.
    assert (result.rows_in, result.added, result.rejected) == (31, 28, 3)
    assert result.notes["discord: system messages (GuildMemberJoin) skipped, not replies"] == 3
    assert result.notes["discord: system messages (ThreadCreated) skipped, not replies"] == 1
    assert (
        result.reject_examples[0]
        == "messages[3] (1045179638760091709): no text: sticker-only reply"
    )
    reply = one(store, "1060926346089476176")
    assert reply["text"] == "You will understand it later :kekw:"
    assert (reply["parent_id"], reply["depth"], reply["like_count"]) == (
        "1060926317920538735",
        2,
        1,
    )
    assert (reply["author_name"], reply["author_id"]) == ("Adam", "521486476985155645")
    assert reply["created_at"] == utc("2023-01-06T14:22:31.966")
    assert one(store, "1060926395313827840")["depth"] == 3
    # "14:22:25.25+00:00": two fractional digits.
    assert one(store, "1060926317920538735")["created_at"] == utc("2023-01-06T14:22:25.250")
    assert scalar(store, "SELECT count(DISTINCT thread_id) FROM replies") == 1
    assert scalar(store, "SELECT url FROM threads") == (
        "https://discord.com/channels/748545324524575035/1012224565567721552"
    )


def test_discord_fixture_replies_orphans_and_system_messages(store: Store) -> None:
    result = import_file(store, DC_MINI, ImportOptions())
    assert (result.fmt, result.added, result.rejected) == ("discordchatexporter", 4, 1)
    assert result.notes["discord: system messages (ChannelPinnedMessage) skipped, not replies"] == 1
    assert result.reject_examples == [
        "messages[5] (930000000000010006): no text: attachment-only reply"
    ]
    first = one(store, "930000000000010001")
    assert (first["parent_id"], first["depth"], first["like_count"]) == ("930000000000000100", 1, 5)
    assert (first["author_handle"], first["author_name"]) == ("ana_k", "Ana (moderator)")
    newer = one(store, "930000000000010003")  # type "Reply"
    assert (newer["parent_id"], newer["depth"], newer["author_handle"]) == (
        "930000000000010001",
        2,
        "raj#4821",
    )
    assert newer["created_at"] == utc("2024-05-01T10:02:03.450")
    # The referenced message is not in the file: kept, parent as given, depth unknown.
    orphan = one(store, "930000000000010004")
    assert (orphan["parent_id"], orphan["depth"]) == ("930000000000009999", None)
    older = one(store, "930000000000010007")  # type "Default" with a reference
    assert (older["parent_id"], older["depth"]) == ("930000000000010003", 3)
    assert older["url"] == (
        "https://discord.com/channels/930000000000000001/930000000000000100/930000000000010007"
    )


def test_discord_direct_messages_and_urls() -> None:
    assert channel_url("0", "5") == "https://discord.com/channels/@me/5"
    assert parse_post_url("https://discord.com/channels/1/22") == ("discord", "22")
    assert parse_post_url("https://discord.com/channels/@me/22/333") == ("discord", "22")
    assert parse_post_url("https://discord.com/invite/abc") is None


# ------------------------------------------------------- bad input, detection, CLI


def test_unsupported_zeeschuimer_module_is_refused_clearly(store: Store, tmp_path: Path) -> None:
    line = {
        "nav_index": "1:1:0",
        "item_id": "C1",
        "timestamp_collected": 1717200000000,
        "source_platform": "threads.net",
        "source_platform_url": "https://www.threads.net/",
        "source_url": "https://www.threads.net/api/graphql",
        "user_agent": "test",
        "data": {"caption": {"text": "hello"}},
        "id": 7,
    }
    path = tmp_path / "threads.ndjson"
    path.write_text(json.dumps(line) + "\n" + json.dumps({**line, "id": 8}) + "\n", "utf-8")
    with pytest.raises(ImportProblem) as err:
        import_file(store, path, ImportOptions())
    message = str(err.value)
    assert str(path) in message and "Zeeschuimer capture of threads.net" in message
    assert scalar(store, "SELECT count(*) FROM replies") == 0


FIXTURE_OWNERS = {
    X_MINI: "zeeschuimer-twitter",
    TT_MINI: "zeeschuimer-tiktok",
    IG_MINI: "zeeschuimer-instagram",
}


def test_detection_is_exclusive_on_fixtures() -> None:
    cases: list[tuple[Any, str]] = [
        (r, owner) for p, owner in FIXTURE_OWNERS.items() for r in lines(p)
    ]
    cases.append((json.loads(DC_MINI.read_text("utf-8")), "discordchatexporter"))
    for record, owner in cases:
        assert [f.name for f in record_formats() if f.detect(record)] == [owner]


@pytest.mark.parametrize(
    "value",
    [
        None,
        1,
        "x",
        [],
        {},
        {"data": {}},
        {"source_platform": "twitter.com", "data": {}},
        {"guild": {}, "messages": []},
        {"guild": {}, "channel": {}, "messages": []},
    ],
)
def test_detectors_refuse_junk(value: Any) -> None:
    for name in NEW_FORMATS:
        assert FMT[name].detect(value) is False, name
    assert envelope_platform(value) is None


@pytest.mark.parametrize("data", [None, [], "text", {}, {"legacy": "x"}, {"tweet": None}])
@pytest.mark.parametrize("platform", ["twitter.com", "tiktok.com", "instagram.com"])
def test_odd_data_is_rejected_with_a_reason(platform: str, data: Any) -> None:
    record = {
        "nav_index": "1:1:0",
        "item_id": "1",
        "timestamp_collected": 1,
        "source_platform": platform,
        "source_url": "https://example.invalid/",
        "data": data,
        "id": 1,
    }
    (fmt,) = [f for f in record_formats() if f.detect(record)]
    with pytest.raises(RecordRejected) as err:
        fmt.parse(record, ParseContext())
    assert str(err.value)


def test_cli_lists_formats_and_accepts_discord_platform(runner: CliRunner, tmp_path: Path) -> None:
    listed = runner.invoke(main, ["formats"])
    assert listed.exit_code == 0
    names = {line.split()[0] for line in listed.output.splitlines() if line.strip()}
    assert set(NEW_FORMATS) <= names
    csv_path = tmp_path / "chat.csv"
    csv_path.write_text("id,text,likes\n1,We need leaders who listen,2\n", "utf-8")
    db = tmp_path / "s.duckdb"
    done = runner.invoke(main, ["--db", str(db), "import", str(csv_path), "--platform", "discord"])
    assert done.exit_code == 0, done.output
    forced = runner.invoke(
        main, ["--db", str(db), "import", str(DC_MINI), "--format", "discordchatexporter"]
    )
    assert forced.exit_code == 0, forced.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT DISTINCT platform FROM replies").fetchall() == [("discord",)]
    con.close()
