"""Writing cells into a parsed worksheet: values, styles, the dimension, a legacy drawing.

``CellWriter(tree)`` indexes the sheet's rows once (giving every row and, in rows it touches, every
cell its address where the file left it implicit: the same sheet, said explicitly), then ``put``
sets a cell's value and style, creating the row and the cell in order where needed. What a cell
held is replaced only where a value is given; a style-only change keeps the value and formula.

Cells a writer must show as it wrote them, whatever the sheet around them says (``Cells``, row ->
columns): ``unmerge`` the merges over them, ``remove_hyperlinks`` on them, ``exclude`` them from
conditional formats and data validations (including the x14 extensions), ``show_row`` and
``show_column`` them (not hidden, not a sliver), ``show_zeros`` on the sheet, open it on a
``plain_view`` (not scrolled away, not at 10 %, no frozen pane that fills the window), and
``remove_drawings_over`` them (a picture or a text box laid over a cell hides it).
"""

from __future__ import annotations

import copy
from bisect import bisect_left
from collections.abc import Callable

from lxml import etree

from .edit import WORKSHEET_ORDER, insert_in_order
from .refs import Area, a1, area_text, col_letter, parse_area, parse_ref, subtract
from .xml import Names, XMLElement, encode_xstring, local

__all__ = ["KEEP", "CellWriter", "Cells", "exclude", "plain_view", "remove_drawings_over", "remove_hyperlinks", "show_zeros",
           "unmerge"]

#: cells by row: row -> columns
Cells = dict[int, set[int]]


#: a row lower than this hides what is in it (points); the height such a row is given
MIN_ROW_HEIGHT = 11.0
DEFAULT_ROW_HEIGHT = 15.0


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
        """Set the cell at ``ref``: ``value`` (a number, a text written as an inline string with
        its ``_xHHHH_`` escapes as Excel writes them, None for empty; KEEP to leave it), and the
        style ``style(old style index)`` gives."""
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
            t.text = encode_xstring(str(value))  # as Excel writes it: a literal _x000D_ stays literal

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

    # showing cells ------------------------------------------------------------------------------
    def show_row(self, row_no: int, min_height: float = MIN_ROW_HEIGHT) -> bool:
        """Row ``row_no`` not hidden and at least ``min_height`` points high (a row of the sheet's
        default height when it is lower, rows hidden by default included); whether it was not."""
        n = self.n
        changed = False
        fmt = self.root.find(n("sheetFormatPr"))
        if fmt is not None:
            if _true(fmt.get("zeroHeight")):
                del fmt.attrib["zeroHeight"]
                changed = True
            if _number(fmt.get("defaultRowHeight"), DEFAULT_ROW_HEIGHT) < min_height:
                fmt.set("defaultRowHeight", f"{DEFAULT_ROW_HEIGHT:g}")
                changed = True
        row = self._row(row_no)
        if _true(row.get("hidden")):
            del row.attrib["hidden"]
            changed = True
        if "ht" in row.attrib and _number(row.get("ht"), DEFAULT_ROW_HEIGHT) < min_height:
            row.set("ht", f"{DEFAULT_ROW_HEIGHT:g}")
            row.set("customHeight", "1")
            changed = True
        return changed

    def grow_row(self, row_no: int, height: float) -> bool:
        """Row ``row_no`` at least ``height`` points high (wrapped text is not fitted by a program
        on opening: a row of one line's height shows one line of it); whether it was lower."""
        row = self._row(row_no)
        fmt = self.root.find(self.n("sheetFormatPr"))
        default = _number(fmt.get("defaultRowHeight") if fmt is not None else None, DEFAULT_ROW_HEIGHT)
        if _number(row.get("ht"), default) >= height:
            return False
        row.set("ht", f"{height:g}")
        row.set("customHeight", "1")
        return True

    def column_width(self, col: int) -> float:
        """Column ``col``'s width in characters (the sheet's default where its <cols> says none)."""
        n = self.n
        cols = self.root.find(n("cols"))
        for el in (cols if cols is not None else ()):
            lo, hi = _int(el.get("min")), _int(el.get("max"))
            if el.tag == n("col") and lo is not None and hi is not None and lo <= col <= hi and "width" in el.attrib:
                return 0.0 if _true(el.get("hidden")) else _number(el.get("width"), 8.43)
        fmt = self.root.find(n("sheetFormatPr"))
        return _number(fmt.get("defaultColWidth") if fmt is not None else None, 0.0) or \
            _number(fmt.get("baseColWidth") if fmt is not None else None, 8.0) + 0.43

    def show_column(self, col: int, min_width: float) -> bool:
        """Column ``col`` not hidden and at least ``min_width`` characters wide (its <col> entry
        split from its neighbours' when it shares one); whether it was not."""
        n = self.n
        cols = self.root.find(n("cols"))
        entry = None
        for el in (cols if cols is not None else ()):
            lo, hi = _int(el.get("min")), _int(el.get("max"))
            if el.tag == n("col") and lo is not None and hi is not None and lo <= col <= hi:
                if not _true(el.get("hidden")) and _number(el.get("width"), 0.0) >= min_width:
                    return False
                entry = _split_col(el, lo, hi, col)
                break
        if entry is None:
            fmt = self.root.find(n("sheetFormatPr"))
            default = _number(fmt.get("defaultColWidth") if fmt is not None else None, 0.0) or \
                _number(fmt.get("baseColWidth") if fmt is not None else None, 8.0) + 1
            if default >= min_width:
                return False
            if cols is None:
                cols = self.add_child(etree.Element(n("cols")))
            entry = etree.Element(n("col"))
            entry.set("min", str(col))
            entry.set("max", str(col))
            later = [el for el in cols if (_int(el.get("min")) or 0) > col]
            if later:
                later[0].addprevious(entry)
            else:
                cols.append(entry)
        changed = False
        if _true(entry.get("hidden")):
            del entry.attrib["hidden"]
            changed = True
        if _number(entry.get("width"), 0.0) < min_width:
            entry.set("width", f"{min_width:g}")
            entry.set("customWidth", "1")
            changed = True
        return changed


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true")


