"""The scored copy: the verdict written in, nothing the department wrote lost, the original untouched."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.comments import Comment
from openpyxl.worksheet.formula import ArrayFormula

from selfeval_xl.check.assess import assess
from selfeval_xl.cli.commands import main
from selfeval_xl.core import names as S
from selfeval_xl.outputs.scored_copy import MARK_FILLS, scored_copy_name, write_scored_copy

from .conftest import make_samples, rezip

SEED = "01_杜岭街道办事处_2021.xlsx"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def scored(sample_files, tmp_path_factory):
    out = tmp_path_factory.mktemp("scored")
    return {name: (path, write_scored_copy(assess(path), out)) for name, path in sample_files.items()}


def test_the_submitted_file_is_never_changed(sample_files, tmp_path):
    before = {n: sha(p) for n, p in sample_files.items()}
    r = CliRunner().invoke(main, ["score", *map(str, sample_files.values()), "-o", str(tmp_path)])
    assert r.exit_code == 1  # the samples have errors on purpose
    assert {n: sha(p) for n, p in sample_files.items()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(scored_copy_name(p) for p in sample_files.values())


def _cells(ws):
    return {c.coordinate: c for row in ws.iter_rows() for c in row if c.value is not None}


def _content(cell):
    """What a cell holds, comparable (openpyxl's array formulas do not compare by value)."""
    v = cell.value
    return (("array", v.ref, v.text) if isinstance(v, ArrayFormula) else v), cell.data_type


@pytest.mark.parametrize("name", list(make_samples.SAMPLES))
@pytest.mark.slow
def test_everything_the_department_wrote_is_kept(scored, name):
    src, dst = scored[name]
    a = assess(src)
    written = {(s, c) for s, c in _planned(a)}
    before = openpyxl.load_workbook(src)
    after = openpyxl.load_workbook(dst)
    assert after.sheetnames == [S.RESULTS, *before.sheetnames]  # the verdict is the first tab
    for ws in before:
        ws2 = after[ws.title]
        for coord, cell in _cells(ws).items():
            if (ws.title, coord) in written:
                continue
            c2 = ws2[coord]
            assert _content(c2) == _content(cell), (ws.title, coord)
            assert c2.number_format == cell.number_format and c2.protection.locked == cell.protection.locked
        dv1 = sorted((str(d.sqref), d.type, d.formula1, d.formula2, d.errorStyle) for d in ws.data_validations.dataValidation)
        dv2 = sorted((str(d.sqref), d.type, d.formula1, d.formula2, d.errorStyle) for d in ws2.data_validations.dataValidation)
        assert dv1 == dv2, ws.title
        assert ws2.protection.sheet == ws.protection.sheet
        assert [str(r) for r in ws2.merged_cells.ranges] == [str(r) for r in ws.merged_cells.ranges]
        assert ws2.print_title_rows == ws.print_title_rows


def _planned(a):
    from selfeval_xl.outputs.scored_copy import plan

    return plan(a).values


@pytest.mark.slow
def test_json_and_scored_copy_agree_on_every_score(sample_files, tmp_path):
    runner = CliRunner()
    r = runner.invoke(main, ["check", "--format", "json", *map(str, sample_files.values())])
    results = {Path(x["file"]).name: x for x in json.loads(r.output)}
    runner.invoke(main, ["score", *map(str, sample_files.values()), "-o", str(tmp_path)])
    for name, path in sample_files.items():
        res = results[name]
        wb = openpyxl.load_workbook(tmp_path / scored_copy_name(path))
        ws = wb[S.INDICATORS]
        sub = assess(path).submission
        verified_col = sub.layout.ind_cols[S.VERIFIED]
        for row in res["rows"]:
            got = ws.cell(row["行号"], verified_col).value
            assert got == row["核定得分"], (name, row["三级指标"])
        summary = wb[S.SUMMARY]
        by_label = {summary.cell(r, 1).value: r for r in range(1, summary.max_row + 1)}
        for cat, score in res["categories"].items():
            assert summary.cell(by_label[cat], 5).value == score
        assert summary.cell(by_label["合计"], 5).value == res["total"]
        assert summary.cell(by_label["核定等级"], 2).value == res["grade"]


def test_every_finding_cell_is_marked_and_commented(scored):
    src, dst = scored[SEED]
    a = assess(src)
    wb = openpyxl.load_workbook(dst)
    for f in a.findings:
        if not f.cell:
            continue
        c = wb[f.sheet][f.cell]
        assert c.comment is not None and f.code in c.comment.text, (f.code, f.where)
        assert c.fill.fgColor.rgb in MARK_FILLS.values()
    worst = {}
    for f in a.findings:
        if f.cell:
            worst.setdefault((f.sheet, f.cell), f.level)
    for (sheet, cell), level in worst.items():
        assert wb[sheet][cell].fill.fgColor.rgb == MARK_FILLS[level]


def test_results_sheet_lists_every_finding(scored):
    src, dst = scored[SEED]
    a = assess(src)
    ws = openpyxl.load_workbook(dst)[S.RESULTS]
    assert [ws.cell(3, c).value for c in range(1, 8)] == list(S.RESULT_HEADERS)
    rows = [[ws.cell(r, c).value or "" for c in range(1, 8)] for r in range(4, 4 + len(a.findings))]
    assert rows == [[f.level, f.code, f.sheet, f.cell, f.message, f.expected, f.actual] for f in a.findings]
    linked = [ws.cell(r, 4).hyperlink for r in range(4, 4 + len(a.findings)) if ws.cell(r, 4).value]
    assert linked and all(h is not None and h.location for h in linked)
    assert "91.54" in ws["A1"].value


def test_scored_cells_have_the_values_of_the_assessment(scored):
    src, dst = scored[SEED]
    a = assess(src)
    ws = openpyxl.load_workbook(dst)[S.INDICATORS]
    for r in a.scores.rows:
        assert ws.cell(r.row, 10).value == r.verified
        assert ws.cell(r.row, 11).value == r.opinion


X14 = (b'<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
       b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
       b'<x14:dataValidations xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main" count="1">'
       b'<x14:dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1">'
       b"<x14:formula1><xm:f>'\xe5\x9f\xba\xe6\x9c\xac\xe4\xbf\xa1\xe6\x81\xaf'!$B$3:$B$5</xm:f></x14:formula1>"
       b"<xm:sqref>H50</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>")


def _c14n(xml: bytes) -> bytes:
    from lxml import etree

    return etree.tostring(etree.fromstring(xml), method="c14n", exclusive=True)


def test_x14_validations_and_unknown_parts_survive(sample_files, tmp_path):
    """A cross-sheet drop-down as Excel saves it (an x14 extension, which openpyxl drops) is kept as
    the same XML; a part we know nothing of, related to the workbook, byte for byte; a part no
    relationship reaches is not in the copy."""
    from lxml import etree

    src = tmp_path / "x14.xlsx"

    def change(parts):
        sheet = "xl/worksheets/sheet6.xml"
        parts[sheet] = parts[sheet].replace(b"</worksheet>", X14 + b"</worksheet>")
        parts["customXml/item1.xml"] = b'<?xml version="1.0"?><root>unknown</root>'
        parts["customXml/orphan.xml"] = b'<?xml version="1.0"?><root>nobody links here</root>'
        parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>", b'<Relationship Id="rId77" Target="../customXml/item1.xml" Type='
            b'"http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml"/></Relationships>')
    rezip(sample_files[SEED], src, change)
    dst = write_scored_copy(assess(src), tmp_path / "out")
    z = zipfile.ZipFile(dst)
    copied = etree.fromstring(z.read("xl/worksheets/sheet6.xml"))
    ext = copied[-1]
    assert etree.QName(ext).localname == "extLst"  # the element order of the sheet stays valid: extLst last
    assert etree.tostring(ext, method="c14n", exclusive=True) == _c14n(X14.replace(b"<extLst>", b'<extLst xmlns="http://schemas.'
                                                                      b'openxmlformats.org/spreadsheetml/2006/main">'))
    assert z.read("customXml/item1.xml") == b'<?xml version="1.0"?><root>unknown</root>'
    assert "customXml/orphan.xml" not in z.namelist()


