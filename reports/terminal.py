"""Plain-text tables for the terminal."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.sample_validation import SampleValidation
    from reports.trust import Trust
    from store import Store


def render_table(names: Sequence[str], rows: Sequence[Sequence[Any]], max_width: int = 60) -> str:
    """A plain text table sized to the terminal."""

    def cell(v: Any) -> str:
        text = "" if v is None else str(v)
        text = text.replace("\n", " ")
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    body = [[cell(v) for v in row] for row in rows]
    widths = [max([len(n), *(len(r[i]) for r in body)]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in body]
    return "\n".join(line.rstrip() for line in lines)


def _pct(value: object) -> str:
    return "" if value is None else f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]


def _two(value: Any) -> str:
    return "" if value is None or value != value else f"{float(value):.2f}"


def _two_ci(value: Any, low: Any, high: Any) -> str:
    if value is None or value != value:
        return ""
    if low is None or high is None or low != low:
        return _two(value)
    return f"{float(value):.2f} ({float(low):.2f}–{float(high):.2f})"


def render_theme_table(
    store: Store, *, campaigns_once: bool = False, automatic: bool = False
) -> str:
    """The latest theme figures as a terminal table ('' when nothing is tagged).

    With a validated coded sample (and not `automatic`): the error-corrected
    shares with their intervals, the automatic shares beside them and how
    far each theme can be trusted; otherwise the automatic tags' figures,
    labelled as not validated.
    """
    from reports.trust import load_dominance_notes, load_trust

    trust = None if automatic else load_trust(store)
    # The corrected figures count each campaign once; so do the notes beside them.
    notes = load_dominance_notes(store, campaigns_once=trust is not None or campaigns_once)
    if trust is not None:
        text = render_trust_table(store, trust, driven=set(notes))
    else:
        text = _render_automatic(
            store, campaigns_once=campaigns_once, validated_elsewhere=automatic, driven=set(notes)
        )
    return text + render_dominance(notes) if text else text


def render_dominance(notes: dict[str, str]) -> str:
    """The '* one reply drives these likes figures' block under a theme table ('' if none)."""
    if not notes:
        return ""
    lines = ["", "", "* Likes figures that one reply drives:"]
    lines += [f"- {theme_id}: {note}" for theme_id, note in notes.items()]
    return "\n".join(lines)


def _mark(text: str, theme_id: str, driven: Collection[str]) -> str:
    return f"{text} *" if theme_id in driven else text


TRUST_HEAD = [
    "theme",
    "label",
    "share, corrected (95% CI)",
    "automatic",
    "likes share, corrected (95% CI)",
    "automatic",
    "F1",
    "trust",
]


def _trust_rows(store: Store, trust: Trust, driven: Collection[str]) -> list[tuple[str, ...]]:
    """One row per validated theme, then the current codebook's themes the sample lacks."""
    from reports.trust import share_text

    table: list[tuple[str, ...]] = []
    for t in trust.themes.values():
        status = (
            "reliable"
            if t.get("reliable")
            else "not measurable"
            if not t.get("measurable")
            else "not reliable"
        )
        likes = share_text(
            t.get("likes_share"), t.get("likes_share_low"), t.get("likes_share_high")
        )
        table.append(
            (
                t.theme_id,
                t.label,
                share_text(t.get("share"), t.get("share_low"), t.get("share_high")),
                _pct(t.get("raw_share")),
                _mark(likes, t.theme_id, driven),
                _pct(t.get("raw_likes_share")),
                _two(t.get("f1")),
                status,
            )
        )
    # Themes added or renamed since the sample was coded: the tags' own
    # figures (every copy counted), marked as such.
    for theme_id, label, share, likes_share in store.con.execute(
        "SELECT theme_id, label, share, likes_share FROM theme_summary"
    ).fetchall():
        if theme_id not in trust.themes:
            row = (theme_id, label, "not validated", _pct(share), "–", _pct(likes_share), "")
            table.append((*row, "not in the coded sample"))
    return table


def render_trust_table(store: Store, trust: Trust, driven: Collection[str] = ()) -> str:
    """Corrected shares (PPI), automatic shares and agreement per theme."""
    from textsafety import plural

    design = {"stratified": "stratified sample", "given": "hand-coded set"}.get(
        trust.design, "random sample"
    )
    lines = [
        render_table(TRUST_HEAD, _trust_rows(store, trust, driven), max_width=40),
        "",
        f"Corrected for tagging error with {design} {trust.sample_id}: "
        f"{plural(trust.n_coded, 'reply', 'replies')} hand-coded by "
        f"{plural(trust.coders, 'coder')}, "
        f"of {plural(trust.population, 'unit')} in scope (each coordinated campaign counted once); "
        f"tagging run {trust.tag_run_id}, validation run {trust.run_id}.",
        "Intervals include the tagging error (prediction-powered inference). 'automatic' = the "
        "tags' own share in the same scope (replyscope themes --automatic --count-campaigns-once "
        "gives it with the tags' own intervals). Likes shares are rough: a few replies hold most "
        "likes. trust: reliable = F1 ≥ 0.6 with ≥ 10 coded replies about the theme; not "
        "measurable = fewer than 10.",
        *(f"Note: {w}" for w in trust.warnings),
    ]
    notes = [n for t in trust.themes.values() for n in t.notes[:1]]
    if notes:
        lines += ["", *(f"- {n}" for n in notes)]
    lines.append(
        "\nAgreement per theme: replyscope validate. Tags only: replyscope themes --automatic."
    )
    return "\n".join(lines)


