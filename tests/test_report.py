"""The 自评报告 draft (issues 11, 17, 18): every figure from the checked workbook, read back from the
.docx (python-docx) and compared with `check --format json` of the same file; the default outline
(the seed's eight sections) and a bureau's own (example-bureau); placeholders highlighted; GB/T 9704
formatting named. The report as a reader sees it (python-docx and LibreOffice's text export) holds
every text of the department the outline uses, every actual value as typed; its tables add up; a
provisional total is called so; every report passes an independent OOXML validator; a bureau's
template runs in a sandbox with bounds."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from docx.oxml.ns import qn

from selfeval_xl.check.assess import assess
from selfeval_xl.check.read import ROW
from selfeval_xl.cli.commands import main
from selfeval_xl.core import names as S
from selfeval_xl.form.filling import CommonAnswer, OwnIndicator
from selfeval_xl.form.template import write_template
from selfeval_xl.outputs.word_report import SPECIMEN, report_context, report_templates, write_report
from selfeval_xl.rules.model import load_rules

from .conftest import ROOT, make_samples
from .libreoffice import convert

SEED = "01_杜岭街道办事处_2021.xlsx"
PROVISIONAL = "05_花园路街道办事处_2022.xlsx"  # 产出指标's rows add up to 38 of 40 (P501)
OUTLINES = ["default", "example-bureau"]
SECTIONS = ["一、基本情况", "二、绩效自评工作开展情况", "三、综合评价结论", "四、绩效目标实现情况分析",
            "五、发现的主要问题和改进措施", "六、绩效自评结果拟应用和公开情况", "七、绩效自评工作的经验、问题和建议",
            "八、其他需要说明的问题"]
BUREAU_SECTIONS = ["一、部门概况", "二、部门整体支出及资金管理情况", "三、绩效目标设定及完成情况", "四、存在的问题及改进建议",
                   "五、其他需要说明的情况", "六、自评结论"]
EXAMPLES = {"four-part": "01_某区教育局_2024.xlsx", "mof-project": "01_某县农村公路建设项目_2024.xlsx"}


def _json(path, rules="default"):
    r = CliRunner().invoke(main, ["check", "--format", "json", "--rules", rules, str(path)])
    return json.loads(r.output)[0]


def _read(path):
    doc = Document(str(path))
    paragraphs = [p.text for p in doc.paragraphs]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return doc, paragraphs, tables


def _fmt2(x):
    return f"{x:.2f}"


def _table(tables, header):
    return next(t for t in tables if t[0] == header)


SCORE_HEADER = ["指标", "权重分值", "得分", "得分率"]
RESULT_HEADER = ["三级指标", "指标值", "实际完成值", "分值", "得分"]


def _check_figures(paragraphs, tables, result, rule_set="default"):
    text = "\n".join(paragraphs)
    assert f"得分为 {_fmt2(result['total'])} 分" in text and f"评价等级为“{result['grade']}”" in text
    scores = _table(tables, SCORE_HEADER)
    rules = load_rules(rule_set)
    weights = {c.name: c.weight for c in rules.categories}
    body = {r[0]: r[1:] for r in scores[1:]}
    for name, score in result["categories"].items():
        w = weights[name]
        assert body[name][0] == f"{w:g}" and body[name][1] == _fmt2(score)
        assert body[name][2] == f"{round(score / w * 100, 2):g}%"
    assert body["合计"][1] == _fmt2(round(sum(result["categories"].values()), 2))
    results = _table(tables, RESULT_HEADER)
    by_name = {r[0]: r for r in results[1:]}
    for row in result["rows"]:
        if not row.get("三级指标"):
            continue
        got = by_name[row["三级指标"]]
        assert got[1] == row["指标值"] and got[4] == (_fmt2(row["核定得分"]) if row["核定得分"] is not None else "不计分")
        assert got[2] == (row["实际完成值"] or "（未填）")
    for key, value in result["budget"].items():
        if key in ("年初预算数", "调整预算数", "预算执行数") and value is not None:
            assert f"{value:g} 万元" in text, key


# ---------------------------------------------------------------------------------------------
# A submission in the words real forms use (issue 18): a deadline and the Ministry's tier wording
# as 实际完成值, a 偏差原因 on a row at full marks, one with a line break and XML's own characters,
# a problem without a full stop, a row marked 不适用


def words_filling():
    f = make_samples.bureau()
    own = f.own["产出指标"]
    own[5] = OwnIndicator("时效指标", "市场主体登记平均办理时限", 4, "≤9月", "7月", 4)
    own[0] = OwnIndicator("数量指标", "食品安全监督抽检批次", 6, "≥3000批", "3216批", 6,
                          "超额完成：专项抽检增加 200 批。\n下年按实际需要安排。")
    f.own["效益指标"][2] = OwnIndicator("可持续影响", "市场主体活跃度", 4, "提升", "达成预期指标", 4)
    f.common["预算执行率"] = CommonAnswer(None, 9.71, "采购项目 <验收> & 付款滞后；已督促。")
    f.own["效益指标"][1] = OwnIndicator("社会效益", "重大食品安全事故发生数", 5, "=0起", "不适用", None, "本年度无此项任务。")
    f.problems = [("个别项目支出进度偏慢", "部分采购项目招标周期较长", "提前启动采购程序")]
    return f


@pytest.fixture(scope="session")
def words_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("words") / "06_真实用语_2023.xlsx"
    write_template(path, filling=words_filling())
    return path


#: what a department may type that a template engine could take for its own: docxtpl's escapes for
#: a literal brace ({_{ … }_}, {_% … %_}, which it turned into {{ }} {% %} in the department's text
#: too), Jinja's tags, a tab, a carriage return, characters no document can hold, a cell's longest text
MARKS = ("依据{_{年度计划}_}执行，{_%按季%_}考核", "模板写法 {{ unit }} 与 {% if x %}计划{% endif %}{# 注 #}",
         "第一项\t第二项", "第一行\r\n第二行\r第三行", "含\x01控制\x0b字符\ufffe", "长" * 32767)


def marks_filling():
    f = make_samples.bureau()
    own = f.own["产出指标"]
    for i, text in enumerate(MARKS):  # each row short of its target: its reason is in the report
        row = own[i]
        own[i] = OwnIndicator(row.level2, row.name, row.weight, row.target, "0", row.weight, text)
    f.problems = [("问题{_{一}_}", "原因 {% raw %}", "措施 }} 与 %_}")]
    return f


@pytest.fixture(scope="session")
def marks_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("marks") / "07_记号与长文_2023.xlsx"
    write_template(path, filling=marks_filling())
    return path


@pytest.fixture(scope="session")
def all_files(sample_files, words_file, marks_file) -> dict[str, tuple[Path, str]]:
    """name -> (workbook, rule set): the samples, the words and marks samples, the other rule sets' examples."""
    out = {name: (path, "default") for name, path in sample_files.items()}
    out[words_file.name] = (words_file, "default")
    out[marks_file.name] = (marks_file, "default")
    for rule_set, name in EXAMPLES.items():
        out[name] = (ROOT / "examples" / rule_set / name, rule_set)
    return out


