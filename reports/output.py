"""Output paths for `report -o` and `export -o`: checked before the work starts, plain errors after.

An existing directory gets the default file name inside it (`DIR/report.html`);
a parent that is a file, a read-only or virtual file system (`/proc`) or a
missing permission gives one line naming the path and what to do.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


class OutputError(Exception):
    """An output file that cannot be written, with what to do."""


def _reason(err: OSError, path: Path) -> str:
    """A short reason for an OSError on `path` (names a parent that is a file)."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                return f"{parent} is a file, not a folder"
            break
    return err.strerror or str(err)


def output_error(path: Path, err: OSError) -> OutputError:
    """The one-line error for a failed write of `path`."""
    return OutputError(f"cannot write {path}: {_reason(err, path)} (choose another -o)")


def prepare_output(path: Path, default_name: str | None) -> Path:
    """The file to write for `-o path`: checked for writability, parents created.

    `default_name` is the file written inside `path` when it is an existing
    directory (None: refuse directories).
    """
    if path.is_dir():
        if default_name is None:
            raise OutputError(
                f"{path} is a directory: give a file name, e.g. -o {path / 'out.csv'}"
            )
        path = path / default_name
        if path.is_dir():
            raise OutputError(f"{path} is a directory: choose another -o")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        existed = path.exists()
        # A probe: the same open the real write does, so that /proc, read-only
        # mounts and missing permissions are caught before minutes of work.
        with path.open("ab"):
            pass
        if not existed:
            with contextlib.suppress(OSError):
                os.unlink(path)
    except OSError as err:
        raise output_error(path, err) from err
    return path
