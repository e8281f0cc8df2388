"""Generate the standard template (申报表模板.xlsx) from a rule set, blank or filled.

``write_template(path, rules)`` writes the blank template a department fills. ``Filling``
(``form/filling.py``) is what a clerk types into it; ``write_template(path, rules, filling)`` writes the template with those
entries, and with every formula's saved value computed the way a spreadsheet program would, which
is how the samples and the benchmark corpus are made. Output is byte-for-byte deterministic.
"""

from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from selfeval_xl.core import names as S
from selfeval_xl.core.formulas import Area, Array, Call, ExcelError, Expr, Num, Ref, Value, a1, col_letter, split_a1
from selfeval_xl.core.numbers import fmt_number
from selfeval_xl.form.checks import FormCheck, form_checks, qualitative_choices, verdict, year_accepted
from selfeval_xl.form.filling import CellEdit, CommonAnswer, Filling, FormulaText, OwnIndicator, SavedValue, Typed
from selfeval_xl.form.instructions import declared_help, explain, qualitative_prompt, sections, tier_forms
from selfeval_xl.form.layout import Block, Layout, declared_first_row, default_layout, level1_weight, template_formulas
from selfeval_xl.rules.methods import METHODS
from selfeval_xl.rules.model import FreeRows, Rules, bundled, load_rules

__all__ = [
    "TEMPLATE_CREATED",
    "all_formulas",
    "write_template",
]

#: fixed creation time written into every generated file, so output is reproducible
TEMPLATE_CREATED = _dt.datetime(2026, 1, 1, 0, 0, 0)

#: header row of the free lists (履职目标, 主要任务, 问题与改进); row 2 holds the hint
LIST_HEADER_ROW = 3

BODY_FONT = "宋体"
TITLE_FONT = "黑体"


# ---------------------------------------------------------------------------------------------
# Styles: one table, referred to by name

_BORDER = {"border": 1, "border_color": "#8C8C8C"}
_BASE = {"font_name": BODY_FONT, "font_size": 11, "valign": "vcenter", "text_wrap": True}
INPUT_FILL = "#FFF2CC"  # light yellow: type here
FORMULA_FILL = "#DDEBF7"  # light blue: computed, locked
FIXED_FILL = "#F2F2F2"  # light grey: fixed text, locked
TOOL_FILL = "#EDEDED"  # grey: written by the finance bureau's tool
HEADER_FILL = "#BDD7EE"
BAND_FILL = "#D9E1F2"  # a block's title row, or the row under a list's header, while empty

STYLES: dict[str, dict[str, Any]] = {
    "title": {"font_name": TITLE_FONT, "font_size": 16, "bold": True, "align": "center", "valign": "vcenter"},
    "subtitle": {"font_name": BODY_FONT, "font_size": 10, "align": "left", "valign": "vcenter",
                 "font_color": "#595959"},
    "subtitle_wrap": {"font_name": BODY_FONT, "font_size": 10, "align": "left", "valign": "top",
                      "font_color": "#595959", "text_wrap": True},
    "header": {**_BASE, **_BORDER, "font_name": TITLE_FONT, "bold": True, "align": "center", "bg_color": HEADER_FILL},
    "label": {**_BASE, **_BORDER, "bg_color": FIXED_FILL},
    "label_req": {**_BASE, **_BORDER, "bg_color": FIXED_FILL, "bold": True},
    "fixed": {**_BASE, **_BORDER, "bg_color": FIXED_FILL},
    "fixed_c": {**_BASE, **_BORDER, "bg_color": FIXED_FILL, "align": "center"},
    "fixed_num": {**_BASE, **_BORDER, "bg_color": FIXED_FILL, "align": "center", "num_format": "0.00"},
    "note": {**_BASE, **_BORDER, "bg_color": FIXED_FILL, "font_size": 9, "font_color": "#404040"},
    "input": {**_BASE, **_BORDER, "bg_color": INPUT_FILL, "locked": False},
    "input_c": {**_BASE, **_BORDER, "bg_color": INPUT_FILL, "locked": False, "align": "center"},
    "input_text": {**_BASE, **_BORDER, "bg_color": INPUT_FILL, "locked": False, "num_format": "@"},
    "input_text_c": {**_BASE, **_BORDER, "bg_color": INPUT_FILL, "locked": False, "num_format": "@", "align": "center"},
    "input_money": {**_BASE, **_BORDER, "bg_color": INPUT_FILL, "locked": False, "num_format": "#,##0.00"},
    "input_count": {**_BASE, **_BORDER, "bg_color": INPUT_FILL, "locked": False, "num_format": "0"},
    "input_score": {**_BASE, **_BORDER, "bg_color": INPUT_FILL, "locked": False, "num_format": "0.00", "align": "center"},
    "input_date": {**_BASE, **_BORDER, "bg_color": INPUT_FILL, "locked": False, "num_format": "yyyy-mm-dd", "align": "left"},
    "input_year": {**_BASE, **_BORDER, "bg_color": INPUT_FILL, "locked": False, "num_format": "0", "align": "left"},
    "formula_pct": {**_BASE, **_BORDER, "bg_color": FORMULA_FILL, "num_format": "0.00%", "align": "center"},
    "formula_score": {**_BASE, **_BORDER, "bg_color": FORMULA_FILL, "num_format": "0.00", "align": "center"},
    "formula_text": {**_BASE, **_BORDER, "bg_color": FORMULA_FILL, "align": "center", "bold": True},
    "total_label": {**_BASE, **_BORDER, "bg_color": FORMULA_FILL, "bold": True, "align": "center"},
    "tool": {**_BASE, **_BORDER, "bg_color": TOOL_FILL, "font_color": "#7F7F7F", "italic": True},
    "tool_score": {**_BASE, **_BORDER, "bg_color": TOOL_FILL, "font_color": "#7F7F7F", "num_format": "0.00", "align": "center"},
    "tool_pct": {**_BASE, **_BORDER, "bg_color": TOOL_FILL, "font_color": "#7F7F7F", "num_format": "0.00%", "align": "center"},
    "block_title": {**_BASE, **_BORDER, "bg_color": BAND_FILL, "bold": True, "align": "center"},
    "band": {**_BASE, **_BORDER, "bg_color": BAND_FILL},
    "subtotal": {**_BASE, **_BORDER, "bg_color": FORMULA_FILL, "align": "left", "font_size": 10},
    "check_h": {**_BASE, **_BORDER, "font_name": TITLE_FONT, "bold": True, "align": "center", "bg_color": HEADER_FILL},
    "check_count": {**_BASE, **_BORDER, "bg_color": FORMULA_FILL, "num_format": "0", "align": "center"},
    "check_verdict": {**_BASE, **_BORDER, "bg_color": FORMULA_FILL, "bold": True},
    # conditional formats (only fill, font and border apply)
    "warn": {"bg_color": "#F8CBAD", "font_color": "#9C0006"},
    "todo": {"bg_color": "#FCE4D6", "border": 1, "border_color": "#ED7D31"},
    "band_cf": {"bg_color": BAND_FILL},
    "spacer_cf": {"bg_color": "#FFFFFF", "left": 1, "right": 1, "left_color": "#FFFFFF", "right_color": "#FFFFFF"},
    # 填报说明
    "doc_h": {"font_name": TITLE_FONT, "font_size": 12, "bold": True, "valign": "vcenter"},
    "doc": {"font_name": BODY_FONT, "font_size": 11, "valign": "top", "text_wrap": True},
    "doc_key": {"font_name": BODY_FONT, "font_size": 11, "valign": "top", "text_wrap": True, "bold": True},
    "swatch_input": {**_BORDER, "bg_color": INPUT_FILL},
    "swatch_formula": {**_BORDER, "bg_color": FORMULA_FILL},
    "swatch_fixed": {**_BORDER, "bg_color": FIXED_FILL},
    "swatch_tool": {**_BORDER, "bg_color": TOOL_FILL},
    "swatch_band": {**_BORDER, "bg_color": BAND_FILL},
    "swatch_todo": {"bg_color": "#FCE4D6", "border": 1, "border_color": "#ED7D31"},
    "swatch_warn": {**_BORDER, "bg_color": "#F8CBAD"},
}