@pytest.fixture(scope="session")
def reports(all_files, tmp_path_factory) -> dict[tuple[str, str], tuple[Path, object]]:
    """(file, outline) -> (the report, its assessment), for every file with both outlines."""
    out = {}
    folder = tmp_path_factory.mktemp("reports")
    for name, (path, rule_set) in all_files.items():
        rules = load_rules(rule_set)
        a = assess(path, rules)
        for outline in OUTLINES:
            out[name, outline] = (write_report(a, rules, folder / f"{Path(name).stem}-{outline}.docx", outline), a)
    return out


def _docx_text(path: Path) -> str:
    """Everything a reader sees in the body: paragraphs and table cells, in order."""
    doc = Document(str(path))
    parts = []
    for block in doc.element.body.iter(qn("w:p")):
        parts.append("".join(t.text or "" for t in block.iter(qn("w:t"))))
    return "\n".join(parts)


def _squeeze(text: str) -> str:
    """A text without its white space, nor the characters XML 1.0 forbids (no document holds them)."""
    return re.sub(r"[\s\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]+", "", text)


def _department_texts(a) -> list[str]:
    """What the department wrote that the outlines use: 履职目标, 主要任务, every 偏差原因 of an
    indicator row, 问题与改进, and every 实际完成值 typed as text, as typed (read from the records,
    not from the report's own data)."""
    sub = a.submission
    texts = [r.get("年度履职目标") for r in sub.goal_records]
    texts += [r.get(k) for r in sub.task_records for k in ("任务名称", "主要内容", "完成情况")]
    texts += [r.get(k) for r in sub.problem_records for k in ("主要问题", "原因分析", "改进措施")]
    scored = {r.row for r in a.scores.rows if r.category}
    for rec in sub.indicator_records:
        if rec[ROW] in scored:
            texts.append(rec.get(S.REASON))
            if isinstance(rec.get(S.ACTUAL), str):
                texts.append(rec.get(S.ACTUAL))
    return [t.strip() for t in texts if isinstance(t, str) and t.strip()]


# ---------------------------------------------------------------------------------------------


def test_the_seeds_report(sample_files, tmp_path):
    path = sample_files[SEED]
    out = tmp_path / "seed.docx"
    r = CliRunner().invoke(main, ["report", str(path), "-o", str(out)])
    assert r.exit_code == 0 and "91.54" in r.output, r.output
    doc, paragraphs, tables = _read(out)
    headings = [p.text for p in doc.paragraphs if p.style.name == "一级标题"]
    assert headings == SECTIONS
    result = _json(path)
    assert result["total"] == 91.54 and result["grade"] == "优"
    _check_figures(paragraphs, tables, result)
    text = "\n".join(paragraphs)
    # the seed's own mistakes are not repeated: the verified total, the 调整率, and 0/0 said as such
    assert "96 分" not in text and "预算调整率 95.23%" in text and "最终得分为 91.54 分" in text
    assert "“三公经费”实际支出数和“三公经费”预算数均为 0" in text
    assert text.startswith("2021 年度郑州市金水区杜岭街道办事处部门整体绩效自评报告")
    assert "报表尚有 9 项错误" in text  # the seed still has errors: said at the top
    goals = [p for p in paragraphs if p.startswith("（1）贯彻执行党的路线")]
    assert goals
    # a rate the form cannot compute is said so, not "（未填）"
    assert next(r for r in _table(tables, RESULT_HEADER) if r[0] == "专项资金细化率")[2] == "无法计算"
    assert "政府采购执行率无法计算" in text


