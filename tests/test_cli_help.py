"""Every CLI command has help text with an example."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from cli import main


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = [prefix]
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            out += _commands(cmd, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


@pytest.mark.parametrize("path", _commands(main), ids=lambda p: " ".join(p) or "replyscope")
def test_help_has_example(path: tuple[str, ...], runner: CliRunner) -> None:
    result = runner.invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"`replyscope {' '.join(path)} --help` shows no example"
    assert "replyscope" in result.output.split("Example", 1)[1]


def test_formats_lists_every_required_family(runner: CliRunner) -> None:
    result = runner.invoke(main, ["formats"])
    assert result.exit_code == 0
    names = {line.split()[0] for line in result.output.splitlines() if line.strip()}
    expected = {
        "exportcomments-facebook",
        "exportcomments-youtube",
        "exportcomments-instagram",
        "tiktokcommentscraper",
        "twint",
        "twarc-csv",
        "apify-twitter-legacy",
        "apify-facebook-comments",
        "linkedin-comments",
        "generic",
    }
    assert expected <= names
