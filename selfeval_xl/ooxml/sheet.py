"""One worksheet read from its parsed XML: every cell's value, every formula, every error value.

Cells are kept sparse (row -> column -> value), so a sheet whose few cells lie far apart costs what
its cells cost, never what its extent would; more than ``max_cells`` cells with content is F006.
Values are typed as a spreadsheet shows them: numbers (float), text (shared, inline or a formula's
text result), booleans, ``ExcelError`` for error values, ``datetime`` for a number in a date style.
A number that is not finite (``NaN``, ``INF``: no spreadsheet can hold one) reads as ``#NUM!``.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from .errors import Rejected
from .refs import a1, parse_ref, shift_formula
from .xml import Names, XMLElement, decode_xstring, local

__all__ = ["ExcelError", "FormulaCell", "Sheet", "Value", "hidden_lines", "read_sheet", "string_item", "text_of"]


@dataclass(frozen=True, slots=True)
class ExcelError:
    """An Excel error value such as ``#DIV/0!``."""

    code: str

    def __str__(self) -> str:
        return self.code


Value = float | str | bool | None | ExcelError | _dt.datetime


@dataclass(frozen=True, slots=True)
class FormulaCell:
    """A formula as saved: its text (with '='), and the value a spreadsheet saved for it, if any
    (tools that do not calculate save none)."""

    text: str
    saved: Value
    has_saved: bool


@dataclass
class Sheet:
    part: str
    rows: dict[int, dict[int, Value]] = field(default_factory=dict)  # non-empty values only
    formulas: dict[str, FormulaCell] = field(default_factory=dict)  # A1 -> formula
    errors: dict[str, str] = field(default_factory=dict)  # A1 -> '#DIV/0!'
    cells: int = 0  # cells with a value or a formula
    max_row: int = 0
    max_col: int = 0

    def get(self, row: int, col: int) -> Value:
        line = self.rows.get(row)
        return line.get(col) if line else None


NUM_ERROR = ExcelError("#NUM!")
VALUE_ERROR = ExcelError("#VALUE!")


def text_of(el: XMLElement) -> str:
    """An element's text content (comments and processing instructions inside left out)."""
    if len(el):
        return "".join(str(t) for t in el.itertext())
    return el.text or ""


def string_item(si: XMLElement, n: Names) -> str:
    """The text of a shared or inline string: its <t>, or its rich-text runs' <t> (phonetic runs
    left out), with the ``_xHHHH_`` escapes decoded (ST_Xstring: Excel writes a carriage return
    as ``_x000D_``)."""
    t = si.find(n("t"))
    if t is not None:
        return decode_xstring(text_of(t))
    return decode_xstring("".join(text_of(t) for r in si if r.tag == n("r") for t in r if t.tag == n("t")))


def _number(text: str) -> float | ExcelError:
    """An xsd:double as a spreadsheet holds it: finite, or #NUM! (NaN, INF); #VALUE! for text."""
    try:
        x = float(text)
    except ValueError:
        return VALUE_ERROR
    if x - x != 0.0:  # NaN or an infinity
        return NUM_ERROR
    if "_" in text:  # float() reads "1_000"; XML does not
        return VALUE_ERROR
    return x


_EPOCH_1900 = _dt.datetime(1899, 12, 30)
_EPOCH_1904 = _dt.datetime(1904, 1, 1)


def _date(serial: float, date1904: bool) -> Value:
    """A date serial as a datetime (Excel's 1900 system counts a 29 February 1900 that never was);
    a serial outside the years 1900-9999 stays a number."""
    if not 0 <= serial < 2_958_466:
        return serial
    if date1904:
        base = _EPOCH_1904
    else:
        base = _EPOCH_1900 if serial >= 61 else _dt.datetime(1899, 12, 31)
        if serial < 1:
            return serial  # a time of day only
    return base + _dt.timedelta(days=int(serial), seconds=round((serial % 1) * 86400))


