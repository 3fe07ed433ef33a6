"""The store's tables and their migrations (schema part one; views are in store_views.py).

store.py applies them; this module only declares them. Names here are a
public contract for analysts: change them only through a new migration.
"""

from __future__ import annotations

from store_views import VIEWS_V3, VIEWS_V5, VIEWS_V7, VIEWS_V8

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

# 8: validation samples, human codes with coders, agreement, error-corrected
# theme shares (prediction-powered inference). validation_scores gains the
# sample, bootstrap intervals and "measurable"; its counts become DOUBLE
# because sampling weights and several coders make them fractional.
MIGRATIONS.append(
    [
        """CREATE TABLE validation_samples (
            sample_id      BIGINT PRIMARY KEY,
            created_at     TIMESTAMPTZ NOT NULL,
            design         VARCHAR NOT NULL,
            seed           BIGINT,
            n_requested    BIGINT,
            n_drawn        BIGINT NOT NULL,
            population     BIGINT NOT NULL,
            replies        BIGINT NOT NULL,
            campaigns_once BOOLEAN NOT NULL,
            codebook_hash  VARCHAR,
            tag_run_id     BIGINT,
            quality_run_id BIGINT,
            strata         JSON,
            note           VARCHAR
        )""",
        """CREATE TABLE validation_sample_replies (
            sample_id       BIGINT NOT NULL,
            position        INTEGER NOT NULL,
            sheet_key       VARCHAR NOT NULL,
            platform        VARCHAR NOT NULL,
            reply_id        VARCHAR NOT NULL,
            unit_id         VARCHAR NOT NULL,
            stratum         VARCHAR NOT NULL,
            inclusion_prob  DOUBLE NOT NULL
        )""",
        """CREATE TABLE human_codes (
            sample_id      BIGINT NOT NULL,
            platform       VARCHAR NOT NULL,
            reply_id       VARCHAR NOT NULL,
            coder          VARCHAR NOT NULL,
            theme_id       VARCHAR NOT NULL,
            value          BOOLEAN NOT NULL,
            import_run_id  BIGINT NOT NULL
        )""",
        """CREATE TABLE human_code_rows (
            sample_id      BIGINT NOT NULL,
            platform       VARCHAR NOT NULL,
            reply_id       VARCHAR NOT NULL,
            coder          VARCHAR NOT NULL,
            none_marked    BOOLEAN NOT NULL,
            note           VARCHAR,
            import_run_id  BIGINT NOT NULL
        )""",
        """CREATE TABLE coder_agreement (
            run_id     BIGINT NOT NULL,
            sample_id  BIGINT NOT NULL,
            theme_id   VARCHAR NOT NULL,
            coders     INTEGER NOT NULL,
            items      BIGINT NOT NULL,
            kappa      DOUBLE,
            alpha      DOUBLE
        )""",
        """CREATE TABLE theme_estimates (
            run_id            BIGINT NOT NULL,
            tag_run_id        BIGINT NOT NULL,
            sample_id         BIGINT NOT NULL,
            theme_id          VARCHAR NOT NULL,
            method            VARCHAR NOT NULL,
            share             DOUBLE,
            share_low         DOUBLE,
            share_high        DOUBLE,
            raw_share         DOUBLE,
            likes_share       DOUBLE,
            likes_share_low   DOUBLE,
            likes_share_high  DOUBLE,
            raw_likes_share   DOUBLE,
            n_coded           BIGINT NOT NULL,
            coded_with_theme  DOUBLE,
            population        BIGINT NOT NULL
        )""",
        *[
            f"ALTER TABLE validation_scores ALTER COLUMN {c} SET DATA TYPE DOUBLE"
            for c in ("support", "tp", "fp", "fn", "tn")
        ],
        "ALTER TABLE validation_scores ADD COLUMN sample_id BIGINT",
        "ALTER TABLE validation_scores ADD COLUMN coded DOUBLE",
        "ALTER TABLE validation_scores ADD COLUMN measurable BOOLEAN",
        *[
            f"ALTER TABLE validation_scores ADD COLUMN {m}_{end} DOUBLE"
            for m in ("precision", "recall", "f1", "kappa")
            for end in ("low", "high")
        ],
        *VIEWS_V8,
    ]
)

SCHEMA_VERSION = len(MIGRATIONS)
