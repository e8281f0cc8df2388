"""The package (Open Packaging Conventions): parts, content types, relationships.

``Package`` wraps a checked zip: it parses ``[Content_Types].xml`` and relationship parts with the
hardened parser, resolves each relationship's target to a part of the zip (relative or absolute,
percent-encoded, any letter case: OPC part names are case-insensitive), and knows which parts are
reachable from the package root. Every reachable part is verified before anything uses it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from .errors import Limits, Rejected
from .xml import PROLOG_MAX, XMLElement, local, parse, prolog_done, rel_kind
from .zipread import ZipReader

__all__ = ["CONTENT_TYPES_PART", "Package", "Relationship", "rels_part"]

CONTENT_TYPES_PART = "[Content_Types].xml"


@dataclass(frozen=True, slots=True)
class Relationship:
    id: str
    type: str  # the full type URI
    kind: str  # its last segment ('worksheet', 'styles', ...), '' for an unknown type
    target: str  # as written
    part: str  # the zip entry it points at; '' for an external or missing target
    external: bool


def rels_part(part: str) -> str:
    """The relationships part of ``part`` ('' for the package itself)."""
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def relationships_in(root: XMLElement, part: str, resolve: Callable[[str, str], str]) -> list[Relationship]:
    """The relationships of ``part`` in its parsed .rels part, each target resolved by
    ``resolve(folder of part, target)`` (external targets are not)."""
    out = []
    base = posixpath.dirname(part)
    for el in root:
        if local(el.tag) != "Relationship":
            continue
        target = el.get("Target") or ""
        external = (el.get("TargetMode") or "").lower() == "external"
        typ = el.get("Type") or ""
        out.append(Relationship(el.get("Id") or "", typ, rel_kind(typ), target,
                                "" if external else resolve(base, target), external))
    return out


class Package:
    """A zip package taken in: its parts, content types and relationships."""

    def __init__(self, data: bytes, limits: Limits):
        self.limits = limits
        self.zip = ZipReader(data, limits)
        self._rels: dict[str, list[Relationship]] = {}
        self._xml: dict[str, XMLElement] = {}
        name = self.zip.find(CONTENT_TYPES_PART)
        if name is None:
            raise Rejected("F002", "压缩包中没有 [Content_Types].xml")
        self.defaults: dict[str, str] = {}
        self.overrides: dict[str, str] = {}
        root = self.xml(name)
        for el in root:
            kind = local(el.tag)
            if kind == "Default":
                self.defaults[(el.get("Extension") or "").lower()] = el.get("ContentType") or ""
            elif kind == "Override":
                self.overrides[(el.get("PartName") or "").lstrip("/").lower()] = el.get("ContentType") or ""
        if local(root.tag) != "Types":
            raise Rejected("F003", "[Content_Types].xml 不是内容类型清单")

    @property
    def data(self) -> bytes:
        return self.zip.data

    def names(self) -> list[str]:
        return self.zip.names()

    def has(self, part: str) -> bool:
        return self.zip.find(part) is not None

    def content_type(self, part: str) -> str:
        override = self.overrides.get(part.lower())
        if override is not None:
            return override
        return self.defaults.get(posixpath.splitext(part)[1].lstrip(".").lower(), "")

    # XML ----------------------------------------------------------------------------------------
    def is_xml(self, part: str) -> bool:
        """An XML part, by its name or its content type (``…+xml``, ``application/xml``)."""
        ct = self.content_type(part).split(";", 1)[0].strip().lower()
        return part.lower().endswith((".xml", ".rels")) or ct.endswith("+xml") or ct in ("application/xml", "text/xml")

    def read(self, part: str) -> bytes:
        """An XML part inflated whole (at most ``limits.max_xml_bytes``; CRC checked)."""
        return self.zip.read(part, self.limits.max_xml_bytes)

    def xml(self, part: str) -> XMLElement:
        """A part parsed whole (cached)."""
        hit = self._xml.get(part)
        if hit is None:
            hit = self._xml[part] = parse(self.read(part), part)
        return hit

    def take(self, part: str) -> XMLElement:
        """A part's parsed tree, handed over for changing: it leaves the cache, so whoever asks
        for the part next gets it parsed afresh from the package's bytes."""
        hit = self._xml.pop(part, None)
        return hit if hit is not None else parse(self.read(part), part)

    def verify_reachable_parts(self, also: tuple[str, ...] = ()) -> None:
        """Every part reachable from the package root inflated once with its size and CRC checked,
        and every XML part parsed (not well-formed: F003; a DTD: F007), so that nothing a copy
        carries is damaged. VML drawings are the exception Excel makes: it writes them with
        unclosed <br> tags, so they are only refused for a DTD. Parts no relationship reaches are
        never read (and never copied)."""
        for name in self.reachable(also):
            if name.lower().endswith(".vml"):
                data = self.zip.read(name)
                prolog_done(data[:PROLOG_MAX], name, complete=len(data) <= PROLOG_MAX)
            elif self.is_xml(name):
                self.xml(name)
            else:
                self.zip.verify(name)

    # relationships ------------------------------------------------------------------------------
    def rels(self, part: str) -> list[Relationship]:
        """The relationships of ``part`` ('' for the package root), targets resolved."""
        hit = self._rels.get(part)
        if hit is not None:
            return hit
        name = self.zip.find(rels_part(part))
        out = relationships_in(self.xml(name), part, self.resolve) if name is not None else []
        self._rels[part] = out
        return out

    def resolve(self, base: str, target: str) -> str:
        """The zip entry a relative or absolute target names ('' when there is none)."""
        target = unquote(target.replace("\\", "/").split("#", 1)[0])
        if not target:
            return ""
        path = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
        path = posixpath.normpath(path)
        if path.startswith("../") or path in (".", ".."):
            return ""
        return self.zip.find(path) or ""

    def related(self, part: str, kind: str) -> list[Relationship]:
        return [r for r in self.rels(part) if r.kind == kind]

    def related_part(self, part: str, kind: str, root: str) -> str:
        """The part the first relationship of ``kind`` leads to, if it is inside the package and
        its root element is ``root`` (a styles relationship that points at the workbook, say, leads
        nowhere); '' otherwise."""
        for r in self.rels(part):
            if r.kind == kind and r.part and local(self.xml(r.part).tag) == root:
                return r.part
        return ""

    def reachable(self, also: tuple[str, ...] = ()) -> list[str]:
        """Every part reachable from the package root (and from the parts ``also``) through
        internal relationships, with the relationship parts on the way, in the zip's order."""
        seen: set[str] = set(also)
        todo = ["", *also]
        while todo:
            part = todo.pop()
            rp = self.zip.find(rels_part(part))
            if rp:
                seen.add(rp)
            for r in self.rels(part):
                if r.part and r.part not in seen:
                    seen.add(r.part)
                    todo.append(r.part)
        return [n for n in self.names() if n in seen]
