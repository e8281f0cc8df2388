"""Interpreting a submission: what its cells mean under a rule set, read once, before any check.

``interpret(sub, rules) -> Interpretation`` is the stage between reading the workbook (``read.py``)
and judging it (``validate.py``) and scoring it (``score.py``): the template's formulas and which of
them the file still holds, the 加分、扣分 and 一票否决 answers of 基本信息, the 预算情况 figures and the
ten rates computed from them, and one ``Line`` per indicator row of 绩效指标 (weight, target, method,
actual and self score). Checks and scoring read it; none of them changes it, and none depends on
another having run first.

It is pure: it changes nothing it is given and appends nothing anywhere. Where reading a value
finds it cannot be read (an error value, a word where a number goes, a blank required field),
what it found is returned as data with the value: ``declared_findings``, ``Budget.findings`` and
each ``Line.findings`` (a row's first error is also why it scores 0: ``Line.blocked``). The checks
report them, in the order they were read.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from selfeval_xl.check.read import ROW, TYPED_LEVEL1, Submission, label_key
from selfeval_xl.core import names as S
from selfeval_xl.core.findings import ERROR, Finding, finding
from selfeval_xl.core.formulas import Expr, Num, Recalc, Value, a1, normalize_formula
from selfeval_xl.core.numbers import fmt_number, fmt_percent, fmt_value, read_number
from selfeval_xl.form.layout import earlier_template, formula_text, template_formulas
from selfeval_xl.rules.methods import METHODS
from selfeval_xl.rules.model import CommonIndicator, Rate, Rules
from selfeval_xl.rules.targets import Actual, Target, clean_text, parse_target, read_actual, read_count

__all__ = ["NO", "YES", "Budget", "Interpretation", "Line", "RateResult", "RowCells", "error_value",
           "intact_formula", "interpret"]


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Budget:
    """预算情况 as read: each input figure, where it sits, the rates computed from the figures, and
    what reading the figures found (V201 empty, V202 not a number, V205 negative, V207 an error value)."""

    values: Mapping[str, float | None] = field(default_factory=dict)  # key -> number, None if unusable
    cells: Mapping[str, str] = field(default_factory=dict)  # key -> A1 in 预算情况
    rates: Mapping[str, RateResult] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()


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
    """One indicator row of 绩效指标, read for scoring. Filled while its row is read (``interpret``);
    nothing changes it afterwards."""

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
    #: what reading the row found, in the order found: V208 its 一级指标, S104 a common row's fixed
    #: cells changed, V201-V204/V206/V207 its cells (an error among them is ``blocked``)
    findings: tuple[Finding, ...] = ()

    @property
    def not_applicable(self) -> bool:
        return bool(self.actual and self.actual.not_applicable)


@dataclass(frozen=True)
class Interpretation:
    """A submission as the rule set reads it: what the checks and scoring read, and only that."""

    sub: Submission
    rules: Rules
    #: how ``rules`` was chosen: '' given (--rules); "version" the set its 模板版本 names; "closest"
    #: no bundled set has its version: the set its sheets fit best (assess.read_by_version)
    chosen: str
    formulas: Mapping[tuple[str, str], Expr]  # the template's formula at each (sheet, cell)
    recalc: Recalc  # the workbook recomputed as filed (for X303)
    recalc_intact: frozenset[tuple[str, str]]  # formula cells as the template has them
    #: 加分、扣分 items -> times, 一票否决 items -> declared, as read from 基本信息 (0 / False when
    #: empty or unreadable: ``declared_findings`` says so)
    declared: Mapping[str, float | bool]
    declared_findings: tuple[Finding, ...]
    budget: Budget
    lines: tuple[Line, ...]  # one per indicator row of 绩效指标, in sheet order

    @property
    def from_earlier_template(self) -> bool:
        """The workbook was made from an earlier template of its rule set (``previous_versions``)."""
        return self.sub.basic.template_version in self.rules.previous_versions

    def present(self, sheet: str) -> bool:
        return _present(self.sub, sheet)


def interpret(sub: Submission, rules: Rules, chosen: str = "") -> Interpretation:
    """What ``sub``'s cells mean under ``rules``. ``chosen``: how the rules were chosen (see
    ``Interpretation.chosen``)."""
    formulas, recalc, intact = _formulas(sub, rules)
    declared, declared_findings = _read_declared(sub, rules)
    budget = _read_budget(sub, rules)
    return Interpretation(sub, rules, chosen, formulas, recalc, intact, declared, tuple(declared_findings), budget,
                          tuple(_read_lines(sub, rules, budget)))


def _present(sub: Submission, sheet: str) -> bool:
    info = sub.structure.get(sheet)
    return bool(info and info.present)


# ---------------------------------------------------------------------------------------------
# The template's formulas


def _formulas(sub: Submission, rules: Rules) -> tuple[dict[tuple[str, str], Expr], Recalc, frozenset[tuple[str, str]]]:
    formulas = template_formulas(rules, sub.layout)
    earlier = template_formulas(rules, earlier_template(sub.layout))
    # Recompute the workbook as filed: the template's formulas where the file still has them
    # (as this template writes them, or as templates before 2026.3 did: ``intact_formula``);
    # a cell typed over or changed feeds its dependants its own saved value, as a spreadsheet
    # would. (Scores never read this: rates are computed from the inputs.)
    intact = {k: e for k in formulas if (e := intact_formula(sub, k, formulas, earlier)) is not None}
    return formulas, Recalc(sub, intact), frozenset(intact)


def intact_formula(sub: Submission, key: tuple[str, str], formulas: Mapping[tuple[str, str], Expr],
                   earlier: Mapping[tuple[str, str], Expr]) -> Expr | None:
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


def error_value(sheet: str, cell: str, what: str, code: str) -> Finding:
    """V207; ``what`` names the field as the message should show it (quoted where a name)."""
    return finding("V207", what=what, error=code, sheet=sheet, cell=cell, expected="数值或文字", actual=code)


# ---------------------------------------------------------------------------------------------
# 基本信息: the answers the rules over the total read

#: how a 一票否决 row may be answered (a checkbox or TRUE/FALSE typed counts too)
YES, NO = "是", "否"
_ANSWERS = {YES: True, NO: False}


def _read_declared(sub: Submission, rules: Rules) -> tuple[dict[str, float | bool], list[Finding]]:
    """Each 加分、扣分 item a whole number of times, each 一票否决 item 是 or 否 (V201/V202/V207 when
    it cannot be read: then 0 times, 否)."""
    basic = sub.basic
    declared: dict[str, float | bool] = {}
    found: list[Finding] = []
    for item in rules.declared_items:
        is_veto = any(v.item == item for v in rules.vetoes)
        declared[item] = False if is_veto else 0.0
        cell = basic.cells.get(item)
        if cell is None or not _present(sub, S.BASIC):
            continue  # the row is missing: S102
        raw = basic.raw.get(item)
        err = sub.errors.get((S.BASIC, cell))
        if err:
            found.append(error_value(S.BASIC, cell, f"“{item}”", err))
        elif raw is None or (isinstance(raw, str) and not raw.strip()):
            found.append(finding("V201", "basic", label=item, cell=cell, sheet=S.BASIC,
                                 expected=f"{YES}或{NO}" if is_veto else "次数"))
        elif is_veto:
            answer = raw if isinstance(raw, bool) else _ANSWERS.get(label_key(raw))
            if answer is None:
                found.append(finding("V202", "yes_no", label=item, value=fmt_value(raw), cell=cell, sheet=S.BASIC,
                                     expected=f"{YES}或{NO}", actual=fmt_value(raw)))
            else:
                declared[item] = answer
        else:
            times = read_count(raw, rules)
            if times.value is None:
                found.append(finding("V202", "count", label=item, value=fmt_value(raw), cell=cell, sheet=S.BASIC,
                                     expected="0 或正整数", actual=fmt_value(raw)))
            else:
                declared[item] = times.value
    return declared, found


# ---------------------------------------------------------------------------------------------
# 预算情况: the figures and the rates


def _read_budget(sub: Submission, rules: Rules) -> Budget:
    """The input figures (V201/V202/V205/V207 where one cannot be used) and the ten rates computed
    from them. Without the sheet: no figures, no rates."""
    if not _present(sub, S.BUDGET):
        return Budget()
    records = {r["label"]: r for r in sub.budget_records}
    col = sub.layout.budget_value_col
    values: dict[str, float | None] = {}
    cells: dict[str, str] = {}
    found: list[Finding] = []
    for item in rules.budget:
        rec = records.get(item.label)
        if rec is None:
            values[item.key] = None
            continue
        cell = a1(rec[ROW], col)
        cells[item.key] = cell
        err = sub.errors.get((S.BUDGET, cell))
        number, ok = read_number(rec["数值"])
        if err:
            found.append(error_value(S.BUDGET, cell, f"“{item.label}”", err))
            number = None
        elif not ok:
            found.append(finding("V202", "budget", label=item.label, unit=item.unit, value=fmt_value(rec["数值"]),
                                 cell=cell, sheet=S.BUDGET, expected=f"数字（{item.unit}）",
                                 actual=fmt_value(rec["数值"])))
        elif number is None:
            if item.required:
                what = "金额" if item.unit == "万元" else "数量"
                found.append(finding("V201", "budget", label=item.label, what=what, unit=item.unit, cell=cell,
                                     sheet=S.BUDGET, expected=f"数字（{item.unit}）"))
            else:
                number = 0.0
        elif number < 0:
            found.append(finding("V205", label=item.label, value=fmt_number(number), cell=cell, sheet=S.BUDGET,
                                 expected="≥ 0", actual=fmt_number(number)))
        values[item.key] = number
    rates = {rate.key: _compute_rate(sub, rules, values, rate) for rate in rules.rates}
    return Budget(values, cells, rates, tuple(found))


def _compute_rate(sub: Submission, rules: Rules, figures: Mapping[str, float | None], rate: Rate) -> RateResult:
    cell = sub.layout.budget_cell(rate.label) or ""
    missing = tuple(rules.budget_item(k).label for k in rate.inputs if figures.get(k) is None)
    if missing:
        return RateResult(rate.key, rate.label, None, status="missing", missing=missing, cell=cell)
    values = {k: Num(figures[k]) for k in rate.inputs}  # type: ignore[arg-type]
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


# ---------------------------------------------------------------------------------------------
# 绩效指标: every row read once


@dataclass(frozen=True)
class _Reading:
    """What reading a row looks at besides the row: the submission, the rules, the rates."""

    sub: Submission
    rules: Rules
    rates: Mapping[str, RateResult]


def _read_lines(sub: Submission, rules: Rules, budget: Budget) -> list[Line]:
    """One ``Line`` per indicator row; none without the sheet or its header row."""
    if not _present(sub, S.INDICATORS) or sub.structure[S.INDICATORS].header_row is None:
        return []
    reading = _Reading(sub, rules, budget.rates)
    lay = sub.layout
    common_rows = {lay.ind_rows[i.name]: i for i in rules.indicators if i.name in lay.ind_rows}
    level1_names = rules.level1_names
    lines = []
    for rec in sub.indicator_records:
        row = rec[ROW]
        line = Line(row=row, level1=_str(rec.get(S.LEVEL1)), level2=_str(rec.get(S.LEVEL2)),
                    name=_str(rec.get(S.NAME)), cells=RowCells(row, lay.ind_cols), reason=_str(rec.get(S.REASON)))
        line.findings = tuple(_read_row(reading, line, rec, common_rows.get(row), level1_names))
        lines.append(line)
    return lines


def _read_row(reading: _Reading, line: Line, rec: dict, common: CommonIndicator | None,
              level1_names: tuple[str, ...]) -> Iterable[Finding]:
    typed = rec.get(TYPED_LEVEL1)
    if typed:
        where = f"“{line.name}”" if line.name else f"第 {line.row} 行"
        yield finding("V208", "block", where=where, block=line.level1, level1=typed, sheet=S.INDICATORS,
                      cell=line.cells.get(S.LEVEL1, ""), expected=line.level1, actual=typed)
    if common:
        yield from _read_common(reading, line, common, rec)
    else:
        yield from _read_own(reading, line, rec, level1_names)
    yield from _read_self_score(reading, line, rec)


def _str(v: object) -> str:
    return "" if v is None else str(v).strip()


def _blocked(line: Line, f: Finding) -> Finding:
    if f.level == ERROR and not line.blocked:
        line.blocked = f.message
    return f


def _cell_error(reading: _Reading, line: Line, header: str) -> str | None:
    if not reading.sub.errors:
        return None
    cell = line.cells.get(header)
    return reading.sub.errors.get((S.INDICATORS, cell)) if cell else None


def _read_common(reading: _Reading, line: Line, ind: CommonIndicator, rec: dict) -> Iterable[Finding]:
    rules = reading.rules
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
        line.rate = reading.rates.get(ind.rate)
        r = line.rate
        if r is None:
            line.blocked = f"预算情况中找不到“{reading.rules.rate(ind.rate).label}”的数据，无法计算"
        elif r.status == "missing":
            line.blocked = f"预算情况中“{'、'.join(r.missing)}”未填写或不是数字，无法计算"
        elif r.status == "div0":
            line.blocked = f"{r.label}的分母为 0，无法计算"
        return
    yield from _read_actual(reading, line, rec)


def _same_target(typed: object, rule: str, rules: Rules) -> bool:
    """A common row's 指标值 as the rules give it: read the same, or (text no target reads) the same text."""
    mine, theirs = parse_target(typed, rules), parse_target(rule, rules)
    if mine is None or theirs is None:
        return mine is None and theirs is None and label_key(typed) == label_key(rule)
    return (mine.kind, mine.value, mine.word, mine.due) == (theirs.kind, theirs.value, theirs.word, theirs.due)


