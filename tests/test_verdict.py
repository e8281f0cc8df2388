"""The verdict is the tool's (issue 17, item 7): nothing a submission does around the cells the
scored copy writes changes what they show.

A hostile department's workbook, made with openpyxl from a sample: 绩效指标 very hidden behind a
visible decoy sheet, a merge over the 核定得分/审核意见 columns, its own hyperlinks, notes, data
validations with prompts and a conditional format with a white font on the verdict cells, a
number format that shows nothing (;;;), a white font on white, a hidden verdict column, a row of
zero height, zeros not shown. In the copy every verdict cell holds its value, in our style, in no
merge, link, format, validation or note; its row, column and sheet are shown. The hidden sheet is
S105, the hidden rows and columns S106, for the clerk too.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.utils import get_column_letter as get_col
from openpyxl.worksheet.datavalidation import DataValidation

from selfeval_xl.check.assess import assess
from selfeval_xl.core import names as S
from selfeval_xl.ooxml.refs import parse_area, parse_ref
from selfeval_xl.ooxml.sheet_edit import remove_drawings_over
from selfeval_xl.outputs.scored_copy import VERDICT_COLOR, plan, write_scored_copy

SAMPLE = "01_杜岭街道办事处_2021.xlsx"
_XDR = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
DECOY = "绩效指标（定稿）"


def hostile(src: Path, dst: Path) -> Path:
    wb = openpyxl.load_workbook(src)
    ws = wb[S.INDICATORS]
    verified = 1 + S.INDICATOR_HEADERS.index(S.VERIFIED)
    v, o = openpyxl.utils.get_column_letter(verified), openpyxl.utils.get_column_letter(verified + 1)
    decoy = wb.create_sheet(DECOY, wb.sheetnames.index(S.INDICATORS))
    decoy["A1"], decoy["B1"] = "核定得分", 100
    ws.sheet_state = "veryHidden"
    wb.active = wb.sheetnames.index(DECOY)
    ws.merge_cells(f"{v}4:{o}12")
    ws[f"{v}14"].hyperlink = "https://example.com/满分"
    ws[f"{o}15"].hyperlink = f"#'{DECOY}'!A1"
    ws[f"{v}16"].comment = Comment("已核定满分", "单位")
    dv = DataValidation(type="whole", showInputMessage=True, promptTitle="核定", prompt="本行核定为满分")
    dv.add(f"{v}3:{o}60")
    ws.add_data_validation(dv)
    white = DifferentialStyle(font=Font(color="FFFFFFFF"), fill=PatternFill(bgColor="FFFFFFFF"))
    ws.conditional_formatting.add(f"{v}3:{o}60", FormulaRule(formula=["TRUE"], font=white.font, fill=white.fill))
    for row in range(3, 60):
        cell = ws[f"{v}{row}"]
        cell.number_format = ";;;"
        cell.font = Font(color="FFFFFFFF", size=1)
        cell.fill = PatternFill("solid", fgColor="FFFFFFFF")
    ws.column_dimensions[o].hidden = True
    ws.row_dimensions[17].height = 0.5
    ws.row_dimensions[18].hidden = True
    ws.sheet_view.showZeros = False
    for anchor in (f"{v}20", "M3"):  # a chart over the verdict, one beside it
        chart = BarChart()
        chart.add_data(Reference(decoy, min_col=2, min_row=1, max_row=1))
        ws.add_chart(chart, anchor)
    wb.save(dst)
    return dst


@pytest.fixture(scope="module")
def hostile_copy(sample_files, tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile")
    path = hostile(sample_files[SAMPLE], out / "hostile.xlsx")
    a = assess(path)
    return a, write_scored_copy(a, out / "copy")


def _covers(sqref: str, cell: str) -> bool:
    row, col = parse_ref(cell)  # type: ignore[misc]
    return any((a := parse_area(part)) and a[0] <= row <= a[2] and a[1] <= col <= a[3] for part in str(sqref).split())


def test_every_verdict_cell_shows_as_the_tool_wrote_it(hostile_copy):
    a, path = hostile_copy
    wb = openpyxl.load_workbook(path)
    verdicts = plan(a).values
    assert len(verdicts) > 40
    for (sheet, cell), value in verdicts.items():
        ws = wb[sheet]
        c = ws[cell]
        where = f"{sheet}!{cell}"
        assert c.value == value, where
        assert not any(cell in r for r in ws.merged_cells.ranges), where
        assert c.hyperlink is None and c.comment is None, where
        assert c.number_format in ("0.00", "0.00%", "@"), where
        assert c.font.color.rgb == VERDICT_COLOR and c.font.sz >= 9, where
        assert c.fill.fill_type == "solid" and c.fill.fgColor.rgb == "FFFFFFFF", where
        assert not ws.row_dimensions[c.row].hidden and (ws.row_dimensions[c.row].height or 15) >= 11, where
        col = ws.column_dimensions[c.column_letter]
        assert not col.hidden and (col.width or 8.43) >= 8, where
        assert not any(_covers(dv.sqref, cell) for dv in ws.data_validations.dataValidation), where
        assert not any(_covers(cf.sqref, cell) for cf in ws.conditional_formatting), where
        assert ws.sheet_view.showZeros is not False, sheet


def test_no_drawing_lies_over_the_verdict(hostile_copy):
    _a, path = hostile_copy
    with zipfile.ZipFile(path) as z:
        drawings = [etree.fromstring(z.read(n)) for n in z.namelist() if n.startswith("xl/drawings/drawing")]
    anchors = [a for d in drawings for a in d if etree.QName(a).localname.endswith("Anchor")]
    assert len(anchors) == 1  # the chart beside the table stays
    assert anchors[0].findtext(f"{_XDR}from/{_XDR}col") == "12"


@pytest.mark.parametrize(("anchor", "over"), [
    ('<xdr:twoCellAnchor><xdr:from><xdr:col>9</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>3</xdr:row><xdr:rowOff>0</xdr:rowOff>'
     '</xdr:from><xdr:to><xdr:col>9</xdr:col><xdr:colOff>10</xdr:colOff><xdr:row>3</xdr:row><xdr:rowOff>10</xdr:rowOff></xdr:to>'
     '</xdr:twoCellAnchor>', True),
    ('<xdr:oneCellAnchor><xdr:from><xdr:col>7</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>3</xdr:row><xdr:rowOff>0</xdr:rowOff>'
     '</xdr:from><xdr:ext cx="3000000" cy="100000"/></xdr:oneCellAnchor>', True),  # H4 and wide enough to reach J4
    ('<xdr:oneCellAnchor><xdr:from><xdr:col>7</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>3</xdr:row><xdr:rowOff>0</xdr:rowOff>'
     '</xdr:from><xdr:ext cx="300000" cy="100000"/></xdr:oneCellAnchor>', False),  # within H4
    ('<xdr:absoluteAnchor><xdr:pos x="5900000" y="600000"/><xdr:ext cx="100000" cy="100000"/></xdr:absoluteAnchor>', True),
    ('<xdr:absoluteAnchor><xdr:pos x="0" y="0"/><xdr:ext cx="100000" cy="100000"/></xdr:absoluteAnchor>', False),
])
def test_a_drawing_over_a_verdict_cell_is_found_by_its_anchor(anchor, over):
    """J4 (column 10, row 4) of a sheet of default sizes: 64 pixels a column, 15 points a row."""
    drawing = etree.fromstring(f'<xdr:wsDr xmlns:xdr="{_XDR[1:-1]}">{anchor}</xdr:wsDr>')
    sheet = etree.fromstring('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>')
    assert remove_drawings_over(drawing, sheet, {4: {10}}) == int(over)


def test_the_standard_sheets_are_visible_and_the_copy_opens_on_its_findings(hostile_copy):
    _a, path = hostile_copy
    wb = openpyxl.load_workbook(path)
    for name in S.SHEETS:
        assert wb[name].sheet_state == "visible", name
    assert wb.active.title == S.RESULTS
    assert [ws.title for ws in wb if ws.sheet_view.tabSelected] == [S.RESULTS]
    assert wb[DECOY].sheet_state == "visible"  # the department's own sheet stays, as it was


def test_the_department_keeps_its_links_and_formats_elsewhere(hostile_copy):
    """Only the verdict cells lose what covered them: the conditional format and the validation
    still cover the department's own cells next to them."""
    _a, path = hostile_copy
    ws = openpyxl.load_workbook(path)[S.INDICATORS]
    assert ws.data_validations.dataValidation
    assert any(_covers(cf.sqref, "J3") for cf in ws.conditional_formatting)  # J3: a category row, no verdict


