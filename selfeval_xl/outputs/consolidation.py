"""Consolidation for the bureau: several batch results (sub-bureaus, years) in one workbook.

``consolidate(inputs, path)`` reads each input (a batch's output folder or its results.json) and
writes: 说明 (the inputs, the scope, duplicates found), 分组明细 (units grouped by 主管部门 with
subtotals and averages), 排名 (ranking per year, overall and within the group), 等级分布 (grades
per group and year, the year's in all, a chart per year), 历年对比 (the same unit across years with the change in score), 重复编码
(a 单位编码 met more than once in a year: reported, never merged) and 预算汇总 (budget per group
and year, rates from the sums).

Scope, as Chinese reporting clients offer it: the whole tree (default), one or more chosen
主管部门 (``depts``), or a hand-picked set of units (``units``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from selfeval_xl.core.sanitize import clean_text, display_name
from selfeval_xl.core.units import as_written, unit_key
from selfeval_xl.outputs.results_file import RESULTS_JSON, ResultsFileError, read_results
from selfeval_xl.outputs.summary import grade_color
from selfeval_xl.outputs.workbook import FastSheet, ReportBook
from selfeval_xl.rules.model import RulesError, bundled, load_rules

__all__ = ["ConsolidationError", "Unit", "consolidate", "load_inputs"]

NO_DEPT = "（未填写主管部门）"
#: a score shows two decimals, more where it holds more (``ReportBook.points``): the units may come
#: from rule sets of different precision
SCORE_DECIMALS = 2


class ConsolidationError(ValueError):
    """An input that is not a batch result."""


@dataclass
class Unit:
    """One scored submission in the consolidation."""

    source: str  # the input it came from
    file: str
    code: str
    name: str
    dept: str
    year: int | None
    total: float
    grade: str
    self_total: float | None
    errors: int
    budget: dict[str, Any]
    sha256: str = ""
    duplicate: bool = False

    @property
    def key(self) -> tuple[str, int | None]:
        return (self.code, self.year)


def _label(path: Path) -> str:
    """An input as the workbook names it: its folder's name (or its file's), as one line whose
    invisible and direction characters show as escapes (``sanitize.display_name``)."""
    return display_name(path.parent.name if path.name == RESULTS_JSON else path.name)


def load_inputs(inputs: Iterable[str | Path]) -> tuple[list[tuple[str, Path, dict[str, int]]], list[Unit]]:
    """Read every input; return (label, results.json path, counts) per input and the scored units.
    Each result is validated (``results_validation.Result``) into the typed result (``parse_result``):
    one that is not as a batch writes it refuses its file with a Chinese message naming it, the
    result and what is wrong. A unit's code is its normal form and its 主管部门 the first way it was
    written of those that read the same."""
    loaded = []
    units: list[Unit] = []
    labels: Counter[str] = Counter()
    depts: dict[str, str] = {}  # 主管部门 normal form -> the name shown for it
    for raw in inputs:
        path = Path(raw)
        file = path / RESULTS_JSON if path.is_dir() else path
        label = _label(file)
        labels[label] += 1
        if labels[label] > 1:
            label = f"{label}（{labels[label]}）"
        counts = {"files": 0, "scored": 0, "failed": 0}
        try:
            for r in read_results(file):
                counts["files"] += 1
                if not r.scored:
                    counts["failed"] += 1
                    continue
                counts["scored"] += 1
                assert r.total is not None
                dept = depts.setdefault(unit_key(r.competent_dept), as_written(r.competent_dept))
                units.append(Unit(label, r.file, unit_key(r.unit_code), r.unit_name, dept, r.year, r.total, r.grade,
                                  r.self_total, r.counts.errors, {k: r.budget.get(k) for k in _BUDGET_KEYS}, r.sha256))
        except ResultsFileError as exc:
            raise ConsolidationError(str(exc)) from None
        loaded.append((label, file, counts))
    return loaded, units


_BUDGET_KEYS = ("年初预算数", "调整预算数", "预算执行数", "政策性调整剔除数")


@dataclass
class Deduplicated:
    """The units each counted once: identical copies of a unit's submission for a year (the same
    file, e.g. a batch given twice) count once; differing ones are 待核实 and counted nowhere."""

    kept: list[Unit]
    pending: list[list[Unit]]  # differing submissions of one 单位编码 and year
    identical: list[list[Unit]]  # copies of one submission: the first kept, the rest dropped


def deduplicate(units: list[Unit]) -> Deduplicated:
    out = Deduplicated([], [], [])
    copies: dict[tuple[str, str, int | None], list[Unit]] = defaultdict(list)  # the same file, whatever its code
    for u in units:
        copies[(u.sha256, u.code, u.year) if u.sha256 else (str(id(u)), "", None)].append(u)
    firsts = []
    for g in copies.values():
        firsts.append(g[0])
        if len(g) > 1:
            out.identical.append(g)
    groups: dict[tuple[str, int | None], list[Unit]] = defaultdict(list)
    for u in firsts:
        if u.code:
            groups[u.key].append(u)
    pending: set[int] = set()
    for g in groups.values():
        if len(g) > 1:
            out.pending.append(g)
            for u in g:
                u.duplicate = True
                pending.add(id(u))
    out.kept = [u for u in firsts if id(u) not in pending]
    return out


def _ranks(values: list[float]) -> list[int]:
    """Standard competition ranking (1, 2, 2, 4) for scores, highest first."""
    order = sorted(range(len(values)), key=lambda i: -values[i])
    ranks = [0] * len(values)
    for pos, i in enumerate(order):
        ranks[i] = pos + 1 if pos == 0 or values[order[pos - 1]] != values[i] else ranks[order[pos - 1]]
    return ranks


def consolidate(inputs: Iterable[str | Path], path: str | Path, *, depts: Iterable[str] = (),
                units_wanted: Iterable[str] = ()) -> dict[str, Any]:
    """Write the consolidation workbook; return a few figures about it."""
    loaded, units = load_inputs(inputs)
    depts = [d for d in depts if unit_key(d)]
    wanted = {unit_key(c) for c in units_wanted if unit_key(c)}
    if depts:
        chosen = {unit_key(d) for d in depts}
        units = [u for u in units if unit_key(u.dept) in chosen]
        scope = "指定主管部门：" + "、".join(depts)
        if not units:
            raise ConsolidationError(f"没有主管部门为“{'、'.join(depts)}”的单位；请核对名称（须与各单位“基本信息”中填写的一致）。")
    elif wanted:
        units = [u for u in units if u.code in wanted]
        scope = f"指定单位：{len(wanted)} 个单位编码"
        if not units:
            raise ConsolidationError(f"没有单位编码为 {'、'.join(sorted(wanted))} 的单位；请核对编码。")
    else:
        scope = "全部单位"
    unmatched = sorted(set(depts) - {u.dept for u in units}) if depts else sorted(wanted - {u.code for u in units})
    if unmatched:
        scope += f"（其中 {'、'.join(unmatched)} 在结果中没有找到）"
    d = deduplicate(units)
    path = Path(path)
    tmp = path.with_name(f".tmp-{path.name}")
    w = _Book(tmp, d.kept)
    years = sorted({u.year for u in d.kept if u.year is not None})
    _about(w, loaded, d, scope, years)
    _groups(w, d.kept)
    _ranking(w, d.kept)
    _grades(w, d.kept)
    _years(w, d.kept, years, d.pending)
    _duplicates(w, d)
    _budget(w, d.kept)
    w.wb.close()
    tmp.replace(path)
    return {"units": len(d.kept), "inputs": len(loaded), "duplicates": sum(len(g) for g in d.pending),
            "identical": sum(len(g) - 1 for g in d.identical), "years": years, "unmatched": unmatched}


class _Book(ReportBook):
    def __init__(self, path: Path, units: list[Unit]):
        colors = grade_colors(units)
        super().__init__(path, "部门整体支出绩效自评 汇总", extra={
            "group": {"border": 1, "bold": True, "bg_color": "#DDEBF7"},
            "sub": {"border": 1, "bold": True, "bg_color": "#F2F2F2"},
            "sub_label": {"border": 1, "bold": True, "bg_color": "#F2F2F2", "text_wrap": True},
            "sub_score": {"border": 1, "bold": True, "bg_color": "#F2F2F2", "num_format": '"平均 "0.00'},
            "sub_money": {"border": 1, "bold": True, "bg_color": "#F2F2F2", "num_format": "#,##0.00"},
            "sub_pct": {"border": 1, "bold": True, "bg_color": "#F2F2F2", "num_format": "0.00%"},
            "sub_number": {"border": 1, "bold": True, "bg_color": "#F2F2F2", "num_format": "0.00"},
            "delta": {"border": 1, "num_format": "+0.00;-0.00;0.00"},
            **{_grade_key(g): {"border": 1, "bg_color": c} for g, c in colors.items()},
            **{_grade_key(g, "header"): {"border": 1, "bg_color": c, "bold": True, "align": "center"} for g, c in colors.items()},
        })
        self.colors = colors

    def grade(self, ws: FastSheet, row: int, col: int, grade: str) -> None:
        """A grade, coloured as the summary colours it."""
        self.s(ws, row, col, grade, _grade_key(grade) if grade in self.colors else "text")

    def s(self, ws: FastSheet, row: int, col: int, value: Any, fmt: str = "text") -> None:
        """Text, a bordered blank when empty (the grouped tables keep their grid)."""
        self.text(ws, row, col, value, fmt, blank=True)

    def n(self, ws: FastSheet, row: int, col: int, value: Any, fmt: str) -> None:
        self.number(ws, row, col, value, fmt)

    def header_from(self, ws: FastSheet, row: int, col: int, names: Iterable[str]) -> None:
        for j, h in enumerate(names):
            ws.write_string(row, col + j, h, self.f["header"])


def _grade_key(grade: str, kind: str = "grade") -> str:
    return f"{kind}:{grade}"


def grade_colors(units: Iterable[Unit]) -> dict[str, str]:
    """The summary's colour of each grade the units have (``summary.grade_color``): by its place
    in a bundled rule set that names it (so 优 is green however few grades a consolidation meets,
    and 优秀 too when results of four-part and default meet: each file's set, as the summary colours
    them), else by the order of the scores that earned them."""
    present = grade_order(units)
    sets = _bundled_grades()
    for grades in sets:  # one set naming every grade present: the summary's colours
        if set(present) <= set(grades):
            return {g: grade_color(grades.index(g), len(grades)) for g in present}
    out = {g: grade_color(grades.index(g), len(grades)) for g in present
           for grades in reversed(sets) if g in grades}  # the first set naming it wins
    rest = [g for g in present if g not in out]
    out.update({g: grade_color(i, len(rest)) for i, g in enumerate(rest)})
    return out


def _bundled_grades() -> list[list[str]]:
    out = []
    for path in bundled().values():
        try:
            out.append([g.grade for g in load_rules(path).grades])
        except RulesError:
            continue
    return out


def _dept(u: Unit) -> str:
    return u.dept or NO_DEPT


def _mark(u: Unit) -> str:
    return "无单位编码" if not u.code else ""


# --- 说明 -----------------------------------------------------------------------------------------


def _about(w: _Book, loaded: list[tuple[str, Path, dict[str, int]]], d: Deduplicated, scope: str,
           years: list[int]) -> None:
    ws = w.sheet("说明", [28, 60, 10, 10, 10], header_rows=0)
    ws.write_string(0, 0, "部门整体支出绩效自评 汇总", w.f["title"])
    ws.write_string(1, 0, f"范围：{scope}；单位 {len(d.kept)} 个；评价年度：{'、'.join(map(str, years)) or '—'}。"
                          "核定得分来自各批量审核结果；不同年度分别合计，从不相加。", w.f["note"])
    w.header(ws, 3, ["来源", "结果文件", "文件数", "已审核", "处理失败"])
    for i, (label, file, counts) in enumerate(loaded, start=4):
        w.s(ws, i, 0, label)
        w.s(ws, i, 1, display_name(str(file)))
        ws.write_number(i, 2, counts["files"], w.f["int"])
        ws.write_number(i, 3, counts["scored"], w.f["int"])
        ws.write_number(i, 4, counts["failed"], w.f["int"])
    row = 5 + len(loaded)
    notes = []
    if d.identical:
        notes.append(f"{len(d.identical)} 个单位的同一份申报表出现不止一次（内容相同，共多出 "
                     f"{sum(len(g) - 1 for g in d.identical)} 份），每个只计一次。")
    if d.pending:
        notes.append(f"{len(d.pending)} 个单位编码在同一年度有内容不同的申报表（共 {sum(len(g) for g in d.pending)} 份），"
                     "列为“待核实”，不计入任何合计、平均、排名和分布，见“待核实”。")
    ws.write_string(row, 0, "".join(notes) or "没有重复的单位编码。", w.f["warn" if d.pending else "note"])
    ws.activate()


# --- 分组明细 ---------------------------------------------------------------------------------------

_GROUP_COLS = ("主管部门 / 单位", "单位编码", "评价年度", "核定总分", "核定等级", "自评总分", "差异", "年初预算数",
               "调整预算数", "预算执行数", "来源", "标记")


def _groups(w: _Book, units: list[Unit]) -> None:
    """Units by 主管部门 and, within it, by year: a subtotal per year, never across years."""
    ws = w.sheet("分组明细", [32, 14, 9, 11, 8, 11, 8, 13, 13, 13, 16, 10], key_columns=1)
    w.header(ws, 0, _GROUP_COLS)
    by_dept: dict[str, dict[int | None, list[Unit]]] = defaultdict(lambda: defaultdict(list))
    for u in units:
        by_dept[_dept(u)][u.year].append(u)
    row = 1
    for dept in sorted(by_dept):
        w.s(ws, row, 0, dept, "group")
        for c in range(1, len(_GROUP_COLS)):
            ws.write_blank(row, c, None, w.f["group"])
        row += 1
        for year in sorted(by_dept[dept], key=lambda y: (y is None, y or 0)):
            members = sorted(by_dept[dept][year], key=lambda u: (-u.total, u.code, u.name))
            for u in members:
                w.s(ws, row, 0, "　" + (u.name or display_name(u.file)))
                w.s(ws, row, 1, u.code)
                w.n(ws, row, 2, u.year, "int")
                w.points(ws, row, 3, u.total, SCORE_DECIMALS)
                w.grade(ws, row, 4, u.grade)
                w.points(ws, row, 5, u.self_total, SCORE_DECIMALS)
                w.n(ws, row, 6, round(u.total - u.self_total, 2) if u.self_total is not None else None, "delta")
                for j, k in enumerate(("年初预算数", "调整预算数", "预算执行数")):
                    w.n(ws, row, 7 + j, u.budget.get(k), "money")
                w.s(ws, row, 10, u.source)
                w.s(ws, row, 11, _mark(u), "text")
                row += 1
            _subtotal(w, ws, row, f"{dept} {_year(year)}小计（{len(members)} 个单位）", members)
            row += 1
        row += 1
    by_year: dict[int | None, list[Unit]] = defaultdict(list)
    for u in units:
        by_year[u.year].append(u)
    for year in sorted(by_year, key=lambda y: (y is None, y or 0)):
        _subtotal(w, ws, row, f"{_year(year)}合计（{len(by_year[year])} 个单位）", by_year[year])
        row += 1
    ws.freeze_panes(1, 1)
    ws.repeat_rows(0)


def _display_width(text: str) -> int:
    """Columns a text takes: CJK characters count two (their GBK encoding is two bytes)."""
    return len(text.encode("gbk", "replace"))


def _year(year: int | None) -> str:
    return f"{year} 年度" if year is not None else "年度未填 "


def grade_order(units: Iterable[Unit]) -> list[str]:
    """The grades the units have, best first: a rule set names its own grades (优/良/中/差, or
    优秀/良好/合格/不合格), so their order is read from the scores that earned them."""
    lowest: dict[str, float] = {}
    for u in units:
        if u.grade:
            lowest[u.grade] = min(lowest.get(u.grade, u.total), u.total)
    return sorted(lowest, key=lambda g: -lowest[g])


def _subtotal(w: _Book, ws: FastSheet, row: int, label: str, members: list[Unit]) -> None:
    """A subtotal row: its label across the three columns a unit's name, code and year take (no
    unit has them here); the scores' average, shown as such ("平均 91.54"); the budgets' sums."""
    ws.merge_range(row, 0, row, 2, clean_text(label), w.f["sub_label"])
    if _display_width(label) > 53:  # wider than the three columns: two lines
        ws.set_row(row, 27)
    w.n(ws, row, 3, round(sum(u.total for u in members) / len(members), 2) if members else None, "sub_score")
    ws.write_blank(row, 4, None, w.f["sub"])
    selfs = [u.self_total for u in members if u.self_total is not None]
    w.n(ws, row, 5, round(sum(selfs) / len(selfs), 2) if selfs else None, "sub_score")
    ws.write_blank(row, 6, None, w.f["sub"])
    for j, k in enumerate(("年初预算数", "调整预算数", "预算执行数")):
        w.n(ws, row, 7 + j, round(sum(u.budget.get(k) or 0.0 for u in members), 2), "sub_money")
    ws.write_blank(row, 10, None, w.f["sub"])
    ws.write_blank(row, 11, None, w.f["sub"])


# --- 排名 ---------------------------------------------------------------------------------------------

_RANK_COLS = ("评价年度", "总排名", "组内排名", "单位编码", "部门(单位)名称", "主管部门", "核定总分", "核定等级", "来源", "标记")


def _ranking(w: _Book, units: list[Unit]) -> None:
    ws = w.sheet("排名", [9, 8, 8, 14, 32, 26, 9, 8, 16, 10], key_columns=5)
    w.header(ws, 0, _RANK_COLS)
    by_year: dict[int | None, list[Unit]] = defaultdict(list)
    for u in units:
        by_year[u.year].append(u)
    row = 1
    for year in sorted(by_year, key=lambda y: (y is None, y or 0)):
        members = sorted(by_year[year], key=lambda u: (-u.total, u.code, u.name))
        overall = _ranks([u.total for u in members])
        in_group: dict[int, int] = {}
        by_dept: dict[str, list[int]] = defaultdict(list)
        for i, u in enumerate(members):
            by_dept[_dept(u)].append(i)
        for idx in by_dept.values():
            for i, r in zip(idx, _ranks([members[i].total for i in idx]), strict=True):
                in_group[i] = r
        for i, u in enumerate(members):
            w.n(ws, row, 0, u.year, "int")
            ws.write_number(row, 1, overall[i], w.f["int"])
            ws.write_number(row, 2, in_group[i], w.f["int"])
            w.s(ws, row, 3, u.code)
            w.s(ws, row, 4, u.name)
            w.s(ws, row, 5, _dept(u))
            w.points(ws, row, 6, u.total, SCORE_DECIMALS)
            w.grade(ws, row, 7, u.grade)
            w.s(ws, row, 8, u.source)
            w.s(ws, row, 9, _mark(u), "warn" if u.duplicate else "text")
            row += 1
    ws.autofilter(0, 0, max(row - 1, 1), len(_RANK_COLS) - 1)
    ws.freeze_panes(1, 0)


# --- 等级分布 -------------------------------------------------------------------------------------------


def _grades(w: _Book, units: list[Unit]) -> None:
    """Grades per year: a row per 主管部门 and the year's 合计, never counted across years (as 说明
    says of every table), and a chart per year of each 主管部门's grades."""
    order = grade_order(units)
    ws = w.sheet("等级分布", [9, 30, *[8] * len(order), 8, 12], key_columns=2)
    w.header(ws, 0, ["评价年度", "主管部门"])
    for j, g in enumerate(order):
        ws.write_string(0, 2 + j, g, w.f[_grade_key(g, "header")] if g in w.colors else w.f["header"])
    w.header_from(ws, 0, 2 + len(order), ["单位数", "平均核定总分"])
    by_year: dict[int | None, dict[str, list[Unit]]] = defaultdict(lambda: defaultdict(list))
    for u in units:
        by_year[u.year][_dept(u)].append(u)
    row, charted = 1, 0
    for year in sorted(by_year, key=lambda y: (y is None, y or 0)):
        depts = sorted(by_year[year])
        first = row
        for dept in depts:
            _grade_row(w, ws, row, year, dept, by_year[year][dept], order, "")
            row += 1
        _grade_row(w, ws, row, year, f"{_year(year)}合计", [u for d in depts for u in by_year[year][d]], order, "sub")
        row += 1
        if order:
            most = max(len(by_year[year][d]) for d in depts)
            charted += _grade_chart(w, ws, year, first, row - 2, order, most, charted)
    ws.freeze_panes(1, 2)


