"""The checks of spec/findings.md on structure (S), values (V), formulas (X) and budget (B).

Each check is a small function ``check(ctx) -> Iterable[Finding]``; ``CHECKS`` runs them in order.
Two of them also leave what they read on the context for scoring: ``check_budget`` the 预算情况
figures and the ten rates, ``check_indicators`` one ``Line`` per indicator row (weight, target,
method, actual and self score, read once). Nothing here computes a score: see ``score.py``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from selfeval_xl.check.read import ROW, TYPED_LEVEL1, Submission, label_key
from selfeval_xl.core import names as S
from selfeval_xl.core.findings import ERROR, Finding, finding
from selfeval_xl.core.formulas import ExcelError, Expr, Num, Recalc, Value, a1, col_letter, normalize_formula
from selfeval_xl.core.numbers import fmt_number, fmt_percent, fmt_value, read_number
from selfeval_xl.core.units import as_written, how_name_typed, how_typed, visible
from selfeval_xl.form.layout import describe_cell, earlier_template, formula_text, template_formulas
from selfeval_xl.ooxml.sheet import hidden_lines
from selfeval_xl.rules.methods import METHODS
from selfeval_xl.rules.model import CommonIndicator, Rate, Rules
from selfeval_xl.rules.targets import Actual, Target, clean_text, parse_target, read_actual, read_count

__all__ = ["CHECKS", "Budget", "Context", "Line", "RateResult", "run_checks"]


@dataclass
class RateResult:
    """One computed rate of 预算情况, from the inputs (never from a saved value)."""

    key: str
    label: str
    value: float | None  # a fraction; None when it cannot be computed
    numerator: float | None = None
    denominator: float | None = None
    status: str = "ok"  # ok | zero_over_zero | div0 | missing
    missing: tuple[str, ...] = ()  # labels of inputs that are empty or not numbers
    cell: str = ""  # where the rate sits in 预算情况


@dataclass
class Budget:
    values: dict[str, float | None] = field(default_factory=dict)  # key -> number, None if unusable
    cells: dict[str, str] = field(default_factory=dict)  # key -> A1 in 预算情况
    rates: dict[str, RateResult] = field(default_factory=dict)


class RowCells:
    """The A1 address of each field of one 绩效指标 row, made when asked for."""

    __slots__ = ("cols", "row")

    def __init__(self, row: int, cols: dict[str, int]):
        self.row, self.cols = row, cols

    def get(self, header: str, default: str = "") -> str:
        col = self.cols.get(header)
        return a1(self.row, col) if col else default

    def __getitem__(self, header: str) -> str:
        return a1(self.row, self.cols[header])


@dataclass
class Line:
    """One indicator row of 绩效指标, read for scoring."""

    row: int
    level1: str
    level2: str
    name: str
    cells: RowCells  # header -> A1
    common: CommonIndicator | None = None
    category: str | None = None
    weight: float | None = None
    target: Target | None = None
    method: str | None = None
    actual: Actual | None = None  # typed rows
    rate: RateResult | None = None  # rows whose actual is a computed rate
    self_score: float | None = None
    self_score_typed: bool = False  # something is in 自评得分 (a number or not)
    reason: str = ""
    actual_text: str = ""  # 实际完成值 as typed ('' for a blank cell, an error value as shown)
    actual_cell: object = None  # 实际完成值 as read from the cell (text, number, date)
    blocked: str = ""  # why the row cannot be scored (it then scores 0); empty when it can

    @property
    def not_applicable(self) -> bool:
        return bool(self.actual and self.actual.not_applicable)


@dataclass
class Context:
    sub: Submission
    rules: Rules
    formulas: dict[tuple[str, str], Expr]
    recalc: Recalc  # the workbook recomputed as filed (for X303)
    budget: Budget = field(default_factory=Budget)
    recalc_intact: set[tuple[str, str]] = field(default_factory=set)  # formula cells as the template has them
    lines: list[Line] = field(default_factory=list)
    #: how ``rules`` was chosen: '' given (--rules); "version" the set its 模板版本 names; "closest"
    #: no bundled set has its version: the set its sheets fit best (assess.read_by_version)
    chosen: str = ""
    #: 加分、扣分 items -> times, 一票否决 items -> declared, as read from 基本信息 (0 / False when
    #: empty or unreadable: those are findings of their own)
    declared: dict[str, float | bool] = field(default_factory=dict)

    @classmethod
    def of(cls, sub: Submission, rules: Rules) -> Context:
        formulas = template_formulas(rules, sub.layout)
        earlier = template_formulas(rules, earlier_template(sub.layout))
        # Recompute the workbook as filed: the template's formulas where the file still has them
        # (as this template writes them, or as templates before 2026.3 did: ``intact_formula``);
        # a cell typed over or changed feeds its dependants its own saved value, as a spreadsheet
        # would. (Scores never read this: rates are computed from the inputs.)
        intact = {k: e for k in formulas if (e := intact_formula(sub, k, formulas, earlier)) is not None}
        ctx = cls(sub, rules, formulas, Recalc(sub, intact))
        ctx.recalc_intact = set(intact)
        return ctx

    @property
    def from_earlier_template(self) -> bool:
        """The workbook was made from an earlier template of its rule set (``previous_versions``)."""
        return self.sub.basic.template_version in self.rules.previous_versions

    def present(self, sheet: str) -> bool:
        info = self.sub.structure.get(sheet)
        return bool(info and info.present)


def intact_formula(sub: Submission, key: tuple[str, str], formulas: dict[tuple[str, str], Expr],
                   earlier: dict[tuple[str, str], Expr]) -> Expr | None:
    """The template formula the file holds at ``key``: this template's, or the one templates before
    2026.3 wrote there (block sums from the title row, ``layout.earlier_template``: the same rows, so
    a department that kept an older template changed nothing); None when it holds neither."""
    typed = sub.formulas.get(key)
    if typed is None:
        return None
    text = normalize_formula(typed.text)
    for expr in (formulas[key], earlier.get(key)):
        if expr is not None and text == normalize_formula(formula_text(expr)):
            return expr
    return None


Check = Callable[[Context], Iterable[Finding]]


# ---------------------------------------------------------------------------------------------
# Structure


def check_structure(ctx: Context) -> Iterable[Finding]:
    """S101 missing sheets, S102 missing headers and labels, S103 template version."""
    data_sheets = S.SHEETS[1:]
    missing = [s for s in data_sheets if not ctx.present(s)]
    if len(missing) == len(data_sheets):
        yield finding("S101", "none", sheets="、".join(data_sheets),
                      expected="、".join(data_sheets), actual="、".join(ctx.sub.sheet_names[:10]))
        return
    for sheet in missing:
        found = renamed_as(sheet, ctx.sub.sheet_names)
        if found:
            yield finding("S101", "renamed", sheet=sheet, found=found, expected=sheet, actual=found)
        else:
            yield finding("S101", sheet=sheet, expected=sheet)
    headers = {S.BASIC: S.BASIC_HEADERS, S.GOALS: S.GOALS_HEADERS, S.TASKS: S.TASKS_HEADERS,
               S.BUDGET: S.BUDGET_HEADERS, S.INDICATORS: S.INDICATOR_HEADERS, S.SUMMARY: S.SUMMARY_HEADERS,
               S.PROBLEMS: S.PROBLEMS_HEADERS}
    for sheet in data_sheets:
        info = ctx.sub.structure.get(sheet)
        if not info or not info.present:
            continue
        lost_headers = [m for m in info.missing if m in headers[sheet]]
        if lost_headers:
            yield finding("S102", "header", sheet=sheet, headers="、".join(lost_headers),
                          expected="、".join(lost_headers))
        for label in info.missing:
            if label in headers[sheet]:
                continue
            if sheet == S.BASIC and label in ctx.rules.declared_items and ctx.from_earlier_template:
                yield _declared_row_added(ctx, label)
                continue
            yield finding("S102", "label", sheet=sheet, label=label, expected=label)
    if ctx.present(S.BASIC) and S.TEMPLATE_VERSION in ctx.sub.basic.cells:
        yield from _template_version(ctx)


def _declared_row_added(ctx: Context, item: str) -> Finding:
    """S102 for a 加分、扣分 or 一票否决 row an earlier template of the rule set never had: nothing
    was deleted; it counts as not declared until she adds the row."""
    is_veto = any(v.item == item for v in ctx.rules.vetoes)
    return finding("S102", "added", sheet=S.BASIC, label=item, rules_version=ctx.rules.version,
                   version=ctx.sub.basic.template_version, default=f"“{NO}”" if is_veto else " 0 次",
                   answer=f"“{YES}”或“{NO}”" if is_veto else "次数（没有的填 0）", expected=item)


def _template_version(ctx: Context) -> Iterable[Finding]:
    """S103, file-level: the version cell is the template's, not hers to change. With the rule set
    chosen by the version (no --rules), a version of no bundled set is said once, plainly: which set
    it was checked by, and how the bureau's own rule file is given."""
    version, rules = ctx.sub.basic.template_version, ctx.rules
    if version == rules.version:
        return
    if ctx.from_earlier_template:
        from selfeval_xl.rules.model import rules_name

        yield finding("S103", "previous", version=version, name=rules_name(rules), expected=rules.version,
                      sheet=S.BASIC, actual=version)
    elif ctx.chosen == "closest":
        from selfeval_xl.rules.model import bundled_by_version, rules_name

        fields = {"known": "、".join(f"{rules_name(r)} {v}" for v, r in bundled_by_version().items()),
                  "name": rules_name(rules)}
        if version:
            yield finding("S103", "unknown", version=version, **fields, expected=rules.version, sheet=S.BASIC,
                          actual=version)
        else:
            yield finding("S103", "unknown_empty", **fields, expected=rules.version, sheet=S.BASIC, actual="")
    elif version:
        yield finding("S103", version=version, expected=rules.version, sheet=S.BASIC, actual=version)
    else:
        yield finding("S103", "empty", expected=rules.version, sheet=S.BASIC, actual="")


