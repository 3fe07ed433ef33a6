"""Commands that bring replies in and look at the store.

import, collect, formats, status, rejects, sql.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from commands.common import Ctx, HarvestProgress, Phases, one_line, open_store, render_table, say
from store import Store, query


def _parse_map(values: Sequence[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in values:
        if "=" not in item:
            raise click.BadParameter(
                f"{item!r}: write FIELD=COLUMN, e.g. --map text=Comment", param_hint="--map"
            )
        fld, col = item.split("=", 1)
        mapping[fld.strip()] = col
    return mapping


PLATFORM_ALIASES = {
    "twitter": "x",
    "x.com": "x",
    "bsky": "bluesky",
    "yt": "youtube",
    "fb": "facebook",
}


def _check_platform(platform: str | None, thread: str | None) -> str | None:
    """--platform as stored (aliases folded); unknown, or contradicted by --thread: an error."""
    from collectors.model import PLATFORMS
    from collectors.urls import parse_post_url

    name = platform.strip().lower() if platform else None
    if name is not None:
        name = PLATFORM_ALIASES.get(name, name)
        if name not in PLATFORMS:
            raise click.BadParameter(
                f"{platform!r} is not a platform replyscope knows; use one of: "
                f"{', '.join(PLATFORMS)} (e.g. --platform x).",
                param_hint="--platform",
            )
    if thread is not None:
        if not thread.strip():
            raise click.BadParameter(
                "is empty; give the post's URL or its id.", param_hint="--thread"
            )
        from_url = parse_post_url(thread)
        if from_url and name and name != "other" and from_url[0] != name:
            raise click.BadParameter(
                f"{thread!r} is a {from_url[0]} post but --platform says {name}; "
                "drop --platform (the URL tells it) or fix one of them.",
                param_hint="--thread",
            )
        if from_url is None and thread.strip().lower().startswith(("http://", "https://")):
            raise click.BadParameter(
                f"{thread!r} is not a post URL replyscope recognises; give the post's id with "
                "--platform instead, e.g. --thread 1765000000000000000 --platform x.",
                param_hint="--thread",
            )
    return name


@click.command("import")
# readable=False: an unreadable file is reported with the others, not before any is imported.
@click.argument("paths", nargs=-1, required=True, type=click.Path(readable=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    metavar="NAME",
    help="Skip detection and read as this format (see `replyscope formats`).",
)
@click.option(
    "--platform",
    metavar="NAME",
    help="Platform of the replies when the file cannot tell (x, facebook, ...).",
)
@click.option(
    "--thread", metavar="ID_OR_URL", help="The post replied to, for rows whose file does not say."
)
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="FIELD=COLUMN",
    help=(
        "Take FIELD from COLUMN (repeatable): text, id, likes, author, date, parent_id, "
        "thread_id, ..."
    ),
)
@click.option("--sheet", metavar="NAME", help="XLSX sheet to read (default: the first with data).")
@click.option("--dayfirst", is_flag=True, help="Read dates like 03/04/25 as 3 April (dd/mm/yy).")
@click.pass_obj
def import_cmd(
    ctx: Ctx,
    paths: tuple[Path, ...],
    fmt: str | None,
    platform: str | None,
    thread: str | None,
    mapping: tuple[str, ...],
    sheet: str | None,
    dayfirst: bool,
) -> None:
    """Import reply export files (CSV, XLSX, JSON, NDJSON, tweets.js) into the store.

    The format is detected from the file's contents; importing the same file
    twice adds nothing, and a newer export of the same thread updates likes.

    \b
    Examples:
      replyscope import Comments.csv
      replyscope import export.xlsx --sheet Data --dayfirst
      replyscope import replies.csv --map text=Reply --map likes=Hearts --platform facebook
    """
    from collectors.files import ImportOptions, ImportProblem, import_file
    from commands.summary import describe_import

    opts = ImportOptions(
        fmt=fmt,
        platform=_check_platform(platform, thread),
        thread=thread,
        mapping=_parse_map(mapping),
        sheet=sheet,
        dayfirst=dayfirst,
    )
    failures = 0
    with open_store(ctx, create=True) as store:
        for n, path in enumerate(paths, start=1):
            phase = Phases(ctx, one_line(f"[{n}/{len(paths)}] {path.name}"))
            try:
                result = import_file(store, path, opts, phase)
            except ImportProblem as err:
                phase.done()
                failures += 1
                message = str(err)
                # Every error line names its file, also for option problems (--format).
                if str(path) not in message:
                    message = f"{path}: {message}"
                click.echo(f"Error: {one_line(message)}", err=True)
                continue
            except OSError as err:
                phase.done()
                failures += 1
                click.echo(
                    f"Error: {one_line(str(path))}: cannot be read ({err.strerror or err}). "
                    "Check the file's "
                    "permissions (ls -l) or copy it somewhere you can read it.",
                    err=True,
                )
                continue
            except Exception as err:  # a bug must not hide which file or lose the others
                phase.done()
                failures += 1
                click.echo(
                    f"Error: {one_line(str(path))}: unexpected problem "
                    f"({type(err).__name__}: {one_line(str(err))}). Nothing "
                    "from this "
                    "file was stored; please report it with --format and the first rows of the "
                    "file.",
                    err=True,
                )
                continue
            phase.done()
            say(ctx, one_line(describe_import(result)))
    if failures:
        raise SystemExit(1)


@click.command("collect")
@click.argument("url", required=False)
@click.option(
    "--from",
    "from_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of post URLs, one per line.",
)
@click.option("--limit", type=click.IntRange(min=1), help="Stop after this many replies.")
@click.option(
    "--api-base",
    metavar="URL",
    help="Use this API host (self-hosted instance, mirror, test server).",
)
@click.option(
    "--archive", is_flag=True, help="X only: search the full archive (needs academic/pro access)."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="Longest one request may take, from connecting to the last byte of the answer.",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0, max=20),
    default=5,
    show_default=True,
    help="How often a request that failed (timeout, dropped connection, 5xx) is tried again.",
)
@click.pass_obj
def collect_cmd(
    ctx: Ctx,
    url: str | None,
    from_file: Path | None,
    limit: int | None,
    api_base: str | None,
    archive: bool,
    timeout: float,
    retries: int,
) -> None:
    """Harvest every reply to a post from the platform's API into the store.

    The platform comes from the URL. Credentials come from environment
    variables only (X_BEARER_TOKEN, YOUTUBE_API_KEY, REDDIT_CLIENT_ID and
    REDDIT_CLIENT_SECRET, MASTODON_ACCESS_TOKEN); Bluesky needs none. An
    interrupted harvest keeps what it saved; run the same command again to
    continue. Every run ends by itself: a request that gets no complete
    answer within --timeout seconds is tried again up to --retries times, and
    a server that repeats itself (the same page, a looping cursor) ends the
    run, marked interrupted, with what it sent stored.

    \b
    Examples:
      replyscope collect https://bsky.app/profile/someone.bsky.social/post/3k7qmjev5lr2s
      replyscope collect https://www.reddit.com/r/unitedkingdom/comments/1abcde/ --limit 500
      replyscope collect --from threads.txt
    """
    urls = [url] if url else []
    if from_file:
        urls += [
            line.strip()
            for line in from_file.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
    if not urls:
        raise click.UsageError("give a post URL, or --from FILE with one URL per line.")
    with open_store(ctx, create=True) as store:
        failures = sum(
            not _collect_one(
                ctx,
                store,
                link,
                CollectOptions(api_base, archive, limit, deadline=timeout, attempts=retries + 1),
            )
            for link in urls
        )
    if failures:
        raise SystemExit(1)


@dataclass(frozen=True)
class CollectOptions:
    """The options of `collect` that shape each harvest."""

    api_base: str | None
    archive: bool
    limit: int | None
    deadline: float
    attempts: int


def _collect_one(ctx: Ctx, store: Store, link: str, options: CollectOptions) -> bool:
    """Harvest one post's replies with progress on stderr; False (error printed) on failure."""
    from collectors.collect import client_for, collect, resolve_target
    from collectors.errors import ImportProblem
    from collectors.http import FetchError, ServerRepeated
    from commands.summary import describe_collect

    try:
        target = resolve_target(link, api_base=options.api_base, archive=options.archive)
    except ImportProblem as err:
        click.echo(f"Error: {err}", err=True)
        return False
    line = HarvestProgress(ctx, target.platform)
    client = client_for(
        target, on_event=line.event, deadline=options.deadline, attempts=options.attempts
    )
    stored_before = _reply_count(store)
    try:
        with client:
            result = collect(store, target, client=client, limit=options.limit, on_step=line.step)
    except KeyboardInterrupt:
        line.done()
        click.echo(
            f"Interrupted: what was received is stored. Run the same command to continue ({link}).",
            err=True,
        )
        raise SystemExit(130) from None
    except FetchError as err:
        line.done()
        got = _reply_count(store) - stored_before
        if isinstance(err, ServerRepeated):
            # Running again cannot help: the server, not the network, is at fault.
            kept = f" The {got} new replies received are stored." if got > 0 else ""
        elif got > 0:
            kept = (
                f" The {got} new replies received before the error are stored; run the same "
                "command again to continue."
            )
        else:
            kept = ""
        click.echo(f"Error: {err}{kept}", err=True)
        return False
    line.done()
    say(ctx, describe_collect(result))
    return True


