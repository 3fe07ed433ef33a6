"""The DuckDB store: connection, schema, migrations and the run ledger.

With store_schema.py (tables and migrations) and store_views.py (views)
it is the only code that writes SQL DDL. Analysts query the tables
documented in README.md directly, so names there are a public contract:
change them only through a new migration.
"""

from __future__ import annotations

import errno
import json
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

from store_schema import MIGRATIONS, SCHEMA_VERSION

DEFAULT_DB = "replyscope.duckdb"
ENV_DB = "REPLYSCOPE_DB"


def tool_version() -> str:
    """Return the installed replyscope version (or 0+unknown from a bare checkout)."""
    try:
        return metadata.version("replyscope")
    except metadata.PackageNotFoundError:
        return "0+unknown"


class StoreError(Exception):
    """A problem with the store that the user can fix; the message says how."""


_LOCK_PATTERNS = ("Could not set lock", "Conflicting lock", "lock on file")


def resolve_db_path(option: str | None) -> Path:
    """Pick the database path: --db, else $REPLYSCOPE_DB, else ./replyscope.duckdb."""
    return Path(option or os.environ.get(ENV_DB) or DEFAULT_DB)


def fetch_one(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None
) -> tuple[Any, ...] | None:
    """First row of a query, with the result fully consumed (DuckDB 2 wants that)."""
    rows = con.execute(sql, list(params or [])).fetchall()
    return tuple(rows[0]) if rows else None


