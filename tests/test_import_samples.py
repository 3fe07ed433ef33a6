"""Every real sample in ../shared/samples imports; one known reply per format is checked.

Skipped when the samples folder is absent (a user's clone still passes).
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.files import ImportOptions, import_file
from store import Store
from tests.conftest import SAMPLES, sample

ALL_SAMPLES = (
    sorted(
        str(p.relative_to(SAMPLES))
        for p in SAMPLES.rglob("*")
        if p.is_file() and p.name != "SOURCES.md"
    )
    if SAMPLES.exists()
    else []
)


@pytest.mark.parametrize("rel", ALL_SAMPLES)
def test_every_sample_imports(rel: str, store: Store) -> None:
    result = import_file(store, sample(rel), ImportOptions())
    assert result.added > 0
    assert result.fmt != "generic", f"{rel} was not recognised as a known format"
    raw = store.con.execute(
        "SELECT count(*) FROM raw_records WHERE run_id = ?", [result.run_id]
    ).fetchone()
    assert raw and raw[0] > 0


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# (file, expected format, how to find the reply, expected values)
KNOWN: list[tuple[str, str, dict[str, object], dict[str, object]]] = [
    (
        "tiktok/tiktokcommentscraper_funke-baerbock-post_comments.csv",
        "tiktokcommentscraper",
        {"author_handle": "sascha708"},
        {
            "text": "✨siemse✨ willkommen im Jahr 2021 😭",
            "like_count": 26500,
            "created_at": _ts("2021-09-02T00:00:00"),
            "depth": 1,
        },
    ),
    (
        "tiktok/tiktokcommentscraper_funke-baerbock-post_comments_with-preamble.xlsx",
        "tiktokcommentscraper",
        {"author_handle": "sascha708"},
        {
            "like_count": 26500,
            "thread_id": "tiktok:7003284152187456773",
            "created_at": _ts("2021-09-02T00:00:00"),
        },
    ),
    (
        "facebook/exportcomments_facebook-comments_RaniaYoussefofficial-post.xlsx",
        "exportcomments-facebook",
        {"text": "المحترمه 🤍"},
        {
            "like_count": 29,
            "author_name": "احمد المصري_Ahmedelmasry",
            "created_at": _ts("2024-04-21T14:51:23"),
        },
    ),
    (
        "facebook/exportcomments_facebook_2020-layout_lecanadafrancais-post.xlsx",
        "exportcomments-facebook",
        {"author_name": "Maurice Tremblay", "like_count": 8},
        {
            "created_at": _ts("2020-12-31T23:22:00"),
            "thread_id": "facebook:255561392521_10157929543417522",
        },
    ),
    (
        "facebook/apify-facebook-comments-scraper_2024-04-25_15-10-54-200_benin-pages.xlsx",
        "apify-facebook-comments",
        {"reply_id": "Y29tbWVudDo3MzE2OTA2NTU3MjIyNjhfOTM1MTc0OTU0NzkwMjc2"},
        {
            "like_count": 9,
            "author_name": "Djes Fresy Bilenga",
            "created_at": _ts("2024-02-01T20:04:15"),
            "parent_id": "731690655722268",
            "depth": 1,
        },
    ),
    (
        "facebook/facebook-dyi-export_comments_v2_tiny-mojibake.json",
        "facebook-dyi-comments",
        {"text": "davs :i"},
        {"author_name": "Gustav Johansen", "created_at": _ts("2009-11-11T11:14:07")},
    ),
    (
        "youtube/exportcomments_youtube_kJQP7kiw5Fk_100-comments.csv",
        "exportcomments-youtube",
        {"author_handle": "tilestamilan"},
        {
            "text": "😂 any one 2226 here?",
            "like_count": 6,
            "created_at": _ts("2025-12-03T14:24:02"),
        },
    ),
    (
        "instagram/exportcomments_instagram_DMX8Q9Ny74P_100-comments_bom.csv",
        "exportcomments-instagram",
        {"reply_id": "17844195216567765"},
        {
            "author_handle": "ffryzx12",
            "like_count": 0,
            "created_at": _ts("2025-09-06T08:03:46"),
            "thread_id": "instagram:DMX8Q9Ny74P",
        },
    ),
    (
        "instagram/apify-instagram-comment-scraper_comments.jsonl",
        "apify-instagram-comments",
        {"reply_id": "18085479355926583"},
        {
            "text": "🥹🙏🫶❤️",
            "like_count": 1214,
            "author_handle": "juttaleerdam",
            "parent_id": "DUjF0PLjM6H",
            "created_at": _ts("2026-02-10T00:29:50"),
        },
    ),
    (
        "twitter/twint_replies-to-larrouturou-tweet.csv",
        "twint",
        {"reply_id": "1541509343040143360"},
        {
            "like_count": 71,
            "author_handle": "mudde_rama",
            "created_at": _ts("2022-06-27T19:50:41"),
            "thread_id": "x:1541498855061164034",
            "parent_id": None,
            "parent_author": "larrouturou",
        },
    ),
    (
        "twitter/twarc-csv_dfw_bro.csv",
        "twarc-csv",
        {"reply_id": "1297973554986639360"},
        {
            "like_count": 407,
            "author_handle": "MaraWilson",
            "created_at": _ts("2020-08-24T19:06:25"),
        },
    ),
    (
        "twitter/apify-twitter-scraper_legacy_jihadwatchRS_bom.csv",
        "apify-twitter-legacy",
        {"reply_id": "1553470570238459904"},
        {
            "like_count": 2351,
            "author_handle": "jihadwatchRS",
            "created_at": _ts("2022-07-30T20:00:20"),
        },
    ),
    (
        "twitter/twarc1-replies_api-v1.1-extended_replies-to-1329503762583531526.jsonl",
        "twarc1",
        {"reply_id": "1329517048112709632"},
        {
            "like_count": 7,
            "author_handle": "SinaGolestaneh",
            "created_at": _ts("2020-11-19T20:09:00"),
            "parent_id": "1329503762583531526",
            "thread_id": "x:1329503762583531526",
            "depth": 1,
        },
    ),
    (
        "twitter/apify-tweet-scraper-v2_dataset_2025-11-23_08-41-43-867.json",
        "apify-tweet-scraper-v2",
        {"reply_id": "1992360232241217678"},
        {
            "like_count": 3382,
            "author_handle": "AbujomaaGaza",
            "created_at": _ts("2025-11-22T22:31:10"),
        },
    ),
    (
        "twitter/snscrape-jsonl_2021-content_relax-hashtag.json",
        "snscrape",
        {"reply_id": "1278101125414236169"},
        {"like_count": 913, "author_handle": "pollobv", "created_at": _ts("2020-06-30T23:00:28")},
    ),
    (
        "twitter/snscrape-jsonl_2022-rawContent_elon-musk-2011-search.json",
        "snscrape",
        {"reply_id": "90433206469410816"},
        {"like_count": 6, "author_handle": "SpaceX"},
    ),
    (
        "twitter/twarc2-search-page_api-v2_noflat.jsonl",
        "twarc2",
        {"reply_id": "1380242043155349507"},
        {"like_count": 6, "author_handle": "quinncy", "created_at": _ts("2021-04-08T19:32:01")},
    ),
    (
        "twitter/twarc2-search-page_dfw_bro_source-of-csv.jsonl",
        "twarc2",
        {"reply_id": "1297973554986639360"},
        {"like_count": 0, "author_handle": "MaraWilson"},
    ),
    (
        "twitter/twitter-archive_data-tweets.js_smithjd_first600.js",
        "twitter-archive",
        {"reply_id": "1008439804130832384"},
        {"like_count": 18, "created_at": _ts("2018-06-17T20:02:39")},
    ),
    (
        "bluesky/getPostThread_response_170-replies.json",
        "bluesky-thread",
        {"reply_id": "at://did:plc:liq6fguhetsghzyo4cmv5zd4/app.bsky.feed.post/3jvveozk6vt2o"},
        {
            "text": "Hey",
            "like_count": 1032,
            "author_handle": "jimmyfallon.bsky.social",
            "created_at": _ts("2023-05-17T02:44:16.503"),
            "depth": 1,
            "parent_id": "at://did:plc:liq6fguhetsghzyo4cmv5zd4/app.bsky.feed.post/3jvuuju3amj2i",
        },
    ),
    (
        "mastodon/mastodon-api-v1-statuses-context_mastodon.social_109294719267373593.json",
        "mastodon-context",
        {"reply_id": "109297452549435392"},
        {
            "like_count": 71,
            "author_handle": "austinkocher",
            "created_at": _ts("2022-11-06T14:59:33.620"),
            "parent_id": "109294719267373593",
            "thread_id": "mastodon:109294719267373593",
            "depth": 1,
        },
    ),
    (
        "reddit/reddit-api_comments-listing_r-SpainPolitics_thread17.json",
        "reddit-listing",
        {"reply_id": "lm9dpwe"},
        {
            "like_count": 24,
            "author_handle": "anteojosrojos",
            "created_at": _ts("2024-09-09T11:20:57"),
            "parent_id": "lm9d3io",
            "thread_id": "reddit:1fcm91n",
            "depth": 2,
        },
    ),
    (
        "reddit/pushshift-dump_comments_r-ufc-2018.ndjson",
        "pushshift",
        {"reply_id": "e7bg6rc"},
        {
            "like_count": 217,
            "author_handle": "AiryAndreGrande",
            "created_at": _ts("2018-10-07T05:26:11"),
            "parent_id": "9m2taz",
            "thread_id": "reddit:9m2taz",
            "depth": 1,
        },
    ),
    (
        "tiktok/apify-tiktok-comments-scraper_2025-05-25_kumparan-video.json",
        "apify-tiktok-comments",
        {"reply_id": "7507899910831096597"},
        {
            "like_count": 643,
            "author_handle": "carljst",
            "created_at": _ts("2025-05-24T06:46:19"),
            "thread_id": "tiktok:7507890376124992786",
        },
    ),
    (
        "youtube/youtube-data-api-v3_commentThreads_wtLJPvx7-ys.json",
        "youtube-api-commentthreads",
        {"reply_id": "z12zsxex4sjkf3jjt04chvpj1nqquhaxoow0k"},
        {
            "text": "WHERE TF THE TIMESTAMPS AT",
            "like_count": 6,
            "author_name": "Moazam Ollie",
            "created_at": _ts("2015-09-30T02:38:23"),
            "thread_id": "youtube:wtLJPvx7-ys",
        },
    ),
    (
        "youtube/youtube-comment-downloader_2021_ScMzIvxBSi4_urdu-relative-times.ndjson.json",
        "youtube-comment-downloader",
        {"reply_id": "UgzEZ5QJ6n8MGkcvztN4AaABAg"},
        {"like_count": 1081, "author_name": "Sandra Isaksson", "created_at": None},
    ),
    (
        "youtube/youtube-comment-downloader_2023_ScMzIvxBSi4.ndjson.json",
        "youtube-comment-downloader",
        {"reply_id": "Ugj6pDIpE6nOC3gCoAEC"},
        # time_parsed is an epoch the scraper computed from "9 years ago":
        # not a real date, so created_at stays empty (the relative time is counted).
        {"like_count": 31, "author_handle": "KennethDecauwer", "created_at": None},
    ),
    (
        "linkedin/linkedin-data-export_Comments_sanand0.csv",
        "linkedin-comments",
        {"created_at": _ts("2022-03-17T03:59:58")},
        {"thread_id": "linkedin:6909797500946186240", "like_count": None},
    ),
    (
        "twitter/zeeschuimer_twitter.com-SearchTimeline_fosfor-nl_104-tweets.ndjson",
        "zeeschuimer-twitter",
        {"reply_id": "1711882654579138796"},
        {
            "like_count": 0,
            "author_handle": "kaas_couscous",
            "created_at": _ts("2023-10-10T23:13:24"),
            "parent_id": "1711387605890392566",
            "thread_id": "x:1711387605890392566",
            "depth": 1,
        },
    ),
    (
        "tiktok/zeeschuimer_tiktok.com-search-item-full_fosfor_96-posts-no-comments.ndjson",
        "zeeschuimer-tiktok",
        {"reply_id": "7288995634328177926"},
        {
            "like_count": 59,
            "author_handle": "haberturktv",
            "created_at": _ts("2023-10-12T09:05:49"),
            "thread_id": "tiktok:7288995634328177926",
            "depth": 0,
        },
    ),
    (
        "instagram/zeeschuimer_instagram.com-graphql-feed_23-posts-no-comments.ndjson",
        "zeeschuimer-instagram",
        {"reply_id": "DUgjOD7D0br"},
        {
            "like_count": 306,
            "author_handle": "abc7ny",
            "created_at": _ts("2026-02-08T19:26:07"),
            "thread_id": "instagram:DUgjOD7D0br",
            "depth": 0,
        },
    ),
    (
        "discord/discordchatexporter_json_example-guild-general_35-messages-3-replies.json",
        "discordchatexporter",
        {"reply_id": "1060926346089476176"},
        {
            "text": "You will understand it later :kekw:",
            "like_count": 1,
            "author_name": "Adam",
            "created_at": _ts("2023-01-06T14:22:31.966"),
            "parent_id": "1060926317920538735",
            "thread_id": "discord:1012224565567721552",
            "depth": 2,
        },
    ),
]


@pytest.mark.parametrize(("rel", "fmt", "where", "expected"), KNOWN, ids=[k[0] for k in KNOWN])
def test_known_reply(
    rel: str, fmt: str, where: dict[str, object], expected: dict[str, object], store: Store
) -> None:
    result = import_file(store, sample(rel), ImportOptions())
    assert result.fmt == fmt
    cond = " AND ".join(f"{k} = ?" for k in where)
    cur = store.con.execute(f"SELECT * FROM replies WHERE {cond}", list(where.values()))
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    assert len(rows) == 1, f"expected one reply where {where}, found {len(rows)}"
    got = {k: rows[0][k] for k in expected}
    if "text" in expected:
        assert got["text"] == expected["text"]
    assert got == expected


def test_reimport_adds_nothing_and_second_shape_merges(store: Store, tmp_path: Path) -> None:
    """The 170-reply Bluesky thread, then the same replies as a generic CSV: same ids, no new
    rows."""
    path = sample("bluesky/getPostThread_response_170-replies.json")
    first = import_file(store, path, ImportOptions())
    again = import_file(store, path, ImportOptions())
    assert again.added == 0 and again.unchanged == first.added
    thread = json.loads(path.read_text())["thread"]
    csv_path = tmp_path / "same-replies.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "likes", "username", "created_at", "parent_id", "thread_id"])
        for node in thread["replies"]:
            post = node.get("post") or {}
            if not post.get("record", {}).get("text"):
                continue
            w.writerow(
                [
                    post["uri"],
                    post["record"]["text"],
                    post["likeCount"] + 5,
                    post["author"]["handle"],
                    post["record"]["createdAt"],
                    post["record"]["reply"]["parent"]["uri"],
                    post["record"]["reply"]["root"]["uri"],
                ]
            )
    other = import_file(store, csv_path, ImportOptions(platform="bluesky"))
    assert other.fmt == "generic"
    assert other.added == 0 and other.updated == first.added
    snaps = store.con.execute(
        "SELECT count(DISTINCT run_id), count(*) FROM metric_snapshots WHERE platform = 'bluesky'"
    ).fetchone()
    assert snaps == (2, 2 * first.added)
    total = store.con.execute("SELECT count(*) FROM replies").fetchone()
    assert total and total[0] == first.added