# ---------------------------------------------------------------------------------------------
# 基本信息


def check_basic(ctx: Context) -> Iterable[Finding]:
    """V201 empty required fields, V202 a year that is not a year, V207 error values."""
    if not ctx.present(S.BASIC):
        return
    basic = ctx.sub.basic
    for fld in S.BASIC_FIELDS:
        cell = basic.cells.get(fld.label)
        if cell is None:
            continue
        err = ctx.sub.errors.get((S.BASIC, cell))
        if err:
            yield _error_value(S.BASIC, cell, f"“{fld.label}”", err)
            continue
        raw = basic.raw.get(fld.label)
        blank = raw is None or (isinstance(raw, str) and not raw.strip()) or (fld.attr == "unit_code" and not basic.unit_code)
        if fld.required and blank:  # a code of invisible characters only is as blank as none
            yield finding("V201", "basic", label=fld.label, cell=cell, sheet=S.BASIC, expected="必填")
        elif fld.attr == "year" and basic.year is None:
            yield finding("V202", "year", value=fmt_value(raw), cell=cell, sheet=S.BASIC, expected="4 位年份",
                          actual=fmt_value(raw))
        elif fld.attr == "unit_code" and basic.unit_code_typed != basic.unit_code and basic.unit_code:
            typed = visible(basic.unit_code_typed)
            yield finding("V211", typed=typed, what="、".join(how_typed(basic.unit_code_typed)), normal=basic.unit_code,
                          cell=cell, sheet=S.BASIC, expected=basic.unit_code, actual=typed)
        elif fld.attr == "competent_dept" and as_written(basic.competent_dept) != basic.competent_dept:
            typed, normal = visible(basic.competent_dept), as_written(basic.competent_dept)
            yield finding("V211", "dept", typed=typed, what="、".join(how_name_typed(basic.competent_dept)),
                          normal=normal, cell=cell, sheet=S.BASIC, expected=normal, actual=typed)


