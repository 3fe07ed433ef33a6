"""Live collection, one module per platform API: bluesky, mastodon, reddit, x, youtube.

Each module holds that platform's URL builders, its pure `parse_*` functions
(API payload -> RawReply rows; `collectors.formats` registers them as import
formats for saved responses too) and its `fetch_*` generators, which page
through the API (see `collectors.platforms.base` for the shared types).
"""

from __future__ import annotations

import importlib
from types import ModuleType

# The platforms `replyscope collect` can harvest: each has a module here.
COLLECTABLE = ("bluesky", "mastodon", "reddit", "x", "youtube")


def platform_module(platform: str) -> ModuleType:
    """The module of a collectable platform (imported on first use)."""
    return importlib.import_module(f"collectors.platforms.{platform}")
