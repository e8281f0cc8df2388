"""The checks of spec/findings.md on structure (S), values (V), formulas (X) and budget (B).

Each check is a small function ``check(interp) -> Iterable[Finding]`` of the ``Interpretation``
(``interpret.py``: the submission as the rule set reads it, read once before any check); ``CHECKS``
runs them in order. No check changes the interpretation or reads what another check left: any of
them can run alone, in any order. Nothing here computes a score: see ``score.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from selfeval_xl.check.interpret import NO, YES, Interpretation, Line, RateResult, error_value
from selfeval_xl.check.read import label_key
from selfeval_xl.core import names as S
from selfeval_xl.core.findings import Finding, finding
from selfeval_xl.core.formulas import ExcelError, Value, col_letter
from selfeval_xl.core.numbers import fmt_number, fmt_percent, fmt_value
from selfeval_xl.core.units import as_written, how_name_typed, how_typed, visible
from selfeval_xl.form.layout import describe_cell, formula_text
from selfeval_xl.ooxml.sheet import hidden_lines
from selfeval_xl.rules.model import Rate

__all__ = ["CHECKS", "Check", "run_checks"]


Check = Callable[[Interpretation], Iterable[Finding]]


# ---------------------------------------------------------------------------------------------
# Structure


def check_structure(interp: Interpretation) -> Iterable[Finding]:
    """S101 missing sheets, S102 missing headers and labels, S103 template version."""
    data_sheets = S.SHEETS[1:]
    missing = [s for s in data_sheets if not interp.present(s)]
    if len(missing) == len(data_sheets):
        yield finding("S101", "none", sheets="、".join(data_sheets),
                      expected="、".join(data_sheets), actual="、".join(interp.sub.sheet_names[:10]))
        return
    for sheet in missing:
        found = renamed_as(sheet, interp.sub.sheet_names)
        if found:
            yield finding("S101", "renamed", sheet=sheet, found=found, expected=sheet, actual=found)
        else:
            yield finding("S101", sheet=sheet, expected=sheet)
    headers = {S.BASIC: S.BASIC_HEADERS, S.GOALS: S.GOALS_HEADERS, S.TASKS: S.TASKS_HEADERS,
               S.BUDGET: S.BUDGET_HEADERS, S.INDICATORS: S.INDICATOR_HEADERS, S.SUMMARY: S.SUMMARY_HEADERS,
               S.PROBLEMS: S.PROBLEMS_HEADERS}
    for sheet in data_sheets:
        info = interp.sub.structure.get(sheet)
        if not info or not info.present:
            continue
        lost_headers = [m for m in info.missing if m in headers[sheet]]
        if lost_headers:
            yield finding("S102", "header", sheet=sheet, headers="、".join(lost_headers),
                          expected="、".join(lost_headers))
        for label in info.missing:
            if label in headers[sheet]:
                continue
            if sheet == S.BASIC and label in interp.rules.declared_items and interp.from_earlier_template:
                yield _declared_row_added(interp, label)
                continue
            yield finding("S102", "label", sheet=sheet, label=label, expected=label)
    if interp.present(S.BASIC) and S.TEMPLATE_VERSION in interp.sub.basic.cells:
        yield from _template_version(interp)


def _declared_row_added(interp: Interpretation, item: str) -> Finding:
    """S102 for a 加分、扣分 or 一票否决 row an earlier template of the rule set never had: nothing
    was deleted; it counts as not declared until she adds the row."""
    is_veto = any(v.item == item for v in interp.rules.vetoes)
    return finding("S102", "added", sheet=S.BASIC, label=item, rules_version=interp.rules.version,
                   version=interp.sub.basic.template_version, default=f"“{NO}”" if is_veto else " 0 次",
                   answer=f"“{YES}”或“{NO}”" if is_veto else "次数（没有的填 0）", expected=item)


def _template_version(interp: Interpretation) -> Iterable[Finding]:
    """S103, file-level: the version cell is the template's, not hers to change. With the rule set
    chosen by the version (no --rules), a version of no bundled set is said once, plainly: which set
    it was checked by, and how the bureau's own rule file is given."""
    version, rules = interp.sub.basic.template_version, interp.rules
    if version == rules.version:
        return
    if interp.from_earlier_template:
        from selfeval_xl.rules.model import rules_name

        yield finding("S103", "previous", version=version, name=rules_name(rules), expected=rules.version,
                      sheet=S.BASIC, actual=version)
    elif interp.chosen == "closest":
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