#: how a 一票否决 row may be answered (a checkbox or TRUE/FALSE typed counts too)
YES, NO = "是", "否"
_ANSWERS = {YES: True, NO: False}


def check_declared(ctx: Context) -> Iterable[Finding]:
    """V201/V202/V207 on the rows 基本信息 adds for the rules over the total: each 加分、扣分 item a
    whole number of times, each 一票否决 item 是 or 否. Leaves what was read on ``ctx.declared``."""
    rules, basic = ctx.rules, ctx.sub.basic
    for item in rules.declared_items:
        is_veto = any(v.item == item for v in rules.vetoes)
        ctx.declared[item] = False if is_veto else 0.0
        cell = basic.cells.get(item)
        if cell is None or not ctx.present(S.BASIC):
            continue  # the row is missing: S102
        raw = basic.raw.get(item)
        err = ctx.sub.errors.get((S.BASIC, cell))
        if err:
            yield _error_value(S.BASIC, cell, f"“{item}”", err)
        elif raw is None or (isinstance(raw, str) and not raw.strip()):
            yield finding("V201", "basic", label=item, cell=cell, sheet=S.BASIC, expected=f"{YES}或{NO}" if is_veto else "次数")
        elif is_veto:
            answer = raw if isinstance(raw, bool) else _ANSWERS.get(label_key(raw))
            if answer is None:
                yield finding("V202", "yes_no", label=item, value=fmt_value(raw), cell=cell, sheet=S.BASIC,
                              expected=f"{YES}或{NO}", actual=fmt_value(raw))
            else:
                ctx.declared[item] = answer
        else:
            times = read_count(raw, ctx.rules)
            if times.value is None:
                yield finding("V202", "count", label=item, value=fmt_value(raw), cell=cell, sheet=S.BASIC,
                              expected="0 或正整数", actual=fmt_value(raw))
            else:
                ctx.declared[item] = times.value


def _error_value(sheet: str, cell: str, what: str, code: str) -> Finding:
    """V207; ``what`` names the field as the message should show it (quoted where a name)."""
    return finding("V207", what=what, error=code, sheet=sheet, cell=cell, expected="数值或文字", actual=code)


