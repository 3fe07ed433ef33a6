"""Offline language identification: py3langid's bundled model, run on a whole batch at once.

py3langid's `classify` works one text at a time; the same model (its
feature weights and priors, shipped inside the wheel) applied to a matrix of
texts gives the same labels and probabilities, an order of magnitude faster.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


class LangModel:
    """py3langid's model as numpy arrays, classifying a whole batch of texts at once."""

    def __init__(self, languages: tuple[str, ...] | None) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        if languages:
            known = set(ident.nb_classes)
            unknown = sorted(code for code in languages if code not in known)
            if unknown:
                raise ValueError(
                    f"unknown language code{'s' if len(unknown) > 1 else ''}: "
                    f"{', '.join(unknown)}; "
                    "use two-letter ISO 639-1 codes such as en, cy, fr."
                )
            ident.set_languages(list(languages))
        nextmove = np.asarray(ident.tk_nextmove, dtype=np.int64)
        rowbase = np.asarray(ident.tk_row, dtype=np.int32) << 8
        output = np.asarray(ident.tk_output, dtype=np.int32)
        # Indexed by (row base of the current state + byte): the next state's row
        # base and the feature it emits, so one step of the automaton is two gathers.
        self.start = int(rowbase[0])
        self.next_base = rowbase[nextmove]
        self.next_feat = output[nextmove]
        self.ptc = np.asarray(ident.nb_ptc, dtype=np.float32)
        self.pc = np.asarray(ident.nb_pc, dtype=np.float32)
        self.classes = np.asarray(ident.nb_classes, dtype=object)
        self.alias = list(ident._alias_pairs)

    def classify(self, data: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(label index, probability) per text, given UTF-8 bytes and offsets (n + 1)."""
        from scipy import sparse

        lengths = np.diff(offsets)
        n = len(lengths)
        # Longest first, so the texts still being read at byte j are a prefix.
        order = np.argsort(-lengths, kind="stable")
        starts, lens = offsets[:-1][order], lengths[order]  # starts: each text's next byte
        active = np.searchsorted(-lens, -np.arange(int(lens[0]) if n else 0), side="left")
        base = np.full(n, self.start, dtype=np.int32)
        rows: list[np.ndarray] = []
        feats: list[np.ndarray] = []
        for k in active.tolist():
            addr = np.take(data, starts[:k]).astype(np.int32)
            addr += base[:k]
            f = np.take(self.next_feat, addr)
            np.take(self.next_base, addr, out=base[:k])
            starts[:k] += 1
            hit = np.flatnonzero(f >= 0).astype(np.int32)
            rows.append(hit)
            feats.append(f[hit])
        r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int32)
        c = np.concatenate(feats) if feats else np.zeros(0, dtype=np.int32)
        counts = sparse.csr_matrix(
            (np.ones(len(r), dtype=np.float32), (r, c)), shape=(n, self.ptc.shape[0])
        )
        counts.sum_duplicates()
        counts.data = np.log1p(counts.data)
        scores = np.asarray(counts @ self.ptc) + self.pc
        # A text without features scores 0 everywhere (uniform), as in py3langid.
        scores[np.diff(counts.indptr) == 0] = 0.0
        scores *= (1.0 / np.sqrt(np.maximum(lens, 1)))[:, None].astype(np.float32)
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        for i, dup in self.alias:  # script variants of one language share a label
            scores[:, i] += scores[:, dup]
            scores[:, dup] = 0.0
        best = scores.argmax(axis=1)
        prob = scores[np.arange(n), best]
        label = np.empty(n, dtype=np.int64)
        conf = np.empty(n, dtype=np.float64)
        label[order], conf[order] = best, prob
        return label, conf


@lru_cache(maxsize=4)
def lang_model(languages: tuple[str, ...] | None) -> LangModel:
    """The model for these languages (all of py3langid's when None), built once."""
    return LangModel(languages)
