"""Reading a filled workbook into a typed, in-memory submission.

``read_submission(path)`` takes the file in (``intake``) and reads each standard sheet once with the
OOXML layer (``ooxml``): values, formula text with saved values, and error values all come from one
parse of the sheet's XML. Cells are found by label and header, never by fixed coordinates, so a
department that inserted rows is read correctly. Every value keeps its address: frames carry the Excel row
(``行号``) and ``Submission.cell(...)`` gives the A1 address of any field.

Nothing here judges the values: the reader records what it found and what it did not, and the
checks (``validate``) turn that into findings.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from selfeval_xl.check.intake import Limits, Received, open_package
from selfeval_xl.core import names as S
from selfeval_xl.core.formulas import ExcelError, Value, a1, split_a1
from selfeval_xl.core.names import label_key
from selfeval_xl.core.units import unit_key
from selfeval_xl.form.layout import Block, Layout
from selfeval_xl.ooxml import FormulaCell, Sheet, Workbook
from selfeval_xl.rules.model import Rules, load_rules

if TYPE_CHECKING:  # pandas is imported when a frame is first asked for: checking never needs it
    import pandas as pd

__all__ = ["ROW", "BasicInfo", "SheetInfo", "Submission", "label_key", "read_package", "read_submission",
           "template_version"]

#: the column every frame carries: the Excel row a record was read from
ROW = "行号"

@dataclass
class SheetInfo:
    """What the reader found of one standard sheet."""

    present: bool
    header_row: int | None = None
    missing: list[str] = field(default_factory=list)  # headers or labels not found


@dataclass
class BasicInfo:
    """基本信息 as typed fields; ``raw`` keeps each value as read and ``cells`` its address."""

    unit_name: str = ""
    unit_code: str = ""  # its normal form (units.unit_key): what every match of units uses
    unit_code_typed: str = ""  # as typed (full-width digits, invisible characters and all)
    competent_dept: str = ""
    year: int | None = None
    filler: str = ""
    phone: str = ""
    fill_date: str = ""
    template_version: str = ""
    raw: dict[str, Any] = field(default_factory=dict)  # label -> value as read
    cells: dict[str, str] = field(default_factory=dict)  # label -> A1


Record = dict[str, Any]


@dataclass
class Submission:
    """A filled workbook in memory.

    Each table is held as records (one dict per row: header -> value as read, plus ``行号``) and
    offered as a pandas DataFrame (object dtype, built on first access). The checks read the
    records: building the six frames costs about as much as calamine's whole read of the file.
    """

    path: Path
    sha256: str
    macro_enabled: bool
    sheet_names: list[str]
    structure: dict[str, SheetInfo]
    basic: BasicInfo
    goal_records: list[Record]
    task_records: list[Record]
    budget_records: list[Record]  # label, key, 数值, 说明, 行号 (inputs and computed rates)
    indicator_records: list[Record]  # the 绩效指标 headers present, plus 行号
    summary_records: list[Record]  # 类别 label and the 得分汇总 headers present, plus 行号
    problem_records: list[Record]
    layout: Layout
    formulas: dict[tuple[str, str], FormulaCell]  # (sheet, A1) -> formula as saved
    errors: dict[tuple[str, str], str]  # (sheet, A1) -> '#DIV/0!' etc.
    sheets: dict[str, Sheet] = field(repr=False, default_factory=dict)  # the standard sheets read
    workbook: Workbook | None = field(repr=False, default=None)  # the package, for the scored copy

    @property
    def data(self) -> bytes:
        """The file as submitted."""
        return self.workbook.package.data if self.workbook else b""

    def value(self, sheet: str, cell: str) -> Value:
        """The saved value of a cell, errors as ``ExcelError``."""
        return self.value_at(sheet, *split_a1(cell))

    def area_values(self, sheet: str, coords: tuple) -> list[Value]:
        """The values of many cells at once (for a range in a formula)."""
        s = self.sheets.get(sheet)
        if s is None:
            return [None] * len(coords)
        rows = s.rows
        out: list[Value] = []
        for r, c in coords:
            line = rows.get(r)
            out.append(line.get(c) if line else None)
        return out

    def value_at(self, sheet: str, row: int, col: int) -> Value:
        """The same by row and column (the formula Env protocol)."""
        s = self.sheets.get(sheet)
        return s.get(row, col) if s is not None else None

    def ind_cell(self, header: str, row: int) -> str:
        """A1 address of a 绩效指标 field in an Excel row."""
        return a1(row, self.layout.ind_cols[header])

    # the tables as DataFrames -----------------------------------------------------------------
    @cached_property
    def goals(self) -> pd.DataFrame:
        """履职目标: 序号, 年度履职目标, 行号."""
        return _frame(self.goal_records, [*S.GOALS_HEADERS, ROW])

    @cached_property
    def tasks(self) -> pd.DataFrame:
        """主要任务: 序号, 任务名称, 主要内容, 完成情况, 行号."""
        return _frame(self.task_records, [*S.TASKS_HEADERS, ROW])

    @cached_property
    def problems(self) -> pd.DataFrame:
        """问题与改进: 主要问题, 原因分析, 改进措施, 行号."""
        return _frame(self.problem_records, [*S.PROBLEMS_HEADERS, ROW])

    @cached_property
    def budget(self) -> pd.DataFrame:
        """预算情况, indexed by label: key, 数值, 说明, 行号 (input rows and computed rates)."""
        return _frame(self.budget_records, ["key", "数值", "说明", ROW], "label")

    @cached_property
    def indicators(self) -> pd.DataFrame:
        """绩效指标: one row per indicator in use, the standard headers plus 行号."""
        return _frame(self.indicator_records, [*S.INDICATOR_HEADERS, ROW])

    @cached_property
    def summary(self) -> pd.DataFrame:
        """得分汇总, indexed by 类别 (categories, 合计, 自评等级, 核定等级)."""
        return _frame(self.summary_records, [*S.SUMMARY_HEADERS, ROW], S.CATEGORY)

    @property
    def label(self) -> str:
        """How to name this submission to a person: unit name, else the file name."""
        return self.basic.unit_name or self.path.name


def read_submission(path: str | Path, rules: Rules | None = None, limits: Limits | None = None) -> Submission:
    """Read a filled workbook. Raises ``intake.Rejected`` for a file that is no readable workbook."""
    return read_package(open_package(path, limits), rules)


def read_package(received: Received, rules: Rules | None = None) -> Submission:
    rules = rules or load_rules()
    wb = received.workbook
    present = wb.sheet_parts()
    grids: dict[str, Sheet] = {}
    formulas: dict[tuple[str, str], FormulaCell] = {}
    errors: dict[tuple[str, str], str] = {}
    for name in S.SHEETS[1:]:
        if name not in present:
            continue
        sheet = grids[name] = wb.sheet(name)
        formulas.update({(name, c): f for c, f in sheet.formulas.items()})
        errors.update({(name, c): e for c, e in sheet.errors.items()})

    lay = Layout()
    structure: dict[str, SheetInfo] = {}
    basic = _read_basic(grids, lay, structure, rules.declared_items)
    goals = _read_list(grids, S.GOALS, S.GOALS_HEADERS, "年度履职目标", structure, lay, "goals_header_row")
    tasks = _read_list(grids, S.TASKS, S.TASKS_HEADERS, "任务名称", structure, lay, "tasks_header_row",
                       also=("主要内容",))
    problems = _read_list(grids, S.PROBLEMS, S.PROBLEMS_HEADERS, "主要问题", structure, lay,
                          "problems_header_row", also=("原因分析", "改进措施"))
    budget = _read_budget(grids, rules, lay, structure)
    indicators = _read_indicators(grids, rules, lay, structure)
    summary = _read_summary(grids, rules, lay, structure)
    structure[S.INSTRUCTIONS] = SheetInfo(S.INSTRUCTIONS in present)
    return Submission(
        path=received.path, sha256=received.sha256, macro_enabled=wb.macro_enabled,
        sheet_names=list(present), structure=structure, basic=basic,
        goal_records=goals, task_records=tasks, budget_records=budget, indicator_records=indicators,
        summary_records=summary, problem_records=problems, layout=lay,
        formulas=formulas, errors=errors, sheets=grids, workbook=wb,
    )


def template_version(received: Received) -> str:
    """The 模板版本 the workbook's 基本信息 carries ('' when none): read before anything else, it
    names the rule set its template was made from. Only 基本信息 is read (and kept for the rest)."""
    wb = received.workbook
    if S.BASIC not in wb.sheet_parts():
        return ""
    return _read_basic({S.BASIC: wb.sheet(S.BASIC)}, Layout(), {}).template_version


# ---------------------------------------------------------------------------------------------
# Finding headers and labels


def _cell(grid: Sheet, row: int, col: int) -> Any:
    """Value at a 1-based row/column, None when empty or outside the sheet."""
    return grid.get(row, col)


def _rows(grid: Sheet, start: int = 1, stop: int | None = None) -> Iterator[tuple[int, dict[int, Value]]]:
    """(row number, {column: value}) of the rows with content from ``start`` to ``stop``, in order."""
    for r in sorted(grid.rows):
        if r < start:
            continue
        if stop is not None and r > stop:
            break
        yield r, grid.rows[r]


def _find_header(grid: Sheet, headers: tuple[str, ...], scan_rows: int = 15) -> tuple[int | None, dict[str, int]]:
    """The row (1-based) holding most of ``headers``, and header -> column for those found."""
    wanted = {label_key(h): h for h in headers}
    best: tuple[int, int | None, dict[str, int]] = (0, None, {})
    for r, line in _rows(grid, 1, scan_rows):
        found: dict[str, int] = {}
        for j in sorted(line):
            v = line[j]
            if v.__class__ is not str or not v:
                continue
            h = wanted.get(v) or wanted.get(label_key(v))
            if h and h not in found:
                found[h] = j
        if len(found) > best[0]:
            best = (len(found), r, found)
            if len(found) == len(headers):
                break  # every header in this row: no better row can follow
    if best[0] < min(2, len(headers)):
        return None, {}
    return best[1], best[2]


def _labels(grid: Sheet, col: int, start: int, wanted: list[str]) -> dict[str, int]:
    """label -> row for each wanted label found in ``col`` at or below ``start`` (first one wins)."""
    keys = {label_key(w): w for w in wanted}
    out: dict[str, int] = {}
    for r, line in _rows(grid, max(start, 1)):
        v = line.get(col)
        if v and isinstance(v, str):
            w = keys.get(label_key(v))
            if w and w not in out:
                out[w] = r
                if len(out) == len(keys):
                    break
    return out


def _text(v: Any) -> str:
    if v is None or isinstance(v, ExcelError):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (_dt.datetime, _dt.date)):
        return v.isoformat()[:10]
    return str(v).strip()


def _year(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)) and float(v).is_integer() and 1900 <= v <= 2100:
        return int(v)
    if isinstance(v, str):
        m = re.fullmatch(r"(\d{4})(?:年度?)?", unicodedata.normalize("NFKC", v).strip())
        if m and 1900 <= int(m.group(1)) <= 2100:
            return int(m.group(1))
    return None


def _frame(records: list[Record], columns: list[str], index: str | None = None) -> pd.DataFrame:
    import pandas as pd

    data = {c: [r.get(c) for r in records] for c in columns}
    idx = pd.Index([r[index] for r in records], dtype=object, name=None) if index else None
    return pd.DataFrame(data, index=idx, dtype=object)


# ---------------------------------------------------------------------------------------------
# The sheets


def _table(grids: dict, sheet: str, headers: tuple[str, ...], structure: dict[str, SheetInfo]
           ) -> tuple[Sheet, int | None, dict[str, int], SheetInfo] | None:
    """A standard sheet and its header row (None when absent), with what of it is missing noted in
    ``structure``: (sheet, header row or None, header -> column, its SheetInfo)."""
    grid = grids.get(sheet)
    if grid is None:
        structure[sheet] = SheetInfo(False)
        return None
    header, cols = _find_header(grid, headers)
    si = structure[sheet] = SheetInfo(True, header, [h for h in headers if h not in cols])
    return grid, header, cols, si


def _read_basic(grids: dict, lay: Layout, structure: dict[str, SheetInfo], declared: tuple[str, ...] = ()
                ) -> BasicInfo:
    """基本信息: the standard fields, and the rows the rule set adds for 加分、扣分 and 一票否决
    (``declared``: kept by their label in ``raw`` and ``cells`` like the fields)."""
    info = BasicInfo()
    found = _table(grids, S.BASIC, S.BASIC_HEADERS, structure)
    if found is None:
        return info
    grid, header, cols, si = found
    label_col = cols.get("项目", 1)
    value_col = cols.get("内容", label_col + 1)
    lay.basic_value_col = value_col
    rows = _labels(grid, label_col, (header or 0) + 1, [f.label for f in S.BASIC_FIELDS] + list(declared))
    lay.basic_rows = rows
    si.missing += [f.label for f in S.BASIC_FIELDS if f.label not in rows] + [d for d in declared if d not in rows]
    for item in declared:
        r = rows.get(item)
        if r is not None:
            info.raw[item] = _cell(grid, r, value_col)
            info.cells[item] = a1(r, value_col)
    for fld in S.BASIC_FIELDS:
        r = rows.get(fld.label)
        if r is None:
            continue
        v = _cell(grid, r, value_col)
        info.raw[fld.label] = v
        info.cells[fld.label] = a1(r, value_col)
        if fld.attr == "year":
            info.year = _year(v)
        else:
            setattr(info, fld.attr, _text(v))
    info.unit_code_typed = info.unit_code
    info.unit_code = unit_key(info.unit_code)
    return info


def _read_list(grids: dict, sheet: str, headers: tuple[str, ...], main: str, structure: dict[str, SheetInfo],
               lay: Layout, attr: str, also: tuple[str, ...] = ()) -> list[Record]:
    found = _table(grids, sheet, headers, structure)
    if found is None:
        return []
    grid, header, cols, _si = found
    if header is None:
        return []
    setattr(lay, attr, header)
    records = []
    for r, line in _rows(grid, header + 1):
        rec = {h: line.get(c) for h, c in cols.items()}
        if any(rec.get(h) not in (None, "") for h in (main, *also)):
            rec[ROW] = r
            records.append(rec)
    return records


def _read_budget(grids: dict, rules: Rules, lay: Layout, structure: dict[str, SheetInfo]) -> list[Record]:
    found = _table(grids, S.BUDGET, S.BUDGET_HEADERS, structure)
    if found is None:
        return []
    grid, header, cols, si = found
    label_col = cols.get("项目", 1)
    value_col = cols.get("数值", label_col + 1)
    note_col = cols.get("说明", value_col + 1)
    lay.budget_value_col = value_col
    items = [(b.label, b.key) for b in rules.budget] + [(r.label, r.key) for r in rules.rates]
    rows = _labels(grid, label_col, (header or 0) + 1, [label for label, _ in items])
    lay.budget_rows = rows
    si.missing += [label for label, _ in items if label not in rows]
    records = []
    for label, key in items:
        r = rows.get(label)
        if r is not None:
            records.append({"label": label, "key": key, "数值": _cell(grid, r, value_col),
                            "说明": _cell(grid, r, note_col), ROW: r})
    return records


_USED = (S.NAME, S.WEIGHT, S.TARGET, S.ACTUAL, S.SELF_SCORE)
#: a record's key for the 一级指标 typed on a row that sits in another 一级指标's block
TYPED_LEVEL1 = "填写的一级指标"


def _read_indicators(grids: dict, rules: Rules, lay: Layout, structure: dict[str, SheetInfo]) -> list[Record]:
    """One record per row in use (any of 三级指标, 分值, 指标值, 实际完成值, 自评得分 filled).

    A row's 一级指标 is its block's (``layout.Block``): the rows after a 小计 row (or the header) down
    to the next 小计 belong to the 一级指标 named first among them, whatever the row's own column A
    holds, as the form's own formulas count them. A sheet without 小计 rows is read by column A, a blank carrying the one above.
    """
    found = _table(grids, S.INDICATORS, S.INDICATOR_HEADERS, structure)
    if found is None:
        return []
    grid, header, cols, _si = found
    if header is None:
        return []
    lay.ind_header_row = header
    lay.ind_cols = dict(cols)
    lay.ind_first = header + 1
    body = _table_body(grid, cols.get(S.LEVEL1), header, lay)
    lay.ind_blocks = _blocks(body, header)
    items = list(cols.items())
    records = []
    for r, line, typed in body:
        if typed == S.SUBTOTAL:
            continue
        rec: Record = {h: line.get(i) for h, i in items}
        if not any(rec.get(h) is not None for h in _USED):
            continue
        block = lay.block_of(r)
        level1 = block.level1 if block else typed
        rec[S.LEVEL1] = level1 or None
        if typed and level1 and label_key(typed) != label_key(level1):
            rec[TYPED_LEVEL1] = typed
        rec[ROW] = r
        records.append(rec)
    names: dict[str, int] = {}
    for rec in records:
        n = rec.get(S.NAME)
        if isinstance(n, str):
            names.setdefault(label_key(n), rec[ROW])
    lay.ind_rows = {i.name: names[label_key(i.name)] for i in rules.indicators if label_key(i.name) in names}
    return records


def _table_body(grid: Sheet, level1_col: int | None, header: int, lay: Layout) -> list[tuple[int, dict, str]]:
    """The rows under the header up to the 合计 row: (row, cells, its column A as text), where a 小计
    row's text is ``S.SUBTOTAL``. Sets the layout's last row and 合计 row."""
    body: list[tuple[int, dict, str]] = []
    last = header
    for r, line in _rows(grid, header + 1):
        first = line.get(level1_col) if level1_col else None
        typed = first.strip() if isinstance(first, str) else ""
        key = label_key(typed)
        if key == S.TOTAL:
            lay.ind_total_row = r
            break
        body.append((r, line, S.SUBTOTAL if key == S.SUBTOTAL else typed))
        if any(v is not None for v in line.values()):
            last = r
    lay.ind_last = (lay.ind_total_row - 1) if lay.ind_total_row else last
    return body


def _blocks(body: list[tuple[int, dict, str]], header: int) -> list[Block]:
    """The blocks of 一级指标: each holds the rows after the previous 小计 row (or the header) down to
    its own 小计 row, and is named by the first of them that names a 一级指标 (``layout.Block``);
    rows after the last 小计, or on a sheet with none, are grouped by column A instead."""
    blocks: list[Block] = []
    segment: list[tuple[int, str]] = []
    top = header
    for r, _line, typed in body:
        if typed != S.SUBTOTAL:
            segment.append((r, typed))
            continue
        title = next(((row, t) for row, t in segment if t), None)
        if title is not None:
            blocks.append(Block(title[1], top, title[0], r))
        segment = []
        top = r
    return blocks + _runs(segment)


def _runs(segment: list[tuple[int, str]]) -> list[Block]:
    """Blocks of rows by their column A, a blank carrying the one above (no 小计 rows)."""
    out: list[Block] = []
    run: list = []  # [一级指标, first row, last row]
    for r, typed in segment:
        if typed and (not run or label_key(typed) != label_key(run[0])):
            if run:
                out.append(Block(run[0], run[1], run[1], run[2], has_footer=False))
            run = [typed, r, r]
        elif run:
            run[2] = r
    if run:
        out.append(Block(run[0], run[1], run[1], run[2], has_footer=False))
    return out


def _read_summary(grids: dict, rules: Rules, lay: Layout, structure: dict[str, SheetInfo]) -> list[Record]:
    labels = [c.name for c in rules.categories] + [S.TOTAL, S.SELF_GRADE, S.VERIFIED_GRADE]
    found = _table(grids, S.SUMMARY, S.SUMMARY_HEADERS, structure)
    if found is None:
        return []
    grid, header, cols, si = found
    lay.sum_header_row = header or lay.sum_header_row
    lay.sum_cols = dict(cols)
    label_col = cols.get(S.CATEGORY, 1)
    rows = _labels(grid, label_col, (header or 0) + 1, labels)
    lay.sum_rows = rows
    si.missing += [label for label in labels if label not in rows]
    records = []
    for label in labels:
        r = rows.get(label)
        if r is None:
            continue
        rec = {h: _cell(grid, r, c) for h, c in cols.items()}
        if label in (S.SELF_GRADE, S.VERIFIED_GRADE):
            rec = {S.SUMMARY_HEADERS[1]: _cell(grid, r, label_col + 1)}
        rec[S.CATEGORY] = label
        rec[ROW] = r
        records.append(rec)
    return records