def check_basic(interp: Interpretation) -> Iterable[Finding]:
    """V201 empty required fields, V202 a year that is not a year, V207 error values."""
    if not interp.present(S.BASIC):
        return
    basic = interp.sub.basic
    for fld in S.BASIC_FIELDS:
        cell = basic.cells.get(fld.label)
        if cell is None:
            continue
        err = interp.sub.errors.get((S.BASIC, cell))
        if err:
            yield error_value(S.BASIC, cell, f"“{fld.label}”", err)
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


def check_declared(interp: Interpretation) -> Iterable[Finding]:
    """V201/V202/V207 on the rows 基本信息 adds for the rules over the total: each 加分、扣分 item a
    whole number of times, each 一票否决 item 是 or 否 (what ``interpret`` found reading them)."""
    return interp.declared_findings


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


def check_budget(interp: Interpretation) -> Iterable[Finding]:
    """V201/V202/V205/V207 on the inputs (what ``interpret`` found reading them), B401-B403
    consistency, B404/B405 on the rates."""
    if not interp.present(S.BUDGET):
        return
    yield from interp.budget.findings
    yield from _budget_consistency(interp)
    for rate in interp.rules.rates:
        yield from _rate_findings(interp, rate, interp.budget.rates[rate.key])


def _budget_consistency(interp: Interpretation) -> Iterable[Finding]:
    b, rules = interp.budget, interp.rules
    for chk in rules.budget_checks:
        if chk.parts:
            yield from _parts_check(interp, chk.code, chk.parts, chk.total)
        else:
            left, right = b.values.get(chk.left), b.values.get(chk.right)
            if left is None or right is None:
                continue
            if left > right + 1e-9:
                cell = b.cells.get(chk.left, "")
                yield finding(chk.code, left_label=rules.budget_item(chk.left).label, left=fmt_number(left),
                              right_label=rules.budget_item(chk.right).label, right=fmt_number(right), cell=cell,
                              sheet=S.BUDGET, expected=f"≤ {fmt_number(right)}", actual=fmt_number(left))


def _parts_check(interp: Interpretation, code: str, keys: tuple[str, ...], total_key: str) -> Iterable[Finding]:
    """B401/B402: the parts add up to the total. With a part not filled in (V201 says so), the
    parts already there may exceed the total: amounts are never negative, so no figure typed into
    the empty part can mend that, and it is said at once."""
    b, rules = interp.budget, interp.rules
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


def _rate_findings(interp: Interpretation, rate: Rate, r: RateResult) -> Iterable[Finding]:
    # the cell she can change: the denominator's input (the rate itself is a formula)
    inputs = [k for k in rate.denominator.names() if k in interp.budget.cells] or list(rate.inputs)
    where = interp.budget.cells.get(inputs[0], "")
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


def check_formulas(interp: Interpretation) -> Iterable[Finding]:
    """X301 a formula typed over, X302 a formula changed, X303 a saved value that is not what the
    formula gives. Cells without a saved value (files from tools that do not calculate) are normal."""
    sub = interp.sub
    for (sheet, cell), expr in interp.formulas.items():
        if not interp.present(sheet):
            continue
        expected = formula_text(expr)
        actual = sub.formulas.get((sheet, cell))
        if actual is not None and actual.has_saved and (sheet, cell) in interp.recalc_intact:
            recomputed = interp.recalc.value(sheet, cell)
            if _same_value(actual.saved, recomputed):
                continue  # the common case: the template's formula, its saved value right
        desc = describe_cell(sub.layout, sheet, cell)
        if actual is None:
            value = sub.value(sheet, cell)
            shown = str(value) if isinstance(value, ExcelError) else fmt_value(value)
            yield finding("X301", what=desc, value=shown, formula=expected, sheet=sheet, cell=cell,
                          expected=expected, actual=shown)
        elif (sheet, cell) not in interp.recalc_intact:
            yield finding("X302", what=desc, changed=actual.text, formula=expected, sheet=sheet, cell=cell,
                          expected=expected, actual=actual.text)
        elif actual.has_saved:
            recomputed = interp.recalc.value(sheet, cell)
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


