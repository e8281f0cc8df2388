"""The scored copy (审核副本, spec/template.md): the submission with the bureau's verdict written in.

``plan(assessment)`` decides what the copy holds: 核定得分 and 审核意见 for every indicator,
得分汇总's 核定 columns and 核定等级, a fill and a comment on every cell a finding points at, and
the rows of a 审核结果 sheet. ``scored_copy_bytes`` writes that plan by patching the submitted
package: the parts that change (the two sheets written into, the sheets that get comments, styles,
the workbook's sheet list) are rewritten; every other part is copied as it was, so nothing the
department wrote (values, formulas, styles, validations including x14 extensions, comments,
drawings) is lost. Macros, external links and data connections are not kept, and nothing
submitted is ever written as a formula or a link.

The submitted file is only read.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import standard as S
from .assess import Assessment
from .findings import ERROR, INFO, LEVELS, WARNING
from .formulas import a1, col_index, col_letter, split_a1
from .numbers import fmt_score
from .package import Rel, ZipWriter, parse_rels, rels_name
from .safe import atomic_write, safe_filename, xml_text

__all__ = ["Plan", "plan", "scored_copy_bytes", "write_scored_copy", "scored_copy_name", "MARK_FILLS"]

#: fill of a cell a finding points at, by the finding's level (ARGB)
MARK_FILLS = {ERROR: "FFFFC7CE", WARNING: "FFF8CBAD", INFO: "FFE4DFEC"}  # red, orange, lavender
#: font colour of what the bureau writes (核定得分, 审核意见, 核定等级)
VERDICT_COLOR = "FF1F3864"
COMMENT_AUTHOR = "财政审核"
_SEVERITY = {lvl: i for i, lvl in enumerate(LEVELS)}


@dataclass
class Plan:
    """What the scored copy holds beyond the submission."""

    values: dict[tuple[str, str], float | str] = field(default_factory=dict)  # (sheet, A1) -> value
    marks: dict[tuple[str, str], str] = field(default_factory=dict)  # (sheet, A1) -> level
    notes: dict[tuple[str, str], str] = field(default_factory=dict)  # (sheet, A1) -> comment text
    title: str = ""
    results: list[list[str]] = field(default_factory=list)  # 审核结果 rows under the header


def scored_copy_name(source: Path) -> str:
    """``<name>_审核.xlsx`` (always .xlsx: a copy keeps no macros)."""
    return safe_filename(source.stem) + "_审核.xlsx"


def plan(a: Assessment) -> Plan:
    sub, sc = a.submission, a.scores
    assert sub is not None and sc is not None, "a file that could not be read has no scored copy"
    p = Plan()
    lay = sub.layout
    cols = lay.ind_cols
    present = set(sub.sheet_names)
    if S.INDICATORS in present and S.VERIFIED in cols and S.OPINION in cols:
        for r in sc.rows:
            if r.verified is not None:
                p.values[(S.INDICATORS, a1(r.row, cols[S.VERIFIED]))] = r.verified
            p.values[(S.INDICATORS, a1(r.row, cols[S.OPINION]))] = r.opinion
        if lay.ind_total_row:
            verified_sum = round(sum(r.verified or 0.0 for r in sc.rows if r.category), 2)
            p.values[(S.INDICATORS, a1(lay.ind_total_row, cols[S.VERIFIED]))] = verified_sum
            note = f"核定总分 {fmt_score(sc.total)}（{sc.grade}）"
            if sc.rescaled:
                note += "，有不适用指标，已按适用指标折算为百分制"
            p.values[(S.INDICATORS, a1(lay.ind_total_row, cols[S.OPINION]))] = note
    if S.SUMMARY in present:
        h_v, h_vr = S.SUMMARY_HEADERS[4], S.SUMMARY_HEADERS[5]
        for c in sc.categories:
            if (cell := lay.sum_cell(h_v, c.name)):
                p.values[(S.SUMMARY, cell)] = c.verified
            if (cell := lay.sum_cell(h_vr, c.name)):
                p.values[(S.SUMMARY, cell)] = round(c.verified / c.weight, 6) if c.weight else 0.0
        total_weight = sum(c.weight for c in sc.categories)
        if (cell := lay.sum_cell(h_v, S.TOTAL)):
            p.values[(S.SUMMARY, cell)] = sc.total
        if (cell := lay.sum_cell(h_vr, S.TOTAL)):
            p.values[(S.SUMMARY, cell)] = round(sc.total / total_weight, 6) if total_weight else 0.0
        row = lay.sum_rows.get(S.VERIFIED_GRADE)
        if row:
            p.values[(S.SUMMARY, a1(row, lay.sum_cols.get(S.CATEGORY, 1) + 1))] = sc.grade
    for f in a.findings:
        if not f.cell or f.sheet not in present:
            continue
        key = (f.sheet, f.cell)
        if key not in p.marks or _SEVERITY[f.level] < _SEVERITY[p.marks[key]]:
            p.marks[key] = f.level
        text = f"【{f.level} {f.code}】{f.message}"
        p.notes[key] = p.notes[key] + "\n\n" + text if key in p.notes else text
    name = sub.basic.unit_name or sub.path.name
    p.title = (f"审核结果：{name}　核定总分 {fmt_score(sc.total)}（{sc.grade}）　"
               f"错误 {a.errors} 项，警告 {a.warnings} 项，提示 {a.infos} 项")
    p.results = [[f.level, f.code, f.sheet, f.cell, f.message, f.expected, f.actual] for f in a.findings]
    return p


def write_scored_copy(a: Assessment, outdir: Path) -> Path:
    """Write the scored copy of ``a`` into ``outdir`` atomically; return its path."""
    dest = Path(outdir) / scored_copy_name(a.file)
    atomic_write(dest, scored_copy_bytes(a))
    return dest


# ---------------------------------------------------------------------------------------------
# Patching the package

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_MAIN_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_NS_REL_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
_CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
_CT_WORKBOOK = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def scored_copy_bytes(a: Assessment) -> bytes:
    sub = a.submission
    assert sub is not None and sub.data, "the submission's bytes are needed"
    return _Package(sub.data, sub.workbook_part, sub.sheet_parts).apply(plan(a))


class _Package:
    """The parts of a submitted workbook, changed in memory and written back as a new zip."""

    def __init__(self, data: bytes, workbook_part: str, sheet_parts: dict[str, str]):
        self.data = data
        self.zin = zipfile.ZipFile(io.BytesIO(data))
        strict = b"purl.oclc.org/ooxml/spreadsheetml/main" in self.zin.read(workbook_part)[:4096]
        #: the namespaces of what we add: Strict OOXML packages get Strict ones
        self.ns_main = _NS_MAIN_STRICT if strict else _NS_MAIN
        self.ns_rel = _NS_REL_STRICT if strict else _NS_REL
        self.infos = {i.filename: i for i in self.zin.infolist()}
        self.changed: dict[str, bytes] = {}
        self.dropped: set[str] = set()
        self.workbook_part = workbook_part
        self.sheet_parts = sheet_parts

    # parts --------------------------------------------------------------------------------------
    def text(self, name: str) -> str:
        if name in self.changed:
            return self.changed[name].decode("utf-8")
        return self.zin.read(name).decode("utf-8")

    def has(self, name: str) -> bool:
        return (name in self.infos or name in self.changed) and name not in self.dropped

    def put(self, name: str, text: str) -> None:
        self.changed[name] = text.encode("utf-8")
        self.dropped.discard(name)

    def drop(self, name: str) -> None:
        self.dropped.add(name)
        self.changed.pop(name, None)

    # the whole job ----------------------------------------------------------------------------
    def apply(self, p: Plan) -> bytes:
        self.content_types = self.text("[Content_Types].xml")
        self.styles = _Styles(self, self._styles_part())
        self._drop_what_is_not_kept()
        by_sheet: dict[str, dict[str, _CellEdit]] = {}
        for (sheet, cell), value in p.values.items():
            edit = by_sheet.setdefault(sheet, {}).setdefault(cell, _CellEdit())
            edit.value, edit.has_value = value, True
        for (sheet, cell), level in p.marks.items():
            by_sheet.setdefault(sheet, {}).setdefault(cell, _CellEdit()).mark = level
        for sheet, edits in by_sheet.items():
            part = self.sheet_parts.get(sheet)
            if part is None or not self.has(part):
                continue
            xml = _SheetXml(self.text(part))
            xml.apply(edits, self.styles)
            self.put(part, xml.text)
        notes_by_sheet: dict[str, dict[str, str]] = {}
        for (sheet, cell), text in p.notes.items():
            notes_by_sheet.setdefault(sheet, {})[cell] = text
        for sheet, notes in notes_by_sheet.items():
            part = self.sheet_parts.get(sheet)
            if part is not None and self.has(part):
                self._comments(part, notes)
        self._results_sheet(p)
        self._full_calc_on_load()
        self.styles.save()
        self.put("[Content_Types].xml", self.content_types)
        return self._zip()

    def _zip(self) -> bytes:
        """The package: unchanged parts copied as compressed, changed and new ones deflated."""
        out = ZipWriter()
        source = self.data
        for name, info in self.infos.items():
            if name in self.dropped:
                continue
            data = self.changed.get(name)
            if data is not None:
                out.add(name, data, info.date_time)
            elif info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) and not info.flag_bits & 0x1:
                off = info.header_offset
                start = off + 30 + int.from_bytes(source[off + 26: off + 28], "little") + int.from_bytes(
                    source[off + 28: off + 30], "little")
                out.copy(info, source, start)
            else:
                out.add(name, self.zin.read(name), info.date_time)
        for name, data in self.changed.items():
            if name not in self.infos and name not in self.dropped:
                out.add(name, data)
        return out.finish()

    # relationships and content types ------------------------------------------------------------
    @staticmethod
    def rels_name(part: str) -> str:
        return rels_name(part)

    def rels(self, part: str) -> list[Rel]:
        """The relationships of a part (id, type, target as written, resolved part or '')."""
        name = rels_name(part)
        return parse_rels(self.text(name), part) if self.has(name) else []

    def rel_type(self, kind: str) -> str:
        """A relationship type in this package's namespace ('worksheet', 'comments', ...)."""
        return f"{self.ns_rel}/{kind}"

    def add_rel(self, part: str, typ: str, target_part: str) -> str:
        name = self.rels_name(part)
        text = self.text(name) if self.has(name) else (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_NS_PKG_REL}"></Relationships>')
        ids = {int(m) for m in re.findall(r'Id="rId(\d+)"', text)}
        rid = f"rId{max(ids, default=0) + 1}"
        target = posixpath.relpath(target_part, posixpath.dirname(part) or ".")
        rel = f'<Relationship Id="{rid}" Type="{typ}" Target="{target}"/>'
        text = re.sub(r"(</(?:\w+:)?Relationships>)", lambda m: rel + m.group(1), text, count=1)
        self.put(name, text)
        return rid

    def remove_rels(self, part: str, predicate) -> list[tuple[str, str, str, str]]:
        name = self.rels_name(part)
        if not self.has(name):
            return []
        removed = [r for r in self.rels(part) if predicate(r)]
        if removed:
            text = self.text(name)
            for rid, *_ in removed:
                text = re.sub(rf'<(?:\w+:)?Relationship\b[^>]*\bId="{re.escape(rid)}"[^>]*/>', "", text)
            self.put(name, text)
        return removed

    def override(self, part: str, content_type: str) -> None:
        entry = f'<Override PartName="/{part}" ContentType="{content_type}"/>'
        self.content_types = re.sub(r"(</(?:\w+:)?Types>)", lambda m: entry + m.group(1), self.content_types, count=1)

    def remove_override(self, part: str) -> None:
        self.content_types = re.sub(rf'<(?:\w+:)?Override\b[^>]*PartName="/{re.escape(part)}"[^>]*/>', "",
                                    self.content_types)

    def default(self, ext: str, content_type: str) -> None:
        if re.search(rf'Extension="{ext}"', self.content_types, re.I):
            return
        entry = f'<Default Extension="{ext}" ContentType="{content_type}"/>'
        self.content_types = re.sub(r"(<(?:\w+:)?Types\b[^>]*>)", lambda m: m.group(1) + entry, self.content_types,
                                    count=1)

    def new_part_name(self, pattern: str) -> str:
        """The first free name of the form pattern % n."""
        n = 1
        while self.has(pattern % n) or (pattern % n) in self.infos:
            n += 1
        return pattern % n

    # what a copy does not keep ------------------------------------------------------------------
    def _drop_what_is_not_kept(self) -> None:
        wb = self.workbook_part
        # the calculation chain: rebuilt by Excel; stale once any formula is dropped
        for rel in self.remove_rels(wb, lambda r: r[1].endswith("/calcChain")):
            target = rel.part
            self.drop(target)
            self.remove_override(target)
        # macros: an .xlsm's copy is a plain .xlsx
        for rel in self.remove_rels(wb, lambda r: r[1].endswith("/vbaProject")):
            target = rel.part
            self.drop(target)
            self.remove_override(target)
            sig = posixpath.join(posixpath.dirname(target), "vbaProjectSignature.bin")
            if self.has(sig):
                self.drop(sig)
                self.remove_override(sig)
        self.content_types = re.sub(r'ContentType="application/vnd\.ms-excel\.sheet\.macroEnabled\.main\+xml"',
                                    f'ContentType="{_CT_WORKBOOK}"', self.content_types)
        # external links (and DDE) and data connections are not kept; formulas that read an
        # external workbook keep their last value, as Excel's "break link" does
        ext = self.remove_rels(wb, lambda r: r[1].endswith(("/externalLink", "/connections")))
        if not ext:
            return
        for rel in ext:
            target = rel.part
            if target:
                for sub_rel in self.rels(target):
                    if sub_rel.part:
                        self.drop(sub_rel.part)
                self.drop(self.rels_name(target))
                self.drop(target)
                self.remove_override(target)
        text = self.text(wb)
        text = re.sub(r"<(?:\w+:)?externalReferences\b.*?</(?:\w+:)?externalReferences>", "", text, flags=re.S)
        text = re.sub(r"<(?:\w+:)?definedName\b[^>]*>[^<]*\[\d+\][^<]*</(?:\w+:)?definedName>", "", text)
        self.put(wb, text)
        for part in self.sheet_parts.values():
            if not self.has(part):
                continue
            xml = self.text(part)
            new = re.sub(r"<((?:\w+:)?)f\b[^>]*>[^<]*\[\d+\][^<]*</\1f>", "", xml)
            if new != xml:
                self.put(part, new)

    def _styles_part(self) -> str:
        for _rid, typ, _t, target in self.rels(self.workbook_part):
            if typ.endswith("/styles") and target:
                return target
        return ""

    # comments -----------------------------------------------------------------------------------
    def _comments(self, sheet_part: str, notes: dict[str, str]) -> None:
        rels = self.rels(sheet_part)
        comments_part = next((t for _r, ty, _x, t in rels if ty.endswith("/comments") and self.has(t)), "")
        vml_part = next((t for _r, ty, _x, t in rels if ty.endswith("/vmlDrawing") and self.has(t)), "")
        if comments_part:
            self.put(comments_part, _merge_comments(self.text(comments_part), notes))
        else:
            comments_part = self.new_part_name("xl/comments%d.xml")
            self.put(comments_part, _new_comments(notes, self.ns_main))
            self.add_rel(sheet_part, self.rel_type("comments"), comments_part)
            self.override(comments_part, _CT_COMMENTS)
        existing_refs: set[str] = set()
        if vml_part:
            vml = self.text(vml_part)
            existing_refs = _vml_refs(vml)
            self.put(vml_part, _merge_vml(vml, [c for c in notes if c not in existing_refs]))
        else:
            vml_part = self.new_part_name("xl/drawings/vmlDrawing%d.vml")
            self.put(vml_part, _new_vml(list(notes), self._vml_block()))
            rid = self.add_rel(sheet_part, self.rel_type("vmlDrawing"), vml_part)
            self.default("vml", _CT_VML)
            xml = self.text(sheet_part)
            self.put(sheet_part, _insert_sheet_child(xml, f'<legacyDrawing xmlns:r="{self.ns_rel}" r:id="{rid}"/>'))

    def _vml_block(self) -> int:
        """An idmap block no other VML drawing of the workbook uses."""
        used = set()
        for name in self.infos:
            if name.endswith(".vml"):
                used |= {int(x) for x in re.findall(r'data="(\d+)"', self.zin.read(name).decode("utf-8", "replace"))}
        n = 1
        while n in used:
            n += 1
        return n

    # the 审核结果 sheet -------------------------------------------------------------------------
    def _results_sheet(self, p: Plan) -> None:
        wb = self.workbook_part
        wb_text = self.text(wb)
        existing = self.sheet_parts.get(S.RESULTS)
        header = self.styles.add_xf(font=("b",), fill="FFBDD7EE", border=True, wrap=True)
        title = self.styles.add_xf(font=("b", "sz14"), wrap=False)
        body = self.styles.add_xf(border=True, wrap=True)
        link = self.styles.add_xf(font=("u", "blue"), border=True, wrap=False)
        levels = {lvl: self.styles.add_xf(fill=MARK_FILLS[lvl], border=True, wrap=False) for lvl in LEVELS}
        xml = _results_xml(p, {"header": header, "title": title, "body": body, "link": link, **levels},
                           self.ns_main, self.ns_rel)
        if existing and self.has(existing):
            self.put(existing, xml)  # a copy of a copy: the old verdict is replaced, not kept
            return
        part = self.new_part_name("xl/worksheets/sheet%d.xml")
        self.put(part, xml)
        self.override(part, _CT_WORKSHEET)
        rid = self.add_rel(wb, self.rel_type("worksheet"), part)
        ids = [int(x) for x in re.findall(r"<(?:\w+:)?sheet\b[^>]*\bsheetId=\"(\d+)\"", wb_text)]
        prefix = _prefix(wb_text, "sheets")
        # the element declares the namespace it uses: some writers declare it per <sheet>, not on the root
        entry = (f'<{prefix}sheet xmlns:r="{self.ns_rel}" name="{S.RESULTS}" sheetId="{max(ids, default=0) + 1}" '
                 f'r:id="{rid}"/>')
        wb_text = re.sub(rf"(</{re.escape(prefix)}sheets>)", lambda m: entry + m.group(1), wb_text, count=1)
        self.put(wb, wb_text)

    def _full_calc_on_load(self) -> None:
        wb = self.text(self.workbook_part)
        m = re.search(r"<((?:\w+:)?)calcPr\b([^>]*?)(/?)>", wb)
        if m:
            attrs = re.sub(r'\s*fullCalcOnLoad="[^"]*"', "", m.group(2))
            wb = wb[: m.start()] + f'<{m.group(1)}calcPr{attrs} fullCalcOnLoad="1"{m.group(3)}>' + wb[m.end():]
        else:
            prefix = _prefix(wb, "sheets")
            tag = rf"</{re.escape(prefix)}sheets>"
            after = re.search(rf"{tag}(?:\s*<(?:\w+:)?(?:functionGroups|externalReferences|definedNames)\b.*?"
                              rf"</(?:\w+:)?(?:functionGroups|externalReferences|definedNames)>)*", wb, re.S)
            if after:
                wb = wb[: after.end()] + f'<{prefix}calcPr fullCalcOnLoad="1"/>' + wb[after.end():]
        self.put(self.workbook_part, wb)


