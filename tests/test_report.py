"""The 自评报告 draft (issue 11): every figure from the checked workbook, read back from the .docx
(python-docx) and compared with `check --format json` of the same file; the default outline (the
seed's eight sections) and a bureau's own (example-bureau); placeholders highlighted; GB/T 9704
formatting named; LibreOffice converts every report."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from docx import Document
from docx.oxml.ns import qn

from selfeval_xl.assess import assess
from selfeval_xl.cli import main
from selfeval_xl.rules import load_rules
from selfeval_xl.selfreport import report_templates, write_report

from .conftest import ROOT
from .libreoffice import convert

SEED = "01_杜岭街道办事处_2021.xlsx"
SECTIONS = ["一、基本情况", "二、绩效自评工作开展情况", "三、综合评价结论", "四、绩效目标实现情况分析",
            "五、发现的主要问题和改进措施", "六、绩效自评结果拟应用和公开情况", "七、绩效自评工作的经验、问题和建议",
            "八、其他需要说明的问题"]
BUREAU_SECTIONS = ["一、部门概况", "二、部门整体支出及资金管理情况", "三、绩效目标设定及完成情况", "四、存在的问题及改进建议",
                   "五、其他需要说明的情况", "六、自评结论"]


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


def _check_figures(paragraphs, tables, result, rule_set="default"):
    text = "\n".join(paragraphs)
    assert f"最终得分为 {_fmt2(result['total'])} 分" in text and f"评价等级为“{result['grade']}”" in text
    scores = next(t for t in tables if t[0] == ["指标", "权重分值", "得分", "得分率"])
    rules = load_rules(rule_set)
    weights = {c.name: c.weight for c in rules.categories}
    body = {r[0]: r[1:] for r in scores[1:]}
    for name, score in result["categories"].items():
        w = weights[name]
        assert body[name][0] == f"{w:g}" and body[name][1] == _fmt2(score)
        assert body[name][2] == f"{round(score / w * 100, 2):g}%"
    assert body["合计"][1] == _fmt2(result["total"])
    results = next(t for t in tables if t[0] == ["三级指标", "指标值", "实际完成值", "分值", "得分"])
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
    assert "96 分" not in text and "预算调整率 95.23%" in text
    assert "“三公经费”实际支出数和“三公经费”预算数均为 0" in text
    assert text.startswith("2021 年度郑州市金水区杜岭街道办事处部门整体绩效自评报告")
    assert "报表尚有 9 项错误" in text  # the seed still has errors: said at the top
    goals = [p for p in paragraphs if p.startswith("（1）贯彻执行党的路线")]
    assert goals


def test_placeholders_are_highlighted_and_nothing_is_invented(sample_files, tmp_path):
    out = write_report(assess(sample_files[SEED]), load_rules(), tmp_path / "r.docx")
    doc = Document(str(out))
    placeholders = [r for p in doc.paragraphs for r in p.runs if "【请填写" in r.text]
    placeholders += [r for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs for r in p.runs
                     if "【请填写" in r.text]
    assert len(placeholders) >= 6
    for run in placeholders:
        rpr = run._r.rPr
        assert rpr is not None and (rpr.find(qn("w:highlight")) is not None or rpr.find(qn("w:shd")) is not None)
    # no template tag is left in the document
    xml = doc.element.xml
    assert "{{" not in xml and "{%" not in xml


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
    copy = tmp_path / "我局模板.docx"
    copy.write_bytes(report_templates()["example-bureau"].read_bytes())
    r = CliRunner().invoke(main, ["report", str(path), "-o", str(tmp_path / "c.docx"), "--template", str(copy)])
    assert r.exit_code == 0
    assert CliRunner().invoke(main, ["report", str(path), "--template", "nosuch"]).exit_code == 2


@pytest.mark.parametrize("rule_set, example", [("four-part", "01_某区教育局_2024.xlsx"),
                                               ("mof-project", "01_某县农村公路建设项目_2024.xlsx")])
def test_reports_of_other_rule_sets(rule_set, example, tmp_path):
    path = ROOT / "examples" / rule_set / example
    rules = load_rules(rule_set)
    out = write_report(assess(path, rules), rules, tmp_path / "r.docx")
    _doc, paragraphs, tables = _read(out)
    result = _json(path, rule_set)
    scores = next(t for t in tables if t[0] == ["指标", "权重分值", "得分", "得分率"])
    assert [r[0] for r in scores[1:]] == [c.name for c in rules.categories] + ["合计"]
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


@pytest.mark.libreoffice
def test_libreoffice_converts_every_report(sample_files, tmp_path):
    import subprocess

    outs = []
    for name, path in sample_files.items():
        outs.append(write_report(assess(path), load_rules(), tmp_path / f"{name}.docx"))
    rules = load_rules("four-part")
    outs.append(write_report(assess(ROOT / "examples/four-part/01_某区教育局_2024.xlsx", rules), rules,
                             tmp_path / "four.docx", "example-bureau"))
    pdfs = convert(outs, tmp_path / "pdf", "pdf", recalc=False)
    for pdf in pdfs:
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "综合评价结论" in text or "自评结论" in text
        assert "— 1 —" in text or "—1—" in text.replace(" ", "")