def _reply_count(store: Store) -> int:
    return int(query(store, "SELECT count(*) FROM replies")[1][0][0])


@click.command("formats")
def formats_cmd() -> None:
    """List the export formats `replyscope import` recognises, one line each.

    \b
    Example:
      replyscope formats
    """
    from collectors.files import all_formats

    rows = all_formats()
    width = max(len(name) for name, _ in rows)
    for name, description in rows:
        click.echo(f"{name.ljust(width)}  {description}")


# --- looking at the store --------------------------------------------------------


@click.command("status")
@click.pass_obj
def status_cmd(ctx: Ctx) -> None:
    """Show replies per platform, per thread and per run.

    \b
    Example:
      replyscope --db replies.duckdb status
    """
    from commands.summary import render_status

    with open_store(ctx, read_only=True, raw=True) as store:
        click.echo(render_status(store))


@click.command("rejects")
@click.option("--run", "run_id", type=int, help="Only this run (default: all runs).")
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=click.IntRange(min=1),
    help="Show at most this many rows.",
)
@click.pass_obj
def rejects_cmd(ctx: Ctx, run_id: int | None, limit: int) -> None:
    """List rows that could not be imported, with the reason and the row.

    \b
    Example:
      replyscope rejects --run 3
    """
    sql = "SELECT run_id, locator, reason, left(raw, 120) AS raw FROM rejects"
    params: list[Any] = []
    if run_id is not None:
        sql += " WHERE run_id = ?"
        params.append(run_id)
    sql += " ORDER BY run_id, record_no LIMIT ?"
    params.append(limit)
    with open_store(ctx, read_only=True, raw=True) as store:
        if (
            run_id is not None
            and not query(store, "SELECT 1 FROM runs WHERE run_id = ?", [run_id])[1]
        ):
            raise click.ClickException(
                f"there is no run {run_id}; `replyscope status` lists the runs."
            )
        names, rows = query(store, sql, params)
    if not rows:
        click.echo("No rejected rows." if run_id is None else f"No rejected rows in run {run_id}.")
        return
    click.echo(render_table(names, rows))