def _prefix(xml: str, element: str) -> str:
    m = re.search(rf"<(\w+:)?{element}\b", xml)
    return (m.group(1) or "") if m else ""


# ---------------------------------------------------------------------------------------------
# Cells of a worksheet part


@dataclass
class _CellEdit:
    value: float | str | None = None
    has_value: bool = False  # False: keep the cell's value, only restyle it
    mark: str | None = None


_ROW_RE = r"<{p}row\b([^>]*?)(?:/>|>(.*?)</{p}row>)"
_CELL_RE = r"<{p}c\b([^>]*?)(?:/>|>(.*?)</{p}c>)"
_PATTERNS: dict[tuple[str, str], re.Pattern] = {}


def _pattern(template: str, prefix: str) -> re.Pattern:
    key = (template, prefix)
    if key not in _PATTERNS:
        _PATTERNS[key] = re.compile(template.format(p=re.escape(prefix)), re.S)
    return _PATTERNS[key]


_R_ATTR = re.compile(r'\br="(\d+)"')
_R_CELL_ATTR = re.compile(r'\br="([A-Z]{1,3})\d+"')
_S_ATTR = re.compile(r'\bs="(\d+)"')
_T_ATTR = re.compile(r'\bt="([^"]*)"')
_SPANS = re.compile(r'\s*\bspans="[^"]*"')
_OWN_ATTRS = re.compile(r'\s*\b(?:r|s|t|cm|vm|ph)="[^"]*"')
_KEPT_ATTRS = re.compile(r'\s*\b(?:cm|vm|ph)="[^"]*"')


