"""Read XLSX workbooks row by row in bounded memory (a streaming reader, not openpyxl's).

openpyxl's read-only mode trusts the sheet's declared `<dimension>` (every
empty row became a list of up to 16,384 cells), loads every shared string
whole before any size check, and reads rows past Excel's last one. Here the
XML is streamed through expat in small chunks (collectors.files.xlsxparts):
rows that are not in the file are never built, a shared string or cell over
the cell limit is never kept (the rows using it are rejected), rows past
1,048,576 are refused, and the whole read has a budget proportional to the
file's size, so that a small file cannot expand into gigabytes.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.parsers import expat

from collectors.errors import ImportProblem
from collectors.files.readers import _cell_text
from collectors.files.xlsxparts import (
    CHUNK,
    Budget,
    Cell,
    Oversized,
    Row,
    RowProblem,
    SheetParser,
    Styles,
    attr,
    expansion_budget,
    feed,
    local_name,
    number_value,
    read_shared_strings,
    read_styles,
    refuse_dtd,
)

Cells = list[list[str | None]]
SheetTest = Callable[[Cells], bool]
_EMPTY: Row = []  # every blank row shares this list; nothing mutates rows in place

_BROKEN = (
    zipfile.BadZipFile,
    expat.ExpatError,
    KeyError,
    ValueError,
    EOFError,
    OSError,
    ImportProblem,
)


def _damaged(where: str, err: Exception) -> ImportProblem:
    if isinstance(err, ImportProblem) and str(err).startswith(where):
        return err  # already a full message
    return ImportProblem(
        f"{where}: cannot be opened as an Excel workbook ({type(err).__name__}: {err}). "
        "Open it in Excel and save it again as .xlsx."
    )


class Workbook:
    """An XLSX file opened for bounded reading: its sheets, shared strings and styles."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)
        self.budget = Budget(self.where, expansion_budget(path.stat().st_size))
        try:
            self.zf = zipfile.ZipFile(path)
        except _BROKEN as err:
            raise _damaged(self.where, err) from err
        try:
            self._read_workbook()
        except _BROKEN as err:
            self.zf.close()
            raise _damaged(self.where, err) from err
        self._strings: list[str | Oversized] | None = None
        self._styles: Styles | None = None

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self.zf.close()

    def _rels(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, target part) of a part (targets made absolute)."""
        folder, name = posixpath.split(part)
        rels_name = posixpath.join(folder, "_rels", name + ".rels")
        out: dict[str, tuple[str, str]] = {}
        if rels_name not in self.zf.NameToInfo:
            return out

        def start(tag: str, attrs: dict[str, str]) -> None:
            if local_name(tag) == "Relationship" and len(out) < 100_000:
                target = attrs.get("Target", "")
                full = (
                    target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
                )
                out[attrs.get("Id", "")] = (attrs.get("Type", ""), posixpath.normpath(full))

        parser = expat.ParserCreate()
        parser.StartElementHandler = start
        with self.zf.open(rels_name) as member:
            feed(member, parser)
        return out

    def _read_workbook(self) -> None:
        """Sheet names and parts, the date system, where strings and styles are."""
        main = next(
            (t for kind, t in self._rels("").values() if kind.endswith("/officeDocument")),
            "xl/workbook.xml",
        )
        rels = self._rels(main)
        self.sheets: list[tuple[str, str | None]] = []  # (name, worksheet part; None: a chart)
        self.date1904 = False

        def start(tag: str, attrs: dict[str, str]) -> None:
            local = local_name(tag)
            if local == "workbookPr":
                self.date1904 = attrs.get("date1904", "").lower() in ("1", "true")
            elif local == "sheet" and len(self.sheets) < 10_000:
                kind, target = rels.get(attr(attrs, "id") or "", ("", ""))
                part = target if kind.endswith("/worksheet") and target else None
                self.sheets.append((attrs.get("name", ""), part))

        parser = expat.ParserCreate()
        parser.StartElementHandler = start
        with self.zf.open(main) as member:
            feed(member, parser)
        found = {kind.rpartition("/")[2]: target for kind, target in rels.values()}
        self.strings_part = found.get("sharedStrings", "xl/sharedStrings.xml")
        self.styles_part = found.get("styles", "xl/styles.xml")

    @property
    def names(self) -> list[str]:
        """The names of all sheets, chart sheets included."""
        return [name for name, _ in self.sheets]

    def strings(self) -> list[str | Oversized]:
        """The shared strings table, read once (capped, counted in the budget)."""
        if self._strings is None:
            self._strings = []
            if self.strings_part in self.zf.NameToInfo:
                with self.zf.open(self.strings_part) as member:
                    self._strings = read_shared_strings(member, self.budget)
        return self._strings

    def styles(self) -> Styles:
        """The date styles, read once."""
        if self._styles is None:
            self._styles = Styles()
            if self.styles_part in self.zf.NameToInfo:
                with self.zf.open(self.styles_part) as member:
                    self._styles = read_styles(member)
        return self._styles

    def convert(self, cell: Cell, text: str) -> str | Oversized | None:
        """A cell's value as text, by its type: shared string, number or date, boolean…"""
        from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel

        kind = cell.kind
        if kind == "s":
            strings = self.strings()
            index = int(text)
            if not 0 <= index < len(strings):
                raise ImportProblem(
                    f"{self.where}: a cell of the workbook refers to a shared string that does "
                    "not exist; the file is damaged. Open it in Excel and save it again."
                )
            return strings[index]
        if kind == "n":
            try:
                number = number_value(text)
            except ValueError:
                return text
            styles = self.styles()
            if cell.style in styles.dates:
                epoch = CALENDAR_MAC_1904 if self.date1904 else WINDOWS_EPOCH
                try:
                    when = from_excel(number, epoch, timedelta=cell.style in styles.durations)
                except (OverflowError, ValueError):
                    return "#VALUE!"
                return _cell_text(when)
            return _cell_text(number)
        if kind == "b":
            return _cell_text(text.strip() not in ("0", "false", ""))
        if kind == "d":
            from openpyxl.utils.datetime import from_ISO8601

            return _cell_text(from_ISO8601(text))
        return text

    def sheet_items(self, part: str, parser: SheetParser) -> Iterator[tuple[int, Row] | RowProblem]:
        """A worksheet's rows (and rejected rows) as they are read, a chunk at a time."""
        try:
            with self.zf.open(part) as member:
                xml = expat.ParserCreate()
                xml.buffer_text = True
                xml.StartElementHandler = parser.start
                xml.EndElementHandler = parser.end
                xml.CharacterDataHandler = parser.data
                xml.StartDoctypeDeclHandler = refuse_dtd
                xml.EntityDeclHandler = refuse_dtd
                while True:
                    chunk = member.read(CHUNK)
                    xml.Parse(chunk, not chunk)
                    done, parser.done = parser.done, []
                    yield from done
                    if not chunk:
                        return
        except _BROKEN as err:
            raise _damaged(self.where, err) from err