def renamed_as(sheet: str, names: list[str]) -> str:
    """The sheet that looks like the missing ``sheet``: its name contains the standard one (绩效指标表,
    2021绩效指标), or the other way round, or differs by one character; '' when none does."""
    others = [n for n in names if n not in S.SHEETS and n != S.RESULTS]
    key = label_key(sheet)
    for n in others:
        k = label_key(n)
        if key in k or (k and k in key):
            return n
    for n in others:
        k = label_key(n)
        if len(k) == len(key) and sum(a != b for a, b in zip(k, key, strict=True)) == 1:
            return n
    return ""


# ---------------------------------------------------------------------------------------------
# 预算情况


def check_budget(ctx: Context) -> Iterable[Finding]:
    """V201/V202/V205/V207 on the inputs, B401-B403 consistency, B404/B405 on the rates.
    Leaves the figures and the rates on ``ctx.budget``."""
    if not ctx.present(S.BUDGET):
        return
    rules, sub = ctx.rules, ctx.sub
    records = {r["label"]: r for r in sub.budget_records}
    col = sub.layout.budget_value_col
    b = ctx.budget
    for item in rules.budget:
        rec = records.get(item.label)
        if rec is None:
            b.values[item.key] = None
            continue
        cell = a1(rec[ROW], col)
        b.cells[item.key] = cell
        err = sub.errors.get((S.BUDGET, cell))
        number, ok = read_number(rec["数值"])
        if err:
            yield _error_value(S.BUDGET, cell, f"“{item.label}”", err)
            number = None
        elif not ok:
            yield finding("V202", "budget", label=item.label, unit=item.unit, value=fmt_value(rec["数值"]), cell=cell,
                          sheet=S.BUDGET, expected=f"数字（{item.unit}）", actual=fmt_value(rec["数值"]))
        elif number is None:
            if item.required:
                what = "金额" if item.unit == "万元" else "数量"
                yield finding("V201", "budget", label=item.label, what=what, unit=item.unit, cell=cell, sheet=S.BUDGET,
                              expected=f"数字（{item.unit}）")
            else:
                number = 0.0
        elif number < 0:
            yield finding("V205", label=item.label, value=fmt_number(number), cell=cell, sheet=S.BUDGET,
                          expected="≥ 0", actual=fmt_number(number))
        b.values[item.key] = number

    yield from _budget_consistency(ctx)
    for rate in rules.rates:
        result = _compute_rate(ctx, rate)
        b.rates[rate.key] = result
        yield from _rate_findings(ctx, rate, result)


def _budget_consistency(ctx: Context) -> Iterable[Finding]:
    b, rules = ctx.budget, ctx.rules
    for chk in rules.budget_checks:
        if chk.parts:
            yield from _parts_check(ctx, chk.code, chk.parts, chk.total)
        else:
            left, right = b.values.get(chk.left), b.values.get(chk.right)
            if left is None or right is None:
                continue
            if left > right + 1e-9:
                cell = b.cells.get(chk.left, "")
                yield finding(chk.code, left_label=rules.budget_item(chk.left).label, left=fmt_number(left),
                              right_label=rules.budget_item(chk.right).label, right=fmt_number(right), cell=cell,
                              sheet=S.BUDGET, expected=f"≤ {fmt_number(right)}", actual=fmt_number(left))


def _parts_check(ctx: Context, code: str, keys: tuple[str, ...], total_key: str) -> Iterable[Finding]:
    """B401/B402: the parts add up to the total. With a part not filled in (V201 says so), the
    parts already there may exceed the total: amounts are never negative, so no figure typed into
    the empty part can mend that, and it is said at once."""
    b, rules = ctx.budget, ctx.rules
    total = b.values.get(total_key)
    if total is None:
        return
    label = rules.budget_item(total_key).label
    named = [(rules.budget_item(k).label.removeprefix("其中："), b.values.get(k)) for k in keys]
    known = [(name, v) for name, v in named if v is not None]
    s = sum(v for _, v in known)
    cell = b.cells.get(total_key, "")
    parts = " + ".join(f"{name} {fmt_number(v)}" for name, v in known)
    if len(known) == len(named):
        if abs(s - total) > rules.tolerance + 1e-9:
            yield finding(code, parts=parts, sum=fmt_number(s), label=label, total=fmt_number(total),
                          difference=fmt_number(abs(s - total)), cell=cell, sheet=S.BUDGET, expected=fmt_number(s),
                          actual=fmt_number(total))
    elif known and s > total + rules.tolerance + 1e-9:
        empty = "、".join(name for name, v in named if v is None)
        if len(known) > 1:
            parts += f"（合计 {fmt_number(s)}）"
        yield finding(code, "partial", parts=parts, label=label, total=fmt_number(total),
                      empty=empty, cell=cell, sheet=S.BUDGET, expected=f"≥ {fmt_number(s)}", actual=fmt_number(total))


