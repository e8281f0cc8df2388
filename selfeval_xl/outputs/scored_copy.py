"""The scored copy (审核副本, spec/template.md): the submission with the bureau's verdict written in.

``plan(assessment)`` decides what the copy holds: 核定得分 and 审核意见 for every indicator,
得分汇总's 核定 columns and 核定等级, a fill and a comment on every cell a finding points at, and
the rows of a 审核结果 sheet. ``scored_copy_bytes`` writes that plan into a copy of the submitted
package through the OOXML layer: the parts that change (the sheets written into, their comments,
styles, the workbook's sheet list) are edited as parsed trees and serialized; every other part is
copied as it was, so nothing the department wrote (values, formulas, styles, validations including
x14 extensions, comments, drawings) is lost. The copy holds only the parts reachable from the
package root: no macro project, external links or data connections, and nothing submitted is ever
written as a formula or a link.

What the bureau writes shows as the bureau wrote it, whatever the submission did around it (issue
17): the standard sheets are visible; a cell the copy writes into gets a style of ours (number
format, font, white fill: none of the department's can hide or restyle it), is no part of a merge,
a hyperlink, a conditional format, a data validation or a note, and its row and column are shown;
the views show zeros; no drawing, form control, OLE object or shown note lies over it (see
``ooxml.legacy``). A cell a finding marks is taken out of the sheet's conditional formats, so
the mark's colour is what a spreadsheet shows (the template's own formats would paint over it).

The submitted file is only read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from selfeval_xl.check.assess import Assessment
from selfeval_xl.core import names as S
from selfeval_xl.core.findings import ERROR, INFO, LEVELS, WARNING
from selfeval_xl.core.formulas import a1, col_letter
from selfeval_xl.core.numbers import MAX_POINT_DECIMALS, fmt_points, points_format, round_half_up
from selfeval_xl.core.sanitize import NAME_BYTES, atomic_write, clean_text, safe_filename, xml_text
from selfeval_xl.ooxml import Workbook
from selfeval_xl.ooxml.comments import add_notes, remove_notes
from selfeval_xl.ooxml.edit import Editor, parse_new
from selfeval_xl.ooxml.legacy import remove_legacy_over
from selfeval_xl.ooxml.sheet import Sheet
from selfeval_xl.ooxml.sheet_edit import (
    CONDITIONAL_FORMATS,
    DATA_VALIDATIONS,
    Cells,
    CellWriter,
    exclude,
    plain_view,
    remove_drawings_over,
    remove_hyperlinks,
    show_zeros,
    unmerge,
)
from selfeval_xl.ooxml.styles import StyleSheet
from selfeval_xl.ooxml.workbook_edit import add_sheet_first, define_name, drop_not_kept, full_calc_on_load, remove_names, show_sheets

__all__ = ["COPY_SUFFIX", "MARK_FILLS", "Plan", "plan", "scored_copy_bytes", "scored_copy_name", "write_scored_copy"]

#: fill of a cell a finding points at, by the finding's level (ARGB)
MARK_FILLS = {ERROR: "FFFFC7CE", WARNING: "FFF8CBAD", INFO: "FFE4DFEC"}  # red, orange, lavender
#: font colour of what the bureau writes (核定得分, 审核意见, 核定等级)
VERDICT_COLOR = "FF1F3864"
#: number formats of what the bureau writes: scores (when the plan gives none: see
#: ``numbers.points_format``, the rule set's decimals and more where a score needs them), and the
#: rates of 得分汇总
SCORE_FORMAT, RATE_FORMAT, TEXT_FORMAT = "0.00", "0.00%", "@"
#: a text longer than this is written small and wrapped, in a column at least LONG_WIDTH wide
LONG_TEXT = 12
SHORT_WIDTH, LONG_WIDTH = 8.0, 24.0
COMMENT_AUTHOR = "财政审核"
_SEVERITY = {lvl: i for i, lvl in enumerate(LEVELS)}


@dataclass
class Plan:
    """What the scored copy holds beyond the submission."""

    values: dict[tuple[str, str], float | str] = field(default_factory=dict)  # (sheet, A1) -> value
    marks: dict[tuple[str, str], str] = field(default_factory=dict)  # (sheet, A1) -> level
    notes: dict[tuple[str, str], str] = field(default_factory=dict)  # (sheet, A1) -> comment text
    formats: dict[tuple[str, str], str] = field(default_factory=dict)  # (sheet, A1) -> a number's format
    print_areas: dict[str, str] = field(default_factory=dict)  # sheet -> its print area (A1:B9)
    title: str = ""
    results: list[list[str]] = field(default_factory=list)  # 审核结果 rows under the header


#: what a scored copy's name ends with (always .xlsx: a copy keeps no macros)
COPY_SUFFIX = "_审核.xlsx"


def scored_copy_name(source: Path) -> str:
    """``<name>_审核.xlsx``, a name every file system takes (see ``safe_filename``): a stem too long
    for 255 bytes with the suffix is shortened and given a short hash of the whole stem."""
    return safe_filename(source.stem, NAME_BYTES - len(COPY_SUFFIX.encode())) + COPY_SUFFIX


def plan(a: Assessment) -> Plan:
    sub, sc = a.submission, a.scores
    assert sub is not None and sc is not None, "a file that could not be read has no scored copy"
    p = Plan()
    d = a.rules.decimals if a.rules is not None else 2
    lay = sub.layout
    cols = lay.ind_cols
    present = set(sub.sheet_names)
    if S.INDICATORS in present and S.VERIFIED in cols and S.OPINION in cols:
        for r in sc.rows:
            if r.verified is not None:
                p.values[(S.INDICATORS, a1(r.row, cols[S.VERIFIED]))] = r.verified
            p.values[(S.INDICATORS, a1(r.row, cols[S.OPINION]))] = r.opinion
        if lay.ind_total_row:
            # the rows' sum as they hold it (a row of 0.125 at two decimals is 0.125, not 0.13)
            verified_sum = round_half_up(sum(r.verified or 0.0 for r in sc.rows if r.category), MAX_POINT_DECIMALS)
            p.values[(S.INDICATORS, a1(lay.ind_total_row, cols[S.VERIFIED]))] = verified_sum
            note = f"核定总分 {fmt_points(sc.total, d)}（{sc.grade}）"
            if sc.rescaled:
                note += "，有不适用指标，已按适用指标折算为百分制"
            if sc.provisional:
                note += f"；{'、'.join(sc.provisional)}各行分值之和不等于权重，已按权重折算，为暂定分"
            if sc.limits:  # 加分、扣分, the cap or the 一票否决 that changed the total or the grade
                note += f"；各类别合计 {fmt_points(sc.before_limits, d)}，" + "，".join(sc.limits)
            p.values[(S.INDICATORS, a1(lay.ind_total_row, cols[S.OPINION]))] = note
    if S.SUMMARY in present:
        h_v, h_vr = S.SUMMARY_HEADERS[4], S.SUMMARY_HEADERS[5]
        for c in sc.categories:
            if (cell := lay.sum_cell(h_v, c.name)):
                p.values[(S.SUMMARY, cell)] = c.verified
            if (cell := lay.sum_cell(h_vr, c.name)):
                p.values[(S.SUMMARY, cell)] = round(c.verified / c.weight, 6) if c.weight else 0.0
                p.formats[(S.SUMMARY, cell)] = RATE_FORMAT
        total_weight = sum(c.weight for c in sc.categories)
        if (cell := lay.sum_cell(h_v, S.TOTAL)):
            p.values[(S.SUMMARY, cell)] = sc.total
        if (cell := lay.sum_cell(h_vr, S.TOTAL)):
            p.values[(S.SUMMARY, cell)] = round(sc.total / total_weight, 6) if total_weight else 0.0
            p.formats[(S.SUMMARY, cell)] = RATE_FORMAT
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
    p.title = (f"审核结果：{name}　核定总分 {fmt_points(sc.total, d)}（{sc.grade}）　"
               f"错误 {a.errors} 项，警告 {a.warnings} 项，提示 {a.infos} 项")
    for key, value in p.values.items():  # every score shows the figure it holds
        if isinstance(value, (int, float)) and key not in p.formats:
            p.formats[key] = points_format(value, d)
    p.results = [[f.level, f.code, f.sheet, f.cell, f.message, f.expected, f.actual] for f in a.findings]
    for sheet, headers in ((S.GOALS, S.GOALS_HEADERS), (S.TASKS, S.TASKS_HEADERS), (S.PROBLEMS, S.PROBLEMS_HEADERS)):
        if sheet in sub.sheets:
            p.print_areas[sheet] = _list_print_area(sub.sheets[sheet], len(headers))
    return p


def _list_print_area(sheet: Sheet, columns: int) -> str:
    """A free list's print area: down to its last row that holds more than a row number (the
    template numbers empty rows: they would print a page of nothing), at least two rows."""
    last = 2
    for r, cells in sheet.rows.items():
        if r > last and any(c > 1 or not isinstance(v, (int, float)) for c, v in cells.items() if v != ""):
            last = r
    width = max(columns, *(max(cells) for cells in sheet.rows.values()), 1) if sheet.rows else columns
    return f"$A$1:${col_letter(width)}${last}"


def write_scored_copy(a: Assessment, outdir: Path) -> Path:
    """Write the scored copy of ``a`` into ``outdir`` atomically; return its path."""
    dest = Path(outdir) / scored_copy_name(a.file)
    atomic_write(dest, scored_copy_bytes(a))
    return dest


# ---------------------------------------------------------------------------------------------
# Writing the plan into a copy of the package (through the OOXML layer's parsed trees)


def scored_copy_bytes(a: Assessment) -> bytes:
    sub = a.submission
    assert sub is not None and sub.workbook is not None, "the submission's package is needed"
    return apply_plan(sub.workbook, plan(a))


def apply_plan(wb: Workbook, p: Plan) -> bytes:
    editor = Editor(wb.package)
    drop_not_kept(editor, wb)
    styles = StyleSheet(editor, wb.part, wb.strict)
    parts = wb.sheet_parts()
    writers: dict[str, CellWriter] = {}

    def writer(sheet: str) -> CellWriter | None:
        part = parts.get(sheet)
        if part is None:
            return None
        if sheet not in writers:
            writers[sheet] = CellWriter(editor.tree(part))
        return writers[sheet]

    verdicts: dict[str, Cells] = {}
    for (sheet, cell), value in p.values.items():
        w = writer(sheet)
        if w is None:
            continue
        long = isinstance(value, str) and len(value) > LONG_TEXT
        number = isinstance(value, (int, float))
        style = partial(styles.verdict, argb=VERDICT_COLOR, size=9.0 if long else 11.0,
                        number_format=p.formats.get((sheet, cell), SCORE_FORMAT) if number else TEXT_FORMAT,
                        horizontal="left" if long else "center", wrap=long)
        w.put(cell, value, style)
        row, col = w.touched[-1]
        verdicts.setdefault(sheet, {}).setdefault(row, set()).add(col)
        w.show_row(row)
        w.show_column(col, LONG_WIDTH if long else SHORT_WIDTH)
        if long:  # every line of it shown: a row of the template's height cut an opinion to its first lines
            w.grow_row(row, LONG_LINE * _wrapped_lines(str(value), w.column_width(col)) + 4)
    marked: dict[str, Cells] = {}
    for (sheet, cell), level in p.marks.items():
        w = writer(sheet)
        if w is not None:
            w.put(cell, style=partial(styles.with_fill, argb=MARK_FILLS[level]))
            row, col = w.touched[-1]
            marked.setdefault(sheet, {}).setdefault(row, set()).add(col)
    for sheet, cells in verdicts.items():
        _keep_the_verdict(editor, parts[sheet], writers[sheet], cells)
    for sheet, cells in marked.items():  # the template's own formats would paint over the marks
        exclude(writers[sheet].root, cells, CONDITIONAL_FORMATS)
    notes_by_sheet: dict[str, dict[str, str]] = {}
    for (sheet, cell), text in p.notes.items():
        notes_by_sheet.setdefault(sheet, {})[cell] = clean_text(text)
    for sheet, notes in notes_by_sheet.items():
        w = writer(sheet)
        if w is not None:
            add_notes(editor, parts[sheet], w, notes, COMMENT_AUTHOR, wb.names.rel)
    for w in writers.values():
        w.extend_dimension()
    show_sheets(editor, wb, {*S.SHEETS, *writers})
    st = {"header": styles.add(bold=True, fill="FFBDD7EE", border=True, wrap=True),
          "title": styles.add(bold=True, size=14),
          "body": styles.add(border=True, wrap=True),
          "link": styles.add(underline=True, color="FF0563C1", border=True)}
    st.update({lvl: styles.add(fill=MARK_FILLS[lvl], border=True) for lvl in LEVELS})
    results = parse_new(_results_xml(p, st, wb.names.ns or _NS_MAIN, wb.names.rel), "审核结果")
    add_sheet_first(editor, wb, S.RESULTS, results)
    define_name(editor, wb, "_xlnm.Print_Titles", S.RESULTS, f"'{S.RESULTS}'!$3:$3")
    remove_names(editor, wb, "_xlnm.Print_Area", set(verdicts))  # a print area could leave the verdict out
    for sheet, area in p.print_areas.items():
        if sheet in parts:
            define_name(editor, wb, "_xlnm.Print_Area", sheet, f"'{sheet}'!{area}")
    full_calc_on_load(editor, wb)
    return editor.write(level=1)  # a copy is read once; level 6 cost 0.5 ms a copy for 6% less size


def _keep_the_verdict(editor: Editor, part: str, w: CellWriter, cells: Cells) -> None:
    """Nothing of the sheet's changes how the cells the bureau wrote show: no merge over them, no
    link, no conditional format, no data validation (its prompt would cover them), no note of the
    department's, no picture, text box, form control, OLE object or shown note laid over them, zeros
    shown, and the sheet opens where they can be seen (``plain_view``: not scrolled away, not at
    10 %, no frozen pane filling the window); its print area, which could leave them out, is removed
    (apply_plan)."""
    unmerge(w.root, cells)
    gone = set(remove_hyperlinks(w.root, cells))
    if gone:
        editor.remove_rels(part, lambda r: r.id not in gone)
    exclude(w.root, cells, CONDITIONAL_FORMATS)
    exclude(w.root, cells, DATA_VALIDATIONS)
    remove_notes(editor, part, {(r, c) for r, cols in cells.items() for c in cols})
    show_zeros(w.root)
    plain_view(w.root)
    for drawing in [r.part for r in editor.rels(part) if r.kind == "drawing" and r.part]:
        remove_drawings_over(editor.tree(drawing), w.root, cells)
    remove_legacy_over(editor, part, w.root, cells)  # form controls, VML shapes, OLE objects, shown notes


_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


# ---------------------------------------------------------------------------------------------
# The 审核结果 sheet

_RESULT_WIDTHS = (8, 8, 12, 10, 80, 22, 22)


#: a line of the 9-point text a long verdict is written in (points)
LONG_LINE = 12.0


def _wrapped_lines(text: str, width: float) -> int:
    """Lines 9-point text takes wrapped in a column ``width`` characters wide: the column's pixels
    (less margins) over 6 pixels a half-width character, 12 a CJK one (Excel's measure; LibreOffice
    fits a little more)."""
    per_line = max(1, int(width * 7 + 5 - 6) // 6)
    return sum(max(1, -(-_display_width(part) // per_line)) for part in text.split("\n"))


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
            '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
            '<pane ySplit="3" topLeftCell="A4" activePane="bottomLeft" state="frozen"/>'
            '</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
            f"<cols>{cols}</cols><sheetData>{''.join(rows)}</sheetData>"
            f"{hyperlinks}"
            '<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
            '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
            '<headerFooter><oddFooter>&amp;L&amp;"宋体"&amp;9审核结果&amp;C&amp;"宋体"&amp;9第 &amp;P 页，共 &amp;N 页'
            "</oddFooter></headerFooter></worksheet>")
