"""Shared pieces of the command line: global options, store opening, progress, tables."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from commands.scope import apply_scope
from reports.terminal import render_table
from store import Store, StoreError, resolve_db_path

if TYPE_CHECKING:
    from collectors.collect import CollectResult
    from collectors.http import Event

__all__ = ["Ctx", "HarvestProgress", "Phases", "one_line", "open_store", "render_table", "say"]

# Characters that would break a terminal line or be taken as terminal commands.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """Text for one terminal line: control characters (a newline in a file name) escaped."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


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
    ctx: Ctx,
    *,
    read_only: bool = False,
    create: bool = False,
    thread: str | None = None,
    reading: bool | None = None,
    raw: bool = False,
    sandboxed: bool = False,
) -> Iterator[Store]:
    """Open the store, turning store problems into click errors; only import/collect create it.

    `thread` scopes the session to one thread (`--thread`); otherwise runs made
    on one thread are hidden, so whole-store figures never come from them.
    `reading` sessions (default: read-only ones) scope every result table;
    `raw` ones (`sql`) see the tables as stored; `sandboxed` ones (`sql`) cannot
    reach files, the network or extensions.
    """
    # A symlink that leads nowhere is left to Store.open, which says why (a loop).
    if not create and not ctx.db.exists() and not ctx.db.is_symlink():
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
        if not (read_only or sandboxed):
            from reports.privacy import store_salt

            # The salt is made by the first writer, so that read-only commands
            # (`threads`, `themes`) show the same keys and pseudonyms every time.
            store_salt(store)
        if not (create or raw):
            apply_scope(store, thread, reading=read_only if reading is None else reading)
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


class HarvestProgress:
    """A harvest's progress: one updating line on a terminal, log lines on stderr otherwise.

    Off a terminal (cron, CI, `2> log`) a long wait or a retry is logged as it
    happens and the totals every `every` seconds, so a run never goes quiet
    for minutes; short pacing waits are not logged. --quiet silences both.
    """

    def __init__(
        self,
        ctx: Ctx,
        label: str,
        *,
        every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.line = Phases(ctx, label)
        self.log = not ctx.quiet and not self.line.on
        self.label = label
        self.every = every
        self.clock = clock
        self.last_log = clock()

    def _log(self, text: str) -> None:
        click.echo(f"{self.label}: {text}", err=True)
        self.last_log = self.clock()

    def event(self, event: Event) -> None:
        """A wait or a retry (from the HTTP client)."""
        self.line(str(event))
        pacing = event.kind == "wait" and event.reason.startswith("pacing")
        if self.log and (not pacing or event.seconds >= 30):
            self._log(str(event))

    def step(self, progress: CollectResult) -> None:
        """A page saved: the running totals."""
        stored = progress.added + progress.updated + progress.unchanged
        text = f"{stored} replies, {progress.pages} pages"
        self.line(text)
        if self.log and self.clock() - self.last_log >= self.every:
            self._log(text + " so far")

    def done(self) -> None:
        """Clear the terminal line before the summary is printed."""
        self.line.done()


def say(ctx: Ctx, message: str) -> None:
    """A human message on stderr (silenced by --quiet)."""
    if not ctx.quiet:
        click.echo(message, err=True)