class _SheetXml:
    def __init__(self, text: str):
        self.text = text
        m = re.search(r"<(\w+:)?sheetData\b[^>]*?(/?)>", text)
        if not m:
            raise ValueError("worksheet without sheetData")
        self.p = m.group(1) or ""
        if m.group(2):  # <sheetData/>
            self.text = text[: m.start()] + f"<{self.p}sheetData></{self.p}sheetData>" + text[m.end():]

    def apply(self, edits: dict[str, _CellEdit], styles: "_Styles") -> None:
        p = re.escape(self.p)
        start = re.search(rf"<{p}sheetData\b[^>]*>", self.text)
        end = self.text.index(f"</{self.p}sheetData>", start.end())
        data = self.text[start.end(): end]
        wanted: dict[int, dict[int, tuple[str, _CellEdit]]] = {}
        for ref, edit in edits.items():
            r, c = split_a1(ref)
            wanted.setdefault(r, {})[c] = (ref, edit)
        pieces: list[str] = []
        pos = 0
        row_re = _pattern(_ROW_RE, self.p)
        last_row = 0
        for m in row_re.finditer(data):
            if not wanted:
                break
            attrs = m.group(1)
            rm = _R_ATTR.search(attrs)
            r = int(rm.group(1)) if rm else last_row + 1
            last_row = r
            before = sorted(k for k in wanted if k < r)  # new rows that belong before this one
            if not before and r not in wanted:
                continue
            pieces.append(data[pos: m.start()])
            pieces += [self._row(nr, "", "", wanted.pop(nr), styles) for nr in before]
            if r in wanted:
                if not rm:
                    attrs = f' r="{r}"' + attrs
                pieces.append(self._row(r, attrs, m.group(2) or "", wanted.pop(r), styles))
            else:
                pieces.append(m.group(0))
            pos = m.end()
        rest = data[pos:]
        tail = "".join(self._row(nr, "", "", wanted.pop(nr), styles) for nr in sorted(wanted))
        new_data = "".join(pieces) + rest + tail
        self.text = self.text[: start.end()] + new_data + self.text[end:]
        self._extend_dimension(edits)

    def _row(self, r: int, attrs: str, inner: str, cells: dict[int, tuple[str, _CellEdit]], styles: "_Styles") -> str:
        attrs = _SPANS.sub("", attrs) if attrs else f' r="{r}"'
        if not _R_ATTR.search(attrs):
            attrs = f' r="{r}"' + attrs
        out: dict[int, str] = {}
        col = 0
        for m in _pattern(_CELL_RE, self.p).finditer(inner):
            cattrs, content = m.group(1), m.group(2)
            rm = _R_CELL_ATTR.search(cattrs)
            col = col_index(rm.group(1)) if rm else col + 1
            if col in cells:
                ref, edit = cells.pop(col)
                out[col] = self._cell(ref, cattrs, content, edit, styles)
            elif rm:
                out[col] = m.group(0)
            else:  # a cell written without its address: give it one, now that the row is rewritten
                cattrs = f' r="{col_letter(col)}{r}"' + cattrs
                out[col] = f"<{self.p}c{cattrs}>{content}</{self.p}c>" if content is not None else f"<{self.p}c{cattrs}/>"
        for col, (ref, edit) in cells.items():
            out[col] = self._cell(ref, f' r="{ref}"', None, edit, styles)
        return f"<{self.p}row{attrs}>" + "".join(out[c] for c in sorted(out)) + f"</{self.p}row>"

    def _cell(self, ref: str, attrs: str, content: str | None, edit: _CellEdit, styles: "_Styles") -> str:
        sm = _S_ATTR.search(attrs)
        style = int(sm.group(1)) if sm else 0
        if edit.has_value:
            style = styles.verdict(style, small=isinstance(edit.value, str) and len(edit.value) > 12)
        if edit.mark:
            style = styles.marked(style, edit.mark)
        keep = _OWN_ATTRS.sub("", attrs)
        p = self.p
        style_attr = f' s="{style}"' if style else ""
        if not edit.has_value:
            t = _T_ATTR.search(attrs)
            t_attr = f' t="{t.group(1)}"' if t else ""
            other = "".join(_KEPT_ATTRS.findall(attrs))
            body = f">{content}</{p}c>" if content else "/>"
            return f'<{p}c r="{ref}"{style_attr}{t_attr}{other}{keep}{body}'
        v = edit.value
        if v is None or v == "":
            return f'<{p}c r="{ref}"{style_attr}{keep}/>'
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return f'<{p}c r="{ref}"{style_attr}{keep}><{p}v>{_num(v)}</{p}v></{p}c>'
        return (f'<{p}c r="{ref}"{style_attr} t="inlineStr"{keep}><{p}is><{p}t xml:space="preserve">'
                f"{xml_text(v)}</{p}t></{p}is></{p}c>")

    def _extend_dimension(self, edits: dict[str, _CellEdit]) -> None:
        m = re.search(r'<(\w+:)?dimension\b[^>]*\bref="([^"]*)"', self.text)
        if not m or not edits:
            return
        refs = [split_a1(r) for r in edits]
        try:
            parts = m.group(2).split(":")
            r1, c1 = split_a1(parts[0])
            r2, c2 = split_a1(parts[-1])
        except ValueError:
            return
        r1, c1 = min([r1] + [r for r, _ in refs]), min([c1] + [c for _, c in refs])
        r2, c2 = max([r2] + [r for r, _ in refs]), max([c2] + [c for _, c in refs])
        new = f"{a1(r1, c1)}:{a1(r2, c2)}"
        self.text = self.text[: m.start(2)] + new + self.text[m.end(2):]


