"""Where things sit in a workbook, and the formulas that follow from it.

The generator decides a layout (``default_layout``); the reader discovers one from the labels and
headers of a filled workbook. Either way ``template_formulas(rules, layout)`` gives the formula
each computed cell must hold, so a department that inserted rows is checked against the formulas
Excel would have adjusted, not against fixed coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from selfeval_xl.core import names as S
from selfeval_xl.core.formulas import Area, BinOp, Call, Expr, Num, Ref, Str, a1, col_letter, split_a1
from selfeval_xl.core.names import label_key
from selfeval_xl.core.numbers import fmt_number
from selfeval_xl.rules.model import Category, Rules

__all__ = ["Block", "IndicatorRow", "Layout", "default_layout", "earlier_template", "indicator_order", "template_formulas"]


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    """One row of 绩效指标 as the template lays it out."""

    level1: str
    level2: str = ""
    name: str = ""  # empty for a free row
    common: bool = False


@dataclass(frozen=True, slots=True)
class Block:
    """The rows of one 一级指标 on 绩效指标: those after ``top`` (the 小计 row of the block above, or
    the header) down to its own 小计 row ``footer``; ``title`` is the first of them that names the
    一级指标.

    Every formula over a block (得分汇总's 自评 column, the 小计 text, the self-checks) spans
    ``top``..``footer``. Excel and LibreOffice widen a range for a row inserted at any row after its
    first, down to its last: so a row inserted anywhere in the block (above or under its title, in
    the middle, right above its 小计) is inside every range, and a row inserted above a 小计 belongs to
    that 小计's block, as the reader assigns it. The 小计 row above holds nothing a sum counts.

    A sheet without 小计 rows (another template) has one block per run of 一级指标: ``top`` is then its
    first row, ``footer`` its last, and both belong to it.
    """

    level1: str
    top: int
    title: int
    footer: int
    has_footer: bool = True

    def __contains__(self, row: int) -> bool:
        return (self.top < row if self.has_footer else self.top <= row) and row <= self.footer


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
    ind_header_row: int = 2  # also the first row of the sums over the whole table (see ``ind_area``)
    ind_cols: dict[str, int] = field(default_factory=dict)  # header -> column
    ind_first: int = 3  # the first row under the header
    ind_last: int = 2  # the last row of the table (the last 小计), inclusive
    ind_total_row: int | None = None  # the 合计 row under the table, if any
    ind_blocks: list[Block] = field(default_factory=list)
    ind_rows: dict[str, int] = field(default_factory=dict)  # common 三级指标 -> row
    sum_header_row: int = 2
    sum_cols: dict[str, int] = field(default_factory=dict)  # header -> column
    sum_rows: dict[str, int] = field(default_factory=dict)  # 类别 label -> row
    ind_plan: dict[int, IndicatorRow] = field(default_factory=dict)  # row -> what it holds (a generated layout)
    ind_spacers: list[int] = field(default_factory=list)  # the spacer row above each free block's title (generated)

    def ind_cell(self, header: str, row: int) -> str:
        return a1(row, self.ind_cols[header])

    def budget_cell(self, label: str) -> str | None:
        row = self.budget_rows.get(label)
        return a1(row, self.budget_value_col) if row else None

    def block_of(self, row: int) -> Block | None:
        return next((b for b in self.ind_blocks if row in b), None)

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
    """The generated template's layout (``own_rows``: rows a department needs per 一级指标).

    绩效指标 holds one block per 一级指标: in a block with the department's own rows, first a spacer
    row (``ind_spacers``), then its title row, its rows (the department's own first, then the common
    ones), and its 小计 row; the 合计 row follows the last block. The spacer is there for what a row
    inserted above the title copies (see ``template._spacer_row``).
    """
    lay = Layout()
    lay.basic_rows = {f.label: 3 + i for i, f in enumerate(S.BASIC_FIELDS)}
    first = declared_first_row()  # the rule set's 加分、扣分 and 一票否决 rows, under a heading row
    lay.basic_rows.update({item: first + i for i, item in enumerate(rules.declared_items)})
    labels = [b.label for b in rules.budget] + [r.label for r in rules.rates]
    lay.budget_rows = {label: 3 + i for i, label in enumerate(labels)}
    lay.ind_cols = {h: i + 1 for i, h in enumerate(S.INDICATOR_HEADERS)}
    lay.ind_first = row = lay.ind_header_row + 1
    plan = indicator_order(rules, own_rows)
    free = {fr.level1 for fr in rules.free_rows}
    top = lay.ind_header_row
    for level1 in rules.level1_names:
        if level1 in free:
            lay.ind_spacers.append(row)
            row += 1
        title = row
        for item in (p for p in plan if p.level1 == level1):
            row += 1
            lay.ind_plan[row] = item
        row += 1
        lay.ind_blocks.append(Block(level1, top, title, row))
        top = row
        row += 1
    lay.ind_last = row - 1
    lay.ind_total_row = row
    lay.ind_rows = {p.name: r for r, p in lay.ind_plan.items() if p.common}
    lay.sum_cols = {h: i + 1 for i, h in enumerate(S.SUMMARY_HEADERS)}
    sum_labels = [c.name for c in rules.categories] + [S.TOTAL, S.SELF_GRADE, S.VERIFIED_GRADE]
    lay.sum_rows = {label: lay.sum_header_row + 1 + i for i, label in enumerate(sum_labels)}
    return lay


def declared_first_row() -> int:
    """The first of the rows 基本信息 adds for the rules over the total (a heading row above them)."""
    return 3 + len(S.BASIC_FIELDS) + 2


def _signature(lay: Layout) -> tuple:
    return (tuple(lay.budget_rows.items()), lay.budget_value_col, tuple(lay.ind_cols.items()), lay.ind_header_row, lay.ind_first,
            lay.ind_last, lay.ind_total_row, tuple(lay.ind_blocks), tuple(lay.ind_rows.items()),
            tuple(lay.sum_cols.items()), tuple(lay.sum_rows.items()), lay.sum_header_row)


def earlier_template(lay: Layout) -> Layout:
    """The layout as templates before version 2026.3 wrote its formulas: each block's ranges from its
    title row (not the 小计 above), the whole table's from the first row under the header, and no
    rows of 基本信息 for 加分、扣分 or 一票否决 (those templates had none: a row she adds as S102 says
    is read, and her form's own total stays as her template computed it). A workbook made from such
    a template (departments may still hold one) keeps those formulas: they count the same rows, so
    ``check`` accepts either (interpret.intact_formula)."""
    blocks = [replace(b, top=b.title) if b.has_footer else b for b in lay.ind_blocks]
    fields = {f.label for f in S.BASIC_FIELDS}
    return replace(lay, ind_header_row=lay.ind_first, ind_blocks=blocks,
                   basic_rows={k: r for k, r in lay.basic_rows.items() if k in fields})


_CACHE: dict[tuple, dict[tuple[str, str], Expr]] = {}


def template_formulas(rules: Rules, lay: Layout) -> dict[tuple[str, str], Expr]:
    """Every formula the template holds for this layout: (sheet, A1) -> expression.

    Parts whose labels are missing from the layout are left out (the structure checks report them).
    Cached per rule set and layout: nearly every submission has the template's own layout.
    """
    key = (id(rules), rules.digest, _signature(lay),
           lay.basic_value_col, tuple(lay.basic_rows.get(item) for item in rules.declared_items))
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
    rate_cells = _rate_formulas(rules, lay, out)
    if S.ACTUAL in lay.ind_cols:
        for ind in rules.indicators:
            row = lay.ind_rows.get(ind.name)
            if ind.rate and row and ind.rate in rate_cells:
                out[(S.INDICATORS, lay.ind_cell(S.ACTUAL, row))] = Ref(S.BUDGET, rate_cells[ind.rate])
    if all(h in lay.ind_cols for h in (S.LEVEL1, S.LEVEL2, S.NAME, S.WEIGHT, S.ACTUAL, S.SELF_SCORE)) \
            and lay.ind_last >= lay.ind_first:
        _table_formulas(rules, lay, out)
        _summary_formulas(rules, lay, out)
    return out


def _rate_formulas(rules: Rules, lay: Layout, out: dict[tuple[str, str], Expr]) -> dict[str, str]:
    """预算情况's rates: empty until every required input is a number, then the ratio (0/0 as the
    rules say; n/0 empty). Returns rate key -> cell."""
    def budget_ref(key: str) -> Ref:
        cell = lay.budget_cell(rules.budget_item(key).label)
        if cell is None:
            raise KeyError(key)
        return Ref(None, cell, home=S.BUDGET)

    rate_cells: dict[str, str] = {}
    for rate in rules.rates:
        cell = lay.budget_cell(rate.label)
        if cell is None:
            continue
        try:
            num = rate.numerator.bind(budget_ref)
            den = rate.denominator.bind(budget_ref)
            required = [budget_ref(k) for k in rate.inputs if rules.budget_item(k).required]
        except KeyError:
            continue
        # a denominator of 0 gives "" (the 自查 says why), not #DIV/0! spreading into every sum
        zero_den = Call("IF", (BinOp("=", num, Num(0)), Num(rate.zero_over_zero), Str("")))
        value: Expr = Call("IF", (BinOp("=", den, Num(0)), zero_den, BinOp("/", num, den)))
        if required:
            filled = BinOp("<", Call("COUNT", tuple(required)), Num(len(required)))
            value = Call("IF", (filled, Str(""), value))
        out[(S.BUDGET, cell)] = value
        rate_cells[rate.key] = cell
    return rate_cells


def ind_area(lay: Layout, header: str, first: int | None = None, last: int | None = None,
             sheet: str | None = None) -> Area:
    """A column of 绩效指标 from ``first`` to ``last``; by default the whole table from its header row
    (a sum ignores the header's text, and a row inserted right under the header is inside the range)
    to the last 小计."""
    col = col_letter(lay.ind_cols[header])
    return Area(sheet, f"{col}{first or lay.ind_header_row}", f"{col}{last or lay.ind_last}", home=S.INDICATORS)


def level1_weight(rules: Rules, level1: str) -> float:
    """The 分值 the rows of one 一级指标 add up to: the weights of its categories."""
    return sum(c.weight for c in rules.categories if c.level1 == level1)


def _table_formulas(rules: Rules, lay: Layout, out: dict[tuple[str, str], Expr]) -> None:
    """绩效指标's 合计 row, and each block's 小计 text (in 二级指标's column: a number in 分值 or 自评得分
    could not span its own block without referring to itself)."""
    if lay.ind_total_row:
        for header in (S.WEIGHT, S.SELF_SCORE):
            out[(S.INDICATORS, lay.ind_cell(header, lay.ind_total_row))] = Call("SUM", (ind_area(lay, header),))
    for b in lay.ind_blocks:
        if not b.has_footer:
            continue
        weight = Call("TEXT", (Call("SUM", (ind_area(lay, S.WEIGHT, b.top, b.footer),)), Str("0.00")))
        claimed = Call("TEXT", (Call("SUM", (ind_area(lay, S.SELF_SCORE, b.top, b.footer),)), Str("0.00")))
        text = BinOp("&", BinOp("&", BinOp("&", Str("分值合计 "), weight),
                                Str(f"（应为 {fmt_number(level1_weight(rules, b.level1))}），自评合计 ")), claimed)
        out[(S.INDICATORS, lay.ind_cell(S.LEVEL2, b.footer))] = text


def category_self_score(rules: Rules, lay: Layout, cat: Category, column: str = S.SELF_SCORE) -> Expr | None:
    """The sum of ``column`` over a category's rows: over its 一级指标's blocks, the rows its list
    names, or those no other category of that 一级指标 names. None when the sheet has no such block."""
    terms: list[Expr] = []
    excluded = [n for c in rules.categories if c is not cat and c.level1 == cat.level1 for n in c.only]
    for b in lay.ind_blocks:
        if label_key(b.level1) != label_key(cat.level1):
            continue
        values = ind_area(lay, column, b.top, b.footer, S.INDICATORS)
        names = ind_area(lay, S.NAME, b.top, b.footer, S.INDICATORS)
        if cat.only:
            terms += [Call("SUMIFS", (values, names, Str(n))) for n in cat.only]
        elif excluded:
            terms.append(Call("SUMIFS", (values, *(x for n in excluded for x in (names, Str("<>" + n))))))
        else:
            terms.append(Call("SUM", (values,)))
    if not terms:
        return None
    expr = terms[0]
    for t in terms[1:]:
        expr = BinOp("+", expr, t)
    return expr


def _cap_formula(rules: Rules, lay: Layout) -> Expr | None:
    """The rules' cap on the total by a rate: the lowest cap whose band the rate is under (a rate
    not yet computed, "", is under none: text compares above every number)."""
    cap = rules.total_cap
    rate = next((r for r in rules.rates if cap and r.key == cap.rate), None)
    cell = lay.budget_cell(rate.label) if rate else None
    if cap is None or cell is None:
        return None
    ref = Ref(S.BUDGET, cell, home=S.SUMMARY)
    expr: Expr = Num(100)
    for below, top in sorted(cap.bands, key=lambda b: -b[0]):  # the highest band outermost
        expr = Call("IF", (BinOp("<", ref, Num(below)), Num(top), expr))
    return expr


def _declared_ref(lay: Layout, item: str) -> Ref | None:
    row = lay.basic_rows.get(item)
    return Ref(S.BASIC, a1(row, lay.basic_value_col), home=S.SUMMARY) if row else None


def _over_the_total(rules: Rules, lay: Layout, total: Expr) -> Expr:
    """The form's own total after the rules over the total (totals.py): 加分 within their ceiling,
    扣分 within their floor, kept between 0 and 100, then each 一票否决 declared 是 as a cap. A count
    that is not a number counts 0 (SUMPRODUCT of one cell). A sheet without any of their rows (a
    template made before the rule set had them) is left as it was: S102 names the rows."""
    if not any(_declared_ref(lay, item) for item in rules.declared_items):
        return total
    if rules.adjustments:
        terms = [(a.bonus, BinOp("*", Num(abs(a.points)), Call("SUMPRODUCT", (ref,))))
                 for a in rules.adjustments if (ref := _declared_ref(lay, a.item)) is not None]
        bonus = [t for is_bonus, t in terms if is_bonus]
        taken = [t for is_bonus, t in terms if not is_bonus]
        if bonus:
            total = BinOp("+", total, Call("MIN", (Num(rules.bonus_max), _plus(bonus))))
        if taken:
            total = BinOp("-", total, Call("MIN", (Num(rules.deduction_max), _plus(taken))))
        kept = Call("MIN", (Num(100), total))
        total = Call("IF", (BinOp("<", kept, Num(0)), Num(0), kept))
    caps = [Call("IF", (BinOp("=", ref, Str("是")), Num(v.max_total), Num(100))) for v in rules.vetoes
            if v.max_total is not None and (ref := _declared_ref(lay, v.item)) is not None]
    return Call("MIN", (total, *caps)) if caps else total


def _plus(terms: Sequence[Expr]) -> Expr:
    expr = terms[0]
    for t in terms[1:]:
        expr = BinOp("+", expr, t)
    return expr


def _summary_formulas(rules: Rules, lay: Layout, out: dict[tuple[str, str], Expr]) -> None:
    """得分汇总: the 自评 columns, the total and the self-assessed grade."""
    sc = lay.sum_cols
    if not all(h in sc for h in S.SUMMARY_HEADERS[:4]):
        return
    g = ind_area(lay, S.SELF_SCORE, sheet=S.INDICATORS)
    weight = ind_area(lay, S.WEIGHT, sheet=S.INDICATORS)
    actual = ind_area(lay, S.ACTUAL, sheet=S.INDICATORS)

    def sref(header: str, label: str) -> Ref | None:
        cell = lay.sum_cell(header, label)
        return Ref(None, cell, home=S.SUMMARY) if cell else None

    cat_self: list[Ref] = []
    cat_weight: list[Ref] = []
    for cat in rules.categories:
        cell = lay.sum_cell(S.SUMMARY_HEADERS[2], cat.name)
        expr = category_self_score(rules, lay, cat)
        if cell is None or expr is None:
            continue
        out[(S.SUMMARY, cell)] = expr
        cat_self.append(Ref(None, cell, home=S.SUMMARY))
        cat_weight.append(sref(S.SUMMARY_HEADERS[1], cat.name))  # type: ignore[arg-type]

    total_self = lay.sum_cell(S.SUMMARY_HEADERS[2], S.TOTAL)
    total_weight = lay.sum_cell(S.SUMMARY_HEADERS[1], S.TOTAL)
    if not (cat_self and total_self and total_weight):
        return
    first, last = cat_self[0].cell, cat_self[-1].cell
    wfirst, wlast = cat_weight[0].cell, cat_weight[-1].cell
    out[(S.SUMMARY, total_weight)] = Call("SUM", (Area(None, wfirst, wlast, home=S.SUMMARY),))
    sum_self = Call("SUM", (Area(None, first, last, home=S.SUMMARY),))
    na = Str(rules.not_applicable)
    applicable = BinOp("-", Call("SUM", (weight,)), Call("SUMIF", (actual, na, weight)))
    rescaled = Call("ROUND", (BinOp("*", BinOp("/", sum_self, applicable), Num(100)), Num(rules.decimals)))
    total: Expr = Call("IF", (BinOp("=", Call("COUNTIF", (actual, na)), Num(0)), sum_self, rescaled))
    cap = _cap_formula(rules, lay)
    total = _over_the_total(rules, lay, total)
    out[(S.SUMMARY, total_self)] = Call("MIN", (total, cap)) if cap is not None else total
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
        grade: Expr = Str(rules.grades[-1].grade)
        for k, gr in reversed(list(enumerate(rules.grades[:-1]))):
            reached: Expr = BinOp(">=", total, Num(gr.min))
            # a declared 一票否决 that fixes a lower grade rules this one out
            barred = [_declared_ref(lay, v.item) for v in rules.vetoes
                      if v.grade is not None and [g.grade for g in rules.grades].index(v.grade) > k]
            if barred := [r for r in barred if r is not None]:
                reached = Call("AND", (reached, *(BinOp("<>", r, Str("是")) for r in barred)))
            grade = Call("IF", (reached, Str(gr.grade), grade))
        none_typed = BinOp("=", Call("COUNT", (g,)), Num(0))
        out[(S.SUMMARY, a1(grade_row, sc[S.CATEGORY] + 1))] = Call("IF", (none_typed, Str(""), grade))


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
        block = next((b for b in lay.ind_blocks if b.has_footer and b.footer == row), None)
        if block:
            return f"“{block.level1}”小计行"
        name = next((n for n, r in lay.ind_rows.items() if r == row), "")
        return f"“{name}”的{header}" if name else f"绩效指标 {cell}"
    if sheet == S.SUMMARY:
        label = next((k for k, r in lay.sum_rows.items() if r == row), "")
        header = next((h for h, c in lay.sum_cols.items() if c == col), "")
        if label in (S.SELF_GRADE, S.VERIFIED_GRADE):
            return f"得分汇总的{label}"
        return f"得分汇总“{label}”的{header}" if label else f"得分汇总 {cell}"
    return f"{sheet}!{cell}"