class SheetRows:
    """One sheet being read: its first rows (`head`, indexed by row number - 1), then the rest.

    Blank rows are never built: in `head` they all share one empty list, and
    iterating gives only the rows that hold something, with their numbers.
    Rows rejected while reading (a cell over the limit) are in `problems`.
    """

    def __init__(self, book: Workbook, name: str, part: str, scan_rows: int) -> None:
        self.name = name
        self.parser = SheetParser(book.where, book.budget, book.convert, width=None)
        self.problems: list[RowProblem] = []
        self._items = book.sheet_items(part, self.parser)
        self._next: tuple[int, Row] | None = None
        self.head: Cells = []
        self._read_head(scan_rows)

    def _pull(self) -> tuple[int, Row] | None:
        """The next row that holds something (problems set aside), or None at the end."""
        if self._next is not None:
            row, self._next = self._next, None
            return row
        for item in self._items:
            if isinstance(item, RowProblem):
                self.problems.append(item)
            else:
                return item
        return None

    def _read_head(self, scan_rows: int) -> None:
        """Rows 1..scan_rows; all of the sheet when those are blank (a sheet may start low)."""
        head: Cells = self.head
        filled = False
        while (item := self._pull()) is not None:
            number, row = item
            if number > scan_rows and filled:
                self._next = item
                break
            head.extend([_EMPTY] * (number - 1 - len(head)))
            head.append(row)
            filled = filled or any(c not in (None, "") for c in row)
        # The head rows share one width (as a sheet shows them), and later rows are
        # cut to it: the header is among these rows, and cells right of the
        # header's columns have no name to be read by.
        width = max((len(r) for r in head), default=0)
        self.head = [r + [None] * (width - len(r)) if r else _EMPTY for r in head]
        self.parser.width = width

    def has_data(self) -> bool:
        """Whether any cell of the sheet holds something."""
        return any(any(c not in (None, "") for c in row) for row in self.head)

    @property
    def cut_rows(self) -> int:
        """How many rows had cells right of the head's last column (left out)."""
        return self.parser.cut_rows

    def __iter__(self) -> Iterator[tuple[int, Row]]:
        while (item := self._pull()) is not None:
            yield item


def read_xlsx(
    book: Workbook, sheet: str | None, usable: SheetTest | None = None, scan_rows: int = 45
) -> SheetRows:
    """The sheet to import: the named one; else the first whose first rows pass `usable`.

    `usable` tests a header with a text column; failing that, the first sheet
    with data. Only the first `scan_rows` rows of each sheet are read to choose.
    """
    names = book.names
    if sheet is not None and sheet not in names:
        raise ImportProblem(
            f"{book.where}: there is no sheet {sheet!r}; "
            f"the sheets are {', '.join(map(repr, names))}. Use --sheet NAME."
        )
    fallback: tuple[str, str] | None = None
    for name, part in book.sheets:
        if sheet is not None and name != sheet:
            continue
        if part is None:
            if sheet:
                raise ImportProblem(
                    f"{book.where}: sheet {sheet!r} is a chart, not a table of replies; "
                    "choose a sheet with data (--sheet NAME)."
                )
            continue  # a chart sheet: nothing to read
        rows = SheetRows(book, name, part, scan_rows)
        if not rows.has_data():
            continue
        if sheet or usable is None or usable(rows.head):
            return rows
        fallback = fallback or (name, part)
    if fallback is None:
        raise ImportProblem(f"{book.where}: the workbook has no data in any sheet.")
    return SheetRows(book, *fallback, scan_rows)
