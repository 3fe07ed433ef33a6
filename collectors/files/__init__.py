"""File import: every export file (CSV, XLSX, JSON, NDJSON, tweets.js) takes the same pipeline.

read → detect → parse → normalise → save, in these modules:

- `readers`: file kinds, encodings, CSV dialects and the size limits; `jsonread`: JSON/NDJSON/JS
  records with their own text; `xlsx` (+ `xlsxparts`): XLSX sheets streamed in bounded memory.
- `options`: what the person asked for (ImportOptions), the parsed batch (Parsed), format lookup.
- `json_parse` (+ `jsonrecords`): JSON records → detect a format → the raw table `_raw`.
- `table_parse` (+ `header`, `preamble`, `tableload`): spreadsheet cells → header, columns,
  repairs → `_src` → `_raw`.
- `pipeline`: `import_file`, which runs the steps, normalises (collectors.rows) and saves
  the run in one transaction.

The formats themselves (what a TikTokCommentScraper CSV or a twarc2 page looks like) are
declared in collectors.formats.
"""

from __future__ import annotations

from collectors.errors import ImportProblem
from collectors.files.options import ImportOptions, all_formats
from collectors.files.pipeline import ImportResult, import_file

__all__ = ["ImportOptions", "ImportProblem", "ImportResult", "all_formats", "import_file"]
