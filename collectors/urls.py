"""Recognise the post URL a person would paste: which platform, which native id.

Pure functions; used by the importer (thread URLs in exports, --thread) and
by `replyscope collect` to pick a collector.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, unquote, urlparse

_X_STATUS = re.compile(r"^/(?:[^/]+|i/web|i)/status(?:es)?/(\d+)")
_BSKY = re.compile(r"^/profile/([^/]+)/post/([^/?#]+)")
_REDDIT = re.compile(r"/comments/([a-z0-9]+)", re.I)
_TIKTOK = re.compile(r"/video/(\d+)")
_INSTAGRAM = re.compile(r"^/(?:p|reel|reels|tv)/([^/?#]+)")
_MASTODON = re.compile(r"^/(?:@[^/]+|users/[^/]+/statuses)/(\d+)/?$")
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_LINKEDIN = re.compile(r"urn:li:(?:activity|ugcPost|share):(\d+)")
# A channel (or a message in it): /channels/<guild id or @me>/<channel id>[/<message id>].
_DISCORD = re.compile(r"^/channels/(?:\d+|@me)/(\d+)(?:/\d+)?/?$")


def _youtube_id(host: str, path: str, query: str) -> str | None:
    if host.endswith("youtu.be"):
        vid = path.strip("/").split("/")[0]
        return vid if _YOUTUBE_ID.match(vid) else None
    if path.startswith(("/shorts/", "/live/", "/embed/")):
        vid = path.split("/")[2] if len(path.split("/")) > 2 else ""
        return vid if _YOUTUBE_ID.match(vid) else None
    vid = (parse_qs(query).get("v") or [""])[0]
    return vid if _YOUTUBE_ID.match(vid) else None


PostId = tuple[str, str]  # (platform, native post id)
_HostParser = Callable[[str, str, str], PostId | None]  # (host, path, query) -> post


def _x(host: str, path: str, query: str) -> PostId | None:
    m = _X_STATUS.match(path)
    return ("x", m.group(1)) if m else None


def _bluesky(host: str, path: str, query: str) -> PostId | None:
    m = _BSKY.match(path)
    return ("bluesky", f"at://{m.group(1)}/app.bsky.feed.post/{m.group(2)}") if m else None


def _reddit(host: str, path: str, query: str) -> PostId | None:
    if host == "redd.it":
        pid = path.strip("/").split("/")[0]
        return ("reddit", pid) if pid else None
    m = _REDDIT.search(path)
    return ("reddit", m.group(1)) if m else None


def _youtube(host: str, path: str, query: str) -> PostId | None:
    vid = _youtube_id(host, path, query)
    return ("youtube", vid) if vid else None


def _tiktok(host: str, path: str, query: str) -> PostId | None:
    m = _TIKTOK.search(path)
    return ("tiktok", m.group(1)) if m else None


def _instagram(host: str, path: str, query: str) -> PostId | None:
    m = _INSTAGRAM.match(path)
    return ("instagram", m.group(1)) if m else None


def _facebook(host: str, path: str, query: str) -> PostId | None:
    return ("facebook", _facebook_id(path, query))


def _linkedin(host: str, path: str, query: str) -> PostId | None:
    m = _LINKEDIN.search(unquote(path))
    return ("linkedin", m.group(1)) if m else None


def _discord(host: str, path: str, query: str) -> PostId | None:
    m = _DISCORD.match(path)
    return ("discord", m.group(1)) if m else None


_X_HOSTS = {"x.com", "twitter.com", "mobile.twitter.com", "fxtwitter.com", "vxtwitter.com"}
_DISCORD_HOSTS = {"discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com"}

# Which parser reads a host's post URLs, in order; any other host may be a Mastodon instance.
_HOSTS: list[tuple[Callable[[str], bool], _HostParser]] = [
    (lambda host: host in _X_HOSTS, _x),
    (lambda host: host == "bsky.app", _bluesky),
    (lambda host: host.endswith("reddit.com") or host == "redd.it", _reddit),
    (lambda host: host.endswith("youtube.com") or host == "youtu.be", _youtube),
    (lambda host: host.endswith("tiktok.com"), _tiktok),
    (lambda host: host.endswith("instagram.com"), _instagram),
    (lambda host: host.endswith("facebook.com") or host == "fb.com", _facebook),
    (lambda host: host.endswith("linkedin.com"), _linkedin),
    (lambda host: host in _DISCORD_HOSTS, _discord),
]


def parse_post_url(url: str) -> PostId | None:
    """Return (platform, native post id) for a post URL, or None if not recognised."""
    text = url.strip()
    if not re.match(r"^https?://", text, re.I):
        return None
    parts = urlparse(text)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    for known, parse in _HOSTS:
        if known(host):
            return parse(host, parts.path, parts.query)
    m = _MASTODON.match(parts.path)
    if m:
        return ("mastodon", m.group(1))
    return None


def _facebook_id(path: str, query: str) -> str:
    q = parse_qs(query)
    for key in ("story_fbid", "fbid", "v"):
        if q.get(key):
            return q[key][0]
    m = re.search(r"/(?:posts|videos|permalink|photos)/(?:[^/]+/)?([A-Za-z0-9]+)", path)
    return m.group(1) if m else path.strip("/")


def mastodon_instance(url: str) -> str | None:
    """The instance host of a Mastodon status URL (https://host/@user/123)."""
    parts = urlparse(url.strip())
    return parts.hostname if parts.hostname and _MASTODON.match(parts.path) else None
