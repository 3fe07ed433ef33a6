"""The store's views (schema part two): the SQL that analysts read instead of joining tables.

Kept apart from store.py's tables; migrations in store.py create or replace them.
"""

from __future__ import annotations

# Each reply's themes (latest tagging run, overrides applied) as a list, and
# their evidence: joined into replies_tagged in every version of that view.
_THEMES_PER_REPLY = """LEFT JOIN (
        SELECT platform, reply_id, list(theme_id ORDER BY theme_id) AS themes,
               string_agg(theme_id || ': ' || coalesce(evidence, method), ' | ' ORDER BY theme_id) AS evidence
        FROM reply_theme_tags GROUP BY ALL
    ) t USING (platform, reply_id)"""  # noqa: E501 (released migration SQL, kept as it ran)

# Views for people: replaced wholesale by later migrations as columns are added.
VIEWS_V3 = [
    # The latest successful tagging run's tags, with human overrides applied
    # (an override of false removes a tag, true adds or confirms one).
    """CREATE OR REPLACE VIEW reply_theme_tags AS
    WITH latest AS (SELECT max(run_id) AS run_id FROM runs WHERE kind = 'tag' AND status = 'ok'),
    auto AS (
        SELECT t.platform, t.reply_id, t.theme_id, t.score, t.method, t.evidence
        FROM reply_themes t JOIN latest USING (run_id)
    ),
    ovr AS (
        SELECT platform, reply_id, theme_id, arg_max(tagged, created_at) AS tagged
        FROM reply_overrides GROUP BY ALL
    )
    SELECT coalesce(a.platform, o.platform) AS platform,
           coalesce(a.reply_id, o.reply_id) AS reply_id,
           coalesce(a.theme_id, o.theme_id) AS theme_id,
           a.score,
           CASE WHEN o.tagged IS NOT NULL THEN 'manual' ELSE a.method END AS method,
           a.evidence
    FROM auto a FULL OUTER JOIN ovr o
      ON a.platform = o.platform AND a.reply_id = o.reply_id AND a.theme_id = o.theme_id
    WHERE coalesce(o.tagged, true)""",
    # Likes band of each reply relative to its own thread.
    """CREATE OR REPLACE VIEW reply_engagement AS
    SELECT platform, reply_id, thread_id, like_count,
           CASE WHEN coalesce(like_count, 0) = 0 THEN 'none'
                WHEN pr >= 0.99 THEN 'top 1%'
                WHEN pr >= 0.90 THEN 'top 10%'
                WHEN like_count > med THEN 'above median'
                ELSE 'below median' END AS likes_band
    FROM (
        SELECT platform, reply_id, thread_id, like_count,
               percent_rank() OVER (PARTITION BY thread_id ORDER BY coalesce(like_count, 0)) AS pr,
               median(coalesce(like_count, 0)) OVER (PARTITION BY thread_id) AS med
        FROM replies
    )""",
    f"""CREATE OR REPLACE VIEW replies_tagged AS
    SELECT r.platform, r.reply_id, r.thread_id, r.parent_id, r.depth,
           r.author_handle, r.author_name, r.created_at, r.text, r.like_count,
           e.likes_band, r.lang,
           coalesce(t.themes, []) AS themes,
           coalesce(t.evidence, '') AS evidence
    FROM replies r
    LEFT JOIN reply_engagement e USING (platform, reply_id)
    {_THEMES_PER_REPLY}""",
    """CREATE OR REPLACE VIEW theme_summary AS
    WITH latest AS (SELECT max(run_id) AS run_id FROM runs WHERE kind = 'tag' AND status = 'ok')
    SELECT s.theme_id, th.label, s.replies, s.share, s.share_low, s.share_high,
           s.likes, s.likes_share, s.likes_share_low, s.likes_share_high, s.resonance,
           s.replies_in_scope, s.run_id, th.codebook_hash
    FROM theme_stats s
    JOIN latest USING (run_id)
    JOIN runs r USING (run_id)
    LEFT JOIN themes th
      ON th.codebook_hash = json_extract_string(r.parameters, '$.codebook_hash') AND th.theme_id = s.theme_id
    ORDER BY th.position""",  # noqa: E501 (released migration SQL, kept as it ran)
]

