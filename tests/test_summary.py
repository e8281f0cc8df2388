"""The summary's tuned worksheet writes exactly what stock XlsxWriter writes."""

from __future__ import annotations

import re
import zipfile

import pytest
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from selfeval_xl.outputs.results import UnitResult
from selfeval_xl.outputs.workbook import FastSheet, hyperlink


class _Stock(Worksheet):
    pass


def _book(path, cls, constant_memory=False):
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "constant_memory": constant_memory})
    fmt = wb.add_format({"font_name": "宋体", "border": 1})
    link = wb.add_format({"font_color": "#0563C1", "underline": 1})
    ws = wb.add_worksheet("问题清单", worksheet_class=cls)
    ws.set_column(0, 5, 12)
    texts = ["郑州市金水区杜岭街道办事处", 'a "quoted" & <tag>', "=HYPERLINK(\"x\")", "  spaces  ", "行\n换行"]
    numbers = [0, 1, -2.5, 91.54, 1e20, 0.1 + 0.2, 3.0]
    targets = ["审核副本/01_杜岭_审核.xlsx#'绩效指标'!F12", "a&b<c>.xlsx#'得分汇总'!C7"]
    for i in range(len(numbers)):  # row by row: constant_memory mode drops a cell above the current row
        if i < len(texts):
            ws.write_string(i, 0, texts[i], fmt)
            ws.write_string(i, 5, texts[i])  # no format, column formatted
        ws.write_number(i, 1, numbers[i], fmt)
        ws.write_number(i, 6, numbers[i])  # no format, no column format
        if i < len(targets):
            ws.write_formula(i, 2, hyperlink(targets[i], "F12"), link, "F12")
            ws.write_formula(i, 3, "=1/0", fmt, "#DIV/0!")  # an error result: XlsxWriter's own path
        if i == 0:
            ws.write_blank(0, 4, None, fmt)
        if i == 1:
            ws.write_boolean(1, 4, True, fmt)
    ws.set_row(9, None, fmt)
    ws.write_string(9, 7, "row formatted")
    wb.close()
    return zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")


@pytest.mark.parametrize("constant_memory", [False, True])
def test_tuned_sheet_xml_is_identical_to_xlsxwriters(tmp_path, constant_memory):
    fast = _book(tmp_path / "fast.xlsx", FastSheet, constant_memory)
    assert fast == _book(tmp_path / "stock.xlsx", _Stock, constant_memory)
    assert (b'<is><t xml:space="preserve">  spaces  </t></is>' in fast) == constant_memory
    assert fast.count(b"<c ") == 2 * 5 + 2 * 7 + 2 * 2 + 2 + 1  # every cell written, in both modes


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from selfeval_xl.outputs import summary as summary_mod  # noqa: E402

MARKS = {b"\x01T": b"12", b"\x01L": b"3", b"\x01W": b"456"}


@given(st.lists(st.sampled_from([b"<c>", b"x", b"\x01T", b"\x01L", b"\x01W", "说".encode(), b"\x01"]), max_size=200),
       st.integers(1, 9))
@settings(max_examples=300, deadline=None)
@pytest.mark.slow
def test_placeholders_are_replaced_wherever_blocks_split_them(pieces, block):
    data = b"".join(pieces)
    blocks = [data[i: i + block] for i in range(0, len(data), block)]
    want = data
    for mark, index in MARKS.items():
        want = want.replace(mark, index)
    assert b"".join(summary_mod.replace_marks(blocks, MARKS)) == want


@pytest.mark.slow
def test_a_summary_of_more_than_4_mib_of_rows_with_a_placeholder_across_a_block_boundary(tmp_path, monkeypatch):
    """The real summary: 问题清单 rows over 4 MiB, read in blocks one byte past a placeholder's
    first byte, so that it is split; the sheet is well-formed XML and holds no placeholder."""
    from lxml import etree

    from selfeval_xl.ooxml import Limits, Package, Workbook
    from selfeval_xl.rules.model import load_rules

    finding = {"code": "P502", "level": "warning", "level_label": "警告", "sheet": "绩效指标", "cell": "H12", "message": "说明" * 40,
               "expected": "1", "actual": "0"}
    result = {"file": "x.xlsx", "copy": "", "unit_code": "001", "unit_name": "单位", "competent_dept": "局",
              "year": 2023, "self_total": 90.0, "total": 89.0, "self_grade": "优", "grade": "良",
              "status": "errors", "counts": {"错误": 0, "警告": 400, "提示": 0}, "categories": {}, "budget": {},
              "rates": {}, "rows": [], "findings": [finding] * 400}
    sw = summary_mod.SummaryWriter(tmp_path / "审核汇总.xlsx", load_rules())
    for i in range(30):
        sw.add(UnitResult.from_json_dict({**result, "file": f"{i}.xlsx"}))
    sw._rows.flush()
    rows = sw._rows_path.read_bytes()
    assert len(rows) > 4 << 20
    first_mark = rows.index(b"\x01", 1 << 20)
    monkeypatch.setattr(summary_mod, "SPLICE_BLOCK", first_mark + 1)  # the block ends inside that placeholder
    sw.finish()
    wb = Workbook(Package((tmp_path / "审核汇总.xlsx").read_bytes(), Limits()))
    part = wb.sheet_parts()["问题清单"]
    xml = wb.package.zip.read(part)
    assert b"\x01" not in xml
    root = etree.fromstring(xml)  # well-formed
    assert len(root.findall(".//{*}row")) == 1 + 30 * 400