def _compute_rate(ctx: Context, rate: Rate) -> RateResult:
    rules, b = ctx.rules, ctx.budget
    cell = ctx.sub.layout.budget_cell(rate.label) or ""
    missing = tuple(rules.budget_item(k).label for k in rate.inputs if b.values.get(k) is None)
    if missing:
        return RateResult(rate.key, rate.label, None, status="missing", missing=missing, cell=cell)
    values = {k: Num(b.values[k]) for k in rate.inputs}  # type: ignore[arg-type]
    num = rate.numerator.bind(values.__getitem__).eval(_NO_CELLS)
    den = rate.denominator.bind(values.__getitem__).eval(_NO_CELLS)
    assert isinstance(num, float) and isinstance(den, float)
    if den == 0:
        if num == 0:
            return RateResult(rate.key, rate.label, rate.zero_over_zero, num, den, "zero_over_zero", cell=cell)
        return RateResult(rate.key, rate.label, None, num, den, "div0", cell=cell)
    value = num / den
    if not abs(value) < 1e300:  # a denominator too small to divide by: as good as 0
        return RateResult(rate.key, rate.label, None, num, den, "div0", cell=cell)
    return RateResult(rate.key, rate.label, value, num, den, "ok", cell=cell)


class _NoCells:
    def value_at(self, sheet: str, row: int, col: int) -> Value:
        raise AssertionError("a rate's inputs are bound to numbers")


_NO_CELLS = _NoCells()


def _rate_findings(ctx: Context, rate: Rate, r: RateResult) -> Iterable[Finding]:
    # the cell she can change: the denominator's input (the rate itself is a formula)
    inputs = [k for k in rate.denominator.names() if k in ctx.budget.cells] or list(rate.inputs)
    where = ctx.budget.cells.get(inputs[0], "")
    if r.status == "div0":
        yield finding("B404", rate=rate.label, denominator=rate.denominator_text, numerator=rate.numerator_text,
                      value=fmt_number(r.numerator), cell=where, sheet=S.BUDGET,
                      expected=f"{rate.denominator_text} > 0", actual="0")
    elif r.status == "zero_over_zero":
        yield finding("B405", rate=rate.label, numerator=rate.numerator_text, denominator=rate.denominator_text,
                      value=fmt_percent(rate.zero_over_zero), sheet=S.BUDGET, cell=where,
                      actual=fmt_percent(rate.zero_over_zero))


# ---------------------------------------------------------------------------------------------
# Formulas


def check_formulas(ctx: Context) -> Iterable[Finding]:
    """X301 a formula typed over, X302 a formula changed, X303 a saved value that is not what the
    formula gives. Cells without a saved value (files from tools that do not calculate) are normal."""
    sub = ctx.sub
    for (sheet, cell), expr in ctx.formulas.items():
        if not ctx.present(sheet):
            continue
        expected = formula_text(expr)
        actual = sub.formulas.get((sheet, cell))
        if actual is not None and actual.has_saved and (sheet, cell) in ctx.recalc_intact:
            recomputed = ctx.recalc.value(sheet, cell)
            if _same_value(actual.saved, recomputed):
                continue  # the common case: the template's formula, its saved value right
        desc = describe_cell(sub.layout, sheet, cell)
        if actual is None:
            value = sub.value(sheet, cell)
            shown = str(value) if isinstance(value, ExcelError) else fmt_value(value)
            yield finding("X301", what=desc, value=shown, formula=expected, sheet=sheet, cell=cell,
                          expected=expected, actual=shown)
        elif (sheet, cell) not in ctx.recalc_intact:
            yield finding("X302", what=desc, changed=actual.text, formula=expected, sheet=sheet, cell=cell,
                          expected=expected, actual=actual.text)
        elif actual.has_saved:
            recomputed = ctx.recalc.value(sheet, cell)
            if not _same_value(actual.saved, recomputed):
                yield finding("X303", what=desc, saved=_show(actual.saved), recomputed=_show(recomputed), sheet=sheet,
                              cell=cell, expected=_show(recomputed), actual=_show(actual.saved))


def _same_value(a: Value, b: Value) -> bool:
    if isinstance(a, ExcelError) or isinstance(b, ExcelError):
        return isinstance(a, ExcelError) and isinstance(b, ExcelError) and a.code == b.code
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    return str(a).strip() == str(b).strip()


def _show(v: Value) -> str:
    if isinstance(v, ExcelError):
        return v.code
    if v is None or v == "":
        return "（空）"
    if isinstance(v, float):
        return fmt_number(v, 6)
    return str(v)


# ---------------------------------------------------------------------------------------------
# 绩效指标: read every row once


