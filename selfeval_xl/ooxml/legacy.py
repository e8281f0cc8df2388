"""A sheet's legacy drawing (VML) and the objects drawn through it, laid over cells of a copy.

Besides DrawingML (``sheet_edit.remove_drawings_over``), a worksheet draws through its VML part
(``legacyDrawing``): form controls (a button or a label shows any text), an OLE object's picture,
shapes without client data that Excel 97 drew, and the boxes of notes. Printing crafted files
showed LibreOffice drawing form controls, bare VML shapes and OLE pictures over the cells; Excel
draws the same from the same VML, and a shown note's box. ``remove_legacy_over`` removes every
such shape over the given cells, with the sheet's ``<control>`` and ``<oleObject>`` of its shape id
(and the other way round: an object anchored over the cells takes its shape with it) and the
relationships only they used; a note's box over them is hidden, the note kept.

A VML part that is not XML (Excel writes HTML's unclosed <br> in a control's text) is read
leniently and, once read, kept so in the copy: as XML.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree

from .edit import Editor
from .errors import Rejected
from .refs import Area
from .sheet_edit import Cells, sizes, touches
from .xml import XMLElement, local, parse

__all__ = ["remove_legacy_over", "vml_area"]

_X = "urn:schemas-microsoft-com:office:excel"
_O = "urn:schemas-microsoft-com:office:office"
_CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_REL_NAMESPACES = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                   "http://purl.oclc.org/ooxml/officeDocument/relationships")
#: a VML length: a number and its unit (none: pixels, as a browser reads CSS)
_LENGTH = re.compile(r"(-?\d+(?:\.\d*)?|-?\.\d+)\s*(pt|px|in|cm|mm|pc|em)?", re.IGNORECASE)  # fullmatch, stripped
_EMU = {"pt": 12700, "px": 9525, "in": 914400, "cm": 360000, "mm": 36000, "pc": 152400, "em": 152400, "": 9525}
_SHAPE_ID = re.compile(r"_x0000_s(\d+)$")
#: what makes Excel's VML not XML: HTML's line break, never closed
_UNCLOSED_BR = re.compile(rb"<br\s*>", re.IGNORECASE)
#: the lenient reader of a VML part that is not XML otherwise (no entities, no network: as strict as our parser otherwise)
_LENIENT = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def remove_legacy_over(editor: Editor, sheet_part: str, sheet: XMLElement, cells: Cells) -> int:
    """Remove the VML shapes, form controls and OLE objects of the sheet at ``sheet_part`` (whose
    tree is ``sheet``) that lie over any of ``cells``, and hide the shown notes whose box does;
    returns how many were removed or hidden."""
    vml = _vml_tree(editor, sheet_part)
    widths, heights = sizes(sheet)
    changed = 0
    gone: set[int] = set()  # shape ids removed
    if vml is not None:
        for shape in _shapes(vml):
            area = vml_area(shape, sheet, widths, heights, cells)
            if area is None or not touches(area, cells):
                continue
            if _object_type(shape) == "Note":
                changed += _hide(shape)
            else:
                gone |= _ids(shape)
                shape.getparent().remove(shape)  # type: ignore[union-attr]
                changed += 1
    objects = _objects(sheet)
    taken = {int(el.get("shapeId", "")) for el in objects
             if int(el.get("shapeId", "")) in gone or ((a := _object_area(el)) is not None and touches(a, cells))}
    if taken - gone and vml is not None:  # an object over the cells: its picture goes with it
        for shape in _shapes(vml):
            if _ids(shape) & (taken - gone) and _object_type(shape) != "Note":
                shape.getparent().remove(shape)  # type: ignore[union-attr]
                changed += 1
    if taken:
        changed += _remove_objects(editor, sheet_part, sheet, taken)
    return changed


def vml_area(shape: XMLElement, sheet: XMLElement, widths: Callable[[int], int] | None = None,
             heights: Callable[[int], int] | None = None, cells: Cells | None = None) -> Area | None:
    """The cells (1-based: first row, first column, last row, last column) a VML shape covers: by
    its client data's anchor (columns, rows and pixel offsets), else by its style's absolute
    position and size in the sheet's column widths and row heights. None when it says neither.
    ``cells``: only whether it reaches them matters (the walk stops past the last of them)."""
    if widths is None or heights is None:
        widths, heights = sizes(sheet)
    anchor = shape.findtext(f"{{{_X}}}ClientData/{{{_X}}}Anchor")
    if anchor is not None:
        try:
            c1, _o1, r1, _o2, c2, _o3, r2, _o4 = (int(float(v)) for v in anchor.split(","))
        except ValueError:
            return None
        return r1 + 1, c1 + 1, r2 + 1, c2 + 1
    style = _style(shape.get("style") or "")
    if style.get("position", "").strip().lower() != "absolute":
        return None
    x, y = _emu(style.get("margin-left") or style.get("left")), _emu(style.get("margin-top") or style.get("top"))
    cx, cy = _emu(style.get("width")), _emu(style.get("height"))
    if x is None or y is None or cx is None or cy is None:
        return None
    far_row = max(cells, default=0) if cells else 1 << 20
    far_col = max((c for cols in cells.values() for c in cols), default=0) if cells else 1 << 14
    c1, c2 = _span(max(x, 0), max(cx, 0), widths, far_col)
    r1, r2 = _span(max(y, 0), max(cy, 0), heights, far_row)
    return r1 + 1, c1 + 1, r2 + 1, c2 + 1


def _span(start: int, length: int, size: Callable[[int], int], far: int) -> tuple[int, int]:
    """The first and last 0-based column (row) that ``start``..``start + length`` (EMU) touches,
    measured no further than index ``far`` (beyond it, ``far + 1``: what lies there matters not)."""
    i, pos = 0, 0
    while i <= far and pos + size(i) <= start:
        pos += size(i)
        i += 1
    first, end = i, start + length
    while i <= far and pos + size(i) < end:
        pos += size(i)
        i += 1
    return first, i


def _style(text: str) -> dict[str, str]:
    out = {}
    for item in text.split(";"):
        key, sep, value = item.partition(":")
        if sep:
            out[key.strip().lower()] = value.strip()
    return out


def _emu(value: str | None) -> int | None:
    if value is None:
        return 0
    m = _LENGTH.fullmatch(value.strip())
    if not m:
        return None
    return round(float(m.group(1)) * _EMU[(m.group(2) or "").lower()])


def _vml_tree(editor: Editor, sheet_part: str) -> XMLElement | None:
    part = next((r.part for r in editor.rels(sheet_part) if r.kind == "vmlDrawing" and r.part), "")
    if not part:
        return None
    root: XMLElement | None
    try:
        root = editor.tree(part)
    except Rejected:  # not XML as Excel writes it: read leniently, kept as XML from now on
        data = _UNCLOSED_BR.sub(b"<br/>", editor.package.read(part))
        try:
            root = parse(data, part)
        except Rejected:
            try:
                root = etree.fromstring(data, _LENIENT)
            except (etree.XMLSyntaxError, ValueError):
                root = None
        if root is None:
            return None
        editor.add_part(part, _CT_VML, tree=root)
    return root if root is not None and local(root.tag) == "xml" else None


def _shapes(vml: XMLElement) -> list[XMLElement]:
    """The drawing's shapes: its top level (without the shape types and layout), and inside a group
    each shape anchored to cells by client data (a group places the others in its own coordinates)."""
    out = []
    for el in vml:
        if not isinstance(el.tag, str) or local(el.tag) in ("shapetype", "shapelayout"):
            continue
        out.append(el)
        if local(el.tag) == "group":
            for cd in el.iter(f"{{{_X}}}ClientData"):
                shape = cd.getparent()
                if shape is not None and shape is not el and cd.find(f"{{{_X}}}Anchor") is not None:
                    out.append(shape)
    return out


def _object_type(shape: XMLElement) -> str:
    cd = shape.find(f"{{{_X}}}ClientData")
    return (cd.get("ObjectType") or "") if cd is not None else ""


def _ids(shape: XMLElement) -> set[int]:
    out = set()
    for value in (shape.get("id"), shape.get(f"{{{_O}}}spid")):
        m = _SHAPE_ID.search(value or "")
        if m:
            out.add(int(m.group(1)))
    return out


def _hide(note: XMLElement) -> int:
    """A note's box, shown over the cells, hidden (the note stays; its cell shows its mark)."""
    shown = [el for el in note.iter(f"{{{_X}}}Visible")]
    style = _style(note.get("style") or "")
    if not shown and style.get("visibility", "").lower() != "visible":
        return 0
    for el in shown:
        el.getparent().remove(el)  # type: ignore[union-attr]
    kept = [item for item in (note.get("style") or "").split(";") if item.partition(":")[0].strip().lower() != "visibility"]
    note.set("style", ";".join([*(k for k in kept if k.strip()), "visibility:hidden"]))
    return 1