def _num(v: float) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)


#: CT_Worksheet children that come after legacyDrawing, in schema order
_AFTER_LEGACY = ("legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems",
                 "tableParts", "extLst")


def _insert_sheet_child(xml: str, element: str) -> str:
    """Insert a child of <worksheet> where the schema's element order puts it (``element`` declares
    any namespace it uses itself)."""
    p = _prefix(xml, "sheetData")
    element = element.replace("<", f"<{p}", 1) if p else element
    return _insert_before(xml, element, p, _AFTER_LEGACY, "worksheet")


def _insert_before(xml: str, element: str, prefix: str, followers, parent: str) -> str:
    """Insert ``element`` before the first of ``followers`` present (the schema's order), or
    before ``parent``'s end tag."""
    for follower in followers:
        m = re.search(rf"<{re.escape(prefix)}{follower}\b", xml)
        if m:
            return xml[: m.start()] + element + xml[m.start():]
    end = xml.rindex(f"</{prefix}{parent}>")
    return xml[:end] + element + xml[end:]


# ---------------------------------------------------------------------------------------------
# Comments and their VML shapes


def _comment_runs(text: str, p: str = "") -> str:
    """The rich text of one of our comments (``p``: the part's namespace prefix)."""
    font = f'<{p}sz val="9"/><{p}rFont val="宋体"/>'
    return (f"<{p}r><{p}rPr><{p}b/>{font}</{p}rPr><{p}t>{COMMENT_AUTHOR}：</{p}t></{p}r>"
            f'<{p}r><{p}rPr>{font}</{p}rPr><{p}t xml:space="preserve">\n{xml_text(text)}</{p}t></{p}r>')


