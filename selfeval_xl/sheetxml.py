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
from operator import itemgetter

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
    """What one pass over a sheet found. ``cells`` counts real cells (with content); the extent
    (min/max row and column) covers every cell element written, styled or not: never smaller than
    what a reader allocates, which is what the limits need."""

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
    i = xml.find(b"<sheetData")
    if i != -1:
        j = xml.find(b">", i)
        k = xml.rfind(b"</sheetData>")
        if j != -1 and xml[j - 1: j] != b"/" and k > j:
            return xml[j + 1: k]
        if j != -1 and xml[j - 1: j] == b"/":
            return b""
    start = re.search(rb"<(?:\w+:)?sheetData\b", xml)
    if not start:
        return b""
    end = re.search(rb"</(?:\w+:)?sheetData>", xml[start.end():])
    return xml[start.end(): start.end() + end.start()] if end else xml[start.end():]


_ANY_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})(\d+)"')
_CELL_CLOSE = re.compile(rb"</(?:\w+:)?c>")
_CELL_WITHOUT_REF = re.compile(rb'<(?:\w+:)?c(?=[\s/>])(?![^>]*\br=")')
_CELL_START = re.compile(rb"<(?:\w+:)?c\b([^>]*)>")
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*?\bt="e"[^>]*)>(.*?)</(?:\w+:)?c>', re.S)


_PLAIN_REF = re.compile(rb'<c r="([A-Z]{1,3})(\d{1,7})"')
_FIRST, _SECOND = itemgetter(0), itemgetter(1)
_PLAIN_F = re.compile(rb"<f\b([^>]*?)(?:/>|>(.*?)</f>)", re.S)
_PLAIN_V = re.compile(rb"<v>(.*?)</v>", re.S)


def scan_sheet(xml: bytes) -> SheetScan:
    """Scan a worksheet part. What every spreadsheet program writes (no namespace prefix, each
    cell's address first: ``<c r="B3" …>``) takes the fast path; a prefixed document, or cells in
    another form, the general one; cells without addresses are walked one by one."""
    data = _sheet_data(xml)
    if b"<c" not in data:
        return SheetScan() if b":c" not in data else _scan_general(data)
    # inside sheetData "<c" only ever opens a cell: all of them addressed first means the fast path
    plain = data.count(b'<c r="')
    if plain and plain == data.count(b"<c") and b":c " not in data:
        return _scan_plain(data)
    if _CELL_WITHOUT_REF.search(data):
        return _scan_walk(data)
    return _scan_general(data)


def _scan_plain(data: bytes) -> SheetScan:
    out = SheetScan()
    refs = _PLAIN_REF.findall(data)
    if refs:
        rows = list(map(int, map(_SECOND, refs)))
        cols = [col_index(c.decode()) for c in set(map(_FIRST, refs))]
        out.cells = data.count(b"</c>")  # a cell with content closes; a styled empty one is "<c …/>"
        out.max_row, out.min_row = max(rows), min(rows)
        out.max_col, out.min_col = max(cols), min(cols)
    shared: dict[bytes, tuple[str, int, int]] = {}
    followers: list[tuple[str, bytes, bytes, bytes | None]] = []
    pos = data.find(b"<f")
    while pos != -1:
        fm = _PLAIN_F.match(data, pos)
        if fm is None:  # "<foo" or similar: not a formula
            pos = data.find(b"<f", pos + 2)
            continue
        start = data.rfind(b'<c r="', 0, pos)
        tag_end = data.find(b">", start)
        if start == -1 or tag_end > pos:
            return _scan_general(data)
        ref = data[start + 6: data.find(b'"', start + 6)]
        t_at = data.find(b' t="', start, tag_end)
        t = data[t_at + 4: data.find(b'"', t_at + 4)] if t_at != -1 else b"n"
        end = data.find(b"</c>", fm.end())
        v_at = data.find(b"<v>", fm.end(), end if end != -1 else len(data))
        raw_v = data[v_at + 3: data.find(b"</v>", v_at)] if v_at != -1 else None
        _add_formula(out, ref.decode(), t, fm, raw_v, shared, followers)
        pos = data.find(b"<f", fm.end())
    _resolve_followers(out, shared, followers)
    if b't="e"' in data:
        _scan_errors(data, out)
    return out


def _add_formula(out: SheetScan, cell: str, t: bytes, fm: re.Match, raw_v: bytes | None,
                 shared: dict, followers: list) -> None:
    attrs = fm.group(1)
    fattrs = dict(_F_ATTR.findall(attrs)) if attrs else {}
    body = fm.group(2) or b""
    text = body.decode("utf-8", "replace")
    if b"&" in body:
        text = unescape(text)
    if fattrs.get(b"t") == b"shared":
        si = fattrs.get(b"si", b"")
        if text:
            r, c = _split(cell)
            shared[si] = (text, r, c)
        else:
            followers.append((cell, si, t, raw_v))
            return
    out.formulas[cell] = FormulaCell("=" + text, _saved_value(t, raw_v), _has_saved(t, raw_v))


def _resolve_followers(out: SheetScan, shared: dict, followers: list) -> None:
    for cell, si, t, raw_v in followers:
        if si in shared:
            r, c = _split(cell)
            out.formulas[cell] = FormulaCell("=" + _translate(shared[si], r, c), _saved_value(t, raw_v),
                                             _has_saved(t, raw_v))


def _has_saved(t: bytes, raw_v: bytes | None) -> bool:
    """Tools that do not calculate write no value, or an empty one."""
    return raw_v is not None and (bool(raw_v.strip()) or t == b"str")


def _scan_errors(data: bytes, out: SheetScan) -> None:
    for em in _ERROR_CELL.finditer(data):
        ref = dict(_ATTR.findall(em.group(1))).get(b"r", b"")
        vm = _V.search(em.group(2))
        if ref and vm:
            out.errors[ref.decode()] = unescape(vm.group(1).decode("utf-8", "replace")).strip()


def _scan_general(data: bytes) -> SheetScan:
    """Any element prefix, attributes in any order."""
    out = SheetScan()
    refs = _ANY_CELL.findall(data)
    if refs:
        rows = [int(r) for _, r in refs]
        cols = [col_index(c.decode()) for c in {c for c, _ in refs}]
        out.cells = len(_CELL_CLOSE.findall(data))
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
        out.formulas[cell] = FormulaCell("=" + text, _saved_value(t, raw_v), _has_saved(t, raw_v))
    _resolve_followers(out, shared, followers)
    _scan_errors(data, out)
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
        out.max_row = max(out.max_row, row_of_cell)  # the extent: every cell element
        out.max_col = max(out.max_col, col)
        min_row = min(min_row, row_of_cell)
        min_col = min(min_col, col)
        if m.group(3) is None:
            continue  # "<c …/>": styled but empty, not a real cell
        out.cells += 1
        content = m.group(3)
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
            out.formulas[cell] = FormulaCell("=" + text, saved, _has_saved(t, raw_v))
    for cell, si, t, raw_v in pending:
        if si in shared:
            r, c = _split(cell)
            out.formulas[cell] = FormulaCell("=" + _translate(shared[si], r, c), _saved_value(t, raw_v or None),
                                             _has_saved(t, raw_v or None))
    if out.max_row:
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
