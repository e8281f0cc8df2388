"""Where things sit in a workbook, and the formulas that follow from it.

The generator decides a layout (``default_layout``); the reader discovers one from the labels and
headers of a filled workbook. Either way ``template_formulas(rules, layout)`` gives the formula
each computed cell must hold, so a department that inserted rows is checked against the formulas
Excel would have adjusted, not against fixed coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import standard as S
from .formulas import Area, BinOp, Call, Expr, Num, Ref, Str, a1, col_letter, split_a1
from .rules import Rules

__all__ = ["IndicatorRow", "Layout", "default_layout", "indicator_order", "template_formulas"]


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    """One row of 绩效指标 as the template lays it out."""

    level1: str
    level2: str = ""
    name: str = ""  # empty for a free row
    common: bool = False


@dataclass
class Layout:
    """Rows and columns of the parts the rules read; 1-based like Excel."""

    basic_rows: dict[str, int] = field(default_factory=dict)  # label -> row
    basic_value_col: int = 2
    goals_header_row: int = 3
    tasks_header_row: int = 3
    problems_header_row: int = 3
    budget_rows: dict[str, int] = field(default_factory=dict)  # label (inputs and rates) -> row
    budget_value_col: int = 2
    ind_header_row: int = 2
    ind_cols: dict[str, int] = field(default_factory=dict)  # header -> column
    ind_first: int = 3
    ind_last: int = 2  # last data row (inclusive)
    ind_total_row: int | None = None  # the 合计 row under the table, if any
    ind_rows: dict[str, int] = field(default_factory=dict)  # common 三级指标 -> row
    sum_header_row: int = 2
    sum_cols: dict[str, int] = field(default_factory=dict)  # header -> column
    sum_rows: dict[str, int] = field(default_factory=dict)  # 类别 label -> row
    ind_plan: list[IndicatorRow] = field(default_factory=list)  # only for a generated layout

    def ind_cell(self, header: str, row: int) -> str:
        return a1(row, self.ind_cols[header])

    def budget_cell(self, label: str) -> str | None:
        row = self.budget_rows.get(label)
        return a1(row, self.budget_value_col) if row else None

    def sum_cell(self, header: str, label: str) -> str | None:
        row = self.sum_rows.get(label)
        col = self.sum_cols.get(header)
        return a1(row, col) if row and col else None


def indicator_order(rules: Rules, own_rows: dict[str, int] | None = None) -> list[IndicatorRow]:
    """The rows of 绩效指标 in template order: per 一级指标, the department's own rows first
    (as many as the rules give, or ``own_rows[一级指标]`` when more), then the common rows."""
    own_rows = own_rows or {}
    out: list[IndicatorRow] = []
    for level1 in rules.level1_names:
        for fr in rules.free_rows:
            if fr.level1 == level1:
                out += [IndicatorRow(level1)] * max(fr.rows, own_rows.get(level1, 0))
        out += [IndicatorRow(i.level1, i.level2, i.name, True) for i in rules.indicators if i.level1 == level1]
    return out


def default_layout(rules: Rules, own_rows: dict[str, int] | None = None) -> Layout:
    """The generated template's layout (``own_rows``: rows a department needs per 一级指标)."""
    lay = Layout()
    lay.basic_rows = {f.label: 3 + i for i, f in enumerate(S.BASIC_FIELDS)}
    labels = [b.label for b in rules.budget] + [r.label for r in rules.rates]
    lay.budget_rows = {label: 3 + i for i, label in enumerate(labels)}
    lay.ind_cols = {h: i + 1 for i, h in enumerate(S.INDICATOR_HEADERS)}
    plan = indicator_order(rules, own_rows)
    lay.ind_plan = plan
    lay.ind_first = lay.ind_header_row + 1
    lay.ind_last = lay.ind_first + len(plan) - 1
    lay.ind_total_row = lay.ind_last + 1
    lay.ind_rows = {r.name: lay.ind_first + i for i, r in enumerate(plan) if r.common}
    lay.sum_cols = {h: i + 1 for i, h in enumerate(S.SUMMARY_HEADERS)}
    sum_labels = [c.name for c in rules.categories] + [S.TOTAL, S.SELF_GRADE, S.VERIFIED_GRADE]
    lay.sum_rows = {label: lay.sum_header_row + 1 + i for i, label in enumerate(sum_labels)}
    return lay