def test_placeholders_are_highlighted_and_nothing_is_invented(sample_files, tmp_path):
    out = write_report(assess(sample_files[SEED]), load_rules(), tmp_path / "r.docx")
    doc = Document(str(out))
    placeholders = [r for p in doc.paragraphs for r in p.runs if "【请填写" in r.text]
    placeholders += [r for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs for r in p.runs
                     if "【请填写" in r.text]
    assert len(placeholders) >= 6
    for run in placeholders:
        rpr = run._r.rPr
        assert rpr is not None and rpr.find(qn("w:highlight")) is not None
    # no template tag is left in the document
    xml = doc.element.xml
    assert "{{" not in xml and "{%" not in xml
    # the notice is bold and highlighted, its properties in the schema's order (Word drops others)
    notice = next(p for p in doc.paragraphs if "报表尚有" in p.text).runs[0]
    assert notice.bold and [c.tag for c in notice._r.rPr] == [qn("w:b"), qn("w:highlight")]


@pytest.mark.slow
def test_a_bureaus_own_outline(sample_files, tmp_path):
    path = sample_files["02_市场监督管理局_2023.xlsx"]
    out = tmp_path / "b.docx"
    r = CliRunner().invoke(main, ["report", str(path), "-o", str(out), "--template", "example-bureau"])
    assert r.exit_code == 0, r.output
    doc, paragraphs, tables = _read(out)
    assert [p.text for p in doc.paragraphs if p.style.name == "一级标题"] == BUREAU_SECTIONS
    assert paragraphs[0] == "郑州市金水区市场监督管理局2023年度部门整体支出绩效自评报告"
    _check_figures(paragraphs, tables, _json(path))
    assert not any("报表尚有" in p for p in paragraphs)  # a clean submission gets no notice
    # and a template file of the bureau's own, given as a path
    copy_ = tmp_path / "我局模板.docx"
    copy_.write_bytes(report_templates()["example-bureau"].read_bytes())
    r = CliRunner().invoke(main, ["report", str(path), "-o", str(tmp_path / "c.docx"), "--template", str(copy_)])
    assert r.exit_code == 0
    assert CliRunner().invoke(main, ["report", str(path), "--template", "nosuch"]).exit_code == 2


@pytest.mark.parametrize("rule_set, example", EXAMPLES.items())
@pytest.mark.slow
def test_reports_of_other_rule_sets(rule_set, example, tmp_path):
    path = ROOT / "examples" / rule_set / example
    rules = load_rules(rule_set)
    out = write_report(assess(path, rules), rules, tmp_path / "r.docx")
    _doc, paragraphs, tables = _read(out)
    result = _json(path, rule_set)
    scores = _table(tables, SCORE_HEADER)
    names = [c.name for c in rules.categories] + ["合计"]
    assert [r[0] for r in scores[1:len(names) + 1]] == names
    assert f"最终得分为 {_fmt2(result['total'])} 分" in "\n".join(paragraphs)
    assert "“" + result["grade"] + "”" in "\n".join(paragraphs)


def test_gbt_9704_formatting_is_named(sample_files, tmp_path):
    out = write_report(assess(sample_files[SEED]), load_rules(), tmp_path / "r.docx")
    doc = Document(str(out))
    sec = doc.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    assert [round(x.mm) for x in (sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin)] == [37, 35, 28, 26]

    def east_asian(style):
        return style.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))

    assert east_asian(doc.styles["报告标题"]) == "方正小标宋简体" and doc.styles["报告标题"].font.size.pt == 22
    assert east_asian(doc.styles["Normal"]) == "仿宋_GB2312" and doc.styles["Normal"].font.size.pt == 16
    assert east_asian(doc.styles["一级标题"]) == "黑体" and east_asian(doc.styles["二级标题"]) == "楷体_GB2312"
    for t in doc.tables:  # header rows repeat on every page
        assert t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    footer = sec.footer.paragraphs[0]._p.xml + sec.even_page_footer.paragraphs[0]._p.xml
    assert footer.count("PAGE") == 2 and "— " in footer
    # the tool's messages (cell names, formulas) are not justified: a justified line before a long
    # formula is stretched into spaced-out characters
    paragraphs = doc.paragraphs
    start = next(i for i, p in enumerate(paragraphs) if p.text.startswith("报表审核发现的问题")) + 1
    findings = [p for p in paragraphs[start:start + 9]]
    assert all(re.match(r"\d+\. ", p.text) for p in findings)
    assert findings and all(p.style.name == "正文左对齐" for p in findings)
    assert doc.styles["正文左对齐"].paragraph_format.alignment == 0  # LEFT


