"""What must hold of every answer the tool gives, whatever file it was given.

``copy_problems(source, copy)`` inspects a scored copy independently of the code that wrote it
(lxml directly, not selfeval_xl.ooxml.edit): every XML part well-formed and without a DTD (VML
drawings only without a DTD: Excel itself writes them with unclosed <br>), no relationship leading
to a part the copy lacks unless the submission's did too, no content type for a missing part, no
macro project, every cell's style index inside the stylesheet, and no formula the submission did not
have at that sheet and cell (nothing submitted, even inside a comment, becomes a live formula).
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import zipfile
from urllib.parse import unquote

from lxml import etree

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


class Parts:
    """A package's parts by name, compared case-insensitively as OPC says."""

    def __init__(self, data: bytes):
        """Every part that can be read (a damaged part of a source is left out)."""
        self.data: dict[str, bytes] = {}
        try:
            z = zipfile.ZipFile(io.BytesIO(data))
            names, read = [i.filename for i in z.infolist() if not i.filename.endswith("/")], z.read
        except Exception:
            from selfeval_xl.ooxml import Limits
            from selfeval_xl.ooxml.zipread import ZipReader

            zr = ZipReader(data, Limits())
            names, read = zr.names(), zr.read
        ours = None
        for name in names:
            key = name.replace("\\", "/").lstrip("/")
            try:
                self.data[key] = read(name)
            except Exception:
                try:
                    if ours is None:
                        from selfeval_xl.ooxml import Limits
                        from selfeval_xl.ooxml.zipread import ZipReader

                        ours = ZipReader(data, Limits())
                    self.data[key] = ours.read(key)
                except Exception:
                    continue
        self.lower = {n.lower(): n for n in self.data}

    def has(self, name: str) -> bool:
        return name.lower() in self.lower

    def read(self, name: str) -> bytes:
        return self.data[self.lower[name.lower()]]

    def xml(self, name: str) -> etree._Element:
        return etree.fromstring(self.read(name), _PARSER)

    def rels(self, part: str) -> list[tuple[str, str, str]]:
        """(kind, resolved target, target mode) of a part's relationships."""
        name = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
        if not self.has(name):
            return []
        out = []
        for el in self.xml(name):
            if not isinstance(el.tag, str) or not el.tag.endswith("}Relationship"):
                continue
            target = unquote(el.get("Target", "")).replace("\\", "/")
            resolved = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join(posixpath.dirname(part), target))
            out.append((el.get("Type", "").rsplit("/", 1)[-1], resolved, el.get("TargetMode", "Internal")))
        return out

    def dangling(self) -> set[tuple[str, str, str]]:
        """(source part, kind, target) of relationships that lead to a part the package lacks."""
        out = set()
        for name in [*self.data, ""]:
            if name.lower().endswith(".rels"):
                continue
            for kind, target, mode in self.rels(name):
                if mode != "External" and not self.has(target):
                    out.add((name.lower(), kind, target.lower()))
        return out

    def sheets(self) -> tuple[str, dict[str, str]]:
        """The workbook part and its sheets: name -> part."""
        wb = next((t for k, t, m in self.rels("") if k == "officeDocument" and self.has(t)), "xl/workbook.xml")
        name = posixpath.join(posixpath.dirname(wb), "_rels", posixpath.basename(wb) + ".rels")
        by_id = {}
        for el in self.xml(name) if self.has(name) else ():
            if isinstance(el.tag, str) and el.tag.endswith("}Relationship"):
                target = el.get("Target", "")
                by_id[el.get("Id")] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                    posixpath.join(posixpath.dirname(wb), target))
        sheets = {}
        for el in self.xml(wb).iter("{*}sheet"):
            rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
            if rid in by_id:
                sheets[el.get("name")] = by_id[rid]
        return wb, sheets

    def formulas(self) -> tuple[set[tuple[str, int, int]], set[str]]:
        """(sheet name, row, column) of every cell holding a formula (addresses in any written
        form, or implied by position), and the sheets that could not be read."""
        _wb, sheets = self.sheets()
        out = set()
        unread = set()
        for sheet, part in sheets.items():
            try:
                root = self.xml(part)
            except (KeyError, etree.XMLSyntaxError):
                unread.add(sheet)
                continue
            row_no = 0
            for row in root.iter("{*}row"):
                row_no = int(row.get("r")) if (row.get("r") or "").isdigit() else row_no + 1
                col = 0
                for c in row.iter("{*}c"):
                    m = re.fullmatch(r"\$?([A-Za-z]+)\$?(\d+)", c.get("r") or "")
                    r, col = (int(m.group(2)), _col(m.group(1))) if m else (row_no, col + 1)
                    if c.find("{*}f") is not None:
                        out.add((sheet, r, col))
        return out, unread

    def bad_styles(self) -> set[tuple[str, str]]:
        """(sheet, cell) of cells naming a style the stylesheet does not have."""
        wb, sheets = self.sheets()
        styles = next((t for k, t, m in self.rels(wb) if k == "styles" and m != "External" and self.has(t)), None)
        count = 0
        if styles:
            xfs = self.xml(styles).find("{*}cellXfs")
            count = len([x for x in xfs if isinstance(x.tag, str)]) if xfs is not None else 0
        out = set()
        for sheet, part in sheets.items():
            try:
                root = self.xml(part)
            except (KeyError, etree.XMLSyntaxError):
                continue
            for c in root.iter("{*}c"):
                s = c.get("s")
                if s and s.isdigit() and int(s) >= count:
                    out.add((sheet, (c.get("r") or "?").upper()))
        return out


def _col(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def copy_problems(source: bytes | None, copy: bytes) -> list[str]:
    z = Parts(copy)
    problems = []
    for name in sorted(z.data):
        low = name.lower()
        if low.endswith((".xml", ".rels", ".vml")):
            try:
                root = z.xml(name)
            except etree.XMLSyntaxError as exc:
                if not low.endswith(".vml"):
                    problems.append(f"{name} is not well-formed: {exc}")
                continue
            if root.getroottree().docinfo.doctype:
                problems.append(f"{name} has a DTD")
    if problems:
        return problems
    src = Parts(source) if source is not None else None
    before = src.dangling() if src else set()
    for part, kind, target in sorted(z.dangling() - before):
        problems.append(f"{part or 'the package'}: a {kind} relationship leads to {target}, not in the copy")
    for el in z.xml("[Content_Types].xml"):
        if not isinstance(el.tag, str):
            continue
        if el.tag.endswith("Override") and not z.has(el.get("PartName", "").lstrip("/")):
            problems.append(f"[Content_Types].xml overrides {el.get('PartName')}, not in the copy")
        if "macroEnabled" in el.get("ContentType", "") or "vbaProject" in el.get("ContentType", ""):
            problems.append(f"[Content_Types].xml has a macro type: {el.get('ContentType')}")
    if any("vbaproject" in n for n in z.lower):
        problems.append("the copy holds a macro project")
    bad = z.bad_styles() - (src.bad_styles() if src else set())
    if bad:
        problems.append(f"cells name styles the stylesheet does not have: {sorted(bad)[:3]}")
    if src is not None:
        had, unread = src.formulas()
        now, _ = z.formulas()
        injected = {f for f in now - had if f[0] not in unread}
        if injected:
            problems.append(f"formulas the submission did not have: {sorted(injected)[:5]}")
    return problems


def strict_json(text: str):
    """Parse JSON as a strict parser does: NaN and Infinity refused."""
    def refuse(name: str):
        raise ValueError(f"{name} is not JSON")
    return json.loads(text, parse_constant=refuse)
