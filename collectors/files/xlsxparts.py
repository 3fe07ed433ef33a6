"""The pieces of the bounded XLSX reader: expat handlers for shared strings, styles and sheets.

Each part is streamed through expat in small chunks (collectors.files.xlsx
says why): text is kept only up to the cell limit, every row built is counted
against the workbook's budget, and DOCTYPEs (entity tricks) are refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any
from xml.parsers import expat

from collectors.errors import ImportProblem
from collectors.files.readers import EXCEL_COLUMNS, MAX_CELL_BYTES

MAX_ROWS = 1_048_576  # Excel's last row
# A workbook cell is never read beyond this: Excel itself stops at 32,767
# characters, and no reply is longer, so the rows holding one are rejected
# before the text is copied anywhere (a CSV cell may be 64 MB: CELL_LIMIT_BYTES).
XLSX_CELL_LIMIT = MAX_CELL_BYTES
SLOT_BYTES = 8  # what one cell slot of a row costs, empty or not
CHUNK = 1 << 16  # bytes of XML fed to expat at a time

Row = list[str | None]


def expansion_budget(file_size: int) -> int:
    """What a workbook may expand to (characters plus 8 per cell slot): 128 MB + 8x its size."""
    return 128_000_000 + 8 * file_size


@dataclass
class Oversized:
    """A shared string or cell over the cell limit: only its size is kept."""

    chars: int  # characters (UTF-8 bytes when those pass the limit first)


@dataclass
class RowProblem:
    """A row that could not be read (a cell over the limit), for `rejects`."""

    row_no: int
    reason: str
    raw: str


_LOCAL: dict[str, str] = {}


def local_name(name: str) -> str:
    """An XML name without its namespace prefix ('x:row' -> 'row'); cached, as names repeat."""
    local = _LOCAL.get(name)
    if local is None:
        local = name.rpartition(":")[2]
        if len(_LOCAL) < 10_000:
            _LOCAL[name] = local
    return local


def attr(attrs: dict[str, str], local: str) -> str | None:
    """An attribute by its local name, whatever its namespace prefix."""
    if local in attrs:
        return attrs[local]
    return next((v for k, v in attrs.items() if local_name(k) == local), None)


def refuse_dtd(*_args: object) -> None:
    # Workbooks never carry a DTD; refusing one rules out entity expansion tricks.
    raise ImportProblem("a DOCTYPE inside the workbook")


def feed(member: IO[bytes], parser: Any, after_chunk: Callable[[], None] | None = None) -> None:
    """Feed a zip member to an expat parser in CHUNK pieces (never the whole member at once)."""
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    while True:
        chunk = member.read(CHUNK)
        parser.Parse(chunk, not chunk)
        if after_chunk is not None:
            after_chunk()
        if not chunk:
            return


def _column(ref: str) -> int:
    """1-based column of a cell reference such as 'AB12' (0 if it has no letters)."""
    col = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            col = col * 26 + ord(ch) - 64
        elif "a" <= ch <= "z":
            col = col * 26 + ord(ch) - 96
        else:
            break
    return col


class Budget:
    """Counts what reading a workbook has built; refuses when it passes the budget."""

    def __init__(self, where: str, limit: int) -> None:
        self.where = where
        self.limit = limit
        self.used = 0

    def spend(self, amount: int, rows: int) -> None:
        self.used += amount
        if self.used > self.limit:
            raise ImportProblem(
                f"{self.where}: the workbook expands to more than {self.limit / 1e6:.0f} MB of "
                f"cells (after {rows:,} rows) from a much smaller file: it is damaged or not an "
                "export. If it is a real export, open it in Excel and save it as CSV UTF-8, then "
                "import the CSV."
            )


class CellText:
    """Character data of one string or cell, kept up to the cell limit."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.chars = 0

    def add(self, data: str) -> None:
        self.chars += len(data)
        if self.chars <= XLSX_CELL_LIMIT:
            self.parts.append(data)
        else:
            self.parts = []  # over the limit: only the size is kept from here on

    def value(self) -> str | Oversized:
        if self.chars > XLSX_CELL_LIMIT:
            return Oversized(self.chars)
        text = "".join(self.parts)
        if self.chars * 4 > XLSX_CELL_LIMIT and len(text.encode("utf-8")) > XLSX_CELL_LIMIT:
            return Oversized(len(text.encode("utf-8")))
        return text


