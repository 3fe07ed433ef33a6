"""What a topic run depends on outside Python: numba's compile cache for UMAP, library versions."""

from __future__ import annotations

import os
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from store import tool_version

NUMBA_CACHE_ENV = "REPLYSCOPE_NUMBA_CACHE"


def numba_cache_dir() -> Path:
    """Where numba keeps compiled UMAP code: $REPLYSCOPE_NUMBA_CACHE, $NUMBA_CACHE_DIR, ~/.cache."""
    chosen = os.environ.get(NUMBA_CACHE_ENV) or os.environ.get("NUMBA_CACHE_DIR")
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "replyscope" / "numba"


def prepare_numba() -> None:
    """Point numba's cache at a writable user folder before umap is imported, and cache UMAP's code.

    umap-learn compiles most of its numba functions without `cache=True`, so
    every process would pay ~10 s (~30 s with pynndescent on a new machine)
    again; turning caching on for them makes only the first run pay.
    """
    folder = numba_cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError:
        folder = Path(tempfile.gettempdir()) / f"replyscope-numba-{os.getuid()}"
        folder.mkdir(parents=True, exist_ok=True)
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    import numba.core.config

    # numba may have been imported already (its config reads the variable once).
    numba.core.config.CACHE_DIR = str(folder)  # type: ignore[attr-defined]
    import pynndescent  # noqa: F401
    import umap  # noqa: F401
    from numba.core.registry import CPUDispatcher

    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in ("umap", "pynndescent"):
            continue
        for obj in vars(module).values():
            if (
                isinstance(obj, CPUDispatcher)
                and type(getattr(obj, "_cache", None)).__name__ == "NullCache"
            ):
                obj.enable_caching()


def library_versions(embedder: str) -> dict[str, str]:
    """Versions of everything that shapes the result, for topic_runs.versions."""
    names = ["bertopic", "umap-learn", "hdbscan", "pynndescent", "numba", "scikit-learn", "numpy"]
    if embedder in ("minilm",) or Path(embedder).is_dir():
        names += ["sentence-transformers", "torch", "transformers"]
    elif embedder == "wordllama":
        names.append("wordllama")
    out = {"replyscope": tool_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
