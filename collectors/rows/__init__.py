"""What file imports and live collection share once a source is parsed into raw rows.

- `normalise` (+ `dates`): raw reply rows (RawReply fields as text) → typed store rows,
  rejects and thread posts, in DuckDB SQL.
- `rawframes`: raw rows as polars frames and temp tables (and `normalise_batch` for tests).
- `sink`: save normalised rows, raw records and rejects into the store.
"""