def _result(file, code, dept, total, budget, status="ok", findings=()):
    return {"file": file, "copy": f"审核副本/{file}", "unit_code": code, "unit_name": f"单位{code}", "competent_dept": dept,
            "year": 2023, "self_total": 95.0, "total": total, "self_grade": "优", "grade": "优" if total >= 90 else "良",
            "status": status, "counts": {"错误": 0, "警告": 0, "提示": 0}, "categories": {}, "rows": [],
            "budget": dict(zip(("年初预算数", "调整预算数", "预算执行数", "政策性调整剔除数"), budget, strict=True)),
            "rates": {"预算执行率": budget[2] / budget[1]}, "findings": list(findings)}


def test_every_sheet_is_written_as_the_results_arrive(tmp_path):
    """Rows written one result at a time (XlsxWriter's constant_memory mode drops a cell written
    above the current row): every unit, every total and every failure is in the workbook."""
    import openpyxl

    from selfeval_xl.rules.model import load_rules

    failed = {"code": "F002", "level": "error", "level_label": "错误", "sheet": "", "cell": "", "message": "不是 xlsx",
              "expected": "", "actual": ""}
    results = [_result("a.xlsx", "001", "教育局", 91.5, (100.0, 120.0, 108.0, 0.0)),
               {**_result("bad.xlsx", "", "", 0, (0, 1, 0, 0)), "status": "failed", "copy": "",
                "findings": [failed]},
               {**_result("b.xlsx", "002", "卫健委", 80.25, (50.0, 50.0, 40.0, 0.0)), "provisional": ["产出指标"]},
               _result("c.xlsx", "003", "教育局", 70.0, (10.0, 30.0, 15.0, 10.0))]
    summary_mod.write_summary(map(UnitResult.from_json_dict, results), tmp_path / "审核汇总.xlsx", load_rules())
    wb = openpyxl.load_workbook(tmp_path / "审核汇总.xlsx")
    assert wb.sheetnames == list(summary_mod.SHEETS)
    units = [[c.value for c in row] for row in wb["单位得分"].iter_rows(min_row=2)]
    assert [(u[0], u[5], u[9]) for u in units] == [("001", 91.5, None), ("002", 80.25, "暂定（P501）"), ("003", 70, None)]
    budget = [[c.value for c in row][:6] for row in wb["预算汇总"].iter_rows(min_row=3)]
    assert budget == [["001", "单位001", "教育局", 100, 120, 108], ["002", "单位002", "卫健委", 50, 50, 40],
                      ["003", "单位003", "教育局", 10, 30, 15]]
    groups = {row[0].value: [c.value for c in row[1:]] for row in wb["主管部门合计"].iter_rows(min_row=3)}
    assert groups == {"卫健委": [1, 50, 50, 40, 0.8, 0], "教育局": [2, 110, 150, 123, 0.82, 30 / 110],
                      "合计": [3, 160, 200, 163, 0.815, 30 / 160]}
    overview = {r[0].value: r[1].value for r in wb["总览"].iter_rows() if r[0].value}
    assert overview["提交文件"] == 4 and overview["成功审核"] == 3 and overview["处理失败"] == 1
    assert overview["平均核定总分"] == round((91.5 + 80.25 + 70) / 3, 2) and overview["预算执行数"] == 163
    assert [c.value for c in wb["处理失败"][2]][:2] == ["bad.xlsx", "F002"]
    assert wb["指标明细"].max_row == 5  # two header rows


