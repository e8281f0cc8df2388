"""The template's own checks (填报自查): what the form tells a clerk as she types, offline.

Each ``FormCheck`` is one line of the 自查 block on 得分汇总: a count formula (how many places are
still wrong), where to look, and the conditional formats that mark those places on their sheets.
They are made from the same rules as the tool's checks, and each names the finding codes it sees,
so that a test can hold the form to its word: when the form counts nothing, ``check`` finds no
error of those codes (``FORM_SEES``). What a formula cannot see (how a 指标值 or 实际完成值 is
written, a formula typed over, scores the bureau computes) is left to ``check``.

Count formulas are expressions (``formulas.py``): the template writes their text with the value
they give, and ``check`` never reads them. Mark formulas are Excel text, relative to the first
cell of their range, as conditional formats are written.

Each count stands alone, and so does each of its terms: text where a number belongs is counted
(never an error that a guard turns into 0 for the whole check), and an error value in a cell makes
only the term that meets it count nothing (error values are a check of their own). Counts over a
column are COUNT/COUNTA/COUNTIF(S) forms or array formulas (``Array``), which Excel, WPS,
LibreOffice and Gnumeric evaluate alike; ISNUMBER or ISERROR of a range inside SUMPRODUCT is not
(Gnumeric reads one cell of the range).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from selfeval_xl.core import names as S
from selfeval_xl.core.findings import Finding
from selfeval_xl.core.formulas import Area, Array, BinOp, Bool, Call, Expr, Num, Ref, Str, a1, col_letter, split_a1
from selfeval_xl.core.numbers import fmt_number
from selfeval_xl.form.instructions import qualitative_answers
from selfeval_xl.form.layout import Block, Layout, category_self_score, ind_area
from selfeval_xl.rules.model import BudgetItem, Category, Rules

__all__ = ["FORM_SEES", "FormCheck", "Mark", "form_checks", "form_sees", "verdict", "year_accepted"]

#: the finding codes some form check sees (errors, and the warnings the form reminds of)
FORM_SEES = frozenset({"V201", "V202", "V203", "V205", "V207", "B401", "B402", "B403", "B404", "P501", "P504", "P505",
                       "P508", "P509", "P511"})


def form_sees(f: Finding) -> bool:
    """Whether a finding of ``check`` is one the form's own checks see: when the 自查 block counts
    nothing, ``check`` reports none of these. V203 only for an empty 指标值 (how one is written is
    not a formula's to judge)."""
    if f.code == "V203":
        return f.actual == ""
    return f.code in FORM_SEES


@dataclass(frozen=True, slots=True)
class Mark:
    """A conditional format: cells of ``sheet`` in ``cells`` (ranges separated by spaces) are marked
    where ``formula`` is true, its references relative to the first cell. ``style`` is "wrong" (a
    value to correct) or "todo" (a field still to fill)."""

    sheet: str
    cells: str
    formula: str
    style: str = "wrong"


@dataclass(frozen=True, slots=True)
class FormCheck:
    codes: tuple[str, ...]
    level: str  # "error" (须改正) or "warning" (建议补充)
    title: str
    where: str
    count: Expr
    marks: tuple[Mark, ...] = ()


def form_checks(rules: Rules, lay: Layout) -> list[FormCheck]:
    """The self-checks of a template with this layout, errors first."""
    out = [_error_values(rules, lay), _basic(lay), *_declared(rules, lay), *_budget(rules, lay), *_indicators(rules, lay)]
    return [c for c in out if c.level == "error"] + [c for c in out if c.level == "warning"]


def verdict(errors: Expr, warnings: Expr) -> Expr:
    """The 自查 conclusion in words."""
    return Call("IF", (
        BinOp(">", errors, Num(0)),
        BinOp("&", BinOp("&", Str("还有 "), errors), Str(" 处须改正（见上表，单元格已标红）")),
        Call("IF", (BinOp(">", warnings, Num(0)),
                    BinOp("&", BinOp("&", Str("没有须改正的问题；有 "), warnings), Str(" 处建议补充说明")),
                    Str("未发现问题。提交前请再核对一遍各项数字")))))


# ---------------------------------------------------------------------------------------------


def _sum(terms: Sequence[Expr]) -> Expr:
    expr = terms[0] if terms else Num(0)
    for t in terms[1:]:
        expr = BinOp("+", expr, t)
    return expr


def _guarded(expr: Expr) -> Expr:
    """A term that meets an error value (a typed #N/A, a formula dividing by 0) counts nothing: the
    error values are a check of their own (``_error_values``). Guard terms, not whole checks."""
    return Call("IFERROR", (expr, Num(0)))


def _guarded_sum(terms: Sequence[Expr]) -> Expr:
    return _sum([_guarded(t) for t in terms])


def _blank_text(ref: Expr) -> Expr:
    """A cell as text with its spaces (full-width and no-break ones too) and control characters
    gone: "" for what ``check`` reads as blank."""
    return Call("TRIM", (Call("CLEAN", (Call("SUBSTITUTE", (Call("SUBSTITUTE", (ref, Str("\u3000"), Str(" "))),
                                                          Str("\u00a0"), Str(" "))),)),))


def _flag(condition: Expr) -> Expr:
    return Call("IF", (condition, Num(1), Num(0)))


def _ref(sheet: str, cell: str) -> Ref:
    return Ref(sheet, cell, home=S.SUMMARY)


def _input_ranges(rules: Rules, lay: Layout) -> list[tuple[str, str]]:
    """(sheet, A1 range) of every cell a clerk types into: 基本信息's values, 预算情况's inputs and
    绩效指标's columns from 二级指标 to 偏差原因 (without the computed 实际完成值)."""
    out: list[tuple[str, str]] = []
    col = col_letter(lay.basic_value_col)
    basic = sorted(r for label, r in lay.basic_rows.items() if label != S.TEMPLATE_VERSION)
    out += [(S.BASIC, f"{col}{a}:{col}{b}") for a, b in _runs(basic)]
    col = col_letter(lay.budget_value_col)
    budget = [lay.budget_rows[b.label] for b in rules.budget if b.label in lay.budget_rows]
    out += [(S.BUDGET, f"{col}{a}:{col}{b}") for a, b in _runs(budget)]
    cols = lay.ind_cols
    if lay.ind_blocks and all(h in cols for h in (S.LEVEL2, S.NAME, S.WEIGHT, S.TARGET, S.ACTUAL, S.SELF_SCORE, S.REASON)):
        first, last = lay.ind_first, lay.ind_last
        b, e, f, g, h = (col_letter(cols[x]) for x in (S.LEVEL2, S.TARGET, S.ACTUAL, S.SELF_SCORE, S.REASON))
        computed = {lay.ind_rows[i.name] for i in rules.indicators if i.rate and i.name in lay.ind_rows}
        rows = [r for r in range(first, last + 1) if r not in {blk.footer for blk in lay.ind_blocks if blk.has_footer}]
        for x, y in _runs(rows):
            out += [(S.INDICATORS, f"{b}{x}:{e}{y}"), (S.INDICATORS, f"{g}{x}:{h}{y}")]
        out += [(S.INDICATORS, f"{f}{x}:{f}{y}") for x, y in _runs([r for r in rows if r not in computed])]
    return out


def _error_values(rules: Rules, lay: Layout) -> FormCheck:
    ranges = _input_ranges(rules, lay)
    terms: list[Expr] = []
    for sheet, rng in ranges:
        first, last = rng.split(":")
        terms.append(BinOp("*", Call("ISERROR", (Area(sheet, first, last, home=S.SUMMARY),)), Num(1)))
    marks = tuple(Mark(sheet, rng, f"ISERROR({rng.split(':')[0]})") for sheet, rng in ranges)
    return FormCheck(("V207",), "error", "有单元格显示为错误值（如 #DIV/0!、#N/A），请改为数字或文字",
                     "标红的单元格（基本信息、预算情况、绩效指标）", Array(Call("SUM", tuple(terms))), marks)


def _year_wrong(ref: Expr) -> Expr:
    """评价年度 is not what ``check`` reads as a year: a whole number from 1900 to 2100, or text of four
    digits in that range, alone or followed by 年 or 年度 ("2024年"). Blank is not this check's."""
    text = _blank_text(ref)
    digits = [Call("ISNUMBER", (Call("FIND", (Call("MID", (text, Num(i), Num(1))), Str("0123456789"))),))
              for i in range(1, 5)]
    year = Call("VALUE", (Call("LEFT", (text, Num(4))),))
    rest = Call("MID", (text, Num(5), Num(9)))
    text_year = Call("AND", (BinOp(">=", year, Num(1900)), BinOp("<=", year, Num(2100)),
                             Call("OR", (BinOp("=", rest, Str("")), BinOp("=", rest, Str("年")),
                                         BinOp("=", rest, Str("年度"))))))
    number_wrong = Call("OR", (BinOp("<", ref, Num(1900)), BinOp(">", ref, Num(2100)),
                               BinOp("<>", ref, Call("INT", (ref,)))))
    # nested IFs: AND and OR evaluate every argument, and VALUE of a non-year is #VALUE!
    text_wrong = Call("IF", (BinOp("<", Call("LEN", (text,)), Num(4)), Num(1),
                             Call("IF", (Call("AND", tuple(digits)), _flag(Call("NOT", (text_year,))), Num(1)))))
    return Call("IF", (BinOp("=", text, Str("")), Num(0),
                       Call("IF", (Call("ISNUMBER", (ref,)), _flag(number_wrong), text_wrong))))


def year_accepted(ref: Expr) -> Expr:
    """评价年度's data validation (Excel keeps at most 255 characters of it): true for what ``check``
    reads as a year (read._year): a whole number from 1900 to 2100, or text of four digits in that
    range alone or followed by 年 or 年度 ("2024年"), spaces around it trimmed. Stricter only on
    full-width digits and spaces ("２０２４年") and a line break around it (no room is left for CLEAN),
    which a clerk is then asked to type plainly."""
    text = Call("TRIM", (ref,))
    head = Call("LEFT", (text, Num(4)))
    rest = Call("MID", (text, Num(5), Num(9)))

    def within(v: Expr) -> Expr:
        return BinOp("<=", Call("ABS", (BinOp("-", v, Num(2000)),)), Num(100))

    number = Call("AND", (within(ref), BinOp("=", ref, Call("INT", (ref,)))))
    year = Call("VALUE", (head,))  # VALUE: every engine converts the text alike (arithmetic may not)
    digits = BinOp("=", Call("TEXT", (year, Str("0"))), head)  # four digits and nothing else
    suffix = Call("OR", tuple(BinOp("=", rest, Str(s)) for s in ("", "年", "年度")))
    text_year = Call("IFERROR", (Call("AND", (suffix, digits, within(year))), Bool(False)))
    return Call("IF", (Call("ISNUMBER", (ref,)), number, text_year))


def _basic(lay: Layout) -> FormCheck:
    terms: list[Expr] = []
    marks: list[Mark] = []
    for fld in S.BASIC_FIELDS:
        row = lay.basic_rows.get(fld.label)
        if row is None:
            continue
        cell = a1(row, lay.basic_value_col)
        ref = _ref(S.BASIC, cell)
        local = Ref(None, cell, home=S.BASIC)
        if fld.required:
            terms.append(_flag(BinOp("=", _blank_text(ref), Str(""))))
            marks.append(Mark(S.BASIC, cell, BinOp("=", _blank_text(local), Str("")).excel(), "todo"))
        if fld.attr == "year":
            terms.append(_year_wrong(ref))
            marks.append(Mark(S.BASIC, cell, _year_wrong(local).excel() + "=1"))
    return FormCheck(("V201", "V202"), "error", "基本信息必填项未填，或评价年度不是 4 位年份",
                     "基本信息 B 列标色的单元格", _guarded_sum(terms), tuple(marks))


def _declared(rules: Rules, lay: Layout) -> list[FormCheck]:
    """V201/V202 on the rule set's 加分、扣分 rows (a whole number of times) and 一票否决 rows (是 or 否)."""
    terms: list[Expr] = []
    marks: list[Mark] = []
    vetoes = {v.item for v in rules.vetoes}
    for item in rules.declared_items:
        row = lay.basic_rows.get(item)
        if row is None:
            continue
        cell = a1(row, lay.basic_value_col)
        ref = _ref(S.BASIC, cell)
        if item in vetoes:
            wrong = Call("AND", (BinOp("<>", ref, Str("是")), BinOp("<>", ref, Str("否"))))
            text = f'AND({cell}<>"是",{cell}<>"否")'
        else:
            # text is wrong too, but must not reach ROUND (an error there would hide every count)
            wrong = Call("IF", (Call("ISNUMBER", (ref,)),
                                Call("OR", (BinOp("<", ref, Num(0)), BinOp("<>", Call("ROUND", (ref, Num(0))), ref))),
                                Num(1)))
            text = f"IF(ISNUMBER({cell}),OR({cell}<0,ROUND({cell},0)<>{cell}),1)"
        terms.append(wrong)
        marks.append(Mark(S.BASIC, cell, text))
    if not terms:
        return []
    return [FormCheck(("V201", "V202"), "error", "加分、扣分和一票否决事项未填，或不是次数、“是”“否”",
                      "基本信息 B 列标红的单元格", _guarded(_sum([_flag(t) for t in terms])), tuple(marks))]


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Consecutive rows as (first, last) runs."""
    out: list[tuple[int, int]] = []
    for r in sorted(rows):
        if out and r == out[-1][1] + 1:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return out


def _parts_condition(rules: Rules, parts: Sequence[BudgetItem], ref: dict[str, Ref], total: Ref) -> Expr:
    """B401/B402 as ``check`` says them (validate._parts_check): with the total a number, the parts
    that are numbers (an optional part left blank counts 0) must add up to it; while a part is still
    to be filled, those there may not exceed it already (amounts are never negative: no figure typed
    into the empty part could mend that). A part that is text or an error value counts as not there."""
    values = [Call("IF", (Call("ISNUMBER", (ref[b.key],)), ref[b.key], Num(0))) for b in parts]
    known = [Call("IF", (Call("ISNUMBER", (ref[b.key],)), Num(1),
                         Num(0) if b.required else _guarded(_flag(BinOp("=", _blank_text(ref[b.key]), Str(""))))))
             for b in parts]
    over = BinOp("-", _sum(values), total)
    count = _sum(known)
    wrong = Call("IF", (BinOp("<", count, Num(len(parts))), BinOp(">", Call("ROUND", (over, Num(6))), Num(rules.tolerance)),
                        BinOp(">", Call("ROUND", (Call("ABS", (over,)), Num(6))), Num(rules.tolerance))))
    nothing = BinOp("=", Call("COUNT", (total,)), Num(0))
    return Call("IF", (nothing, Num(0), Call("IF", (BinOp("=", count, Num(0)), Num(0), _flag(wrong)))))


def _budget(rules: Rules, lay: Layout) -> list[FormCheck]:
    col = col_letter(lay.budget_value_col)
    cells = {b.key: lay.budget_cell(b.label) for b in rules.budget}
    if not all(cells.values()):
        return []
    ref = {k: _ref(S.BUDGET, c) for k, c in cells.items() if c}
    rows = [split_a1(c)[0] for c in cells.values() if c]
    all_inputs = f"${col}${min(rows)}:${col}${max(rows)}"
    missing: list[Expr] = []
    marks: list[Mark] = []
    for b in rules.budget:
        r = ref[b.key]
        not_number = Call("NOT", (Call("ISNUMBER", (r,)),))
        missing.append(not_number if b.required else Call("AND", (BinOp("<>", r, Str("")), not_number)))
    for first, last in _runs(rows):
        cell = f"{col}{first}"
        marks.append(Mark(S.BUDGET, f"{cell}:{col}{last}", f'AND({cell}<>"",NOT(ISNUMBER({cell})))'))
    for first, last in _runs([split_a1(ref[b.key].cell)[0] for b in rules.budget if b.required]):
        cell = f"{col}{first}"
        marks.append(Mark(S.BUDGET, f"{cell}:{col}{last}", f'AND(COUNT({all_inputs})>0,{cell}="")', "todo"))
    negative = [Call("COUNTIF", (Area(S.BUDGET, f"{col}{a}", f"{col}{b}", home=S.SUMMARY), Str("<0")))
                for a, b in _runs(rows)]
    out = [
        FormCheck(("V201", "V202"), "error", "预算情况有未填或不是数字的项目（没有的填 0）",
                  "预算情况 B 列标色的单元格（开始填写后显示）", _guarded_sum(missing), tuple(marks)),
        FormCheck(("V205",), "error", "预算情况有负数", "预算情况 B 列标红的单元格", _sum(negative),
                  tuple(Mark(S.BUDGET, f"{col}{a}:{col}{b}", f"AND(ISNUMBER({col}{a}),{col}{a}<0)") for a, b in _runs(rows))),
    ]
    for chk in rules.budget_checks:
        keys = [*chk.parts, chk.total] if chk.parts else [chk.left, chk.right]
        label = {k: rules.budget_item(k).label.removeprefix("其中：") for k in keys}
        if chk.parts:
            condition = _parts_condition(rules, [rules.budget_item(k) for k in chk.parts], ref, ref[chk.total])
            title = " + ".join(label[k] for k in chk.parts) + f" 不等于{label[chk.total]}"
            at = cells[chk.total]
        else:
            count_all = BinOp("<", Call("COUNT", tuple(ref[k] for k in keys)), Num(len(keys)))
            wrong = BinOp(">", Call("ROUND", (BinOp("-", ref[chk.left], ref[chk.right]), Num(6))), Num(0))
            condition = Call("IF", (count_all, Num(0), _flag(wrong)))
            title = f"{label[chk.left]}大于{label[chk.right]}"
            at = cells[chk.left]
        formula = condition.excel().replace(f"{S.BUDGET}!", "")
        out.append(FormCheck((chk.code,), "error", title, f"预算情况 {at}", _guarded(condition),
                             (Mark(S.BUDGET, at, formula + "=1"),)))  # type: ignore[arg-type]
    out.append(_zero_denominators(rules, lay, ref))
    return out


def _zero_denominators(rules: Rules, lay: Layout, ref: dict[str, Ref]) -> FormCheck:
    terms: list[Expr] = []
    marks: list[Mark] = []
    for rate in rules.rates:
        num = rate.numerator.bind(ref.__getitem__)
        den = rate.denominator.bind(ref.__getitem__)
        required = [ref[k] for k in rate.inputs if rules.budget_item(k).required]
        zero = Call("AND", (BinOp("=", den, Num(0)), BinOp("<>", num, Num(0))))
        term = Call("IF", (BinOp("<", Call("COUNT", tuple(required)), Num(len(required))), Num(0), _flag(zero)))
        terms.append(term)
        first = next(iter(rate.denominator.names()), None)
        at = ref[first].cell if first in ref else lay.budget_cell(rate.label)
        if at:
            marks.append(Mark(S.BUDGET, at, term.excel().replace(f"{S.BUDGET}!", "") + "=1"))
    return FormCheck(("B404",), "error", "比率的分母为 0 而分子不为 0，无法计算", "预算情况 B 列标红的单元格（分母）",
                     _guarded_sum(terms), tuple(marks))


def _indicators(rules: Rules, lay: Layout) -> list[FormCheck]:
    cols = lay.ind_cols
    if not all(h in cols for h in (S.NAME, S.WEIGHT, S.TARGET, S.ACTUAL, S.SELF_SCORE, S.REASON)) or not lay.ind_blocks:
        return []
    c, d, e, f, g, h = (col_letter(cols[x]) for x in (S.NAME, S.WEIGHT, S.TARGET, S.ACTUAL, S.SELF_SCORE, S.REASON))
    first, last = lay.ind_first, lay.ind_last  # the rows under the header: no header text counted
    area = {x: ind_area(lay, x, first, last, sheet=S.INDICATORS)
            for x in (S.NAME, S.WEIGHT, S.TARGET, S.ACTUAL, S.SELF_SCORE, S.REASON)}
    ac, ad, ae, af, ag, ah = (area[x] for x in (S.NAME, S.WEIGHT, S.TARGET, S.ACTUAL, S.SELF_SCORE, S.REASON))

    def filled(a: Expr) -> Expr:
        return BinOp("<>", a, Str(""))

    def blank(a: Expr) -> Expr:
        return BinOp("=", a, Str(""))

    def count(expr: Expr) -> Expr:
        """An array formula adding up ``expr`` (a product of comparisons) over the rows; a row with an
        error value counts nothing (the error values are counted on their own), the others still do."""
        return Array(Call("SUM", (_guarded(BinOp("*", expr, Num(1))),)))

    def not_numbers(a: Area) -> Expr:
        return BinOp("-", Call("COUNTA", (a,)), Call("COUNT", (a,)))

    in_use = BinOp(">", _sum([filled(x) for x in (ac, ad, ae, af, ag)]), Num(0))
    unfilled = _sum([blank(x) for x in (ac, ad, ae, af)])
    numbers = BinOp("*", Call("ISNUMBER", (ag,)), Call("ISNUMBER", (ad,)))
    over = BinOp(">", BinOp("+", BinOp(">", ag, ad), BinOp("<", ag, Num(0))), Num(0))
    computed = {lay.ind_rows[i.name] for i in rules.indicators if i.rate and i.name in lay.ind_rows}
    to_fill = " ".join([f"{c}{first}:{e}{last}", *(f"{f}{a}:{f}{b}" for a, b in _runs(
        [r for r in range(first, last + 1) if r not in computed]))])  # a computed 实际完成值 is not hers to fill
    row_in_use = f'OR(${c}{first}<>"",${d}{first}<>"",${e}{first}<>"",${f}{first}<>"",${g}{first}<>"")'
    where = "绩效指标中标色的单元格"
    out = [
        FormCheck(("V201", "V203"), "error", "绩效指标有未填的三级指标、分值、指标值或实际完成值", where,
                  count(BinOp("*", in_use, unfilled)),
                  (Mark(S.INDICATORS, to_fill, f'AND({row_in_use},{c}{first}="")', "todo"),)),
        FormCheck(("V202",), "error", "分值或自评得分不是数字，或分值为负数", where,
                  _sum([not_numbers(ad), not_numbers(ag), Call("COUNTIF", (ad, Str("<0")))]),
                  (Mark(S.INDICATORS, f"{d}{first}:{d}{last}", f'OR(AND({d}{first}<>"",NOT(ISNUMBER({d}{first}))),'
                                                               f'AND(ISNUMBER({d}{first}),{d}{first}<0))'),
                   Mark(S.INDICATORS, f"{g}{first}:{g}{last}", f'AND({g}{first}<>"",NOT(ISNUMBER({g}{first})))'))),
        FormCheck(("P504",), "error", "自评得分高于分值或小于 0", where,
                  Array(Call("SUM", (Call("IF", (numbers, BinOp("*", over, Num(1)), Num(0))),))),
                  (Mark(S.INDICATORS, f"{g}{first}:{g}{last}",
                        f"AND(ISNUMBER({g}{first}),ISNUMBER(${d}{first}),OR({g}{first}>${d}{first},{g}{first}<0))"),)),
        *_qualitative(rules, lay),
        *_category_weights(rules, lay),
        FormCheck(("P511",), "warning", "自评得分未填", where,
                  count(BinOp("*", BinOp("*", in_use, blank(ag)), BinOp("<>", af, Str(rules.not_applicable)))),
                  (Mark(S.INDICATORS, f"{g}{first}:{g}{last}",
                        f'AND({row_in_use},{g}{first}="",${f}{first}<>"{rules.not_applicable}")', "todo"),)),
        FormCheck(("P509",), "warning", f"标为“{rules.not_applicable}”的指标未说明理由", "绩效指标 偏差原因分析及改进措施列标色的单元格",
                  Call("COUNTIFS", (af, Str(rules.not_applicable), ah, Str(""))),
                  (Mark(S.INDICATORS, f"{h}{first}:{h}{last}", f'AND(${f}{first}="{rules.not_applicable}",{h}{first}="")',
                        "todo"),)),
    ]
    execution = next((i for i in rules.indicators if i.method == "execution" and i.name in lay.ind_rows), None)
    if execution is not None:
        row = lay.ind_rows[execution.name]
        actual, reason = _ref(S.INDICATORS, f"{f}{row}"), _ref(S.INDICATORS, f"{h}{row}")
        low = Call("AND", (Call("ISNUMBER", (actual,)), BinOp("<", actual, Num(rules.execution_reason_below)),
                           blank(reason)))
        out.append(FormCheck(("P508",), "warning", f"{execution.name}低于 {fmt_number(rules.execution_reason_below * 100)}% 未说明原因",
                             f"绩效指标 {h}{row}", _guarded(_flag(low)),
                             (Mark(S.INDICATORS, f"{h}{row}", low.excel().replace(f"{S.INDICATORS}!", ""), "todo"),)))
    return out


def _qualitative(rules: Rules, lay: Layout) -> list[FormCheck]:
    """P505 on the common qualitative rows (their 实际完成值 is chosen from the template's list)."""
    cols = lay.ind_cols
    f, g = col_letter(cols[S.ACTUAL]), col_letter(cols[S.SELF_SCORE])
    terms: list[Expr] = []
    marks: list[Mark] = []
    for ind in rules.indicators:
        row = lay.ind_rows.get(ind.name)
        if ind.method != "qualitative" or row is None:
            continue
        actual, score = _ref(S.INDICATORS, f"{f}{row}"), _ref(S.INDICATORS, f"{g}{row}")
        outside: Expr = Num(0)
        for tier, answers in reversed(qualitative_answers(ind.target, rules)):
            lo, hi = (round(x, 9) for x in tier.band(ind.weight))
            above = BinOp(">", score, Num(hi)) if tier.closed else BinOp(">=", score, Num(hi))
            chosen: Expr = BinOp("=", actual, Str(answers[0]))
            if len(answers) > 1:
                chosen = Call("OR", tuple(BinOp("=", actual, Str(a)) for a in answers))
            outside = Call("IF", (chosen, Call("OR", (BinOp("<", score, Num(lo)), above)), outside))
        term = Call("IF", (Call("AND", (Call("ISNUMBER", (score,)), BinOp("<=", score, Num(ind.weight)))),
                           _flag(outside), Num(0)))
        terms.append(term)
        marks.append(Mark(S.INDICATORS, f"{g}{row}", term.excel().replace(f"{S.INDICATORS}!", "") + "=1"))
    if not terms:
        return []
    return [FormCheck(("P505",), "error", "定性指标的自评得分不在所选档次的区间内", "绩效指标 自评得分列标红的单元格",
                      _guarded_sum(terms), tuple(marks))]


def qualitative_choices(word: str, rules: Rules) -> list[str]:
    """The drop-down of a qualitative row: each tier's answers (``instructions.qualitative_answers``),
    then the not-applicable word."""
    return [*(a for _, answers in qualitative_answers(word, rules) for a in answers), rules.not_applicable]


def _category_weights(rules: Rules, lay: Layout) -> list[FormCheck]:
    """P501 for the categories whose rows the department sets (a block with free rows)."""
    free = {fr.level1 for fr in rules.free_rows}
    out = []
    for cat in rules.categories:
        weights = category_self_score(rules, lay, cat, S.WEIGHT)
        if cat.level1 not in free or weights is None:
            continue
        wrong = BinOp(">", Call("ROUND", (Call("ABS", (BinOp("-", weights, Num(cat.weight)),)), Num(6))),
                      Num(rules.tolerance))
        footers = [b for b in lay.ind_blocks if b.level1 == cat.level1 and b.has_footer]
        at = [lay.ind_cell(S.LEVEL2, b.footer) for b in footers]
        marks = tuple(Mark(S.INDICATORS, cell, wrong.excel().replace(f"{S.INDICATORS}!", "")) for cell in at)
        out.append(FormCheck(("P501",), "error", f"{cat.name}各行分值之和应为 {fmt_number(cat.weight)}",
                             f"绩效指标 {'、'.join(at) or cat.level1}（“小计”行）", _guarded(_flag(wrong)), marks))
        out += _level2_weights(rules, lay, cat, footers)
    return out


def _level2_weights(rules: Rules, lay: Layout, cat: Category, footers: list[Block]) -> list[FormCheck]:
    """P501 on a category that weighs its 二级指标: the rows of each 二级指标 add up to its weight."""
    if not cat.level2 or not footers:
        return []
    terms: list[Expr] = []
    for name, weight in cat.level2:
        sums = [Call("SUMIFS", (ind_area(lay, S.WEIGHT, b.top, b.footer, S.INDICATORS),
                                ind_area(lay, S.LEVEL2, b.top, b.footer, S.INDICATORS), Str(name))) for b in footers]
        diff = Call("ABS", (BinOp("-", _sum(sums), Num(weight)),))
        terms.append(_flag(BinOp(">", Call("ROUND", (diff, Num(6))), Num(rules.tolerance))))
    parts = "、".join(f"{n} {fmt_number(w)}" for n, w in cat.level2)
    return [FormCheck(("P501",), "error", f"{cat.name}各二级指标的分值之和应为：{parts}",
                      f"绩效指标 {cat.level1} 的二级指标、分值列", _guarded_sum(terms))]
