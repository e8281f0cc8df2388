"""The cell styles of a copy: derived styles (another fill, another font) and new ones.

``StyleSheet(editor, workbook_part)`` edits the workbook's styles part through its tree; a workbook
without one (or with a styles relationship that leaves the package) gets a new part under a free
name. Indices are positions in ``cellXfs``, ``fonts``, ``fills`` and ``borders``; every list's
``count`` is kept right.
"""

from __future__ import annotations

import copy

from lxml import etree

from .edit import STYLESHEET_ORDER, Editor, insert_in_order
from .xml import MAIN, MAIN_STRICT, Names, XMLElement, parse

__all__ = ["StyleSheet"]

_CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
_DEFAULTS = {  # what an empty list starts with, so that index 0 (and fill 1) mean what they should
    "fonts": ['<font><sz val="11"/><name val="宋体"/></font>'],
    "fills": ['<fill><patternFill patternType="none"/></fill>', '<fill><patternFill patternType="gray125"/></fill>'],
    "borders": ["<border><left/><right/><top/><bottom/><diagonal/></border>"],
    "cellStyleXfs": ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'],
    "cellXfs": ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'],
}
_ALTERNATE = "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent"
_ITEM = {"fonts": "font", "fills": "fill", "borders": "border", "cellStyleXfs": "xf", "cellXfs": "xf"}
#: CT_Font's children in the order Excel and the Open XML SDK expect them (a font written otherwise is
#: an error for the validator, and Excel may repair the file)
FONT_ORDER = ("b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz", "color", "name",
              "family", "charset", "scheme")


def _in_order(el: XMLElement, order: tuple[str, ...]) -> None:
    """``el``'s children sorted into the schema's ``order`` (others after them, as they were)."""
    rank = {name: i for i, name in enumerate(order)}
    children = list(el)
    keys = [rank.get(etree.QName(c).localname, len(order)) if isinstance(c.tag, str) else len(order) for c in children]
    if keys != sorted(keys):
        for _key, child in sorted(zip(keys, children, strict=True), key=lambda kc: kc[0]):
            el.append(child)


