"""Reading a submission: every figure the sample script filled in comes back, with its address."""

from __future__ import annotations

import pandas as pd
import pytest

from selfeval_xl.check.read import ROW, read_submission
from selfeval_xl.core import names as S
from selfeval_xl.form.filling import CommonAnswer, Filling
from selfeval_xl.form.layout import default_layout

from .conftest import SAMPLES_DIR, make_samples, rezip


def _num(v):
    if isinstance(v, str):
        return v
    return None if v is None else float(v)


@pytest.mark.parametrize("name", list(make_samples.SAMPLES))
def test_sample_reads_back_as_filled(sample_files, rules, name):
    filling: Filling = make_samples.SAMPLES[name]()
    sub = read_submission(sample_files[name])
    planned = default_layout(rules, {k: len(v) for k, v in filling.own.items()})
    assert (planned.ind_first, planned.ind_last) == (sub.layout.ind_first, sub.layout.ind_last)
    edits = filling.edits(planned) if filling.edits else {}
    edited = {k for k in edits}

    # 基本信息
    for label, value in filling.basic.items():
        cell = sub.basic.cells[label]
        if (S.BASIC, cell) in edited:
            continue
        raw = sub.basic.raw[label]
        assert (str(raw) if label != "评价年度" else int(raw)) == value, label
    assert sub.basic.unit_name == filling.basic.get("部门(单位)名称", "")
    # 履职目标, 主要任务, 问题与改进
    assert sub.goals["年度履职目标"].tolist() == filling.goals
    assert [tuple(r) for r in sub.tasks[["任务名称", "主要内容", "完成情况"]].itertuples(index=False)] == filling.tasks
    assert [tuple(r) for r in sub.problems[list(S.PROBLEMS_HEADERS)].itertuples(index=False)] == filling.problems
    # 预算情况: every input as filled, blank where none was given
    budget = sub.budget
    for item in rules.budget:
        assert _num(budget.loc[item.label, "数值"]) == _num(filling.budget.get(item.key)), item.label
    # 绩效指标: the common rows' answers and the department's own rows, in order
    ind = sub.indicators
    by_name = {r[S.NAME]: r for r in sub.indicator_records}
    for common in rules.indicators:
        ans = filling.common.get(common.name, CommonAnswer())
        rec = by_name[common.name]
        assert _num(rec[S.WEIGHT]) == common.weight and rec[S.TARGET] == common.target
        if (S.INDICATORS, sub.ind_cell(S.SELF_SCORE, rec[ROW])) not in edited:
            assert _num(rec[S.SELF_SCORE]) == _num(ans.self_score), common.name
        if not common.rate:
            assert rec[S.ACTUAL] == ans.actual, common.name
    for level1, rows in filling.own.items():
        got = [r for r in sub.indicator_records if r[S.LEVEL1] == level1 and r[S.NAME] not in
               {c.name for c in rules.indicators}]
        assert [(r[S.LEVEL2], r[S.NAME], _num(r[S.WEIGHT]), r[S.TARGET]) for r in got] == \
            [(o.level2, o.name, _num(o.weight), o.target) for o in rows]
        for r, o in zip(got, rows, strict=True):
            assert _num(r[S.ACTUAL]) == _num(o.actual)
            if (S.INDICATORS, sub.ind_cell(S.SELF_SCORE, r[ROW])) not in edited:
                assert _num(r[S.SELF_SCORE]) == _num(o.self_score)
    assert list(ind.columns) == [*S.INDICATOR_HEADERS, ROW]
    assert len(ind) == len(rules.indicators) + sum(len(v) for v in filling.own.values())


def test_inserted_rows_are_read(sample_files, rules):
    """The school's 产出指标 has 15 rows, three more than the template's 12."""
    sub = read_submission(sample_files["03_文化路第一小学_2022.xlsx"])
    output = sub.indicators[sub.indicators[S.LEVEL1] == "产出指标"]
    assert len(output) == 15
    assert output[S.NAME].iloc[-1] == "教辅资料采购成本控制率"
    lay = sub.layout
    assert lay.ind_total_row == lay.ind_last + 1
    assert lay.ind_rows["社会公众满意度"] == lay.ind_last - 2  # the rows below moved down by three
    output_block = lay.ind_blocks[1]
    assert output_block.level1 == "产出指标" and output_block.footer - output_block.title == 16
    # the totals' formulas were read where they now are, and cover the longer block
    total_self = sub.formulas[(S.SUMMARY, "C7")]
    assert output_block.top == lay.ind_blocks[0].footer
    assert f"$G${output_block.top}:$G${output_block.footer}" in sub.formulas[(S.SUMMARY, "C5")].text
    assert total_self.has_saved


