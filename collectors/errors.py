"""The error every importer and collector raises for input a person must fix."""

from __future__ import annotations


class ImportProblem(Exception):
    """A problem with an input file (or a pasted URL), worded for the person who gave it."""
