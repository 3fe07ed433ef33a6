"""Generators of hostile and broken input files for tests/test_bad_input*.py.

Nothing large is committed: each function writes its file into a test's
tmp_path. XLSX files are written by hand (zipfile + XML), so that they can say
what no spreadsheet program would write (a false <dimension>, rows past
Excel's last, a shared string of hundreds of megabytes) at a tiny size.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
 Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
 Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
 Target="sharedStrings.xml"/>
</Relationships>"""
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
MIB = 1 << 20


def _col(n: int) -> str:
    name = ""
    while n:
        n, rest = divmod(n - 1, 26)
        name = chr(65 + rest) + name
    return name


def cell(ref: str, value: str | int, shared: bool = False) -> str:
    """One <c> element: a shared-string index, an inline string or a number."""
    if shared:
        return f'<c r="{ref}" t="s"><v>{value}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'


def row(number: int, cells: Iterable[str]) -> str:
    """One <row> element."""
    return f'<row r="{number}">{"".join(cells)}</row>'


def text_row(number: int, values: list[str | int]) -> str:
    """A row of inline strings and numbers from column A."""
    return row(number, (cell(f"{_col(i)}{number}", v) for i, v in enumerate(values, 1)))


def write_xlsx(
    path: Path,
    rows: Iterable[str],
    *,
    dimension: str | None = None,
    shared: Iterable[str | tuple[str, int]] = (),
) -> Path:
    """A one-sheet workbook whose sheet XML is the given rows, streamed into the zip.

    `shared` items are strings, or (text, repeat) pairs written `repeat` times
    (a huge string at the cost of a few lines of code and little time).
    """
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
            out.write(f"<sst {_NS}>".encode())
            for item in shared:
                text, repeat = (item, 1) if isinstance(item, str) else item
                out.write(b"<si><t>")
                chunk = escape(text).encode()
                for _ in range(repeat):
                    out.write(chunk)
                out.write(b"</t></si>")
            out.write(b"</sst>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            out.write(f"<worksheet {_NS}>".encode())
            if dimension:
                out.write(f'<dimension ref="{dimension}"/>'.encode())
            out.write(b"<sheetData>")
            buf: list[str] = []
            for r in rows:
                buf.append(r)
                if len(buf) >= 10_000:
                    out.write("".join(buf).encode())
                    buf = []
            out.write("".join(buf).encode())
            out.write(b"</sheetData></worksheet>")
    return path


HEADER = ["id", "text", "likes"]


def xlsx_false_dimension(path: Path) -> Path:
    """1.6 KB: declares A1:XFD1048576, with cells in rows 1, 2 and 1,048,576."""
    return write_xlsx(
        path,
        [
            text_row(1, HEADER),
            text_row(2, ["1", "a reply to keep", 3]),
            text_row(1_048_576, ["2", "the last row Excel has", 1]),
        ],
        dimension="A1:XFD1048576",
    )


def xlsx_huge_shared_string(path: Path, mib: int = 256, uses: int = 5) -> Path:
    """One shared string of `mib` MiB used by `uses` rows, and two good rows after them."""
    rows = [text_row(1, HEADER)]
    rows += [
        row(n, [cell(f"A{n}", str(n)), cell(f"B{n}", 0, shared=True)]) for n in range(2, 2 + uses)
    ]
    rows += [text_row(n, [str(n), f"good reply {n}", 1]) for n in (2 + uses, 3 + uses)]
    return write_xlsx(path, rows, shared=[("x" * MIB, mib)])


def xlsx_rows_past_excel(path: Path, last: int = 20_000_000) -> Path:
    """A few rows, then one numbered `last` (Excel's last row is 1,048,576)."""
    rows = [text_row(1, HEADER), text_row(2, ["1", "a reply", 1])]
    rows.append(text_row(last, ["2", "far below Excel's last row", 1]))
    return write_xlsx(path, rows)


def xlsx_expanding_string(path: Path, rows: int = 200_000) -> Path:
    """One 900 KB shared string used by every row: tiny file, hundreds of GB of cells."""
    body = [text_row(1, HEADER)]
    body += [row(n, [cell(f"A{n}", str(n)), cell(f"B{n}", 0, shared=True)]) for n in range(2, rows)]
    return write_xlsx(path, body, shared=[("y" * 1000, 900)])


def xlsx_wide_rows(path: Path, rows: int = 200_000) -> Path:
    """A header reaching column XFD, then rows with one cell there: 16,384 slots each."""
    body = [row(1, [cell("A1", "id"), cell("B1", "text"), cell("XFD1", "last")])]
    body += [row(n, [cell(f"XFD{n}", "z")]) for n in range(2, rows)]
    return write_xlsx(path, body)


def csv_wide_header(path: Path, columns: int = 100_000) -> Path:
    """About 0.6 MB: a header of `columns` names and one data row."""
    header = ",".join(f"c{i}" for i in range(columns - 1)) + ",text"
    path.write_text(header + "\n" + "," * (columns - 1) + "hello\n", encoding="utf-8")
    return path


def csv_huge_cell(path: Path, mib: int = 65) -> Path:
    """A row with a cell over 64 MB between two good rows."""
    with path.open("w", encoding="utf-8") as out:
        out.write("id,text,likes\n1,first good reply,2\n2,")
        chunk = "z" * MIB
        for _ in range(mib):
            out.write(chunk)
        out.write(",3\n3,second good reply,4\n")
    return path


def deep_json(depth: int) -> str:
    """A JSON object nested `depth` levels deep."""
    return '{"a":' * depth + "1" + "}" * depth


GIB = 1 << 30
ROOT = Path(__file__).resolve().parents[1]


def _rss(pid: int) -> int:
    """Resident memory of a process in bytes (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def measured_run(
    args: list[str],
    tmp: Path,
    *,
    kill_above: int = 2 * GIB,
    timeout: float = 120,
    cwd: Path = ROOT,
) -> tuple[int, str, int]:
    """Run `replyscope ARGS` in a child process: (exit code, stderr+stdout, peak RSS in bytes).

    The peak is the child's own (os.wait4), not this test process's. A child
    passing `kill_above` is killed (the old readers took 8 GB) and reported
    with that peak, so a failing case fails fast without starving the machine.
    """
    import os
    import subprocess
    import sys
    import time

    out_path = tmp / "child-output.txt"
    with out_path.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from cli import main; main()", *args],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        start, peak, killed = time.monotonic(), 0, False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, _rss(proc.pid))
            if not killed and (peak > kill_above or time.monotonic() - start > timeout):
                proc.kill()  # our own child, by its id
                killed = True
            time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    peak = max(peak, usage.ru_maxrss * 1024)
    text = out_path.read_text(encoding="utf-8", errors="replace")
    if killed:
        text += f"\n[killed: {peak / GIB:.2f} GiB or over {timeout} s]"
    return proc.returncode, text, peak
