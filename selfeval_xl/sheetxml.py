"""One pass over a worksheet's XML for what calamine does not give.

calamine returns saved values only: no formula text, and error cells (``#DIV/0!``) come back
empty. ``scan_sheet`` reads the sheet part once with a regular-expression tokenizer (the part has
already been checked for DTDs by intake, and nothing here expands anything) and returns the real
extent of the cells, their count, every formula with its saved value, and every error value.
It never allocates by the sheet's declared ``<dimension>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape

from .formulas import ExcelError, Value, a1, col_index, col_letter

__all__ = ["FormulaCell", "SheetScan", "scan_sheet"]


@dataclass(frozen=True, slots=True)
class FormulaCell:
    """A formula as saved: its text (with '='), and the value a spreadsheet saved for it,
    if any (tools that do not calculate save none)."""

    text: str
    saved: Value
    has_saved: bool


@dataclass
class SheetScan:
    cells: int = 0
    max_row: int = 0
    max_col: int = 0
    min_row: int = 0
    min_col: int = 0
    formulas: dict[str, FormulaCell] = field(default_factory=dict)  # A1 -> formula
    errors: dict[str, str] = field(default_factory=dict)  # A1 -> '#DIV/0!' (typed or computed)

    @property
    def span(self) -> int:
        """Cells a reader that starts at A1 allocates: rows x columns up to the last real cell."""
        return self.max_row * self.max_col

    @property
    def extent(self) -> str:
        if not self.cells:
            return ""
        return f"{a1(self.min_row, self.min_col)}:{a1(self.max_row, self.max_col)}"


_TOKEN = re.compile(
    rb"<(?:\w+:)?row\b([^>]*?)/?>"  # 1: row attributes
    rb"|<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)",  # 2: cell attributes, 3: cell content
    re.S,
)
_ATTR = re.compile(rb'\b(r|t|s)\s*=\s*"([^"]*)"')
_F = re.compile(rb"<(?:\w+:)?f\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)
_F_ATTR = re.compile(rb'\b(t|si|ref)\s*=\s*"([^"]*)"')
_V = re.compile(rb"<(?:\w+:)?v\b[^>]*>(.*?)</(?:\w+:)?v>", re.S)
_REF = re.compile(rb"^([A-Z]{1,3})(\d+)$")


def _sheet_data(xml: bytes) -> bytes:
    start = re.search(rb"<(?:\w+:)?sheetData\b", xml)
    if not start:
        return b""
    end = re.search(rb"</(?:\w+:)?sheetData>", xml[start.end():])
    return xml[start.end(): start.end() + end.start()] if end else xml[start.end():]


_REAL_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})(\d+)"[^>]*(?<!/)>')
_CELL_WITHOUT_REF = re.compile(rb'<(?:\w+:)?c(?=[\s/>])(?![^>]*\br=")')
_CELL_START = re.compile(rb"<(?:\w+:)?c\b([^>]*)>")
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*?\bt="e"[^>]*)>(.*?)</(?:\w+:)?c>', re.S)


def scan_sheet(xml: bytes) -> SheetScan:
    """Scan a worksheet part. The common case (every cell has its ``r`` address, as every
    spreadsheet program writes) runs at regular-expression speed; anything else is walked
    cell by cell."""
    data = _sheet_data(xml)
    if _CELL_WITHOUT_REF.search(data):
        return _scan_walk(data)
    out = SheetScan()
    refs = _REAL_CELL.findall(data)
    if refs:
        rows = [int(r) for _, r in refs]
        letters = {c for c, _ in refs}
        cols = [col_index(c.decode()) for c in letters]
        out.cells = len(refs)
        out.max_row, out.min_row = max(rows), min(rows)
        out.max_col, out.min_col = max(cols), min(cols)
    shared: dict[bytes, tuple[str, int, int]] = {}
    followers: list[tuple[str, bytes, bytes, bytes | None]] = []
    for fm in _F.finditer(data):
        start = data.rfind(b"<", 0, fm.start())
        cm = _CELL_START.match(data, start)
        if not cm:
            return _scan_walk(data)
        attrs = dict(_ATTR.findall(cm.group(1)))
        ref = attrs.get(b"r", b"")
        rm = _REF.match(ref)
        if not rm:
            return _scan_walk(data)
        end = _CELL_END.search(data, fm.end())
        vm = _V.search(data, fm.end(), end.start() if end else len(data))
        raw_v = vm.group(1) if vm else None
        t = attrs.get(b"t", b"n")
        cell = ref.decode()
        fattrs = dict(_F_ATTR.findall(fm.group(1)))
        text = unescape((fm.group(2) or b"").decode("utf-8", "replace"))
        if fattrs.get(b"t") == b"shared":
            si = fattrs.get(b"si", b"")
            r, c = int(rm.group(2)), col_index(rm.group(1).decode())
            if text:
                shared[si] = (text, r, c)
            else:
                followers.append((cell, si, t, raw_v))
                continue
        out.formulas[cell] = FormulaCell("=" + text, _saved_value(t, raw_v), raw_v is not None)
    for cell, si, t, raw_v in followers:
        if si in shared:
            r, c = _split(cell)
            out.formulas[cell] = FormulaCell("=" + _translate(shared[si], r, c), _saved_value(t, raw_v),
                                             raw_v is not None)
    for em in _ERROR_CELL.finditer(data):
        ref = dict(_ATTR.findall(em.group(1))).get(b"r", b"")
        vm = _V.search(em.group(2))
        if ref and vm:
            out.errors[ref.decode()] = unescape(vm.group(1).decode("utf-8", "replace")).strip()
    return out


def _scan_walk(data: bytes) -> SheetScan:
    """Cell by cell, for sheets whose cells do not all carry their address."""
    out = SheetScan()
    row = 0
    col = 0
    min_row = min_col = 1 << 30
    shared: dict[bytes, tuple[str, int, int]] = {}  # si -> (master text, row, col)
    pending: list[tuple[str, bytes, bytes, bytes]] = []  # followers seen before their master
    for m in _TOKEN.finditer(data):
        if m.group(1) is not None:  # <row>
            r = dict(_ATTR.findall(m.group(1))).get(b"r")
            row = int(r) if r and r.isdigit() else row + 1
            col = 0
            continue
        attrs = dict(_ATTR.findall(m.group(2)))
        ref = attrs.get(b"r")
        rm = _REF.match(ref) if ref else None
        if rm:
            col = col_index(rm.group(1).decode())
            if int(rm.group(2)) != row and row == 0:
                row = int(rm.group(2))
            row_of_cell = int(rm.group(2))
        else:
            col += 1
            row_of_cell = max(row, 1)
        content = m.group(3) or b""
        if not content and b"t" not in attrs:
            continue  # a styled empty cell: not a real cell
        out.cells += 1
        out.max_row = max(out.max_row, row_of_cell)
        out.max_col = max(out.max_col, col)
        min_row = min(min_row, row_of_cell)
        min_col = min(min_col, col)
        cell = f"{col_letter(col)}{row_of_cell}"
        t = attrs.get(b"t", b"n")
        fm = _F.search(content) if b"<" in content else None
        vm = _V.search(content) if content else None
        raw_v = vm.group(1) if vm else None
        saved = _saved_value(t, raw_v)
        if t == b"e" and raw_v:
            out.errors[cell] = unescape(raw_v.decode("utf-8", "replace")).strip()
        if fm:
            fattrs = dict(_F_ATTR.findall(fm.group(1)))
            text = unescape((fm.group(2) or b"").decode("utf-8", "replace"))
            if fattrs.get(b"t") == b"shared":
                si = fattrs.get(b"si", b"")
                if text:
                    shared[si] = (text, row_of_cell, col)
                elif si in shared:
                    text = _translate(shared[si], row_of_cell, col)
                else:
                    pending.append((cell, si, t, raw_v or b""))
                    continue
            out.formulas[cell] = FormulaCell("=" + text, saved, raw_v is not None)
    for cell, si, t, raw_v in pending:
        if si in shared:
            r, c = _split(cell)
            out.formulas[cell] = FormulaCell("=" + _translate(shared[si], r, c), _saved_value(t, raw_v or None),
                                             bool(raw_v))
    if out.cells:
        out.min_row, out.min_col = min_row, min_col
    return out


def _split(cell: str) -> tuple[int, int]:
    m = re.match(r"([A-Z]+)(\d+)", cell)
    assert m
    return int(m.group(2)), col_index(m.group(1))


def _saved_value(t: bytes, raw: bytes | None) -> Value:
    if raw is None:
        return None
    text = unescape(raw.decode("utf-8", "replace"))
    if t == b"e":
        return ExcelError(text.strip())
    if t in (b"str", b"inlineStr", b"s"):
        return text  # formula results are stored inline (t="str"); 's' is a shared-string index
    if t == b"b":
        return text.strip() == "1"
    try:
        return float(text)
    except ValueError:
        return text


def _translate(master: tuple[str, int, int], row: int, col: int) -> str:
    """A shared formula as it reads in a follower cell (relative references moved)."""
    from openpyxl.formula.translate import Translator

    text, mrow, mcol = master
    try:
        return Translator("=" + text, origin=a1(mrow, mcol)).translate_formula(a1(row, col))[1:]
    except Exception:  # noqa: BLE001 - an untranslatable formula is compared as it is
        return text
