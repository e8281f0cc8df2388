"""A real spreadsheet program computes the template's formulas as we do.

LibreOffice opens the blank template and every sample whose saved values were all replaced by
nonsense, recalculates everything, and saves; every formula value it computed must equal the
rates and totals the rules give, and our own recomputation of the same workbook.
"""

from __future__ import annotations

import pytest

from selfeval_xl.check.interpret import interpret
from selfeval_xl.check.read import read_submission
from selfeval_xl.core import names as S
from selfeval_xl.core.formulas import ExcelError, Recalc
from selfeval_xl.form.filling import Filling, SavedValue
from selfeval_xl.form.template import all_formulas, write_template

from .conftest import make_samples
from .libreoffice import convert

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory, rules):
    """name -> (the filling, LibreOffice's recalculated copy)."""
    src = tmp_path_factory.mktemp("lo-src")
    files, fillings = [], {}
    blank = src / "blank.xlsx"
    write_template(blank)
    files.append(blank)
    zeros = src / "zeros.xlsx"  # every budget input 0: the rates' 0/0 rule
    write_template(zeros, filling=Filling(budget=dict.fromkeys((b.key for b in rules.budget), 0)))
    files.append(zeros)
    for name, make in make_samples.SAMPLES.items():
        filling = make()
        own = filling.edits

        def nonsense(lay, own=own):
            edits = {k: SavedValue(12345.0) for k in all_formulas(rules, lay)}
            edits.update(own(lay) if own else {})  # the sample's own mistakes stay
            return edits
        filling.edits = nonsense
        path = src / name
        write_template(path, filling=filling)
        files.append(path)
        fillings[name] = make()
    outs = convert(files, tmp_path_factory.mktemp("lo-out"))
    return {"blank": (None, outs[0]), "zeros": (None, outs[1]),
            **{n: (fillings[n], o) for n, o in zip(fillings, outs[2:], strict=True)}}


def _rates(sub):
    return {r["label"]: r["数值"] for r in sub.budget_records}


def test_blank_template_computes_in_libreoffice(recalculated):
    sub = read_submission(recalculated["blank"][1])
    assert set(_rates(sub).values()) <= {None, ""}  # no rate before its inputs
    assert sub.summary.loc["合计", "权重分值"] == 100
    assert sub.summary.loc["合计", "自评得分"] == 0
    assert sub.summary.loc["自评等级", "权重分值"] in (None, "")


def test_zero_over_zero_in_libreoffice(recalculated):
    rates = _rates(read_submission(recalculated["zeros"][1]))
    assert rates["预算执行率"] == 1 and rates['"三公经费"控制率'] == 1  # 0/0 counts as 100%
    assert rates["预算调整率"] == 0 and rates["结转结余率"] == 0  # ... and as 0% for the "at most" rates


def test_rates_and_totals_in_libreoffice(recalculated, rules):
    filling, path = recalculated["02_市场监督管理局_2023.xlsx"]
    sub = read_submission(path)
    b = filling.budget
    rates = _rates(sub)
    assert rates["预算执行率"] == pytest.approx(b["预算执行数"] / b["调整预算数"])
    assert rates["预算调整率"] == pytest.approx(abs(b["调整预算数"] - b["年初预算数"] - b["政策性调整剔除数"]) / b["年初预算数"])
    assert rates["结转结余率"] == pytest.approx(b["结转结余总额"] / b["调整预算数"])
    assert rates['"三公经费"控制率'] == pytest.approx(b["三公经费实际支出数"] / b["三公经费预算数"])
    assert rates["政府采购执行率"] == pytest.approx(b["实际政府采购金额"] / b["政府采购预算数"])
    assert rates["专项资金细化率"] == pytest.approx(b["已细化专项资金数"] / b["专项资金分配总数"])
    assert rates["评价结果应用率"] == pytest.approx(b["已采纳意见建议数"] / b["评价提出意见建议数"])
    # the rates flow into 绩效指标's 实际完成值
    actual = {r[S.NAME]: r[S.ACTUAL] for r in sub.indicator_records}
    assert actual["预算执行率"] == pytest.approx(rates["预算执行率"])
    assert sub.summary.loc["预算执行", "自评得分"] == pytest.approx(9.71)
    assert sub.summary.loc["合计", "自评得分"] == pytest.approx(99.71)
    assert sub.summary.loc["自评等级", "权重分值"] == "优"


def test_inserted_rows_and_not_applicable_in_libreoffice(recalculated):
    school = read_submission(recalculated["03_文化路第一小学_2022.xlsx"][1])
    assert school.summary.loc["产出指标", "自评得分"] == pytest.approx(40)  # all 15 rows counted
    hospital = read_submission(recalculated["04_金水区人民医院_2023.xlsx"][1])
    # one 不适用 row of 分值 4: the self total is rescaled to the 96 applicable points
    self_sum = sum(hospital.summary.loc[c, "自评得分"] for c in ("预算执行", "投入管理", "产出指标", "效益指标"))
    assert hospital.summary.loc["合计", "自评得分"] == pytest.approx(round(self_sum / 96 * 100, 2))


