"""XML of a package, read by real parsers only.

- ``parse(data, part)``: a whole part as an lxml tree. The parser never loads a DTD, resolves no
  entity, touches no network, keeps libxml2's size and depth limits (no ``huge_tree``); a part that
  declares a DTD anyway is F007, a part that is not well-formed XML F003, a well-formed part over
  those limits (a text of millions of characters in one cell) F006 saying which.
- ``check_prolog(head, part)``: for a part we only copy, expat reads its start up to the root
  element (comments, processing instructions and any encoding included) and refuses a DTD there.
- Namespaces: Transitional and Strict OOXML name the same things differently; ``Names`` gives the
  qualified tags of one document's namespace, so the walkers compare strings, not parsed names.
- Escaped strings (ST_Xstring, ECMA-376 Part 1, 22.9.2.19): a cell's text may hold a character XML
  cannot (a carriage return Excel writes as ``_x000D_``); ``decode_xstring`` reads such text,
  ``encode_xstring`` writes it as Excel does.
"""

from __future__ import annotations

import re
import xml.parsers.expat as expat
from collections.abc import Iterator
from typing import ClassVar

from lxml import etree

from .errors import KiB, Rejected

__all__ = [
    "CONTENT_TYPES",
    "MAIN",
    "MAIN_STRICT",
    "PKG_REL",
    "PROLOG_MAX",
    "REL",
    "REL_STRICT",
    "Names",
    "XMLElement",
    "decode_xstring",
    "encode_xstring",
    "local",
    "parse",
    "prolog_done",
    "rel_kind",
    "serialize",
]

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
MAIN_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
_REL_BASES = (REL + "/", REL_STRICT + "/", "http://schemas.microsoft.com/office/2006/relationships/",
              "http://schemas.microsoft.com/office/2007/relationships/",
              "http://schemas.microsoft.com/office/2011/relationships/",
              "http://schemas.microsoft.com/office/2017/10/relationships/",
              "http://schemas.microsoft.com/office/2022/10/relationships/")

XMLElement = etree._Element

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                          huge_tree=False, collect_ids=False, remove_blank_text=False, strip_cdata=True)


def parse(data: bytes, part: str) -> XMLElement:
    """Parse a whole part. Raises Rejected F003 (not well-formed) or F007 (declares a DTD)."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        prolog_done(data[:PROLOG_MAX], part, complete=len(data) <= PROLOG_MAX)  # F007 when a DTD is the cause
        over_parser_limits(data, part)  # F006 when it is well-formed but over libxml2's limits
        raise Rejected("F003", f"部件 {part} 不是有效的 XML") from None
    except (ValueError, LookupError):  # an encoding lxml does not know
        raise Rejected("F003", f"部件 {part} 的编码无法识别") from None
    if root is None:
        raise Rejected("F003", f"部件 {part} 是空的")
    info = root.getroottree().docinfo
    if info.internalDTD is not None or info.doctype:
        raise Rejected("F007", f"部件 {part} 含有 DTD 定义")
    return root


#: libxml2's limits without ``huge_tree`` (XML_MAX_TEXT_LENGTH, bytes of one text node or attribute
#: value; xmlParserMaxDepth): a part over them is refused by the parser, not because it is broken
TEXT_MAX_BYTES = 10_000_000
DEPTH_MAX = 256


class _Limits:
    """What expat saw of a part: its longest run of text in one element (characters and UTF-8
    bytes) and its depth."""

    def __init__(self) -> None:
        self.chars = self.bytes = 0
        self.longest = (0, 0)
        self.depth = self.deepest = 0

    def start(self, _name: str, attrs: dict[str, str]) -> None:
        self._end_text()
        self.depth += 1
        self.deepest = max(self.deepest, self.depth)
        for value in attrs.values():
            self.longest = max(self.longest, (len(value.encode("utf-8")), len(value)))

    def end(self, _name: str) -> None:
        self._end_text()
        self.depth -= 1

    def text(self, data: str) -> None:
        self.chars += len(data)
        self.bytes += len(data.encode("utf-8"))

    def _end_text(self) -> None:
        self.longest = max(self.longest, (self.bytes, self.chars))
        self.chars = self.bytes = 0


def over_parser_limits(data: bytes, part: str) -> None:
    """Called when libxml2 refused a part (without a DTD): raises Rejected F006 when the part is
    well-formed XML (expat, which has no such limits, reads it through) and over libxml2's limits,
    saying which; returns when it is not, or over none (then it is F003). A text over the limit is
    the case a department meets: a cell of millions of characters, which no Excel cell holds."""
    seen = _Limits()
    p = expat.ParserCreate()
    p.buffer_text = True
    p.StartElementHandler = seen.start
    p.EndElementHandler = seen.end
    p.CharacterDataHandler = seen.text
    try:
        p.Parse(data, True)
    except (expat.ExpatError, ValueError, LookupError):
        return
    size, chars = seen.longest
    if size > TEXT_MAX_BYTES:
        what = "单元格文字过长" if "sharedStrings" in part or "worksheets/" in part else "文字过长"
        raise Rejected("F006", f"{what}：部件 {part} 中有一段文字 {chars:,} 个字符（{size / 1e6:,.1f} MB），"
                               f"超过读取时一段文字 {TEXT_MAX_BYTES // 10_000} 万字节的安全限制（Excel 和 WPS 一个单元格"
                               "最多 32,767 个字符）。请把过长的内容缩短，详细材料另附")
    if seen.deepest > DEPTH_MAX:
        raise Rejected("F006", f"部件 {part} 的 XML 嵌套 {seen.deepest:,} 层，超过读取时 {DEPTH_MAX} 层的安全限制")


def serialize(root: XMLElement) -> bytes:
    """A part as UTF-8 with its declaration (comments and processing instructions kept)."""
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8", standalone=True)


class _Root(Exception):
    pass


class _Doctype(Exception):
    pass


def _stop_at_root(*_args: object) -> None:
    raise _Root


def _doctype(*_args: object) -> None:
    raise _Doctype


#: how far into a part its root element must have started (a prolog of comments longer than this
#: is no Office file)
PROLOG_MAX = 256 * KiB


def prolog_done(head: bytes, part: str, complete: bool) -> bool:
    """Whether the start of a part we do not parse whole reaches its root element without a DTD.
    ``head`` is the part's start (``complete`` when it is all of it). expat reads it (comments,
    processing instructions, any encoding) and stops at the root element's start tag: True then;
    False when more of the part is needed. Raises Rejected F007 for a DTD, F003 for anything that
    is not XML."""
    p = expat.ParserCreate()
    p.StartElementHandler = _stop_at_root
    p.StartDoctypeDeclHandler = _doctype
    p.EntityDeclHandler = _doctype
    try:
        p.Parse(head, complete)
    except _Root:
        return True
    except _Doctype:
        raise Rejected("F007", f"部件 {part} 含有 DTD 定义") from None
    except expat.ExpatError:
        raise Rejected("F003", f"部件 {part} 不是有效的 XML") from None
    except (ValueError, LookupError):
        raise Rejected("F003", f"部件 {part} 的编码无法识别") from None
    if complete or len(head) >= PROLOG_MAX:
        raise Rejected("F003", f"部件 {part} 不是有效的 XML（找不到根元素）")
    return False


def local(tag: object) -> str:
    """The local name of an element's tag ('' for comments and processing instructions)."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def rel_kind(rel_type: str) -> str:
    """The kind of a relationship type ('worksheet', 'styles', 'vbaProject', ...), whichever of the
    Transitional, Strict or Microsoft namespaces it is written in; '' for an unknown type."""
    for base in _REL_BASES:
        if rel_type.startswith(base):
            return rel_type[len(base):]
    return ""