def _render_automatic(
    store: Store, *, campaigns_once: bool, validated_elsewhere: bool, driven: Collection[str]
) -> str:
    """The automatic tags' figures with bootstrap intervals (sampling only, not tagging error)."""
    from analysis.themes import latest_stats
    from reports.trust import tag_run_notes

    frame = latest_stats(store, campaigns_once=campaigns_once)
    if frame.height == 0:
        return ""
    from textsafety import count, plural

    rows = frame.to_dicts()
    table = [
        (
            r["theme_id"],
            r["label"],
            # Weighted (campaigns counted once) counts can be fractional: 1.5.
            count(r["replies_weighted"] if r.get("replies_weighted") is not None else r["replies"]),
            f"{_pct(r['share'])} ({_pct(r['share_low'])}–{_pct(r['share_high'])})",
            _mark(
                f"{_pct(r['likes_share'])} "
                f"({_pct(r['likes_share_low'])}–{_pct(r['likes_share_high'])})",
                r["theme_id"],
                driven,
            ),
            "" if r["resonance"] is None else _mark(f"{r['resonance']:.2f}", r["theme_id"], driven),
        )
        for r in rows
    ]
    head = ["theme", "label", "replies", "share (95% CI)", "likes share (95% CI)", "resonance"]
    once = ""
    if campaigns_once:
        once = (
            " Each coordinated campaign counts as one reply (its k copies 1/k each, so a count can"
            " have a decimal); `replyscope report` shows this table."
            if "replies_weighted" in frame.columns
            else " No coordinated campaign found (see `replyscope quality`): every reply counts"
            " once."
        )
    label = (
        "Automatic tags (the coded sample's corrections are left out: --automatic)."
        if validated_elsewhere
        else "Automatic tags, not validated: these count the tags, which miss replies (the default "
        "keyword tagger found 44% of the replies people coded on the demo), and the intervals "
        "cover sampling only, not tagging error. To measure and correct them: "
        "replyscope review sample --n 200 -o sample.xlsx"
    )
    return (
        label
        + "\n\n"
        + render_table(head, table)
        + f"\n\n{plural(rows[0]['replies_in_scope'], 'reply', 'replies')} in scope; "
        + f"tagging run {rows[0]['run_id']}. "
        + f"Resonance = likes share ÷ reply share.{once}"
        + "".join(f"\nNote: {n}" for n in tag_run_notes(store, int(rows[0]["run_id"])))
    )


SCORE_HEAD = [
    "theme",
    "coded",
    "precision (95% CI)",
    "recall (95% CI)",
    "F1 (95% CI)",
    "kappa (95% CI)",
    "status",
]


def _score_rows(v: SampleValidation) -> list[tuple[str, ...]]:
    """One row per theme and the micro average: coded replies, scores with intervals, status."""
    rows = []
    for s in v.scores:
        if s.theme_id == "_macro":
            continue
        status = ""
        if not s.theme_id.startswith("_"):
            status = (
                "reliable"
                if s.reliable
                else f"not measurable ({s.coded:.0f} coded)"
                if not s.measurable
                else "not reliable (F1 < 0.6)"
            )
        scores = [
            _two_ci(s.values.get(m), s.low.get(m), s.high.get(m))
            for m in ("precision", "recall", "f1", "kappa")
        ]
        name = "all (micro)" if s.theme_id == "_micro" else s.theme_id
        rows.append((name, f"{s.coded:.0f}", *scores, status))
    return rows


def _coder_lines(v: SampleValidation) -> list[str]:
    """Agreement between coders (empty with one coder)."""
    if not v.agreement:
        return []
    from textsafety import plural

    overall = next(a for a in v.agreement if a.theme_id == "_overall")
    per_theme = [
        (a.theme_id, _two(a.kappa), _two(a.alpha)) for a in v.agreement if a.theme_id != "_overall"
    ]
    return [
        "",
        f"Agreement between the {len(v.coders)} coders on "
        f"{plural(overall.items, 'reply', 'replies')}: "
        f"Krippendorff's alpha {_two(overall.alpha)} over all theme decisions, Cohen's kappa "
        f"{_two(overall.kappa)}.",
        render_table(["theme", "kappa", "alpha"], per_theme),
    ]


def render_validation(v: SampleValidation) -> str:
    """`replyscope validate` on a coded sample: agreement per theme, coders, what to do next."""
    from textsafety import plural

    info = v.info
    macro = next(s for s in v.scores if s.theme_id == "_macro")
    drawn = {
        "stratified": "stratified sample (rare themes oversampled; weighted back)",
        "given": "hand-coded set",
    }.get(info.design, "random sample")
    seed = "" if info.seed is None else f", seed {info.seed}"
    out = [
        f"Sample {info.sample_id} ({drawn}{seed}): "
        f"{plural(v.n_coded, 'reply', 'replies')} coded by {plural(len(v.coders), 'coder')} "
        f"({', '.join(v.coders)}), scored against tagging run {v.tag_run_id}.",
        "",
        render_table(SCORE_HEAD, _score_rows(v)),
        "",
        f"Macro F1 {_two(macro.values.get('f1'))}. Intervals: 95% bootstrap over the coded replies "
        "— "
        f"with {v.n_coded} replies they are wide; more coded replies narrow them.",
        *_coder_lines(v),
        *(f"Note: {n}" for n in v.notes),
        f"\nStored as validation run {v.run_id}. Theme shares corrected for tagging error: "
        "replyscope themes (and the report).",
    ]
    return "\n".join(out)
