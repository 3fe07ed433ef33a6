"""Build the bundled replyscope demo thread: an illustrative Bluesky getPostThread response.

The data set is illustrative, written by hand for the replyscope demo. The root post
belongs to an invented public-sector account ("Public Services Network — illustrative
demo") asking what kind of leadership public services need; the ~590 replies are
hand-written in the voices people use on social media (nurses, council officers, social
workers, police, teachers, charity staff, residents, academics, consultants, union reps),
grounded in the themes of public discussions about public-service leadership. No real
people or posts: every handle, name, identifier and engagement count is invented.

Besides on-topic replies the thread holds what real threads hold: off-topic chatter
and jokes, spam, replies in other languages, one-word and emoji-only replies, a small
copy-paste campaign (six accounts posting the same slogan with small edits) and two exact
duplicates posted by the same account.

The output is `collectors/demo/bluesky_leadership_thread.json`, in the shape of
`app.bsky.feed.getPostThread` (thread -> post + nested replies), plus a top-level
`_replyscope_demo` note that getPostThread consumers ignore. Everything random comes from
`random.Random(20260302)`, so every run writes a byte-identical file.

Replies are written in `demo/replies/*.txt` (one file per theme group, read in name
order; `#` starts a comment line) in a small line format, one reply per line:

    <indent><who> [flags] | <text>

- indent: two spaces per level; a line is a reply to the nearest line above it that is
  indented one level less (top-level lines reply to the root post).
- who: a role pool (`nurse`, `council`, `cit`, ...: an author is drawn from that pool),
  `@handle` (a fixed account, `.bsky.social` implied), `^` (the parent's author: a
  self-thread) or `^^` (the grandparent's author: someone answering back).
- flags: `L=<n>` like count; `lang=<code>[+<code>]`; `t=<hours after the root post>`;
  `dt=<minutes after the parent>`; `oplike` (the root account liked it).
- text: `\\n` is a newline; `{parent}` is the parent author's handle; https:// links are
  shortened for display the way the Bluesky app does, with a link facet.

Run: `python demo/build_demo.py` (prints a summary; `--out PATH` writes elsewhere).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import random
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from demo_facets import render_text
from demo_lines import ROOT_TIME, Reply, load_groups, parse_groups, walk

HERE = Path(__file__).resolve().parent
SEED = 20260302
WINDOW = timedelta(days=6)
OUT = (
    Path(__file__).resolve().parent.parent
    / "collectors"
    / "demo"
    / "bluesky_leadership_thread.json"
)

ROOT_HANDLE = "publicservicesnet.bsky.social"
ROOT_NAME = "Public Services Network — illustrative demo"
ROOT_TEXT = (
    "What kind of leadership do our public services need? Tell us in the replies 👇 "
    "#PublicServices #Leadership"
)
DEMO_NOTE = {
    "note": "Illustrative data written for the replyscope demo. Not real posts or people.",
    "generator": "demo/build_demo.py",
}

# --------------------------------------------------------------------------------------
# Accounts. "handle|Display Name"; `.bsky.social` is appended. Accounts named with
# `@handle` in the replies are fixed characters; the others are drawn at random for
# replies written for a role pool. The pools are in demo/pools.json.
# --------------------------------------------------------------------------------------

POOLS: dict[str, list[str]] = json.loads((HERE / "pools.json").read_text(encoding="utf-8"))

# Pools that random picks for one role also draw from (citizens are mostly "anyone").
POOL_EXTRA: dict[str, tuple[str, ...]] = {"cit": ("gen",)}

FIRST = (
    "aisha ben chloe dev emma farhan george hollie imran jess kieran leah marcus nadia owen "
    "poppy qasim rhys tariq una vikram wendy xander yasmin zach abbie bilal cerys declan "
    "efua finn grace harvey isla jake kezia liam mo niamh oli rory saoirse uzma vicky will "
    "yusra zoe alfie bethan connor daisy ellis fatima gemma hamish ifeoma jordan kat lewis "
    "maisie nathan orla patrick ruby sanjay tilly wes ana bartek ciaran dominika eilidh femi "
    "gurpreet hannah ioan joanne kamal lucy mariam neil oksana paddy rachael sunita thea ugo"
).split()
SURNAMES = (
    "ahmed baker clarke davies evans fox green hughes iqbal jones khan lewis morgan nowak "
    "obi patel quinn roberts singh taylor usman walsh young begum campbell doyle ellis fraser "
    "grant hall islam jenkins kowalski lloyd mensah nolan okoro price reid shah thomas wood"
).split()
HOBBIES = "runs reads bakes knits gardens walks cycles paints swims sings climbs".split()
NAME_EMOJI = ("🌻", "✨", "🌿", "🏳️‍🌈", "🐝", "☕", "🌊", "📚", "🎧", "🧶", "⚽", "🏴󠁧󠁢󠁷󠁬󠁳󠁿")
PRONOUNS = ("they/them", "any pronouns")
GEN_POOL_SIZE = 50


# --------------------------------------------------------------------------------------
# The replies, one file per group in demo/replies/ (read in name order), in the line
# format of the module docstring; lines starting with # are comments.
# --------------------------------------------------------------------------------------

GROUPS = load_groups(HERE / "replies")


# --------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """A Bluesky profile view (app.bsky.actor.defs#profileViewBasic)."""

    handle: str
    name: str
    did: str
    avatar: str | None
    created_at: str

    def view(self) -> dict[str, Any]:
        out: dict[str, Any] = {"did": self.did, "handle": self.handle}
        if self.name:
            out["displayName"] = self.name
        if self.avatar:
            out["avatar"] = self.avatar
        out["labels"] = []
        out["createdAt"] = self.created_at
        return out


def b32(data: str) -> str:
    """Lowercase unpadded base32 of a sha256 digest (52 characters)."""
    digest = hashlib.sha256(data.encode()).digest()
    return base64.b32encode(digest).decode().lower().rstrip("=")


def iso(moment: datetime) -> str:
    """Bluesky's timestamp style: UTC, milliseconds, Z."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def make_account(handle: str, name: str, role: str, rng: random.Random) -> Account:
    did = "did:plc:" + b32("replyscope-demo:did:" + handle)[:24]
    if role in ("spam", "camp"):
        # New accounts, created in the weeks before the thread.
        start, days = datetime(2026, 2, 3, tzinfo=UTC), 26
        has_avatar = rng.random() < (0.35 if role == "spam" else 0.7)
    elif rng.random() < 0.4:
        # The November 2024 wave of sign-ups.
        start, days = datetime(2024, 11, 6, tzinfo=UTC), 25
        has_avatar = rng.random() < 0.88
    else:
        start, days = datetime(2023, 5, 1, tzinfo=UTC), 975
        has_avatar = rng.random() < 0.88
    created = start + timedelta(seconds=rng.uniform(0, days * 86400))
    avatar = None
    if has_avatar or handle == ROOT_HANDLE:
        blob = "bafkrei" + b32("replyscope-demo:avatar:" + handle)
        avatar = f"https://cdn.bsky.app/img/avatar/plain/{did}/{blob}@jpeg"
    return Account(handle=handle, name=name, did=did, avatar=avatar, created_at=iso(created))


def generated_people(rng: random.Random, taken: set[str]) -> list[tuple[str, str]]:
    """Ordinary accounts for the `gen` pool: handles and display names people pick."""
    out: list[tuple[str, str]] = []
    while len(out) < GEN_POOL_SIZE:
        first, last = rng.choice(FIRST), rng.choice(SURNAMES)
        style = rng.random()
        if style < 0.25:
            handle = f"{first}{last}"
        elif style < 0.4:
            handle = f"{first}-{last}"
        elif style < 0.55:
            handle = f"{first}{last[0]}"
        elif style < 0.7:
            handle = f"{first}{rng.randint(2, 99)}"
        elif style < 0.8:
            handle = f"{first}_{last}"
        elif style < 0.9:
            handle = f"{first}-{rng.choice(HOBBIES)}"
        else:
            handle = f"{first[0]}{last}{rng.randint(1, 9)}"
        handle += ".bsky.social"
        if handle in taken:
            continue
        taken.add(handle)
        look = rng.random()
        if look < 0.33:
            name = f"{first.title()} {last.title()}"
        elif look < 0.53:
            name = first.title()
        elif look < 0.68:
            name = f"{first.title()} {last[0].upper()}."
        elif look < 0.77:
            name = first
        elif look < 0.89:
            name = f"{first.title()} {rng.choice(NAME_EMOJI)}"
        elif look < 0.97:
            name = f"{first.title()} ({rng.choice(PRONOUNS)})"
        else:
            name = ""
        out.append((handle, name))
    return out


def build_accounts(rng: random.Random) -> tuple[dict[str, Account], dict[str, list[str]]]:
    """Every account by handle, and each role pool as a list of handles."""
    root = make_account(ROOT_HANDLE, ROOT_NAME, "root", rng)
    accounts = {
        ROOT_HANDLE: Account(
            ROOT_HANDLE, ROOT_NAME, root.did, root.avatar, "2024-11-12T10:41:07.318Z"
        )
    }
    pools: dict[str, list[str]] = {}
    for role, entries in POOLS.items():
        pools[role] = []
        for entry in entries:
            short, _, name = entry.partition("|")
            handle = short + ".bsky.social"
            if handle in accounts:
                raise ValueError(f"duplicate handle {handle}")
            accounts[handle] = make_account(handle, name, role, rng)
            pools[role].append(handle)
    pools["gen"] = []
    for handle, name in generated_people(rng, set(accounts)):
        accounts[handle] = make_account(handle, name, "gen", rng)
        pools["gen"].append(handle)
    return accounts, pools


# --------------------------------------------------------------------------------------
# Who wrote what, when
# --------------------------------------------------------------------------------------

# Random picks favour a few "regulars" in each pool (so some people post several
# times) and cap how often any one account is picked.
REGULAR_SHARE = 0.12
REGULAR_WEIGHT = 4.0
MAX_PICKS = 7


def ancestors(node: Reply) -> list[Reply]:
    out = []
    cur = node.parent
    while cur is not None:
        out.append(cur)
        cur = cur.parent
    return out


def assign_authors(replies: list[Reply], pools: dict[str, list[str]], rng: random.Random) -> None:
    fixed = {r.who[1:] + ".bsky.social" for r in replies if r.who.startswith("@")}
    weighted: dict[str, tuple[list[str], list[float]]] = {}
    for role in sorted(set(pools) | set(POOL_EXTRA)):
        members = [h for h in pools.get(role, []) if h not in fixed]
        for extra in POOL_EXTRA.get(role, ()):
            members += [h for h in pools[extra] if h not in fixed]
        rng.shuffle(members)
        regulars = max(1, round(len(members) * REGULAR_SHARE))
        weights = [REGULAR_WEIGHT if rank < regulars else 1.0 for rank in range(len(members))]
        weighted[role] = (members, weights)
    picked: Counter[str] = Counter()
    for node in replies:
        if node.who.startswith("@"):
            node.author = node.who[1:] + ".bsky.social"
        elif node.who == "^":
            if node.parent is None:
                raise ValueError(f"'^' needs a parent: {node.raw_text!r}")
            node.author = node.parent.author
        elif node.who == "^^":
            if node.parent is None:
                raise ValueError(f"'^^' needs a parent: {node.raw_text!r}")
            grand = node.parent.parent
            node.author = grand.author if grand else ROOT_HANDLE
        else:
            if node.who not in weighted:
                raise ValueError(f"unknown role {node.who!r}")
            members, weights = weighted[node.who]
            avoid = {a.author for a in ancestors(node)} | {ROOT_HANDLE}
            avoid |= {c.author for c in (node.parent.children if node.parent else []) if c.author}
            choices = [
                (h, w)
                for h, w in zip(members, weights, strict=True)
                if h not in avoid and picked[h] < MAX_PICKS
            ]
            node.author = rng.choices([h for h, _ in choices], [w for _, w in choices])[0]
            picked[node.author] += 1


def top_level_offset(rng: random.Random, early: bool = False) -> timedelta:
    """Most replies in the first day, then a long tail; fewer in the small hours (UK).

    Well-liked replies (`early`) come from the first day: the answers people like most
    are the ones posted while the thread is hot.
    """
    while True:
        if early or rng.random() < 0.8:
            hours = rng.lognormvariate(math.log(2.3), 1.05)
        else:
            hours = math.exp(rng.uniform(math.log(10), math.log(143)))
        if not 0.02 < hours < 143.5 or (early and hours > 20):
            continue
        clock = (9 + hours) % 24
        if clock < 6.5 and rng.random() < 0.7:
            continue
        return timedelta(hours=hours)


def assign_times(replies: list[Reply], rng: random.Random) -> None:
    end = ROOT_TIME + WINDOW
    for node in replies:
        parent_time = node.parent.created if node.parent else ROOT_TIME
        if "t" in node.flags:
            when = ROOT_TIME + timedelta(hours=float(node.flags["t"]), seconds=rng.uniform(0, 40))
        elif node.parent is None:
            early = int(node.flags.get("L", "0")) >= 15
            when = ROOT_TIME + top_level_offset(rng, early)
        elif "dt" in node.flags:
            minutes = float(node.flags["dt"]) * rng.uniform(0.7, 1.3)
            when = parent_time + timedelta(minutes=minutes)
        else:
            minutes = rng.lognormvariate(math.log(38), 1.2)
            when = parent_time + timedelta(minutes=max(minutes, 0.6))
            if when > end - timedelta(minutes=5):
                room = (end - parent_time).total_seconds()
                when = parent_time + timedelta(seconds=room * rng.uniform(0.05, 0.9))
        when = when.replace(microsecond=rng.randrange(0, 1000) * 1000)
        if node.parent and when <= parent_time:
            raise ValueError(f"reply before its parent: {node.raw_text!r}")
        node.created = when
        node.indexed = when + timedelta(milliseconds=rng.randint(150, 4000))


# --------------------------------------------------------------------------------------
# Text, links, mentions, hashtags
# --------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------
# Engagement and identifiers
# --------------------------------------------------------------------------------------


def assign_engagement(replies: list[Reply], rng: random.Random) -> None:
    for node in replies:
        if "L" in node.flags:
            likes = int(node.flags["L"])
        elif node.who == "spam":
            likes = 0
        else:
            zero_share = 0.38 if node.depth == 1 else 0.52
            likes = 0 if rng.random() < zero_share else int(rng.paretovariate(1.45))
            likes = int(likes * (0.55 + min(len(node.raw_text), 280) / 320))
            if (node.created - ROOT_TIME) > timedelta(hours=36):
                likes //= 2
            likes = min(likes, 45)
        node.likes = likes
        if node.who == "spam":
            node.reposts = node.quotes = node.bookmarks = 0
            continue
        if likes == 0:
            node.reposts = 1 if rng.random() < 0.02 else 0
        else:
            node.reposts = int(likes * rng.uniform(0.03, 0.16) + rng.random() * 0.8)
        if likes >= 40:
            node.quotes = rng.randint(0, max(1, likes // 60))
        elif likes >= 8:
            node.quotes = 1 if rng.random() < 0.12 else 0
        else:
            node.quotes = 0
        node.bookmarks = int(likes * rng.uniform(0.0, 0.12))


S32 = "234567abcdefghijklmnopqrstuvwxyz"


def tid(moment: datetime, rng: random.Random) -> str:
    """An atproto TID (13 base32-sortable characters) for a moment."""
    micros = int(moment.timestamp()) * 1_000_000 + moment.microsecond + rng.randrange(1000)
    value = (micros << 10) | rng.randrange(1024)
    chars = []
    for _ in range(13):
        chars.append(S32[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def post_ids(did: str, moment: datetime, text: str, rng: random.Random) -> tuple[str, str]:
    uri = f"at://{did}/app.bsky.feed.post/{tid(moment, rng)}"
    return uri, "bafyrei" + b32(f"replyscope-demo:cid:{uri}:{text}")


# --------------------------------------------------------------------------------------
# The getPostThread document
# --------------------------------------------------------------------------------------


@dataclass
class Root:
    uri: str
    cid: str
    facets: list[dict[str, Any]]
    indexed: datetime


def post_view(
    node: Reply, accounts: dict[str, Account], root: Root, parent: tuple[str, str]
) -> dict[str, Any]:
    record: dict[str, Any] = {"$type": "app.bsky.feed.post", "createdAt": iso(node.created)}
    if node.facets:
        record["facets"] = node.facets
    record["langs"] = node.langs
    record["reply"] = {
        "parent": {"cid": parent[1], "uri": parent[0]},
        "root": {"cid": root.cid, "uri": root.uri},
    }
    record["text"] = node.text
    return {
        "uri": node.uri,
        "cid": node.cid,
        "author": accounts[node.author].view(),
        "record": record,
        "bookmarkCount": node.bookmarks,
        "replyCount": len(node.children),
        "repostCount": node.reposts,
        "likeCount": node.likes,
        "quoteCount": node.quotes,
        "indexedAt": iso(node.indexed),
        "labels": [],
    }


def ordered(children: list[Reply], parent_author: str, rng: random.Random) -> list[Reply]:
    """Roughly the app's order: the parent's own follow-ups first, then by engagement."""
    scored = [(c, c.likes * rng.uniform(0.8, 1.25) + rng.random()) for c in children]
    scored.sort(key=lambda cs: (cs[0].author != parent_author, -cs[1]))
    return [c for c, _ in scored]


def thread_view(
    node: Reply,
    accounts: dict[str, Account],
    root: Root,
    parent: tuple[str, str],
    rng: random.Random,
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "$type": "app.bsky.feed.defs#threadViewPost",
        "post": post_view(node, accounts, root, parent),
    }
    if node.children:
        view["replies"] = [
            thread_view(child, accounts, root, (node.uri, node.cid), rng)
            for child in ordered(node.children, node.author, rng)
        ]
    view["threadContext"] = (
        {"rootAuthorLike": node.root_author_like} if node.root_author_like else {}
    )
    return view


def build(rng: random.Random) -> tuple[dict[str, Any], list[Reply], dict[str, Account]]:
    accounts, pools = build_accounts(rng)
    top = parse_groups(GROUPS)
    replies = walk(top)
    assign_authors(replies, pools, rng)
    assign_times(replies, rng)
    dids = {handle: account.did for handle, account in accounts.items()}
    for node in replies:
        render_text(node, dids)
    assign_engagement(replies, rng)

    root_account = accounts[ROOT_HANDLE]
    root_uri, root_cid = post_ids(root_account.did, ROOT_TIME, ROOT_TEXT, rng)
    root_node = Reply(who="@root", raw_text=ROOT_TEXT, depth=0, flags={})
    render_text(root_node, dids)
    root = Root(root_uri, root_cid, root_node.facets, ROOT_TIME + timedelta(milliseconds=412))
    for node in replies:
        node.uri, node.cid = post_ids(accounts[node.author].did, node.created, node.text, rng)
        if "oplike" in node.flags:
            liked = node.created + timedelta(minutes=rng.uniform(4, 180))
            node.root_author_like = f"at://{root_account.did}/app.bsky.feed.like/{tid(liked, rng)}"
    uris = [n.uri for n in replies] + [root_uri]
    if len(set(uris)) != len(uris):
        raise ValueError("duplicate post uri")

    # The root account's own replies come first, then the rest by engagement.
    first = [n for n in top if n.author == ROOT_HANDLE]
    rest = ordered([n for n in top if n.author != ROOT_HANDLE], ROOT_HANDLE, rng)
    root_likes = 1843
    root_record: dict[str, Any] = {
        "$type": "app.bsky.feed.post",
        "createdAt": iso(ROOT_TIME),
        "facets": root.facets,
        "langs": ["en"],
        "text": ROOT_TEXT,
    }
    thread = {
        "$type": "app.bsky.feed.defs#threadViewPost",
        "post": {
            "uri": root_uri,
            "cid": root_cid,
            "author": root_account.view(),
            "record": root_record,
            "bookmarkCount": 96,
            "replyCount": len(top),
            "repostCount": 412,
            "likeCount": root_likes,
            "quoteCount": 57,
            "indexedAt": iso(root.indexed),
            "labels": [],
        },
        "replies": [
            thread_view(n, accounts, root, (root_uri, root_cid), rng)
            for n in sorted(first, key=lambda n: n.created) + rest
        ],
        "threadContext": {},
    }
    return {"thread": thread, "_replyscope_demo": DEMO_NOTE}, replies, accounts


# --------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------


def summary(replies: list[Reply]) -> str:
    depths = Counter(r.depth for r in replies)
    langs = Counter("+".join(r.langs) for r in replies)
    likes = sorted(r.likes for r in replies)
    cuts = statistics.quantiles(likes, n=100, method="inclusive")
    day_one = sum(r.created - ROOT_TIME <= timedelta(hours=24) for r in replies)
    nested = sum(r.depth > 1 for r in replies)
    last = max(r.created for r in replies)
    lines = [
        f"replies: {len(replies)} ({len(replies) - nested} top-level, {nested} replies to "
        f"replies = {nested / len(replies):.0%})",
        f"distinct authors: {len({r.author for r in replies})}",
        "depth histogram: " + ", ".join(f"{d}: {n}" for d, n in sorted(depths.items())),
        "languages: " + ", ".join(f"{k}: {n}" for k, n in langs.most_common()),
        "likes: "
        + ", ".join(f"p{q}={cuts[q - 1]:g}" for q in (25, 50, 75, 90, 95, 99))
        + f", max={likes[-1]}, zero={likes.count(0)}, >=10: {sum(v >= 10 for v in likes)}, "
        f">=100: {sum(v >= 100 for v in likes)}",
        f"within 24 h: {day_one / len(replies):.0%}; last reply {iso(last)}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the JSON")
    args = parser.parse_args(argv)
    doc, replies, _ = build(random.Random(SEED))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    print(summary(replies))


if __name__ == "__main__":
    main()
