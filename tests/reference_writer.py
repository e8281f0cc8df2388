"""The scored copy written the slow, obvious way: openpyxl loads the whole submission, writes the
plan, and saves. tests/test_equivalence.py proves the package patcher gives the same workbook."""

from __future__ import annotations

import copy

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.hyperlink import Hyperlink

from selfeval_xl import standard as S
from selfeval_xl.scored_copy import COMMENT_AUTHOR, MARK_FILLS, VERDICT_COLOR, plan


def write_reference(a, path) -> None:
    p = plan(a)
    wb = openpyxl.load_workbook(a.file)
    for (sheet, cell), value in p.values.items():
        c = wb[sheet][cell]
        c.value = value
        c.data_type = "n" if isinstance(value, (int, float)) else "s"
        font = copy.copy(c.font)
        small = isinstance(value, str) and len(value) > 12
        c.font = Font(name=font.name, sz=9 if small else font.sz, b=font.b, i=False, u=font.u, strike=font.strike,
                      vertAlign=font.vertAlign, charset=font.charset, outline=font.outline, shadow=font.shadow,
                      condense=font.condense, extend=font.extend, family=font.family, scheme=font.scheme,
                      color=VERDICT_COLOR)
    for (sheet, cell), level in p.marks.items():
        wb[sheet][cell].fill = PatternFill("solid", fgColor=MARK_FILLS[level], bgColor="FF000000")
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
