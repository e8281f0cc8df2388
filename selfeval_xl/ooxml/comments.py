"""Cell notes (legacy comments) added to a sheet of a copy: the comments part and its VML shapes.

A sheet that has comments keeps them: a note on a cell that already has one is appended to its text,
others are added in address order under an author of their own. Excel shows a legacy comment only
with a VML shape, so each new note gets one in the sheet's VML drawing (a new drawing when there is
none). A VML part that is not well-formed XML (older Excel versions wrote some) is written anew with
a shape for every comment of the sheet.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

from lxml import etree

from .edit import Editor
from .errors import Rejected
from .refs import parse_ref
from .sheet_edit import Cells, CellWriter, touches
from .xml import MAIN, XMLElement, decode_xstring, encode_xstring, local, parse

__all__ = ["add_notes", "hide_shapes_over", "remove_notes"]

_CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
_CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_V, _O, _X = "urn:schemas-microsoft-com:vml", "urn:schemas-microsoft-com:office:office", \
    "urn:schemas-microsoft-com:office:excel"


def add_notes(editor: Editor, sheet_part: str, sheet: CellWriter, notes: dict[str, str], author: str,
              rel_base: str, font: str = "宋体") -> None:
    """Add ``notes`` (A1 -> text) to the sheet at ``sheet_part`` (whose tree ``sheet`` edits)."""
    comments = editor.related_part(sheet_part, "comments", "comments")
    if comments:
        root = editor.tree(comments)
    else:  # none, or a comments relationship that leads nowhere: replaced by ours
        editor.remove_rels(sheet_part, lambda r: r.kind != "comments")
        comments = editor.new_part_name("xl/comments%d.xml")
        ns = sheet.n.ns or MAIN
        root = parse(f'<comments xmlns="{ns}"><authors/><commentList/></comments>'.encode(), comments)
        editor.add_part(comments, _CT_COMMENTS, tree=root)
        editor.add_rel(sheet_part, rel_base + "/comments", comments)
    all_refs = _merge_comments(root, notes, author, font)
    vml = next((r.part for r in editor.rels(sheet_part) if r.kind == "vmlDrawing" and r.part), "")
    if vml:
        try:
            vroot = editor.tree(vml)
        except Rejected:  # not XML: a new drawing with a shape for every comment of the sheet
            editor.replace_part(vml, etree.tostring(_new_vml(sorted(all_refs, key=_order), _free_block(editor))))
            return
        if local(vroot.tag) == "xml":
            have = _vml_refs(vroot)
            _append_shapes(vroot, [r for r in notes if r not in have])
            return
        # a drawing relationship that leads to something else: replaced by ours
        editor.remove_rels(sheet_part, lambda r: r.kind != "vmlDrawing")
        for el in list(sheet.root):
            if local(el.tag) == "legacyDrawing":
                sheet.root.remove(el)
        new_refs = sorted(all_refs, key=_order)
    else:
        new_refs = list(notes)
    vml = editor.new_part_name("xl/drawings/vmlDrawing%d.vml")
    editor.add_part(vml, _CT_VML, data=etree.tostring(_new_vml(new_refs, _free_block(editor))))
    editor.set_default("vml", _CT_VML)
    rid = editor.add_rel(sheet_part, rel_base + "/vmlDrawing", vml)
    el = etree.Element(sheet.n("legacyDrawing"))
    el.set(f"{{{rel_base}}}id", rid)
    sheet.add_child(el)


def remove_notes(editor: Editor, sheet_part: str, cells: set[tuple[int, int]]) -> int:
    """Remove the notes (legacy comments with their VML shapes, and threaded comments) on
    ``cells`` (row, column) of the sheet at ``sheet_part``; returns how many there were."""
    removed = 0
    for kind, root_name, item in (("comments", "comments", "comment"),
                                  ("threadedComment", "ThreadedComments", "threadedComment")):
        part = editor.related_part(sheet_part, kind, root_name)
        if not part or not any(parse_ref(el.get("ref") or "") in cells
                                for el in editor.package.xml(part).iter(f"{{*}}{item}")):
            continue
        for el in list(editor.tree(part).iter(f"{{*}}{item}")):
            if parse_ref(el.get("ref") or "") in cells:
                el.getparent().remove(el)  # type: ignore[union-attr]
                removed += kind == "comments"
    vml = next((r.part for r in editor.rels(sheet_part) if r.kind == "vmlDrawing" and r.part), "")
    if removed and vml:
        try:
            vroot = editor.tree(vml)
        except Rejected:  # not XML: written anew with a shape for each comment left
            part = editor.related_part(sheet_part, "comments", "comments")
            left = [el.get("ref") or "" for el in editor.tree(part).iter("{*}comment")] if part else []
            editor.replace_part(vml, etree.tostring(_new_vml(sorted(left, key=_order), _free_block(editor))))
            return removed
        for cd in list(vroot.iter(f"{{{_X}}}ClientData")):
            row, col = cd.find(f"{{{_X}}}Row"), cd.find(f"{{{_X}}}Column")
            try:
                pos = (int(row.text or "") + 1, int(col.text or "") + 1)  # type: ignore[union-attr]
            except (AttributeError, ValueError):
                continue
            shape = cd.getparent()
            if cd.get("ObjectType") == "Note" and pos in cells and shape is not None and shape.getparent() is not None:
                shape.getparent().remove(shape)  # type: ignore[union-attr]
    return removed


def hide_shapes_over(editor: Editor, sheet_part: str, cells: Cells) -> int:
    """Hide every shape of the sheet's VML drawing laid over any of ``cells``: a note of another cell
    shown at all times, whose box an author can size and place anywhere, or a form control (a label
    saying "满分"). A hidden note still shows while the pointer is on its own cell; a hidden control
    keeps its place in the file. Returns how many were shown."""
    vml = next((r.part for r in editor.rels(sheet_part) if r.kind == "vmlDrawing" and r.part), "")
    if not vml:
        return 0
    try:
        source = editor.package.xml(vml)
    except Rejected:
        return 0
    if not any(_shown_over(cd, cells) for cd in source.iter(f"{{{_X}}}ClientData")):
        return 0
    hidden = 0
    for cd in list(editor.tree(vml).iter(f"{{{_X}}}ClientData")):
        shape = cd.getparent()
        if shape is None or not _shown_over(cd, cells):
            continue
        for visible in cd.findall(f"{{{_X}}}Visible"):
            cd.remove(visible)
        style = [p for p in (shape.get("style") or "").split(";") if p.strip() and
                 p.split(":", 1)[0].strip().lower() != "visibility"]
        shape.set("style", ";".join([*style, "visibility:hidden"]))
        hidden += 1
    return hidden


def _shown_over(cd: XMLElement, cells: Cells) -> bool:
    """The shape of this ClientData is shown (a note with x:Visible, or any shape not hidden by its
    style) and its anchor covers one of ``cells``."""
    shape = cd.getparent()
    if shape is None:
        return False
    style = (shape.get("style") or "").replace(" ", "").lower()
    hidden_style = "visibility:hidden" in style or "display:none" in style
    if hidden_style and cd.find(f"{{{_X}}}Visible") is None:  # a note's box shows with either
        return False
    try:
        c1, _dx1, r1, _dy1, c2, _dx2, r2, _dy2 = (int(x) for x in (cd.findtext(f"{{{_X}}}Anchor") or "").split(","))
    except ValueError:
        return True  # a shown shape whose place cannot be read: it may lie anywhere
    return touches((r1 + 1, c1 + 1, r2 + 1, c2 + 1), cells)


def _order(ref: str) -> tuple[int, int]:
    return parse_ref(ref) or (0, 0)


def _merge_comments(root: XMLElement, notes: dict[str, str], author: str, font: str) -> set[str]:
    """Put ``notes`` into a comments tree; returns every commented cell."""
    ns = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
    q = (lambda name: f"{{{ns}}}{name}") if ns else (lambda name: name)
    authors = root.find(q("authors"))
    if authors is None:
        authors = etree.Element(q("authors"))
        root.insert(0, authors)
    names = [a.text or "" for a in authors if a.tag == q("author")]
    if author in names:
        author_id = names.index(author)
    else:
        etree.SubElement(authors, q("author")).text = author
        author_id = len(names)
    clist = root.find(q("commentList"))
    if clist is None:
        clist = etree.SubElement(root, q("commentList"))
    remaining = dict(notes)
    existing: dict[tuple[int, int], XMLElement] = {}
    for c in clist:
        if local(c.tag) != "comment":
            continue
        pos = parse_ref(c.get("ref") or "")
        if pos:
            existing[pos] = c
    for ref in list(remaining):
        found = existing.get(_order(ref))
        if found is None:
            continue
        c = found
        text = c.find(q("text"))
        if text is None:
            text = etree.SubElement(c, q("text"))
        addition = f"\n\n【{author}】{remaining.pop(ref)}"
        plain = text.find(q("t"))
        if plain is not None and not [x for x in text if local(x.tag) == "r"]:
            plain.text = encode_xstring(decode_xstring(plain.text or "") + addition)
            plain.set(_XML_SPACE, "preserve")
        else:
            _run(text, q, addition, font, bold=False)
    # each new note goes before the first comment of the sheet at a later address (the notes are
    # taken in address order, so only the sheet's own comments can be later): one bisection each
    theirs = sorted(existing.items())
    positions = [pos for pos, _ in theirs]
    for ref in sorted(remaining, key=_order):
        c = etree.Element(q("comment"))
        c.set("ref", ref)
        c.set("authorId", str(author_id))
        text = etree.SubElement(c, q("text"))
        _run(text, q, f"{author}：", font, bold=True)
        _run(text, q, "\n" + remaining[ref], font, bold=False)
        at = bisect_right(positions, _order(ref))
        if at < len(theirs):
            theirs[at][1].addprevious(c)
        else:
            clist.append(c)
        existing[_order(ref)] = c
    return {e.get("ref") or "" for e in existing.values()}


def _run(text: XMLElement, q: Callable[[str], str], value: str, font: str, bold: bool) -> None:
    r = etree.SubElement(text, q("r"))
    pr = etree.SubElement(r, q("rPr"))
    if bold:
        etree.SubElement(pr, q("b"))
    etree.SubElement(pr, q("sz")).set("val", "9")
    etree.SubElement(pr, q("rFont")).set("val", font)
    t = etree.SubElement(r, q("t"))
    t.set(_XML_SPACE, "preserve")
    t.text = encode_xstring(value)


def _vml_refs(root: XMLElement) -> set[str]:
    out = set()
    for cd in root.iter(f"{{{_X}}}ClientData"):
        row, col = cd.find(f"{{{_X}}}Row"), cd.find(f"{{{_X}}}Column")
        try:
            out.add(_a1(int(row.text or ""), int(col.text or "")))  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            continue
    return out


def _a1(row0: int, col0: int) -> str:
    from .refs import a1

    return a1(row0 + 1, col0 + 1)


def _shape(shape_id: int, ref: str) -> XMLElement:
    row, col = _order(ref)
    r0, c0 = row - 1, col - 1
    anchor = f"{c0 + 1}, 15, {max(r0 - 1, 0)}, 10, {c0 + 5}, 15, {max(r0 - 1, 0) + 6}, 4"
    text = (f'<v:shape xmlns:v="{_V}" xmlns:o="{_O}" xmlns:x="{_X}" id="_x0000_s{shape_id}" type="#_x0000_t202" '
            'style="position:absolute;margin-left:80pt;margin-top:2pt;width:240pt;height:110pt;z-index:1;'
            'visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
            '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
            '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
            '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:Anchor>{anchor}</x:Anchor><x:AutoFill>False</x:AutoFill>"
            f"<x:Row>{r0}</x:Row><x:Column>{c0}</x:Column></x:ClientData></v:shape>")
    return etree.fromstring(text)


def _append_shapes(root: XMLElement, refs: list[str]) -> None:
    if not refs:
        return
    ids = []
    for el in root.iter():
        sid = el.get("id") or ""
        if sid.startswith("_x0000_s") and sid[8:].isdigit():
            ids.append(int(sid[8:]))
    start = max(ids, default=1024) + 1
    if root.find(f"{{{_V}}}shapetype") is None:
        root.insert(0, _shapetype())
    for i, ref in enumerate(refs):
        root.append(_shape(start + i, ref))


def _shapetype() -> XMLElement:
    return etree.fromstring(
        f'<v:shapetype xmlns:v="{_V}" xmlns:o="{_O}" id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
        'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
        '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>')


def _new_vml(refs: list[str], block: int) -> XMLElement:
    root = etree.fromstring(
        f'<xml xmlns:v="{_V}" xmlns:o="{_O}" xmlns:x="{_X}"><o:shapelayout v:ext="edit">'
        f'<o:idmap v:ext="edit" data="{block}"/></o:shapelayout></xml>')
    root.append(_shapetype())
    for i, ref in enumerate(refs):
        root.append(_shape(block * 1024 + i + 1, ref))
    return root


def _free_block(editor: Editor) -> int:
    """A shape-id block no other VML drawing of the package uses."""
    used: set[int] = set()
    for name in editor.package.names():
        if not name.lower().endswith(".vml"):
            continue
        try:
            root = editor.package.xml(name)
        except Rejected:
            continue
        for el in root.iter(f"{{{_O}}}idmap"):
            used |= {int(x) for x in (el.get("data") or "").replace(",", " ").split() if x.isdigit()}
    n = 1
    while n in used:
        n += 1
    return n
