"""Write the bundled Word templates of the 自评报告 (selfeval_xl/data/reports/*.docx).

    python scripts/make_report_templates.py

A template is an ordinary Word document: its outline, fixed wording and formatting are the bureau's
to edit in Word; ``{{ … }}`` tags and ``{%p … %}`` / ``{%tr … %}`` lines (docxtpl) bring in the
figures. The formatting follows GB/T 9704-2012 (党政机关公文格式): A4, margins 37/35/28/26 mm, title
in 小标宋 二号, body 仿宋_GB2312 三号 on a 28.9 pt line (22 lines a page), first-level headings 黑体,
second-level 楷体_GB2312, page numbers 宋体 四号 "— 1 —" outside on odd and even pages, table header
rows repeated on every page. Fonts are named as a government PC has them, whether or not this
machine does.

``default`` is the outline of the seed report (eight sections); ``example-bureau`` is another
bureau's outline (six sections, other names and order), to show that one is a template away.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "selfeval_xl" / "data" / "reports"

TITLE_FONT, BODY_FONT, H1_FONT, H2_FONT, NUMBER_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体"
LINE = Pt(28.9)  # 22 lines on the 225 mm text area


def _fonts(rpr_owner, name: str) -> None:
    """Name a font for Latin and East Asian text alike (python-docx sets only the Latin one)."""
    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _style(doc, name: str, font: str, size: float, *, bold: bool = False, indent: bool = True,
           align=WD_ALIGN_PARAGRAPH.JUSTIFY, line=LINE, base: str = "Normal", keep: bool = False):
    """A paragraph style; ``keep``: kept on the page of the paragraph after it (a heading, a table's
    title), never left alone at the foot of a page."""
    styles = doc.styles
    st = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if name != "Normal":
        st.base_style = styles[base]
    st.font.size = Pt(size)
    st.font.bold = bold
    _fonts(st.element, font)
    pf = st.paragraph_format
    pf.first_line_indent = Pt(size * 2) if indent else Pt(0)
    pf.alignment = align
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.keep_with_next = keep or None
    if line is None:
        pf.line_spacing = 1.0
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = line
    return st


def _page_number(paragraph, align) -> None:
    """"— N —" with a PAGE field, 宋体 四号, one character in from the outer edge."""
    paragraph.alignment = align
    pf = paragraph.paragraph_format
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        pf.right_indent = Pt(14)
    else:
        pf.left_indent = Pt(14)
    for text, field in (("— ", False), ("PAGE", True), (" —", False)):
        run = paragraph.add_run()
        run.font.size = Pt(14)
        _fonts(run._r, NUMBER_FONT)
        if field:
            for kind, instr in (("begin", None), (None, " PAGE "), ("end", None)):
                if kind:
                    el = OxmlElement("w:fldChar")
                    el.set(qn("w:fldCharType"), kind)
                else:
                    el = OxmlElement("w:instrText")
                    el.set(qn("xml:space"), "preserve")
                    el.text = instr
                run._r.append(el)
        else:
            run.text = text


def new_document(title: str):
    doc = Document()
    sec = doc.sections[0]
    sec.start_type = WD_SECTION.NEW_PAGE
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)
    sec.footer_distance = Mm(22)
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(sec.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(sec.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)
    _style(doc, "Normal", BODY_FONT, 16)
    _style(doc, "报告标题", TITLE_FONT, 22, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(36))
    _style(doc, "一级标题", H1_FONT, 16, keep=True)
    _style(doc, "二级标题", H2_FONT, 16, keep=True)
    _style(doc, "三级标题", BODY_FONT, 16, bold=True, keep=True)
    _style(doc, "表题", H1_FONT, 14, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(24), keep=True)
    _style(doc, "表前文字", BODY_FONT, 16, keep=True)  # "如下表：" before a table
    _style(doc, "表格文字", BODY_FONT, 12, indent=False, align=WD_ALIGN_PARAGRAPH.LEFT, line=None)
    _style(doc, "模板标签", BODY_FONT, 10, indent=False, line=None)
    # text full of figures, formulas and cell names (the budget sentence, the findings, the notes):
    # left-aligned, since a justified line before a long unbreakable run of them ("2.86%，“三公经费”",
    # a formula) is spread into spaced-out characters
    _style(doc, "正文左对齐", BODY_FONT, 16, align=WD_ALIGN_PARAGRAPH.LEFT)
    doc.core_properties.title = title
    doc.core_properties.author = "selfeval-xl"
    return doc


class Writer:
    def __init__(self, title: str):
        self.doc = new_document(title)

    def p(self, text: str = "", style: str = "Normal") -> None:
        self.doc.add_paragraph(text, style=style)

    def tag(self, text: str) -> None:
        """A docxtpl line ({%p … %}): removed when the report is written."""
        self.doc.add_paragraph(text, style="模板标签")

    def todo(self, what: str) -> None:
        """A highlighted placeholder for the department's own words."""
        para = self.doc.add_paragraph(style="Normal")
        run = para.add_run(f"【请填写：{what}】")
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW

    def marked(self, text: str, *, bold: bool = False, style: str = "Normal") -> None:
        """A paragraph of one highlighted run (the bureau changes its look in Word)."""
        run = self.doc.add_paragraph(style=style).add_run(text)
        run.bold = bold or None
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW

    def loop(self, head: str, body: str, style: str = "Normal") -> None:
        self.tag(f"{{%p for {head} %}}")
        self.p(body, style)
        self.tag("{%p endfor %}")

    def table(self, headers: list[str], body: list[list[Cell]], widths: list[float]) -> None:
        """A table whose header row repeats on every page, then ``body``: a row whose first cell is
        a ``{%tr … %}`` tag is a tag row (removed when the report is written), a ``Strong`` row is
        bold (a subtotal, a total)."""
        rows: list[list[Cell]] = [headers, *body]
        t = self.doc.add_table(rows=len(rows), cols=len(headers))
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                cell = t.cell(r, c)
                cell.width = Mm(widths[c])
                para = cell.paragraphs[0]
                para.style = self.doc.styles["表格文字"]
                plain, marked = (value, "") if isinstance(value, str) else value
                run = para.add_run(plain)
                if marked:
                    para.add_run(marked).font.highlight_color = WD_COLOR_INDEX.YELLOW
                if r == 0 or isinstance(values, Strong):
                    run.bold = True
                if r == 0 or headers[c] in _CENTERED:
                    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        t.autofit = False
        for col, w in zip(t._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):  # what LibreOffice reads
            col.set(qn("w:w"), str(int(Mm(w).twips)))
        # repeated on every page; no w:val (on by default: ST_OnOff in Word's schema knows no "true")
        t.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
        for row in t.rows:  # a row is never split over two pages
            row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        _drop_styles_with_effects(self.doc)
        self.doc.save(str(path))


