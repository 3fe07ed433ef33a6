"""The docs cover the tool: every command, option, store table and view is documented.

docs/cli.md is generated from the commands' --help (docs/cli_reference.py);
the topic pages must also mention each command and option, so a new option
cannot land with only its auto-generated line. docs/store.md documents every
table and view of a fresh store.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import click
import pytest

from cli import main
from store import Store

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _reference_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("cli_reference", DOCS / "cli_reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def topic_text() -> str:
    """Every docs page but the generated reference, plus the README."""
    pages = [p for p in DOCS.rglob("*.md") if p.name != "cli.md"]
    return "\n".join(p.read_text(encoding="utf-8") for p in [*pages, ROOT / "README.md"])


def commands() -> list[tuple[str, click.Command]]:
    """(full name, command) of every command and subcommand."""
    out = []

    def walk(cmd: click.Command, name: str) -> None:
        out.append((name, cmd))
        if isinstance(cmd, click.Group):
            for sub, child in cmd.commands.items():
                walk(child, f"{name} {sub}")

    walk(main, "replyscope")
    return out


def test_cli_reference_is_up_to_date() -> None:
    reference = _reference_module()
    assert (DOCS / "cli.md").read_text(encoding="utf-8") == reference.render(), (
        "docs/cli.md is out of date: run python docs/cli_reference.py"
    )


@pytest.mark.parametrize("name", [n for n, _ in commands() if n != "replyscope"])
def test_every_command_is_in_the_topic_pages(name: str) -> None:
    assert name in topic_text(), f"`{name}` is not mentioned in docs/ (only in the reference)"


def pages() -> dict[str, str]:
    """Topic pages (and the README) by name."""
    found = [p for p in DOCS.rglob("*.md") if p.name != "cli.md"] + [ROOT / "README.md"]
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in found}


OPTIONS = sorted(
    (name, p.opts[0], tuple(o for o in p.opts if o != "--help"))
    for name, cmd in commands()
    for p in cmd.params
    if isinstance(p, click.Option) and "--help" not in p.opts
)


def mentions(text: str, flag: str) -> bool:
    """Whether a flag appears as itself (not as the start of a longer flag)."""
    return re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text) is not None


@pytest.mark.parametrize(("name", "first", "flags"), OPTIONS)
def test_every_option_is_explained_where_its_command_is(
    name: str, first: str, flags: tuple[str, ...]
) -> None:
    short = name.removeprefix("replyscope").strip()
    where = [t for t in pages().values() if name == "replyscope" or short in t]
    assert any(mentions(t, f) for t in where for f in flags), (
        f"{name} {first} is not explained on a docs page that mentions `{short or name}`"
    )


def test_every_store_table_and_view_is_documented(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        names = [
            r[0]
            for r in store.con.execute(
                "SELECT table_name FROM information_schema.tables ORDER BY 1"
            ).fetchall()
        ]
    text = (DOCS / "store.md").read_text(encoding="utf-8")
    missing = [n for n in names if f"`{n}`" not in text]
    assert not missing, f"tables/views missing from docs/store.md: {missing}"


def test_architecture_page_names_every_module() -> None:
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    modules = [
        p
        for package in ("analysis", "collectors", "reports", "commands")
        for p in (ROOT / package).rglob("*.py")
        if p.name != "__init__.py"
    ]
    missing = [str(p.relative_to(ROOT)) for p in modules if f"`{p.name}`" not in text]
    assert not missing, f"docs/architecture.md does not name: {missing}"
