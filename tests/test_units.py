"""One unit is one unit (issue 17, item 9): a 单位编码 in full-width digits (a Chinese input method
types them) or with a zero-width space, and a 主管部门 with invisible characters, are the same unit
and the same group wherever units are matched: the consolidation's duplicates, ranking, groups and
years, --units and --dept, --previous (C603), the summary's 主管部门合计. A code typed in another
form is a warning (V211) saying what was typed, what it reads as and what to type."""

from __future__ import annotations

import json

import openpyxl
import pytest

from selfeval_xl.batch.run import run_batch
from selfeval_xl.batch.tasks import BatchOptions
from selfeval_xl.check.assess import assess
from selfeval_xl.form.filling import OwnIndicator
from selfeval_xl.form.template import write_template
from selfeval_xl.outputs.consolidation import consolidate
from selfeval_xl.outputs.results import unit_result

from .conftest import make_samples

CODE = "410105021"
FULL_WIDTH = "４１０１０５０２１"
ZERO_WIDTH = "410105\u200b021"
DEPT = "郑州市金水区人民政府"


def _batch(tmp_path, name, *fillings):
    src = tmp_path / f"in-{name}"
    src.mkdir()
    for i, f in enumerate(fillings):
        write_template(src / f"{i}.xlsx", filling=f)
    return run_batch(src, tmp_path / name, BatchOptions(jobs=1)).outdir


def _bureau(code=CODE, year=2023, dept=DEPT):
    f = make_samples.bureau()
    f.basic.update({"单位编码": code, "评价年度": year, "主管部门": dept})
    return f


def _rows(path, sheet):
    return [list(r) for r in openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True)]


@pytest.mark.slow
def test_a_code_typed_three_ways_is_one_unit_in_the_consolidation(tmp_path):
    """Three submissions of one unit for one year, its code typed half-width, full-width and with a
    zero-width space: one unit with differing submissions (待核实), never three ranked units."""
    outs = [_batch(tmp_path, n, _bureau(code)) for n, code in (("a", CODE), ("b", FULL_WIDTH), ("c", ZERO_WIDTH))]
    info = consolidate(outs, tmp_path / "c.xlsx")
    assert (info["units"], info["duplicates"]) == (0, 3)
    assert not [r for r in _rows(tmp_path / "c.xlsx", "排名")[1:] if r[3]]
    pending = _rows(tmp_path / "c.xlsx", "待核实")[1:]
    assert [r[0] for r in pending] == [CODE] * 3


@pytest.mark.slow
def test_the_same_unit_across_years_is_one_row_however_its_code_was_typed(tmp_path):
    a = _batch(tmp_path, "2022", _bureau(CODE, 2022))
    b = _batch(tmp_path, "2023", _bureau(FULL_WIDTH, 2023, dept=DEPT + "\u200b"))
    info = consolidate([a, b], tmp_path / "c.xlsx")
    assert info["units"] == 2
    years = [r for r in _rows(tmp_path / "c.xlsx", "历年对比")[1:] if r[0] and r[3] is not None]
    assert len(years) == 1 and years[0][0] == CODE and years[0][5] is not None
    groups = [(r[0], r[1]) for r in _rows(tmp_path / "c.xlsx", "等级分布")[1:] if r[1] and not r[1].endswith("合计")]
    assert groups == [(2022, DEPT), (2023, DEPT)]  # one group a year


@pytest.mark.slow
def test_units_and_dept_scopes_match_in_the_normal_form(tmp_path):
    out = _batch(tmp_path, "a", _bureau(ZERO_WIDTH, dept="郑州市金水区人民政府\u00a0"))
    assert consolidate([out], tmp_path / "u.xlsx", units_wanted=[FULL_WIDTH])["units"] == 1
    assert consolidate([out], tmp_path / "d.xlsx", depts=["郑州市金水区\u200b人民政府"])["units"] == 1


@pytest.mark.slow
def test_the_summary_groups_a_dept_however_it_was_typed(tmp_path):
    other = make_samples.subdistrict()
    other.basic["主管部门"] = "\ufeff郑州市金水区人民政府\u200b"
    out = _batch(tmp_path, "a", _bureau(), other)
    rows = [r for r in _rows(out / "审核汇总.xlsx", "主管部门合计")[2:] if r[0] and r[0] != "合计"]
    assert [(r[0], r[1]) for r in rows] == [(DEPT, 2)]