def read_shared_strings(member: IO[bytes], budget: Budget) -> list[str | Oversized]:
    """The shared strings table; strings over the cell limit are kept as their size only."""
    strings: list[str | Oversized] = []
    state: dict[str, Any] = {"text": None, "phonetic": 0, "in_t": False}

    def start(name: str, _attrs: dict[str, str]) -> None:
        tag = local_name(name)
        if tag == "si":
            state["text"] = CellText()
        elif tag == "rPh":
            state["phonetic"] += 1  # phonetic guides are not part of the text
        elif tag == "t" and state["text"] is not None and not state["phonetic"]:
            state["in_t"] = True

    def end(name: str) -> None:
        tag = local_name(name)
        if tag == "t":
            state["in_t"] = False
        elif tag == "rPh":
            state["phonetic"] -= 1
        elif tag == "si" and state["text"] is not None:
            value = state["text"].value()
            if isinstance(value, str):
                value = value.replace("x005F_", "")  # as openpyxl reads it
                budget.spend(len(value) + 50, 0)
            strings.append(value)
            state["text"] = None

    def data(text: str) -> None:
        if state["in_t"]:
            state["text"].add(text)

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    feed(member, parser)
    return strings


@dataclass
class Styles:
    """Which cell styles show numbers as dates (and which as durations)."""

    dates: set[int] = field(default_factory=set)
    durations: set[int] = field(default_factory=set)


def read_styles(member: IO[bytes]) -> Styles:
    """The cell styles (cellXfs) whose number format is a date or a duration."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

    custom: dict[int, str] = {}
    formats: list[int] = []
    depth = {"xfs": 0}

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = local_name(name)
        if tag == "numFmt":
            custom[int(attrs.get("numFmtId", "0") or 0)] = attrs.get("formatCode", "")
        elif tag == "cellXfs":
            depth["xfs"] += 1
        elif tag == "xf" and depth["xfs"]:
            formats.append(int(attrs.get("numFmtId", "0") or 0))

    def end(name: str) -> None:
        if local_name(name) == "cellXfs":
            depth["xfs"] -= 1

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    feed(member, parser)
    styles = Styles()
    for index, fmt_id in enumerate(formats):
        code = custom.get(fmt_id, BUILTIN_FORMATS.get(fmt_id))
        if is_date_format(code):
            styles.dates.add(index)
        if is_timedelta_format(code):
            styles.durations.add(index)
    return styles


def number_value(text: str) -> int | float:
    """A number cell's value as openpyxl reads it: int unless it has a point or an exponent."""
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


@dataclass
class Cell:
    """The cell being read: its column, type and style, and the text of its value."""

    col: int
    kind: str
    style: int
    value: CellText | None = None
    inline: CellText | None = None


Converter = Callable[[Cell, str], "str | Oversized | None"]


