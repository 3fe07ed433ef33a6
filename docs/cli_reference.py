"""Write docs/cli.md from the commands' own --help (run after changing a command or option).

    python docs/cli_reference.py           # rewrite docs/cli.md
    python docs/cli_reference.py --check   # exit 1 when docs/cli.md is out of date

tests/test_docs.py runs the check, so a command or option that changes
without its reference page fails the tests.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cli import main  # noqa: E402  (the path above makes a bare checkout work)

OUT = ROOT / "docs" / "cli.md"
WIDTH = 100


def walk(
    command: click.Command, path: list[str], parent: click.Context | None
) -> Iterator[tuple[list[str], click.Command, click.Context]]:
    """Every command and subcommand with its full name, depth first, in name order."""
    ctx = click.Context(
        command,
        info_name=path[-1],
        parent=parent,
        max_content_width=WIDTH,
        help_option_names=["-h", "--help"],
    )
    ctx.terminal_width = WIDTH
    yield path, command, ctx
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from walk(command.commands[name], [*path, name], ctx)


def render() -> str:
    """The whole reference page."""
    parts = [
        "# Command-line reference",
        "",
        "Generated from the commands' own `--help` by `python docs/cli_reference.py`;",
        "do not edit by hand. Global options (`--db`, `--quiet`) go before the command.",
        "",
    ]
    for path, command, ctx in walk(main, ["replyscope"], None):
        parts += [f"## {' '.join(path)}", "", "```text", command.get_help(ctx).rstrip(), "```", ""]
    return "\n".join(parts)


def main_script() -> int:
    """Write (or with --check, compare) docs/cli.md."""
    text = render()
    if "--check" in sys.argv[1:]:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is out of date: run python docs/cli_reference.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main_script())