def _number(value: str | None, default: float) -> float:
    try:
        x = float(value) if value is not None else default
    except ValueError:
        return default
    return x if x == x else default  # NaN: the default


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None


def _split_col(el: XMLElement, lo: int, hi: int, col: int) -> XMLElement:
    """The <col> entry of ``col`` alone: an entry for min..max is split into up to three."""
    if lo < col:
        before = copy.copy(el)
        before.set("max", str(col - 1))
        el.addprevious(before)
    if col < hi:
        after = copy.copy(el)
        after.set("min", str(col + 1))
        el.addnext(after)
    el.set("min", str(col))
    el.set("max", str(col))
    return el


def touches(area: Area, cells: Cells) -> bool:
    """Whether the area (first row, first column, last row, last column) holds any of ``cells``."""
    r1, c1, r2, c2 = area
    return any(r1 <= r <= r2 and any(c1 <= c <= c2 for c in cols) for r, cols in cells.items())


def _areas_touch(text: str, cells: Cells) -> bool:
    return any((a := parse_area(part)) is not None and touches(a, cells) for part in text.split())


def unmerge(root: XMLElement, cells: Cells) -> list[str]:
    """Remove the merged areas that contain any of ``cells``; returns their references."""
    n = Names.of(root)
    merges = root.find(n("mergeCells"))
    if merges is None:
        return []
    gone = []
    for el in list(merges):
        ref = el.get("ref") or ""
        if el.tag == n("mergeCell") and _areas_touch(ref, cells):
            merges.remove(el)
            gone.append(ref)
    if gone:
        left = sum(1 for el in merges if el.tag == n("mergeCell"))
        if left:
            merges.set("count", str(left))
        else:
            root.remove(merges)
    return gone


def remove_hyperlinks(root: XMLElement, cells: Cells) -> list[str]:
    """Remove the hyperlinks on any of ``cells``; returns the relationship ids they used (an
    external target's), for the caller to remove."""
    n = Names.of(root)
    links = root.find(n("hyperlinks"))
    if links is None:
        return []
    ids = []
    removed = False
    for el in list(links):
        if local(el.tag) == "hyperlink" and _areas_touch(el.get("ref") or "", cells):
            links.remove(el)
            removed = True
            ids += [str(v) for k, v in el.attrib.items() if str(k).startswith("{") and local(str(k)) == "id"]
    if removed and not len(links):
        root.remove(links)
    return ids


def _sqref_without(text: str, cells: Cells) -> str | None:
    """A sqref without ``cells``: None when it holds none of them ('' when nothing is left)."""
    parts = text.split()
    areas = [parse_area(p) for p in parts]
    if not any(a is not None and touches(a, cells) for a in areas):
        return None
    out = []
    for part, area in zip(parts, areas, strict=True):
        out += [part] if area is None else [area_text(x) for x in subtract(area, cells)]
    return " ".join(out)


