"""Shared fixtures: sample paths (skipped when ../shared is absent), a CLI runner, a store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from store import Store

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def sample(rel: str) -> Path:
    """Path of a shared sample file, or skip the test when the samples are absent."""
    path = SAMPLES / rel
    if not path.exists():
        pytest.skip(f"sample {rel} not available (../shared/samples is not beside this checkout)")
    return path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A fresh database path in the test's temp folder."""
    return tmp_path / "test.duckdb"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    """An open, migrated store."""
    s = Store.open(db_path)
    yield s
    s.close()


@pytest.fixture
def runner() -> CliRunner:
    """A click runner."""
    return CliRunner()