# Which sheets may have rows inserted (the variable lists); all sheets are protected, no password.
_PROTECT_TABLE = {"insert_rows": True, "delete_rows": True, "format_columns": True, "format_rows": True}
_PROTECT_FIXED = {"format_columns": True, "format_rows": True}

_BASIC_HELP = {
    "部门(单位)名称": "必填。单位全称，与公章一致",
    "单位编码": "必填。财政部门分配的单位编码（按文本填写，保留开头的 0）",
    "主管部门": "必填。上级主管部门全称，财政部门按此分组汇总",
    "评价年度": "必填。4 位年份，如 2024（也可写“2024年”）",
    "填报人": "填报人姓名",
    "联系电话": "填报人联系电话",
    "填报日期": "如 2022-03-15",
    "模板版本": "由模板生成，请勿修改",
}


class _Book:
    """A workbook with the style table and text-width helpers."""

    def __init__(self, path: str | Path, rules: Rules):
        self.wb = xlsxwriter.Workbook(str(path), {
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
        })
        self.wb.set_properties({
            "title": rules.title, "subject": titled(rules, "自评"), "author": "selfeval-xl",
            "comments": f"模板版本 {rules.version}", "created": TEMPLATE_CREATED,
        })
        self.wb.set_calc_mode("auto")
        self.fmt: dict[str, Format] = {name: self.wb.add_format(spec) for name, spec in STYLES.items()}
        self.sheets: dict[str, Worksheet] = {}

    def sheet(self, name: str, widths: list[float], *, landscape: bool = True) -> Worksheet:
        ws = self.sheets[name] = self.wb.add_worksheet(name)
        for i, w in enumerate(widths):
            ws.set_column(i, i, w)
        ws.set_paper(9)  # A4
        if landscape:
            ws.set_landscape()
        ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
        ws.center_horizontally()
        ws.fit_to_pages(1, 0)
        ws.set_footer("&C&\"宋体\"&9第 &P 页，共 &N 页")
        ws.hide_gridlines(2)
        return ws


def titled(rules: Rules, what: str) -> str:
    """A title from the rule set's: its 自评表 (the form) said as ``what`` ("项目支出绩效自评表", "指标"
    -> "项目支出绩效指标"), or ``what`` after it."""
    return rules.title.replace("自评表", what, 1) if "自评表" in rules.title else f"{rules.title} {what}"


def _text_height(texts: list[tuple[str, float]], line: float = 15.0) -> float:
    """Row height for wrapped texts in columns of the given widths (CJK counts double)."""
    lines = 1
    for text, width in texts:
        if not text:
            continue
        n = 0
        for part in str(text).split("\n"):
            units = sum(2 if ord(ch) > 0x2E80 else 1 for ch in part)
            n += max(1, math.ceil(units / max(width - 1, 1)))
        lines = max(lines, n)
    return max(20.0, lines * line + 5)