def _exclude_from(el: XMLElement, cells: Cells) -> str | None:
    """Take ``cells`` out of an element's sqref (its attribute, or its xm:sqref child in the x14
    extensions); returns what is left ('' for nothing), None when it held none of them."""
    child = next((c for c in el if isinstance(c.tag, str) and local(c.tag) == "sqref"), None)
    text = child.text if child is not None else el.get("sqref")
    new = _sqref_without(text or "", cells)
    if new:
        if child is not None:
            child.text = new
        else:
            el.set("sqref", new)
    return new


#: what ``exclude`` takes cells out of: the containers' and the items' local names
CONDITIONAL_FORMATS = ("conditionalFormattings", "conditionalFormatting")
DATA_VALIDATIONS = ("dataValidations", "dataValidation")


def exclude(root: XMLElement, cells: Cells, kind: tuple[str, str]) -> int:
    """Take ``cells`` out of every conditional format or data validation of the sheet (``kind``),
    its x14 extensions' included; an item left with no cell is removed, and so is a container
    left empty. Returns the number of items changed or removed."""
    container, item = kind
    changed = 0
    for el in _items(root, container, item):
        left = _exclude_from(el, cells)
        if left is None:
            continue
        changed += 1
        parent = el.getparent()
        if left:
            continue
        parent.remove(el)  # type: ignore[union-attr]
        if parent is not None and local(parent.tag) == container:
            items = [c for c in parent if isinstance(c.tag, str) and local(c.tag) == item]
            if "count" in parent.attrib:
                parent.set("count", str(len(items)))
            if not items:
                _remove_empty(parent)
    return changed


def _items(root: XMLElement, container: str, item: str) -> list[XMLElement]:
    """The items of ``kind`` directly under the worksheet, in its own containers, and in the
    extensions (extLst/ext/x14:container/x14:item)."""
    out = []
    for el in root:
        if not isinstance(el.tag, str):
            continue
        name = local(el.tag)
        if name == item:
            out.append(el)
        elif name == container:
            out += [c for c in el if isinstance(c.tag, str) and local(c.tag) == item]
        elif name == "extLst":
            for ext in el:
                for box in ext:
                    if isinstance(box.tag, str) and local(box.tag) == container:
                        out += [c for c in box if isinstance(c.tag, str) and local(c.tag) == item]
    return out


def _remove_empty(el: XMLElement) -> None:
    """Remove ``el``, and its extension (and the extension list) when nothing else is left in it."""
    parent = el.getparent()
    if parent is None:
        return
    parent.remove(el)
    if local(parent.tag) == "ext" and not len(parent):
        _remove_empty(parent)
    elif local(parent.tag) == "extLst" and not len(parent):
        _remove_empty(parent)


def show_zeros(root: XMLElement) -> bool:
    """The sheet's views show a cell that holds 0 (a view may hide them); whether one did not."""
    changed = False
    for view in root.iter("{*}sheetView"):
        if (view.get("showZeros") or "").strip().lower() in ("0", "false"):
            del view.attrib["showZeros"]
            changed = True
    return changed


#: a drawing's anchors are found by their local names (Transitional and Strict name them alike)
_XDR = "{*}"
_EMU_PER_PIXEL, _EMU_PER_POINT = 9525, 12700
#: a frozen pane wider or taller than this (EMU: 640 × 400 pixels, what a laptop's window shows of a
#: sheet) keeps every column or row after it out of the window, whatever the scrolling
FROZEN_WIDTH, FROZEN_HEIGHT = 640 * _EMU_PER_PIXEL, 400 * _EMU_PER_PIXEL
_ZOOMS = ("zoomScale", "zoomScaleNormal", "zoomScalePageLayoutView", "zoomScaleSheetLayoutView")


def plain_view(root: XMLElement) -> bool:
    """The sheet opens where its cells are seen: at its top left, at the program's own zoom, with
    no split and no frozen pane wider or taller than a window (frozen columns that fill it keep the
    columns after them out of sight); a frozen pane kept opens on the first cell after it. Whether
    a view changed."""
    widths, heights = sizes(root)
    changed = False
    for view in root.iter("{*}sheetView"):
        for attr in ("topLeftCell", *_ZOOMS):
            if attr in view.attrib:
                del view.attrib[attr]
                changed = True
        pane = view.find("{*}pane")
        if pane is None:
            continue
        cols = min(int(_number(pane.get("xSplit"), 0)), 16_384)
        rows = min(int(_number(pane.get("ySplit"), 0)), 1_048_576)
        frozen = pane.get("state") in ("frozen", "frozenSplit")
        if (frozen and sum(map(widths, range(cols))) <= FROZEN_WIDTH
                and sum(map(heights, range(min(rows, 10_000)))) <= FROZEN_HEIGHT):
            pane.set("topLeftCell", a1(rows + 1, cols + 1))
        else:  # a split (its sizes are in twips), or frozen cells that fill the window
            view.remove(pane)
            for sel in view.findall("{*}selection"):
                if sel.get("pane"):
                    view.remove(sel)
        changed = True
    return changed