def test_a_row_typed_into_the_gap_above_a_title_is_the_block_belows(tmp_path, rules):
    """The white gap row above a free block's title (what a row inserted above the title copies) is
    inside the block's ranges: typed into, it is read, scored and summed in that block."""
    from selfeval_xl.check.assess import assess
    from selfeval_xl.core.formulas import Recalc
    from selfeval_xl.form.filling import Typed
    from selfeval_xl.form.template import all_formulas, write_template

    filling = make_samples.bureau()

    def edits(lay):
        gap = lay.ind_blocks[-1].title - 1
        assert gap in lay.ind_spacers and lay.ind_blocks[-2].footer == gap - 1
        typed = ("社会效益", "间隔行指标", 1, "≥90%", "95%", 1)
        return {(S.INDICATORS, f"{c}{gap}"): Typed(v) for c, v in zip("BCDEFG", typed, strict=True)}
    filling.edits = edits
    path = tmp_path / "gap.xlsx"
    write_template(path, filling=filling)
    sub = read_submission(path)
    rec = next(r for r in sub.indicator_records if r[S.NAME] == "间隔行指标")
    assert rec[S.LEVEL1] == "效益指标"
    row = next(r for r in assess(path).scores.rows if r.name == "间隔行指标")
    assert (row.category, row.verified) == ("效益指标", 1)
    form = Recalc(sub, all_formulas(rules, sub.layout))
    assert form.value(S.SUMMARY, sub.layout.sum_cell("自评得分", "效益指标")) == pytest.approx(31)


def test_addresses(sample_files):
    sub = read_submission(sample_files["01_杜岭街道办事处_2021.xlsx"])
    rec = next(r for r in sub.indicator_records if r[S.NAME] == "管理制度健全性")
    assert sub.ind_cell(S.ACTUAL, rec[ROW]) == f"F{rec[ROW]}"
    assert sub.basic.cells["单位编码"] == "B4"
    assert sub.budget.loc["调整预算数", ROW] == 8
    assert sub.layout.budget_cell("调整预算数") == "B8"


def test_formula_cells_keep_text_and_saved_value(sample_files):
    sub = read_submission(sample_files["01_杜岭街道办事处_2021.xlsx"])
    f = sub.formulas[(S.BUDGET, sub.layout.budget_cell("预算调整率"))]
    assert f.text.startswith('=IF(COUNT(') and "ABS(" in f.text
    assert f.has_saved and f.saved == pytest.approx((4259.4 - 2181.72) / 2181.72)
    # the value frame holds the saved value too
    assert sub.budget.loc["预算调整率", "数值"] == pytest.approx(0.952313, abs=1e-6)


def test_frames_are_object_dtype_and_typed_fields(sample_files):
    sub = read_submission(sample_files["02_市场监督管理局_2023.xlsx"])
    assert all(dt == object for dt in sub.indicators.dtypes)  # noqa: E721 - values as read, not coerced
    assert isinstance(sub.goals, pd.DataFrame) and isinstance(sub.summary, pd.DataFrame)
    assert sub.basic.year == 2023 and sub.basic.unit_code == "410105021"  # text, leading digits kept
    assert sub.summary.loc["预算执行", "权重分值"] == 10


def _rewrite(src, dst, sheet_xml_edit):
    """Copy a workbook, editing the XML of every worksheet part (what another program might save)."""
    def change(parts):
        for name in parts:
            if name.startswith("xl/worksheets/sheet"):
                parts[name] = sheet_xml_edit(parts[name].decode("utf-8")).encode("utf-8")
    rezip(src, dst, change)


def test_labels_found_despite_fullwidth_and_marks(tmp_path, sample_files):
    """Labels typed with full-width brackets, curly quotes, '*' or '：' are still found."""
    src = sample_files["02_市场监督管理局_2023.xlsx"]
    dst = tmp_path / "edited.xlsx"

    def edit(xml):
        return (xml.replace(">部门(单位)名称<", ">部门（单位）名称*<")
                .replace(">调整预算数<", ">调整预算数：<")
                .replace('>"三公经费"预算数<', ">“三公经费”预算数<"))
    _rewrite(src, dst, edit)
    sub = read_submission(dst)
    assert sub.basic.unit_name == "郑州市金水区市场监督管理局"
    assert sub.budget.loc["调整预算数", "数值"] == 3902.15
    assert sub.budget.loc['"三公经费"预算数', "数值"] == 12.5
    assert not any(info.missing for info in sub.structure.values())


def test_committed_samples_are_what_the_script_makes(sample_files):
    for name, fresh in sample_files.items():
        assert (SAMPLES_DIR / name).read_bytes() == fresh.read_bytes(), \
            f"samples/{name} is stale: run `python scripts/make_samples.py`"