def _signature(lay: Layout) -> tuple:
    return (tuple(lay.budget_rows.items()), lay.budget_value_col, tuple(lay.ind_cols.items()), lay.ind_first,
            lay.ind_last, lay.ind_total_row, tuple(lay.ind_rows.items()), tuple(lay.sum_cols.items()),
            tuple(lay.sum_rows.items()), lay.sum_header_row)


_CACHE: dict[tuple, dict[tuple[str, str], Expr]] = {}


def template_formulas(rules: Rules, lay: Layout) -> dict[tuple[str, str], Expr]:
    """Every formula the template holds for this layout: (sheet, A1) -> expression.

    Parts whose labels are missing from the layout are left out (the structure checks report them).
    Cached per rule set and layout: nearly every submission has the template's own layout.
    """
    key = (id(rules), rules.digest, _signature(lay))
    hit = _CACHE.get(key)
    if hit is None:
        if len(_CACHE) > 256:
            _CACHE.clear()
        hit = _CACHE[key] = _template_formulas(rules, lay)
    return hit


def formula_text(expr: Expr) -> str:
    """'=' + the expression's Excel text (cached on the expression)."""
    text = getattr(expr, "_text", None)
    if text is None:
        text = "=" + expr.excel()
        object.__setattr__(expr, "_text", text)
    return text