def _object_area(el: XMLElement) -> Area | None:
    """The cells a <control>'s or <oleObject>'s anchor covers (from and to, 0-based, as DrawingML)."""
    anchor = next(el.iter("{*}anchor"), None)
    if anchor is None:
        return None
    ends = []
    for name in ("from", "to"):
        marker = anchor.find("{*}" + name)
        if marker is None:
            return None
        try:
            ends.append((int((marker.findtext("{*}row") or "").strip()), int((marker.findtext("{*}col") or "").strip())))
        except ValueError:
            return None
    (r1, c1), (r2, c2) = ends
    return r1 + 1, c1 + 1, r2 + 1, c2 + 1


def _remove_objects(editor: Editor, sheet_part: str, sheet: XMLElement, ids: set[int]) -> int:
    """Remove the sheet's <control>s and <oleObject>s of shape ``ids`` (each with the Alternate
    Content around it), emptied containers, and the relationships nothing else uses."""
    removed, rel_ids = 0, set()
    for el in [e for e in _objects(sheet) if int(e.get("shapeId", "")) in ids]:
        entry, container = el, el.getparent()
        while container is not None and local(container.tag) not in ("controls", "oleObjects"):
            entry, container = container, container.getparent()
        if container is None:
            continue
        rel_ids |= _rel_ids(entry)
        container.remove(entry)
        removed += 1
        _remove_emptied(container)
    unused = rel_ids - {i for child in _holders(sheet) for i in _rel_ids(child)} - _rel_ids_of_tops(sheet)
    if unused:
        editor.remove_rels(sheet_part, lambda r: r.id not in unused)
    return removed