def _new_comments(notes: dict[str, str], ns_main: str = _NS_MAIN) -> str:
    body = "".join(f'<comment ref="{ref}" authorId="0"><text>{_comment_runs(t)}</text></comment>'
                   for ref, t in sorted(notes.items(), key=lambda kv: split_a1(kv[0])))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{ns_main}">'
            f"<authors><author>{COMMENT_AUTHOR}</author></authors><commentList>{body}</commentList></comments>")


def _merge_comments(xml: str, notes: dict[str, str]) -> str:
    """Add our notes to a department's comments part; on a cell that already has a comment, our
    text follows theirs."""
    p = _prefix(xml, "comments")
    authors = re.findall(rf"<{re.escape(p)}author>(.*?)</{re.escape(p)}author>", xml, re.S)
    if COMMENT_AUTHOR in authors:
        author_id = authors.index(COMMENT_AUTHOR)
    else:
        author_id = len(authors)
        if re.search(rf"<{re.escape(p)}authors\s*/>", xml):
            xml = re.sub(rf"<{re.escape(p)}authors\s*/>", f"<{p}authors><{p}author>{COMMENT_AUTHOR}</{p}author></{p}authors>", xml, count=1)
        else:
            xml = xml.replace(f"</{p}authors>", f"<{p}author>{COMMENT_AUTHOR}</{p}author></{p}authors>", 1)
    remaining = dict(notes)

    def extend(m: re.Match) -> str:
        ref = re.search(r'\bref="([^"]+)"', m.group(1)).group(1)
        if ref not in remaining:
            return m.group(0)
        text = remaining.pop(ref)
        addition = (f"<{p}r><{p}t xml:space=\"preserve\">\n\n【{COMMENT_AUTHOR}】{xml_text(text)}</{p}t></{p}r>")
        body = m.group(2)
        body = re.sub(rf"(</{re.escape(p)}text>)", lambda mm: addition + mm.group(1), body, count=1)
        return f"<{p}comment{m.group(1)}>{body}</{p}comment>"

    xml = re.sub(rf"<{re.escape(p)}comment\b([^>]*)>(.*?)</{re.escape(p)}comment>", extend, xml, flags=re.S)
    new = "".join(f'<{p}comment ref="{ref}" authorId="{author_id}"><{p}text>{_comment_runs(t, p)}</{p}text></{p}comment>'
                  for ref, t in sorted(remaining.items(), key=lambda kv: split_a1(kv[0])))
    if re.search(rf"<{re.escape(p)}commentList\s*/>", xml):
        return re.sub(rf"<{re.escape(p)}commentList\s*/>", f"<{p}commentList>{new}</{p}commentList>", xml, count=1)
    return xml.replace(f"</{p}commentList>", new + f"</{p}commentList>", 1)


