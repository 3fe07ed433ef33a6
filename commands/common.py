"""Shared pieces of the command line: global options, store opening, progress, tables."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from reports.terminal import render_table
from store import Store, StoreError, resolve_db_path

__all__ = ["Ctx", "Phases", "open_store", "render_table", "say"]


class Ctx:
    """Global options shared by every command."""

    def __init__(self, db: str | None, quiet: bool) -> None:
        self.db_option = db
        self.quiet = quiet

    @property
    def db(self) -> Path:
        return resolve_db_path(self.db_option)

    def show_progress(self) -> bool:
        return not self.quiet and sys.stderr.isatty()


@contextmanager
def open_store(
    ctx: Ctx, *, read_only: bool = False, create: bool = False, sandboxed: bool = False
) -> Iterator[Store]:
    """Open the store, turning store problems into click errors; only import/collect create it."""
    if not create and not ctx.db.exists():
        # A mistyped --db must not silently give an empty report or tag nothing.
        raise click.ClickException(
            f"{ctx.db} does not exist yet; import something first (replyscope import FILE), "
            "or check --db / $REPLYSCOPE_DB."
        )
    try:
        store = Store.open(ctx.db, read_only=read_only, sandboxed=sandboxed)
    except StoreError as err:
        raise click.ClickException(str(err)) from err
    try:
        yield store
    finally:
        store.close()


class Phases:
    """Shows the current step of a long job on one stderr line (only on a terminal)."""

    def __init__(self, ctx: Ctx, label: str) -> None:
        self.on = ctx.show_progress()
        self.label = label
        self.width = 0

    def __call__(self, phase: str) -> None:
        if self.on:
            text = f"{self.label}: {phase}…"
            click.echo("\r" + text.ljust(self.width), err=True, nl=False)
            self.width = len(text)

    def done(self) -> None:
        """Clear the line before the summary is printed."""
        if self.on and self.width:
            click.echo("\r" + " " * self.width + "\r", err=True, nl=False)
            self.width = 0


def say(ctx: Ctx, message: str) -> None:
    """A human message on stderr (silenced by --quiet)."""
    if not ctx.quiet:
        click.echo(message, err=True)