def test_hiding_is_a_finding(hostile_copy):
    a, _path = hostile_copy
    by_code = {f.code: f for f in a.findings}
    assert by_code["S105"].sheet == S.INDICATORS and by_code["S105"].level == "错误"
    assert "深度隐藏" in by_code["S105"].message
    hidden = [f for f in a.findings if f.code == "S106"]
    messages = " ".join(f.message for f in hidden)
    assert "第 17、18 行" in messages and "K 列（审核意见）" in messages, messages
    assert all(f.level == "警告" for f in hidden)


def test_a_plain_submission_has_no_visibility_finding(sample_files):
    for path in sample_files.values():
        assert not {f.code for f in assess(path).findings} & {"S105", "S106"}, path.name


@pytest.mark.slow
def test_the_hostile_copy_is_valid(hostile_copy):
    openxml_audit = pytest.importorskip("openxml_audit")
    result = openxml_audit.OpenXmlValidator(max_errors=0).validate(hostile_copy[1])
    assert [str(e) for e in result.errors if e.severity == openxml_audit.ValidationSeverity.ERROR] == []


# ---------------------------------------------------------------------------------------------
# What the copy opens on and prints: a sheet of the submission's named like ours, the views, the print area


def hostile_views(src: Path, dst: Path) -> Path:
    """A submission that keeps the verdict out of sight without hiding a cell: its own 审核结果
    (saying 100 points) very hidden at the end, the workbook opening on another sheet, 绩效指标's
    print area stopping before 核定得分, its view at 10 % and scrolled to row 5,000, and frozen
    columns A:C so wide that no column after them can come into the window."""
    from openpyxl.worksheet.views import Pane

    wb = openpyxl.load_workbook(src)
    fake = wb.create_sheet(S.RESULTS)
    fake["A1"] = "审核结果：核定总分 100.00（优）　错误 0 项，警告 0 项，提示 0 项"
    fake.sheet_state = "veryHidden"
    wb.active = wb.sheetnames.index(S.GOALS)
    for name in (S.INDICATORS, S.SUMMARY):
        ws = wb[name]
        ws.print_area = "A1:B60"
        ws.sheet_view.zoomScale = 10
        ws.sheet_view.topLeftCell = "A5000"
    ws = wb[S.INDICATORS]
    for c in "ABC":
        ws.column_dimensions[c].width = 255
    ws.sheet_view.pane = Pane(xSplit=3, ySplit=2, topLeftCell="XFA5000", activePane="bottomRight", state="frozen")
    ws["I16"].comment = Comment("说明", "单位")  # a note on the department's own cell: its box is laid over J16:K30
    wb.save(dst)
    return _shown_over_the_verdict(dst)


