"""What the workbooks we write for people share (the auditor's summary, the consolidation).

An XlsxWriter workbook that never turns text into a formula or a link, with a fixed creation date
(the output is reproducible), the house formats, and sheets of a worksheet class tuned for large
tables (``FastSheet``: proved byte-identical to stock XlsxWriter in tests/test_summary.py).

Text goes into a shared-strings table, as Excel writes it, in both of XlsxWriter's modes. Its
``constant_memory`` mode would write every text inline in its cell, which WPS of 2021-22 refused
to open (php-ext-xlswriter #398, #401, #432) and Excel rewrites on saving; there the table is a
``SharedStrings`` written to a file as it grows, holding in memory only the texts met lately (a
text met again after many others is written again: the format allows a table to hold a text
twice), and spliced into the package by its writer.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import _utf16_len, _utf16_truncate, xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import CellFormulaTuple, CellNumberTuple, CellStringTuple, Worksheet

from selfeval_xl.core.numbers import points_format
from selfeval_xl.core.sanitize import clean_text

__all__ = ["CREATED", "FORMULA_TEXT_MAX", "FastSheet", "ReportBook", "SharedStrings", "escape", "hyperlink", "link"]

CREATED = _dt.datetime(2026, 1, 1)
#: column widths (characters) a landscape A4 page takes at a readable scale, and the scale of a wider table
FIT_WIDTH = 200
WIDE_SCALE = 85
_STRING, _NUMBER, _FORMULA = CellStringTuple, CellNumberTuple, CellFormulaTuple


_SST_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#: characters XML 1.0 text cannot hold or would change (a carriage return becomes a line feed) and
#: an underscore that would read as the start of an _xHHHH_ escape: written as ECMA-376 escapes
_ESCAPED = re.compile(r"[\x00-\x08\x0b-\x1f]|_(?=x[0-9A-Fa-f]{4}_)")


def _escape_text(text: str) -> str:
    if _ESCAPED.search(text):
        text = _ESCAPED.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return escape(text)


class SharedStrings:
    """A shared-strings table written to ``path`` as it grows (XlsxWriter's ``str_table`` in
    constant-memory mode: ``FastSheet`` asks it for each text's index).

    The texts met lately are kept in two generations of ``GENERATION`` each (the older one
    dropped when the newer is full): a text that comes back often (a level, a code, a sheet name,
    a unit's name in each of its findings) keeps its index; one met again after tens of thousands
    of others gets a new entry. Memory stays flat whatever the number of texts."""

    GENERATION = 1 << 13

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fh = open(self.path, "w", encoding="utf-8", newline="")
        self.count = 0  # cells that refer to the table
        self.unique_count = 0  # entries written
        self._recent: dict[str, int] = {}
        self._older: dict[str, int] = {}
        self.string_array: list[str] = []  # what XlsxWriter itself would write: nothing (ours is spliced in)

    def index(self, text: str) -> int:
        self.count += 1
        hit = self._recent.get(text)
        if hit is None:
            hit = self._older.get(text)
            if hit is None:
                hit = self.unique_count
                self.unique_count += 1
                space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
                self._fh.write(f"<si><t{space}>{_escape_text(text)}</t></si>")
            if len(self._recent) >= self.GENERATION:
                self._older, self._recent = self._recent, {}
            self._recent[text] = hit
        return hit

    _get_shared_string_index = index  # XlsxWriter's name

    def _sort_string_data(self) -> None:
        """XlsxWriter's last step before writing the table: ours is written already."""

    def close(self) -> None:
        self._fh.close()

    def head(self) -> bytes:
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{_SST_NS}" '
                f'count="{self.count}" uniqueCount="{self.unique_count}">').encode()

    def chunks(self, block: int = 1 << 18) -> Iterable[bytes]:
        """The table's part, in pieces (the entries are read back from the file)."""
        yield self.head()
        with open(self.path, "rb") as fh:
            yield from iter(lambda: fh.read(block), b"")
        yield b"</sst>"

    def discard(self) -> None:
        self._fh.close()
        self.path.unlink(missing_ok=True)


class FastSheet(Worksheet):
    """An XlsxWriter worksheet (through its ``worksheet_class`` hook) tuned for big tables.

    - Its formulas are our own HYPERLINK(...) calls, written as given: XlsxWriter runs ~30
      regular-expression substitutions on every formula to expand newer Excel functions, and a
      sheet of 100,000 links spent most of its time there.
    - Shared-string, number and text-result formula cells are written without escaping their
      attributes: a cell's attributes are an A1 reference and a style index, which never need it.
      Every other cell goes through XlsxWriter.
    - In ``constant_memory`` mode with a ``SharedStrings`` table, text is a shared string too.
    """

    _styles: dict | None = None
    constant_memory: bool | int

    def _write_string(self, row, col, string, cell_format=None):
        if not (self.constant_memory and isinstance(self.str_table, SharedStrings)):
            return super()._write_string(row, col, string, cell_format)
        if self._check_dimensions(row, col):
            return -1
        error = 0
        if len(string) > self.xls_strmax // 2 and _utf16_len(string) > self.xls_strmax:
            string, error = _utf16_truncate(string, self.xls_strmax), -2
        index = self.str_table.index(string)
        if row > self.previous_row:
            self._write_single_row(row)
        self.table[row][col] = CellStringTuple(index, cell_format)
        return error

    def _prepare_formula(self, formula, expand_future_functions=False):
        return formula[1:] if formula.startswith("=") else formula

    def put_string(self, row: int, col: int, text: str, fmt: Format | None) -> None:
        """write_string for (row, col) integers, without the A1-argument decoding."""
        self._write_string(row, col, text, fmt)

    def _write_cell(self, row, col, cell):
        kind = cell.__class__
        fmt = cell.format
        if kind is _FORMULA and isinstance(cell.value, str) and cell.value and cell.value[0] != "#" and fmt:
            pass  # a formula with a text result (our links): below
        elif kind is _STRING and self.constant_memory and not isinstance(cell.string, int):
            return super()._write_cell(row, col, cell)  # an inline string (no SharedStrings): XlsxWriter escapes it
        elif (kind is not _STRING and kind is not _NUMBER) or (not fmt and (row in self.row_info or col in self.col_info)):
            if kind is _STRING and self.constant_memory:  # an index into our SharedStrings: a shared string
                self.constant_memory = False
                try:
                    return super()._write_cell(row, col, cell)
                finally:
                    self.constant_memory = True
            return super()._write_cell(row, col, cell)
        if self._styles is None:
            self._styles = {}
        style = self._styles.get(fmt)
        if style is None:
            style = self._styles[fmt] = f' s="{fmt._get_xf_index()}"' if fmt else ""
        ref = xl_rowcol_to_cell_fast(row, col)
        if kind is _STRING:
            self.fh.write(f'<c r="{ref}"{style} t="s"><v>{cell.string}</v></c>')
        elif kind is _NUMBER:
            self.fh.write(f'<c r="{ref}"{style}><v>{cell.number:.16G}</v></c>')
        else:
            self.fh.write(f'<c r="{ref}"{style} t="str"><f>{escape(cell.formula)}</f><v>{escape(cell.value)}</v></c>')


def escape(text: str) -> str:
    """Element text as XlsxWriter escapes it (quotes stay as they are)."""
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def hyperlink(target: str, text: str) -> str:
    """A HYPERLINK formula (the target is ours: our file names and standard sheet names)."""
    return f"=HYPERLINK({_quote(target)},{_quote(text)})"


#: the longest text a formula may hold (Excel "repairs" a workbook with a longer one, removing the
#: formula; writexl #91, Excel::Writer::XLSX #26), counted as written, quotes doubled
FORMULA_TEXT_MAX = 255


def link(target: str, text: str) -> tuple[str, str] | None:
    """A HYPERLINK formula to ``target`` showing ``text``, and the text it shows (cut to what a
    formula can hold, ending in "…"); None when the target itself is too long for a formula: the
    caller writes the text without a link."""
    if len(target.replace('"', '""')) > FORMULA_TEXT_MAX:
        return None
    if len(text.replace('"', '""')) > FORMULA_TEXT_MAX:
        text = text[:FORMULA_TEXT_MAX - 1]
        while len(text.replace('"', '""')) > FORMULA_TEXT_MAX - 1:
            text = text[:-1]
        text += "…"
    return hyperlink(target, text), text


def made_on() -> _dt.date:
    """The date a workbook is written (``SOURCE_DATE_EPOCH``, the reproducible-builds convention,
    when it is set: a rebuilt output is then byte for byte the same)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), _dt.UTC).date()
    return _dt.date.today()


class ReportBook:
    """A workbook for people, with the house formats in ``self.f``."""

    def __init__(self, path: Path, title: str, comments: str = "", extra: dict[str, dict] | None = None,
                 strings: Path | None = None):
        """``strings``: XlsxWriter's ``constant_memory`` mode, which writes each sheet's rows to a
        temporary file as they are finished (rows must then be written in order, each sheet's top
        to bottom), with the shared strings streamed to the file ``strings`` (``self.strings``:
        its writer splices it into the package)."""
        self.wb = xlsxwriter.Workbook(str(path), {
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
            "constant_memory": strings is not None,
        })
        self.strings = SharedStrings(strings) if strings is not None else None
        if self.strings is not None:
            self.wb.str_table = self.strings  # before any sheet: each sheet takes the workbook's table
        self.wb.set_properties({"title": title, "author": "selfeval-xl", "comments": comments, "created": CREATED})
        base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
        specs = {
            "title": {**base, "font_name": "黑体", "font_size": 16, "bold": True},
            "h2": {**base, "font_name": "黑体", "font_size": 12, "bold": True},
            "header": {**base, "bold": True, "bg_color": "#BDD7EE", "border": 1, "text_wrap": True, "align": "center"},
            "text": {**base, "border": 1},
            "wrap": {**base, "border": 1, "text_wrap": True},
            "int": {**base, "border": 1, "num_format": "0"},
            "score": {**base, "border": 1, "num_format": "0.00"},
            "money": {**base, "border": 1, "num_format": "#,##0.00"},
            "pct": {**base, "border": 1, "num_format": "0.00%"},
            "link": {**base, "border": 1, "font_color": "#0563C1", "underline": 1},
            "note": {**base, "font_color": "#595959"},
            "label": {**base, "border": 1, "bg_color": "#F2F2F2"},
            "warn": {**base, "border": 1, "font_color": "#9C0006", "bg_color": "#FFC7CE"},
        }
        for name, spec in (extra or {}).items():
            specs[name] = {**base, **spec}
        self._specs = specs
        self.f = {name: self.wb.add_format(spec) for name, spec in specs.items()}
        self._points: dict[tuple[str, str], Format] = {}
        self.title = title
        self.made = made_on()

    def sheet(self, name: str, widths: Sequence[float], *, header_rows: int = 1, key_columns: int = 0,
              fit: bool | None = None) -> FastSheet:
        """A sheet set up for paper: A4 landscape, the title, page numbers and the date it was made
        (ISO 8601: a program's own print date, ``&D``, follows its locale, 12/03/2026) in the
        footer, its first ``header_rows`` repeated on every page. A table up to ``FIT_WIDTH`` wide
        is fitted to the page width (or any, with ``fit``: two tables side by side); a wider one is
        printed at ``WIDE_SCALE`` over several pages across, its first ``key_columns`` (the unit)
        repeated on each, never shrunk to unreadable."""
        ws = self.wb.add_worksheet(name, worksheet_class=FastSheet)
        for i, w in enumerate(widths):
            ws.set_column(i, i, w)
        ws.set_paper(9)
        ws.set_landscape()
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
        title = self.title.replace("&", "&&")
        ws.set_footer(f'&L&"宋体"&8{title} · {name.replace("&", "&&")}&C&"宋体"&8第 &P 页，共 &N 页'
                      f'&R&"宋体"&8制表日期 {self.made:%Y-%m-%d}', {"margin": 0.25})
        if header_rows:
            ws.repeat_rows(0, header_rows - 1)
        if fit or (fit is None and sum(widths) <= FIT_WIDTH):
            ws.fit_to_pages(1, 0)
        else:
            ws.set_print_scale(WIDE_SCALE)
            if key_columns:
                ws.repeat_columns(0, key_columns - 1)
        return ws

    def header(self, ws: Worksheet, row: int, names: Iterable[str]) -> None:
        for c, h in enumerate(names):
            ws.write_string(row, c, h, self.f["header"])

    def text(self, ws: FastSheet, row: int, col: int, value: Any, fmt: str = "text", *, blank: bool = False) -> None:
        """Text from a submission: always a string. Empty: nothing, or a formatted blank."""
        if value is not None and value != "":
            ws.put_string(row, col, clean_text(value), self.f[fmt])
        elif blank:
            ws.write_blank(row, col, None, self.f[fmt])

    def points(self, ws: Worksheet, row: int, col: int, value: Any, digits: int, fmt: str = "score") -> None:
        """A score shown as the figure it holds: at the rule set's ``digits`` decimals, more where it
        needs them (``numbers.points_format``: 0.125 at two decimals shows 0.125, never 0.13); the
        house format ``fmt`` otherwise. A formatted blank for anything but a number."""
        if not (isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < float("inf")):
            ws.write_blank(row, col, None, self.f[fmt])
            return
        code = points_format(value, digits)
        key = (fmt, code)
        if key not in self._points:
            self._points[key] = self.wb.add_format({**self._specs[fmt], "num_format": code})
        ws.write_number(row, col, value, self._points[key])

    def number(self, ws: Worksheet, row: int, col: int, value: Any, fmt: str) -> None:
        """A number, or a formatted blank for anything else (a value that is not finite included)."""
        if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < float("inf"):
            ws.write_number(row, col, value, self.f[fmt])
        else:
            ws.write_blank(row, col, None, self.f[fmt])