def _write_value(ws: Worksheet, cell: str, value: Any, fmt: Format) -> None:
    """Write what a clerk typed: text always as text, numbers as numbers."""
    if value is None or value == "":
        ws.write_blank(cell, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(cell, value, fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(cell, value, fmt)
    elif isinstance(value, (_dt.date, _dt.datetime)):
        v = value if isinstance(value, _dt.datetime) else _dt.datetime(value.year, value.month, value.day)
        ws.write_datetime(cell, v, fmt)
    else:
        ws.write_string(cell, str(value), fmt)


# ---------------------------------------------------------------------------------------------
# The generator


def write_template(path: str | Path, rules: Rules | None = None, filling: Filling | None = None,
                   *, unit_name: str = "", unit_code: str = "", year: int | None = None,
                   competent_dept: str = "") -> Layout:
    """Write the template (blank, or with ``filling``) to ``path``; return its layout.

    ``unit_name`` / ``unit_code`` / ``year`` / ``competent_dept`` pre-fill 基本信息 for a
    bureau that sends each department its own copy.
    """
    rules = rules or load_rules()
    filling = filling or Filling()
    own_counts = {k: len(v) for k, v in filling.own.items()}
    lay = default_layout(rules, own_counts)
    basic = dict(filling.basic)
    for label, v in (("部门(单位)名称", unit_name), ("单位编码", unit_code), ("主管部门", competent_dept),
                     ("评价年度", year)):
        if v not in (None, "") and basic.get(label) in (None, ""):
            basic[label] = v

    grid = _Grid(rules, lay)  # every cell written, to compute the formulas' saved values
    checks = form_checks(rules, lay)
    grid.formulas = all_formulas(rules, lay, checks)
    grid.edits = filling.edits(lay) if filling.edits else {}
    book = _Book(path, rules)
    _instructions(book, rules)
    _basic_sheet(book, rules, lay, basic, grid, filling.declared)
    _list_sheet(book, grid, S.GOALS, S.GOALS_HEADERS, [6, 100], [[g] for g in filling.goals], 20,
                "每行填写一条年度履职目标。" + _INSERT_HINT)
    _list_sheet(book, grid, S.TASKS, S.TASKS_HEADERS, [6, 26, 60, 40], [list(t) for t in filling.tasks], 12,
                "每行一项主要任务：任务名称、主要内容和年度完成情况。" + _INSERT_HINT)
    _budget_sheet(book, rules, lay, filling, grid)
    _indicator_sheet(book, rules, lay, filling, grid)
    _summary_sheet(book, rules, lay, grid, checks)
    _list_sheet(book, grid, S.PROBLEMS, S.PROBLEMS_HEADERS, [45, 45, 45], [list(p) for p in filling.problems], 10,
                "填写绩效自评中发现的主要问题、原因分析和改进措施，一行一个问题。" + _INSERT_HINT, numbered=False)
    _marks(book, checks)
    book.wb.close()
    return lay


_INSERT_HINT = "行数不够时，选中任一浅黄色的行，在其上方或下方插入行；表头下的浅蓝色空行也可以直接填写。"


class _Grid:
    """The cell values of the workbook being written, and the formulas' values over them."""

    def __init__(self, rules: Rules, lay: Layout):
        self.rules = rules
        self.lay = lay
        self.cells: dict[tuple[str, str], Any] = {}
        self.formulas: dict[tuple[str, str], Expr] = {}
        self.edits: dict[tuple[str, str], CellEdit] = {}
        self._memo: dict[tuple[str, str], Value] = {}

    def put(self, sheet: str, cell: str, value: Any) -> None:
        self.cells[(sheet, cell)] = value

    def value_at(self, sheet: str, row: int, col: int) -> Value:
        return self.value(sheet, a1(row, col))

    def value(self, sheet: str, cell: str) -> Value:
        key = (sheet, cell)
        edit = self.edits.get(key)
        if isinstance(edit, Typed):
            return edit.value
        if isinstance(edit, FormulaText):
            if edit.saved is not None:
                return _as_value(edit.saved)
            if key not in self._memo:
                self._memo[key] = edit.expression(sheet).eval(self)
            return self._memo[key]
        if key in self.formulas:
            # a stale saved value (SavedValue) is what the sheet shows, but a spreadsheet
            # computes dependants from the formula: use the formula's value here
            if key not in self._memo:
                self._memo[key] = self.formulas[key].eval(self)
            return self._memo[key]
        v = self.cells.get(key)
        if isinstance(v, (_dt.date, _dt.datetime)):
            return None
        return v


class _Cells:
    """Writes the cells of one sheet, recording each in the grid the saved values come from."""

    def __init__(self, ws: Worksheet, sheet: str, grid: _Grid):
        self.ws, self.sheet, self.grid = ws, sheet, grid

    def put(self, cell: str, fmt: Format, value: Any = None) -> None:
        """Write one cell: the template's formula (with its saved value), or ``value``, or the
        edit a sample asks for."""
        key = (self.sheet, cell)
        edit = self.grid.edits.get(key)
        self.grid.put(self.sheet, cell, value)
        if isinstance(edit, Typed):
            _write_value(self.ws, cell, edit.value, fmt)
        elif isinstance(edit, FormulaText):
            self.ws.write_formula(cell, edit.text, fmt, _saved(self.grid.value(self.sheet, cell)))
        elif key in self.grid.formulas:
            saved = edit.value if isinstance(edit, SavedValue) else self.grid.value(self.sheet, cell)
            expr = self.grid.formulas[key]
            if isinstance(expr, Array):
                row, col = split_a1(cell)
                self.ws.write_array_formula(row - 1, col - 1, row - 1, col - 1, "{=" + expr.excel() + "}", fmt,
                                            _saved(saved))
            else:
                self.ws.write_formula(cell, "=" + expr.excel(), fmt, _saved(saved))
        else:
            _write_value(self.ws, cell, value, fmt)

    def at(self, row: int, col: int, fmt: Format, value: Any = None) -> None:
        """Same, 0-based like xlsxwriter."""
        self.put(a1(row + 1, col + 1), fmt, value)


_ERROR_CODES = {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"}


def _as_value(saved: Any) -> Value:
    """A saved value as a spreadsheet's dependants see it: an error code is an error."""
    return ExcelError(saved) if isinstance(saved, str) and saved in _ERROR_CODES else saved


def _saved(value: Value) -> Any:
    if isinstance(value, ExcelError):
        return value.code
    if value is None:
        return 0
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


# --- 填报说明 ------------------------------------------------------------------------------------


def _instructions(book: _Book, rules: Rules) -> None:
    ws = book.sheet(S.INSTRUCTIONS, [4, 22, 92], landscape=False)
    f = book.fmt
    ws.merge_range("A1:C1", f"{rules.title} 填报说明", f["title"])
    ws.set_row(0, 32)
    r = 2
    ws.write_string(r, 1, "模板版本", f["doc_key"])
    named = {str(p.resolve()): name for name, p in bundled().items()}
    which = named.get(str(Path(rules.source).resolve()))
    origin = ("默认评分细则" if which == "default" else f"内置评分细则 {which}") if which else Path(rules.source).name
    ws.write_string(r, 2, f"{rules.version}（评分细则：{origin}）", f["doc"])
    r += 2

    def heading(text: str) -> None:
        nonlocal r
        ws.merge_range(r, 0, r, 2, text, f["doc_h"])
        ws.set_row(r, 22)
        r += 1

    def item(key: str, text: str, key_fmt: str = "doc_key") -> None:
        nonlocal r
        ws.write_string(r, 1, key, f[key_fmt])
        ws.write_string(r, 2, text, f["doc"])
        ws.set_row(r, _text_height([(key, 22), (text, 92)], 14.5))
        r += 1

    heading("一、单元格颜色")
    for swatch, text in (
        ("swatch_input", "浅黄色：需要填写的单元格。只有这些单元格可以修改。"),
        ("swatch_formula", "浅蓝色：自动计算的公式（比率、合计、等级），已锁定，请勿覆盖或修改。"),
        ("swatch_fixed", "浅灰色：统一的标签和共性指标，已锁定。"),
        ("swatch_tool", "灰色斜体：核定得分、审核意见，由财政部门审核时填写，单位不填。"),
        ("swatch_band", "浅蓝灰色：每类指标的标题行（可以在它上方或下方插入行）、各清单表头下的空行。在这一行里填写也会计入。"),
        ("swatch_todo", "橙色边框：还没填的必填项（自动标出）。"),
        ("swatch_warn", "红色：填写有误的单元格（自动标出，原因见“得分汇总”下方的“填报自查”）。"),
    ):
        ws.write_blank(r, 1, None, f[swatch])
        ws.write_string(r, 2, text, f["doc"])
        ws.set_row(r, 20)
        r += 1
    r += 1

    for title, items in sections(rules):
        heading(title)
        for key, text in items:
            item(key, text)
        r += 1
    ws.protect("", _PROTECT_FIXED)
    ws.activate()


# --- 基本信息 and the list sheets ---------------------------------------------------------------


def _basic_sheet(book: _Book, rules: Rules, lay: Layout, basic: dict[str, Any], grid: _Grid,
                 declared: dict[str, Any]) -> None:
    ws = book.sheet(S.BASIC, [18, 50, 48])
    w = _Cells(ws, S.BASIC, grid)
    f = book.fmt
    ws.merge_range("A1:C1", rules.title, f["title"])
    ws.set_row(0, 36)
    for c, h in enumerate((*S.BASIC_HEADERS, "填写说明")):
        w.at(1, c, f["header"], h)
    style = {"单位编码": "input_text", "评价年度": "input_year", "填报日期": "input_date", "联系电话": "input_text"}
    for fld in S.BASIC_FIELDS:
        row = lay.basic_rows[fld.label] - 1
        w.at(row, 0, f["label_req" if fld.required else "label"], fld.label)
        w.at(row, 2, f["note"], _BASIC_HELP[fld.label])
        if fld.label == S.TEMPLATE_VERSION:
            w.at(row, 1, f["fixed"], rules.version)
        else:
            w.at(row, 1, f[style.get(fld.label, "input")], basic.get(fld.label))
        ws.set_row(row, 24)
    year_cell = a1(lay.basic_rows["评价年度"], 2)
    ws.data_validation(year_cell, {  # what check reads as a year, "2024年" included (form.checks.year_accepted)
        "validate": "custom", "value": "=" + year_accepted(Ref(None, year_cell, home=S.BASIC)).excel(),
        "input_title": "评价年度", "input_message": "4 位年份，如 2024（也可写“2024年”）",
        "error_title": "评价年度", "error_message": "请填写 1900 到 2100 之间的 4 位年份，如 2024 或“2024年”"})
    ws.data_validation(a1(lay.basic_rows["填报日期"], 2), {
        "validate": "date", "criteria": ">=", "value": _dt.date(2000, 1, 1),
        "error_type": "warning", "error_title": "填报日期", "error_message": "请填写日期，如 2022-03-15"})
    last = _declared_rows(w, f, rules, lay, declared)
    ws.write_string(last + 1, 0, "加粗的项目为必填项。浅黄色单元格为填写区域。", f["subtitle"])
    ws.repeat_rows(0, 1)
    ws.freeze_panes(2, 0)
    ws.protect("", _PROTECT_FIXED)


def _declared_rows(w: _Cells, f: dict[str, Format], rules: Rules, lay: Layout, declared: dict[str, Any]) -> int:
    """The rule set's 加分、扣分 and 一票否决 rows of 基本信息 under their heading, each with its rule
    beside it and a validation from the rule set (a whole number of times; 是 or 否). Returns the
    last row used (0-based), the standard fields' when there are none."""
    ws = w.ws
    last = len(S.BASIC_FIELDS) + 2
    if not rules.declared_items:
        return last
    heading = declared_first_row() - 2  # 0-based
    ws.merge_range(heading, 0, heading, 2, "加分、扣分和一票否决事项（按评分细则计入总分）", f["doc_h"])
    ws.set_row(heading, 24)
    vetoes = {v.item for v in rules.vetoes}
    for item in rules.declared_items:
        row = lay.basic_rows[item]
        cell = a1(row, lay.basic_value_col)
        note = declared_help(rules, item)
        w.at(row - 1, 0, f["label_req"], item)
        w.put(cell, f["input_c" if item in vetoes else "input_count"], declared.get(item))
        w.at(row - 1, 2, f["note"], note)
        if item in vetoes:
            ws.data_validation(cell, {
                "validate": "list", "source": ["是", "否"], "input_title": item[:32], "input_message": note[:255],
                "error_title": item[:32], "error_message": "请从下拉列表选择“是”或“否”"})
        else:
            ws.data_validation(cell, {
                "validate": "integer", "criteria": ">=", "value": 0, "input_title": item[:32],
                "input_message": note[:255], "error_title": item[:32], "error_message": "请填写次数（0 或正整数）"})
        ws.set_row(row - 1, _text_height([(item, 18), (note, 48)], 14))
        last = row - 1
    return last


def _list_sheet(book: _Book, grid: _Grid, name: str, headers: tuple[str, ...], widths: list[float],
                rows: list[list[Any]], minimum: int, hint: str, *, numbered: bool = True) -> None:
    """A free list (履职目标, 主要任务, 问题与改进): title, hint, header, a band row, then one item a
    row. The band under the header has the items' formats: a row inserted above the first item
    copies it, so is typeable (a copy of the locked header would not be); typed in, it is an item."""
    ws = book.sheet(name, widths)
    w = _Cells(ws, name, grid)
    f = book.fmt
    last = col_letter(len(headers))
    ws.merge_range(f"A1:{last}1", name, f["title"])
    ws.set_row(0, 32)
    ws.merge_range(f"A2:{last}2", hint, f["subtitle"])
    header = LIST_HEADER_ROW - 1
    for c, h in enumerate(headers):
        w.at(header, c, f["header"], h)
    band = header + 1
    for c in range(len(headers)):
        w.at(band, c, f["input_c" if numbered and c == 0 else "input"])
    ws.set_row(band, 30)
    ws.conditional_format(band, 0, band, len(headers) - 1, {
        "type": "formula", "format": f["band_cf"],
        "criteria": f"=AND(ROW()=ROW($A${band + 1}),COUNTA($A{band + 1}:${last}{band + 1})=0)"})
    first_input = 1 if numbered else 0
    for i in range(max(minimum, len(rows))):
        r = band + 1 + i
        values = list(rows[i]) if i < len(rows) else []
        if numbered:
            w.at(r, 0, f["input_c"], i + 1)
        texts = []
        for c in range(first_input, len(headers)):
            v = values[c - first_input] if c - first_input < len(values) else None
            w.at(r, c, f["input"], v)
            texts.append((v or "", widths[c]))
        ws.set_row(r, _text_height(texts) if any(t for t, _ in texts) else 30)
    ws.repeat_rows(0, header)
    ws.freeze_panes(header + 1, 0)
    ws.protect("", _PROTECT_TABLE)


# --- 预算情况 ---------------------------------------------------------------------------------


def _budget_sheet(book: _Book, rules: Rules, lay: Layout, filling: Filling, grid: _Grid) -> None:
    ws = book.sheet(S.BUDGET, [26, 16, 62], landscape=False)
    w = _Cells(ws, S.BUDGET, grid)
    f = book.fmt
    ws.merge_range("A1:C1", "预算情况（金额单位：万元）", f["title"])
    ws.set_row(0, 32)
    for c, h in enumerate(S.BUDGET_HEADERS):
        w.at(1, c, f["header"], h)
    for item in rules.budget:
        row = lay.budget_rows[item.label]
        cell = a1(row, lay.budget_value_col)
        count = item.unit != "万元"
        note = item.note + ("" if item.required else "（可不填）")
        w.at(row - 1, 0, f["label"], item.label)
        w.put(cell, f["input_count" if count else "input_money"], filling.budget.get(item.key))
        w.at(row - 1, 2, f["note"], note)
        ws.data_validation(cell, {
            "validate": "integer" if count else "decimal", "criteria": ">=", "value": 0,
            "input_title": item.label[:32], "input_message": f"单位：{item.unit}。没有的填 0。",
            "error_title": item.label[:32], "error_message": f"请填写不小于 0 的{'整数' if count else '数字'}（单位：{item.unit}）"})
        ws.set_row(row - 1, _text_height([(note, 62 * 1.2)], 13))
    for rate in rules.rates:
        row = lay.budget_rows[rate.label]
        z = "100%" if rate.zero_over_zero == 1 else f"{fmt_number(rate.zero_over_zero * 100)}%"
        note = f"自动计算：{rate.numerator_text} ÷ {rate.denominator_text}。分子分母都为 0 时按 {z} 计。"
        w.at(row - 1, 0, f["label_req"], rate.label)
        w.put(a1(row, lay.budget_value_col), f["formula_pct"])
        w.at(row - 1, 2, f["note"], note)
        ws.set_row(row - 1, _text_height([(note, 62 * 1.2)], 13))
    ws.write_string(max(lay.budget_rows.values()) + 1, 0,
                    "浅黄色单元格填写金额或个数；浅蓝色比率自动计算，请勿修改。", f["subtitle"])
    ws.repeat_rows(0, 1)
    ws.freeze_panes(2, 0)
    ws.protect("", _PROTECT_FIXED)


# --- 绩效指标 ---------------------------------------------------------------------------------

_IND_WIDTHS = {S.LEVEL1: 10, S.LEVEL2: 13, S.NAME: 26, S.WEIGHT: 7, S.TARGET: 11, S.ACTUAL: 13,
               S.SELF_SCORE: 9, S.REASON: 30, S.NOTE: 40, S.VERIFIED: 9, S.OPINION: 28}


def _indicator_sheet(book: _Book, rules: Rules, lay: Layout, filling: Filling, grid: _Grid) -> None:
    cols = lay.ind_cols
    ws = book.sheet(S.INDICATORS, [_IND_WIDTHS[h] for h in S.INDICATOR_HEADERS])
    w = _Cells(ws, S.INDICATORS, grid)
    f = book.fmt
    ws.merge_range(f"A1:{col_letter(len(S.INDICATOR_HEADERS))}1", titled(rules, "指标"), f["title"])
    ws.set_row(0, 32)
    for h, c in cols.items():
        w.put(a1(lay.ind_header_row, c), f["header"], h)
    ws.set_row(lay.ind_header_row - 1, 32)
    own_iter = {l1: iter(rows) for l1, rows in filling.own.items()}
    free = {fr.level1: fr for fr in rules.free_rows}
    spacers = set(lay.ind_spacers)
    for block in lay.ind_blocks:
        for row in range(block.top + 1, block.title):
            if row in spacers:
                _spacer_row(w, f, lay, row)
        _block_title(w, f, lay, block, block.level1 in free)
        for row in range(block.title + 1, block.footer):
            plan = lay.ind_plan[row]
            if plan.common:
                _common_row(w, f, rules, lay, row, plan.name, filling)
            else:
                own = next(own_iter[plan.level1], None) if plan.level1 in own_iter else None
                _own_row(w, f, lay, row, plan.level1, own)
        _block_footer(w, f, lay, block)
        if block.level1 in free:
            _own_row_validations(ws, rules, lay, block, free[block.level1])

    # 自评得分: a number from 0 to the row's 分值
    g_first = a1(lay.ind_first, cols[S.SELF_SCORE])
    d_first = f"${col_letter(cols[S.WEIGHT])}{lay.ind_first}"
    ws.data_validation(f"{g_first}:{a1(lay.ind_last, cols[S.SELF_SCORE])}", {
        "validate": "custom", "value": f'=AND(ISNUMBER({g_first}),{g_first}>=0,OR({d_first}="",{g_first}<={d_first}))',
        "input_title": "自评得分", "input_message": "0 到本行分值之间的数字",
        "error_title": "自评得分", "error_message": "自评得分应在 0 到本行分值之间"})

    # 合计
    tr = lay.ind_total_row
    assert tr is not None
    w.put(a1(tr, 1), f["total_label"], S.TOTAL)
    for h in (S.LEVEL2, S.NAME, S.TARGET, S.ACTUAL, S.REASON, S.NOTE):
        w.put(a1(tr, cols[h]), f["total_label"])
    for h in (S.WEIGHT, S.SELF_SCORE):
        w.put(a1(tr, cols[h]), f["formula_score"])
    w.put(a1(tr, cols[S.VERIFIED]), f["tool_score"])
    w.put(a1(tr, cols[S.OPINION]), f["tool"])
    ws.conditional_format(a1(tr, cols[S.WEIGHT]), {
        "type": "cell", "criteria": "!=", "value": rules.total_weight, "format": f["warn"]})
    ws.set_row(tr - 1, 24)
    ws.write_string(tr + 1, 0, f"浅黄色单元格由本单位填写；分值合计应为 {fmt_number(rules.total_weight)}。"
                    "本单位指标行数不够时，选中该类的浅蓝灰色标题行或任一本单位指标行，在其上方或下方插入行，"
                    "插入的行自动计入该类；不要选共性指标行或“小计”“合计”行来插入。", f["subtitle"])
    ws.repeat_rows(0, lay.ind_header_row - 1)
    ws.freeze_panes(lay.ind_header_row, 3)
    ws.protect("", _PROTECT_TABLE)


def _block_title(w: _Cells, f: dict[str, Format], lay: Layout, block: Block, free: bool) -> None:
    """A block's first row: its 一级指标, then, in a block with the department's own rows, the input
    cells of such a row (shown as a band while empty), else locked band cells."""
    cols = lay.ind_cols
    row = block.title
    w.put(a1(row, cols[S.LEVEL1]), f["block_title"], block.level1)
    styles = _OWN_STYLES if free else dict.fromkeys(_OWN_STYLES, "band")
    for h, style in styles.items():
        w.put(a1(row, cols[h]), f[style])
    w.put(a1(row, cols[S.VERIFIED]), f["tool_score"])
    w.put(a1(row, cols[S.OPINION]), f["tool"])
    w.ws.set_row(row - 1, 24)
    if free:
        b, i, h = (col_letter(cols[x]) for x in (S.LEVEL2, S.NOTE, S.REASON))
        w.ws.conditional_format(f"{b}{row}:{i}{row}", {
            "type": "formula", "format": f["band_cf"],
            "criteria": f"=AND(ROW()=ROW($A${row}),COUNTA(${b}{row}:${h}{row})=0)"})


def _spacer_row(w: _Cells, f: dict[str, Format], lay: Layout, row: int) -> None:
    """The row above a free block's title, after the 小计 above: it shows as a white gap, but its
    cells have the formats of an own row. A row inserted above the title copies the row above it
    (Excel's Insert, LibreOffice's Insert Rows Above, WPS), so the new row is typeable like an own
    row, not a locked copy of the 小计; the block's ranges start at that 小计, so it is counted. Typed
    into, the spacer is an own row of the block below it."""
    cols = lay.ind_cols
    w.put(a1(row, cols[S.LEVEL1]), f["fixed_c"])
    for h, style in _OWN_STYLES.items():
        w.put(a1(row, cols[h]), f[style])
    w.put(a1(row, cols[S.VERIFIED]), f["tool_score"])
    w.put(a1(row, cols[S.OPINION]), f["tool"])
    w.ws.set_row(row - 1, 24)
    b, h, last = col_letter(cols[S.LEVEL2]), col_letter(cols[S.NOTE]), col_letter(len(cols))
    w.ws.conditional_format(f"A{row}:{last}{row}", {
        "type": "formula", "format": f["spacer_cf"],
        "criteria": f"=AND(ROW()=ROW($A${row}),COUNTA(${b}{row}:${h}{row})=0)"})


def _block_footer(w: _Cells, f: dict[str, Format], lay: Layout, block: Block) -> None:
    """A block's 小计 row: locked, its sums as text across 二级指标 and 三级指标."""
    cols = lay.ind_cols
    row = block.footer
    w.put(a1(row, cols[S.LEVEL1]), f["total_label"], S.SUBTOTAL)
    w.ws.merge_range(row - 1, cols[S.LEVEL2] - 1, row - 1, cols[S.NAME] - 1, "", f["subtotal"])
    w.put(a1(row, cols[S.LEVEL2]), f["subtotal"])
    for h in (S.WEIGHT, S.TARGET, S.ACTUAL, S.SELF_SCORE, S.REASON, S.NOTE):
        w.put(a1(row, cols[h]), f["total_label"])
    w.put(a1(row, cols[S.VERIFIED]), f["tool_score"])
    w.put(a1(row, cols[S.OPINION]), f["tool"])
    w.ws.set_row(row - 1, 24)


_OWN_STYLES = {S.LEVEL2: "input", S.NAME: "input", S.WEIGHT: "input_score", S.TARGET: "input_text_c",
               S.ACTUAL: "input_c", S.SELF_SCORE: "input_score", S.REASON: "input", S.NOTE: "input"}


def _own_row(w: _Cells, f: dict[str, Format], lay: Layout, row: int, level1: str, own: OwnIndicator | None) -> None:
    cols = lay.ind_cols
    values = {S.LEVEL2: own.level2, S.NAME: own.name or None, S.WEIGHT: own.weight, S.TARGET: own.target,
              S.ACTUAL: own.actual, S.SELF_SCORE: own.self_score, S.REASON: own.reason or None,
              S.NOTE: own.note or None} if own else {}
    w.put(a1(row, cols[S.LEVEL1]), f["fixed_c"], level1)
    for h, style in _OWN_STYLES.items():
        w.put(a1(row, cols[h]), f[style], values.get(h))
    w.put(a1(row, cols[S.VERIFIED]), f["tool_score"])
    w.put(a1(row, cols[S.OPINION]), f["tool"])
    texts = [(own.name, _IND_WIDTHS[S.NAME]), (own.note, _IND_WIDTHS[S.NOTE] * 1.25),
             (own.reason, _IND_WIDTHS[S.REASON])] if own else []
    w.ws.set_row(row - 1, min(_text_height(texts, 13.5), 160) if own and own.name else 24)


def _common_row(w: _Cells, f: dict[str, Format], rules: Rules, lay: Layout, row: int, name: str, filling: Filling) -> None:
    cols = lay.ind_cols
    ws = w.ws
    ind = rules.common(name)
    assert ind is not None
    ans = filling.common.get(ind.name, CommonAnswer())
    cell = {h: a1(row, c) for h, c in cols.items()}
    w.put(cell[S.LEVEL1], f["fixed_c"], ind.level1)
    w.put(cell[S.LEVEL2], f["fixed"], ind.level2)
    w.put(cell[S.NAME], f["fixed"], ind.name)
    w.put(cell[S.WEIGHT], f["fixed_num"], ind.weight)
    w.put(cell[S.TARGET], f["fixed_c"], ind.target)
    w.put(cell[S.NOTE], f["note"], ind.note)
    if ind.rate:
        w.put(cell[S.ACTUAL], f["formula_pct"])
    else:
        w.put(cell[S.ACTUAL], f["input_c"], ans.actual)
        method = METHODS[ind.method]
        na = rules.not_applicable
        if method.reads == "count":  # a whole number, or the rule set's not-applicable word
            items = ind.params.get("items")
            f_ = cell[S.ACTUAL]
            most = f",{f_}<={len(items)}" if items else ""
            ws.data_validation(f_, {
                "validate": "custom",
                # text must not reach INT (its error would refuse the not-applicable word too)
                "value": f'=IF(ISNUMBER({f_}),AND({f_}=INT({f_}),{f_}>=0{most}),TRIM({f_})="{na}")',
                "input_title": ind.name[:32], "input_message": (explain(ind, rules) + f"不适用的填“{na}”。")[:255],
                "error_title": ind.name[:32],
                "error_message": "请填写整数" + (f"（0 到 {len(items)}）" if items else "（0 或以上）") + f"；不适用的填“{na}”"})
        elif ind.method == "qualitative":
            ws.data_validation(cell[S.ACTUAL], {
                "validate": "list", "source": qualitative_choices(ind.target, rules), "input_title": "请选择",
                "input_message": qualitative_prompt(ind.target, rules)[:255],
                "error_title": ind.name[:32], "error_message": "请从下拉列表中选择"})
        else:
            ws.data_validation(cell[S.ACTUAL], {
                "validate": "any", "input_title": ind.name[:32],
                "input_message": f"指标值 {ind.target}：填写实际完成的数值或百分比；不适用的填“{na}”"[:255]})
    w.put(cell[S.SELF_SCORE], f["input_score"], ans.self_score)
    w.put(cell[S.REASON], f["input"], ans.reason or None)
    w.put(cell[S.VERIFIED], f["tool_score"])
    w.put(cell[S.OPINION], f["tool"])
    texts = [(ind.name, _IND_WIDTHS[S.NAME]), (ind.note, _IND_WIDTHS[S.NOTE] * 1.25), (ans.reason, _IND_WIDTHS[S.REASON])]
    ws.set_row(row - 1, min(_text_height(texts, 13.5), 160))


def _own_row_validations(ws: Worksheet, rules: Rules, lay: Layout, block: Block, free: FreeRows) -> None:
    """Drop-downs and prompts on a block's own rows, from its spacer (or title) row down (a row
    inserted in the block copies them from the row above it)."""
    cols = lay.ind_cols
    last = max((r for r in range(block.title + 1, block.footer) if not lay.ind_plan[r].common), default=block.title)
    first = block.title - 1 if block.title - 1 in lay.ind_spacers else block.title

    def rng(h: str) -> str:
        return f"{a1(first, cols[h])}:{a1(last, cols[h])}"

    if free.level2:
        ws.data_validation(rng(S.LEVEL2), {
            "validate": "list", "source": list(free.level2), "error_type": "information",
            "input_title": "二级指标", "input_message": "可从列表选择，也可填写其他名称",
            "error_title": "二级指标", "error_message": "不在建议列表中，确定使用该名称吗？"})
    ws.data_validation(rng(S.WEIGHT), {
        "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": rules.total_weight,
        "input_title": "分值", "input_message": f"{block.level1}各行分值合计应为 {fmt_number(level1_weight(rules, block.level1))}",
        "error_title": "分值", "error_message": "请填写 0 到 100 之间的数字"})
    ws.data_validation(rng(S.TARGET), {
        "validate": "any", "input_title": "指标值",
        "input_message": "如 ≥90%、≤5%、=100%、≥50个；定性指标写一个词，如 达标、提升"})
    ws.data_validation(rng(S.ACTUAL), {
        "validate": "any", "input_title": "实际完成值",
        "input_message": ("数量指标填数字或百分比（单位同指标值）；定性指标填" + "、".join(tier_forms(rules))
                          + f"；不适用填“{rules.not_applicable}”")[:255]})


# --- 得分汇总 ---------------------------------------------------------------------------------


def _summary_sheet(book: _Book, rules: Rules, lay: Layout, grid: _Grid, checks: list[FormCheck]) -> None:
    ws = book.sheet(S.SUMMARY, SUMMARY_WIDTHS, landscape=False)
    w = _Cells(ws, S.SUMMARY, grid)
    f = book.fmt
    ws.merge_range("A1:F1", "得分汇总", f["title"])
    ws.set_row(0, 32)
    for h, c in lay.sum_cols.items():
        w.put(a1(lay.sum_header_row, c), f["header"], h)
    h_w, h_s, h_sr, h_v, h_vr = S.SUMMARY_HEADERS[1:]
    col = lay.sum_cols
    for cat in [*rules.categories, None]:
        label = cat.name if cat else S.TOTAL
        row = lay.sum_rows[label]
        w.put(a1(row, col[S.CATEGORY]), f["label_req" if cat is None else "label"], label)
        w.put(a1(row, col[h_w]), f["fixed_num" if cat else "formula_score"], cat.weight if cat else None)
        w.put(a1(row, col[h_s]), f["formula_score"])
        w.put(a1(row, col[h_sr]), f["formula_pct"])
        w.put(a1(row, col[h_v]), f["tool_score"])
        w.put(a1(row, col[h_vr]), f["tool_pct"])
        ws.set_row(row - 1, 24)
    for label, style in ((S.SELF_GRADE, "formula_text"), (S.VERIFIED_GRADE, "tool")):
        row = lay.sum_rows[label]
        w.put(a1(row, col[S.CATEGORY]), f["label_req"], label)
        w.put(a1(row, col[S.CATEGORY] + 1), f[style])
        ws.set_row(row - 1, 24)
    note_row = lay.sum_rows[S.VERIFIED_GRADE] + 1
    grades = "、".join(f"{g.grade} ≥ {fmt_number(g.min)}" for g in rules.grades[:-1])
    ws.merge_range(note_row, 0, note_row, 5,
                   f"自评列由“绩效指标”自动汇总；核定列由财政部门审核时填写。等级：{grades}，其余为{rules.grades[-1].grade}。"
                   f"有“{rules.not_applicable}”指标时，合计按适用指标折算为百分制。"
                   + ("合计按预算执行率封顶（见填报说明“总分封顶”）。" if rules.total_cap else ""), f["subtitle_wrap"])
    ws.set_row(note_row, 36)
    heights = {0: 32.0, note_row: 36.0, **{lay.sum_rows[label] - 1: 24.0 for label in lay.sum_rows},
               **_self_check_block(w, f, lay, checks)}
    _print_on_one_page_or_two(ws, heights, sum(SUMMARY_WIDTHS), _check_rows(lay, checks)[0] - 1)
    ws.protect("", _PROTECT_FIXED)


SUMMARY_WIDTHS: list[float] = [16, 12, 12, 12, 12, 12]
#: what an A4 portrait page prints (595.3 × 841.9 pt less the template's margins: 0.5 in left and
#: right, 0.6 in top and bottom), and the width of a column width unit (LibreOffice draws 7.35 pt)
A4_PRINTED = (595.3 - 2 * 0.5 * 72, 841.9 - 2 * 0.6 * 72)
POINTS_PER_WIDTH = 7.5
#: the smallest print scale at which 得分汇总 is fitted on one page (below it, two pages)
ONE_PAGE_SCALE = 0.8


def _print_on_one_page_or_two(ws: Worksheet, heights: dict[int, float], width: float, block: int) -> None:
    """得分汇总 prints on one page, the score table with the 自查 block under it, when that takes a
    scale of at least ONE_PAGE_SCALE; else the 自查 block starts a page of its own with its heading
    row (``block``, 0-based), at the scale its width needs (Excel ignores a page break while fitting
    to pages). Rows without a height of their own are 15 pt."""
    total = sum(heights.get(r, 15.0) for r in range(max(heights) + 1))
    across = min(1.0, A4_PRINTED[0] / (width * POINTS_PER_WIDTH))
    if min(across, A4_PRINTED[1] / total) >= ONE_PAGE_SCALE:
        ws.fit_to_pages(1, 1)
    else:
        ws.set_print_scale(math.floor(across * 100))
        ws.set_h_pagebreaks([block])


def all_formulas(rules: Rules, lay: Layout, checks: list[FormCheck] | None = None) -> dict[tuple[str, str], Expr]:
    """Every formula the template holds: those ``check`` verifies (``layout.template_formulas``) and
    the 自查 block's, which it does not read."""
    checks = form_checks(rules, lay) if checks is None else checks
    return {**template_formulas(rules, lay), **_check_formulas(lay, checks)}


def _check_rows(lay: Layout, checks: list[FormCheck]) -> tuple[int, int, dict[int, FormCheck], int]:
    """Where the 自查 block sits on 得分汇总 (1-based): title row, header row, row -> check, verdict row."""
    title = lay.sum_rows[S.VERIFIED_GRADE] + 3
    rows = {title + 2 + i: c for i, c in enumerate(checks)}
    return title, title + 1, rows, title + 2 + len(checks)


def _check_formulas(lay: Layout, checks: list[FormCheck]) -> dict[tuple[str, str], Expr]:
    """The 自查 block's formulas: each check's count, and the conclusion."""
    _, _, rows, verdict_row = _check_rows(lay, checks)
    out: dict[tuple[str, str], Expr] = {(S.SUMMARY, f"C{r}"): c.count for r, c in rows.items()}
    sums = {}
    for level in ("error", "warning"):
        at = [r for r, c in rows.items() if c.level == level]
        sums[level] = Call("SUM", (Area(None, f"C{min(at)}", f"C{max(at)}", home=S.SUMMARY),)) if at else Num(0)
    out[(S.SUMMARY, f"C{verdict_row}")] = verdict(sums["error"], sums["warning"])
    return out


def _self_check_block(w: _Cells, f: dict[str, Format], lay: Layout, checks: list[FormCheck]) -> dict[int, float]:
    """填报自查 under the score table: each check, how many places, where; then the conclusion.
    Returns the heights of its rows (0-based) for the print set-up."""
    ws = w.ws
    title, header, rows, verdict_row = _check_rows(lay, checks)
    heights = {title - 1: 26.0, verdict_row - 1: 30.0}
    ws.merge_range(title - 1, 0, title - 1, 5, "填报自查（随填写自动更新；提交前应无“须改正”的问题）", f["doc_h"])
    ws.set_row(title - 1, 26)
    ws.merge_range(header - 1, 0, header - 1, 1, "检查项", f["check_h"])
    w.put(f"C{header}", f["check_h"], "处数")
    ws.merge_range(header - 1, 3, header - 1, 5, "在哪里改", f["check_h"])
    for r, c in rows.items():
        label = ("【须改正】" if c.level == "error" else "【建议】") + c.title
        ws.merge_range(r - 1, 0, r - 1, 1, label, f["label"])
        w.put(f"C{r}", f["check_count"])
        ws.merge_range(r - 1, 3, r - 1, 5, c.where, f["note"])
        heights[r - 1] = _text_height([(label, 28), (c.where, 36)], 14)
        ws.set_row(r - 1, heights[r - 1])
        ws.conditional_format(f"C{r}", {"type": "cell", "criteria": ">", "value": 0,
                                        "format": f["warn" if c.level == "error" else "todo"]})
    ws.merge_range(verdict_row - 1, 0, verdict_row - 1, 1, "结论", f["label_req"])
    ws.merge_range(verdict_row - 1, 2, verdict_row - 1, 5, "", f["check_verdict"])
    w.put(f"C{verdict_row}", f["check_verdict"])
    ws.set_row(verdict_row - 1, 30)
    return heights


def _marks(book: _Book, checks: list[FormCheck]) -> None:
    """Each check's conditional formats on the cells it counts: values to correct first, then fields
    still to fill."""
    f = book.fmt
    for style, fmt in (("wrong", f["warn"]), ("todo", f["todo"])):
        for c in checks:
            for m in c.marks:
                if m.style == style:
                    book.sheets[m.sheet].conditional_format(m.cells.split()[0], {
                        "type": "formula", "criteria": "=" + m.formula, "format": fmt, "multi_range": m.cells})