def check_indicators(ctx: Context) -> Iterable[Finding]:
    """S104 common rows, and V201-V208 on every indicator row. Leaves ``ctx.lines``."""
    if not ctx.present(S.INDICATORS) or ctx.sub.structure[S.INDICATORS].header_row is None:
        return
    rules, sub = ctx.rules, ctx.sub
    lay = sub.layout
    cols = lay.ind_cols
    common_rows = {lay.ind_rows[i.name]: i for i in rules.indicators if i.name in lay.ind_rows}
    for ind in rules.indicators:
        if ind.name not in lay.ind_rows:
            yield finding("S104", "missing", name=ind.name, level1=ind.level1, level2=ind.level2,
                          sheet=S.INDICATORS, expected=ind.name)
    level1_names = rules.level1_names
    for rec in sub.indicator_records:
        row = rec[ROW]
        cells = RowCells(row, cols)
        line = Line(row=row, level1=_str(rec.get(S.LEVEL1)), level2=_str(rec.get(S.LEVEL2)),
                    name=_str(rec.get(S.NAME)), cells=cells, reason=_str(rec.get(S.REASON)))
        ctx.lines.append(line)
        typed = rec.get(TYPED_LEVEL1)
        if typed:
            where = f"“{line.name}”" if line.name else f"第 {row} 行"
            yield finding("V208", "block", where=where, block=line.level1, level1=typed, sheet=S.INDICATORS,
                          cell=cells.get(S.LEVEL1, ""), expected=line.level1, actual=typed)
        common = common_rows.get(row)
        if common:
            yield from _read_common(ctx, line, common, rec)
        else:
            yield from _read_own(ctx, line, rec, level1_names)
        yield from _read_self_score(ctx, line, rec)
    yield from _repeated_indicators(ctx)
    yield from _cost_targets(ctx)


def _repeated_indicators(ctx: Context) -> Iterable[Finding]:
    """V209: the same 三级指标 under two 一级指标 (a row counted in two categories)."""
    first: dict[str, Line] = {}
    for line in ctx.lines:
        key = label_key(line.name)
        if not key:
            continue
        seen = first.setdefault(key, line)
        if seen is not line and label_key(seen.level1) != label_key(line.level1):
            yield finding("V209", name=line.name, first=seen.level1, first_row=seen.row, second=line.level1, row=line.row,
                          sheet=S.INDICATORS, cell=line.cells.get(S.NAME, ""), expected="不重复的指标", actual=line.name)


#: a 二级指标 that names costs: its target should read "at most"
COST_WORDS = ("成本",)


def _cost_targets(ctx: Context) -> Iterable[Finding]:
    """V210: a department's 成本 indicator written "≥" where "≤" was meant."""
    for line in ctx.lines:
        t = line.target
        if line.common is None and t is not None and t.kind == "at_least" and any(w in line.level2 for w in COST_WORDS):
            yield finding("V210", name=line.name or f"第 {line.row} 行", target=t.text, sheet=S.INDICATORS,
                          cell=line.cells.get(S.TARGET, ""), expected="≤ …", actual=t.text)


def _str(v: object) -> str:
    return "" if v is None else str(v).strip()


def _blocked(line: Line, f: Finding) -> Finding:
    if f.level == ERROR and not line.blocked:
        line.blocked = f.message
    return f


def _cell_error(ctx: Context, line: Line, header: str) -> str | None:
    if not ctx.sub.errors:
        return None
    cell = line.cells.get(header)
    return ctx.sub.errors.get((S.INDICATORS, cell)) if cell else None


def _read_common(ctx: Context, line: Line, ind: CommonIndicator, rec: dict) -> Iterable[Finding]:
    rules = ctx.rules
    line.common = ind
    line.category = next((c.name for c in rules.categories if c.claims(ind.level1, ind.name)), None)
    line.weight = ind.weight
    reads = METHODS[ind.method].reads
    # a count method's 指标值 is only shown (the row is scored by the count typed as 实际完成值); a
    # qualitative one is a word whatever it says (a rule file may score "按时完成" by the tiers)
    line.target = (Target(ind.target, "qualitative", word=ind.target) if reads == "count"
                   else Target(ind.target, "qualitative", word=clean_text(ind.target)) if reads == "qualitative"
                   else parse_target(ind.target, rules))
    line.method = ind.method
    # the fixed cells must be as the rules say; scoring uses the rules' values either way
    changed = []
    if label_key(line.level1) != label_key(ind.level1):
        changed.append((S.LEVEL1, ind.level1, line.level1))
    if line.level2 and label_key(line.level2) != label_key(ind.level2):
        changed.append((S.LEVEL2, ind.level2, line.level2))
    w, ok = read_number(rec.get(S.WEIGHT))
    if not ok or w is None or abs(w - ind.weight) > 1e-9:
        changed.append((S.WEIGHT, fmt_number(ind.weight), fmt_value(rec.get(S.WEIGHT))))
    if not _same_target(rec.get(S.TARGET), ind.target, rules):
        changed.append((S.TARGET, ind.target, fmt_value(rec.get(S.TARGET))))
    for header, expected, actual in changed:
        yield finding("S104", "changed", name=ind.name, header=header, sheet=S.INDICATORS,
                      cell=line.cells.get(header, ""), expected=expected, actual=actual)
    if ind.rate:
        line.rate = ctx.budget.rates.get(ind.rate)
        r = line.rate
        if r is None:
            line.blocked = f"预算情况中找不到“{ctx.rules.rate(ind.rate).label}”的数据，无法计算"
        elif r.status == "missing":
            line.blocked = f"预算情况中“{'、'.join(r.missing)}”未填写或不是数字，无法计算"
        elif r.status == "div0":
            line.blocked = f"{r.label}的分母为 0，无法计算"
        return
    yield from _read_actual(ctx, line, rec)


