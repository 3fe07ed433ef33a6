"""Shared fixtures and helpers: sample paths (skipped when ../shared is absent), the CLI runner
(`runner` in tests, `run_cli` in helpers), a store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli import main
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
    """A click runner, for tests that invoke the CLI."""
    return CliRunner()


def run_cli(*args: str, **kwargs: Any) -> Result:
    """`replyscope ARGS` run in-process, for helpers outside a test function."""
    return CliRunner().invoke(main, list(args), **kwargs)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection that is not to this machine (models must load offline)."""
    import socket

    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else str(address)
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("::1", "localhost") or "/" in host
        ):
            raise RuntimeError(f"network access attempted: {address!r}")
        real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(
        socket,
        "create_connection",
        lambda *a, **k: (_ for _ in ()).throw(RuntimeError(f"network access attempted: {a!r}")),
    )
