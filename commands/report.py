"""Commands that produce outputs: report and export."""

from __future__ import annotations

from pathlib import Path

import click

from commands.common import Ctx, open_store, say
from commands.scope import thread_option


@click.command("report")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("report.html"),
    show_default=True,
    help="The HTML file to write (an existing directory gets DIR/report.html).",
)
@click.option(
    "--title",
    help="Title at the top of the report (kept in the store: later reports reuse it).",
)
@click.option(
    "--show-authors",
    is_flag=True,
    help="Show real account handles instead of pseudonyms (the report says so at the top).",
)
@thread_option
@click.pass_obj
def report_cmd(
    ctx: Ctx, output: Path, title: str | None, show_authors: bool, thread: str | None
) -> None:
    """Write one self-contained HTML report: themes, engagement, topics, tone, quality, validation.

    The file loads nothing from any other host, prints cleanly and reads on a
    phone. Authors are pseudonymised unless --show-authors is given. A title
    given once is kept for later reports; --thread reports one thread only.

    \b
    Examples:
      replyscope report -o report.html --title "What leadership do our services need?"
      replyscope report --thread reddit:9mu3ty -o thread.html
    """
    from reports.html import render_report
    from reports.output import OutputError, prepare_output
    from textsafety import plural

    try:
        target = prepare_output(output, "report.html")
    except OutputError as err:
        raise click.ClickException(str(err)) from err
    with open_store(ctx, thread=thread, reading=True) as store:
        try:
            result = render_report(store, target, title=title, show_authors=show_authors)
        except OutputError as err:
            raise click.ClickException(str(err)) from err
    todo = "; ".join(f"no {name} yet" for name in result.sections_missing)
    if not result.replies:
        todo = "the store has no replies yet: run `replyscope import FILE` first"
    where = f" ({output} is a directory)" if target != output else ""
    say(
        ctx,
        f"Wrote {result.path}{where} ({result.bytes / 1e6:.1f} MB, "
        f"{plural(result.replies, 'reply', 'replies')}, "
        f"{result.listed} listed)." + (f" Sections waiting for analysis: {todo}." if todo else ""),
    )


@click.command("export")
@click.option(
    "--what",
    type=click.Choice(["replies", "themes", "topics"]),
    default="replies",
    show_default=True,
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx", "parquet"]),
    default=None,
    help="Default: from the file name's extension.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="File to write (an existing directory with --format gets DIR/WHAT.FORMAT).",
)
@click.option(
    "--show-authors", is_flag=True, help="Keep real account handles (default: pseudonyms)."
)
@thread_option
@click.pass_obj
def export_cmd(
    ctx: Ctx, what: str, fmt: str | None, output: Path, show_authors: bool, thread: str | None
) -> None:
    """Export replies (themes, topic, tone, flags), theme figures or topics: CSV, XLSX or Parquet.

    Authors are pseudonymised unless --show-authors is given; cells that
    Excel would run as formulas are defused.

    \b
    Examples:
      replyscope export -o replies.xlsx
      replyscope export --what themes --format csv -o themes.csv
      replyscope export --thread reddit:9mu3ty -o thread.csv
    """
    from reports.export import ExportError, export
    from reports.output import OutputError, prepare_output
    from textsafety import plural

    if output.is_dir():
        if not fmt:
            raise click.ClickException(
                f"{output} is a directory: name a file (e.g. -o {output / (what + '.csv')}) "
                f"or add --format to write {output / (what + '.FORMAT')}"
            )
        output = output / f"{what}.{fmt}"
    chosen = fmt or output.suffix.lower().lstrip(".")
    if chosen not in ("csv", "xlsx", "parquet"):
        raise click.BadParameter(
            f"cannot tell the format from {output.name!r}; add --format csv|xlsx|parquet",
            param_hint="--format",
        )
    try:
        output = prepare_output(output, None)
    except OutputError as err:
        raise click.ClickException(str(err)) from err
    notes: list[str] = []
    with open_store(ctx, thread=thread, reading=True) as store:
        try:
            n = export(store, what, chosen, output, show_authors=show_authors, notes=notes)
        except (ExportError, OutputError) as err:
            raise click.ClickException(str(err)) from err
    say(
        ctx,
        f"Wrote {output} ({plural(n, 'row')} of {what}, {chosen}"
        f"{', real handles' if show_authors else ', authors pseudonymised'})."
        + "".join(f" {note}" for note in notes),
    )


COMMANDS: list[click.Command] = [report_cmd, export_cmd]