@pytest.mark.slow
def test_last_years_targets_are_found_for_a_code_typed_another_way(tmp_path):
    last = _batch(tmp_path, "2023", _bureau(CODE, 2023))
    f = _bureau(FULL_WIDTH, 2024)
    f.own["产出指标"][0] = OwnIndicator("数量指标", "食品安全监督抽检批次", 6, "≥2800批", "3216批", 6)  # was ≥3000批
    src = tmp_path / "in2024"
    src.mkdir()
    write_template(src / "bureau.xlsx", filling=f)
    out = run_batch(src, tmp_path / "2024", BatchOptions(jobs=1, previous=last)).outdir
    (result,) = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [x["actual"] for x in result["findings"] if x["code"] == "C603"] == ["≥2800批"]


@pytest.mark.parametrize("typed, what", [
    (FULL_WIDTH, "全角字符"),
    (ZERO_WIDTH, "不可见字符"),
    ("\ufeff410105021", "不可见字符"),  # a byte-order mark pasted from a text file
    ("410105\u00ad021", "不可见字符"),  # a soft hyphen
    ("410105\u00a0021", "空格"),  # a no-break space
    ("410105　021", "空格"),  # an ideographic space
    ("٤١٠١٠٥٠٢١", "其他文字的数字"),  # Arabic-Indic digits, which NFKC keeps
    ("410۱05021", "其他文字的数字"),  # one Persian digit among ASCII ones
])
@pytest.mark.slow
def test_a_code_typed_another_way_is_v211_saying_what_to_type(write_filled, typed, what):
    a = assess(write_filled(_bureau(typed)))
    (v211,) = [f for f in a.findings if f.code == "V211"]
    assert v211.level == "警告" and what in v211.message and f"改为“{CODE}”" in v211.message
    assert v211.expected == CODE and v211.sheet == "基本信息"
    assert "[U+" in v211.actual or typed in v211.actual  # what was typed, its invisible characters written out
    d = unit_result(a).to_json_dict()
    assert d["unit_code"] == CODE and d["unit_code_typed"] == typed


def test_a_code_typed_in_its_normal_form_keeps_no_typed_copy(write_filled):
    d = unit_result(assess(write_filled(_bureau()))).to_json_dict()
    assert d["unit_code"] == CODE and "unit_code_typed" not in d
    assert not [f for f in d["findings"] if f["code"] == "V211"]


def test_a_code_of_invisible_characters_only_is_not_filled(write_filled):
    a = assess(write_filled(_bureau("\u200b\u200b")))
    assert [f.code for f in a.findings if f.sheet == "基本信息"] == ["V201"]
    assert unit_result(a).to_json_dict()["unit_code"] == ""


@pytest.mark.parametrize("typed, what, normal", [
    ("郑州市金水区\u200b人民政府", "不可见字符", DEPT),
    ("\ufeff郑州市金水区人民政府", "不可见字符", DEPT),
    ("郑州市\u3000金水区人民政府", "空格", DEPT),  # an ideographic space inside
    ("郑州市 金水区\u00a0人民政府", "空格", DEPT),
    ("郑州市第１２中学（本级）", "全角字母或数字", "郑州市第12中学（本级）"),  # full-width brackets stay
])
@pytest.mark.slow
def test_a_dept_typed_another_way_is_v211_saying_what_to_type(write_filled, typed, what, normal):
    """A 主管部门 typed in another form was matched as the same group but not reported: V211 says
    what was typed, what it is grouped as and what to type, as it does for a code."""
    a = assess(write_filled(_bureau(dept=typed)))
    (v211,) = [f for f in a.findings if f.code == "V211"]
    assert v211.level == "警告" and what in v211.message and f"改为“{normal}”" in v211.message
    assert v211.expected == normal and v211.cell == "B5" and v211.message.startswith("主管部门")
    assert "[U+" in v211.actual or typed.strip() in v211.actual


@pytest.mark.parametrize("dept", [DEPT, "郑州市金水区人民政府（本级）", "郑州市金水区人民政府(本级)", " 郑州市金水区人民政府 "])
@pytest.mark.slow
def test_a_dept_written_as_names_are_written_is_no_finding(write_filled, dept):
    """Brackets full-width or half-width and spaces around the name are how names are typed."""
    assert not [f for f in assess(write_filled(_bureau(dept=dept))).findings if f.code == "V211"]


@pytest.mark.slow
def test_the_summary_shows_a_dept_group_as_it_should_be_written(tmp_path):
    """The group of a 主管部门 typed with full-width digits first is shown as V211 says to write it."""
    first = _bureau(dept="郑州市第１２中学")
    other = make_samples.subdistrict()
    other.basic["主管部门"] = "郑州市第12中学"
    out = _batch(tmp_path, "b", first, other)
    rows = [r for r in _rows(out / "审核汇总.xlsx", "主管部门合计")[2:] if r[0] and r[0] != "合计"]
    assert [(r[0], r[1]) for r in rows] == [("郑州市第12中学", 2)]