@pytest.mark.slow
def test_batch_writes_a_report_per_scored_unit(sample_files, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for p in sample_files.values():
        (src / p.name).write_bytes(p.read_bytes())
    (src / "坏文件.xlsx").write_bytes(b"not a workbook")
    r = CliRunner().invoke(main, ["batch", str(src), "-o", str(tmp_path / "out"), "--reports", "-j", "2"])
    assert r.exit_code == 1, r.output
    reports = sorted((tmp_path / "out" / "自评报告").glob("*.docx"))
    assert len(reports) == len(sample_files)
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert sorted(x["report"] for x in results if x.get("report")) == \
        sorted(f"自评报告/{p.name}" for p in reports)
    import openpyxl

    overview = {row[0].value: row[1].value for row in openpyxl.load_workbook(tmp_path / "out" / "审核汇总.xlsx")["总览"]
                .iter_rows() if row[0].value}
    assert overview["自评报告已生成"] == len(sample_files) and overview["自评报告未生成（见“处理失败”）"] == 0
    assert "自评报告未能生成" not in r.output


# ---------------------------------------------------------------------------------------------
# Issue 17 item 12: every statement true; the report as a reader sees it


@pytest.mark.parametrize("outline", OUTLINES)
@pytest.mark.slow
def test_every_text_of_the_department_is_in_the_report(reports, all_files, outline):
    for name in all_files:
        path, a = reports[name, outline]
        seen = _squeeze(_docx_text(path))
        texts = _department_texts(a)
        assert len(texts) > 5
        missing = [t for t in texts if _squeeze(t) not in seen]
        assert not missing, (name, outline, missing)


@pytest.mark.slow
def test_what_was_typed_is_shown_as_typed(reports, words_file):
    """An 实际完成值 the tool cannot read (or reads as a tier) is shown as typed, in the report and
    in the JSON; a 偏差原因 at full marks, with a line break or with < & in it, is shown."""
    path, _a = reports[words_file.name, "default"]
    _doc, paragraphs, tables = _read(path)
    results = {r[0]: r for r in _table(tables, RESULT_HEADER)}
    assert results["市场主体登记平均办理时限"][2] == "7月"
    assert results["市场主体活跃度"][2] == "达成预期指标"
    assert results["年度履职目标相关性"][2] == "相关"  # not the tier the tool read it as
    assert results["重大食品安全事故发生数"][2] == "不适用" and results["重大食品安全事故发生数"][4] == "不计分"
    deviations = {r[0]: r for r in _table(tables, ["三级指标", "分值", "得分", "偏差原因分析及改进措施"])}
    assert deviations["食品安全监督抽检批次"][3] == "超额完成：专项抽检增加 200 批。\n下年按实际需要安排。"
    assert deviations["预算执行率"][3] == "采购项目 <验收> & 付款滞后；已督促。"
    assert deviations["重大食品安全事故发生数"][3] == "本年度无此项任务。"
    # a problem and its cause are two sentences, whatever punctuation the department left out
    assert "（1）个别项目支出进度偏慢。原因：部分采购项目招标周期较长。" in paragraphs
    rows = {r["三级指标"]: r for r in _json(words_file)["rows"]}
    assert rows["市场主体登记平均办理时限"]["实际完成值"] == "7月"
    assert rows["市场主体活跃度"]["实际完成值"] == "达成预期指标"
    assert rows["年度履职目标相关性"]["实际完成值"] == "相关"
    assert rows["预算执行率"]["实际完成值"] == "97.14%"  # a rate the form computes, as computed


@pytest.mark.slow
def test_a_provisional_total_is_called_provisional(sample_files, tmp_path):
    path = sample_files[PROVISIONAL]
    assert _json(path)["provisional"] == ["产出指标"]
    for outline in OUTLINES:
        out = tmp_path / f"{outline}.docx"
        r = CliRunner().invoke(main, ["report", str(path), "-o", str(out), "--template", outline])
        assert r.exit_code == 0 and "暂定" in r.output, r.output
        text = "\n".join(_read(out)[1])
        assert "最终得分" not in text
        assert "得分暂定为 91.36 分" in text and "绩效评价等级暂定为“优”" in text
        assert "产出指标各行分值之和不等于其权重分值，该项得分已按权重折算，总分和等级为暂定" in text
        assert text.count("暂定") >= 4  # the notice at the top says it too


def _number(cell: str) -> float:
    return float(cell.rstrip("%"))


@pytest.mark.parametrize("outline", OUTLINES)
@pytest.mark.slow
def test_the_tables_add_up(reports, all_files, outline):
    """As a reader checks the report: each category's rows add up to its subtotal; the score
    table's category is its subtotal or a note says why not; 合计 is the sum of the categories; the
    total is 合计 or a 核定总分 row and a note say why not."""
    kinds = set()
    for name in all_files:
        path, a = reports[name, outline]
        _doc, paragraphs, tables = _read(path)
        text = "\n".join(paragraphs)
        subtotals, rows = {}, []
        for row in _table(tables, RESULT_HEADER)[1:]:
            if row[0].endswith("小计"):
                category = row[0].removesuffix("小计")
                assert round(sum(_number(r[3]) for r in rows), 2) == _number(row[3]), (name, category)
                assert round(sum(_number(r[4]) for r in rows if r[4] != "不计分"), 2) == _number(row[4]), (name, category)
                subtotals[category], rows = row[4], []
            else:
                rows.append(row)
        assert not rows
        scores = {r[0]: r for r in _table(tables, SCORE_HEADER)[1:]}
        categories = [c.name for c in a.scores.categories]
        assert set(subtotals) == set(categories)
        for c in categories:
            if scores[c][2] != subtotals[c]:
                kinds.add("category")
                assert f"注：{c}各行得分合计 {subtotals[c]} 分" in text and f"为 {scores[c][2]} 分" in text, (name, c)
        assert _fmt2(round(sum(_number(scores[c][2]) for c in categories), 2)) == scores["合计"][2]
        total = _fmt2(a.scores.total)
        if scores["合计"][2] != total:
            kinds.add("total")
            final = next(r for k, r in scores.items() if k.startswith("核定总分"))
            assert final[2] == total
            assert f"各项得分合计 {scores['合计'][2]} 分，核定总分为 {total} 分：" in text
        else:
            assert not any(k.startswith("核定总分") for k in scores)
    assert kinds == {"category", "total"}  # both kinds of adjustment were among the files


@pytest.mark.slow
def test_the_report_data_has_the_specimens_shape(reports, words_file):
    """A template is tried with SPECIMEN before a batch: it has every name a report has."""
    _path, a = reports[words_file.name, "default"]
    ctx = report_context(a, load_rules())

    def same_shape(specimen, real, where="") -> None:
        if isinstance(real, dict):
            assert isinstance(specimen, dict) and specimen.keys() == real.keys(), where
            for k in real:
                same_shape(specimen[k], real[k], f"{where}.{k}")
        elif isinstance(real, list):
            assert isinstance(specimen, list) and specimen, where  # every list has an item to try
            for item in real:
                same_shape(specimen[0], item, f"{where}[]")
        else:
            assert not isinstance(specimen, (list, dict)), where

    same_shape(SPECIMEN, ctx)


@pytest.mark.libreoffice
def test_libreoffice_shows_every_text_of_the_department(reports, all_files, tmp_path):
    """LibreOffice's own text export of every report (both outlines) holds what the department wrote."""
    keys = list(reports)
    texts = convert([reports[k][0] for k in keys], tmp_path / "txt", "txt:Text (encoded):UTF8", recalc=False)
    for key, txt in zip(keys, texts, strict=True):
        seen = _squeeze(txt.read_text(encoding="utf-8"))
        missing = [t for t in _department_texts(reports[key][1]) if _squeeze(t) not in seen]
        assert not missing, (key, missing)
        assert "综合评价结论" in seen or "自评结论" in seen


@pytest.mark.libreoffice
def test_libreoffice_converts_every_report(reports, marks_file, tmp_path):
    # but the marks sample's: LibreOffice lays its 32,767 characters of one unbroken text out for
    # 146 s a report (measured; its text export, above, holds every mark in seconds)
    outs = [path for (name, _outline), (path, _a) in reports.items() if name != marks_file.name]
    pdfs = convert(outs, tmp_path / "pdf", "pdf", recalc=False)
    for pdf in pdfs:
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "综合评价结论" in text or "自评结论" in text
        assert "— 1 —" in text or "—1—" in text.replace(" ", "")


# ---------------------------------------------------------------------------------------------
# Issue 18 item 4: every docx we write passes an independent OOXML validator


def _audit(path: Path) -> list[str]:
    from openxml_audit import OpenXmlValidator

    result = OpenXmlValidator().validate(str(path))
    return [str(e) for e in result.errors]


def custom_template(path: Path) -> Path:
    """A bureau's own template, made as a bureau would from a bundled one: a header with the unit,
    a notice and reasons placed with {{r … }} (docxtpl's rich-text tag, given plain text here)."""
    doc = Document(str(report_templates()["example-bureau"]))
    doc.sections[0].header.paragraphs[0].text = "{{ unit }}（{{ unit_code }}）"
    doc.add_paragraph("{{r notice }}")
    doc.add_paragraph("{%p for r in deviations %}")
    doc.add_paragraph("{{ r.name }}：{{r r.reason }}{{r r.reason_todo }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{% for g in goals %}{{ loop.index }}. {{ g|trim }}{% if not loop.last %}；{% endif %}{% endfor %}")
    doc.save(str(path))
    return path


@pytest.mark.slow
def test_a_department_s_marks_are_shown_as_typed_whatever_tag_places_them(marks_file, tmp_path):
    """{_{ … }_} in a 偏差原因 was shown as {{ … }} (docxtpl unescapes them after rendering), through
    {{ }} and through a bureau's {{r }} alike; Jinja's own tags in a text are text."""
    a = assess(marks_file)
    template = custom_template(tmp_path / "我局模板.docx")
    for outline, path in (("default", None), ("bureau", template)):
        out = write_report(a, load_rules(), tmp_path / f"{outline}.docx", path)
        text = _docx_text(out)
        for mark in MARKS[:2]:
            assert text.count(mark) == (2 if path else 1), (outline, mark)  # the custom template lists reasons twice
        assert "问题{_{一}_}。原因：原因 {% raw %}。" in text and "措施 }} 与 %_}" in text


@pytest.mark.slow
def test_every_report_passes_openxml_audit(reports, all_files, tmp_path):
    for key, (path, _a) in reports.items():
        assert _audit(path) == [], key
    for name in report_templates().values():
        assert _audit(name) == [], name
    template = custom_template(tmp_path / "我局模板.docx")  # with a header, {{r … }} runs, a notice
    for name in (SEED, "06_真实用语_2023.xlsx"):
        path, rule_set = all_files[name]
        rules = load_rules(rule_set)
        out = write_report(assess(path, rules), rules, tmp_path / f"{Path(name).stem}.docx", template)
        assert _audit(out) == [], name


@pytest.mark.slow
def test_rich_text_tags_show_plain_text(words_file, sample_files, tmp_path):
    """{{r x }} with a plain string (the bundled templates' old 偏差原因 cell) puts the text in a
    run of its own, not between runs where Word and LibreOffice show nothing."""
    template = custom_template(tmp_path / "t.docx")
    out = write_report(assess(words_file), load_rules(), tmp_path / "r.docx", template)
    doc = Document(str(out))
    line = next(p for p in doc.paragraphs if p.text.startswith("食品安全监督抽检批次："))
    assert line.text == "食品安全监督抽检批次：超额完成：专项抽检增加 200 批。\n下年按实际需要安排。"
    assert doc.sections[0].header.paragraphs[0].text == "郑州市金水区市场监督管理局（410105021）"
    out = write_report(assess(sample_files[SEED]), load_rules(), tmp_path / "seed.docx", template)
    doc = Document(str(out))
    todo = next(p for p in doc.paragraphs if p.text.startswith("预算调整率："))
    [run] = [r for r in todo.runs if r.text.startswith("【")]
    assert run.text == "【请填写：未得满分的原因和改进措施】"
    assert run._r.rPr.find(qn("w:highlight")).get(qn("w:val")) == "yellow"
    notice = [p for p in doc.paragraphs if p.text.startswith("本稿由系统根据报表生成")][-1]  # {{r notice }}
    [run] = [r for r in notice.runs if r.text.startswith("本稿")]
    assert [c.tag for c in run._r.rPr] == [qn("w:b"), qn("w:bCs"), qn("w:highlight")]


# ---------------------------------------------------------------------------------------------
# Issue 17 item 6: no code from outside runs; a template has bounds


def _template_with(path: Path, *paragraphs: str) -> Path:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    doc.save(str(path))
    return path


#: templates that would run code, read Python's internals, run for ever or fill memory, were the
#: template not vetted and rendered in a sandbox with bounds; each is stopped with a message
HOSTILE = {
    "exploit": ("{{ cycler.__init__.__globals__.os.system('touch MARKER') }}", "不能调用函数或方法"),
    "globals": ("{{ goals.__class__.__init__.__globals__ }}", "以下划线开头"),
    "class_item": ("{{ goals['__class__'] }}", "以下划线开头"),
    "mro": ("{% for c in ''.__class__.__mro__ %}{{ c }}{% endfor %}", "以下划线开头"),
    "range": ("{% for i in range(10**9) %}{{ i }}{% endfor %}", "不能调用函数或方法"),
    "namespace": ("{{ namespace(a=1) }}", "不能调用函数或方法"),
    "method": ("{{ unit.upper() }}", "不能调用函数或方法"),
    "set": ("{% set a = unit ~ unit %}{{ a }}", "{% set %}"),
    "macro": ("{% macro f(x) %}{{ f(x ~ x) }}{% endmacro %}{{ f(unit) }}", "{% macro %}"),
    "autoescape": ("{% autoescape false %}{{ unit }}{% endautoescape %}", "{% autoescape %}"),
    "include": ("{% include '/etc/passwd' %}", "{% include %}"),
    "safe": ("{{ unit|safe }}", "过滤器“safe”"),
    "attr": ("{{ goals|attr('__class__') }}", "过滤器“attr”"),
    "format": ("{{ '%0999999999d' % 1 }}", "不能用 % 格式化文字"),
    "multiply": ("{{ 'x' * 10**9 }}", "超过 1,000,000 个字符"),
    "power": ("{{ 2 ** 100000 }}", "乘方过大"),
    "center": ("{{ unit|center(10**9) }}", "参数 1000000000 过大"),
    "replace": ("{{ unit|replace('', 'x' * 100000) }}", "replace"),
    "join": ("{{ indicators|join(unit * 50000) }}", "过滤器“join”生成的文字超过"),
    "deep": ("{% for a in goals %}" * 200 + "{% endfor %}" * 200, "嵌套过深"),
    "typo": ("{{ totla }}", "报告数据中没有的名称"),
    "syntax": ("{% if unit %}{{ unit }}", "模板标记的写法有误"),
    "unclosed": ("{{ unit " * 3, "没有闭合"),
    # nested loops over the report's 45 rows: 45^5 iterations
    "loops": ("{% for a in indicators %}{% for b in indicators %}{% for c in indicators %}{% for d in indicators %}"
              "{% for e in indicators %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}", "循环次数过多"),
    # output multiplied by loops: 45^3 × 9,000 characters (passes the trial with one row, not the report)
    "output": ("{% for a in indicators %}{% for b in indicators %}{% for c in indicators %}{{ unit * 500 }}"
               "{% endfor %}{% endfor %}{% endfor %}", "超过 32,000,000 个字符"),
    # the loops' own budget filter reached through map('…'), with a negative cost: a credit of 10^10 steps
    "map_credit": ("{{ ('x'*999999)|list|map('_charged', -1000)|list|length }}" * 10
                   + "{% for a in indicators %}" * 5 + "{% endfor %}" * 5, "循环次数过多"),
    # a filter mapped over many items, each result within the bounds of one value: 5 × 10^9 characters
    "map_memory": ("{{ ('x'*5000)|list|map('replace', 'x', 'y'*999999)|list|length }}", "总计超过"),
    # ~ joins what no operator bound looked at: 10^9 characters in one expression
    "concat": ("{% for t in ['字' * 999999] %}{{ (" + " ~ ".join(["t"] * 1000) + ")|length }}{% endfor %}",
               "超过 1,000,000 个字符"),
    # lists of lists: small in memory, 10^9 items written out, or summed in quadratic time
    "nested_lists": ("{{ [[[1] * 1000] * 1000] * 1000 }}", "超过 1,000,000 个字符"),
    "list_literal": ("{% for t in ['字' * 999999] %}{{ [" + ", ".join(["t"] * 1000) + "]|join }}{% endfor %}",
                     "超过 1,000,000 个字符"),
    "sum_lists": ("{{ ([[1] * 100] * 3000)|sum(start=[])|length }}" * 20, "只能对数字求和"),
    # a text of a million characters built at each of 45^3 steps: a loop's budget counts the steps, not the text
    "loop_text": ("{% for a in indicators %}{% for b in indicators %}{% for c in indicators %}{{ ('x'*999999)|length }}"
                  "{% endfor %}{% endfor %}{% endfor %}", "总计超过"),
}


def _report_in_a_box(workbook: Path, template: Path, folder: Path) -> subprocess.CompletedProcess:
    """`report` as the clerk runs it, in a process of its own limited to 2 GB and 2 minutes of CPU,
    in ``folder``: were the sandbox or a bound to fail, the test fails and nothing else does."""
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30)); "
            "resource.setrlimit(resource.RLIMIT_CPU, (120, 120)); from selfeval_xl.cli.commands import run; run()")
    return subprocess.run([sys.executable, "-c", code, "report", str(workbook), "-o", str(folder / "r.docx"),
                           "--template", str(template)],
                          capture_output=True, text=True, encoding="utf-8", timeout=600, cwd=folder)