def remove_drawings_over(drawing: XMLElement, sheet: XMLElement, cells: Cells) -> int:
    """Remove the shapes, pictures and charts of a sheet's drawing that lie over any of ``cells``;
    returns how many. A two-cell anchor names its cells; the extent of a one-cell or absolute
    anchor is measured in the sheet's column widths and row heights."""
    widths, heights = sizes(sheet)
    removed = 0
    for anchor in list(drawing):
        inner = anchor
        if local(anchor.tag) == "AlternateContent":  # the anchor a newer program chose
            inner = next((a for a in anchor.iter() if isinstance(a.tag, str) and local(a.tag) in _ANCHORS), anchor)
        area = _anchor_area(inner, widths, heights)
        if area is not None and touches(area, cells):
            drawing.remove(anchor)
            removed += 1
    return removed


_ANCHORS = ("twoCellAnchor", "oneCellAnchor", "absoluteAnchor")


def _anchor_area(anchor: XMLElement, widths: Callable[[int], int], heights: Callable[[int], int]) -> Area | None:
    """The cells (1-based) an anchor covers; None for what is not an anchor."""
    def marker(name: str) -> tuple[int, int, int, int] | None:
        el = anchor.find(_XDR + name)
        if el is None:
            return None
        vals = [_int((el.findtext(_XDR + k) or "").strip()) or 0 for k in ("col", "colOff", "row", "rowOff")]
        return vals[0], vals[1], vals[2], vals[3]

    def walk(start: int, offset: int, length: int, size: Callable[[int], int]) -> int:
        i, left = start, offset + length
        while left > size(i) and i < start + 20_000:
            left -= size(i)
            i += 1
        return i

    tag = local(anchor.tag) if isinstance(anchor.tag, str) else ""
    first = marker("from")
    if tag == "twoCellAnchor":
        last = marker("to")
        if first is None or last is None:
            return None
        return first[2] + 1, first[0] + 1, last[2] + 1, last[0] + 1
    ext = anchor.find(_XDR + "ext")
    cx, cy = (_int(ext.get("cx")) or 0, _int(ext.get("cy")) or 0) if ext is not None else (0, 0)
    if tag == "oneCellAnchor" and first is not None:
        col, col_off, row, row_off = first
    elif tag == "absoluteAnchor":
        pos = anchor.find(_XDR + "pos")
        x, y = (_int(pos.get("x")) or 0, _int(pos.get("y")) or 0) if pos is not None else (0, 0)
        col, row = walk(0, x, 0, widths), walk(0, y, 0, heights)
        col_off, row_off = x - sum(map(widths, range(col))), y - sum(map(heights, range(row)))
    else:
        return None
    return row + 1, col + 1, walk(row, row_off, cy, heights) + 1, walk(col, col_off, cx, widths) + 1


def sizes(sheet: XMLElement) -> tuple[Callable[[int], int], Callable[[int], int]]:
    """Column widths and row heights in EMU, by 0-based index (the sheet's defaults elsewhere)."""
    n = Names.of(sheet)
    fmt = sheet.find(n("sheetFormatPr"))
    default_width = _number(fmt.get("defaultColWidth") if fmt is not None else None, 8.43)
    default_height = _number(fmt.get("defaultRowHeight") if fmt is not None else None, DEFAULT_ROW_HEIGHT)
    cols: dict[int, float] = {}
    for el in sheet.iter(n("col")):
        lo, hi = _int(el.get("min")), _int(el.get("max"))
        if lo and hi and hi - lo < 20_000:
            w = 0.0 if _true(el.get("hidden")) else _number(el.get("width"), default_width)
            cols.update(dict.fromkeys(range(lo - 1, hi), w))
    rows: dict[int, float] = {}
    data = sheet.find(n("sheetData"))
    for el in (data if data is not None else ()):
        r = _int(el.get("r"))
        if r and ("ht" in el.attrib or _true(el.get("hidden"))):
            rows[r - 1] = 0.0 if _true(el.get("hidden")) else _number(el.get("ht"), default_height)

    def width(i: int) -> int:
        return round((cols.get(i, default_width) * 7 + 5) * _EMU_PER_PIXEL)

    def height(i: int) -> int:
        return round(rows.get(i, default_height) * _EMU_PER_POINT)

    return width, height


def _num(v: float) -> str:
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def column(col: int) -> str:
    return col_letter(col)