def read_sheet(root: XMLElement, part: str, shared: list[str], date_styles: frozenset[int], date1904: bool,
               max_cells: int) -> Sheet:
    n = Names.of(root)
    if local(root.tag) != "worksheet":
        raise Rejected("F003", f"部件 {part} 不是工作表")
    out = Sheet(part)
    data = root.find(n("sheetData"))
    if data is None:
        return out
    ROW, C, V, F, IS = n("row"), n("c"), n("v"), n("f"), n("is")
    masters: dict[str, tuple[str, int, int]] = {}  # shared formula si -> (text, row, col)
    followers: list[tuple[str, int, int, str, Value, bool]] = []
    rows = out.rows
    errors = out.errors
    date_keys = frozenset(str(i) for i in date_styles)
    row_no = 0
    cells = 0
    max_row = max_col = 0
    for row in data:
        if row.tag != ROW:
            continue
        r = row.get("r")
        row_no = _row_number(r, part) if r is not None else row_no + 1
        prev_col = 0  # the previous cell's column, once known
        prev_ref: str | None = None  # the previous cell's address, not parsed yet
        for c in row:
            if c.tag != C:
                continue
            ref = c.get("r")
            if ref is None:
                if prev_ref is not None:
                    prev_col = _position(prev_ref, part)[1]
                    prev_ref = None
                prev_col += 1
                if prev_col > 16_384:
                    raise Rejected("F003", f"工作表 {part} 的单元格超出 Excel 的范围")
                if not len(c):
                    continue
                rr, cc = row_no, prev_col
            else:
                if not len(c):  # <c r="B3" s="1"/>: styled, empty
                    prev_ref = ref
                    continue
                pos = parse_ref(ref) or _position(ref, part)  # parse_ref keeps what it parsed
                rr, cc = pos
                prev_col, prev_ref = cc, None
            t = c.get("t")
            v_el = f_el = is_el = None
            for ch in c:
                tag = ch.tag
                if tag == V:
                    v_el = ch
                elif tag == F:
                    f_el = ch
                elif tag == IS:
                    is_el = ch
            raw = (v_el.text if not len(v_el) else text_of(v_el)) if v_el is not None else None
            if t is None and raw is not None and (not date_styles or c.get("s") not in date_keys):
                value: Value = _number(raw) if raw.strip() else None
            elif t == "s" and raw is not None:
                value = _shared(shared, raw, part)
            else:
                value = _value(t, raw, is_el, c, shared, date_styles, date1904, n, part)
            if f_el is None and value is None:
                continue
            cells += 1
            if cells > max_cells:
                raise Rejected("F006", f"工作表 {part} 的单元格超过 {max_cells:,} 个的限制")
            if rr > max_row:
                max_row = rr
            if cc > max_col:
                max_col = cc
            if value is not None:
                line = rows.get(rr)
                if line is None:
                    line = rows[rr] = {}
                line[cc] = value
                if isinstance(value, ExcelError):
                    errors[a1(rr, cc)] = value.code
            if f_el is not None:
                saved = _saved(t, raw, value)
                has_saved = raw is not None and (bool(raw.strip()) or t == "str")
                text = text_of(f_el)
                if f_el.get("t") == "shared":
                    si = f_el.get("si") or ""
                    if text:
                        masters.setdefault(si, (text, rr, cc))
                    else:
                        followers.append((si, rr, cc, a1(rr, cc), saved, has_saved))
                        continue
                out.formulas[a1(rr, cc)] = FormulaCell("=" + text, saved, has_saved)
    for si, rr, cc, ref, saved, has_saved in followers:
        master = masters.get(si)
        if master is not None:
            text, mr, mc = master
            out.formulas[ref] = FormulaCell("=" + shift_formula(text, rr - mr, cc - mc), saved, has_saved)
    out.cells, out.max_row, out.max_col = cells, max_row, max_col
    return out


#: a row lower than this (points) or a column narrower than this (characters) hides its cells
HIDING_HEIGHT, HIDING_WIDTH = 11.0, 1.0