# 5: the latest topic run, and replies_tagged with topic, tone and quality columns.
VIEWS_V5 = [
    """CREATE OR REPLACE VIEW topic_summary AS
    WITH latest AS (SELECT max(run_id) AS run_id FROM topic_runs)
    SELECT t.topic_id, t.label, t.keywords, t.size, t.likes, t.representative, t.run_id,
           t.size / nullif(r.replies, 0) AS share
    FROM topics t JOIN latest USING (run_id) JOIN topic_runs r USING (run_id)
    ORDER BY t.topic_id = -1, t.size DESC""",
    # replies_tagged gains topic, tone and quality columns (latest runs).
    f"""CREATE OR REPLACE VIEW replies_tagged AS
    WITH tr AS (SELECT max(run_id) AS run_id FROM topic_runs),
    tone_run AS (SELECT max(run_id) AS run_id FROM reply_tone),
    q_run AS (SELECT max(run_id) AS run_id FROM reply_quality)
    SELECT r.platform, r.reply_id, r.thread_id, r.parent_id, r.depth,
           r.author_handle, r.author_name, r.created_at, r.text, r.like_count,
           e.likes_band, r.lang,
           coalesce(t.themes, []) AS themes,
           coalesce(t.evidence, '') AS evidence,
           rt.topic_id, tp.label AS topic_label, rt.probability AS topic_probability,
           tn.compound AS tone_score, tn.tone,
           q.lang AS detected_lang, q.lang_confidence, q.duplicate_group, q.duplicate_kind,
           q.campaign_id, coalesce(q.low_content, false) AS low_content, coalesce(q.spam, false) AS spam,
           q.reason AS quality_reason
    FROM replies r
    LEFT JOIN reply_engagement e USING (platform, reply_id)
    {_THEMES_PER_REPLY}
    LEFT JOIN (SELECT x.* FROM reply_topics x JOIN tr USING (run_id)) rt USING (platform, reply_id)
    LEFT JOIN (SELECT x.* FROM topics x JOIN tr USING (run_id)) tp ON tp.topic_id = rt.topic_id
    LEFT JOIN (SELECT x.* FROM reply_tone x JOIN tone_run USING (run_id)) tn USING (platform, reply_id)
    LEFT JOIN (SELECT x.* FROM reply_quality x JOIN q_run USING (run_id)) q USING (platform, reply_id)""",  # noqa: E501 (released migration SQL, kept as it ran)
]


# 7: a net score below zero (Reddit) is its own band, not ranked with the rest.
_ENGAGEMENT_V3 = next(v for v in VIEWS_V3 if "VIEW reply_engagement" in v)
VIEWS_V7 = [
    _ENGAGEMENT_V3.replace(
        "CASE WHEN coalesce(like_count, 0) = 0 THEN 'none'",
        "CASE WHEN like_count < 0 THEN 'below zero'\n                WHEN coalesce(like_count, 0) "
        "= 0 THEN 'none'",
    ).replace("coalesce(like_count, 0)) ", "greatest(coalesce(like_count, 0), 0)) ")
]
assert "below zero" in VIEWS_V7[0] and VIEWS_V7[0].count("greatest(") == 2

# 8: how far to trust each theme figure — the latest validation of the latest
# tagging run: the error-corrected share (PPI) beside the automatic one, and
# the tags' agreement with the coded sample.
VIEWS_V8 = [
    """CREATE OR REPLACE VIEW theme_trust AS
    WITH tag AS (SELECT max(run_id) AS run_id FROM runs WHERE kind = 'tag' AND status = 'ok'),
    v AS (SELECT max(e.run_id) AS run_id FROM theme_estimates e
          JOIN tag ON e.tag_run_id = tag.run_id)
    SELECT e.theme_id, e.share, e.share_low, e.share_high, e.raw_share,
           e.likes_share, e.likes_share_low, e.likes_share_high, e.raw_likes_share,
           e.n_coded, e.coded_with_theme, e.population,
           s.precision, s.recall, s.f1, s.kappa, coalesce(s.measurable, false) AS measurable,
           coalesce(s.measurable AND s.f1 >= 0.6, false) AS reliable,
           e.sample_id, e.run_id, e.tag_run_id
    FROM theme_estimates e JOIN v USING (run_id)
    LEFT JOIN validation_scores s ON s.run_id = e.run_id AND s.theme_id = e.theme_id
    WHERE e.method = 'ppi'""",
]