def main_table(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """The store's own table `name`, past any TEMP view of that name (store_scope's shadows)."""
    row = fetch_one(con, "SELECT current_database()")
    catalog = str(row[0]) if row else "main"
    return '"' + catalog.replace('"', '""') + '".main.' + name


def _lock_message(path: Path, err: Exception) -> str:
    # DuckDB names the other process ("PID 1234") in its message; keep that.
    pid = re.search(r"PID (\d+)", str(err))
    who = f"process {pid.group(1)}" if pid else "another process"
    return (
        f"{path}: the database is in use by {who}. Close the other replyscope or "
        f"duckdb session (or wait for it to finish), or use another file with --db."
    )


def is_symlink_loop(path: Path) -> bool:
    """Whether following the path's links goes round in a circle (Path.exists says False)."""
    try:
        os.stat(path)
    except OSError as err:
        return err.errno == errno.ELOOP
    return False


def _is_duckdb_file(path: Path) -> bool:
    """DuckDB database files carry the magic bytes DUCK at offset 8."""
    try:
        with path.open("rb") as fh:
            return fh.read(12)[8:12] == b"DUCK"
    except OSError:
        return True  # let DuckDB say what is wrong (permissions, locks)


# `replyscope sql` runs text a person may have copied from anywhere: its
# connection reads this one file and nothing else (no files, no network, no
# extension downloads), and the settings are locked so a query cannot undo them.
SANDBOX_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


def connect(
    path: Path, *, read_only: bool = False, sandboxed: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file, with a clear StoreError when it is locked or not a database.

    `sandboxed` (for `replyscope sql`): external access off and the configuration locked.
    """
    if path.exists() and path.is_dir():
        raise StoreError(f"{path} is a directory; pass a file path with --db.")
    if path.exists() and not path.is_file():
        # DuckDB would block for ever opening a FIFO, or write into a device.
        raise StoreError(
            f"{path} is not a regular file (a FIFO, socket or device); "
            "pass a database file path with --db, e.g. --db replies.duckdb."
        )
    if is_symlink_loop(path):
        raise StoreError(
            f"{path}: symlink loop (the link leads back to itself); "
            "point it at a database file, or pass the file itself with --db."
        )
    if read_only and not path.exists():
        raise StoreError(
            f"{path} does not exist yet; import something first (replyscope import FILE)."
        )
    if path.is_file() and path.stat().st_size > 0 and not _is_duckdb_file(path):
        # DuckDB would open a CSV or JSON path as an in-memory database with a
        # view of the file: an import "succeeds" and the data is thrown away.
        raise StoreError(
            f"{path}: not a replyscope/DuckDB database (it looks like another kind of file). "
            "Choose another path with --db, e.g. --db replies.duckdb."
        )
    try:
        con = duckdb.connect(
            str(path), read_only=read_only, config=dict(SANDBOX_CONFIG) if sandboxed else {}
        )
    except duckdb.IOException as err:
        text = str(err)
        if any(p in text for p in _LOCK_PATTERNS):
            raise StoreError(_lock_message(path, err)) from err
        raise StoreError(f"{path}: cannot open the database ({text.splitlines()[0]}).") from err
    except duckdb.Error as err:
        raise StoreError(
            f"{path}: not a replyscope/DuckDB database ({str(err).splitlines()[0]}). "
            "Choose another path with --db."
        ) from err
    # Timestamps are stored and shown in UTC whatever the laptop's zone.
    con.execute("SET TimeZone = 'UTC'")
    if sandboxed:
        con.execute("SET lock_configuration = true")
    return con


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Return the schema version recorded in the store (0 for an empty file)."""
    has_meta = fetch_one(
        con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'store_meta'"
    )
    if not has_meta or not has_meta[0]:
        return 0
    row = fetch_one(con, "SELECT value FROM store_meta WHERE key = 'schema_version'")
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Bring the schema up to SCHEMA_VERSION, one transaction per migration."""
    current = schema_version(con)
    if current > SCHEMA_VERSION:
        raise StoreError(
            f"this database has schema version {current}, newer than this replyscope "
            f"understands ({SCHEMA_VERSION}); upgrade replyscope."
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        con.execute("BEGIN TRANSACTION")
        try:
            for statement in MIGRATIONS[version - 1]:
                con.execute(statement)
            con.execute(
                "INSERT OR REPLACE INTO store_meta VALUES ('schema_version', ?)", [str(version)]
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION


@dataclass
class Store:
    """An open replyscope database (a thin holder for the connection and its path)."""

    path: Path
    con: duckdb.DuckDBPyConnection

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False, sandboxed: bool = False) -> Store:
        """Open (creating and migrating if needed) the store at path (sandboxed: see connect)."""
        con = connect(path, read_only=read_only, sandboxed=sandboxed)
        if read_only:
            version = schema_version(con)
            if version == 0:
                con.close()
                raise StoreError(
                    f"{path} is not a replyscope store yet; import something first "
                    "(replyscope import FILE) or choose another --db."
                )
            if version < SCHEMA_VERSION:
                # A store made by an older replyscope: migrate it once (briefly
                # writable), then open it read-only as asked.
                con.close()
                upgrade = connect(path)
                try:
                    migrate(upgrade)
                finally:
                    upgrade.close()
                con = connect(path, read_only=True, sandboxed=sandboxed)
        else:
            migrate(con)
        return cls(path=path, con=con)

    def close(self) -> None:
        """Close the connection (checkpointing the write-ahead log)."""
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run a block in one DuckDB transaction, rolled back on any error."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")


def now_utc() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


@dataclass
class RunCounts:
    """Row counts of one run, written to `runs` when it finishes."""

    rows_in: int = 0
    rows_added: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    summary: dict[str, Any] = field(default_factory=dict)


def start_run(
    store: Store,
    kind: str,
    *,
    parameters: dict[str, Any] | None = None,
    input_path: str | None = None,
    input_sha256: str | None = None,
    input_url: str | None = None,
    fmt: str | None = None,
    platform: str | None = None,
) -> int:
    """Insert a `runs` row with status 'running' and return its run_id."""
    # The table itself: a session scoped to one thread shadows `runs` with a view.
    row = fetch_one(
        store.con,
        f"""INSERT INTO {main_table(store.con, "runs")}
                  (kind, status, started_at, tool_version, parameters, input_path,
                   input_sha256, input_url, format, platform)
           VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING run_id""",
        [
            kind,
            now_utc(),
            tool_version(),
            json.dumps(parameters or {}, default=str),
            input_path,
            input_sha256,
            input_url,
            fmt,
            platform,
        ],
    )
    assert row is not None
    return int(row[0])


def finish_run(
    store: Store,
    run_id: int,
    counts: RunCounts,
    *,
    status: str = "ok",
    message: str | None = None,
    fmt: str | None = None,
    platform: str | None = None,
) -> None:
    """Record the outcome and counts of a run."""
    store.con.execute(
        f"""UPDATE {main_table(store.con, "runs")}
              SET status = ?, finished_at = ?, rows_in = ?, rows_added = ?,
                  rows_updated = ?, rows_unchanged = ?, rows_rejected = ?, summary = ?,
                  message = ?, format = coalesce(?, format), platform = coalesce(?, platform)
           WHERE run_id = ?""",
        [
            status,
            now_utc(),
            counts.rows_in,
            counts.rows_added,
            counts.rows_updated,
            counts.rows_unchanged,
            counts.rows_rejected,
            json.dumps(counts.summary, default=str),
            message,
            fmt,
            platform,
            run_id,
        ],
    )


def query(
    store: Store, sql: str, params: Sequence[Any] | None = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run a read query and return (column names, rows)."""
    cur = store.con.execute(sql, params or [])
    names = [d[0] for d in cur.description] if cur.description else []
    return names, cur.fetchall()


# --- `replyscope sql`: one statement that only reads ---------------------------

_EXPORT_HINT = "save a result with --export FILE (.csv, .parquet or .json)"
_ALLOWED = "run one SELECT (or SHOW, DESCRIBE, SUMMARIZE, EXPLAIN)"
# Why each kind of statement is refused, and the way that is allowed instead.
_REFUSED: dict[str, str] = {
    "COPY": f"COPY writes files; {_EXPORT_HINT}",
    "EXPORT": (
        "EXPORT DATABASE would copy the whole store, pseudonym salt included; copy the .duckdb "
        f"file itself, or {_EXPORT_HINT}"
    ),
    "LOAD": (
        "INSTALL and LOAD fetch or run extensions; replyscope sql works offline with DuckDB's "
        f"built-in functions: {_ALLOWED}"
    ),
    "SET": f"SET, RESET and USE change the session's fixed settings; {_ALLOWED}",
    "ATTACH": f"ATTACH and DETACH reach other databases; {_ALLOWED} on this store",
    "DETACH": f"ATTACH and DETACH reach other databases; {_ALLOWED} on this store",
    "PRAGMA": "PRAGMA is refused; use its SELECT form, e.g. SHOW TABLES or "
    "SELECT * FROM pragma_table_info('replies')",
    # DuckDB runs a PIVOT statement as several (it creates a type first).
    "MULTI": "PIVOT runs as several statements; write it as one SELECT with "
    "count(*) FILTER (WHERE …) columns",
}
_READS = ("SELECT", "EXPLAIN")
# The table that holds the pseudonym salt.
_PRIVATE_TABLE = "store_meta"
# Table functions a query may use: introspection and generators. Every other one
# (read_blob, read_duckdb, glob, pragma_storage_info, ...) reads files, the raw
# database file itself (the sandbox lets DuckDB reach its own file) or stored bytes.
_TABLE_FUNCTIONS = frozenset(
    "RANGE GENERATE_SERIES UNNEST REPEAT REPEAT_ROW JSON_EACH JSON_TREE SUMMARY "
    "PRAGMA_TABLE_INFO PRAGMA_SHOW PRAGMA_VERSION PRAGMA_PLATFORM PRAGMA_DATABASE_SIZE "
    "PRAGMA_COLLATIONS PRAGMA_USER_AGENT ICU_CALENDAR_NAMES PG_TIMEZONE_NAMES "
    "TEST_ALL_TYPES TEST_VECTOR_TYPES".split()
)


class QueryRefused(StoreError):
    """A `replyscope sql` statement that would do more than read the store."""


def _refuse(why: str) -> QueryRefused:
    return QueryRefused(f"replyscope sql only reads the store: {why}.")


def _kind(statement: duckdb.Statement) -> str:
    return str(statement.type).rsplit(".", 1)[-1]


def _explained(statement: str) -> str:
    """The statement an EXPLAIN [ANALYZE] [(options)] wraps, found with DuckDB's tokenizer."""
    tokens = duckdb.tokenize(statement)
    depth = 0
    for n, (pos, kind) in enumerate(tokens):
        end = tokens[n + 1][0] if n + 1 < len(tokens) else len(statement)
        word = statement[pos:end].strip().upper()
        if kind == duckdb.token_type.comment or n == 0:
            continue
        if word == "(":
            depth += 1
        elif word == ")":
            depth -= 1
        elif depth == 0 and word not in ("ANALYZE", "ANALYSE", "VERBOSE"):
            return statement[pos:]
    return ""


def _check_kind(statement: duckdb.Statement) -> None:
    """Refuse anything but a read (an EXPLAIN must wrap one: EXPLAIN ANALYZE runs it)."""
    kind = _kind(statement)
    if kind in _REFUSED:
        raise _refuse(_REFUSED[kind])
    if kind not in _READS:
        raise _refuse(
            f"{kind} statements are refused; {_ALLOWED}, and change the store with the "
            "replyscope commands"
        )
    if kind == "EXPLAIN":
        inner = duckdb.extract_statements(_explained(statement.query))
        if len(inner) != 1:
            raise _refuse(f"EXPLAIN needs one statement to explain; {_ALLOWED}")
        _check_kind(inner[0])


def _plan_nodes(plan: Any) -> Iterator[dict[str, Any]]:
    if isinstance(plan, list):
        for item in plan:
            yield from _plan_nodes(item)
    elif isinstance(plan, dict):
        yield plan
        yield from _plan_nodes(plan.get("children", []))


def _check_plan(con: duckdb.DuckDBPyConnection, statement: str) -> None:
    """Refuse a query whose plan reads the salt's table (by any name or view) or a file."""
    rows = con.execute(f"EXPLAIN (FORMAT json) {statement}").fetchall()
    for _key, plan in rows:
        for node in _plan_nodes(json.loads(plan)):
            info = node.get("extra_info")
            info = info if isinstance(info, dict) else {}
            if str(info.get("Table", "")).rsplit(".", 1)[-1] == _PRIVATE_TABLE:
                raise _refuse(
                    f"{_PRIVATE_TABLE} holds the pseudonym salt, which sql does not show; "
                    "query any other table or view"
                )
            function = str(info.get("Function", "DUCKDB_"))
            if not function.startswith("DUCKDB_") and function not in _TABLE_FUNCTIONS:
                raise _refuse(
                    f"{function.lower()}() reads files or raw storage, which sql does not; "
                    "bring files in with replyscope import, and query the tables and views"
                )


def check_read_query(con: duckdb.DuckDBPyConnection, text: str) -> str:
    """The one read-only statement in `text` (QueryRefused, naming the allowed way, otherwise).

    DuckDB's own parser splits and classifies the text, so a comment or a quote
    cannot hide a second statement; the sandboxed connection (see connect) is
    the second line of defence.
    """
    try:
        statements = duckdb.extract_statements(text)
    except duckdb.Error as err:
        raise StoreError(f"SQL error: {str(err).splitlines()[0].rstrip('.')}.") from err
    if len(statements) != 1:
        raise _refuse(
            f"give exactly one statement (found {len(statements)}); run them one at a time"
        )
    _check_kind(statements[0])
    query_text = statements[0].query.strip().rstrip(";")
    _check_plan(con, query_text if _kind(statements[0]) == "SELECT" else _explained(query_text))
    return query_text
