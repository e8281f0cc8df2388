"""A spreadsheet package: its workbook part, sheets, shared strings and date styles.

``Workbook(package)`` finds the workbook part through the package relationships, reads the sheet
list (names compared case-insensitively, as Excel does: two sheets of one name are a damaged file),
and offers each worksheet read by ``sheet.read_sheet`` on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .errors import Rejected
from .opc import Package
from .sheet import Sheet, read_sheet, string_item
from .xml import MAIN, MAIN_STRICT, Names, XMLElement, decode_xstring, local

__all__ = ["SheetRef", "Workbook", "is_date_format"]

_MACRO_WORKBOOK = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


@dataclass(frozen=True, slots=True)
class SheetRef:
    name: str
    part: str  # '' when the sheet's relationship is missing or not a worksheet
    state: str  # visible | hidden | veryHidden
    kind: str  # the relationship's kind: worksheet, chartsheet, dialogsheet, ...


class Workbook:
    def __init__(self, package: Package):
        self.package = package
        part = next((r.part for r in package.rels("") if r.kind == "officeDocument" and r.part), "")
        if not part:
            part = package.zip.find("xl/workbook.xml") or ""
        if not part:
            raise Rejected("F002", "压缩包中没有 Excel 工作簿")
        if part.lower().endswith(".bin"):
            raise Rejected("F002", "这是二进制工作簿（.xlsb）")
        self.part = part
        root = package.xml(part)
        if local(root.tag) != "workbook":
            raise Rejected("F002", f"{part} 不是 Excel 工作簿")
        self.names = Names.of(root)
        if self.names.ns not in (MAIN, MAIN_STRICT, ""):
            raise Rejected("F002", f"{part} 不是 Excel 工作簿（命名空间 {self.names.ns}）")
        self.strict = self.names.ns == MAIN_STRICT
        n = self.names
        pr = root.find(n("workbookPr"))
        self.date1904 = pr is not None and (pr.get("date1904") or "").lower() in ("1", "true")
        rels = {r.id: r for r in package.rels(part)}
        self.sheets: list[SheetRef] = []
        seen: set[str] = set()
        container = root.find(n("sheets"))
        for el in (container if container is not None else ()):
            if el.tag != n("sheet"):
                continue
            name = el.get("name") or ""
            rel = rels.get(el.get(n.r("id")) or "")
            if name.casefold() in seen:
                raise Rejected("F003", f"工作簿中有两个名为“{name}”的工作表")
            seen.add(name.casefold())
            kind = rel.kind if rel else ""
            self.sheets.append(SheetRef(name, rel.part if rel and kind == "worksheet" else "",
                                        el.get("state") or "visible", kind))
        self.macro_enabled = (package.content_type(part) == _MACRO_WORKBOOK
                              or any(r.kind == "vbaProject" for r in package.rels(part)))
        self._sheets: dict[str, Sheet] = {}

    @property
    def root(self) -> XMLElement:
        return self.package.xml(self.part)

    def sheet_parts(self) -> dict[str, str]:
        """Worksheet name -> part, in workbook order (worksheets whose part exists)."""
        return {s.name: s.part for s in self.sheets if s.part}

    def sheet(self, name: str) -> Sheet:
        """A worksheet read whole (cached)."""
        hit = self._sheets.get(name)
        if hit is None:
            part = self.sheet_parts()[name]
            hit = self._sheets[name] = read_sheet(self.package.xml(part), part, self.shared_strings,
                                                  self.date_styles, self.date1904, self.package.limits.max_cells)
        return hit

    @cached_property
    def shared_strings(self) -> list[str]:
        part = self.package.related_part(self.part, "sharedStrings", "sst")
        if not part:
            return []
        root = self.package.xml(part)
        n = Names.of(root)
        SI, T = n("si"), n("t")
        out = []
        for si in root:
            if si.tag != SI:
                continue
            if len(si) == 1 and si[0].tag == T and not len(si[0]):  # <si><t>text</t></si>
                out.append(decode_xstring(si[0].text or ""))
            else:
                out.append(string_item(si, n))
        return out

    @cached_property
    def date_styles(self) -> frozenset[int]:
        """The cell styles (indices into cellXfs) whose number format shows a date or a time."""
        part = self.package.related_part(self.part, "styles", "styleSheet")
        if not part:
            return frozenset()
        root = self.package.xml(part)
        n = Names.of(root)
        custom: dict[int, str] = {}
        fmts = root.find(n("numFmts"))
        for el in (fmts if fmts is not None else ()):
            if el.tag == n("numFmt"):
                try:
                    custom[int(el.get("numFmtId") or "")] = el.get("formatCode") or ""
                except ValueError:
                    continue
        xfs = root.find(n("cellXfs"))
        out = set()
        for i, xf in enumerate(x for x in (xfs if xfs is not None else ()) if x.tag == n("xf")):
            try:
                fid = int(xf.get("numFmtId") or "0")
            except ValueError:
                continue
            if fid in _BUILTIN_DATES or (fid in custom and is_date_format(custom[fid])):
                out.add(i)
        return frozenset(out)


#: built-in number formats that show dates or times (ECMA-376 18.8.30, with the East Asian ones)
_BUILTIN_DATES = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
def is_date_format(code: str) -> bool:
    """Whether a custom number format shows a date or time: letters y m d h s in its first section,
    outside quoted text, escaped characters and [...] parts (colours, conditions, locales). One
    pass over the text."""
    section = code.split(";", 1)[0]
    if section.strip().lower() == "general":
        return False
    i, n = 0, len(section)
    while i < n:
        ch = section[i]
        if ch == '"':
            end = section.find('"', i + 1)
            i = n if end < 0 else end + 1
        elif ch == "\\":
            i += 2
        elif ch == "[":
            end = section.find("]", i + 1)
            i = n if end < 0 else end + 1
        elif ch in "ymdhsYMDHS":
            return True
        else:
            i += 1
    return False