_VML_X = "urn:schemas-microsoft-com:office:excel"


def _shown_over_the_verdict(path: Path) -> Path:
    """The note's box shown at all times, over J16:K30 (columns 9-10, rows 15-29 from 0), and a form
    control (a label saying 满分) over J20:K22, in the sheet's VML drawing."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    [vml] = [n for n in parts if n.endswith(".vml")]
    root = etree.fromstring(parts[vml])
    [shape] = [el for el in root.iter("{urn:schemas-microsoft-com:vml}shape")]
    shape.set("style", (shape.get("style") or "").replace("hidden", "visible"))
    data = shape.find(f"{{{_VML_X}}}ClientData")
    anchor = data.find(f"{{{_VML_X}}}Anchor")
    if anchor is None:  # openpyxl writes none: a program places the box by default
        anchor = etree.SubElement(data, f"{{{_VML_X}}}Anchor")
    anchor.text = "9, 0, 15, 0, 11, 0, 30, 0"
    etree.SubElement(data, f"{{{_VML_X}}}Visible")
    label = etree.fromstring(
        f'<v:shape xmlns:v="urn:schemas-microsoft-com:vml" xmlns:x="{_VML_X}" id="_x0000_s1999" type="#_x0000_t202" '
        'style="position:absolute;width:120pt;height:40pt;z-index:2;visibility:visible"><v:textbox><div>满分</div>'
        '</v:textbox><x:ClientData ObjectType="Label"><x:Anchor>9, 0, 19, 0, 10, 0, 21, 0</x:Anchor></x:ClientData>'
        '</v:shape>')
    root.append(label)
    parts[vml] = etree.tostring(root)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data_ in parts.items():
            z.writestr(name, data_)
    return path


@pytest.fixture(scope="module")
def hostile_views_copy(sample_files, tmp_path_factory):
    out = tmp_path_factory.mktemp("views")
    a = assess(hostile_views(sample_files[SAMPLE], out / "views.xlsx"))
    return a, write_scored_copy(a, out / "copy")


def test_a_sheet_named_like_ours_cannot_hide_the_findings(hostile_views_copy):
    """Its 审核结果 was replaced in place: ours stayed very hidden, last, and the workbook opened on
    the department's choice."""
    a, path = hostile_views_copy
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == S.RESULTS and wb.sheetnames.count(S.RESULTS) == 1
    assert wb[S.RESULTS].sheet_state == "visible" and wb.active.title == S.RESULTS
    assert [ws.title for ws in wb if ws.sheet_view.tabSelected] == [S.RESULTS]
    assert wb[S.RESULTS]["A1"].value == plan(a).title
    # names scoped to a sheet follow it to its new place
    assert (wb[S.RESULTS].print_title_rows, wb[S.INDICATORS].print_title_rows) == ("$3:$3", "$1:$2")