class StyleSheet:
    def __init__(self, editor: Editor, workbook_part: str, strict: bool):
        self.editor = editor
        part = editor.related_part(workbook_part, "styles", "styleSheet")
        if part:
            self.part = part
            self.root = editor.tree(part)
        else:  # none, or one that leads out of the package or to another part: replaced by ours
            editor.remove_rels(workbook_part, lambda r: r.kind != "styles")
            self.part = editor.new_part_name("xl/styles%d.xml")
            ns = MAIN_STRICT if strict else MAIN
            self.root = parse(f'<styleSheet xmlns="{ns}"/>'.encode(), self.part)
            editor.add_part(self.part, _CT_STYLES, tree=self.root)
            base = "http://purl.oclc.org/ooxml/officeDocument/relationships" if strict else \
                "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
            editor.add_rel(workbook_part, base + "/styles", self.part)
        self.n = Names.of(self.root)
        self._cache: dict[str, list[XMLElement]] = {}
        self.lists = {name: self._list(name) for name in _ITEM}
        for font in self._items("fonts"):  # as other programs write them (openpyxl: name first)
            if font.tag != _ALTERNATE:
                _in_order(font, FONT_ORDER)
        if len(self._items("cellXfs")) < 2:  # a new or empty stylesheet: cells may name styles it lacks
            self._pad(editor, workbook_part)
        self._derived: dict[tuple, int] = {}
        self._fills: dict[str, int] = {}
        self._formats: dict[str, int] = {}

    def _list(self, name: str) -> XMLElement:
        n = self.n
        el = self.root.find(n(name))
        if el is None:
            el = insert_in_order(self.root, etree.Element(n(name)), STYLESHEET_ORDER)
        if not [x for x in el if x.tag in (n(_ITEM[name]), _ALTERNATE)]:
            for text in _DEFAULTS[name]:
                el.append(self._element(text))
        self._count(el, name)
        return el

    def _pad(self, editor: Editor, workbook_part: str) -> None:
        """Give every style index a cell of the workbook uses an entry (the default style), so the
        styles we add come after them and no cell names a style that is not there."""
        used = 0
        for rel in editor.rels(workbook_part):
            if rel.kind == "worksheet" and rel.part:
                for c in editor.package.xml(rel.part).iter("{*}c"):
                    s = c.get("s") or ""
                    if s.isdigit():
                        used = max(used, int(s))
        for _ in range(used + 1 - len(self._items("cellXfs"))):
            self._append("cellXfs", self._element(_DEFAULTS["cellXfs"][0]))

    def _element(self, text: str) -> XMLElement:
        ns = self.n.ns
        wrapped = f'<w xmlns="{ns}">{text}</w>' if ns else f"<w>{text}</w>"
        return etree.fromstring(wrapped)[0]

    def _items(self, name: str) -> list[XMLElement]:
        """The entries of a list, in index order. An mc:AlternateContent holding one (a choice for
        newer programs and a fallback) is one entry, as Markup Compatibility says."""
        hit = self._cache.get(name)
        if hit is None:
            tag = self.n(_ITEM[name])
            hit = self._cache[name] = [x for x in self.lists[name] if x.tag == tag or x.tag == _ALTERNATE]
        return hit

    def _count(self, el: XMLElement, name: str) -> None:
        el.set("count", str(sum(1 for x in el if x.tag in (self.n(_ITEM[name]), _ALTERNATE))))

    def _append(self, name: str, item: XMLElement) -> int:
        el = self.lists[name]
        items = self._items(name)
        if items:
            items[-1].addnext(item)
        else:
            el.append(item)
        items.append(item)
        el.set("count", str(len(items)))
        return len(items) - 1

    # derived styles -------------------------------------------------------------------------------
    def _xf(self, style: int) -> XMLElement:
        xfs = self._items("cellXfs")
        xf = xfs[style] if 0 <= style < len(xfs) else xfs[0]
        if xf.tag == _ALTERNATE:  # its fallback (or its choice) stands for it
            found = next(xf.iter(self.n("xf")), None)
            xf = found if found is not None else xfs[0]
        return xf

    def fill(self, argb: str) -> int:
        """A solid fill of colour ``argb`` (added once)."""
        if argb not in self._fills:
            self._fills[argb] = self._append("fills", self._element(
                f'<fill><patternFill patternType="solid"><fgColor rgb="{argb}"/><bgColor indexed="64"/>'
                "</patternFill></fill>"))
        return self._fills[argb]

    def with_fill(self, style: int, argb: str) -> int:
        """The cell style ``style`` with a solid fill of ``argb``."""
        key = ("fill", style, argb)
        if key not in self._derived:
            xf = copy.deepcopy(self._xf(style))
            xf.set("fillId", str(self.fill(argb)))
            xf.set("applyFill", "1")
            self._derived[key] = self._append("cellXfs", xf)
        return self._derived[key]

    def with_font_color(self, style: int, argb: str, size: float | None = None) -> int:
        """The cell style ``style`` with its font upright, in colour ``argb`` (and ``size`` pt)."""
        key = ("font", style, argb, size)
        if key not in self._derived:
            xf = self._xf(style)
            fonts = self._items("fonts")
            fid = xf.get("fontId") or "0"
            base = fonts[int(fid)] if fid.isdigit() and int(fid) < len(fonts) else fonts[0]
            if base.tag == _ALTERNATE:
                found = next(base.iter(self.n("font")), None)
                base = found if found is not None else self._element(_DEFAULTS["fonts"][0])
            font = copy.deepcopy(base)
            drop = {"i", "color"} | ({"sz"} if size else set())
            for child in list(font):
                if isinstance(child.tag, str) and etree.QName(child).localname in drop:
                    font.remove(child)
            if size:
                sz = etree.Element(self.n("sz"))
                sz.set("val", f"{size:g}")
                insert_in_order(font, sz, FONT_ORDER)
            color = etree.Element(self.n("color"))
            color.set("rgb", argb)
            insert_in_order(font, color, FONT_ORDER)
            new = copy.deepcopy(xf)
            new.set("fontId", str(self._append("fonts", font)))
            new.set("applyFont", "1")
            self._derived[key] = self._append("cellXfs", new)
        return self._derived[key]

    def number_format(self, code: str) -> int:
        """A number format of our own for ``code`` (a fresh custom id: a file may give the built-in
        ids other meanings, such as ';;;', which shows nothing)."""
        if code not in self._formats:
            n = self.n
            fmts = self.root.find(n("numFmts"))
            if fmts is None:
                fmts = insert_in_order(self.root, etree.Element(n("numFmts")), STYLESHEET_ORDER)
            ids = [int(x) for el in fmts.iter(n("numFmt")) if (x := el.get("numFmtId") or "").isdigit()]
            new = max([163, *ids]) + 1
            el = etree.SubElement(fmts, n("numFmt"))
            el.set("numFmtId", str(new))
            el.set("formatCode", code)
            fmts.set("count", str(len(list(fmts.iter(n("numFmt"))))))
            self._formats[code] = new
        return self._formats[code]

    def verdict(self, style: int, *, argb: str, size: float, number_format: str, horizontal: str, wrap: bool) -> int:
        """A style of ours for a cell the bureau writes into, whatever the cell's style ``style``
        was: our number format, font (宋体, ``size`` pt, colour ``argb``), a white fill (a sheet's
        background picture does not show through), ``horizontal`` alignment, wrapped if ``wrap``,
        not hidden; only the cell's border is kept (without diagonal strokes)."""
        key = ("verdict", style, argb, size, number_format, horizontal, wrap)
        if key not in self._derived:
            font = self._append("fonts", self._element(f'<font><sz val="{size:g}"/><color rgb="{argb}"/><name val="宋体"/></font>'))
            wrap_attr = ' wrapText="1"' if wrap else ""
            xf = self._element(
                f'<xf numFmtId="{self.number_format(number_format)}" fontId="{font}" fillId="{self.fill("FFFFFFFF")}" '
                f'borderId="{self._plain_border(self._xf(style))}" xfId="0" applyNumberFormat="1" applyFont="1" '
                'applyFill="1" applyBorder="1" applyAlignment="1" applyProtection="1">'
                f'<alignment horizontal="{horizontal}" vertical="center"{wrap_attr}/>'
                '<protection locked="1" hidden="0"/></xf>')
            self._derived[key] = self._append("cellXfs", xf)
        return self._derived[key]

    def _plain_border(self, xf: XMLElement) -> int:
        """The border of ``xf`` without its diagonal strokes (an index of ours when it had any)."""
        borders = self._items("borders")
        bid = xf.get("borderId") or "0"
        index = int(bid) if bid.isdigit() and int(bid) < len(borders) else 0
        base = borders[index]
        if base.tag == _ALTERNATE:
            found = next(base.iter(self.n("border")), None)
            base = found if found is not None else self._element(_DEFAULTS["borders"][0])
        diagonal = base.find(self.n("diagonal"))
        if not any(k in base.attrib for k in ("diagonalUp", "diagonalDown")) and (diagonal is None or not len(diagonal)):
            return index if borders[index].tag != _ALTERNATE else self._append("borders", copy.deepcopy(base))
        plain = copy.deepcopy(base)
        for k in ("diagonalUp", "diagonalDown"):
            if k in plain.attrib:
                del plain.attrib[k]
        d = plain.find(self.n("diagonal"))
        if d is not None:
            d.clear()
        return self._append("borders", plain)

    def add(self, *, bold: bool = False, underline: bool = False, size: float = 11, color: str = "FF000000",
            fill: str | None = None, border: bool = False, wrap: bool = False, font_name: str = "宋体") -> int:
        """A new cell style (for a sheet of our own)."""
        parts = ("<b/>" if bold else "") + ("<u/>" if underline else "")
        font = self._append("fonts", self._element(
            f'<font>{parts}<sz val="{size:g}"/><color rgb="{color}"/><name val="{font_name}"/></font>'))
        border_id = 0
        if border:
            sides = "".join(f'<{s} style="thin"><color rgb="FF8C8C8C"/></{s}>' for s in ("left", "right", "top", "bottom"))
            border_id = self._append("borders", self._element(f"<border>{sides}<diagonal/></border>"))
        fill_id = self.fill(fill) if fill else 0
        wrap_attr = ' wrapText="1"' if wrap else ""
        return self._append("cellXfs", self._element(
            f'<xf numFmtId="0" fontId="{font}" fillId="{fill_id}" borderId="{border_id}" xfId="0" applyFont="1" '
            f'applyFill="1" applyBorder="1" applyAlignment="1"><alignment vertical="top"{wrap_attr}/></xf>'))