#: where a sheet's objects drawn through its VML are listed (at its top level, or in an Alternate
#: Content there): the sheet's cells need not be walked
_HOLDERS = ("controls", "oleObjects", "AlternateContent")


def _holders(sheet: XMLElement) -> list[XMLElement]:
    return [el for el in sheet if local(el.tag) in _HOLDERS]


def _objects(sheet: XMLElement) -> list[XMLElement]:
    """The sheet's <control>s and <oleObject>s that name their shape."""
    return [el for holder in _holders(sheet) for el in holder.iter("{*}control", "{*}oleObject")
            if el.get("shapeId", "").isdigit()]


def _rel_ids_of_tops(sheet: XMLElement) -> set[str]:
    """The relationships the sheet's other top-level elements use (drawing, legacyDrawing, …; a
    cell names none)."""
    return {i for el in sheet if local(el.tag) not in _HOLDERS and local(el.tag) != "sheetData" for i in _rel_ids(el)}


def _remove_emptied(container: XMLElement) -> None:
    """An emptied list removed, and the Alternate Content it leaves empty."""
    el: XMLElement | None = container
    while el is not None and not len(el):
        parent = el.getparent()
        if parent is None:
            return
        parent.remove(el)
        el = parent if local(parent.tag) in ("Choice", "Fallback", "AlternateContent") else None


def _rel_ids(root: XMLElement) -> set[str]:
    out = set()
    for el in root.iter():
        for key, value in el.attrib.items():
            name = key if isinstance(key, str) else key.decode()
            if name.startswith("{") and name[1:].partition("}")[0] in _REL_NAMESPACES:
                out.add(value if isinstance(value, str) else value.decode())
    return out