def _same_target(typed: object, rule: str, rules: Rules) -> bool:
    """A common row's 指标值 as the rules give it: read the same, or (text no target reads) the same text."""
    mine, theirs = parse_target(typed, rules), parse_target(rule, rules)
    if mine is None or theirs is None:
        return mine is None and theirs is None and label_key(typed) == label_key(rule)
    return (mine.kind, mine.value, mine.word, mine.due) == (theirs.kind, theirs.value, theirs.word, theirs.due)


def _read_own(ctx: Context, line: Line, rec: dict, level1_names: tuple[str, ...]) -> Iterable[Finding]:
    rules = ctx.rules
    where = f"“{line.name}”" if line.name else f"第 {line.row} 行"
    level1 = next((n for n in level1_names if label_key(n) == label_key(line.level1)), None)
    if level1 is None:
        yield _blocked(line, finding(
            "V208", "level1", where=where, level1=line.level1, allowed="、".join(level1_names),
            sheet=S.INDICATORS, cell=line.cells.get(S.LEVEL1, ""), expected="、".join(level1_names),
            actual=line.level1))
    elif level1 not in {fr.level1 for fr in rules.free_rows}:
        line.level1 = level1
        yield _blocked(line, finding(
            "V208", "fixed", where=where, level1=level1, row=line.row,
            sheet=S.INDICATORS, cell=line.cells.get(S.NAME, ""), expected=f"{level1}的共性指标", actual=line.name))
    else:
        line.level1 = level1
        line.category = next((c.name for c in rules.categories if c.claims(level1, line.name)), None)
    if not line.name:
        cell = line.cells.get(S.NAME, "")
        yield _blocked(line, finding("V201", "name", row=line.row, cell=cell, sheet=S.INDICATORS, expected="指标名称"))
    # 分值
    err = _cell_error(ctx, line, S.WEIGHT)
    w, ok = read_number(rec.get(S.WEIGHT))
    if err:
        yield _blocked(line, _error_value(S.INDICATORS, line.cells[S.WEIGHT], f"{where}的分值", err))
    elif not ok or (w is not None and w < 0):
        cell = line.cells.get(S.WEIGHT, "")
        yield _blocked(line, finding("V202", "weight", where=where, value=fmt_value(rec.get(S.WEIGHT)), cell=cell,
                                     sheet=S.INDICATORS, expected="不小于 0 的数字", actual=fmt_value(rec.get(S.WEIGHT))))
    elif w is None:
        cell = line.cells.get(S.WEIGHT, "")
        weight = sum(c.weight for c in rules.categories if c.level1 == line.level1)
        yield _blocked(line, finding("V201", "weight", where=where, cell=cell, level1=line.level1,
                                     weight=fmt_number(weight), sheet=S.INDICATORS, expected="分值"))
    else:
        line.weight = w
    # 指标值
    raw_target = rec.get(S.TARGET)
    err = _cell_error(ctx, line, S.TARGET)
    line.target = None if err else parse_target(raw_target, rules)
    if err:
        yield _blocked(line, _error_value(S.INDICATORS, line.cells[S.TARGET], f"{where}的指标值", err))
    elif line.target is None:
        shown = fmt_value(raw_target)
        cell = line.cells.get(S.TARGET, "")
        if raw_target in (None, ""):
            found = finding("V203", "empty", where=where, cell=cell, sheet=S.INDICATORS, expected="如 ≥90%、≤5%、达标")
        else:
            found = finding("V203", where=where, value=shown, cell=cell, sheet=S.INDICATORS,
                            expected="如 ≥90%、≤5%、达标", actual=shown)
        yield _blocked(line, found)
    else:
        t = line.target
        line.method = FIXED_METHODS.get(t.kind) or rules.methods_for_own_rows[t.kind]
    yield from _read_actual(ctx, line, rec)


#: the method a department's own row is scored by, for the kinds of 指标值 no rule file chooses for
FIXED_METHODS = {"qualitative": "qualitative", "deadline": "deadline"}


