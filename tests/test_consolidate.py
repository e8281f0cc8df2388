"""Consolidation: sub-bureaus and years merged, grouped, ranked, compared; a unit never counted
twice (identical copies once, differing ones 待核实 and left out); years never added together."""

from __future__ import annotations

import json
import re

import openpyxl
import pytest
from click.testing import CliRunner

from selfeval_xl.batch.run import run_batch
from selfeval_xl.batch.tasks import BatchOptions
from selfeval_xl.cli.commands import main
from selfeval_xl.form.template import write_template
from selfeval_xl.outputs.consolidation import _ranks, consolidate

from .conftest import make_samples


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Two years of the samples (2023 with 3% less budget executed), and a second sub-bureau that
    received one of the 2023 units again with a changed figure (a duplicate)."""
    root = tmp_path_factory.mktemp("cons")
    outs = {}
    for year in (2022, 2023):
        d = root / f"in{year}"
        d.mkdir()
        for name, make in make_samples.SAMPLES.items():
            f = make()
            f.basic["评价年度"] = year
            if year == 2023:
                f.budget["预算执行数"] = round(f.budget["预算执行数"] * 0.97, 2)
            write_template(d / name, filling=f)
        outs[year] = run_batch(d, root / f"区财政局{year}", BatchOptions(jobs=1)).outdir
    other = root / "in_other"
    other.mkdir()
    f = make_samples.bureau()
    f.basic["评价年度"] = 2023
    f.budget["预算执行数"] = 3000
    write_template(other / "市场监督管理局_重报.xlsx", filling=f)
    outs["other"] = run_batch(other, root / "某街道财政所", BatchOptions(jobs=1)).outdir
    return root, outs


@pytest.fixture(scope="module")
def workbook(results):
    root, outs = results
    path = root / "汇总.xlsx"
    info = consolidate([outs[2022], outs[2023] / "results.json", outs["other"]], path)
    return path, info, openpyxl.load_workbook(path)


def _rows(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_sheets_and_counts(workbook):
    _path, info, wb = workbook
    assert wb.sheetnames == ["说明", "分组明细", "排名", "等级分布", "历年对比", "待核实", "预算汇总"]
    # 11 submissions, of which the bureau's two differing 2023 ones are 待核实 and counted nowhere
    assert info["units"] == 9 and info["inputs"] == 3 and info["years"] == [2022, 2023]
    assert info["duplicates"] == 2 and info["identical"] == 0


def test_groups_have_subtotals_and_averages(workbook, results):
    _p, _i, wb = workbook
    rows = _rows(wb["分组明细"])
    subs = [r for r in rows if r[0] and str(r[0]).startswith("郑州市金水区卫生健康委员会 ")]
    hospital = [r for r in rows if r[0] and "金水区人民医院" in str(r[0]) and r[1]]
    assert len(hospital) == 2 and [s[0] for s in subs] == ["郑州市金水区卫生健康委员会 2022 年度小计（1 个单位）",
                                                          "郑州市金水区卫生健康委员会 2023 年度小计（1 个单位）"]
    assert [s[3] for s in subs] == [h[3] for h in sorted(hospital, key=lambda h: h[2])]
    # a subtotal per year, never across years; the last rows are one 合计 per year
    assert [r[0] for r in rows[-2:]] == ["2022 年度合计（5 个单位）", "2023 年度合计（4 个单位）"]
    assert not any(r[0] and "小计" in str(r[0]) and "年度" not in str(r[0]) for r in rows)


def test_ranking_per_year(workbook):
    _p, _i, wb = workbook
    rows = _rows(wb["排名"])[1:]
    r2022 = [r for r in rows if r[0] == 2022]
    assert [r[1] for r in r2022] == [1, 2, 3, 4, 5]
    assert r2022[0][4] == "郑州市金水区市场监督管理局" and r2022[0][6] == 99.71
    assert _ranks([90, 95, 95, 80]) == [3, 1, 1, 4]


def test_same_unit_across_years(workbook):
    _p, _i, wb = workbook
    rows = {r[0]: r for r in _rows(wb["历年对比"])[1:] if r[0]}
    school = rows["410105305"]
    assert school[3] == 97.81 and school[5] is not None
    assert school[7] == pytest.approx(round(school[5] - school[3], 2))
    # the bureau was filed twice in 2023 with different figures: reported, not compared
    assert rows["410105021"][6] == "待核实" and rows["410105021"][7] is None


def test_differing_duplicates_are_pending_and_counted_nowhere(workbook):
    _p, _i, wb = workbook
    dups = _rows(wb["待核实"])[1:]
    assert {(r[0], r[1]) for r in dups} == {("410105021", 2023)}
    assert len(dups) == 2 and dups[0][6] != dups[1][6] and all("待核实" in r[7] for r in dups)
    assert not [r for r in _rows(wb["排名"])[1:] if r[3] == "410105021" and r[0] == 2023]
    assert "待核实" in " ".join(str(c) for r in _rows(wb["说明"]) for c in r if c)


@pytest.mark.slow
def test_the_same_batch_twice_gives_the_same_sums(results, tmp_path):
    _root, outs = results
    once = consolidate([outs[2022]], tmp_path / "once.xlsx")
    twice = consolidate([outs[2022], outs[2022]], tmp_path / "twice.xlsx")
    assert (once["units"], twice["units"], twice["identical"], twice["duplicates"]) == (5, 5, 5, 0)  # the seed has no code
    for sheet in ("预算汇总", "分组明细", "等级分布"):
        a = _rows(openpyxl.load_workbook(tmp_path / "once.xlsx")[sheet])
        b = _rows(openpyxl.load_workbook(tmp_path / "twice.xlsx")[sheet])
        assert a == [[c.replace("（2）", "") if isinstance(c, str) else c for c in r] for r in b] or \
            [r[:10] for r in a] == [r[:10] for r in b], sheet


def test_budget_per_group_and_year(workbook, results):
    _root, outs = results
    _p, _i, wb = workbook
    rows = _rows(wb["预算汇总"])[2:]
    res = json.loads((outs[2022] / "results.json").read_text(encoding="utf-8"))
    gov = [r for r in res if r["competent_dept"] == "郑州市金水区人民政府"]
    row = next(r for r in rows if r[0] == "郑州市金水区人民政府" and r[1] == 2022)
    assert row[2] == len(gov)
    assert row[5] == pytest.approx(round(sum(r["budget"]["预算执行数"] for r in gov), 2))
    assert row[6] == pytest.approx(sum(r["budget"]["预算执行数"] for r in gov) / sum(r["budget"]["调整预算数"] for r in gov))
    assert [r[0] for r in rows[-2:]] == ["2022 年度合计", "2023 年度合计"]  # never across years


def test_scopes(results, tmp_path):
    _root, outs = results
    info = consolidate([outs[2022]], tmp_path / "a.xlsx", depts=["郑州市金水区教育局"])
    assert info["units"] == 1
    info = consolidate([outs[2022], outs[2023]], tmp_path / "b.xlsx", units_wanted=["410105401", "410105003"])
    assert info["units"] == 4


def test_cli(results, tmp_path):
    _root, outs = results
    r = CliRunner().invoke(main, ["consolidate", str(outs[2022]), str(outs[2023]), "-o", str(tmp_path / "c.xlsx")])
    assert r.exit_code == 0 and "10 个单位" in r.output
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    r = CliRunner().invoke(main, ["consolidate", str(bad), "-o", str(tmp_path / "d.xlsx")])
    assert r.exit_code == 2 and "results.json" in r.output
    r = CliRunner().invoke(main, ["consolidate", str(outs[2022]), "-o", str(tmp_path / "e.xlsx"), "--dept", "x", "--units", "1"])
    assert r.exit_code == 2
    for scope in (["--dept", "不存在的部门"], ["--units", "123,456"]):  # a scope matching nothing
        r = CliRunner().invoke(main, ["consolidate", str(outs[2022]), "-o", str(tmp_path / "f.xlsx"), *scope])
        assert r.exit_code == 2 and "没有" in r.output and not (tmp_path / "f.xlsx").exists()


@pytest.mark.parametrize("content, words", [
    (b"\xef\xbb\xbf[]", None),  # a BOM is fine
    (b"\xff\xfe[\x00", "UTF-8"),
    (b"[{", "JSON"),
    (b"{}", "results.json"),
])
def test_errors_are_chinese_without_internals(tmp_path, content, words):
    f = tmp_path / "results.json"
    f.write_bytes(content)
    r = CliRunner().invoke(main, ["consolidate", str(f), "-o", str(tmp_path / "c.xlsx")])
    if words is None:
        assert r.exit_code == 0, r.output
        return
    assert r.exit_code == 2 and words in r.output
    for internal in ("Errno", "Unexpected", "decode", "Traceback", "Expecting"):
        assert internal not in r.output


@pytest.mark.libreoffice
def test_opens_in_libreoffice_and_chart_renders(workbook, tmp_path):
    import subprocess

    from .libreoffice import convert

    path, _i, _wb = workbook
    pdf = convert([path], tmp_path, "pdf", recalc=False)[0]
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "各主管部门等级构成" in text and "郑州市金水区教育局" in text


def test_codes_and_departments_asked_for_and_not_found_are_named(results, tmp_path):
    _root, outs = results
    out = tmp_path / "c.xlsx"
    r = CliRunner().invoke(main, ["consolidate", str(outs[2023]), "-o", str(out), "--units", "410105003,999999,888888"])
    assert r.exit_code == 1 and "888888、999999" in r.output, r.output
    assert out.exists()
    about = [c.value for row in openpyxl.load_workbook(out)["说明"].iter_rows() for c in row if c.value]
    assert any("888888" in str(v) and "999999" in str(v) for v in about)
    r = CliRunner().invoke(main, ["consolidate", str(outs[2023]), "-o", str(tmp_path / "d.xlsx"), "--dept", "不存在的部门",
                                  "--dept", "郑州市金水区教育局"])
    assert r.exit_code == 1 and "不存在的部门" in r.output


def test_the_output_must_be_an_xlsx(results, tmp_path):
    _root, outs = results
    r = CliRunner().invoke(main, ["consolidate", str(outs[2023]), "-o", str(tmp_path / "c.txt")])
    assert r.exit_code == 2 and "c.txt" in r.output and ".xlsx" in r.output
    assert not list(tmp_path.iterdir())



def test_file_and_input_names_show_as_one_line_with_their_invisible_characters_as_escapes(results, tmp_path):
    """A file or an input folder whose name holds a direction override (U+202E), a line break or an
    invisible character is named as the summary names it (``safe.display_name``): 说明's inputs,
    分组明细's unit without a name, 待核实's files and every 来源."""
    from selfeval_xl.core.sanitize import display_name

    _root, outs = results
    records = json.loads((outs[2022] / "results.json").read_text(encoding="utf-8"))
    scored = [r for r in records if r["status"] != "failed"]
    scored[0].update(file="自评\u202eexe.xlsx\n二\u200b.xlsx", unit_name="")
    again = {**scored[1], "file": "重\u202e报.xlsx", "sha256": "0" * 64}  # the same unit and year, another file
    folder = tmp_path / "区\u202e财政局"
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps([*records, again], ensure_ascii=False), encoding="utf-8")
    consolidate([folder], tmp_path / "c.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "c.xlsx")
    texts = [c for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [c.value for c in texts if re.search("[\u202e\u200b\n]", c.value)]
    values = {c.value for c in texts}
    assert "区\\u202e财政局" in values and display_name(str(folder / "results.json")) in values
    assert "　" + display_name(scored[0]["file"]) in values  # 分组明细: a unit without a name
    assert {"重\\u202e报.xlsx", scored[1]["file"]} <= {row[5] for row in _rows(wb["待核实"])}


def test_grades_are_counted_per_year_never_across_years(workbook):
    """等级分布 counts each 主管部门's units per year, and each year in all, as 说明 says of every
    table ("不同年度分别合计，从不相加"): it counted a 主管部门's units of 2022 and 2023 together."""
    _p, _i, wb = workbook
    header, *rows = _rows(wb["等级分布"])
    grades = [g for g in header[2:] if g not in ("单位数", "平均核定总分", None)]
    ranked = [r for r in _rows(wb["排名"])[1:] if r[0]]
    want: dict = {}
    for r in ranked:  # 评价年度, 主管部门, 核定等级 of every unit counted
        for key in ((r[0], r[5]), (r[0], f"{r[0]} 年度合计")):
            want.setdefault(key, {g: 0 for g in grades})[r[7]] += 1
    got = {(r[0], r[1]): dict(zip(grades, r[2:2 + len(grades)], strict=True)) for r in rows if r[0]}
    assert got == want and {y for y, _d in got} == {2022, 2023}
    for r in rows:
        assert r[2 + len(grades)] == sum(r[2:2 + len(grades)])  # 单位数
    assert len(wb["等级分布"]._charts) == 2  # a chart per year
