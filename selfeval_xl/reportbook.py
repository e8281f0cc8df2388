"""What the workbooks we write for people share (the auditor's summary, the consolidation).

An XlsxWriter workbook that never turns text into a formula or a link, with a fixed creation date
(the output is reproducible), the house formats, and sheets of a worksheet class tuned for large
tables (``FastSheet``: proved byte-identical to stock XlsxWriter in tests/test_summary.py).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import CellFormulaTuple, CellNumberTuple, CellStringTuple, Worksheet

from .safe import clean_text

__all__ = ["CREATED", "FastSheet", "ReportBook", "escape", "hyperlink"]

CREATED = _dt.datetime(2026, 1, 1)
#: column widths (characters) a landscape A4 page takes at a readable scale, and the scale of a wider table
FIT_WIDTH = 200
WIDE_SCALE = 85
_STRING, _NUMBER, _FORMULA = CellStringTuple, CellNumberTuple, CellFormulaTuple


class FastSheet(Worksheet):
    """An XlsxWriter worksheet (through its ``worksheet_class`` hook) tuned for big tables.

    - Its formulas are our own HYPERLINK(...) calls, written as given: XlsxWriter runs ~30
      regular-expression substitutions on every formula to expand newer Excel functions, and a
      sheet of 100,000 links spent most of its time there.
    - Shared-string, number and text-result formula cells are written without escaping their
      attributes: a cell's attributes are an A1 reference and a style index, which never need it.
      Every other cell (an inline string of ``constant_memory`` mode too) goes through XlsxWriter.
    """

    _styles: dict | None = None

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
        elif (kind is not _STRING and kind is not _NUMBER) or (not fmt and (row in self.row_info or col in self.col_info)) \
                or (kind is _STRING and self.constant_memory):  # an inline string: XlsxWriter escapes it
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


class ReportBook:
    """A workbook for people, with the house formats in ``self.f``."""

    def __init__(self, path: Path, title: str, comments: str = "", extra: dict[str, dict] | None = None,
                 constant_memory: bool = False):
        """``constant_memory``: XlsxWriter's mode that writes each sheet's rows to a temporary file
        as they are finished (rows must then be written in order, each sheet's top to bottom)."""
        self.wb = xlsxwriter.Workbook(str(path), {
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
            "constant_memory": constant_memory,
        })
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
        self.f = {name: self.wb.add_format(spec) for name, spec in specs.items()}
        self.title = title

    def sheet(self, name: str, widths: Sequence[float], *, header_rows: int = 1, key_columns: int = 0,
              fit: bool | None = None) -> FastSheet:
        """A sheet set up for paper: A4 landscape, the title, page numbers and the print date in the
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
        ws.set_footer(f'&L&"宋体"&8{title} · {name.replace("&", "&&")}&C&"宋体"&8第 &P 页，共 &N 页&R&"宋体"&8打印日期 &D',
                      {"margin": 0.25})
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

    def number(self, ws: Worksheet, row: int, col: int, value: Any, fmt: str) -> None:
        """A number, or a formatted blank for anything else (a value that is not finite included)."""
        if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < float("inf"):
            ws.write_number(row, col, value, self.f[fmt])
        else:
            ws.write_blank(row, col, None, self.f[fmt])
