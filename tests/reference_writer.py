"""The scored copy written the slow, obvious way: openpyxl loads the whole submission, writes the
plan, and saves. tests/test_equivalence.py proves the package patcher gives the same workbook."""

from __future__ import annotations

import copy

import openpyxl
from openpyxl.comments import Comment
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.hyperlink import Hyperlink

from selfeval_xl.core import names as S
from selfeval_xl.outputs.scored_copy import COMMENT_AUTHOR, LONG_LINE, MARK_FILLS, VERDICT_COLOR, _wrapped_lines, plan


def cells_of(area: str) -> list[str]:
    """Every cell of an A1 area, one by one."""
    c1, r1, c2, r2 = range_boundaries(area)
    return [f"{get_column_letter(c)}{r}" for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def write_reference(a, path) -> None:
    p = plan(a)
    wb = openpyxl.load_workbook(a.file)
    for (sheet, cell), value in p.values.items():
        c = wb[sheet][cell]
        c.value = value
        number = isinstance(value, (int, float))
        c.data_type = "n" if number else "s"
        long = isinstance(value, str) and len(value) > 12
        c.font = Font(name="宋体", sz=9 if long else 11, color=VERDICT_COLOR)
        c.fill = PatternFill("solid", fgColor="FFFFFFFF", bgColor="FF000000")
        c.alignment = Alignment(horizontal="left" if long else "center", vertical="center", wrap_text=long or None)
        c.number_format = p.formats.get((sheet, cell), "0.00") if number else "@"
        c.protection = Protection(locked=True, hidden=False)
        b = copy.copy(c.border)
        c.border = Border(left=b.left, right=b.right, top=b.top, bottom=b.bottom)
        if long:  # as high as its wrapped lines
            ws = wb[sheet]
            need = LONG_LINE * _wrapped_lines(value, ws.column_dimensions[c.column_letter].width) + 4
            if (ws.row_dimensions[c.row].height or 15) < need:
                ws.row_dimensions[c.row].height = need
    for (sheet, cell), level in p.marks.items():
        wb[sheet][cell].fill = PatternFill("solid", fgColor=MARK_FILLS[level], bgColor="FF000000")
    for sheet in {s for s, _c in (*p.values, *p.marks)}:  # the tool's cells leave the sheet's conditional formats
        ws = wb[sheet]
        out = {ws[c].coordinate for s, c in (*p.values, *p.marks) if s == sheet}
        kept = ConditionalFormattingList()
        for cf in ws.conditional_formatting:
            left = " ".join(c for area in str(cf.sqref).split() for c in cells_of(area) if c not in out)
            for rule in cf.rules if left else ():
                kept.add(left, rule)
        ws.conditional_formatting = kept
    for (sheet, cell), text in p.notes.items():
        c = wb[sheet][cell]
        note = f"{COMMENT_AUTHOR}：\n{text}"
        c.comment = Comment(c.comment.text + f"\n\n【{COMMENT_AUTHOR}】{text}" if c.comment else note, COMMENT_AUTHOR)
    ws = wb[S.RESULTS] if S.RESULTS in wb.sheetnames else wb.create_sheet(S.RESULTS, 0)  # the first tab
    ws["A1"] = p.title
    ws["A1"].font = Font(name="宋体", sz=14, b=True)
    thin = Side(style="thin", color="FF8C8C8C")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for j, h in enumerate(S.RESULT_HEADERS, start=1):
        c = ws.cell(3, j, h)
        c.font, c.fill, c.border = Font(name="宋体", sz=11, b=True), PatternFill("solid", fgColor="FFBDD7EE"), border
        c.alignment = Alignment(vertical="top", wrap_text=True)
    for i, row in enumerate(p.results, start=4):
        for j, v in enumerate(row, start=1):
            if v == "":
                continue
            c = ws.cell(i, j, v)
            c.data_type = "s"
            c.border = border
            if j == 1:
                c.fill = PatternFill("solid", fgColor=MARK_FILLS[v])
        if row[2] and row[3]:
            ws.cell(i, 4).hyperlink = Hyperlink(ref=f"D{i}", location="'" + row[2] + "'!" + row[3], display=row[3])
    if not p.results:
        ws["A4"] = "未发现问题。"
    wb.save(path)
