"""A1 cell references, and moving a formula's relative references (shared formulas).

``parse_ref('B3')`` -> (3, 2). A reference in a file may be written in lowercase or with leading zeros
(``b003``); anything outside Excel's grid (column XFD, row 1,048,576) is no reference.

``shift_formula(text, rows, cols)`` moves every relative reference of a formula by an offset, as
Excel does when it writes a shared formula once and applies it to a range: string literals,
quoted sheet names, function names and absolute ($) parts stay; a reference moved off the grid
becomes ``#REF!``.
"""

from __future__ import annotations

import re

__all__ = ["MAX_COL", "MAX_ROW", "Area", "a1", "area_text", "col_index", "col_letter", "formula_segments", "parse_area",
           "parse_ref", "shift_formula", "subtract"]

MAX_ROW = 1_048_576
MAX_COL = 16_384
_REF = re.compile(r"([A-Za-z]{1,3})(\d{1,10})")
_REF_CACHE: dict[str, tuple[int, int] | None] = {}


def col_index(letters: str) -> int:
    """A -> 1, AA -> 27 (letters in any case)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def col_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_A1_CACHE: dict[tuple[int, int], str] = {}


def a1(row: int, col: int) -> str:
    """(3, 2) -> 'B3'."""
    key = (row, col)
    hit = _A1_CACHE.get(key)
    if hit is None:
        hit = f"{col_letter(col)}{row}"
        if len(_A1_CACHE) < 200_000:
            _A1_CACHE[key] = hit
    return hit


def parse_ref(ref: str) -> tuple[int, int] | None:
    """'B3' -> (3, 2); None for text that is not a cell reference inside Excel's grid."""
    hit = _REF_CACHE.get(ref, _MISSING)
    if hit is not _MISSING:
        return hit  # type: ignore[return-value]
    m = _REF.fullmatch(ref)
    out = None
    if m:
        row, col = int(m.group(2)), col_index(m.group(1))
        if 1 <= row <= MAX_ROW and 1 <= col <= MAX_COL:
            out = (row, col)
    if len(_REF_CACHE) < 200_000:
        _REF_CACHE[ref] = out
    return out


_MISSING = object()

#: a rectangle of cells: first row, first column, last row, last column (1-based, inclusive)
Area = tuple[int, int, int, int]


def parse_area(text: str) -> Area | None:
    """'B3:D5' (or 'B3', '$B$3', whole columns 'A:C', whole rows '3:5') -> an Area; None for
    anything else."""
    first, sep, last = text.replace("$", "").partition(":")
    if not sep:
        p = parse_ref(first)
        return (p[0], p[1], p[0], p[1]) if p else None
    a, b = parse_ref(first), parse_ref(last)
    if a and b:
        return min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])
    if first.isalpha() and last.isalpha() and len(first) <= 3 and len(last) <= 3:
        c1, c2 = sorted((col_index(first), col_index(last)))
        return (1, c1, MAX_ROW, c2) if c2 <= MAX_COL else None
    if first.isdigit() and last.isdigit() and len(first) <= 7 and len(last) <= 7:
        r1, r2 = sorted((int(first), int(last)))
        return (r1, 1, r2, MAX_COL) if 1 <= r1 and r2 <= MAX_ROW else None
    return None


def area_text(area: Area) -> str:
    r1, c1, r2, c2 = area
    return a1(r1, c1) if (r1, c1) == (r2, c2) else f"{a1(r1, c1)}:{a1(r2, c2)}"