_VML_HEAD = ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
             'xmlns:x="urn:schemas-microsoft-com:office:excel">'
             '<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{block}"/></o:shapelayout>'
             '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
             '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>')


def _vml_shape(shape_id: int, ref: str) -> str:
    row, col = split_a1(ref)
    r0, c0 = row - 1, col - 1
    anchor = f"{c0 + 1}, 15, {max(r0 - 1, 0)}, 10, {c0 + 5}, 15, {max(r0 - 1, 0) + 6}, 4"
    return (f'<v:shape id="_x0000_s{shape_id}" type="#_x0000_t202" '
            'style="position:absolute;margin-left:80pt;margin-top:2pt;width:240pt;height:110pt;z-index:1;visibility:hidden" '
            'fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
            '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
            '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
            '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:Anchor>{anchor}</x:Anchor><x:AutoFill>False</x:AutoFill>"
            f"<x:Row>{r0}</x:Row><x:Column>{c0}</x:Column></x:ClientData></v:shape>")


def _new_vml(refs: list[str], block: int) -> str:
    shapes = "".join(_vml_shape(block * 1024 + i + 1, ref) for i, ref in enumerate(refs))
    return _VML_HEAD.format(block=block) + shapes + "</xml>"


def _vml_refs(vml: str) -> set[str]:
    out = set()
    for m in re.finditer(r"<x:Row>(\d+)</x:Row>\s*<x:Column>(\d+)</x:Column>", vml):
        out.add(a1(int(m.group(1)) + 1, int(m.group(2)) + 1))
    return out


