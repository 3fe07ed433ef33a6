"""Reply quality: language, duplicates, campaigns, low-content and spam, runs, CLI, status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from analysis.duplicates import compute_near_groups
from analysis.quality import (
    compute_content_flags,
    compute_languages,
    normalise,
    run_quality,
)
from analysis.sampling import campaign_weights
from analysis.text import match_form
from cli import main
from collectors.files import ImportOptions, import_file
from commands.quality import COMMANDS
from commands.summary import render_quality_status
from store import Store
from tests.conftest import sample

BASE = (
    "Please sign the petition to stop the new motorway through the valley because our "
    "children deserve clean air and quiet streets"
)
SWAPS = [("children", "kids"), ("valley", "village"), ("clean", "fresh"), ("quiet", "safe")]
NAMES = ["Ana", "Budi", "Carla", "Dewi", "Emma", "Farid", "Gita", "Hana"]
REAL = (
    "I went to the consultation last week and the planners admitted they never "
    "modelled the extra traffic on the school road."
)
REAL_LINK = "The full report is here https://www.gov.uk/report and page 12 covers the budget."


def add_replies(store: Store, rows: list[tuple[str, str | None, str]]) -> None:
    """Insert (reply_id, author, text) rows on platform x, one minute apart."""
    t0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    store.con.executemany(
        """INSERT INTO replies (platform, reply_id, thread_id, author_handle, text, created_at,
                                first_seen_at, last_seen_at, source_run_id)
           VALUES ('x', ?, 'x:1', ?, ?, ?, now(), now(), 0)""",
        [
            [rid, author, text, t0 + timedelta(minutes=i)]
            for i, (rid, author, text) in enumerate(rows)
        ],
    )


def near_copies(n: int) -> list[str]:
    """n copies of BASE: a third verbatim, the rest with a word changed and/or a name added."""
    out = []
    for i in range(n):
        text = BASE
        if i % 3 == 1:
            old, new = SWAPS[i % len(SWAPS)]
            text = text.replace(old, new)
        if i % 3 == 2:
            text = f"{NAMES[i % len(NAMES)]}, {text}"
        if i % 6 == 5:
            old, new = SWAPS[(i + 1) % len(SWAPS)]
            text = text.replace(old, new) + " 🙏"
        out.append(text)
    return out


def latest(store: Store) -> pl.DataFrame:
    """The replies_tagged view (latest quality run) keyed by reply_id."""
    frame = pl.from_arrow(
        store.con.sql(
            """SELECT reply_id, detected_lang, duplicate_group, duplicate_kind, campaign_id,
                      low_content, spam, quality_reason FROM replies_tagged ORDER BY reply_id"""
        ).to_arrow_table()
    )
    assert isinstance(frame, pl.DataFrame)
    return frame


@pytest.fixture
def mixed(store: Store) -> Store:
    """40 near copies by 40 authors, 3 copies by one author, low-content, spam and real replies."""
    rows: list[tuple[str, str | None, str]] = [
        (f"c{i:02d}", f"user{i}", t) for i, t in enumerate(near_copies(40))
    ]
    rows += [
        (f"s{i}", "solo", "Vote for Maria Lopez on Thursday, she fixed the bus timetable")
        for i in range(3)
    ]
    rows += [
        ("l1", "ann", "first"),
        ("l2", "bob", "🔥🔥🔥"),
        ("l3", "cat", "@dan @eve"),
        ("p1", "promo", "Win a FREE iPhone in our giveaway, click here https://bit.ly/xyz"),
        ("p2", "promo2", "Earn $500 a day from home, check my bio 💰"),
        ("r1", "dee", REAL),
        ("r2", "fay", REAL_LINK),
    ]
    add_replies(store, rows)
    return store


def test_forty_edited_copies_by_forty_authors_are_one_campaign(mixed: Store) -> None:
    result = run_quality(mixed)
    assert result.campaigns == 1 and result.campaign_replies == 40
    camp = mixed.con.execute(
        "SELECT campaign_id, replies, authors, example_text FROM campaigns WHERE run_id = ?",
        [result.run_id],
    ).fetchall()
    assert len(camp) == 1 and camp[0][1:3] == (40, 40) and camp[0][3] == BASE
    view = latest(mixed)
    copies = view.filter(pl.col("reply_id").str.starts_with("c"))
    assert copies["campaign_id"].n_unique() == 1 and copies["campaign_id"][0] == camp[0][0]
    assert set(copies["duplicate_kind"]) == {"near"}
    assert copies["campaign_id"][0][1:] == copies["duplicate_group"][0][1:]
    assert (
        "Campaign c" in copies["quality_reason"][0]
        and "by 40 authors" in copies["quality_reason"][0]
    )


def test_three_copies_by_one_author_are_duplicates_not_a_campaign(mixed: Store) -> None:
    run_quality(mixed)
    solo = latest(mixed).filter(pl.col("reply_id").str.starts_with("s"))
    assert solo.height == 3
    assert solo["duplicate_group"].n_unique() == 1 and solo["duplicate_group"][0] is not None
    assert set(solo["duplicate_kind"]) == {"exact"}
    assert solo["campaign_id"].null_count() == 3
    assert solo["quality_reason"][0] == (
        f"Exact duplicate of 2 other replies ({solo['duplicate_group'][0]})."
    )


def test_low_content_spam_and_real_replies(mixed: Store) -> None:
    run_quality(mixed)
    view = {r["reply_id"]: r for r in latest(mixed).iter_rows(named=True)}
    assert view["l1"]["low_content"] and view["l1"]["quality_reason"] == "A single word."
    assert view["l2"]["low_content"] and view["l2"]["quality_reason"] == "Emoji only."
    assert (
        view["l3"]["low_content"] and view["l3"]["quality_reason"] == "Only @mentions or #hashtags."
    )
    assert (
        view["p1"]["spam"]
        and view["p1"]["quality_reason"] == "Spam: a link with promotion ('giveaway')."
    )
    assert view["p2"]["spam"] and "pointing to the profile" in view["p2"]["quality_reason"]
    for rid in ("r1", "r2"):
        row = view[rid]
        assert not row["low_content"] and not row["spam"]
        assert row["duplicate_group"] is None and row["campaign_id"] is None
        assert row["quality_reason"] is None and row["detected_lang"] == "en"
    flags = mixed.con.execute(
        "SELECT reply_id, flags FROM reply_quality WHERE reply_id IN ('l2', 'p1', 'r1') "
        "ORDER BY reply_id"
    ).fetchall()
    assert flags == [("l2", ["emoji-only"]), ("p1", ["spam-link-promo"]), ("r1", [])]


def test_content_flags_one_by_one() -> None:
    texts = [
        "first",
        "🔥🔥🔥",
        "",
        "...",
        "https://example.com",
        "#fyp #viral",
        "@ana 😂😂",
        "Same",
        "这个政策对普通老百姓来说非常不公平",
        "Totally agree with this",
        REAL,
    ]
    flags = compute_content_flags(pl.Series(texts))
    assert flags["content_flag"].to_list() == [
        "single-word", "emoji-only", "empty", "empty", "link-only", "mentions-only",
        "emoji-only", "single-word", None, None, None,
    ]  # fmt: skip
    assert flags["spam"].sum() == 0


def test_languages_of_clear_sentences(no_network: None) -> None:
    texts = [
        "I really think the council should listen to the people who live here.",
        "Je pense vraiment que le conseil devrait écouter les gens qui vivent ici.",
        "Ich denke wirklich, dass der Rat den Menschen zuhören sollte, die hier leben.",
        "Creo de verdad que el ayuntamiento debería escuchar a la gente que vive aquí.",
        "Semoga bapak presiden selalu sehat dan bisa membawa Indonesia lebih maju lagi.",
        "so true 🔥 @ana https://x.co/abc",
        "ok thanks",
    ]
    found = compute_languages(pl.Series(texts))
    assert found["lang"].to_list() == ["en", "fr", "de", "es", "id", None, None]
    conf = found["lang_confidence"].to_list()
    assert all(0.9 < c <= 1.0 for c in conf[:5]) and conf[5:] == [None, None]


def test_batch_language_detection_matches_py3langid(no_network: None) -> None:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    texts = [
        BASE, REAL, "BREAKING NEWS THE MINISTER HAS RESIGNED TONIGHT",
        "Kenapa harga beras naik terus sih, rakyat makin susah aja.",
        "Salve ho urgente bisogno di supporto per il mio ordine, nessuno risponde",
        "这个政策对普通老百姓来说非常不公平，政府应该重新考虑",
        "Ça déçoit énormément, franchement personne n'a été consulté à Besançon",
    ]  # fmt: skip
    found = compute_languages(pl.Series(texts))
    for text, lang, conf in zip(texts, found["lang"], found["lang_confidence"], strict=True):
        want_lang, want_conf = ident.classify(text)
        assert (lang, round(conf, 4)) == (want_lang, round(want_conf, 4)), text


def test_normalised_text_is_match_form() -> None:
    texts = pl.Series(
        ["Héllo   WORLD!! @ana https://t.co/x", "#PublicServices matter 🔥", "Straße ÉTÉ", "", None]
    )
    assert normalise(texts).to_list() == match_form(texts).str.strip_chars().to_list()
    assert normalise(texts).to_list()[:3] == ["hello world", "public services matter", "straße ete"]


def test_near_groups_keep_unrelated_and_short_texts_apart() -> None:
    norms = pl.Series(
        [
            normalise(pl.Series([BASE]))[0],
            normalise(pl.Series([BASE.replace("children", "kids")]))[0],
            normalise(pl.Series([REAL]))[0],
            "i do not agree",  # too short to compare by overlap
            "i do agree",
            "the we the the we the we",  # two distinct words
            "we the the we the",
        ]
    )
    label = compute_near_groups(norms, np.array([5, 1, 1, 1, 1, 1, 1]))
    assert label.tolist() == [0, 0, 2, 3, 4, 5, 6]


def test_rerun_is_a_new_run_and_the_view_shows_the_latest(mixed: Store) -> None:
    first = run_quality(mixed)
    second = run_quality(mixed, min_authors=50)
    assert second.run_id > first.run_id and (first.campaigns, second.campaigns) == (1, 0)
    counts = mixed.con.execute(
        "SELECT run_id, count(*), count(campaign_id) FROM reply_quality "
        "GROUP BY run_id ORDER BY run_id"
    ).fetchall()
    assert counts == [(first.run_id, 50, 40), (second.run_id, 50, 0)]
    assert latest(mixed)["campaign_id"].null_count() == 50
    runs = mixed.con.execute("SELECT kind, status FROM runs WHERE kind = 'quality'").fetchall()
    assert runs == [("quality", "ok"), ("quality", "ok")]


def test_status_block_and_campaign_weights(mixed: Store) -> None:
    assert render_quality_status(mixed) == ""
    run_quality(mixed)
    text = render_quality_status(mixed)
    assert "campaigns:    1, 40 (80%) replies (same text from >= 3 authors)" in text
    assert "duplicates:   43 (86%) replies in 2 groups" in text
    assert "low content:  3 (6%)" in text and "spam:         2 (4%)" in text
    assert "languages:    en " in text
    weights = campaign_weights(mixed)
    assert weights.height == 50
    assert (
        weights.filter(pl.col("reply_id").str.starts_with("c"))["weight"].to_list()
        == [pytest.approx(1 / 40)] * 40
    )
    assert weights["weight"].sum() == pytest.approx(11.0)


def test_campaign_weights_without_a_quality_run(mixed: Store) -> None:
    assert campaign_weights(mixed)["weight"].to_list() == [1.0] * 50


def test_authors_are_counted_once_and_unknown_authors_not_at_all(store: Store) -> None:
    add_replies(store, [(f"u{i}", None, BASE) for i in range(5)])
    add_replies(store, [(f"v{i}", "same", REAL) for i in range(4)])
    result = run_quality(store)
    assert result.campaigns == 0 and result.duplicate_groups == 2


def test_cli_quality_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    for command in COMMANDS:
        monkeypatch.setitem(main.commands, command.name or "", command)
    lines = ["id,text,author,created_at"]
    lines += [f'{i},"{t}",user{i},2026-03-02T10:{i:02d}:00Z' for i, t in enumerate(near_copies(6))]
    lines += ["7,first,ann,2026-03-02T11:00:00Z", f'8,"{REAL}",bob,2026-03-02T11:01:00Z']
    path = tmp_path / "replies.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    imported = runner.invoke(main, ["--db", str(db), "import", str(path), "--platform", "x"])
    assert imported.exit_code == 0, imported.output
    result = runner.invoke(main, ["--db", str(db), "quality"])
    assert result.exit_code == 0, result.output
    assert "Checked 8 replies" in result.output and "1 campaign (6 replies)" in result.output
    assert "1 low-content, 0 spam" in result.output
    bad = runner.invoke(main, ["--db", str(db), "quality", "--min-authors", "1"])
    assert bad.exit_code != 0 and "at least 2" in bad.output
    unknown = runner.invoke(main, ["--db", str(db), "quality", "--languages", "xx"])
    assert unknown.exit_code != 0 and "xx" in unknown.output
    with Store.open(db, read_only=True) as store:
        assert "campaigns:    1, 6 (75%) replies" in render_quality_status(store)


def test_real_samples_get_plausible_flags(store: Store) -> None:
    tiktok = sample("tiktok/apify-tiktok-comments-scraper_2025-05-25_kumparan-video.json")
    insta = sample("instagram/apify-instagram-comment-scraper_comments.jsonl")
    import_file(store, tiktok, ImportOptions())
    import_file(store, insta, ImportOptions())
    result = run_quality(store)
    assert result.replies == 763 and result.spam == 0
    by_platform = dict(
        store.con.execute(
            """SELECT platform, {'emoji': count(*) FILTER (list_contains(flags, 'emoji-only')),
                                 'low': count(*) FILTER (low_content),
                                 'id': count(*) FILTER (lang = 'id')}
               FROM reply_quality WHERE run_id = ? GROUP BY platform""",
            [result.run_id],
        ).fetchall()
    )
    # Instagram comments under a sports post are mostly emoji; the Indonesian
    # news video's comments are mostly Indonesian sentences.
    assert by_platform["instagram"]["emoji"] >= 130 and by_platform["instagram"]["low"] >= 150
    assert by_platform["tiktok"]["id"] >= 300 and by_platform["tiktok"]["low"] <= 40
    reasons = store.con.execute(
        "SELECT count(*) FROM reply_quality "
        "WHERE run_id = ? AND (reason IS NULL) <> (len(flags) = 0)",
        [result.run_id],
    ).fetchall()
    assert reasons == [(0,)]


def test_bare_domain_links_count_as_links_for_spam() -> None:
    texts = pl.Series(
        [
            "🎁 GIVEAWAY! first 100 people to click get a free £50 voucher "
            "free-voucher-uk.click/claim",
            "Want 10K REAL followers in 7 days?? DM me now 💯 growthboost-social.xyz/start",
            "Leaders should listen, e.g. to staff and/or unions, as Mr.Smith said",
            "giveaway of my time: I will listen to anyone, that is the job",
        ]
    )
    flags = compute_content_flags(texts)
    assert flags["spam"].to_list() == [True, True, False, False]
    assert flags["spam_flag"].to_list()[:2] == ["link-promo", "link-promo"]