def subtract(area: Area, cells: dict[int, set[int]]) -> list[Area]:
    """``area`` without ``cells`` (row -> columns), as few rectangles as bands of rows allow: the
    rows between the removed cells stay whole, and neighbouring rows that lose the same columns
    share their rectangles. The cost grows with the removed cells, not with the area's size."""
    r1, c1, r2, c2 = area
    hit = sorted(r for r, cols in cells.items() if r1 <= r <= r2 and any(c1 <= c <= c2 for c in cols))
    if not hit:
        return [area]
    bands: list[tuple[int, int, tuple[tuple[int, int], ...]]] = []
    whole = ((c1, c2),)

    def add(first: int, last: int, runs: tuple[tuple[int, int], ...]) -> None:
        if bands and bands[-1][2] == runs and bands[-1][1] + 1 == first:
            bands[-1] = (bands[-1][0], last, runs)
        else:
            bands.append((first, last, runs))

    top = r1
    for r in hit:
        if r > top:
            add(top, r - 1, whole)
        runs, start = [], c1
        for c in sorted(c for c in cells[r] if c1 <= c <= c2):
            if c > start:
                runs.append((start, c - 1))
            start = c + 1
        if start <= c2:
            runs.append((start, c2))
        add(r, r, tuple(runs))
        top = r + 1
    if top <= r2:
        add(top, r2, whole)
    return [(first, a, last, b) for first, last, runs in bands for a, b in runs]

# A formula's code between string literals: cell references, whole columns (A:C) and whole rows
# (3:5). A reference is not part of a longer name (before it no letter, digit, '_', '.', '$' that
# is not its own; after it no letter, digit, '_', '(' or '!').
_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_.])(\$?)([A-Za-z]{1,3})(\$?)(\d{1,7})(?![A-Za-z0-9_(!])"  # cell
    r"|(?<![A-Za-z0-9_.$])(\$?)([A-Za-z]{1,3}):(\$?)([A-Za-z]{1,3})(?![A-Za-z0-9_(!])"  # columns
    r"|(?<![A-Za-z0-9_.$:])(\$?)(\d{1,7}):(\$?)(\d{1,7})(?![A-Za-z0-9_(!.:])"  # rows
)


def shift_formula(text: str, rows: int, cols: int) -> str:
    """The formula ``text`` with its relative references moved by ``rows`` and ``cols``."""
    if not rows and not cols:
        return text
    out: list[str] = []
    for code, literal in formula_segments(text):
        out.append(_TOKEN.sub(lambda m: _shift(m, rows, cols), code) if code else "")
        out.append(literal)
    return "".join(out)


def formula_segments(text: str) -> list[tuple[str, str]]:
    """(code, literal) pairs: a string literal ("…" with "" inside), a quoted sheet name ('…'!) or
    a bracketed part ([…], structured or external references) is a literal, kept as it is. One
    pass over the text."""
    out: list[tuple[str, str]] = []
    code_start = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "\"'[":
            end = _literal_end(text, i)
            out.append((text[code_start:i], text[i:end]))
            i = code_start = end
        else:
            i += 1
    out.append((text[code_start:], ""))
    return out


def _literal_end(text: str, start: int) -> int:
    ch = text[start]
    close = "]" if ch == "[" else ch
    i = start + 1
    n = len(text)
    while i < n:
        if text[i] == close:
            if close != "]" and i + 1 < n and text[i + 1] == close:  # "" or '' inside
                i += 2
                continue
            return i + 1
        i += 1
    return n


def _shift(m: re.Match[str], rows: int, cols: int) -> str:
    if m.group(2) is not None:  # a cell
        dc, col, dr, row = m.group(1), col_index(m.group(2)), m.group(3), int(m.group(4))
        if col > MAX_COL or row > MAX_ROW or row < 1:
            return m.group(0)  # not a reference after all (a name such as ABCD1 is not matched)
        new_col = col if dc else col + cols
        new_row = row if dr else row + rows
        if not (1 <= new_col <= MAX_COL and 1 <= new_row <= MAX_ROW):
            return "#REF!"
        return f"{dc}{col_letter(new_col)}{dr}{new_row}"
    if m.group(6) is not None:  # whole columns
        parts = []
        for d, letters in ((m.group(5), m.group(6)), (m.group(7), m.group(8))):
            c = col_index(letters) if d else col_index(letters) + cols
            if not 1 <= c <= MAX_COL:
                return "#REF!"
            parts.append(f"{d}{col_letter(c)}")
        return ":".join(parts)
    parts = []  # whole rows
    for d, digits in ((m.group(9), m.group(10)), (m.group(11), m.group(12))):
        r = int(digits) if d else int(digits) + rows
        if not 1 <= r <= MAX_ROW:
            return "#REF!"
        parts.append(f"{d}{r}")
    return ":".join(parts)