class Names:
    """The qualified tags of one SpreadsheetML namespace (Transitional, Strict, or none)."""

    _cache: ClassVar[dict[str, Names]] = {}

    def __new__(cls, ns: str) -> Names:
        hit = cls._cache.get(ns)
        if hit is None:
            hit = super().__new__(cls)
            hit.ns = ns
            hit.prefix = "{" + ns + "}" if ns else ""
            hit.rel = REL_STRICT if ns == MAIN_STRICT else REL
            cls._cache[ns] = hit
        return hit

    ns: str
    prefix: str
    rel: str

    def __call__(self, name: str) -> str:
        return self.prefix + name

    def r(self, name: str) -> str:
        """An attribute in the relationships namespace (r:id)."""
        return "{" + self.rel + "}" + name

    @classmethod
    def of(cls, root: XMLElement) -> Names:
        tag = root.tag if isinstance(root.tag, str) else ""
        return cls(tag[1:].partition("}")[0] if tag.startswith("{") else "")


def children(el: XMLElement, tag: str) -> Iterator[XMLElement]:
    return (c for c in el if c.tag == tag)


# ---------------------------------------------------------------------------------------------
# ST_Xstring: _xHHHH_ escapes in cell text (shared strings, inline strings, rich-text runs, <v>)

#: a surrogate pair of escapes (one character beyond the BMP), or one escape
_ESCAPE = re.compile(r"_x([Dd][89ABab][0-9A-Fa-f]{2})__x([Dd][C-Fc-f][0-9A-Fa-f]{2})_|_x([0-9A-Fa-f]{4})_")


def decode_xstring(text: str) -> str:
    """Text as the cell holds it: every ``_xHHHH_`` (exactly four hex digits) is the character
    HHHH, read left to right without overlap, so ``_x005F_x000D_`` (Excel's way of storing the
    literal text ``_x000D_``) reads ``_x000D_``. A surrogate pair of escapes is one character; a
    lone surrogate (no character at all) stays as written."""
    if "_x" not in text:
        return text
    return _ESCAPE.sub(_decoded, text)


def _decoded(m: re.Match[str]) -> str:
    if m.group(3) is None:
        high, low = int(m.group(1), 16), int(m.group(2), 16)
        return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    code = int(m.group(3), 16)
    return m.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)


_CONTROL = "[\x00-\x08\x0b-\x1f\ufffe\uffff]"
#: an underscore that would open an escape (its closer may be the opener of the next one, or a
#: control character's escape), or a control character
_ENCODE = re.compile(f"_(?=x[0-9A-Fa-f]{{4}}(?:_|{_CONTROL}))|{_CONTROL}")


def encode_xstring(text: str) -> str:
    """Text for a cell's <t> or <v> as Excel writes it: the underscore opening a literal
    ``_xHHHH_`` is escaped (``_x005F_xHHHH_``), and a character XML cannot hold (a control
    character, the carriage return included, as Excel and XlsxWriter write it) is ``_xHHHH_``.
    ``decode_xstring(encode_xstring(t)) == t`` for every text, ``_x0041_x0042_`` included (its
    second underscore both closes one sequence and opens the next)."""
    if "_x" not in text and not _HAS_CONTROL.search(text):
        return text
    return _ENCODE.sub(_encoded, text)


_HAS_CONTROL = re.compile(_CONTROL)


def _encoded(m: re.Match[str]) -> str:
    c = m.group(0)
    return "_x005F_" if c == "_" else f"_x{ord(c):04X}_"