@pytest.mark.parametrize("case", HOSTILE)
@pytest.mark.slow
def test_a_hostile_template_is_a_usage_error(case, sample_files, tmp_path):
    body, said = HOSTILE[case]
    template = _template_with(tmp_path / f"{case}.docx", body)
    proc = _report_in_a_box(sample_files["02_市场监督管理局_2023.xlsx"], template, tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert f"报告模板“{case}.docx”无法使用" in proc.stderr and said in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "r.docx").exists()
    assert not (tmp_path / "MARKER").exists()


def _bad_packages(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    import zipfile

    good = report_templates()["default"].read_bytes()
    out = {}
    (tmp_path / "junk.docx").write_bytes(b"not a document at all")
    out["junk"] = (tmp_path / "junk.docx", "不是 Word 文档")
    (tmp_path / "truncated.docx").write_bytes(good[: len(good) // 2])
    out["truncated"] = (tmp_path / "truncated.docx", "文件已损坏")
    (tmp_path / "workbook.docx").write_bytes((ROOT / "samples" / SEED).read_bytes())
    out["workbook"] = (tmp_path / "workbook.docx", "不是 Word 文档")
    src = zipfile.ZipFile(report_templates()["default"])

    def rewrite(name: str, change) -> Path:
        path = tmp_path / f"{name}.docx"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for info in src.infolist():
                z.writestr(info.filename, change(info.filename, src.read(info.filename)))
            if name == "bomb":
                z.writestr("word/media/big.bin", b"\0" * (300 << 20))
        return path

    def dtd(part: str, data: bytes) -> bytes:
        if part != "word/document.xml":
            return data
        return data.replace(b"?>", b'?><!DOCTYPE w:document [<!ENTITY e "x">]>', 1)

    out["dtd"] = (rewrite("dtd", dtd), "不安全的 XML")
    out["bomb"] = (rewrite("bomb", lambda _p, d: d), "安全限制")
    return out


@pytest.mark.slow
def test_a_damaged_or_unsafe_template_is_a_usage_error(sample_files, tmp_path):
    for case, (template, said) in _bad_packages(tmp_path).items():
        proc = _report_in_a_box(sample_files[SEED], template, tmp_path)
        assert proc.returncode == 2, (case, proc.stderr)
        assert f"报告模板“{template.name}”无法使用" in proc.stderr and said in proc.stderr, (case, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_tags_that_split_a_table_are_found_before_any_work(sample_files, tmp_path):
    """{%p if %} in a table cell and its endif outside: the XML nests only when the condition is
    true; the trial renders the specimen with every condition true and with every one false."""
    doc = Document()
    doc.add_table(rows=1, cols=1).cell(0, 0).text = "{%p if notice %}"
    doc.add_paragraph("{{ notice }}")
    doc.add_paragraph("{%p endif %}")
    doc.save(str(tmp_path / "split.docx"))
    r = CliRunner().invoke(main, ["report", str(sample_files[SEED]), "-o", str(tmp_path / "r.docx"),
                                  "--template", str(tmp_path / "split.docx")])
    assert r.exit_code == 2 and "报告模板“split.docx”无法使用：模板的标记把 Word 的段落或表格拆开了" in r.output, r.output


@pytest.mark.slow
def test_a_template_that_fails_on_one_units_data_costs_only_that_report(sample_files, tmp_path):
    """A template that passes the trial before the batch but fails on a unit's own data: the unit
    is still audited and scored; results.json says why it has no report, and so do the console (a
    count and the unit) and the summary (总览's counts and a row of 处理失败), and the exit code is
    1: the auditor knows which drafts are missing."""
    import openpyxl

    src = tmp_path / "in"
    src.mkdir()
    name = "02_市场监督管理局_2023.xlsx"
    (src / name).write_bytes(sample_files[name].read_bytes())
    template = _template_with(tmp_path / "t.docx", HOSTILE["output"][0])
    r = CliRunner().invoke(main, ["batch", str(src), "-o", str(tmp_path / "out"), "--reports", "-j", "1",
                                  "--memory", "1024", "--template", str(template)])  # workers have bounds of their own
    assert r.exit_code == 1, r.output
    [result] = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert result["status"] == "ok" and result["copy"] and "report" not in result
    assert "报告模板“t.docx”无法使用" in result["report_error"]
    assert not list((tmp_path / "out").rglob("*.docx"))
    assert "有 1 个单位已审核评分，但自评报告未能生成" in r.output and f"  {name}：报告模板“t.docx”无法使用" in r.output
    wb = openpyxl.load_workbook(tmp_path / "out" / "审核汇总.xlsx")
    overview = {row[0].value: row[1].value for row in wb["总览"].iter_rows() if row[0].value}
    assert overview["成功审核"] == 1 and overview["处理失败"] == 0
    assert overview["自评报告已生成"] == 0 and overview["自评报告未生成（见“处理失败”）"] == 1
    [failed] = [[c.value for c in row] for row in wb["处理失败"].iter_rows(min_row=2)]
    assert failed[:3] == [name, "—", "自评报告未生成"] and "报告模板“t.docx”无法使用" in failed[3]


def test_the_bundled_templates_pass_the_sandbox():
    """The bundled outlines use only what a bureau's template may use."""
    from selfeval_xl.outputs.word_report import check_template

    for name in OUTLINES:
        check_template(name)


def test_a_score_finer_than_the_rule_s_precision_shows_as_it_is_held(tmp_path):
    """A row of 分值 0.125 at two decimals keeps 0.125 as its 核定得分 (its full marks): the report
    shows 0.125 in both its 分值 and 得分 columns, never 0.13, and every other score at the rule
    set's two decimals."""
    from .test_scored_copy import small_rows_filling

    path = tmp_path / "small.xlsx"
    write_template(path, filling=small_rows_filling())
    a = assess(path)
    _doc, _paragraphs, tables = _read(write_report(a, a.rules, tmp_path / "r.docx"))
    rows = {r[0]: r for r in _table(tables, RESULT_HEADER)[1:]}
    small = [rows[f"指标{i}"] for i in range(8)]
    assert all(r[3:5] == ["0.125", "0.125"] for r in small), small
    assert rows["指标8"][3:5] == ["39", "39.00"]


#: what docxtpl rewrites in a rendered part (its escapes for a template's literal tags), typed by a
#: department: each must reach the report as typed
BRACES = ["目标{_{一}_}", "{_%二%_}", "{_{_{三}_}_}", "%_}四{_%", "{{五}}", "{%六%}"]


@pytest.mark.parametrize("outline", OUTLINES)
@pytest.mark.slow
def test_braces_a_department_types_reach_the_report_as_typed(tmp_path, outline):
    """docxtpl rewrote "{_{", "}_}", "{_%", "%_}" as "{{", "}}", "{%", "%}" in the whole rendered
    part, the department's own text included: a 履职目标 typed "{_{" read "{{". A template's own
    "{_{" (docxtpl's way of writing a literal tag) is still "{{"."""
    f = make_samples.bureau()
    f.goals = list(BRACES)
    f.problems = [("问题{_{甲}_}", "原因{_%乙%_}", "措施%_}丙")]
    f.basic["部门(单位)名称"] = "单位{_{名}_}"
    path = tmp_path / "braces.xlsx"
    write_template(path, filling=f)
    a = assess(path)
    text = _docx_text(write_report(a, a.rules, tmp_path / "r.docx", outline))
    for typed in [*BRACES, "问题{_{甲}_}", "原因{_%乙%_}", "措施%_}丙", "单位{_{名}_}"]:
        assert typed in text, typed
    own = _template_with(tmp_path / "own.docx", "字面{_{ unit }_}与{_% if %_}", "{{ unit }}", "{% for g in goals %}{{ g }}；{% endfor %}")
    doc = _docx_text(write_report(a, a.rules, tmp_path / "own-r.docx", own))
    assert "字面{{ unit }}与{% if %}" in doc and "单位{_{名}_}" in doc and "；".join(BRACES) in doc
