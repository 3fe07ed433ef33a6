"""replyscope command line: thin click layer over the library.

Each command opens the store, calls one library function and turns library
errors into one-line messages with a remedy. Data goes to stdout; progress
and summaries of what happened go to stderr. The commands live in
`commands/`; this module is the entry point that gathers them.
"""

from __future__ import annotations

import click

from commands import analysis, data, demo, quality, report, threads, topics, validation, visuals
from commands.common import Ctx


class _Main(click.Group):
    """The command group; says where global options go when one is given after a command."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except click.NoSuchOption as err:
            if err.option_name not in ("--db", "--quiet", "-q"):
                raise
            example = f"{err.option_name}{' FILE' if err.option_name == '--db' else ''}"
            raise click.UsageError(
                f"{err.option_name} is a global option: put it before the command, "
                f"e.g. replyscope {example} status.",
                err.ctx,
            ) from err


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    metavar="PATH",
    help="DuckDB file to use (default: $REPLYSCOPE_DB, else ./replyscope.duckdb).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or summaries on stderr.")
@click.version_option(package_name="replyscope")
@click.pass_context
def main(click_ctx: click.Context, db: str | None, quiet: bool) -> None:
    """Turn the public replies to a post into an evidence-grade theme report.

    \b
    Example:
      replyscope import comments.xlsx
      replyscope status
    """
    if db is not None and not db.strip():
        # An empty --db (an unset shell variable) must not fall back to ./replyscope.duckdb.
        raise click.ClickException(
            "--db is empty; give the database file, e.g. --db replies.duckdb "
            "(or leave --db out to use $REPLYSCOPE_DB, else ./replyscope.duckdb)."
        )
    click_ctx.obj = Ctx(db, quiet)


# --- import -------------------------------------------------------------------


for _command in (
    data.import_cmd,
    data.collect_cmd,
    data.formats_cmd,
    data.status_cmd,
    data.rejects_cmd,
    data.sql_cmd,
    *threads.COMMANDS,
    *analysis.COMMANDS,
    *validation.COMMANDS,
    *report.COMMANDS,
    *quality.COMMANDS,
    *topics.COMMANDS,
    *visuals.COMMANDS,
    demo.demo_cmd,
):
    main.add_command(_command)
analysis.codebook_group.add_command(topics.codebook_draft_cmd)
analysis.codebook_group.add_command(topics.codebook_suggest_cmd)


if __name__ == "__main__":
    main()
