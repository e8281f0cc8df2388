"""Small readers of OOXML package parts, shared by intake and the scored copy.

Relationships and the workbook's sheet list are read with regular expressions: the parts are
tiny, have already been checked for DTDs by intake, and a full XML parser costs more than the
rest of reading them. Attribute values are unescaped; either quote style is accepted; elements may
carry any namespace prefix, and Strict OOXML's relationship namespace is understood.
"""

from __future__ import annotations

import posixpath
import re
from html import unescape

__all__ = ["Rel", "rels_name", "parse_rels", "parse_sheets", "attrs"]

_ATTR = re.compile(r"""([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REL = re.compile(r"<(?:\w+:)?Relationship\b([^>]*?)/?>")
_SHEET = re.compile(r"<(?:\w+:)?sheet\b([^>]*?)/?>")


def attrs(text: str) -> dict[str, str]:
    """An element's attributes (names with their prefix), values unescaped."""
    return {k: unescape(a if a or not b else b) for k, a, b in _ATTR.findall(text)}


class Rel(tuple):
    """(id, type, target as written, resolved part name, or '' for an external target)."""

    __slots__ = ()

    def __new__(cls, rid: str, typ: str, target: str, part: str):
        return super().__new__(cls, (rid, typ, target, part))

    @property
    def id(self) -> str:
        return self[0]

    @property
    def type(self) -> str:
        return self[1]

    @property
    def part(self) -> str:
        return self[3]


def rels_name(part: str) -> str:
    """The relationships part of ``part`` ('' for the package's own)."""
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def parse_rels(text: str, part: str) -> list[Rel]:
    """The relationships of ``part`` from its .rels text."""
    base = posixpath.dirname(part)
    out = []
    for m in _REL.finditer(text):
        a = attrs(m.group(1))
        target = a.get("Target", "")
        if a.get("TargetMode") == "External":
            resolved = ""
        elif target.startswith("/"):
            resolved = target.lstrip("/")
        else:
            resolved = posixpath.normpath(posixpath.join(base, target))
        out.append(Rel(a.get("Id", ""), a.get("Type", ""), target, resolved))
    return out


def parse_sheets(workbook_xml: str) -> list[tuple[str, str]]:
    """(sheet name, relationship id) of every <sheet> in workbook.xml, in order."""
    out = []
    for m in _SHEET.finditer(workbook_xml):
        a = attrs(m.group(1))
        rid = next((v for k, v in a.items() if k.endswith(":id")), "") or a.get("id", "")
        out.append((a.get("name", ""), rid))
    return out