def test_with_a_shared_strings_table_the_rows_are_those_xlsxwriter_writes_in_its_default_mode(tmp_path, monkeypatch):
    """Constant-memory mode with our streamed table writes each sheet as stock XlsxWriter writes it
    with its in-memory table (text as shared strings, never inline), and the same table."""
    from selfeval_xl.outputs.workbook import SharedStrings

    made = []

    def with_table(path, options):
        wb = real(path, options)
        if options.get("constant_memory"):
            wb.str_table = SharedStrings(tmp_path / "strings.xml")
            made.append(wb.str_table)
        return wb

    real = xlsxwriter.Workbook
    monkeypatch.setattr(xlsxwriter, "Workbook", with_table)
    fast = _book(tmp_path / "fast.xlsx", FastSheet, constant_memory=True)
    stock = _book(tmp_path / "stock.xlsx", _Stock, constant_memory=False)
    assert fast == re.sub(rb' spans="[0-9:]+"', b"", stock)  # a row's span: a hint the default mode adds
    assert b"inlineStr" not in fast
    table = made[0]
    table.close()
    ours = b"".join(table.chunks())
    theirs = zipfile.ZipFile(tmp_path / "stock.xlsx").read("xl/sharedStrings.xml")
    assert ours.split(b"<sst", 1)[1].replace(b"\n", b"") == theirs.split(b"<sst", 1)[1].replace(b"\n", b"")


def test_the_streamed_table_keeps_recent_texts_once(tmp_path, monkeypatch):
    from selfeval_xl.outputs.workbook import SharedStrings

    monkeypatch.setattr(SharedStrings, "GENERATION", 4)
    table = SharedStrings(tmp_path / "s.xml")
    texts = ["错误", "a", "b", "错误", *map(str, range(10)), "错误"]
    indices = [table.index(t) for t in texts]
    assert indices[3] == indices[0]  # met again soon: the same entry
    assert indices[-1] != indices[0]  # met again after more than two generations of others: written again
    assert (table.count, table.unique_count) == (len(texts), len(set(indices)))
    table.close()
    xml = b"".join(table.chunks()).decode()
    assert xml.count("<si>") == table.unique_count and f'count="{len(texts)}"' in xml


def test_texts_xml_cannot_hold_as_they_are_come_back_as_written(tmp_path):
    """A carriage return (XML would read it as a line feed) and a department's own "_x0041_"
    (a reader would decode it as "A") are escaped as ECMA-376 says, and read back as written."""
    import python_calamine

    from selfeval_xl.rules.model import load_rules

    name = "教育局\r\n_x0041_ 与 x_x"
    summary_mod.write_summary([UnitResult.from_json_dict(_result("a.xlsx", "001", name, 91.5, (100.0, 120.0, 108.0, 0.0)))],
                              tmp_path / "审核汇总.xlsx", load_rules())
    xml = zipfile.ZipFile(tmp_path / "审核汇总.xlsx").read("xl/sharedStrings.xml").decode()
    assert "_x000D_" in xml and "_x005F_x0041_" in xml
    book = python_calamine.CalamineWorkbook.from_path(str(tmp_path / "审核汇总.xlsx"))
    assert book.get_sheet_by_name("单位得分").to_python()[1][2] == name


@pytest.mark.parametrize("decimals", [2, 1])
def test_every_score_of_the_summary_shows_the_figure_it_holds(tmp_path, decimals):
    """单位得分's 自评总分, 核定总分 and 差异 and every score of 指标明细 are formatted at the rule
    set's decimals, more only where the figure needs them: a 核定得分 of 0.125 (a 分值 finer than
    two decimals, its full marks) shows 0.125, not 0.13; under one decimal 91.5 shows 91.5."""
    import dataclasses

    import openpyxl

    from selfeval_xl.core.numbers import fmt_points
    from selfeval_xl.rules.model import load_rules

    from .test_scored_copy import shown_as

    rules = dataclasses.replace(load_rules(), decimals=decimals)
    first, second = rules.indicators[0].name, rules.indicators[1].name
    r = {**_result("a.xlsx", "001", "教育局", 91.5, (100.0, 120.0, 108.0, 0.0)), "self_total": 95.125,
         "categories": {c.name: c.weight - 0.5 for c in rules.categories},
         "rows": [{"三级指标": first, "核定得分": 0.125}, {"三级指标": second, "核定得分": 4.0}]}
    summary_mod.write_summary([UnitResult.from_json_dict(r)], tmp_path / "审核汇总.xlsx", rules)
    wb = openpyxl.load_workbook(tmp_path / "审核汇总.xlsx")
    cells = [wb["单位得分"].cell(2, c) for c in (5, 6, 7)]
    cells += [c for c in wb["指标明细"][3][3:] if isinstance(c.value, (int, float))]
    assert [c.value for c in cells[:5]] == [95.125, 91.5, -3.625, 0.125, 4]
    for c in cells:
        assert shown_as(c.value, c.number_format) == fmt_points(c.value, decimals), (c.coordinate, c.value)


