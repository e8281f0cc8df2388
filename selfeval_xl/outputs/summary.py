"""The auditor's summary workbook of a batch (审核汇总.xlsx), written with XlsxWriter.

Sheets: 总览 (counts, grade and score distributions with native charts, budget totals, the most
frequent findings), 单位得分 (one row per unit, a link to its scored copy), 问题清单 (every finding,
each with a link that opens the scored copy at its cell), 指标明细 (units × common indicators),
预算汇总 (per unit), 主管部门合计 (summed per 主管部门), 处理失败 (every file that could not be scored),
未审核文件 (whatever under the input folder was not audited, and why: ``add_unaudited``).

Everything that came from a submission is written as a string; links are built by us from our own
file names and standard sheet names. The work per unit and per finding is constant: nothing here
grows faster than the number of rows it writes.

``SummaryWriter`` takes the results one at a time (a batch streams them from its journal) and writes
each one's rows as it comes (XlsxWriter's ``constant_memory`` mode), keeping only running totals:
its memory does not grow with the number of files. The rows of 问题清单, which is most of a big
summary (a finding a row), are streamed as sheet XML to a temporary file of our own, faster than
XlsxWriter writes them; every text goes to a shared-strings table streamed to another (see
``outputs.workbook.SharedStrings``); ``finish`` splices both into the package, copying every other part
as it is compressed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

from selfeval_xl.core.findings import CODES, ERROR, INFO, WARNING
from selfeval_xl.core.numbers import MAX_POINT_DECIMALS, fmt_number, round_half_up
from selfeval_xl.core.sanitize import clean_text, display_name
from selfeval_xl.core.units import as_written, unit_key
from selfeval_xl.ooxml import Limits, Package, Workbook
from selfeval_xl.ooxml.xml import serialize
from selfeval_xl.ooxml.zipwrite import ZipWriter
from selfeval_xl.outputs.results import ResultFinding, UnitResult
from selfeval_xl.outputs.workbook import FIT_WIDTH, FastSheet, ReportBook, SharedStrings
from selfeval_xl.outputs.workbook import escape as _escape
from selfeval_xl.outputs.workbook import link as _link
from selfeval_xl.rules.model import Rules, RulesError, load_rules, rules_name

__all__ = ["SHEETS", "UNIT_COLUMNS", "SummaryWriter", "write_summary"]

SHEETS = ("总览", "单位得分", "问题清单", "指标明细", "预算汇总", "主管部门合计", "处理失败", "未审核文件")
UNIT_COLUMNS = ("单位编码", "部门(单位)名称", "主管部门", "评价年度", "自评总分", "核定总分", "差异", "自评等级",
                "核定等级", "暂定、加减分、封顶", "错误数", "警告数", "文件", "规则")
FINDING_COLUMNS = ("文件", "单位编码", "部门(单位)名称", "级别", "代码", "工作表", "单元格", "说明", "期望值", "实际值")
FAILED_COLUMNS = ("文件", "代码", "问题", "说明（怎么办）")
UNAUDITED_COLUMNS = ("文件或文件夹", "类别", "说明", "需核实")
#: colours of the grades, best first (the rule set names them; the last is always the worst's)
GRADE_COLORS = ("#C6EFCE", "#E2EFDA", "#FFEB9C", "#FCE4D6", "#FFC7CE")
LEVEL_COLORS = {ERROR: "#FFC7CE", WARNING: "#F8CBAD", INFO: "#E4DFEC"}
BUDGET_KEYS = ("年初预算数", "调整预算数", "预算执行数")
REPORT_MISSING = "文件已审核评分，审核副本已写出；只是没有生成自评报告草稿，原因："
INTERNAL_MESSAGE = "程序内部错误，不是文件的问题：已记入输出文件夹中的 内部错误.log，请发给技术支持；修复后重新运行本批次即可。"


def grade_color(rank: int, grades: int) -> str:
    """The colour of the grade at ``rank`` (0 best) of ``grades``: green to red whatever they number."""
    if rank == grades - 1:
        return GRADE_COLORS[-1]
    return GRADE_COLORS[min(rank, len(GRADE_COLORS) - 2)]


def score_bins(rules: Rules) -> list[tuple[float, float, str]]:
    """The score distribution's bands: the rule set's grade boundaries, and every 10 points below
    the best grade down to the lowest boundary above 0 (60, 70, 80, 90 for the default grades)."""
    mins = sorted({g.min for g in rules.grades if g.min > 0})
    if not mins:
        return [(0, 100.001, "0–100")]
    edges = sorted(set(mins) | {float(x) for x in range(int(mins[0]) + 10, int(mins[-1]), 10)})
    out = [(0.0, edges[0], f"{fmt_number(edges[0])} 分以下")]
    out += [(a, b, f"{fmt_number(a)}–{fmt_number(b)}") for a, b in pairwise(edges)]
    out.append((edges[-1], 100.001, f"{fmt_number(edges[-1])}–100"))
    return out


def _link_target(copy: str, sheet: str = "", cell: str = "") -> str:
    """A link into a scored copy (our own file name, a standard sheet name, an A1 address)."""
    target = copy
    if sheet and cell:
        target += "#'" + sheet.replace("'", "''") + "'!" + cell
    return target


class _Writer(ReportBook):
    strings: SharedStrings

    def __init__(self, path: Path, rules: Rules, strings: Path):
        super().__init__(path, "部门整体支出绩效自评 审核汇总", f"评分细则 {rules.version}", strings=strings, extra={
            "header_small": {"bold": True, "bg_color": "#BDD7EE", "border": 1, "text_wrap": True, "align": "center",
                             "font_size": 9},
            "link_wrap": {"border": 1, "font_color": "#0563C1", "underline": 1, "text_wrap": True},
            "warn_wrap": {"border": 1, "font_color": "#9C0006", "bg_color": "#FFC7CE", "text_wrap": True}})
        self.decimals = rules.decimals  # a score shows at these, more where it needs them
        add = self.wb.add_format
        self.grade_fmt = {g.grade: add({"bg_color": grade_color(i, len(rules.grades))}) for i, g in enumerate(rules.grades)}
        self.level_fmt = {lvl: add({"bg_color": c}) for lvl, c in LEVEL_COLORS.items()}
        self.neg_fmt = add({"font_color": "#9C0006", "bg_color": "#FFC7CE"})
        self.notice_fmt = add({"font_name": "宋体", "font_size": 10, "valign": "vcenter", "text_wrap": True, "border": 1,
                               "font_color": "#9C0006", "bg_color": "#FFC7CE"})


_RATE_KEYS = ("预算执行率", "预算调整率", "结转结余率")
_BUDGET_SUM_KEYS = (*BUDGET_KEYS, "政策性调整剔除数")


class SummaryWriter:
    """The summary, fed one result at a time.

    The workbook is open from the start in XlsxWriter's ``constant_memory`` mode: each result's
    rows of 单位得分, 指标明细, 预算汇总 and 处理失败 are written as it arrives, every sheet's rows go
    to a temporary file as they are finished, and what 总览 and 主管部门合计 need is kept as running
    totals. Nothing held grows with the number of files but the totals per 主管部门."""

    def __init__(self, path: Path, rules: Rules, across_note: str = ""):
        self.path = Path(path)
        self.rules = rules
        self.across_note = across_note  # the checks across the batch were not made, and why
        self.common = [i.name for i in rules.indicators]
        self.rules_name = rules_name(rules)
        #: units scored by another rule set than the one the columns are made for (a batch of mixed
        #: templates without --rules): set -> (its version, units); their grades are coloured by it
        self.other_sets: dict[str, list[Any]] = {}
        self.in_indicators = 0  # rows of 指标明细: the units scored by ``rules``
        self.submitted = 0
        self.scored = 0
        self.failed = 0
        self.with_errors = 0
        self.unaudited = 0
        self.reports = 0  # 自评报告 drafts written
        self.reports_missing = 0  # asked for and not written (the bureau's template failed on the unit's data)
        self.failed_rows = 0  # rows of 处理失败: the files that failed, and the drafts that are missing
        self.code_count: Counter[str] = Counter()
        self.code_files: Counter[str] = Counter()
        self.grades: Counter[str] = Counter()
        self.bins = score_bins(rules)
        self.bin_counts = [0] * len(self.bins)
        self.sums = dict.fromkeys(("total", "self", *BUDGET_KEYS), 0.0)
        self.n_self = 0
        self.groups: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.dept_names: dict[str, str] = {}  # 主管部门 normal form -> the name its group is shown by
        self.other_grades: list[tuple[str, str]] = []  # grades of the other sets the main set lacks, and their set
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(f".tmp-{self.path.name}")
        self.w = _Writer(self._tmp, rules, self.path.with_name(f".tmp-{self.path.stem}-strings.xml"))
        setup = _setup(rules)
        self.ws = {name: self.w.sheet(name, setup[name][0], **setup[name][1]) for name in SHEETS}
        _headers(self.w, self.ws, rules)
        self._rows_path = self.path.with_name(f".tmp-{self.path.stem}-findings.xml")
        self._rows = open(self._rows_path, "wb")
        self._row = 1  # 0-based row of the next finding (row 0 is the header)

    def add(self, r: UnitResult) -> None:
        self.submitted += 1
        codes = [x.code for x in r.findings]
        self.code_count.update(codes)
        self.code_files.update(set(codes))
        self._finding_rows(r)
        if r.failed:  # internal: our error, not the file's; no F-code for the department
            self.failed += 1
            self.failed_rows += 1
            code, message = (r.findings[0].code, r.findings[0].message) if r.status == "failed" else ("", INTERNAL_MESSAGE)
            _failed_row(self.w, self.ws["处理失败"], self.failed_rows, r.file, code, message)
            return
        self.reports += bool(r.report)
        if r.report_error:  # audited and scored, its draft missing: the auditor is told which
            self.reports_missing += 1
            self.failed_rows += 1
            _failed_row(self.w, self.ws["处理失败"], self.failed_rows, r.file, "", REPORT_MISSING + r.report_error,
                        problem="自评报告未生成")
        self.scored += 1
        self.with_errors += r.status == "errors"
        self._count(r)
        scores: dict[str, Any] = {}
        for row in r.rows:
            scores.setdefault(row.name, row.verified)
        n = self.scored
        _unit_row(self.w, self.ws["单位得分"], n, r)
        scored_by = r.rules or self.rules_name
        if scored_by == self.rules_name:  # 指标明细's columns are this set's indicators and categories
            self.in_indicators += 1
            _indicator_row(self.w, self.ws["指标明细"], self.in_indicators + 1, r, [scores.get(c) for c in self.common],
                           self.rules)
        else:
            self._other_set(scored_by, r.rules_version)
        _budget_row(self.w, self.ws["预算汇总"], n + 1, r)

    def _other_set(self, name: str, version: str) -> None:
        """A unit scored by another rule set: counted for 总览's note, its grades coloured by that
        set (a grade name the main set has keeps its colour)."""
        if name not in self.other_sets:
            self.other_sets[name] = [version, 0]
            try:
                grades = load_rules(name).grades
            except (RulesError, OSError):  # not a bundled set: its grades stay uncoloured
                grades = ()
            for i, g in enumerate(grades):
                if g.grade not in self.w.grade_fmt:
                    self.w.grade_fmt[g.grade] = self.w.wb.add_format({"bg_color": grade_color(i, len(grades))})
                    self.other_grades.append((g.grade, name))
        self.other_sets[name][1] += 1

    def add_unaudited(self, file: str, label: str, reason: str, blocking: bool) -> None:
        """A row of 未审核文件: a thing under the input folder the batch did not audit."""
        self.unaudited += 1
        ws, n = self.ws["未审核文件"], self.unaudited
        self.w.text(ws, n, 0, display_name(file))
        ws.write_string(n, 1, label, self.w.f["text"])
        self.w.text(ws, n, 2, reason, "wrap")
        ws.write_string(n, 3, "是" if blocking else "否", self.w.f["text"])

    def _count(self, r: UnitResult) -> None:
        """The running totals of 总览 and 主管部门合计."""
        assert r.total is not None  # a unit scored
        self.grades[r.grade] += 1
        self.sums["total"] += r.total
        if r.self_total is not None:
            self.sums["self"] += r.self_total
            self.n_self += 1
        for i, (lo, hi, _label) in enumerate(self.bins):
            self.bin_counts[i] += lo <= r.total < hi
        dept = r.competent_dept  # one group however it was typed (full-width, invisible characters)
        g = self.groups[self.dept_names.setdefault(unit_key(dept), as_written(dept) or "（未填写主管部门）")]
        g["单位数"] += 1
        for k in _BUDGET_SUM_KEYS:
            g[k] += r.budget.get(k) or 0.0
        for k in BUDGET_KEYS:
            self.sums[k] += r.budget.get(k) or 0.0

    def _finding_rows(self, r: UnitResult) -> None:
        """问题清单 rows of one result, as sheet XML (styles as placeholders, see ``_STYLE_MARKS``)."""
        text = self._text
        file, code, name, copy = display_name(r.file), r.unit_code, r.unit_name, r.copy
        out = []
        x: ResultFinding
        for x in r.findings:
            n = self._row + 1
            cells = [text("A", n, file, "T"), text("B", n, code, "T"), text("C", n, name, "T"),
                     text("D", n, x.level_label, "T"), text("E", n, x.code, "T"), text("F", n, x.sheet, "T")]
            linked = _link(_link_target(copy, x.sheet, x.cell), x.cell) if copy and x.cell else None
            if linked:
                formula, shown_text = _escape(linked[0][1:]), _escape(clean_text(linked[1]))
                cells.append(f'<c r="G{n}" s="\x01L" t="str"><f>{formula}</f><v>{shown_text}</v></c>')
            else:
                cells.append(text("G", n, x.cell, "T"))
            cells += [text("H", n, x.message, "W"), text("I", n, x.expected, "W"), text("J", n, x.actual, "W")]
            # wrapped text is not fitted by the spreadsheet on opening: give the row its height
            lines = max(_lines(x.message, _FINDING_WIDTHS[7]), _lines(x.expected, _FINDING_WIDTHS[8]),
                        _lines(x.actual, _FINDING_WIDTHS[9]))
            out.append(f'<row r="{n}" ht="{13 * lines + 3}" customHeight="1">{"".join(cells)}</row>')
            self._row += 1
        if out:
            self._rows.write("".join(out).encode("utf-8"))

    def _text(self, col: str, row: int, value: Any, style: str) -> str:
        """A text cell of the streamed rows: its text (from a submission: cleaned) in the shared
        strings, the cell a reference to it (an empty cell of that style for no text)."""
        if value is None or value == "":
            return f'<c r="{col}{row}" s="\x01{style}"/>'  # empty, in the table's grid
        return f'<c r="{col}{row}" s="\x01{style}" t="s"><v>{self.w.strings.index(clean_text(value))}</v></c>'

    def finish(self) -> Path:
        self._rows.close()
        w, ws = self.w, self.ws
        _overview(w, ws["总览"], self)
        _finish_units(w, ws["单位得分"], self.scored)
        styles = _finish_findings(w, ws["问题清单"], self._row - 1)
        _finish_indicators(w, ws["指标明细"], self.in_indicators, self.rules)
        _finish_budget(ws["预算汇总"], self.scored)
        _groups(w, ws["主管部门合计"], self.groups)
        _finish_list(w, ws["处理失败"], self.failed_rows, FAILED_COLUMNS, "没有处理失败的文件。")
        _finish_list(w, ws["未审核文件"], self.unaudited, UNAUDITED_COLUMNS, "输入文件夹中的文件都已审核。")
        w.wb.close()
        w.strings.close()
        marks = {b"\x01" + k.encode(): str(fmt._get_xf_index()).encode() for k, fmt in styles.items()}
        _splice(self._tmp, self.path, "问题清单", self._rows_path, marks, self._row - 1, w.strings)
        self._tmp.unlink()
        self._rows_path.unlink()
        w.strings.discard()
        return self.path

    def abort(self) -> None:
        self._rows.close()
        self._rows_path.unlink(missing_ok=True)
        self.w.strings.discard()
        for sheet in self.ws.values():  # XlsxWriter's temporary file of each sheet's rows
            sheet._opt_close()
            Path(sheet.row_data_filename).unlink(missing_ok=True)


def write_summary(results: Iterable[UnitResult], path: Path, rules: Rules) -> Path:
    """Write the summary of results (results.json objects, input order) to ``path``."""
    sw = SummaryWriter(path, rules)
    try:
        for r in results:
            sw.add(r)
    except BaseException:
        sw.abort()
        raise
    return sw.finish()


#: 问题清单's column widths: 说明, 期望值 and 实际值 wrap
_FINDING_WIDTHS = (28, 12, 24, 6, 7, 10, 9, 58, 23, 23)


#: what never begins a line (Chinese typesetting's 避头点): closing brackets, quotes and punctuation
_NO_LINE_START = set("）】」』”’》〉，。、；：！？…%)]}:;,.!?")


def _balanced(text: str, width: float, size: float = 9) -> str:
    """A header in as many lines as wrapping it in a column ``width`` wide takes, the lines of
    about equal length (a spreadsheet fills each line and can leave one character on the last:
    "年度履职目标相关性" as "年度履职/目标相关/性"); no line starts with closing punctuation."""
    # half-width units a line holds: the column's pixels, less margins, over a CJK character's (Excel's
    # measure; LibreOffice fits a little more, so the lines hold in both)
    per_line = 2 * max(1, int((width * 7 + 5 - 6) / (size * 4 / 3)))
    units = [2 if ord(ch) > 0x2E7F else 1 for ch in text]
    count = -(-sum(units) // per_line)
    if count <= 1 or "\n" in text:
        return text
    target = -(-sum(units) // count)
    lines: list[str] = []
    line, used = "", 0
    for ch, u in zip(text, units, strict=True):
        if line and used + u > target and ch not in _NO_LINE_START and len(lines) < count - 1:
            lines.append(line)
            line, used = "", 0
        line += ch
        used += u
    return "\n".join([*lines, line])


def _lines(text: Any, width: float) -> int:
    """Lines a text takes wrapped in a column ``width`` wide (CJK characters count two: their GBK
    encoding is two bytes; a half-width character of 10-point 宋体 is a little narrower than the
    width's unit, the default font's digit)."""
    if not text:
        return 1
    return max(1, -(-len(str(text).encode("gbk", "replace")) // (int(width * 1.04) - 1)))


#: how much of the streamed rows is read at a time
SPLICE_BLOCK = 1 << 18


def _splice(src: Path, dst: Path, sheet: str, rows_path: Path, marks: dict[bytes, bytes], n_rows: int,
            strings: SharedStrings) -> None:
    """Put the streamed rows into ``sheet`` of the workbook ``src`` (ours, written by XlsxWriter),
    and the streamed ``strings`` in place of its (empty) shared-strings part, writing ``dst``. The
    parts are found through the package's relationships; the rows go before the sheet's
    ``</sheetData>`` (XlsxWriter escapes every '<' in text, so that tag is the element's end).
    Every other part is copied as it is compressed."""
    source = src.read_bytes()
    wb = Workbook(Package(source, Limits()))
    part = wb.sheet_parts()[sheet]
    sst = wb.package.related_part(wb.part, "sharedStrings", "sst")
    root = wb.package.xml(part)
    dim = root.find(wb.names("dimension"))
    if dim is not None:
        dim.set("ref", f"A1:J{n_rows + 1}")
    head, tail = serialize(root).split(b"</sheetData>", 1)

    def chunks() -> Iterator[bytes]:
        yield head
        with open(rows_path, "rb") as fh:
            yield from replace_marks(iter(lambda: fh.read(SPLICE_BLOCK), b""), marks)
        yield b"</sheetData>" + tail

    zr = wb.package.zip
    tmp = dst.with_name(f".tmp-splice-{dst.name}")
    with open(tmp, "wb") as out:
        zw = ZipWriter(out)
        for name, e in zr.entries.items():
            if name == part:
                zw.add_stream(part, chunks(), level=1, date_time=e.date_time)
            elif name == sst:
                zw.add_stream(sst, strings.chunks(), level=1, date_time=e.date_time)
            else:
                zw.copy(name, e.method, e.crc, e.size, e.date_time, zr.compressed(name), e.external_attr)
        zw.finish()
    tmp.replace(dst)


def replace_marks(blocks: Iterable[bytes], marks: dict[bytes, bytes]) -> Iterator[bytes]:
    """Each placeholder of ``marks`` replaced in a stream of blocks, wherever the blocks split it:
    the last bytes of a block that could begin a placeholder wait for the next block."""
    keep = max(map(len, marks)) - 1
    carry = b""
    for data in blocks:
        data = carry + data
        cut = len(data) - keep
        starts = [data.rfind(m[:1], max(cut, 0)) for m in marks]
        split = min((i for i in starts if i != -1), default=len(data))
        carry, data = data[split:], data[:split]
        for mark, index in marks.items():
            data = data.replace(mark, index)
        yield data
    for mark, index in marks.items():
        carry = carry.replace(mark, index)
    yield carry


# --- the sheets: their set-up and headers, written first ------------------------------------------

#: 单位得分's column widths: one page wide (FIT_WIDTH), the notes on the total (暂定、加减分、封顶) and
#: the file wrapped in theirs
_UNIT_WIDTHS = (14, 28, 22, 9, 9, 9, 8, 8, 8, 20, 7, 7, 34, 12)


def _setup(rules: Rules) -> dict[str, tuple[Sequence[float], dict[str, Any]]]:
    """Each sheet's column widths and paper set-up (see ``ReportBook.sheet``)."""
    return {
        "总览": ([24, 12, 12, 36, 3, 12], {"header_rows": 0}),
        "单位得分": (_UNIT_WIDTHS, {"key_columns": 2}),
        "问题清单": (_FINDING_WIDTHS, {"key_columns": 3}),
        "指标明细": (_indicator_widths(rules), {"header_rows": 2, "key_columns": 2}),
        "预算汇总": ([14, 26, 22, 13, 13, 13, 10, 10, 10], {"header_rows": 2}),
        "主管部门合计": ([30, 8, 14, 14, 14, 10, 10], {"header_rows": 2}),
        "处理失败": ([40, 7, 24, 90], {}),
        "未审核文件": ([40, 16, 90, 7], {}),
    }


_BUDGET_UNIT_COLS = ("单位编码", "部门(单位)名称", "主管部门", "年初预算数", "调整预算数", "预算执行数",
                     "预算执行率", "预算调整率", "结转结余率")
_BUDGET_GROUP_COLS = ("主管部门", "单位数", "年初预算数", "调整预算数", "预算执行数", "预算执行率", "预算调整率")


_INDICATOR_KEYS = ("单位编码", "部门(单位)名称", "主管部门")
_INDICATOR_KEY_WIDTHS = (10, 20, 18)


def _indicator_columns(rules: Rules) -> list[tuple[str, float]]:
    """指标明细's score columns: each common indicator, each category and the total, with the
    points it is out of."""
    return ([(i.name, i.weight) for i in rules.indicators] + [(c.name, c.weight) for c in rules.categories]
            + [("核定总分", sum(c.weight for c in rules.categories))])


def _indicator_widths(rules: Rules) -> list[float]:
    """Narrow score columns, so that the table fits the page's width (it printed four pages across,
    mostly empty for a small batch); at 5.5 characters a score no longer fits: then 9 each, printed
    across pages with the unit columns repeated."""
    n = len(_indicator_columns(rules))
    width = min(9.0, (FIT_WIDTH - sum(_INDICATOR_KEY_WIDTHS)) / n)
    return [*_INDICATOR_KEY_WIDTHS, *[width if width >= 5.5 else 9.0] * n]


def _headers(w: _Writer, ws: dict[str, FastSheet], rules: Rules) -> None:
    """The header rows of the sheets whose rows are written as the results arrive."""
    w.header(ws["单位得分"], 0, UNIT_COLUMNS)
    w.header(ws["问题清单"], 0, FINDING_COLUMNS)
    # the formats the spliced rows use must be in use for XlsxWriter to write them: one hidden cell each
    for j, key in enumerate(("text", "link", "wrap")):
        ws["问题清单"].write_blank(0, len(FINDING_COLUMNS) + 2 + j, None, w.f[key])
    # the names wrap in the narrow columns; the points go in a row of their own (a "（10分）" under
    # a name wrapped as "（10" and "分）", leaving a lone bracket on a line)
    columns = _indicator_columns(rules)
    names = [_balanced(name, width) for (name, _w), width in zip(columns, _indicator_widths(rules)[3:], strict=True)]
    lines = max(name.count("\n") + 1 for name in names)
    ws["指标明细"].set_row(0, 12 * lines + 6)  # before the next row: constant_memory mode writes a row when it leaves it
    for c, h in enumerate([*_INDICATOR_KEYS, *names]):
        ws["指标明细"].write_string(0, c, h, w.f["header_small"])
    ws["指标明细"].write_string(1, 0, "满分", w.f["header_small"])
    for c in (1, 2):
        ws["指标明细"].write_blank(1, c, None, w.f["header_small"])
    for c, (_name, weight) in enumerate(columns, start=len(_INDICATOR_KEYS)):
        ws["指标明细"].write_string(1, c, f"{_fmt(weight)}分", w.f["header_small"])
    ws["预算汇总"].write_string(0, 0, "各单位（金额单位：万元）", w.f["h2"])
    w.header(ws["预算汇总"], 1, _BUDGET_UNIT_COLS)
    ws["主管部门合计"].write_string(0, 0, "按主管部门合计（金额单位：万元；比率按合计数计算）", w.f["h2"])
    w.header(ws["主管部门合计"], 1, _BUDGET_GROUP_COLS)
    w.header(ws["处理失败"], 0, FAILED_COLUMNS)
    w.header(ws["未审核文件"], 0, UNAUDITED_COLUMNS)


# --- 总览 ---------------------------------------------------------------------------------------


def _rules_note(sw: SummaryWriter) -> str:
    """总览's line on the rule sets: the one the columns are made for, and any other a unit was
    scored by (a batch of mixed templates without --rules), with what 指标明细 then holds."""
    rules = sw.rules
    if not sw.other_sets:
        return f"评分细则版本 {rules.version}；核定得分按评分细则重新计算，不采用单位自填的数字。"
    others = "，".join(f"{name} {version} {n} 个" for name, (version, n) in sw.other_sets.items())
    return (f"各单位按其模板的评分细则评分：{sw.rules_name} {rules.version} {sw.in_indicators} 个单位，{others}"
            f"（见单位得分“规则”列）；指标明细只列按 {sw.rules_name} 评分的单位。")


def _overview(w: _Writer, ws: FastSheet, sw: SummaryWriter) -> None:
    rules = sw.rules
    ws.fit_to_pages(1, 1)
    f = w.f
    ws.write_string(0, 0, "部门整体支出绩效自评 审核汇总", f["title"])
    ws.write_string(1, 0, _rules_note(sw), f["note"])
    if sw.across_note:
        ws.merge_range(2, 0, 2, 3, sw.across_note, w.notice_fmt)
        ws.set_row(2, 48)
    row = 3
    ws.write_string(row, 0, "一、文件", f["h2"])
    row += 1
    counts = [("提交文件", sw.submitted), ("成功审核", sw.scored), ("处理失败", sw.failed),
              ("有错误的文件", sw.with_errors), ("无错误的文件", sw.scored - sw.with_errors),
              ("未审核的文件或文件夹", sw.unaudited)]
    if sw.reports or sw.reports_missing:  # reports were asked for
        counts += [("自评报告已生成", sw.reports), ("自评报告未生成（见“处理失败”）", sw.reports_missing)]
    for label, n in counts:
        ws.write_string(row, 0, label, f["label"])
        ws.write_number(row, 1, n, f["int"])
        row += 1
    averages = (("平均核定总分", sw.sums["total"], sw.scored), ("平均自评总分", sw.sums["self"], sw.n_self))
    for label, total, n in averages:
        ws.write_string(row, 0, label, f["label"])
        w.number(ws, row, 1, round(total / n, 2) if n else None, "score")
        row += 1

    row += 1
    ws.write_string(row, 0, "二、核定等级分布", f["h2"])
    row += 1
    rows = [(g.grade, sw.grades.get(g.grade, 0)) for g in rules.grades]
    rows += [(f"{g}（{name}）", sw.grades.get(g, 0)) for g, name in sw.other_grades]  # every unit in a row
    row = _distribution(w, ws, row, "等级", rows, sw.scored)
    chart = _chart(w, "各等级单位数", row - len(rows) + 1, row, "#4472C4", max(n for _g, n in rows),
                   x_axis={"num_font": {"name": "宋体"}})
    ws.insert_chart(3, 5, chart, {"x_offset": 10})

    row += 2
    ws.write_string(row, 0, "三、核定总分分布", f["h2"])
    row += 1
    rows = [(label, n) for (_lo, _hi, label), n in zip(sw.bins, sw.bin_counts, strict=True)]
    row = _distribution(w, ws, row, "分数段", rows, sw.scored)
    chart = _chart(w, "各分数段单位数", row - len(rows) + 1, row, "#70AD47", max(n for _b, n in rows), gap=30)
    ws.insert_chart(17, 5, chart, {"x_offset": 10})

    row += 2
    ws.write_string(row, 0, "四、预算合计（万元）", f["h2"])
    row += 1
    for k in BUDGET_KEYS:
        ws.write_string(row, 0, k, f["label"])
        ws.write_number(row, 1, round(sw.sums[k], 2), f["money"])
        row += 1
    ws.write_string(row, 0, "总体预算执行率", f["label"])
    adjusted = sw.sums["调整预算数"]
    w.number(ws, row, 1, sw.sums["预算执行数"] / adjusted if adjusted else None, "pct")
    row += 2

    ws.write_string(row, 0, "五、最常见的问题", f["h2"])
    row += 1
    w.header(ws, row, ["代码", "出现次数", "涉及文件数", "问题"])
    for code, n in sorted(sw.code_count.items(), key=lambda kv: (-kv[1], kv[0]))[:10]:
        row += 1
        ws.write_string(row, 0, code, f["text"])
        ws.write_number(row, 1, n, f["int"])
        ws.write_number(row, 2, sw.code_files[code], f["int"])
        ws.write_string(row, 3, f"{CODES[code][0]}：{CODES[code][1]}", f["text"])
    ws.activate()


def _distribution(w: _Writer, ws: FastSheet, row: int, what: str, rows: list[tuple[str, int]], total: int) -> int:
    """A header and a row (label, 单位数, 占比) for each of ``rows``; the last row written."""
    w.header(ws, row, [what, "单位数", "占比"])
    for label, n in rows:
        row += 1
        ws.write_string(row, 0, label, w.f["label"])
        ws.write_number(row, 1, n, w.f["int"])
        ws.write_number(row, 2, n / total if total else 0, w.f["pct"])
    return row


def _chart(w: _Writer, title: str, first: int, last: int, color: str, largest: int, *, x_axis: dict | None = None,
           gap: int | None = None) -> Any:
    """A column chart of the counts in column B, rows ``first``..``last`` of 总览 (whole-number axis)."""
    chart = w.wb.add_chart({"type": "column"})
    series: dict[str, Any] = {"name": "单位数", "categories": ["总览", first, 0, last, 0],
                              "values": ["总览", first, 1, last, 1], "data_labels": {"value": True},
                              "fill": {"color": color}}
    if gap is not None:
        series["gap"] = gap
    chart.add_series(series)
    chart.set_title({"name": title, "name_font": {"name": "黑体", "size": 11}})
    chart.set_legend({"none": True})
    if x_axis:
        chart.set_x_axis(x_axis)
    chart.set_y_axis({"major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}, "min": 0,
                      "major_unit": _count_step(largest), "num_format": "0"})
    chart.set_size({"width": 420, "height": 240})
    return chart


# --- 单位得分 -----------------------------------------------------------------------------------


def _unit_row(w: _Writer, ws: FastSheet, i: int, r: UnitResult) -> None:
    assert r.total is not None  # a unit scored
    w.text(ws, i, 0, r.unit_code)
    w.text(ws, i, 1, r.unit_name)
    w.text(ws, i, 2, r.competent_dept)
    w.number(ws, i, 3, r.year, "int")
    d = w.decimals
    w.points(ws, i, 4, r.self_total, d)
    w.points(ws, i, 5, r.total, d)
    diff = round_half_up(r.total - r.self_total, MAX_POINT_DECIMALS) if r.self_total is not None else None
    w.points(ws, i, 6, diff, d)
    w.text(ws, i, 7, r.self_grade)
    w.text(ws, i, 8, r.grade)
    # the total stands on a category rescaled for its 分值 (P501); what the rules over the total did
    notes = clean_text("；".join((["暂定（P501）"] if r.provisional else []) + list(r.limits or ())))
    file = display_name(r.file)  # one line, its invisible and direction characters shown as escapes
    lines = max(_lines(notes, _UNIT_WIDTHS[9]), _lines(file, _UNIT_WIDTHS[12]))
    if lines > 1:  # wrapped text is not fitted by the spreadsheet on opening
        ws.set_row(i, 13 * lines + 3)
    if notes:
        ws.write_string(i, 9, notes, w.f["warn_wrap" if r.provisional else "wrap"])
    else:
        ws.write_blank(i, 9, None, w.f["text"])
    ws.write_number(i, 10, r.counts.errors, w.f["int"])
    ws.write_number(i, 11, r.counts.warnings, w.f["int"])
    linked = _link(r.copy, clean_text(file)) if r.copy else None
    if linked:  # a HYPERLINK formula: XlsxWriter keeps every native link in memory until it closes
        ws.write_formula(i, 12, linked[0], w.f["link_wrap"], linked[1])
    else:
        w.text(ws, i, 12, file, "wrap")
    w.text(ws, i, 13, r.rules or "")  # the rule set it was scored by (its template's, without --rules)


def _finish_units(w: _Writer, ws: FastSheet, n: int) -> None:
    last = max(n, 1)
    ws.autofilter(0, 0, last, len(UNIT_COLUMNS) - 1)
    ws.freeze_panes(1, 2)
    ws.conditional_format(1, 6, last, 6, {"type": "cell", "criteria": "<", "value": 0, "format": w.neg_fmt})
    for col in (7, 8):
        for g, fmt in w.grade_fmt.items():
            ws.conditional_format(1, col, last, col, {"type": "cell", "criteria": "==", "value": f'"{g}"', "format": fmt})
    ws.conditional_format(1, 10, last, 10, {"type": "cell", "criteria": ">", "value": 0, "format": w.level_fmt[ERROR]})


# --- 问题清单 -----------------------------------------------------------------------------------


def _finish_findings(w: _Writer, ws: FastSheet, n: int) -> dict[str, Any]:
    """问题清单 without its rows (they are spliced in): filter, colours. Returns the formats the
    streamed rows use, by their placeholder."""
    last = max(n, 1)
    ws.autofilter(0, 0, last, len(FINDING_COLUMNS) - 1)
    ws.freeze_panes(1, 0)
    for lvl, fmt in w.level_fmt.items():
        ws.conditional_format(1, 3, last, 3, {"type": "cell", "criteria": "==", "value": f'"{lvl}"', "format": fmt})
    return {"T": w.f["text"], "L": w.f["link"], "W": w.f["wrap"]}


# --- 指标明细 -----------------------------------------------------------------------------------


def _indicator_row(w: _Writer, ws: FastSheet, n: int, r: UnitResult, scores: list[Any], rules: Rules) -> None:
    w.text(ws, n, 0, r.unit_code)
    w.text(ws, n, 1, r.unit_name)
    w.text(ws, n, 2, r.competent_dept)
    d = w.decimals
    for j, score in enumerate(scores):
        w.points(ws, n, 3 + j, score, d)
    for j, c in enumerate(rules.categories):
        w.points(ws, n, 3 + len(scores) + j, r.categories.get(c.name), d)
    w.points(ws, n, 3 + len(scores) + len(rules.categories), r.total, d)


def _finish_indicators(w: _Writer, ws: FastSheet, n: int, rules: Rules) -> None:
    """Each score coloured by the points it is out of, the same in every column: full marks white,
    60% (the lowest "部分达成") yellow, 0 red. (A scale from each column's own lowest to highest
    painted full marks yellow in one column and white in the next.)"""
    last = max(n + 1, 2)
    for col, (_name, weight) in enumerate(_indicator_columns(rules), start=len(_INDICATOR_KEYS)):
        ws.conditional_format(2, col, last, col, {
            "type": "3_color_scale", "min_type": "num", "min_value": 0, "min_color": "#F8696B",
            "mid_type": "num", "mid_value": round(0.6 * weight, 6), "mid_color": "#FFEB84",
            "max_type": "num", "max_value": weight, "max_color": "#FFFFFF"})
    ws.autofilter(1, 0, last, len(_INDICATOR_KEYS) + len(_indicator_columns(rules)) - 1)
    ws.freeze_panes(2, 2)


def _count_step(largest: int) -> int:
    """A whole-number axis step for counts (no 0.5 units)."""
    return max(1, -(-largest // 5))


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


# --- 预算汇总, 主管部门合计 ------------------------------------------------------------------------


def _budget_row(w: _Writer, ws: FastSheet, n: int, r: UnitResult) -> None:
    w.text(ws, n, 0, r.unit_code)
    w.text(ws, n, 1, r.unit_name)
    w.text(ws, n, 2, r.competent_dept)
    for j, k in enumerate(BUDGET_KEYS):
        w.number(ws, n, 3 + j, r.budget.get(k), "money")
    for j, k in enumerate(_RATE_KEYS):
        w.number(ws, n, 6 + j, r.rates.get(k), "pct")


def _finish_budget(ws: FastSheet, n: int) -> None:
    ws.autofilter(1, 0, max(n + 1, 2), len(_BUDGET_UNIT_COLS) - 1)
    ws.freeze_panes(2, 0)


def _groups(w: _Writer, ws: FastSheet, groups: dict[str, dict[str, float]]) -> None:
    """A row per 主管部门 and a 合计 row; the rates computed from the sums."""
    total: dict[str, float] = defaultdict(float)
    for g in groups.values():
        for k, v in g.items():
            total[k] += v
    rows = [(dept, g, "text") for dept, g in sorted(groups.items())] + [("合计", total, "label")]
    for n, (dept, g, style) in enumerate(rows, start=2):
        w.text(ws, n, 0, dept, style)
        ws.write_number(n, 1, g["单位数"], w.f["int"])
        for j, k in enumerate(BUDGET_KEYS):
            ws.write_number(n, 2 + j, round(g[k], 2), w.f["money"])
        w.number(ws, n, 5, g["预算执行数"] / g["调整预算数"] if g["调整预算数"] else None, "pct")
        adj = abs(g["调整预算数"] - g["年初预算数"] - g["政策性调整剔除数"]) / g["年初预算数"] if g["年初预算数"] else None
        w.number(ws, n, 6, adj, "pct")
    ws.freeze_panes(2, 0)


# --- 处理失败 -----------------------------------------------------------------------------------


def _failed_row(w: _Writer, ws: FastSheet, n: int, file: str, code: str, message: str, problem: str = "") -> None:
    w.text(ws, n, 0, display_name(file))
    ws.write_string(n, 1, code or "—", w.f["text"])
    ws.write_string(n, 2, problem or (CODES[code][1] if code else "内部错误"), w.f["warn" if problem else "text"])
    w.text(ws, n, 3, message, "wrap")


def _finish_list(w: _Writer, ws: FastSheet, n: int, columns: tuple[str, ...], empty: str) -> None:
    """A list sheet of ``n`` rows under its header: filtered, or saying ``empty``; the header frozen."""
    if n:
        ws.autofilter(0, 0, n, len(columns) - 1)
    else:
        ws.write_string(1, 0, empty, w.f["note"])
    ws.freeze_panes(1, 0)