def _template_formulas(rules: Rules, lay: Layout) -> dict[tuple[str, str], Expr]:
    out: dict[tuple[str, str], Expr] = {}

    # 预算情况: the computed rates
    def budget_ref(key: str) -> Expr:
        label = rules.budget_item(key).label
        cell = lay.budget_cell(label)
        if cell is None:
            raise KeyError(label)
        return Ref(None, cell, home=S.BUDGET)

    rate_cells: dict[str, str] = {}
    for rate in rules.rates:
        cell = lay.budget_cell(rate.label)
        if cell is None:
            continue
        try:
            num = rate.numerator.bind(budget_ref)
            den = rate.denominator.bind(budget_ref)
        except KeyError:
            continue
        both_zero = Call("AND", (BinOp("=", den, Num(0)), BinOp("=", num, Num(0))))
        out[(S.BUDGET, cell)] = Call("IF", (both_zero, Num(rate.zero_over_zero), BinOp("/", num, den)))
        rate_cells[rate.key] = cell

    # 绩效指标: the rates' 实际完成值, and the 合计 row
    cols = lay.ind_cols
    if S.ACTUAL in cols:
        for ind in rules.indicators:
            row = lay.ind_rows.get(ind.name)
            if ind.rate and row and ind.rate in rate_cells:
                out[(S.INDICATORS, lay.ind_cell(S.ACTUAL, row))] = Ref(S.BUDGET, rate_cells[ind.rate])

    def ind_area(header: str, sheet: str | None) -> Area:
        col = col_letter(cols[header])
        return Area(sheet, f"{col}{lay.ind_first}", f"{col}{lay.ind_last}", home=S.INDICATORS)

    have = all(h in cols for h in (S.LEVEL1, S.NAME, S.WEIGHT, S.ACTUAL, S.SELF_SCORE))
    if lay.ind_total_row and have and lay.ind_last >= lay.ind_first:
        for header in (S.WEIGHT, S.SELF_SCORE):
            out[(S.INDICATORS, lay.ind_cell(header, lay.ind_total_row))] = Call("SUM", (ind_area(header, None),))

    # 得分汇总: the 自评 columns, the total and the self-assessed grade
    sc = lay.sum_cols
    if not (have and lay.ind_last >= lay.ind_first and all(h in sc for h in S.SUMMARY_HEADERS[:4])):
        return out
    g = ind_area(S.SELF_SCORE, S.INDICATORS)
    lv1 = ind_area(S.LEVEL1, S.INDICATORS)
    name = ind_area(S.NAME, S.INDICATORS)
    weight = ind_area(S.WEIGHT, S.INDICATORS)
    actual = ind_area(S.ACTUAL, S.INDICATORS)

    def sref(header: str, label: str) -> Ref | None:
        cell = lay.sum_cell(header, label)
        return Ref(None, cell, home=S.SUMMARY) if cell else None

    cat_self: list[Ref] = []
    cat_weight: list[Ref] = []
    for cat in rules.categories:
        cell = lay.sum_cell(S.SUMMARY_HEADERS[2], cat.name)
        if cell is None:
            continue
        args: list[Expr] = [g, lv1, Str(cat.level1)]
        if cat.only:
            expr: Expr | None = None
            for n in cat.only:
                term = Call("SUMIFS", (*args, name, Str(n)))
                expr = term if expr is None else BinOp("+", expr, term)
            out[(S.SUMMARY, cell)] = expr  # type: ignore[assignment]
        else:
            # rows of this 一级指标 not claimed by an earlier category with a named list
            excluded = [n for c in rules.categories if c is not cat and c.level1 == cat.level1 for n in c.only]
            for n in excluded:
                args += [name, Str("<>" + n)]
            out[(S.SUMMARY, cell)] = Call("SUMIFS", tuple(args))
        cat_self.append(Ref(None, cell, home=S.SUMMARY))
        cat_weight.append(sref(S.SUMMARY_HEADERS[1], cat.name))  # type: ignore[arg-type]

    total_self = lay.sum_cell(S.SUMMARY_HEADERS[2], S.TOTAL)
    total_weight = lay.sum_cell(S.SUMMARY_HEADERS[1], S.TOTAL)
    if cat_self and total_self and total_weight:
        first, last = cat_self[0].cell, cat_self[-1].cell
        wfirst, wlast = cat_weight[0].cell, cat_weight[-1].cell
        out[(S.SUMMARY, total_weight)] = Call("SUM", (Area(None, wfirst, wlast, home=S.SUMMARY),))
        sum_self = Call("SUM", (Area(None, first, last, home=S.SUMMARY),))
        na = Str(rules.not_applicable)
        applicable = BinOp("-", Call("SUM", (weight,)), Call("SUMIF", (actual, na, weight)))
        rescaled = Call("ROUND", (BinOp("*", BinOp("/", sum_self, applicable), Num(100)), Num(rules.decimals)))
        out[(S.SUMMARY, total_self)] = Call(
            "IF", (BinOp("=", Call("COUNTIF", (actual, na)), Num(0)), sum_self, rescaled))
        # 自评得分率 of each category row and of the total
        for label in [c.name for c in rules.categories] + [S.TOTAL]:
            rate_cell = lay.sum_cell(S.SUMMARY_HEADERS[3], label)
            w = sref(S.SUMMARY_HEADERS[1], label)
            s = sref(S.SUMMARY_HEADERS[2], label)
            if rate_cell and w and s:
                out[(S.SUMMARY, rate_cell)] = Call("IF", (BinOp("=", w, Num(0)), Num(0), BinOp("/", s, w)))
        # 自评等级: label in 类别, value in the next column
        grade_row = lay.sum_rows.get(S.SELF_GRADE)
        if grade_row:
            total = Ref(None, total_self, home=S.SUMMARY)
            expr = Str(rules.grades[-1].grade)
            for gr in reversed(rules.grades[:-1]):
                expr = Call("IF", (BinOp(">=", total, Num(gr.min)), Str(gr.grade), expr))
            none_typed = BinOp("=", Call("COUNT", (g,)), Num(0))
            cell = a1(grade_row, sc[S.CATEGORY] + 1)
            out[(S.SUMMARY, cell)] = Call("IF", (none_typed, Str(""), expr))
    return out


def describe_cell(lay: Layout, sheet: str, cell: str) -> str:
    """What a template formula cell holds, in words a clerk knows ("“预算调整率”的实际完成值")."""
    row, col = split_a1(cell)
    if sheet == S.BUDGET:
        label = next((k for k, r in lay.budget_rows.items() if r == row), "")
        return f"预算情况“{label}”" if label else f"预算情况 {cell}"
    if sheet == S.INDICATORS:
        header = next((h for h, c in lay.ind_cols.items() if c == col), "")
        if row == lay.ind_total_row:
            return f"绩效指标合计行的{header}"
        name = next((n for n, r in lay.ind_rows.items() if r == row), "")
        return f"“{name}”的{header}" if name else f"绩效指标 {cell}"
    if sheet == S.SUMMARY:
        label = next((k for k, r in lay.sum_rows.items() if r == row), "")
        header = next((h for h, c in lay.sum_cols.items() if c == col), "")
        if label in (S.SELF_GRADE, S.VERIFIED_GRADE):
            return f"得分汇总的{label}"
        return f"得分汇总“{label}”的{header}" if label else f"得分汇总 {cell}"
    return f"{sheet}!{cell}"