def check_indicators(interp: Interpretation) -> Iterable[Finding]:
    """S104 common rows missing, what reading each indicator row found (V201-V208, S104 a common
    row changed), V209 a row under two 一级指标, V210 a cost written "≥"."""
    if not interp.present(S.INDICATORS) or interp.sub.structure[S.INDICATORS].header_row is None:
        return
    rules, lay = interp.rules, interp.sub.layout
    for ind in rules.indicators:
        if ind.name not in lay.ind_rows:
            yield finding("S104", "missing", name=ind.name, level1=ind.level1, level2=ind.level2,
                          sheet=S.INDICATORS, expected=ind.name)
    for line in interp.lines:
        yield from line.findings
    yield from _repeated_indicators(interp)
    yield from _cost_targets(interp)


def _repeated_indicators(interp: Interpretation) -> Iterable[Finding]:
    """V209: the same 三级指标 under two 一级指标 (a row counted in two categories)."""
    first: dict[str, Line] = {}
    for line in interp.lines:
        key = label_key(line.name)
        if not key:
            continue
        seen = first.setdefault(key, line)
        if seen is not line and label_key(seen.level1) != label_key(line.level1):
            yield finding("V209", name=line.name, first=seen.level1, first_row=seen.row, second=line.level1, row=line.row,
                          sheet=S.INDICATORS, cell=line.cells.get(S.NAME, ""), expected="不重复的指标", actual=line.name)


#: a 二级指标 that names costs: its target should read "at most"
COST_WORDS = ("成本",)


def _cost_targets(interp: Interpretation) -> Iterable[Finding]:
    """V210: a department's 成本 indicator written "≥" where "≤" was meant."""
    for line in interp.lines:
        t = line.target
        if line.common is None and t is not None and t.kind == "at_least" and any(w in line.level2 for w in COST_WORDS):
            yield finding("V210", name=line.name or f"第 {line.row} 行", target=t.text, sheet=S.INDICATORS,
                          cell=line.cells.get(S.TARGET, ""), expected="≤ …", actual=t.text)


# ---------------------------------------------------------------------------------------------
# What the department sees


def check_visibility(interp: Interpretation) -> Iterable[Finding]:
    """S105 a standard sheet hidden, S106 indicator rows or columns of 绩效指标 hidden: what is
    scored is then not what the department (or an auditor opening the file) sees."""
    wb = interp.sub.workbook
    if wb is None:
        return
    for ref in wb.sheets:
        if ref.name in S.SHEETS[1:] and ref.state in ("hidden", "veryHidden"):
            yield finding("S105", "very" if ref.state == "veryHidden" else "", sheet=ref.name, expected="显示",
                          actual="深度隐藏" if ref.state == "veryHidden" else "隐藏")
    part = wb.sheet_parts().get(S.INDICATORS)
    if not part or not interp.lines:
        return
    cols = interp.sub.layout.ind_cols
    rows, hidden_cols = hidden_lines(wb.package.xml(part), {line.row for line in interp.lines}, set(cols.values()))
    if rows:
        shown = "、".join(map(str, rows[:10])) + (f" 等 {len(rows)} 行" if len(rows) > 10 else " 行")
        yield finding("S106", sheet=S.INDICATORS, what=f"第 {shown}", unit="行", expected="显示", actual="隐藏")
    if hidden_cols:
        names = {c: h for h, c in cols.items()}
        shown = "、".join(f"{col_letter(c)} 列（{names[c]}）" for c in hidden_cols)
        yield finding("S106", sheet=S.INDICATORS, what=shown, unit="列", expected="显示", actual="隐藏")


CHECKS: tuple[Check, ...] = (check_structure, check_basic, check_declared, check_budget, check_formulas,
                             check_indicators, check_visibility)


def run_checks(interp: Interpretation) -> list[Finding]:
    out: list[Finding] = []
    for check in CHECKS:
        out.extend(check(interp))
    return out