class SheetParser:
    """expat handlers turning a worksheet's XML into (row number, cells) as each row ends."""

    def __init__(self, where: str, budget: Budget, convert: Converter, width: int | None) -> None:
        self.where = where
        self.budget = budget
        self.convert = convert
        self.width = width  # cells right of this column are left out (None: keep all)
        self.done: list[tuple[int, Row] | RowProblem] = []
        self.row_no = 0
        self.col = 0
        self.values: dict[int, str | Oversized] = {}
        self.cell: Cell | None = None
        self.in_inline_t = False
        self.phonetic = 0
        self.cut_rows = 0  # rows with cells right of `width`

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = local_name(name)
        cell = self.cell
        if tag == "c":
            self._start_cell(attrs)
        elif cell is None:
            if tag == "row":
                self._start_row(attrs)
        elif tag == "v":
            cell.value = CellText()
        elif tag == "is":
            cell.inline = CellText()
        elif tag == "rPh":
            self.phonetic += 1
        elif tag == "t" and cell.inline is not None and not self.phonetic:
            self.in_inline_t = True

    def data(self, text: str) -> None:
        cell = self.cell
        if cell is None:
            return
        if self.in_inline_t and cell.inline is not None:
            cell.inline.add(text)
        elif cell.value is not None and cell.inline is None:
            cell.value.add(text)

    def end(self, name: str) -> None:
        tag = local_name(name)
        if tag == "c" and self.cell is not None:
            self._end_cell(self.cell)
            self.cell = None
        elif tag == "t":
            self.in_inline_t = False
        elif tag == "rPh":
            self.phonetic -= 1
        elif tag == "row":
            self._end_row()

    def _start_row(self, attrs: dict[str, str]) -> None:
        r = attrs.get("r")  # the schema's own attributes carry no prefix
        number = int(r) if r and r.isdigit() else self.row_no + 1
        # Rows out of order would reuse a number: keep them after the previous one.
        self.row_no = max(number, self.row_no + 1)
        if self.row_no > MAX_ROWS:
            raise ImportProblem(
                f"{self.where}: the sheet has a row numbered {self.row_no:,}, beyond "
                f"Excel's last row ({MAX_ROWS:,}): the file is damaged or was not written by a "
                "spreadsheet program. Export the data as CSV instead, and import that."
            )
        self.values = {}
        self.col = 0

    def _start_cell(self, attrs: dict[str, str]) -> None:
        ref = attrs.get("r")
        col = _column(ref) if ref else 0
        col = col or self.col + 1
        if col > EXCEL_COLUMNS:
            raise ImportProblem(
                f"{self.where}: cell {ref} of row {self.row_no:,} is beyond Excel's last "
                "column (XFD): the file is damaged. Open it in Excel and save it again, or export "
                "it as CSV."
            )
        self.col = col
        style = attrs.get("s")
        self.cell = Cell(col, attrs.get("t") or "n", int(style) if style and style.isdigit() else 0)

    def _end_cell(self, cell: Cell) -> None:
        if self.width is not None and cell.col > self.width:
            if cell.value is not None or cell.inline is not None:
                self.values[cell.col] = ""  # counted as cut when the row ends
            return
        if cell.kind == "inlineStr":
            value: str | Oversized | None = cell.inline.value() if cell.inline else None
        else:
            raw = cell.value.value() if cell.value is not None else None
            value = self.convert(cell, raw) if isinstance(raw, str) and raw else raw or None
        if value is not None:
            self.values[cell.col] = value

    def _end_row(self) -> None:
        values = self.values
        self.values = {}
        if not values:
            return
        if self.width is not None and max(values) > self.width:
            values = {c: v for c, v in values.items() if c <= self.width}
            self.cut_rows += 1
            if not values:
                return
        row: Row = [None] * max(values)
        big = []
        used = SLOT_BYTES * len(row)
        for col, value in values.items():
            if isinstance(value, Oversized):
                big.append((col, value))
            else:
                row[col - 1] = value
                used += len(value)
        self.budget.spend(used, self.row_no)
        if big:
            self.done.append(_oversized_row(self.row_no, row, big))
        else:
            self.done.append((self.row_no, row))


def column_name(col: int) -> str:
    name = ""
    while col:
        col, rest = divmod(col - 1, 26)
        name = chr(65 + rest) + name
    return name


def _oversized_row(row_no: int, row: Row, big: list[tuple[int, Oversized]]) -> RowProblem:
    """The reject for a row with cells over the limit (the other cells are kept, cut short)."""
    col, size = big[0]
    shown = list(row)
    for c, s in big:
        shown[c - 1] = f"[a cell of {s.chars / 1e6:.1f} MB, not kept]"
    return RowProblem(
        row_no,
        f"cell {column_name(col)}{row_no} holds {size.chars / 1e6:.1f} MB of text, "
        "more than a workbook cell is read (1 MB; Excel's own limit is 32,767 characters): "
        "the row was not read",
        json.dumps(shown, ensure_ascii=False)[:10_000],
    )