def hidden_lines(root: XMLElement, rows: set[int], cols: set[int]) -> tuple[list[int], list[int]]:
    """Which of ``rows`` and ``cols`` the sheet hides: hidden, or too low or narrow to show a
    character (rows hidden by default included: a row the sheet does not list has its default)."""
    n = Names.of(root)
    fmt = root.find(n("sheetFormatPr"))
    by_default = fmt is not None and (_flag(fmt.get("zeroHeight"))
                                      or _size(fmt.get("defaultRowHeight"), 15.0) < HIDING_HEIGHT)
    listed: dict[int, bool] = {}
    data = root.find(n("sheetData"))
    row_no = 0
    for row in (data if data is not None else ()):
        if row.tag != n("row"):
            continue
        r = row.get("r")
        row_no = int(r) if r is not None and r.strip().isdigit() else row_no + 1
        if row_no in rows:
            ht = row.get("ht")
            low = _size(ht, 15.0) < HIDING_HEIGHT if ht is not None else by_default
            listed[row_no] = _flag(row.get("hidden")) or low
    hidden_rows = sorted(r for r in rows if listed.get(r, by_default))
    hidden_cols = set()
    container = root.find(n("cols"))
    for el in (container if container is not None else ()):
        lo, hi = el.get("min") or "", el.get("max") or ""
        if el.tag != n("col") or not (lo.isdigit() and hi.isdigit()):
            continue
        if _flag(el.get("hidden")) or _size(el.get("width"), 8.43) < HIDING_WIDTH:
            hidden_cols |= {c for c in cols if int(lo) <= c <= int(hi)}
    return hidden_rows, sorted(hidden_cols)


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true")


def _size(value: str | None, default: float) -> float:
    try:
        x = float(value) if value is not None else default
    except ValueError:
        return default
    return x if x == x else default


def _position(ref: str, part: str) -> tuple[int, int]:
    pos = parse_ref(ref)
    if pos is None:
        raise Rejected("F003", f"工作表 {part} 的单元格地址“{ref[:20]}”无效")
    return pos


def _shared(shared: list[str], raw: str, part: str) -> Value:
    try:
        return shared[int(raw)] or None
    except (ValueError, IndexError):
        raise Rejected("F003", f"工作表 {part} 引用了不存在的共享字符串") from None


def _row_number(r: str, part: str) -> int:
    try:
        row = int(r)
    except ValueError:
        raise Rejected("F003", f"工作表 {part} 的行号“{r[:20]}”无效") from None
    if not 1 <= row <= 1_048_576:
        raise Rejected("F003", f"工作表 {part} 的行号 {row} 超出 Excel 的范围")
    return row


def _value(t: str | None, raw: str | None, is_el: XMLElement | None, c: XMLElement, shared: list[str],
           date_styles: frozenset[int], date1904: bool, n: Names, part: str) -> Value:
    """A cell's value as a spreadsheet shows it; None for an empty cell."""
    if t is None or t == "n":
        if raw is None or not raw.strip():
            return None
        x = _number(raw)
        if x.__class__ is float and date_styles:
            s = c.get("s")
            if s and s.isdigit() and int(s) in date_styles:
                return _date(x, date1904)
        return x
    if t == "s":
        return None if raw is None or not raw.strip() else _shared(shared, raw, part)
    if t == "inlineStr":
        if is_el is None:
            return None
        return string_item(is_el, n) or None
    if t == "str":  # a formula's text result: <v> is an ST_Xstring too
        return decode_xstring(raw) if raw else None
    if t == "b":
        return None if raw is None or not raw.strip() else raw.strip() in ("1", "true")
    if t == "e":
        return ExcelError(raw.strip()) if raw and raw.strip() else None
    if t == "d":
        return _iso_date(raw) if raw else None
    raise Rejected("F003", f"工作表 {part} 的单元格类型“{t[:10]}”无效")


def _iso_date(raw: str) -> Value:
    try:
        return _dt.datetime.fromisoformat(raw.strip().rstrip("Z"))
    except ValueError:
        return VALUE_ERROR


def _saved(t: str | None, raw: str | None, value: Value) -> Value:
    """A formula's saved value as the formula gave it (a date style does not make it a date)."""
    if raw is None:
        return None
    if t in (None, "n"):
        return _number(raw) if raw.strip() else None
    if t == "b":
        return raw.strip() in ("1", "true")
    if t == "e":
        return ExcelError(raw.strip())
    return decode_xstring(raw) if t in ("str", "inlineStr") else value