def _json_value(value: Any) -> Any:
    """NaN and infinities are not JSON: they print as null."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    return value


@click.command("sql")
@click.argument("statement")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--export",
    "export_to",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Write the result to FILE (.csv, .parquet or .json) instead of printing it.",
)
@click.pass_obj
def sql_cmd(ctx: Ctx, statement: str, fmt: str, export_to: Path | None) -> None:
    """Run one read-only SQL query against the store and print the result.

    The query reads the store and nothing else: no other files, no network,
    no extensions, one statement (SELECT, SHOW, DESCRIBE, SUMMARIZE, EXPLAIN).
    To save a result, name the file with --export.

    \b
    Examples:
      replyscope sql "SELECT platform, count(*) FROM replies GROUP BY 1"
      replyscope sql "SELECT * FROM replies ORDER BY like_count DESC LIMIT 10" --format csv
      replyscope sql "SELECT * FROM replies_tagged" --export replies.parquet
    """
    if not statement.strip():
        raise click.UsageError('give a query, e.g. replyscope sql "SELECT count(*) FROM replies".')
    if export_to is not None:
        _sql_export(ctx, statement, export_to)
        return
    with open_store(ctx, read_only=True, raw=True, sandboxed=True) as store:
        names, rows = _run_sql(store, statement)
    if fmt == "json":
        click.echo(
            json.dumps(
                [dict(zip(names, [_json_value(v) for v in r], strict=True)) for r in rows],
                default=str,
                ensure_ascii=False,
                indent=1,
            )
        )
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(names)
        writer.writerows(rows)
        click.echo(buf.getvalue(), nl=False)
    else:
        click.echo(render_table(names, rows))


def _sql_error(err: Exception) -> click.ClickException:
    """A DuckDB error of `replyscope sql` as one line with what to do."""
    import duckdb

    first = str(err).splitlines()[0].rstrip(".!")
    if "read-only mode" in first:
        return click.ClickException(
            "replyscope sql only reads: the store is opened read-only. Change it with the "
            "replyscope commands (or the duckdb module on a copy)."
        )
    if isinstance(err, duckdb.PermissionException):
        return click.ClickException(
            "replyscope sql only reads the store: other files, the network and extensions are "
            f"off ({first}). Bring files in with replyscope import; save a result with "
            "--export FILE."
        )
    hint = (
        ' The tables and views are listed in docs/store.md (or: replyscope sql "SHOW TABLES").'
        if isinstance(err, duckdb.CatalogException)
        else ""
    )
    return click.ClickException(f"SQL error: {first}.{hint}")


def _run_sql(store: Store, statement: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The checked statement's column names and rows (refusals and errors: one line)."""
    import duckdb

    from store import StoreError, check_read_query

    try:
        return query(store, check_read_query(store.con, statement))
    except StoreError as err:
        raise click.ClickException(str(err)) from err
    except duckdb.Error as err:
        raise _sql_error(err) from err