def test_the_copy_prints_and_opens_where_the_verdict_is(hostile_views_copy):
    from selfeval_xl.ooxml.sheet_edit import FROZEN_WIDTH

    a, path = hostile_views_copy
    wb = openpyxl.load_workbook(path)
    for sheet in {s for s, _cell in plan(a).values}:
        ws = wb[sheet]
        assert not ws.print_area, sheet  # the whole sheet prints, the verdict with it
        view = ws.sheet_view
        assert view.topLeftCell in (None, "A1") and view.zoomScale in (None, 100), sheet
        if view.pane is not None:
            assert view.pane.state == "frozen" and view.pane.topLeftCell == f"{get_col(view.pane.xSplit + 1)}{int(view.pane.ySplit) + 1}"
            widths = sum((ws.column_dimensions[get_col(i)].width or 8.43) * 7 + 5 for i in range(1, int(view.pane.xSplit or 0) + 1))
            assert widths * 9525 <= FROZEN_WIDTH, sheet


def test_the_template_s_own_frozen_header_stays(sample_files, tmp_path):
    a = assess(sample_files[SAMPLE])
    pane = openpyxl.load_workbook(write_scored_copy(a, tmp_path))[S.INDICATORS].sheet_view.pane
    assert (pane.xSplit, pane.ySplit, pane.topLeftCell, pane.state) == (3, 2, "D3", "frozen")


def test_no_note_box_or_form_control_is_shown_over_the_verdict(hostile_views_copy):
    """A shape of the sheet's VML drawing (another cell's note shown at all times, a label) laid over
    核定得分 was kept as it was: it covered the verdict on the screen. The note's box is hidden (the note
    stays); the label is removed (remove_legacy_over) or hidden, never shown."""
    _a, path = hostile_views_copy
    with zipfile.ZipFile(path) as z:
        vmls = [etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith(".vml")]
    shapes = {}
    for data in (d for vml in vmls for d in vml.iter(f"{{{_VML_X}}}ClientData")):
        shape = data.getparent()
        shown = data.find(f"{{{_VML_X}}}Visible") is not None or "visibility:hidden" not in (shape.get("style") or "")
        shapes[(data.get("ObjectType"), data.findtext(f"{{{_VML_X}}}Anchor"))] = shown
    assert shapes[("Note", "9, 0, 15, 0, 11, 0, 30, 0")] is False
    assert shapes.get(("Label", "9, 0, 19, 0, 10, 0, 21, 0"), False) is False
    assert openpyxl.load_workbook(path)[S.INDICATORS]["I16"].comment is not None
