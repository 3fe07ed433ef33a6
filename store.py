"""The DuckDB store: connection, schema, migrations and the run ledger.

This is the only module that writes SQL DDL. Analysts query the tables
documented in README.md directly, so names here are a public contract:
change them only through a new migration.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

from store_views import VIEWS_V3, VIEWS_V5, VIEWS_V7

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


# Each migration is a list of statements; index + 1 is the schema version it
# produces. Never edit a released migration: append a new one.
MIGRATIONS: list[list[str]] = [
    [
        "CREATE SEQUENCE IF NOT EXISTS run_id_seq START 1",
        """CREATE TABLE runs (
            run_id        BIGINT PRIMARY KEY DEFAULT nextval('run_id_seq'),
            kind          VARCHAR NOT NULL,
            status        VARCHAR NOT NULL,
            started_at    TIMESTAMPTZ NOT NULL,
            finished_at   TIMESTAMPTZ,
            tool_version  VARCHAR NOT NULL,
            parameters    JSON,
            input_path    VARCHAR,
            input_sha256  VARCHAR,
            input_url     VARCHAR,
            format        VARCHAR,
            platform      VARCHAR,
            rows_in       BIGINT DEFAULT 0,
            rows_added    BIGINT DEFAULT 0,
            rows_updated  BIGINT DEFAULT 0,
            rows_unchanged BIGINT DEFAULT 0,
            rows_rejected BIGINT DEFAULT 0,
            summary       JSON,
            message       VARCHAR
        )""",
        """CREATE TABLE threads (
            thread_id         VARCHAR PRIMARY KEY,
            platform          VARCHAR NOT NULL,
            native_id         VARCHAR,
            url               VARCHAR,
            author            VARCHAR,
            text              VARCHAR,
            created_at        TIMESTAMPTZ,
            first_seen_at     TIMESTAMPTZ NOT NULL,
            last_harvested_at TIMESTAMPTZ NOT NULL
        )""",
        """CREATE TABLE replies (
            platform       VARCHAR NOT NULL,
            reply_id       VARCHAR NOT NULL,
            thread_id      VARCHAR,
            parent_id      VARCHAR,
            parent_author  VARCHAR,
            depth          INTEGER,
            author_id      VARCHAR,
            author_handle  VARCHAR,
            author_name    VARCHAR,
            text           VARCHAR NOT NULL,
            created_at     TIMESTAMPTZ,
            like_count     BIGINT,
            reply_count    BIGINT,
            repost_count   BIGINT,
            quote_count    BIGINT,
            lang           VARCHAR,
            url            VARCHAR,
            first_seen_at  TIMESTAMPTZ NOT NULL,
            last_seen_at   TIMESTAMPTZ NOT NULL,
            source_run_id  BIGINT NOT NULL
        )""",
        # (platform, reply_id) is the key: importers merge on it and never
        # insert a second row for it. It is not declared as a PRIMARY KEY
        # because maintaining DuckDB's index doubles the time of a large import.
        """CREATE TABLE metric_snapshots (
            platform      VARCHAR NOT NULL,
            reply_id      VARCHAR NOT NULL,
            observed_at   TIMESTAMPTZ NOT NULL,
            run_id        BIGINT NOT NULL,
            like_count    BIGINT,
            reply_count   BIGINT,
            repost_count  BIGINT,
            quote_count   BIGINT
        )""",
        """CREATE TABLE raw_records (
            run_id        BIGINT NOT NULL,
            record_no     BIGINT NOT NULL,
            locator       VARCHAR,
            source        VARCHAR,
            retrieved_at  TIMESTAMPTZ NOT NULL,
            tool_version  VARCHAR NOT NULL,
            payload       VARCHAR NOT NULL
        )""",
        """CREATE TABLE rejects (
            run_id     BIGINT NOT NULL,
            record_no  BIGINT,
            locator    VARCHAR,
            source     VARCHAR,
            reason     VARCHAR NOT NULL,
            raw        VARCHAR
        )""",
        """CREATE TABLE store_meta (
            key   VARCHAR PRIMARY KEY,
            value VARCHAR
        )""",
    ],
]

# 2: the cursor of each live collection, so an interrupted harvest resumes.
MIGRATIONS.append(
    [
        """CREATE TABLE collect_state (
            run_id      BIGINT PRIMARY KEY,
            thread_id   VARCHAR NOT NULL,
            platform    VARCHAR NOT NULL,
            url         VARCHAR NOT NULL,
            state       JSON,
            pages       BIGINT NOT NULL DEFAULT 0,
            updated_at  TIMESTAMPTZ NOT NULL
        )""",
    ]
)

# 3: codebooks, theme tags, human overrides, theme statistics, validation.
MIGRATIONS.append(
    [
        """CREATE TABLE codebooks (
            codebook_hash VARCHAR PRIMARY KEY,
            name          VARCHAR NOT NULL,
            version       VARCHAR NOT NULL,
            description   VARCHAR,
            source        VARCHAR,
            toml          VARCHAR NOT NULL,
            first_used_at TIMESTAMPTZ NOT NULL
        )""",
        """CREATE TABLE themes (
            codebook_hash VARCHAR NOT NULL,
            theme_id      VARCHAR NOT NULL,
            label         VARCHAR NOT NULL,
            description   VARCHAR,
            parent_id     VARCHAR,
            examples      JSON,
            position      INTEGER NOT NULL,
            PRIMARY KEY (codebook_hash, theme_id)
        )""",
        """CREATE TABLE theme_terms (
            codebook_hash VARCHAR NOT NULL,
            theme_id      VARCHAR NOT NULL,
            kind          VARCHAR NOT NULL,
            term          VARCHAR NOT NULL
        )""",
        """CREATE TABLE reply_themes (
            run_id    BIGINT NOT NULL,
            platform  VARCHAR NOT NULL,
            reply_id  VARCHAR NOT NULL,
            theme_id  VARCHAR NOT NULL,
            score     DOUBLE,
            method    VARCHAR NOT NULL,
            evidence  VARCHAR
        )""",
        """CREATE TABLE reply_overrides (
            platform   VARCHAR NOT NULL,
            reply_id   VARCHAR NOT NULL,
            theme_id   VARCHAR NOT NULL,
            tagged     BOOLEAN NOT NULL,
            source     VARCHAR,
            created_at TIMESTAMPTZ NOT NULL,
            run_id     BIGINT
        )""",
        """CREATE TABLE theme_stats (
            run_id          BIGINT NOT NULL,
            theme_id        VARCHAR NOT NULL,
            replies         BIGINT NOT NULL,
            share           DOUBLE,
            share_low       DOUBLE,
            share_high      DOUBLE,
            likes           BIGINT,
            likes_share     DOUBLE,
            likes_share_low DOUBLE,
            likes_share_high DOUBLE,
            resonance       DOUBLE,
            replies_in_scope BIGINT NOT NULL
        )""",
        """CREATE TABLE embeddings (
            model      VARCHAR NOT NULL,
            text_hash  VARCHAR NOT NULL,
            dim        INTEGER NOT NULL,
            vector     FLOAT[] NOT NULL
        )""",
        """CREATE TABLE validation_scores (
            run_id      BIGINT NOT NULL,
            tag_run_id  BIGINT NOT NULL,
            theme_id    VARCHAR NOT NULL,
            support     BIGINT,
            tp BIGINT, fp BIGINT, fn BIGINT, tn BIGINT,
            precision   DOUBLE,
            recall      DOUBLE,
            f1          DOUBLE,
            kappa       DOUBLE
        )""",
    ]
)

MIGRATIONS[-1].extend(VIEWS_V3)

# 4: reply quality (language, duplicates, campaigns, low-content and spam).
MIGRATIONS.append(
    [
        """CREATE TABLE reply_quality (
            run_id           BIGINT NOT NULL,
            platform         VARCHAR NOT NULL,
            reply_id         VARCHAR NOT NULL,
            lang             VARCHAR,
            lang_confidence  DOUBLE,
            norm_hash        VARCHAR,
            duplicate_group  VARCHAR,
            duplicate_kind   VARCHAR,
            campaign_id      VARCHAR,
            low_content      BOOLEAN NOT NULL DEFAULT false,
            spam             BOOLEAN NOT NULL DEFAULT false,
            flags            VARCHAR[],
            reason           VARCHAR
        )""",
        """CREATE TABLE campaigns (
            run_id       BIGINT NOT NULL,
            campaign_id  VARCHAR NOT NULL,
            replies      BIGINT NOT NULL,
            authors      BIGINT NOT NULL,
            first_at     TIMESTAMPTZ,
            last_at      TIMESTAMPTZ,
            example_text VARCHAR
        )""",
    ]
)

# 5: topic models and tone.
MIGRATIONS.append(
    [
        """CREATE TABLE topic_runs (
            run_id         BIGINT PRIMARY KEY,
            embedder       VARCHAR NOT NULL,
            seed           BIGINT,
            parameters     JSON,
            versions       JSON,
            replies        BIGINT,
            topics         BIGINT,
            outlier_share  DOUBLE,
            note           VARCHAR
        )""",
        """CREATE TABLE topics (
            run_id          BIGINT NOT NULL,
            topic_id        INTEGER NOT NULL,
            label           VARCHAR,
            keywords        JSON,
            size            BIGINT,
            likes           BIGINT,
            representative  JSON
        )""",
        """CREATE TABLE reply_topics (
            run_id       BIGINT NOT NULL,
            platform     VARCHAR NOT NULL,
            reply_id     VARCHAR NOT NULL,
            topic_id     INTEGER NOT NULL,
            probability  DOUBLE
        )""",
        """CREATE TABLE reply_tone (
            run_id     BIGINT NOT NULL,
            platform   VARCHAR NOT NULL,
            reply_id   VARCHAR NOT NULL,
            compound   DOUBLE,
            positive   DOUBLE,
            neutral    DOUBLE,
            negative   DOUBLE,
            tone       VARCHAR
        )""",
        *VIEWS_V5,
    ]
)

# 6: zstd for the two big text columns. Reply text and raw payloads are
# written on every import and scanned seldom; zstd stores them smaller than
# the default dictionary/FSST choice and writes them ~0.5 s faster per million
# rows (reads are ~0.05 s slower per million). The tables are rebuilt as is.
_REPLIES_V6 = (
    MIGRATIONS[0][3]
    .replace("CREATE TABLE replies (", "CREATE TABLE replies_v6 (")
    .replace(
        "text           VARCHAR NOT NULL,",
        "text           VARCHAR USING COMPRESSION zstd NOT NULL,",
    )
)
_RAW_V6 = (
    MIGRATIONS[0][5]
    .replace("CREATE TABLE raw_records (", "CREATE TABLE raw_records_v6 (")
    .replace(
        "payload       VARCHAR NOT NULL", "payload       VARCHAR USING COMPRESSION zstd NOT NULL"
    )
)
assert "zstd" in _REPLIES_V6 and "zstd" in _RAW_V6
MIGRATIONS.append(
    [
        _REPLIES_V6,
        "INSERT INTO replies_v6 SELECT * FROM replies",
        "DROP TABLE replies",
        "ALTER TABLE replies_v6 RENAME TO replies",
        _RAW_V6,
        "INSERT INTO raw_records_v6 SELECT * FROM raw_records",
        "DROP TABLE raw_records",
        "ALTER TABLE raw_records_v6 RENAME TO raw_records",
    ]
)

# 7: the likes band "below zero" for net scores under 0 (Reddit).
MIGRATIONS.append(list(VIEWS_V7))

SCHEMA_VERSION = len(MIGRATIONS)

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


def _lock_message(path: Path, err: Exception) -> str:
    # DuckDB names the other process ("PID 1234") in its message; keep that.
    pid = re.search(r"PID (\d+)", str(err))
    who = f"process {pid.group(1)}" if pid else "another process"
    return (
        f"{path}: the database is in use by {who}. Close the other replyscope or "
        f"duckdb session (or wait for it to finish), or use another file with --db."
    )


def _is_duckdb_file(path: Path) -> bool:
    """DuckDB database files carry the magic bytes DUCK at offset 8."""
    try:
        with path.open("rb") as fh:
            return fh.read(12)[8:12] == b"DUCK"
    except OSError:
        return True  # let DuckDB say what is wrong (permissions, locks)


def connect(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file, with a clear StoreError when it is locked or not a database."""
    if path.exists() and path.is_dir():
        raise StoreError(f"{path} is a directory; pass a file path with --db.")
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
        con = duckdb.connect(str(path), read_only=read_only)
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
    def open(cls, path: Path, *, read_only: bool = False) -> Store:
        """Open (creating and migrating if needed) the store at path."""
        con = connect(path, read_only=read_only)
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
                con = connect(path, read_only=True)
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
    row = fetch_one(
        store.con,
        """INSERT INTO runs (kind, status, started_at, tool_version, parameters, input_path,
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
        """UPDATE runs SET status = ?, finished_at = ?, rows_in = ?, rows_added = ?,
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


ProgressFn = Callable[[int], None]