def _read_actual(ctx: Context, line: Line, rec: dict) -> Iterable[Finding]:
    where = f"“{line.name}”" if line.name else f"第 {line.row} 行"
    cell = line.cells.get(S.ACTUAL, "")
    err = _cell_error(ctx, line, S.ACTUAL)
    if err:
        line.actual_text = err
        yield _blocked(line, _error_value(S.INDICATORS, cell, f"{where}的实际完成值", err))
        return
    raw = rec.get(S.ACTUAL)
    line.actual_cell = raw
    line.actual_text = _as_typed(raw)  # what the department typed, whether or not it can be read
    if raw is None and (S.INDICATORS, cell) in ctx.sub.formulas:
        yield _blocked(line, finding("V204", "no_value", where=where, cell=cell, sheet=S.INDICATORS, expected="数值",
                                     actual=ctx.sub.formulas[(S.INDICATORS, cell)].text))
        return
    if line.target is None:  # V203 on the target; a blank actual is said at once too
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            yield _blocked(line, finding("V201", "actual", where=where, cell=cell, na=ctx.rules.not_applicable,
                                         sheet=S.INDICATORS, expected="实际完成值"))
        return
    method = METHODS.get(line.method or "")
    if method is not None and method.reads == "count":
        items = line.common.params.get("items") if line.common else None
        actual = read_count(raw, ctx.rules, len(items) if items else None)
    else:
        actual = read_actual(raw, line.target, ctx.rules, ctx.sub.basic.year)
    line.actual = actual
    if actual.missing:
        yield _blocked(line, finding("V201", "actual", where=where, cell=cell, na=ctx.rules.not_applicable,
                                     sheet=S.INDICATORS, expected="实际完成值"))
    elif actual.problem:
        yield _blocked(line, finding("V204", where=where, problem=actual.problem, cell=cell, sheet=S.INDICATORS,
                                     expected=line.target.text, actual=fmt_value(raw)))
    elif actual.percent_as_number:
        yield finding("V206", where=where, value=fmt_value(raw), percent=fmt_percent(actual.value), cell=cell,
                      sheet=S.INDICATORS, expected=fmt_percent(actual.value), actual=fmt_value(raw))


def _as_typed(value: object) -> str:
    """A cell's value as the department typed it: text as it is, a number or a date as the cell
    shows it ('' for a blank cell)."""
    if value is None or value == "":
        return ""
    if isinstance(value, _dt.datetime) and value.time() == _dt.time():
        return value.date().isoformat()
    return fmt_value(value)


def _read_self_score(ctx: Context, line: Line, rec: dict) -> Iterable[Finding]:
    cell = line.cells.get(S.SELF_SCORE, "")
    err = _cell_error(ctx, line, S.SELF_SCORE)
    where = f"“{line.name}”" if line.name else f"第 {line.row} 行"
    if err:
        line.self_score_typed = True
        yield _error_value(S.INDICATORS, cell, f"{where}的自评得分", err)
        return
    v, ok = read_number(rec.get(S.SELF_SCORE))
    line.self_score_typed = v is not None or not ok
    if not ok:
        yield finding("V202", "self_score", where=where, value=fmt_value(rec.get(S.SELF_SCORE)), cell=cell,
                      sheet=S.INDICATORS, expected="数字", actual=fmt_value(rec.get(S.SELF_SCORE)))
    line.self_score = v


# ---------------------------------------------------------------------------------------------
# What the department sees


def check_visibility(ctx: Context) -> Iterable[Finding]:
    """S105 a standard sheet hidden, S106 indicator rows or columns of 绩效指标 hidden: what is
    scored is then not what the department (or an auditor opening the file) sees."""
    wb = ctx.sub.workbook
    if wb is None:
        return
    for ref in wb.sheets:
        if ref.name in S.SHEETS[1:] and ref.state in ("hidden", "veryHidden"):
            yield finding("S105", "very" if ref.state == "veryHidden" else "", sheet=ref.name, expected="显示",
                          actual="深度隐藏" if ref.state == "veryHidden" else "隐藏")
    part = wb.sheet_parts().get(S.INDICATORS)
    if not part or not ctx.lines:
        return
    cols = ctx.sub.layout.ind_cols
    rows, hidden_cols = hidden_lines(wb.package.xml(part), {line.row for line in ctx.lines}, set(cols.values()))
    if rows:
        shown = "、".join(map(str, rows[:10])) + (f" 等 {len(rows)} 行" if len(rows) > 10 else " 行")
        yield finding("S106", sheet=S.INDICATORS, what=f"第 {shown}", unit="行", expected="显示", actual="隐藏")
    if hidden_cols:
        names = {c: h for h, c in cols.items()}
        shown = "、".join(f"{col_letter(c)} 列（{names[c]}）" for c in hidden_cols)
        yield finding("S106", sheet=S.INDICATORS, what=shown, unit="列", expected="显示", actual="隐藏")


CHECKS: tuple[Check, ...] = (check_structure, check_basic, check_declared, check_budget, check_formulas,
                             check_indicators, check_visibility)


def run_checks(ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    for check in CHECKS:
        out.extend(check(ctx))
    return out