def _grade_row(w: _Book, ws: FastSheet, row: int, year: int | None, label: str, members: list[Unit], order: list[str],
               sub: str) -> None:
    grades = Counter(u.grade for u in members)
    w.n(ws, row, 0, year, sub or "int")
    w.s(ws, row, 1, label, sub or "text")
    for j, g in enumerate(order):
        ws.write_number(row, 2 + j, grades[g], w.f[sub or "int"])
    ws.write_number(row, 2 + len(order), len(members), w.f[sub or "int"])
    ws.write_number(row, 3 + len(order), round(sum(u.total for u in members) / len(members), 2),
                    w.f["sub_number" if sub else "score"])


def _grade_chart(w: _Book, ws: FastSheet, year: int | None, first: int, last: int, order: list[str], most: int,
                 above: int) -> int:
    """The stacked bars of one year's 主管部门 (rows ``first``..``last``, the largest ``most``
    units), put under the charts ``above`` pixels high; returns the height it takes."""
    chart = w.wb.add_chart({"type": "bar", "subtype": "stacked"})
    for j, g in enumerate(order):
        chart.add_series({"name": g, "categories": ["等级分布", first, 1, last, 1],
                          "values": ["等级分布", first, 2 + j, last, 2 + j],
                          "fill": {"color": w.colors.get(g, "#BFBFBF")}, "border": {"color": "#7F7F7F"}})
    chart.set_title({"name": f"{_year(year).strip()}各主管部门等级构成", "name_font": {"name": "黑体", "size": 11}})
    chart.set_y_axis({"num_font": {"name": "宋体"}, "reverse": True})
    chart.set_x_axis({"min": 0, "major_unit": max(1, -(-most // 5)), "num_format": "0",
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    height = max(200, 60 + 26 * (last - first + 1))
    chart.set_size({"width": 560, "height": height})
    ws.insert_chart(1, 5 + len(order), chart, {"y_offset": above + (10 if above else 0)})
    return height + 10


# --- 历年对比 --------------------------------------------------------------------------------------------


def _years(w: _Book, units: list[Unit], years: list[int], pending: list[list[Unit]]) -> None:
    cols = ["单位编码", "部门(单位)名称", "主管部门"]
    for i, y in enumerate(years):
        cols += [f"{y} 核定总分", f"{y} 等级"]
        if i:
            cols.append(f"{y} 比 {years[i - 1]} 变化")
    ws = w.sheet("历年对比", [14, 32, 26] + [10] * (len(cols) - 3), key_columns=2)
    w.header(ws, 0, cols)
    ws.set_row(0, 30)
    copies: dict[str, dict[int, list[Unit]]] = defaultdict(lambda: defaultdict(list))
    for u in [*units, *(u for g in pending for u in g)]:
        if u.code and u.year is not None:
            copies[u.code][u.year].append(u)
    row = 1
    for code in sorted(copies):
        per_year = copies[code]
        # a unit-year with differing submissions (待核实) is not compared
        agreed = {y: us[0] for y, us in per_year.items() if len(us) == 1}
        latest = per_year[max(per_year)][0]
        w.s(ws, row, 0, code)
        w.s(ws, row, 1, latest.name)
        w.s(ws, row, 2, _dept(latest))
        col = 3
        for i, y in enumerate(years):
            this = agreed.get(y)
            w.points(ws, row, col, this.total if this else None, SCORE_DECIMALS)
            if this:
                w.grade(ws, row, col + 1, this.grade)
            else:
                w.s(ws, row, col + 1, "待核实" if y in per_year else "", "text" if y not in per_year else "warn")
            col += 2
            if i:
                prev = agreed.get(years[i - 1])
                w.n(ws, row, col, round(this.total - prev.total, 2) if this and prev else None, "delta")
                col += 1
        row += 1
    ws.write_string(row + 1, 0, "同一单位编码按年度并列；同一年度有内容不同的申报表的标为“待核实”（见“待核实”），不参与对比；"
                                "无单位编码的单位不参与对比。", w.f["note"])
    ws.freeze_panes(1, 2)


# --- 重复编码 --------------------------------------------------------------------------------------------


def _duplicates(w: _Book, d: Deduplicated) -> None:
    ws = w.sheet("待核实", [14, 9, 32, 26, 16, 40, 9, 22])
    w.header(ws, 0, ["单位编码", "评价年度", "部门(单位)名称", "主管部门", "来源", "文件", "核定总分", "处理"])
    row = 1
    listed = [(g, "待核实：内容不同，未计入") for g in d.pending] + [(g, "内容相同，只计一次") for g in d.identical]
    for group, how in sorted(listed, key=lambda x: (x[0][0].code, x[0][0].year or 0)):
        for k, u in enumerate(group):
            w.s(ws, row, 0, u.code, "warn" if u.duplicate else "text")
            w.n(ws, row, 1, u.year, "int")
            w.s(ws, row, 2, u.name)
            w.s(ws, row, 3, _dept(u))
            w.s(ws, row, 4, u.source)
            w.s(ws, row, 5, display_name(u.file))
            w.points(ws, row, 6, u.total, SCORE_DECIMALS)
            w.s(ws, row, 7, how if u.duplicate or k else "内容相同，计入", "warn" if u.duplicate else "text")
            row += 1
    if not listed:
        ws.write_string(1, 0, "没有重复的单位编码。", w.f["note"])
    ws.repeat_rows(0)


# --- 预算汇总 --------------------------------------------------------------------------------------------


def _budget(w: _Book, units: list[Unit]) -> None:
    ws = w.sheet("预算汇总", [30, 9, 8, 14, 14, 14, 10, 10], header_rows=2, key_columns=1)
    ws.write_string(0, 0, "按主管部门和年度合计（万元；比率按合计数计算）", w.f["h2"])
    w.header(ws, 1, ["主管部门", "评价年度", "单位数", "年初预算数", "调整预算数", "预算执行数", "预算执行率", "预算调整率"])
    sums: dict[tuple[str, int | None], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for u in units:
        s = sums[(_dept(u), u.year)]
        s["n"] += 1
        for k in ("年初预算数", "调整预算数", "预算执行数", "政策性调整剔除数"):
            s[k] += u.budget.get(k) or 0.0
    totals: dict[int | None, dict[str, float]] = defaultdict(lambda: defaultdict(float))  # per year: never across years
    row = 2
    for (dept, year) in sorted(sums, key=lambda k: (k[0], k[1] or 0)):
        s = sums[(dept, year)]
        for k, v in s.items():
            totals[year][k] += v
        _budget_row(w, ws, row, dept, year, s, "text")
        row += 1
    for year in sorted(totals, key=lambda y: (y is None, y or 0)):
        _budget_row(w, ws, row, f"{_year(year)}合计", year, totals[year], "sub")
        row += 1
    ws.freeze_panes(2, 1)
    ws.repeat_rows(0, 1)


def _budget_row(w: _Book, ws: FastSheet, row: int, label: str, year: int | None, s: dict[str, float], style: str) -> None:
    sub = style == "sub"
    w.s(ws, row, 0, label, style)
    w.n(ws, row, 1, year, "int")
    ws.write_number(row, 2, s["n"], w.f["int"])
    for j, k in enumerate(("年初预算数", "调整预算数", "预算执行数")):
        ws.write_number(row, 3 + j, round(s[k], 2), w.f["sub_money" if sub else "money"])
    w.n(ws, row, 6, s["预算执行数"] / s["调整预算数"] if s["调整预算数"] else None, "sub_pct" if sub else "pct")
    adj = abs(s["调整预算数"] - s["年初预算数"] - s["政策性调整剔除数"]) / s["年初预算数"] if s["年初预算数"] else None
    w.n(ws, row, 7, adj, "sub_pct" if sub else "pct")
