"""The clerk's loop in LibreOffice itself (issue 8): rows inserted with Calc's own Insert Rows command
on the committed template's layout, values typed, the workbook recalculated and saved; then the
form's own totals and 自查 are compared with ``check``.

Insertion: at every position of every free block (under the title row, in the middle, several at
once, after the last own row, above the first common row) and in the lists, the form's 自评 totals
equal what was typed, ``check`` scores the rows as typed and finds nothing wrong.

自查: the common mistakes, one at a time, typed into the clean sample: the form's 自查 sees each,
and whenever it counts nothing ``check`` finds no error a formula could have seen (``form_sees``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from selfeval_xl.check.assess import assess
from selfeval_xl.check.interpret import interpret
from selfeval_xl.check.read import read_submission
from selfeval_xl.core import names as S
from selfeval_xl.core.formulas import ExcelError, Recalc
from selfeval_xl.form.checks import form_checks, form_sees
from selfeval_xl.form.filling import Filling, OwnIndicator
from selfeval_xl.form.layout import Layout, default_layout
from selfeval_xl.form.template import _check_rows, all_formulas, write_template
from selfeval_xl.rules.model import load_rules

from . import gnumeric
from .clerk import Insert, Job, Type, available, clerk
from .conftest import make_samples

pytestmark = [pytest.mark.libreoffice, pytest.mark.skipif(available() is not None, reason=str(available()))]

OUT, EFFECT = "产出指标", "效益指标"


# ---------------------------------------------------------------------------------------------
# Inserting rows


@dataclass
class Case:
    """Rows to insert: (一级指标, where in its block, "above"/"below", how many), in order."""

    name: str
    inserts: list[tuple[str, str, str, int]]
    typed: list[str] = field(default_factory=list)  # the names typed into the inserted rows


CASES = [
    # step 6 of 填报说明 at each free block's title row, both ways (issue 18: above the title, the row
    # copied the locked 小计 above it and fell outside every range)
    Case("产出: above the title row", [(OUT, "title", "above", 1)]),
    Case("产出: two above the title row", [(OUT, "title", "above", 2)]),
    Case("效益: above the title row", [(EFFECT, "title", "above", 1)]),
    Case("效益: below the title row", [(EFFECT, "title", "below", 1)]),
    Case("产出: above its first row", [(OUT, "first", "above", 1)]),
    Case("产出: two at once in the middle", [(OUT, "middle", "above", 2)]),
    Case("产出: below its last row", [(OUT, "last", "below", 1)]),
    Case("产出: below the title row", [(OUT, "title", "below", 1)]),
    Case("效益: above its first row", [(EFFECT, "first", "above", 1)]),
    Case("效益: in the middle", [(EFFECT, "middle", "above", 1)]),
    Case("效益: below its last own row", [(EFFECT, "last", "below", 1)]),
    Case("效益: above the first common row", [(EFFECT, "common", "above", 1)]),
    Case("the issue: two in 产出's middle, one above 效益's first row",
         [(EFFECT, "first", "above", 1), (OUT, "middle", "above", 2)]),
]


def _own(prefix: str, total: float, n: int) -> list[OwnIndicator]:
    """n rows adding up to ``total``, every target met, every self score full."""
    each = round(total / n, 1)
    weights = [each] * (n - 1) + [round(total - each * (n - 1), 1)]
    return [OwnIndicator("数量指标", f"{prefix}{i + 1}", w, "≥90%", "95%", w) for i, w in enumerate(weights)]


def _base(path: Path, extra: dict[str, int]) -> Layout:
    """The clean sample's answers with every free row of the template used, leaving 1 point for each
    row to be inserted."""
    filling: Filling = make_samples.bureau()
    filling.own = {OUT: _own("产出", 40 - extra.get(OUT, 0), 12), EFFECT: _own("效益", 14 - extra.get(EFFECT, 0), 8)}
    return write_template(path, filling=filling)


def _row(lay: Layout, level1: str, where: str) -> int:
    block = next(b for b in lay.ind_blocks if b.level1 == level1)
    own = [r for r in range(block.title + 1, block.footer) if not lay.ind_plan[r].common]
    common = [r for r in range(block.title + 1, block.footer) if lay.ind_plan[r].common]
    return {"title": block.title, "first": own[0], "middle": own[len(own) // 2], "last": own[-1],
            "common": common[0] if common else block.footer}[where]


def _steps(lay: Layout, case: Case) -> list[Insert | Type]:
    """Insert as the case says, then type an indicator of 1 point into each new row."""
    steps: list[Insert | Type] = []
    shifts: list[tuple[int, int]] = []  # (row at the time, rows inserted there)

    def now(row: int) -> int:
        for at, n in shifts:
            if row >= at:
                row += n
        return row

    new_rows = []
    for level1, where, side, n in case.inserts:
        row = now(_row(lay, level1, where))
        col = "G" if where != "title" else "C"  # any unlocked cell of the row
        steps.append(Insert(S.INDICATORS, f"{col}{row}", n, side))
        first_new = row if side == "above" else row + n
        new_rows = [(r, lvl) for r, lvl in ((now_r + n if now_r >= first_new else now_r, lvl) for now_r, lvl in new_rows)]
        shifts.append((first_new, n))
        new_rows += [(first_new + i, level1) for i in range(n)]
    for i, (r, level1) in enumerate(new_rows):
        name = f"插入的{level1[:2]}指标{i + 1}"
        case.typed.append(name)
        for col, value in zip("BCDEFG", ("数量指标", name, 1, "≥90%", "95%", 1), strict=True):
            steps.append(Type(S.INDICATORS, f"{col}{r}", value))
    return steps


@pytest.fixture(scope="module")
def inserted(tmp_path_factory):
    """case name -> (the case, the clerk's report, the saved workbook)."""
    tmp = tmp_path_factory.mktemp("clerk-insert")
    jobs, cases = [], []
    for i, case in enumerate(CASES):
        extra = {}
        for level1, _, _, n in case.inserts:
            extra[level1] = extra.get(level1, 0) + n
        src = tmp / f"base{i}.xlsx"
        lay = _base(src, extra)
        jobs.append(Job(src, tmp / f"filled{i}.xlsx", _steps(lay, case)))
        cases.append(case)
    reports = clerk(jobs)
    return {c.name: (c, r, j.dst) for c, r, j in zip(cases, reports, jobs, strict=True)}


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_inserted_rows_count_in_their_block(inserted, name):
    case, report, path = inserted[name]
    # LibreOffice inserted every row asked for, and each cell the clerk needed was typeable
    wanted = [n for _, _, _, n in case.inserts]
    assert [s["inserted"] for s in report["steps"] if "insert" in s] == wanted
    assert not [s["type"] for s in report["steps"] if s.get("locked")]
    # the form's own totals, as LibreOffice recalculated them
    form = read_submission(path).summary
    assert form.loc[OUT, "自评得分"] == pytest.approx(40)
    assert form.loc[EFFECT, "自评得分"] == pytest.approx(30)
    total = form.loc["合计", "自评得分"]
    assert total == pytest.approx(sum(form.loc[c, "自评得分"] for c in ("预算执行", "投入管理", OUT, EFFECT)))
    # check: nothing wrong, every row scored in its block as typed
    a = assess(path)
    assert [f for f in a.findings if f.level_key != "info"] == []
    sc = a.scores
    assert {c.name: c.verified for c in sc.categories}[OUT] == pytest.approx(40)
    assert {c.name: c.verified for c in sc.categories}[EFFECT] == pytest.approx(30)
    assert sc.total == pytest.approx(total) and sc.self_total == pytest.approx(total)  # self scores are right
    rows = {r.name: r for r in sc.rows}
    for typed in case.typed:
        level1 = OUT if "产出" in typed else EFFECT
        assert rows[typed].level1 == level1 and rows[typed].category == level1 and rows[typed].verified == 1


def test_rows_inserted_where_the_words_do_not_say_change_nothing(tmp_path):
    """Above the white gap row before a title, or below a 小计, the new row copies the locked 小计: no
    cell of it can be typed, and the form and check agree there is nothing in it."""
    src = tmp_path / "base.xlsx"
    lay = _base(src, {})
    block = next(b for b in lay.ind_blocks if b.level1 == EFFECT)
    spacer = block.title - 1
    assert spacer in lay.ind_spacers
    steps = [Insert(S.INDICATORS, f"C{spacer}"), *(Type(S.INDICATORS, f"{col}{spacer}", 1) for col in "BCDEFG")]
    # both jobs in one LibreOffice (each job opens its own copy of src)
    report, refused = clerk([Job(src, tmp_path / "out.xlsx", steps),
                             Job(src, tmp_path / "out2.xlsx", [Insert(S.INDICATORS, f"A{block.title + 1}")])])
    assert report["steps"][0]["inserted"] == 1 and all(step["locked"] for step in report["steps"][1:])
    a = assess(tmp_path / "out.xlsx")
    assert [f for f in a.findings if f.level_key != "info"] == [] and a.scores.total == 99.71
    assert read_submission(tmp_path / "out.xlsx").summary.loc["合计", "自评得分"] == pytest.approx(99.71)
    # a locked first cell refuses the command, as LibreOffice refuses a person
    assert refused["steps"][0]["inserted"] == 0


def test_rows_inserted_in_the_lists_are_read(tmp_path, sample_files):
    """履职目标, 主要任务, 问题与改进: above the first item, in the middle, after the last."""
    src = sample_files["02_市场监督管理局_2023.xlsx"]
    sub = read_submission(src)
    goals = sub.goals["年度履职目标"].tolist()
    first = int(sub.goals["行号"].iloc[0])
    steps = [
        Insert(S.GOALS, f"B{first}"), Type(S.GOALS, f"B{first}", "新的第一条目标"),
        Insert(S.GOALS, f"B{first + 2}"), Type(S.GOALS, f"B{first + 2}", "插在中间的目标"),
        Insert(S.GOALS, f"B{first + len(goals) + 1}", where="below"),
        Type(S.GOALS, f"B{first + len(goals) + 2}", "最后一条目标"),
        Insert(S.TASKS, f"B{first}"), Type(S.TASKS, f"B{first}", "新任务"), Type(S.TASKS, f"C{first}", "内容"),
        Insert(S.PROBLEMS, f"A{first}"), Type(S.PROBLEMS, f"A{first}", "新问题"), Type(S.PROBLEMS, f"C{first}", "措施"),
        Type(S.PROBLEMS, f"A{first - 1}", "写在表头下空行的问题"),
    ]
    report = clerk([Job(src, tmp_path / "out.xlsx", steps)])[0]
    assert not [s for s in report["steps"] if s.get("locked") or s.get("inserted") == 0]
    got = read_submission(tmp_path / "out.xlsx")
    assert got.goals["年度履职目标"].tolist() == ["新的第一条目标", goals[0], "插在中间的目标", *goals[1:], "最后一条目标"]
    assert got.tasks["任务名称"].tolist()[0] == "新任务"
    assert got.problems["主要问题"].tolist()[:2] == ["写在表头下空行的问题", "新问题"]


# ---------------------------------------------------------------------------------------------
# The form's 自查 against check


def _mistakes(lay: Layout) -> dict[str, list[Type]]:
    """The common mistakes of findings.md, each as what a clerk types into the clean sample."""
    b = {label: f"B{row}" for label, row in lay.budget_rows.items()}
    block = next(x for x in lay.ind_blocks if x.level1 == OUT)
    own = block.title + 1
    quali = lay.ind_rows["年度履职目标相关性"]
    execution = lay.ind_rows["预算执行率"]
    free = next(r for r in range(block.title + 1, block.footer) if r > own + 8)  # an unused own row

    def ind(cell: str, value) -> Type:
        return Type(S.INDICATORS, cell, value)

    def budget(label: str, value) -> Type:
        return Type(S.BUDGET, b[label], value)

    return {
        "单位编码 cleared": [Type(S.BASIC, f"B{lay.basic_rows['单位编码']}", None)],
        "评价年度 not a year": [Type(S.BASIC, f"B{lay.basic_rows['评价年度']}", 23)],
        "调整预算数 cleared": [budget("调整预算数", None)],
        "年初预算数 in words": [budget("年初预算数", "三千多万")],
        "结转结余总额 negative": [budget("结转结余总额", -5)],
        "财政性资金 + 其他资金 off": [budget("其中：其他资金", 200)],
        # issue 18 item 8: a part still blank, those there already over the total (B401/B402 at once)
        "财政性资金 over 年初预算数 0, 其他资金 blank": [budget("年初预算数", 0), budget("其中：财政性资金", 90),
                                                budget("其中：其他资金", None)],
        "基本支出 over 年初预算数, 项目支出 blank": [budget("其中：基本支出", 4000), budget("其中：项目支出", None)],
        "项目支出 blank, 基本支出 under 年初预算数": [budget("其中：项目支出", None)],
        "基本支出 + 项目支出 off": [budget("其中：项目支出", 800)],
        "预算执行数 above 调整预算数": [budget("预算执行数", 5000)],
        "政府采购预算数 0": [budget("政府采购预算数", 0)],
        "a formula dividing by 0": [budget("项目总数", "=1/0")],
        "产出 weights off": [ind(f"D{own}", 7)],
        "an own row's name cleared": [ind(f"C{own}", None)],
        "an own row's name cleared, an error value in the row below": [ind(f"C{own}", None), ind(f"G{own + 1}", "=1/0")],
        "an own row without 指标值": [ind(f"C{free}", "新指标"), ind(f"D{free}", 0), ind(f"F{free}", "1件"),
                                   ind(f"G{free}", 0)],
        "self score above 分值": [ind(f"G{own}", 7)],
        "self score below 0": [ind(f"G{own}", -1)],
        "self score in words": [ind(f"G{own}", "满分")],
        "qualitative below its band": [ind(f"F{quali}", "基本相关")],
        "self score cleared": [ind(f"G{own}", None)],
        "不适用 without a reason": [ind(f"F{own}", "不适用"), ind(f"H{own}", None)],
        "预算执行率 low without a reason": [budget("预算执行数", 3000), ind(f"H{execution}", None)],
    }


#: what clerks type into 评价年度 (``check`` reads "2024年", "2024年度" and " 2023 " as years)
YEARS = ("2024年", "2024年度", " 2023 ", "24年", "二〇二三年", "2023.5", "约2023", "2023年底")


def _text_in_number_cells(lay: Layout, rules) -> dict[str, list[Type]]:
    """Text in every number cell of 基本信息 and 预算情况, one cell at a time, and the issue's case."""
    basic = {label: f"B{row}" for label, row in lay.basic_rows.items()}
    out = {f"评价年度 {y!r}": [Type(S.BASIC, basic["评价年度"], y)] for y in YEARS}
    out["填报日期 in words"] = [Type(S.BASIC, basic["填报日期"], "2024年3月")]
    out["the issue: 评价年度 2024年, 名称 and 主管部门 blank"] = [
        Type(S.BASIC, basic["评价年度"], "2024年"), Type(S.BASIC, basic["部门(单位)名称"], None),
        Type(S.BASIC, basic["主管部门"], None)]
    out["名称 a full-width space, 评价年度 in words"] = [
        Type(S.BASIC, basic["部门(单位)名称"], "\u3000"), Type(S.BASIC, basic["评价年度"], "二〇二三年")]
    for item in rules.budget:
        out[f"{item.label} 见附表"] = [Type(S.BUDGET, f"B{lay.budget_rows[item.label]}", "见附表")]
    out["every budget input 见附表"] = [Type(S.BUDGET, f"B{lay.budget_rows[i.label]}", "见附表") for i in rules.budget]
    return out


@pytest.fixture(scope="module")
def walked(tmp_path_factory, sample_files):
    """mistake -> the saved workbook (LibreOffice recalculated), plus "clean"."""
    tmp = tmp_path_factory.mktemp("clerk-walk")
    src = sample_files["02_市场监督管理局_2023.xlsx"]
    lay = read_submission(src).layout
    assert lay.ind_blocks == default_layout(load_rules()).ind_blocks  # the clean sample has the template's rows
    mistakes = {"clean": [], **_mistakes(lay), **_text_in_number_cells(lay, load_rules())}
    assert len(mistakes) == 1 + len(_mistakes(lay)) + len(_text_in_number_cells(lay, load_rules()))  # no name twice
    jobs = [Job(src, tmp / f"m{i}.xlsx", steps) for i, steps in enumerate(mistakes.values())]
    clerk(jobs)
    return {name: job.dst for name, job in zip(mistakes, jobs, strict=True)}


def _self_check(path: Path, rules) -> tuple[dict[str, tuple[str, tuple[str, ...], float]], str]:
    """The 自查 block as LibreOffice computed it: title -> (level, codes, count), and the verdict."""
    sub = read_submission(path)
    checks = form_checks(rules, sub.layout)
    _, _, rows, verdict_row = _check_rows(sub.layout, checks)
    counts = {c.title: (c.level, c.codes, sub.value(S.SUMMARY, f"C{r}") or 0) for r, c in rows.items()}
    return counts, str(sub.value(S.SUMMARY, f"C{verdict_row}"))


_LAYOUT = default_layout(load_rules())


@pytest.mark.parametrize("mistake", ["clean", *_mistakes(_LAYOUT), *_text_in_number_cells(_LAYOUT, load_rules())])
def test_the_form_sees_what_check_finds(walked, rules, mistake):
    path = walked[mistake]
    form, verdict = _self_check(path, rules)
    counted = {code for level, codes, n in form.values() if n for code in codes}
    form_errors = {title for title, (level, _, n) in form.items() if n and level == "error"}
    findings = [f for f in assess(path).findings if f.level_key in ("error", "warning")]
    seen_by_form = [f for f in findings if form_sees(f)]
    # whatever check finds that a formula could see, the form counts, and never says 未发现问题
    assert {f.code for f in seen_by_form} <= counted, (mistake, seen_by_form, form)
    if any(f.level_key == "error" for f in seen_by_form):
        assert "未发现问题" not in verdict and "没有须改正" not in verdict, (mistake, verdict)
    if mistake == "clean":
        assert not counted and not findings
    elif mistake in _mistakes(_LAYOUT):
        # ... and the form is not blind: the mistake shows as something to correct or to add
        assert counted, (mistake, findings)
        assert seen_by_form, (mistake, findings)
    else:
        # text in a number cell: the form says 须改正 exactly when check finds an error there
        # ("2024年" is a year to both, "见附表" an error to both)
        assert bool(form_errors) == any(f.level_key == "error" for f in seen_by_form), (mistake, form, findings)


#: what a clerk may type into 评价年度, and whether ``check`` reads it as a year
TYPED_YEARS = [(2024, True), (1900, True), (2100, True), (1899, False), (2101, False), (2024.5, False),
               *((y, y.strip() in ("2024年", "2024年度", "2023")) for y in YEARS), ("1999年", True),
               ("2024 年", False), ("+2024", False), ("2e03", False), ("0202", False)]


def test_the_year_validation_accepts_what_check_reads_as_a_year(sample_files, tmp_path):
    """评价年度's data validation, as Calc applies it (Mark Invalid Data): it refuses a value exactly
    when ``check`` does not read it as a year. Before, a whole-number validation of 2000-2100 refused
    "2024年", which the 自查 and ``check`` accept, and let 1900-1999 through only to check."""
    from selfeval_xl.check.read import _year

    from .clerk import Invalid

    src = sample_files["02_市场监督管理局_2023.xlsx"]
    cell = f"B{read_submission(src).layout.basic_rows['评价年度']}"
    jobs = [Job(src, tmp_path / f"y{i}.xlsx", [Type(S.BASIC, cell, v), Invalid(S.BASIC)])
            for i, (v, _) in enumerate(TYPED_YEARS)]
    for (typed, year), result in zip(TYPED_YEARS, clerk(jobs), strict=True):
        assert (_year(typed) is not None) == year, typed
        assert (cell not in result["steps"][-1]["invalid"]) == year, (typed, result)


# ---------------------------------------------------------------------------------------------
# Three engines


def _shown(v):
    """A value as the cell shows it (an error by its code, a blank as "")."""
    if isinstance(v, ExcelError):
        return v.code
    return "" if v is None else round(v, 9) if isinstance(v, float) else v


@pytest.mark.skipif(gnumeric.available() is not None, reason=str(gnumeric.available()))
def test_every_engine_computes_the_form_alike(walked, inserted, rules, tmp_path):
    """Every formula of the form, the 自查 counts and verdict included, on every workbook the clerk
    made above (each mistake, each insertion): LibreOffice's values, Gnumeric's recalculation of the
    same file, and our evaluator's agree."""
    files = [*walked.values(), *(path for _, _, path in inserted.values())]
    for path, gn_path in zip(files, gnumeric.recalc(files, tmp_path), strict=True):
        lo, gn = read_submission(path), read_submission(gn_path)
        formulas = all_formulas(rules, lo.layout)
        interp = interpret(lo, rules)
        ours = Recalc(lo, {k: e for k, e in formulas.items() if k not in interp.formulas or k in interp.recalc_intact})
        keys = [k for k in formulas if k in lo.formulas]
        assert len(keys) >= len(formulas) - 1, path  # at most the one cell a mistake typed over
        want = {k: _shown(ours.value(*k)) for k in keys}
        assert {k: _shown(lo.formulas[k].saved) for k in keys} == want, path
        assert {k: _shown(gn.formulas[k].saved) for k in keys} == want, path


# ---------------------------------------------------------------------------------------------
# The summary's links, followed in LibreOffice


def test_the_summarys_links_open_the_scored_copy_at_the_cell(sample_files, tmp_path):
    """Each link of 问题清单 is a HYPERLINK to "审核副本/x_审核.xlsx#'sheet'!cell"; LibreOffice opens
    the copy with that mark (what a click does) and the cursor lands on the finding's cell."""
    import openpyxl

    from selfeval_xl.batch.run import run_batch
    from selfeval_xl.batch.tasks import BatchOptions

    src = tmp_path / "in"
    src.mkdir()
    for p in sample_files.values():
        (src / p.name).write_bytes(p.read_bytes())
    out = tmp_path / "out"
    run_batch(src, out, BatchOptions(jobs=2))
    issues = openpyxl.load_workbook(out / "审核汇总.xlsx")["问题清单"]
    links = {}
    for row in issues.iter_rows(min_row=2):
        formula = row[6].value
        if isinstance(formula, str) and formula.startswith("=HYPERLINK("):
            target = formula.split('"')[1]
            links.setdefault(row[5].value, (target, row[5].value, row[6].value.split('"')[3]))
    assert len(links) >= 3  # findings on several sheets
    jobs = [Job(out / target.split("#")[0], tmp_path / "unused.xlsx", jump=target.split("#", 1)[1])
            for target, _, _ in links.values()]
    for (target, sheet, cell), report in zip(links.values(), clerk(jobs), strict=True):
        assert report["steps"] == [sheet, cell], target
