"""Writing cells into a parsed worksheet: values, styles, the dimension, a legacy drawing.

``CellWriter(tree)`` indexes the sheet's rows once (giving every row and, in rows it touches, every
cell its address where the file left it implicit: the same sheet, said explicitly), then ``put``
sets a cell's value and style, creating the row and the cell in order where needed. What a cell
held is replaced only where a value is given; a style-only change keeps the value and formula.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable

from lxml import etree

from .edit import WORKSHEET_ORDER, insert_in_order
from .refs import a1, col_letter, parse_ref
from .xml import Names, XMLElement

__all__ = ["KEEP", "CellWriter"]


class _Keep:
    """The value a cell already has (a style-only change)."""


KEEP = _Keep()
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


class CellWriter:
    def __init__(self, root: XMLElement):
        self.root = root
        self.n = Names.of(root)
        n = self.n
        data = root.find(n("sheetData"))
        if data is None:
            data = insert_in_order(root, etree.Element(n("sheetData")), WORKSHEET_ORDER)
        self.data = data
        self.rows: dict[int, XMLElement] = {}
        row_no = 0
        for row in data:
            if row.tag != n("row"):
                continue
            r = row.get("r")
            row_no = int(r) if r is not None and r.strip().isdigit() else row_no + 1
            if r is None or r != str(row_no):
                row.set("r", str(row_no))
            self.rows.setdefault(row_no, row)
        self._cells: dict[int, dict[int, XMLElement]] = {}
        self.touched: list[tuple[int, int]] = []
        self._numbers: list[int] | None = None

    def _row(self, row_no: int) -> XMLElement:
        row = self.rows.get(row_no)
        if row is None:
            row = etree.Element(self.n("row"))
            row.set("r", str(row_no))
            numbers = self._row_numbers()
            at = bisect_left(numbers, row_no)
            if at < len(numbers):
                self.rows[numbers[at]].addprevious(row)
            else:
                self.data.append(row)
            self.rows[row_no] = row
            numbers.insert(at, row_no)
        return row

    def _row_numbers(self) -> list[int]:
        """The sheet's row numbers in order (kept in step as rows are added: a new row goes before
        the next one by a bisection, not a scan of every row)."""
        if self._numbers is None:
            self._numbers = sorted(self.rows)
        return self._numbers

    def _cells_of(self, row_no: int) -> dict[int, XMLElement]:
        hit = self._cells.get(row_no)
        if hit is None:
            row = self._row(row_no)
            if "spans" in row.attrib:
                del row.attrib["spans"]  # a reading hint that our new cells may contradict
            hit = {}
            col = 0
            for c in row:
                if c.tag != self.n("c"):
                    continue
                ref = c.get("r") or ""
                pos = parse_ref(ref)
                col = pos[1] if pos else col + 1
                if pos != (row_no, col) or ref != a1(row_no, col):  # left implicit, or written otherwise
                    c.set("r", a1(row_no, col))
                hit.setdefault(col, c)
            self._cells[row_no] = hit
        return hit

    def cell(self, row: int, col: int) -> XMLElement:
        cells = self._cells_of(row)
        c = cells.get(col)
        if c is None:
            c = etree.Element(self.n("c"))
            c.set("r", a1(row, col))
            later = [k for k in cells if k > col]
            if later:
                cells[min(later)].addprevious(c)
            else:
                self._row(row).append(c)
            cells[col] = c
        return c

    def style_of(self, row: int, col: int) -> int:
        s = self.cell(row, col).get("s")
        return int(s) if s and s.isdigit() else 0

    def put(self, ref: str, value: object = KEEP, style: Callable[[int], int] | None = None) -> None:
        """Set the cell at ``ref``: ``value`` (a number, a text written as an inline string, None
        for empty; KEEP to leave it), and the style ``style(old style index)`` gives."""
        pos = parse_ref(ref)
        assert pos is not None, ref
        c = self.cell(*pos)
        self.touched.append(pos)
        if style is not None:
            s = style(self.style_of(*pos))
            if s:
                c.set("s", str(s))
            elif "s" in c.attrib:
                del c.attrib["s"]
        if value is KEEP:
            return
        for child in list(c):
            c.remove(child)
        for attr in ("t", "cm", "vm", "ph"):
            if attr in c.attrib:
                del c.attrib[attr]
        n = self.n
        if value is None or value == "":
            return
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            etree.SubElement(c, n("v")).text = _num(float(value))
        else:
            c.set("t", "inlineStr")
            t = etree.SubElement(etree.SubElement(c, n("is")), n("t"))
            t.set(_XML_SPACE, "preserve")
            t.text = str(value)

    def extend_dimension(self) -> None:
        dim = self.root.find(self.n("dimension"))
        if dim is None or not self.touched:
            return
        first, _, last = (dim.get("ref") or "").partition(":")
        lo, hi = parse_ref(first), parse_ref(last or first)
        if lo is None or hi is None:
            return
        rows = [p[0] for p in self.touched] + [lo[0], hi[0]]
        cols = [p[1] for p in self.touched] + [lo[1], hi[1]]
        dim.set("ref", f"{a1(min(rows), min(cols))}:{a1(max(rows), max(cols))}")

    def add_child(self, element: XMLElement) -> XMLElement:
        """A child of <worksheet> where the schema's order puts it."""
        return insert_in_order(self.root, element, WORKSHEET_ORDER)


def _num(v: float) -> str:
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def column(col: int) -> str:
    return col_letter(col)