def test_department_comments_are_kept(sample_files, tmp_path):
    src = tmp_path / "with_comments.xlsx"
    wb = openpyxl.load_workbook(sample_files[SEED])
    wb[S.BASIC]["B4"].comment = Comment("编码待财政局分配", "张三")  # a cell that also gets a finding
    wb[S.BASIC]["B3"].comment = Comment("全称以公章为准", "张三")
    wb.save(src)
    dst = write_scored_copy(assess(src), tmp_path / "out")
    ws = openpyxl.load_workbook(dst)[S.BASIC]
    assert ws["B3"].comment.text == "全称以公章为准"
    assert ws["B4"].comment.text.startswith("编码待财政局分配") and "V201" in ws["B4"].comment.text


def test_an_xlsm_copy_keeps_no_macros(sample_files, tmp_path):
    src = tmp_path / "macro.xlsm"

    def change(parts):
        parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0not really vba"
        parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>",
            b'<Relationship Id="rId99" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
            b'Target="vbaProject.bin"/></Relationships>')
        ct = parts["[Content_Types].xml"]
        ct = ct.replace(b"spreadsheetml.sheet.main+xml", b"MISSING")
        ct = ct.replace(b"MISSING", b"spreadsheetml.sheet.main+xml")
        ct = ct.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
        parts["[Content_Types].xml"] = ct.replace(b"</Types>", b'<Default Extension="bin" '
                                                  b'ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    rezip(sample_files[SEED], src, change)
    a = assess(src)
    assert a.submission.macro_enabled and a.scores.total == 91.54
    dst = write_scored_copy(a, tmp_path / "out")
    assert dst.name == "macro_审核.xlsx"
    z = zipfile.ZipFile(dst)
    assert "xl/vbaProject.bin" not in z.namelist()
    assert b"vbaProject" not in z.read("xl/_rels/workbook.xml.rels")
    assert b"macroEnabled" not in z.read("[Content_Types].xml")
    assert openpyxl.load_workbook(dst)[S.RESULTS]["A1"].value


def test_formula_looking_text_is_written_as_text(sample_files, tmp_path, write_filled):
    """Whatever a department typed is written as a string, never a formula or a link."""
    f = make_samples.bureau()
    evil = '=HYPERLINK("http://x","点我")'
    f.own["产出指标"][0].actual = evil
    src = write_filled(f, "evil.xlsx")
    dst = write_scored_copy(assess(src), tmp_path / "out")
    wb = openpyxl.load_workbook(dst)
    texts = [c for row in wb[S.RESULTS].iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert texts and all(c.data_type == "s" for c in texts)
    assert all(evil in c.value for c in texts)

    from selfeval_xl.ooxml import Limits, Package, Workbook

    copy = Workbook(Package(dst.read_bytes(), Limits()))
    root = copy.package.xml(copy.sheet_parts()[S.RESULTS])
    assert not list(root.iter("{*}f"))  # no formula anywhere in the result sheet
    assert any(evil in "".join(t.itertext()) for t in root.iter("{*}t"))


def test_scoring_a_scored_copy_replaces_the_old_verdict(scored, tmp_path):
    _, first = scored[SEED]
    second = write_scored_copy(assess(first), tmp_path)
    wb = openpyxl.load_workbook(second)
    assert wb.sheetnames.count(S.RESULTS) == 1
    row = assess(first).submission.layout.ind_rows["预算调整率"]
    assert wb[S.INDICATORS][f"J{row}"].value == 0


def test_copy_bytes_are_a_valid_zip(scored):
    _, dst = scored[SEED]
    z = zipfile.ZipFile(dst)
    assert z.testzip() is None
    ct = z.read("[Content_Types].xml").decode()
    for name in z.namelist():
        if name.startswith("xl/comments"):
            assert f'PartName="/{name}"' in ct
    assert re.search(r'Extension="vml"', ct)


# ---------------------------------------------------------------------------------------------
# Every score shows the figure it holds (scoring's loose end: a row of 分值 0.125 at two decimals
# keeps 0.125; written into a cell formatted "0.00" it showed 0.13 while the sums used 0.125)


def shown_as(value: float, code: str) -> str:
    """``value`` as a spreadsheet shows it under the number format ``code`` ("0", "0.00", …)."""
    from selfeval_xl.core.numbers import round_half_up

    assert re.fullmatch(r"0(\.0+)?", code), code
    decimals = len(code) - 2 if "." in code else 0
    return f"{round_half_up(value, decimals):.{decimals}f}"


def small_rows_filling(weights=(0.125,) * 8 + (39.0,)):
    from selfeval_xl.form.filling import OwnIndicator

    f = make_samples.bureau()
    f.own["产出指标"] = [OwnIndicator("数量指标", f"指标{i}", w, "≥90%", "95%", w) for i, w in enumerate(weights)]
    return f


@pytest.mark.parametrize("decimals", [2, 1])
@pytest.mark.slow
def test_every_score_the_copy_writes_shows_the_figure_it_holds(tmp_path, decimals):
    """Each number the copy writes (核定得分 of every row, the 合计 row, 得分汇总's 核定 scores) is
    formatted at the rule set's decimals, with more only where the figure needs them: under two
    decimals a row of 0.125 shows 0.125 (it showed 0.13); under one decimal 4.4 shows 4.4, not
    4.40."""
    import dataclasses

    from selfeval_xl.core.numbers import fmt_points
    from selfeval_xl.form.template import write_template
    from selfeval_xl.outputs.scored_copy import RATE_FORMAT, plan
    from selfeval_xl.rules.model import load_rules

    rules = dataclasses.replace(load_rules(), decimals=decimals)
    path = tmp_path / "small.xlsx"
    write_template(path, rules, filling=small_rows_filling())
    a = assess(path, rules)
    copy = openpyxl.load_workbook(write_scored_copy(a, tmp_path))
    written = [(k, v) for k, v in plan(a).values.items() if isinstance(v, (int, float))]
    assert len(written) > 20 and any(round(v, decimals) != round(v) for _k, v in written)
    for (sheet, ref), value in written:
        cell = copy[sheet][ref]
        assert cell.value == pytest.approx(value)
        if cell.number_format == RATE_FORMAT:
            continue
        assert shown_as(value, cell.number_format) == fmt_points(value, rules.decimals), (sheet, ref, value)
        assert float(shown_as(value, cell.number_format)) == pytest.approx(value)  # the figure it holds
    small = [r for r in a.scores.rows if r.name.startswith("指标") and r.weight == 0.125]
    assert len(small) == 8
    if decimals == 2:  # its full 分值, which two decimals cannot write (one decimal holds it at 0.1)
        assert all(r.verified == 0.125 and copy[S.INDICATORS][r.cell].number_format == "0.000" for r in small)