def _read_own(reading: _Reading, line: Line, rec: dict, level1_names: tuple[str, ...]) -> Iterable[Finding]:
    rules = reading.rules
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
    err = _cell_error(reading, line, S.WEIGHT)
    w, ok = read_number(rec.get(S.WEIGHT))
    if err:
        yield _blocked(line, error_value(S.INDICATORS, line.cells[S.WEIGHT], f"{where}的分值", err))
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
    err = _cell_error(reading, line, S.TARGET)
    line.target = None if err else parse_target(raw_target, rules)
    if err:
        yield _blocked(line, error_value(S.INDICATORS, line.cells[S.TARGET], f"{where}的指标值", err))
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
    yield from _read_actual(reading, line, rec)


#: the method a department's own row is scored by, for the kinds of 指标值 no rule file chooses for
FIXED_METHODS = {"qualitative": "qualitative", "deadline": "deadline"}


def _read_actual(reading: _Reading, line: Line, rec: dict) -> Iterable[Finding]:
    where = f"“{line.name}”" if line.name else f"第 {line.row} 行"
    cell = line.cells.get(S.ACTUAL, "")
    err = _cell_error(reading, line, S.ACTUAL)
    if err:
        line.actual_text = err
        yield _blocked(line, error_value(S.INDICATORS, cell, f"{where}的实际完成值", err))
        return
    raw = rec.get(S.ACTUAL)
    line.actual_cell = raw
    line.actual_text = _as_typed(raw)  # what the department typed, whether or not it can be read
    if raw is None and (S.INDICATORS, cell) in reading.sub.formulas:
        yield _blocked(line, finding("V204", "no_value", where=where, cell=cell, sheet=S.INDICATORS, expected="数值",
                                     actual=reading.sub.formulas[(S.INDICATORS, cell)].text))
        return
    if line.target is None:  # V203 on the target; a blank actual is said at once too
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            yield _blocked(line, finding("V201", "actual", where=where, cell=cell, na=reading.rules.not_applicable,
                                         sheet=S.INDICATORS, expected="实际完成值"))
        return
    method = METHODS.get(line.method or "")
    if method is not None and method.reads == "count":
        items = line.common.params.get("items") if line.common else None
        actual = read_count(raw, reading.rules, len(items) if items else None)
    else:
        actual = read_actual(raw, line.target, reading.rules, reading.sub.basic.year)
    line.actual = actual
    if actual.missing:
        yield _blocked(line, finding("V201", "actual", where=where, cell=cell, na=reading.rules.not_applicable,
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


def _read_self_score(reading: _Reading, line: Line, rec: dict) -> Iterable[Finding]:
    cell = line.cells.get(S.SELF_SCORE, "")
    err = _cell_error(reading, line, S.SELF_SCORE)
    where = f"“{line.name}”" if line.name else f"第 {line.row} 行"
    if err:
        line.self_score_typed = True
        yield error_value(S.INDICATORS, cell, f"{where}的自评得分", err)
        return
    v, ok = read_number(rec.get(S.SELF_SCORE))
    line.self_score_typed = v is not None or not ok
    if not ok:
        yield finding("V202", "self_score", where=where, value=fmt_value(rec.get(S.SELF_SCORE)), cell=cell,
                      sheet=S.INDICATORS, expected="数字", actual=fmt_value(rec.get(S.SELF_SCORE)))
    line.self_score = v