#: a name that reads "报表xlsx.exe" where U+202E reverses what follows, with a line break and a
#: zero-width space in it
BIDI = "自评\u202eexe.xlsx\n第二行\u200b.xlsx"


def _formula_texts(formula: str) -> list[str]:
    return [t.replace('""', '"') for t in re.findall(r'"((?:[^"]|"")*)"', formula)]


def test_file_names_show_as_one_line_with_their_invisible_characters_as_escapes(tmp_path):
    """A file name with a direction override (U+202E displays what follows reversed, so a name can
    pass for another), a line break or an invisible character is shown on every sheet as the
    console, the log and findings.csv show it (``safe.display_name``): one line, each such character
    as its escape. The links still open the scored copies; a name too long for a formula's text is
    cut (Excel repairs away a formula with a text of more than 255 characters), a link target too
    long for one is written as text."""
    import openpyxl

    from selfeval_xl.core.sanitize import display_name
    from selfeval_xl.rules.model import load_rules

    finding = {"code": "V201", "level": "error", "level_label": "错误", "sheet": "基本信息", "cell": "B4",
               "message": "未填", "expected": "", "actual": ""}
    long_dir = "很长的文件夹名" * 40 + "/"
    results = [{**_result(BIDI, "001", "教育局", 91.5, (100.0, 120.0, 108.0, 0.0), findings=[finding]),
                "copy": "审核副本/自评_exe.xlsx_第二行_审核.xlsx", "report_error": "模板出错"},
               {**_result("坏\u202efdp.xlsx", "", "", 0, (0, 1, 0, 0)), "status": "failed", "copy": "",
                "findings": [{**finding, "code": "F002", "sheet": "", "cell": ""}]},
               {**_result(long_dir + "某单位.xlsx", "002", "卫健委", 80.0, (50.0, 50.0, 40.0, 0.0), findings=[finding]),
                "copy": "审核副本/" + "长" * 250 + "_审核.xlsx"},
               {**_result(long_dir + "另一单位.xlsx", "003", "卫健委", 80.0, (50.0, 50.0, 40.0, 0.0)),
                "copy": "审核副本/另一单位_审核.xlsx"}]
    sw = summary_mod.SummaryWriter(tmp_path / "审核汇总.xlsx", load_rules())
    for r in results:
        sw.add(UnitResult.from_json_dict(r))
    sw.add_unaudited("链接\u202e.xlsx", "符号链接", "不跟随", True)
    sw.finish()
    wb = openpyxl.load_workbook(tmp_path / "审核汇总.xlsx")
    texts = [c.value for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [t for t in texts if re.search("[\u202e\u200b]", t) or ("第二行" in t and "\n" in t)]
    shown = display_name(BIDI)
    assert shown == "自评\\u202eexe.xlsx\\n第二行\\u200b.xlsx"
    findings = [[c.value for c in row] for row in wb["问题清单"].iter_rows(min_row=2)]
    assert findings[0][0] == shown and findings[0][6] == '=HYPERLINK("审核副本/自评_exe.xlsx_第二行_审核.xlsx#\'基本信息\'!B4","B4")'
    assert wb["单位得分"]["M2"].value == f'=HYPERLINK("审核副本/自评_exe.xlsx_第二行_审核.xlsx","{shown}")'
    failed = [row[0].value for row in wb["处理失败"].iter_rows(min_row=2)]
    assert failed == [shown, "坏\\u202efdp.xlsx"]  # a draft that is missing, a file that failed
    assert wb["未审核文件"]["A2"].value == "链接\\u202e.xlsx"
    # the long ones: the name cut in the link, the target too long for a formula written as text
    assert findings[2][6] == "B4" and wb["单位得分"]["M3"].value == long_dir + "某单位.xlsx"
    link = wb["单位得分"]["M4"].value
    assert link.startswith("=HYPERLINK(") and _formula_texts(link)[1].endswith("…")
    formulas = [c.value for ws in wb for row in ws.iter_rows() for c in row
                if isinstance(c.value, str) and c.value.startswith("=")]
    assert len(formulas) == 3 and all(len(t) <= 255 for f in formulas for t in re.findall(r'"((?:[^"]|"")*)"', f))
