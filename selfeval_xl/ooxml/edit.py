"""A copy of a package, changed through its parsed trees.

``Editor(package)`` hands out a private, parsed copy of any XML part (``tree``); everything changed is
serialized by lxml at the end, everything else copied as it is compressed. Relationships and content
types are edited as trees too. ``write()`` keeps only the parts reachable from the package root
through the (edited) relationships, so a part no relationship reaches, a macro project whose link
was removed, or a dropped calculation chain never survives into the copy.

The editor knows the package, not the domain: ``sheet.set_cell``, ``styles``, ``comments`` and
``workbook`` below are the spreadsheet operations a writer composes.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lxml import etree

from .opc import CONTENT_TYPES_PART, Package, Relationship, relationships_in, rels_part
from .xml import CONTENT_TYPES, PKG_REL, XMLElement, local, parse, serialize
from .zipread import ZipReader
from .zipwrite import ZipWriter

__all__ = ["STYLESHEET_ORDER", "WORKBOOK_ORDER", "WORKSHEET_ORDER", "Editor", "insert_in_order"]

#: CT_Worksheet's children, in schema order
WORKSHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr", "sheetProtection",
    "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate", "customSheetViews", "mergeCells",
    "phoneticPr", "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions", "pageMargins",
    "pageSetup", "headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors",
    "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
    "webPublishItems", "tableParts", "extLst",
)
#: CT_Workbook's children, in schema order
WORKBOOK_ORDER = (
    "fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets", "functionGroups",
    "externalReferences", "definedNames", "calcPr", "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr",
    "smartTagTypes", "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst",
)
#: CT_Stylesheet's children, in schema order
STYLESHEET_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
                    "tableStyles", "colors", "extLst")


def insert_in_order(parent: XMLElement, child: XMLElement, order: tuple[str, ...]) -> XMLElement:
    """Insert ``child`` among ``parent``'s children where the schema's sequence ``order`` puts it
    (before the first existing element that comes after it; elements of other names are passed over)."""
    name = local(child.tag)
    later = set(order[order.index(name) + 1:])
    for i, el in enumerate(parent):
        if local(el.tag) in later:
            parent.insert(i, child)
            return child
    parent.append(child)
    return child


@dataclass(frozen=True)
class _NewPart:
    data: bytes | None = None
    tree: XMLElement | None = None


class Editor:
    """A package being changed into a copy. The source package is never changed."""

    def __init__(self, package: Package):
        self.package = package
        self._trees: dict[str, XMLElement] = {}  # parts changed, as private trees
        self._new: dict[str, _NewPart] = {}
        self._dropped: set[str] = set()
        self._types = package.take(package.zip.find(CONTENT_TYPES_PART) or CONTENT_TYPES_PART)

    # parts ----------------------------------------------------------------------------------------
    def has(self, part: str) -> bool:
        return part not in self._dropped and (part in self._new or self.package.has(part))

    def tree(self, part: str) -> XMLElement:
        """A private, changeable tree of an XML part (parsed once; serialized when writing)."""
        hit = self._trees.get(part)
        if hit is None:
            new = self._new.get(part)
            if new is not None and new.tree is not None:
                return new.tree
            hit = self._trees[part] = self.package.take(part)
        return hit

    def add_part(self, part: str, content_type: str, data: bytes | None = None, tree: XMLElement | None = None) -> None:
        self._new[part] = _NewPart(data, tree)
        self._dropped.discard(part)
        self.set_override(part, content_type)

    def replace_part(self, part: str, data: bytes) -> None:
        """New bytes for an existing part (its content type unchanged)."""
        self._trees.pop(part, None)
        self._new[part] = _NewPart(data)

    def drop(self, part: str) -> None:
        self._dropped.add(part)
        self._trees.pop(part, None)
        self._new.pop(part, None)
        self.remove_override(part)

    def new_part_name(self, pattern: str) -> str:
        """The first free name of the form ``pattern % n``."""
        n = 1
        while self.has(pattern % n) or self.package.has(pattern % n):
            n += 1
        return pattern % n

    # relationships --------------------------------------------------------------------------------
    def rels(self, part: str) -> list[Relationship]:
        """The relationships of ``part`` as edited so far."""
        name = rels_part(part)
        if name not in self._trees and name not in self._new:
            return [r for r in self.package.rels(part) if not r.part or r.part not in self._dropped]
        return relationships_in(self.tree(name), part, self._resolve)

    def related_part(self, part: str, kind: str, root: str) -> str:
        """As ``Package.related_part``, over the relationships as edited (the part itself may be
        one of ours); '' when there is none."""
        for r in self.rels(part):
            if r.kind == kind and r.part:
                tree = self._new[r.part].tree if r.part in self._new else None
                if tree is None and r.part in self._new:
                    continue  # bytes we wrote, not a tree
                if local((tree if tree is not None else self.package.xml(r.part)).tag) == root:
                    return r.part
        return ""

    def _resolve(self, base: str, target: str) -> str:
        found = self.package.resolve(base, target)
        if found and found not in self._dropped:
            return found
        path = posixpath.normpath(target.lstrip("/") if target.startswith("/") else posixpath.join(base, target))
        return path if path in self._new else ""

    def _rels_tree(self, part: str) -> XMLElement:
        name = rels_part(part)
        if name in self._trees or name in self._new:
            return self.tree(name)
        if self.package.zip.find(name):
            stored = self.package.zip.find(name) or name
            tree = self.tree(stored)
            if stored != name:
                self._trees[name] = tree
                self._dropped.add(stored)
            return tree
        root = etree.Element(f"{{{PKG_REL}}}Relationships", nsmap={None: PKG_REL})  # type: ignore[dict-item]
        self._new[name] = _NewPart(tree=root)
        self.set_default("rels", "application/vnd.openxmlformats-package.relationships+xml")
        return root

    def add_rel(self, part: str, rel_type: str, target_part: str) -> str:
        """Relate ``part`` to ``target_part``; returns the new relationship's id."""
        root = self._rels_tree(part)
        ids = {el.get("Id") for el in root}
        n = len(ids) + 1
        while f"rId{n}" in ids:
            n += 1
        rid = f"rId{n}"
        el = etree.SubElement(root, f"{{{PKG_REL}}}Relationship" if root.tag.startswith("{") else "Relationship")
        el.set("Id", rid)
        el.set("Type", rel_type)
        el.set("Target", posixpath.relpath(target_part, posixpath.dirname(part) or "."))
        return rid

    def remove_rels(self, part: str, keep: Callable[[Relationship], bool]) -> list[Relationship]:
        """Remove the relationships of ``part`` that ``keep`` refuses; returns them."""
        gone = [r for r in self.rels(part) if not keep(r)]
        if gone:
            ids = {r.id for r in gone}
            root = self._rels_tree(part)
            for el in list(root):
                if local(el.tag) == "Relationship" and el.get("Id") in ids:
                    root.remove(el)
        return gone

    # content types --------------------------------------------------------------------------------
    def set_override(self, part: str, content_type: str) -> None:
        self.remove_override(part)
        el = etree.SubElement(self._types, f"{{{CONTENT_TYPES}}}Override")
        el.set("PartName", "/" + part)
        el.set("ContentType", content_type)

    def remove_override(self, part: str) -> None:
        for el in list(self._types):
            if local(el.tag) == "Override" and (el.get("PartName") or "").lstrip("/").lower() == part.lower():
                self._types.remove(el)

    def set_default(self, extension: str, content_type: str) -> None:
        for el in self._types:
            if local(el.tag) == "Default" and (el.get("Extension") or "").lower() == extension.lower():
                return
        el = etree.Element(f"{{{CONTENT_TYPES}}}Default")
        el.set("Extension", extension)
        el.set("ContentType", content_type)
        self._types.insert(0, el)

    def replace_content_type(self, old: str, new: str) -> None:
        for el in self._types:
            if el.get("ContentType") == old:
                el.set("ContentType", new)

    # writing --------------------------------------------------------------------------------------
    def reachable(self) -> list[str]:
        """Parts reachable from the package root through the edited relationships (with their
        relationship parts), original parts in the package's order, then new ones."""
        seen: set[str] = set()
        todo = [""]
        while todo:
            part = todo.pop()
            name = rels_part(part)
            stored = name if name in self._new or name in self._trees else self.package.zip.find(name)
            if stored and stored not in self._dropped:
                seen.add(stored)
            for r in self.rels(part):
                if r.part and r.part not in seen and r.part not in self._dropped:
                    seen.add(r.part)
                    todo.append(r.part)
        ordered = [n for n in self.package.names() if n in seen]
        return ordered + [n for n in self._new if n in seen and n not in ordered]

    def write(self, level: int = 6) -> bytes:
        parts = self.reachable()
        keep = {p.lower() for p in parts}
        extensions = {posixpath.splitext(p)[1].lstrip(".").lower() for p in parts} | {"rels", "xml"}
        for el in list(self._types):  # content types of parts that are not in the copy
            kind = local(el.tag)
            if (kind == "Override" and (el.get("PartName") or "").lstrip("/").lower() not in keep) or (
                    kind == "Default" and (el.get("Extension") or "").lower() not in extensions):
                self._types.remove(el)
        out = ZipWriter(level=level)
        zr = self.package.zip
        out.add(CONTENT_TYPES_PART, serialize(self._types))
        for part in parts:
            if part in self._trees:
                out.add(part, serialize(self._trees[part]), _date_time(zr, part))
            elif part in self._new:
                new = self._new[part]
                out.add(part, new.data if new.data is not None else serialize(new.tree))  # type: ignore[arg-type]
            else:
                e = zr.entries[part]
                out.copy(part, e.method, e.crc, e.size, e.date_time, zr.compressed(part), e.external_attr)
        return out.finish()


def _date_time(zr: ZipReader, part: str) -> tuple[int, int, int, int, int, int]:
    e = zr.entries.get(part)
    return e.date_time if e else (1980, 1, 1, 0, 0, 0)


def parse_new(text: str, part: str) -> XMLElement:
    """A part we generate, parsed (so every part we write went through the parser)."""
    return parse(text.encode("utf-8"), part)


def elements(parent: XMLElement, name: str) -> Iterable[XMLElement]:
    return (el for el in parent if local(el.tag) == name)