def _merge_vml(vml: str, refs: list[str]) -> str:
    if not refs:
        return vml
    ids = [int(x) for x in re.findall(r'id="_x0000_s(\d+)"', vml)]
    start = max(ids, default=1024) + 1
    shapes = "".join(_vml_shape(start + i, ref) for i, ref in enumerate(refs))
    end = vml.rindex("</xml>")
    return vml[:end] + shapes + vml[end:]


# ---------------------------------------------------------------------------------------------
# Styles


class _Styles:
    """The cellXfs of styles.xml, extended with the marks' fills and the result sheet's styles."""

    def __init__(self, pkg: _Package, part: str):
        self.pkg = pkg
        self.part = part or "xl/styles.xml"
        if part and pkg.has(part):
            self.xml = pkg.text(part)
            self.created = False
        else:
            self.xml = _MINIMAL_STYLES.replace(_NS_MAIN, pkg.ns_main)
            self.created = True
        self.p = _prefix(self.xml, "styleSheet")
        p = re.escape(self.p)
        self.xfs = self._items("cellXfs", "xf")
        self.fills = self._items("fills", "fill")
        self.fonts = self._items("fonts", "font")
        self.borders = self._items("borders", "border")
        self._marked: dict[tuple[int, str], int] = {}
        self._fill_ids: dict[str, int] = {}
        self.dirty = False
        del p

    def _items(self, container: str, item: str) -> list[str]:
        p = re.escape(self.p)
        m = re.search(rf"<{p}{container}\b[^>]*?(?:/>|>(.*?)</{p}{container}>)", self.xml, re.S)
        if not m or not m.group(1):
            return []
        return [x.group(0) for x in re.finditer(rf"<{p}{item}\b[^>]*?(?:/>|>.*?</{p}{item}>)", m.group(1), re.S)]

    def _fill(self, argb: str) -> int:
        if argb not in self._fill_ids:
            p = self.p
            self.fills.append(f'<{p}fill><{p}patternFill patternType="solid"><{p}fgColor rgb="{argb}"/>'
                              f'<{p}bgColor indexed="64"/></{p}patternFill></{p}fill>')
            self._fill_ids[argb] = len(self.fills) - 1
            self.dirty = True
        return self._fill_ids[argb]

    def _base(self, style: int) -> str:
        return self.xfs[style] if 0 <= style < len(self.xfs) else (self.xfs[0] if self.xfs else f"<{self.p}xf/>")

    def _derived(self, style: int, part: str, index: int) -> int:
        """A new cell style: ``style`` with its ``part`` ('fill' or 'font') replaced by ``index``."""
        xf = re.sub(rf'\s*\b(?:{part}Id|apply{part.title()})="[^"]*"', "", self._base(style))
        xf = re.sub(rf"^<{re.escape(self.p)}xf\b", lambda m: m.group(0) + f' {part}Id="{index}" apply{part.title()}="1"', xf)
        self.xfs.append(xf)
        self.dirty = True
        return len(self.xfs) - 1

    def marked(self, style: int, level: str) -> int:
        """The style ``style`` with the fill of a finding of ``level``."""
        key = (style, level)
        if key not in self._marked:
            self._marked[key] = self._derived(style, "fill", self._fill(MARK_FILLS[level]))
        return self._marked[key]

    def verdict(self, style: int, small: bool = False) -> int:
        """The style ``style`` in the verdict's font: dark blue, upright (the template shows the
        bureau's columns grey and italic while they are empty); ``small``: 9 pt, for opinions."""
        key = (style, "verdict-small" if small else "verdict")
        if key not in self._marked:
            fm = re.search(r'\bfontId="(\d+)"', self._base(style))
            font = self.fonts[int(fm.group(1))] if fm and int(fm.group(1)) < len(self.fonts) else f"<{self.p}font/>"
            p = re.escape(self.p)
            color = f'<{self.p}color rgb="{VERDICT_COLOR}"/>'
            drop = "i|color|sz" if small else "i|color"
            font = re.sub(rf"<{p}(?:{drop})\b[^>]*/>", "", font)
            font = re.sub(rf"<{p}(?:{drop})\b[^>]*>.*?</{p}(?:{drop})>", "", font, flags=re.S)
            if small:
                color = f'<{self.p}sz val="9"/>' + color
            if font.endswith("/>"):
                font = font[:-2] + f">{color}</{self.p}font>"
            else:  # CT_Font is a sequence: color may go anywhere but is kept after b/i/strike
                font = re.sub(rf"(<{p}font\b[^>]*>)((?:<{p}(?:b|strike|outline|shadow|condense|extend)\b[^>]*/>)*)",
                              lambda m: m.group(1) + m.group(2) + color, font, count=1)
            self.fonts.append(font)
            self._marked[key] = self._derived(style, "font", len(self.fonts) - 1)
        return self._marked[key]

    def add_xf(self, *, font: tuple[str, ...] = (), fill: str | None = None, border: bool = False, wrap: bool = False) -> int:
        p = self.p
        font_id = 0
        if font:
            parts = []
            if "b" in font:
                parts.append(f"<{p}b/>")
            if "u" in font:
                parts.append(f"<{p}u/>")
            parts.append(f'<{p}sz val="{14 if "sz14" in font else 11}"/>')
            parts.append(f'<{p}color rgb="{"FF0563C1" if "blue" in font else "FF000000"}"/>')
            parts.append(f'<{p}name val="宋体"/>')
            self.fonts.append(f"<{p}font>{''.join(parts)}</{p}font>")
            font_id = len(self.fonts) - 1
        border_id = 0
        if border:
            sides = "".join(f'<{p}{s} style="thin"><{p}color rgb="FF8C8C8C"/></{p}{s}>'
                            for s in ("left", "right", "top", "bottom"))
            self.borders.append(f"<{p}border>{sides}<{p}diagonal/></{p}border>")
            border_id = len(self.borders) - 1
        fill_id = self._fill(fill) if fill else 0
        wrap_attr = ' wrapText="1"' if wrap else ""
        align = f'<{p}alignment vertical="top"{wrap_attr}/>'
        self.xfs.append(f'<{p}xf numFmtId="0" fontId="{font_id}" fillId="{fill_id}" borderId="{border_id}" xfId="0" '
                        f'applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1">{align}</{p}xf>')
        self.dirty = True
        return len(self.xfs) - 1

    def save(self) -> None:
        if not self.dirty:
            return
        xml = self.xml
        for container, items in (("fonts", self.fonts), ("fills", self.fills), ("borders", self.borders),
                                 ("cellXfs", self.xfs)):
            xml = self._replace(xml, container, items)
        self.pkg.put(self.part, xml)
        if self.created:
            self.pkg.add_rel(self.pkg.workbook_part, self.pkg.rel_type("styles"), self.part)
            self.pkg.override(self.part, _CT_STYLES)

    def _replace(self, xml: str, container: str, items: list[str]) -> str:
        p = re.escape(self.p)
        new = f'<{self.p}{container} count="{len(items)}">{"".join(items)}</{self.p}{container}>'
        m = re.search(rf"<{p}{container}\b[^>]*?(?:/>|>.*?</{p}{container}>)", xml, re.S)
        if m:
            return xml[: m.start()] + new + xml[m.end():]
        order = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs"]
        return _insert_before(xml, new, self.p, order[order.index(container) + 1:], "styleSheet")