@pytest.mark.parametrize("name", ["blank", "zeros", *make_samples.SAMPLES])
def test_every_formula_value_matches_our_recomputation(recalculated, rules, name):
    """Every formula the template holds, the 自查 block's included, as LibreOffice computes it."""
    sub = read_submission(recalculated[name][1])
    formulas = all_formulas(rules, sub.layout)
    interp = interpret(sub, rules)
    recalc = Recalc(sub, {k: e for k, e in formulas.items() if k not in interp.formulas or k in interp.recalc_intact})
    checked = 0
    for key, f in sub.formulas.items():
        if key not in formulas:
            continue
        ours = recalc.value(*key)
        if isinstance(ours, ExcelError):
            assert isinstance(f.saved, ExcelError) and f.saved.code == ours.code, key
        elif ours in (None, ""):
            assert f.saved in (None, "", 0.0) or not f.has_saved, key
        elif isinstance(ours, str):
            assert f.saved == ours, key
        else:
            assert f.saved == pytest.approx(ours, abs=1e-9), key
        checked += 1
    assert checked >= 45


def test_scored_copies_open_in_libreoffice(sample_files, tmp_path):
    """LibreOffice loads every scored copy and keeps what we wrote: values, comments, the result sheet."""
    import openpyxl

    from selfeval_xl.check.assess import assess
    from selfeval_xl.outputs.scored_copy import write_scored_copy

    copies, assessments = [], []
    for path in sample_files.values():
        a = assess(path)
        assessments.append(a)
        copies.append(write_scored_copy(a, tmp_path / "scored"))
    outs = convert(copies, tmp_path / "lo", recalc=False)
    for a, out in zip(assessments, outs, strict=True):
        wb = openpyxl.load_workbook(out)
        assert S.RESULTS in wb.sheetnames
        ws = wb[S.INDICATORS]
        for r in a.scores.rows:
            assert ws.cell(r.row, 10).value == r.verified or (r.verified is None and ws.cell(r.row, 10).value is None)
        commented = {(f.sheet, f.cell) for f in a.findings if f.cell}
        for sheet, cell in commented:
            assert wb[sheet][cell].comment is not None, (sheet, cell)
        assert wb[S.RESULTS].max_row >= 3 + len(a.findings)


def test_summary_opens_and_its_charts_render(sample_files, tmp_path):
    """LibreOffice renders the summary workbook, charts included (their titles exist only in the charts)."""
    import subprocess

    from selfeval_xl.batch.run import run_batch
    from selfeval_xl.batch.tasks import BatchOptions

    indir = tmp_path / "in"
    indir.mkdir()
    for p in sample_files.values():
        (indir / p.name).write_bytes(p.read_bytes())
    run_batch(indir, tmp_path / "out", BatchOptions(jobs=1))
    pdf = convert([tmp_path / "out" / "审核汇总.xlsx"], tmp_path / "pdf", "pdf", recalc=False)[0]
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "部门整体支出绩效自评 审核汇总" in text
    assert "各等级单位数" in text and "各分数段单位数" in text
    assert "郑州市金水区杜岭街道办事处" in text and "91.54" in text


def test_saved_values_are_what_the_engines_compute(sample_files, tmp_path):
    """Every formula cell of every sample, the template's and those a clerk typed (sample 05's
    "=E50/0" over a 指标值 of text: #VALUE!, not #DIV/0!), saves the value LibreOffice and Gnumeric
    compute for it; except the value sample 04 saves stale on purpose (X303)."""
    from selfeval_xl.form.layout import default_layout
    from selfeval_xl.rules.model import load_rules

    from . import gnumeric

    files = list(sample_files.values())
    engines = {"LibreOffice": convert(files, tmp_path / "lo")}
    if gnumeric.available() is None:
        engines["Gnumeric"] = gnumeric.recalc(files, tmp_path / "gn")

    def shown(v):
        if isinstance(v, ExcelError):
            return v.code
        return "" if v is None else round(v, 9) if isinstance(v, float) else v

    for i, path in enumerate(files):
        filling = make_samples.SAMPLES[path.name]()
        lay = default_layout(load_rules(), {k: len(v) for k, v in filling.own.items()})
        stale = {k for k, e in (filling.edits(lay) if filling.edits else {}).items() if isinstance(e, SavedValue)}
        saved = {k: shown(f.saved) for k, f in read_submission(path).formulas.items() if k not in stale}
        assert len(saved) >= 50
        for engine, outs in engines.items():
            computed = read_submission(outs[i]).formulas
            assert {k: shown(computed[k].saved) if k in computed else "absent" for k in saved} == saved, (engine, path.name)