def _drop_styles_with_effects(doc) -> None:
    """python-docx's blank document carries Word 2010's stylesWithEffects part, a copy of the styles
    as they were then: ours differ from it, which Word may take for unreadable content. Word writes
    it only for compatibility; without it the document is what Word 2013 and later write."""
    part = doc.part
    for rid, rel in list(part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            del part.rels[rid]


Cell = str | tuple[str, str]  # a cell's text, or (text, highlighted text)


class Strong(list):
    """A bold table row."""


def tag_row(tag: str, columns: int) -> list[Cell]:
    return [tag] + [""] * (columns - 1)


def each(loop: str, cells: list[Cell]) -> list[list[Cell]]:
    """One table row per item of ``loop``."""
    return [tag_row(f"{{%tr for {loop} %}}", len(cells)), cells, tag_row("{%tr endfor %}", len(cells))]


_CENTERED = {"分值", "得分", "得分率", "权重分值", "指标值", "实际完成值"}
# Column widths (mm, 156 in all) in 12-point text, 4.23 mm a character and 3.8 mm of cell margins:
# a 二级指标 of seven characters (预算和财务管理) on one line, an 指标值 such as "≥20000 平方米", a
# score such as "0.75" or a bold "32.40", a 三级指标 of ten to twelve (of the 107 indicators of the
# samples and examples, 2 to 6 leave one character on a line of their own, against 7 at the nine a
# line they had); they broke as "预算和财务管/理", "≥20000 平方/米", "生均公用经费支出增/幅"
INDICATOR_TABLE = (["一级指标", "二级指标", "三级指标", "分值", "指标值"],
                   each("r in indicators", ["{{ r.level1 }}", "{{ r.level2 }}", "{{ r.name }}", "{{ r.weight }}",
                                            "{{ r.target }}"]), [22, 34, 50, 14, 36])
# the rows by category, each category's subtotal after them: what the score table's categories add up
RESULT_TABLE = (["三级指标", "指标值", "实际完成值", "分值", "得分"],
                [tag_row("{%tr for c in categories %}", 5),
                 *each("r in c.rows", ["{{ r.name }}", "{{ r.target }}", "{{ r.actual }}", "{{ r.weight }}",
                                       "{{ r.verified }}"]),
                 Strong(["{{ c.name }}小计", "", "", "{{ c.rows_weight }}", "{{ c.rows_score }}"]),
                 tag_row("{%tr endfor %}", 5)], [55, 35, 32, 14, 20])
DEVIATION_TABLE = (["三级指标", "分值", "得分", "偏差原因分析及改进措施"],
                   each("r in deviations", ["{{ r.name }}", "{{ r.weight }}", "{{ r.verified }}",
                                            ("{{ r.reason }}", "{{ r.reason_todo }}")]), [55, 14, 18, 69])
SCORE_TABLE = (["指标", "权重分值", "得分", "得分率"],
               [*each("c in categories", ["{{ c.name }}", "{{ c.weight }}", "{{ c.score }}", "{{ c.rate }}"]),
                Strong(["{{ total_row.name }}", "{{ total_row.weight }}", "{{ total_row.score }}", "{{ total_row.rate }}"]),
                tag_row("{%tr if total_adjusted %}", 4),
                Strong(["{{ final_row.name }}", "{{ final_row.weight }}", "{{ final_row.score }}", "{{ final_row.rate }}"]),
                tag_row("{%tr endif %}", 4)], [50, 34, 34, 38])


def _notice(w: Writer) -> None:
    w.tag("{%p if notice %}")
    w.marked("{{ notice }}", bold=True)
    w.tag("{%p endif %}")


def _conclusion(w: Writer, head: str) -> None:
    w.p(head + "我单位 {{ year }} 年度绩效自评{{ total_label }} {{ total }} 分。按照{{ grade_bands }}的评价等级设置，"
        "我单位{{ grade_label }}“{{ grade }}”。")
    w.tag("{%p if provisional %}")
    w.p("{{ provisional_reason }}")
    w.tag("{%p endif %}")
    w.tag("{%p if rescaled %}")
    w.p("有标为“不适用”的指标，不计分，总分已按适用指标折算为百分制。")
    w.tag("{%p endif %}")
    w.p("各项指标得分情况如下：", "表前文字")
    w.p("各项指标得分情况表", "表题")
    w.table(*SCORE_TABLE)
    w.loop("n in score_notes", "注：{{ n }}", "正文左对齐")


def _deviations(w: Writer, heading: Callable[[], None]) -> None:
    w.tag("{%p if deviations %}")
    heading()
    w.table(*DEVIATION_TABLE)
    w.tag("{%p else %}")
    w.p("各项指标均得满分。")
    w.tag("{%p endif %}")


def _findings(w: Writer) -> None:
    w.tag("{%p if findings %}")
    w.p("报表审核发现的问题（请逐项核实；属于报表填写的，改正报表后重新生成本稿）：")
    w.loop("f in findings", "{{ loop.index }}. {{ f }}", "正文左对齐")
    w.tag("{%p endif %}")


def default() -> Writer:
    """The outline of the seed report (2021 年度郑州市金水区杜岭街道办事处 部门整体绩效自评报告)."""
    w = Writer("部门整体绩效自评报告")
    w.p("{{ year }} 年度{{ unit }}部门整体绩效自评报告", "报告标题")
    w.p()
    _notice(w)
    w.p("一、基本情况", "一级标题")
    w.p("（一）部门年度履职目标及主要任务。", "二级标题")
    w.p("1. 部门年度履职目标", "三级标题")
    w.loop("g in goals", "（{{ loop.index }}）{{ g }}")
    w.p("2. 主要任务", "三级标题")
    w.loop("t in tasks", "（{{ loop.index }}）{{ t.text }}")
    w.p("（二）部门年度整体绩效目标、绩效指标设置情况。", "二级标题")
    w.p("本单位 {{ year }} 年度整体绩效目标申报的绩效指标共 {{ indicators|length }} 项，如下表：", "表前文字")
    w.p("部门（单位）整体支出绩效目标申报表", "表题")
    w.table(*INDICATOR_TABLE)
    w.p("二、绩效自评工作开展情况", "一级标题")
    w.todo("自评工作的组织、时间安排和方法（如前期准备、数据收集与核查、分析与撰写、提交审核各阶段）")
    w.p("三、综合评价结论", "一级标题")
    _conclusion(w, "根据部门整体绩效自评相关要求对每个指标分别评分，")
    w.p("四、绩效目标实现情况分析", "一级标题")
    w.p("（一）部门资金情况分析", "二级标题")
    w.p("{{ budget_sentence }}", "正文左对齐")
    w.todo("资金使用的合规性和资金管理情况")
    w.p("（二）部门绩效指标完成情况分析", "二级标题")
    w.p("各项指标的指标值、实际完成值和得分如下表：", "表前文字")
    w.table(*RESULT_TABLE)
    _deviations(w, lambda: w.p("未得满分或有偏差说明的指标及原因：", "表前文字"))
    w.todo("对照履职目标和主要任务，分析产出和效益指标的完成情况")
    w.p("五、发现的主要问题和改进措施", "一级标题")
    w.p("（一）主要问题及原因分析", "二级标题")
    w.loop("x in problems", "（{{ loop.index }}）{{ x.text }}")
    _findings(w)
    w.p("（二）改进的方向和具体措施", "二级标题")
    w.loop("x in problems", "（{{ loop.index }}）{{ x.measure }}")
    w.p("六、绩效自评结果拟应用和公开情况", "一级标题")
    w.todo("自评结果的应用（问题整改、预算安排）和公开的方式、时间")
    w.p("七、绩效自评工作的经验、问题和建议", "一级标题")
    w.todo("绩效自评工作的经验、问题和建议")
    w.p("八、其他需要说明的问题", "一级标题")
    w.todo("其他需要说明的问题；没有的写“无”")
    return w


def example_bureau() -> Writer:
    """Another bureau's outline: six sections, other names and order (budget before the indicators,
    the conclusion last), its title with the unit first."""
    w = Writer("部门整体支出绩效自评报告")
    w.p("{{ unit }}{{ year }}年度部门整体支出绩效自评报告", "报告标题")
    w.p()
    _notice(w)
    w.p("一、部门概况", "一级标题")
    w.p("（一）年度履职目标", "二级标题")
    w.loop("g in goals", "{{ loop.index }}. {{ g }}")
    w.p("（二）年度主要任务", "二级标题")
    w.loop("t in tasks", "{{ loop.index }}. {{ t.text }}")
    w.p("二、部门整体支出及资金管理情况", "一级标题")
    w.p("{{ budget_sentence }}", "正文左对齐")
    w.todo("资金管理和使用情况")
    w.p("三、绩效目标设定及完成情况", "一级标题")
    w.p("（一）绩效目标设定", "二级标题")
    w.table(*INDICATOR_TABLE)
    w.p("（二）绩效目标完成情况", "二级标题")
    w.table(*RESULT_TABLE)
    _deviations(w, lambda: w.p("（三）偏差原因", "二级标题"))
    w.p("四、存在的问题及改进建议", "一级标题")
    w.loop("x in problems", "{{ loop.index }}. {{ x.text }}改进措施：{{ x.measure_text }}")
    _findings(w)
    w.p("五、其他需要说明的情况", "一级标题")
    w.todo("其他需要说明的情况；没有的写“无”")
    w.p("六、自评结论", "一级标题")
    _conclusion(w, "经逐项评分，")
    return w


TEMPLATES: dict[str, Callable[[], Writer]] = {"default": default, "example-bureau": example_bureau}


def main() -> None:
    for name, make in TEMPLATES.items():
        path = OUT / f"{name}.docx"
        make().save(path)
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
