"""The bundled demo data: an illustrative Bluesky thread written for replyscope.

The replies are invented (no real posts or people); see demo/build_demo.py.
"""

from __future__ import annotations

from pathlib import Path

DEMO_FILE = Path(__file__).with_name("bluesky_leadership_thread.json")