def test_our_evaluator_computes_as_the_engines_do(tmp_path):
    """The evaluator against LibreOffice and Gnumeric on what the template's formulas meet: text in
    arithmetic (only what reads as a number converts: not Python's "1_000" or "inf"), which error
    wins, comparisons across types, the COUNT family over errors and blanks, the text functions of
    the 评价年度 check, and array formulas."""
    import openpyxl
    import xlsxwriter

    from selfeval_xl.core.formulas import Area, Array, BinOp, Call, Num, Ref, Str

    from . import gnumeric

    inputs = [5, "abc", None, "2024", " 2024 ", "1_000", "inf", "50%", "1,000", "2024年", "=1/0", "=NA()", -3]
    a = {i + 1: Ref(None, f"A{i + 1}", home="S") for i in range(len(inputs))}
    rng = Area(None, "A1", f"A{len(inputs)}", home="S")
    nums = Area(None, "A1", "A10", home="S")
    tests = [
        *(BinOp("*", a[i], Num(1)) for i in (2, 4, 5, 6, 7, 8, 9)),
        BinOp("/", a[2], Num(0)), BinOp("+", a[11], a[12]), BinOp("+", a[12], a[11]), BinOp("/", a[10], Num(0)),
        BinOp(">", a[2], a[1]), BinOp("=", a[3], Num(0)), BinOp("=", a[3], Str("")), BinOp("<", a[13], a[3]),
        BinOp(">", a[11], Num(0)), Call("ISNUMBER", (a[4],)),  # (Gnumeric's IF("abc",…) is FALSE, Excel's #VALUE!)
        Call("COUNTA", (rng,)), Call("COUNT", (rng,)), Call("COUNTIF", (rng, Str(""))), Call("COUNTIF", (rng, Str("<0"))),
        Call("COUNTIFS", (nums, Str(""), nums, Str(""))), Call("SUM", (rng,)), Call("SUM", (nums,)),
        Call("VALUE", (a[5],)), Call("VALUE", (a[2],)), Call("VALUE", (a[8],)), Call("INT", (Num(-2.5),)),
        Call("LEFT", (a[10], Num(4))), Call("MID", (a[10], Num(5), Num(9))), Call("LEN", (a[1],)),
        Call("FIND", (Str("b"), a[2])), Call("FIND", (Str("z"), a[2])), Call("SUBSTITUTE", (a[2], Str("b"), Str("x"))),
        Call("TRIM", (Call("CLEAN", (Str(" a \t b "),)),)), Call("ROUND", (Num(2.675), Num(2))),
        Call("IFERROR", (a[11], Str("err"))), Call("ABS", (a[13],)), Call("NOT", (a[3],)),
        Array(Call("SUM", (BinOp("*", Call("ISERROR", (rng,)), Num(1)),))),
        Array(Call("SUM", (Call("IF", (Call("ISNUMBER", (rng,)), BinOp("*", BinOp(">", rng, Num(3)), Num(1)), Num(0))),))),
        Array(Call("SUM", (BinOp("*", BinOp("<>", nums, Str("")), Num(1)),))),
        Array(Call("SUM", (BinOp("*", BinOp("<>", rng, Str("")), Num(1)),))),
        Array(Call("IFERROR", (Call("SUM", (BinOp("*", BinOp("<>", rng, Str("")), Num(1)),)), Num(-1)))),
        Array(Call("SUM", (Call("IFERROR", (BinOp("*", BinOp("<>", rng, Str("")), Num(1)), Num(0))),))),
    ]
    src = tmp_path / "probe.xlsx"
    wb = xlsxwriter.Workbook(str(src), {"strings_to_numbers": False, "strings_to_formulas": False})
    ws = wb.add_worksheet("S")
    values: dict[int, object] = {}
    for i, v in enumerate(inputs):
        if isinstance(v, str) and v.startswith("="):
            ws.write_formula(i, 0, v)
            values[i + 1] = ExcelError("#DIV/0!" if "/0" in v else "#N/A")
        elif v is not None:
            ws.write(i, 0, v) if not isinstance(v, str) else ws.write_string(i, 0, v)
            values[i + 1] = v
    for i, e in enumerate(tests):
        if isinstance(e, Array):
            ws.write_array_formula(i, 2, i, 2, "{=" + e.excel() + "}")
        else:
            ws.write_formula(i, 2, "=" + e.excel())
    wb.close()

    class Inputs:
        def value_at(self, sheet, row, col):
            return values.get(row) if col == 1 else None

    def shown(v):
        if isinstance(v, ExcelError):
            return v.code
        if isinstance(v, bool):
            return v
        return "" if v is None else round(float(v), 9) if isinstance(v, (int, float)) else v

    ours = [shown(e.eval(Inputs())) for e in tests]
    engines = {"LibreOffice": convert([src], tmp_path / "lo")[0]}
    if gnumeric.available() is None:
        engines["Gnumeric"] = gnumeric.recalc([src], tmp_path / "gn")[0]
    for engine, out in engines.items():
        sheet = openpyxl.load_workbook(out, data_only=True)["S"]
        got = [shown(ExcelError(v) if isinstance(v, str) and v.startswith("#") else v)
               for v in (sheet.cell(i + 1, 3).value for i in range(len(tests)))]
        assert {tests[i].excel(): (got[i], ours[i]) for i in range(len(tests)) if got[i] != ours[i]} == {}, engine