_MINIMAL_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_NS_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


# ---------------------------------------------------------------------------------------------
# The 审核结果 sheet

_RESULT_WIDTHS = (8, 8, 12, 10, 80, 22, 22)


def _display_width(text: str) -> int:
    """Columns a text takes: CJK characters count two (their GBK encoding is two bytes)."""
    return len(text.encode("gbk", "replace"))


def _results_xml(p: Plan, st: dict[str, int], ns_main: str = _NS_MAIN, ns_rel: str = _NS_REL) -> str:
    rows = []

    def cell(ref: str, value: str, style: int) -> str:
        if value == "":
            return f'<c r="{ref}" s="{style}"/>'
        return (f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{xml_text(value)}</t></is></c>')

    rows.append(f'<row r="1" ht="24" customHeight="1">{cell("A1", p.title, st["title"])}</row>')
    width = _RESULT_WIDTHS[4]
    header = "".join(cell(f"{col_letter(i + 1)}3", h, st["header"]) for i, h in enumerate(S.RESULT_HEADERS))
    rows.append(f'<row r="3">{header}</row>')
    links = []
    for i, values in enumerate(p.results):
        r = 4 + i
        cells = []
        for j, v in enumerate(values):
            ref = f"{col_letter(j + 1)}{r}"
            style = st[values[0]] if j == 0 else (st["link"] if j == 3 and v else st["body"])
            cells.append(cell(ref, v, style))
        lines = max(1, -(-_display_width(values[4]) // int(width - 2)))
        rows.append(f'<row r="{r}" ht="{15 * lines + 2}" customHeight="1">{"".join(cells)}</row>')
        sheet, where = values[2], values[3]
        if sheet and where:
            target = "'" + sheet.replace("'", "''") + "'!" + where
            links.append(f'<hyperlink ref="D{r}" location="{xml_text(target)}" display="{xml_text(where)}"/>')
    if not p.results:
        rows.append(f'<row r="4">{cell("A4", "未发现问题。", st["body"])}</row>')
    last = 3 + max(len(p.results), 1)
    cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>' for i, w in enumerate(_RESULT_WIDTHS))
    hyperlinks = f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{ns_main}" xmlns:r="{ns_rel}">'
            '<sheetPr><tabColor rgb="FFC00000"/><pageSetUpPr fitToPage="1"/></sheetPr>'
            f'<dimension ref="A1:G{last}"/>'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="3" topLeftCell="A4" activePane="bottomLeft" state="frozen"/>'
            '</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
            f"<cols>{cols}</cols><sheetData>{''.join(rows)}</sheetData>"
            f"{hyperlinks}"
            '<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
            '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
            "</worksheet>")