def _sql_export(ctx: Ctx, statement: str, out: Path) -> None:
    """`sql --export FILE`: the checked statement's result written by replyscope to FILE."""
    import duckdb

    from reports.export import QUERY_FORMATS, ExportError, export_query
    from reports.output import OutputError, prepare_output
    from store import StoreError, check_read_query
    from textsafety import plural

    fmt = out.suffix.lower().lstrip(".")
    if fmt not in QUERY_FORMATS:
        raise click.BadParameter(
            f"cannot tell the format from {out.name!r}; name the file .csv, .parquet or .json.",
            param_hint="--export",
        )
    if out.exists() and ctx.db.exists() and out.resolve() == ctx.db.resolve():
        raise click.BadParameter(
            "names the store itself; choose another file.", param_hint="--export"
        )
    try:
        target = prepare_output(out, None)
    except OutputError as err:
        raise click.ClickException(str(err)) from err
    with open_store(ctx, read_only=True, raw=True, sandboxed=True) as store:
        try:
            n = export_query(store, check_read_query(store.con, statement), fmt, target)
        except (StoreError, ExportError, OutputError) as err:
            raise click.ClickException(str(err)) from err
        except duckdb.Error as err:
            raise _sql_error(err) from err
    say(ctx, f"Wrote {target} ({plural(n, 'row')}, {fmt}).")
