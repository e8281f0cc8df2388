"""The auditor's summary workbook of a batch (审核汇总.xlsx), written with XlsxWriter.

Sheets: 总览 (counts, grade and score distributions with native charts, budget totals, the most
frequent findings), 单位得分 (one row per unit, a link to its scored copy), 问题清单 (every finding,
each with a link that opens the scored copy at its cell), 指标明细 (units × common indicators),
预算汇总 (per unit and per 主管部门), 处理失败 (every file that could not be scored).

Everything that came from a submission is written as a string; links are built by us from our own
file names and standard sheet names. The work per unit and per finding is constant: nothing here
grows faster than the number of rows it writes.

``SummaryWriter`` takes the results one at a time (a batch streams them from its journal) and keeps
only a small record per unit. The rows of 问题清单, which is most of a big summary (a finding a
row), are streamed as sheet XML to a temporary file; XlsxWriter builds the workbook with every
sheet, format and chart and the 问题清单 header, and ``finish`` splices the rows into that one
sheet part, copying every other part as it is compressed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

from .findings import CODES, ERROR, INFO, WARNING
from .numbers import fmt_number
from .ooxml import Limits, Package, Workbook
from .ooxml.xml import serialize
from .ooxml.zipwrite import ZipWriter
from .reportbook import ReportBook
from .reportbook import escape as _escape
from .reportbook import hyperlink as _hyperlink
from .rules import Rules
from .safe import clean_text, xml_text

__all__ = ["SHEETS", "UNIT_COLUMNS", "SummaryWriter", "write_summary"]

SHEETS = ("总览", "单位得分", "问题清单", "指标明细", "预算汇总", "处理失败")
UNIT_COLUMNS = ("单位编码", "部门(单位)名称", "主管部门", "评价年度", "自评总分", "核定总分", "差异", "自评等级",
                "核定等级", "错误数", "警告数", "文件")
FINDING_COLUMNS = ("文件", "单位编码", "部门(单位)名称", "级别", "代码", "工作表", "单元格", "说明", "期望值", "实际值")
FAILED_COLUMNS = ("文件", "代码", "问题", "说明（怎么办）")
#: colours of the grades, best first (the rule set names them; the last is always the worst's)
GRADE_COLORS = ("#C6EFCE", "#E2EFDA", "#FFEB9C", "#FCE4D6", "#FFC7CE")
LEVEL_COLORS = {ERROR: "#FFC7CE", WARNING: "#F8CBAD", INFO: "#E4DFEC"}
BUDGET_KEYS = ("年初预算数", "调整预算数", "预算执行数")
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
    def __init__(self, path: Path, rules: Rules):
        super().__init__(path, "部门整体支出绩效自评 审核汇总", f"评分细则 {rules.version}")
        add = self.wb.add_format
        self.grade_fmt = {g.grade: add({"bg_color": grade_color(i, len(rules.grades))}) for i, g in enumerate(rules.grades)}
        self.level_fmt = {lvl: add({"bg_color": c}) for lvl, c in LEVEL_COLORS.items()}
        self.neg_fmt = add({"font_color": "#9C0006", "bg_color": "#FFC7CE"})


class SummaryWriter:
    """The summary, fed one result at a time."""

    def __init__(self, path: Path, rules: Rules):
        self.path = Path(path)
        self.rules = rules
        self.common = [i.name for i in rules.indicators]
        self.units: list[dict[str, Any]] = []  # small records of the scored files
        self.failed: list[dict[str, Any]] = []
        self.submitted = 0
        self.with_errors = 0
        self.code_count: Counter[str] = Counter()
        self.code_files: Counter[str] = Counter()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._rows_path = self.path.with_name(f".tmp-{self.path.stem}-findings.xml")
        self._rows = open(self._rows_path, "wb")
        self._row = 1  # 0-based row of the next finding (row 0 is the header)

    def add(self, r: dict[str, Any]) -> None:
        self.submitted += 1
        codes = [x["code"] for x in r["findings"]]
        self.code_count.update(codes)
        self.code_files.update(set(codes))
        self._finding_rows(r)
        if r["status"] == "internal":  # our error, not the file's: no F-code for the department
            self.failed.append({"file": r["file"], "code": "", "message": INTERNAL_MESSAGE})
            return
        if r["status"] == "failed":
            x = r["findings"][0]
            self.failed.append({"file": r["file"], "code": x["code"], "message": x["message"]})
            return
        self.with_errors += r["status"] == "errors"
        scores: dict[str, Any] = {}
        for row in r["rows"]:
            scores.setdefault(row["三级指标"], row["核定得分"])
        self.units.append({
            "file": r["file"], "copy": r["copy"], "unit_code": r["unit_code"], "unit_name": r["unit_name"],
            "competent_dept": r["competent_dept"], "year": r["year"], "self_total": r["self_total"],
            "total": r["total"], "self_grade": r["self_grade"], "grade": r["grade"],
            "errors": r["counts"]["错误"], "warnings": r["counts"]["警告"], "categories": r["categories"],
            "budget": {k: r["budget"].get(k) for k in (*BUDGET_KEYS, "政策性调整剔除数")},
            "rates": {k: r.get("rates", {}).get(k) for k in ("预算执行率", "预算调整率", "结转结余率")},
            "scores": [scores.get(n) for n in self.common],
        })

    def _finding_rows(self, r: dict[str, Any]) -> None:
        """问题清单 rows of one result, as sheet XML (styles as placeholders, see ``_STYLE_MARKS``)."""
        file, code, name, copy = _x(r["file"]), _x(r["unit_code"]), _x(r["unit_name"]), r["copy"]
        out = []
        for x in r["findings"]:
            n = self._row + 1
            cells = [_inline("A", n, file, "T"), _inline("B", n, code, "T"), _inline("C", n, name, "T"),
                     _inline("D", n, x["level_label"], "T"), _inline("E", n, x["code"], "T"), _inline("F", n, _x(x["sheet"]), "T")]
            if copy and x["cell"]:
                formula = _escape(_hyperlink(_link_target(copy, x["sheet"], x["cell"]), x["cell"])[1:])
                cells.append(f'<c r="G{n}" s="\x01L" t="str"><f>{formula}</f><v>{_escape(x["cell"])}</v></c>')
            else:
                cells.append(_inline("G", n, _x(x["cell"]), "T"))
            cells += [_inline("H", n, _x(x["message"]), "W"), _inline("I", n, _x(x["expected"]), "T"),
                      _inline("J", n, _x(x["actual"]), "T")]
            # wrapped text is not fitted by the spreadsheet on opening: give the row its height
            lines = max(1, -(-len(x["message"].encode("gbk", "replace")) // _MESSAGE_CHARS))
            out.append(f'<row r="{n}" ht="{13 * lines + 3}" customHeight="1">{"".join(cells)}</row>')
            self._row += 1
        if out:
            self._rows.write("".join(out).encode("utf-8"))

    def finish(self) -> Path:
        self._rows.close()
        tmp = self.path.with_name(f".tmp-{self.path.name}")
        w = _Writer(tmp, self.rules)
        _overview(w, self)
        _units(w, self.units)
        n_findings = self._row - 1
        styles = _findings_sheet(w, n_findings)
        _indicators(w, self.units, self.rules)
        _budget(w, self.units)
        _failed(w, self.failed)
        w.wb.close()
        marks = {b"\x01" + k.encode(): str(fmt._get_xf_index()).encode() for k, fmt in styles.items()}
        _splice(tmp, self.path, "问题清单", self._rows_path, marks, n_findings)
        tmp.unlink()
        self._rows_path.unlink()
        return self.path

    def abort(self) -> None:
        self._rows.close()
        self._rows_path.unlink(missing_ok=True)


def write_summary(results: Iterable[dict[str, Any]], path: Path, rules: Rules) -> Path:
    """Write the summary of results (results.json objects, input order) to ``path``."""
    sw = SummaryWriter(path, rules)
    try:
        for r in results:
            sw.add(r)
    except BaseException:
        sw.abort()
        raise
    return sw.finish()


#: characters (CJK counting two) a line of the 说明 column holds (its width is 70)
_MESSAGE_CHARS = 66


def _x(value: Any) -> str:
    """Text from a submission for a cell: cleaned and XML-escaped ('' for nothing)."""
    return "" if value is None or value == "" else xml_text(value)


def _inline(col: str, row: int, text: str, style: str) -> str:
    if not text:
        return ""
    return f'<c r="{col}{row}" s="\x01{style}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


#: how much of the streamed rows is read at a time
SPLICE_BLOCK = 1 << 22


def _splice(src: Path, dst: Path, sheet: str, rows_path: Path, marks: dict[bytes, bytes], n_rows: int) -> None:
    """Put the streamed rows into ``sheet`` of the workbook ``src`` (ours, written by XlsxWriter),
    writing ``dst``. The sheet's part is found through the package's relationships; the rows go
    before its ``</sheetData>`` (XlsxWriter escapes every '<' in text, so that tag is the element's
    end). Every other part is copied as it is compressed."""
    source = src.read_bytes()
    wb = Workbook(Package(source, Limits()))
    part = wb.sheet_parts()[sheet]
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


# --- 总览 ---------------------------------------------------------------------------------------


def _overview(w: _Writer, sw: SummaryWriter) -> None:
    rules, scored, failed = sw.rules, sw.units, sw.failed
    ws = w.sheet("总览", [24, 12, 12, 36, 3, 12], header_rows=0)
    ws.fit_to_pages(1, 1)
    f = w.f
    ws.write_string(0, 0, "部门整体支出绩效自评 审核汇总", f["title"])
    ws.write_string(1, 0, f"评分细则版本 {rules.version}；核定得分按评分细则重新计算，不采用单位自填的数字。", f["note"])
    errors = sw.with_errors
    row = 3
    ws.write_string(row, 0, "一、文件", f["h2"])
    row += 1
    totals = [r["total"] for r in scored]
    selfs = [r["self_total"] for r in scored if r["self_total"] is not None]
    counts = [("提交文件", sw.submitted), ("成功审核", len(scored)), ("处理失败", len(failed)),
              ("有错误的文件", errors), ("无错误的文件", len(scored) - errors)]
    for label, n in counts:
        ws.write_string(row, 0, label, f["label"])
        ws.write_number(row, 1, n, f["int"])
        row += 1
    for label, values in (("平均核定总分", totals), ("平均自评总分", selfs)):
        ws.write_string(row, 0, label, f["label"])
        w.number(ws, row, 1, round(sum(values) / len(values), 2) if values else None, "score")
        row += 1

    row += 1
    ws.write_string(row, 0, "二、核定等级分布", f["h2"])
    row += 1
    w.header(ws, row, ["等级", "单位数", "占比"])
    grade_first = row + 1
    grades = Counter(r["grade"] for r in scored)
    for g in [x.grade for x in rules.grades]:
        row += 1
        ws.write_string(row, 0, g, f["label"])
        ws.write_number(row, 1, grades.get(g, 0), f["int"])
        ws.write_number(row, 2, grades.get(g, 0) / len(scored) if scored else 0, f["pct"])
    grade_last = row
    chart = w.wb.add_chart({"type": "column"})
    chart.add_series({"name": "单位数", "categories": ["总览", grade_first, 0, grade_last, 0],
                      "values": ["总览", grade_first, 1, grade_last, 1], "data_labels": {"value": True},
                      "fill": {"color": "#4472C4"}})
    chart.set_title({"name": "各等级单位数", "name_font": {"name": "黑体", "size": 11}})
    chart.set_legend({"none": True})
    chart.set_x_axis({"num_font": {"name": "宋体"}})
    chart.set_y_axis({"major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}, "min": 0,
                      "major_unit": _count_step(max(grades.values(), default=0)), "num_format": "0"})
    chart.set_size({"width": 420, "height": 240})
    ws.insert_chart(3, 5, chart, {"x_offset": 10})

    row += 2
    ws.write_string(row, 0, "三、核定总分分布", f["h2"])
    row += 1
    w.header(ws, row, ["分数段", "单位数", "占比"])
    bin_first = row + 1
    bins = score_bins(rules)
    for lo, hi, label in bins:
        row += 1
        n = sum(lo <= t < hi for t in totals)
        ws.write_string(row, 0, label, f["label"])
        ws.write_number(row, 1, n, f["int"])
        ws.write_number(row, 2, n / len(totals) if totals else 0, f["pct"])
    bin_last = row
    chart = w.wb.add_chart({"type": "column"})
    chart.add_series({"name": "单位数", "categories": ["总览", bin_first, 0, bin_last, 0],
                      "values": ["总览", bin_first, 1, bin_last, 1], "data_labels": {"value": True},
                      "fill": {"color": "#70AD47"}, "gap": 30})
    chart.set_title({"name": "各分数段单位数", "name_font": {"name": "黑体", "size": 11}})
    chart.set_legend({"none": True})
    chart.set_y_axis({"major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}, "min": 0,
                      "major_unit": _count_step(max((sum(lo <= t < hi for t in totals) for lo, hi, _ in bins), default=0))})
    chart.set_size({"width": 420, "height": 240})
    ws.insert_chart(17, 5, chart, {"x_offset": 10})

    row += 2
    ws.write_string(row, 0, "四、预算合计（万元）", f["h2"])
    row += 1
    sums = {k: sum(r["budget"].get(k) or 0.0 for r in scored) for k in BUDGET_KEYS}
    for k in BUDGET_KEYS:
        ws.write_string(row, 0, k, f["label"])
        ws.write_number(row, 1, round(sums[k], 2), f["money"])
        row += 1
    ws.write_string(row, 0, "总体预算执行率", f["label"])
    w.number(ws, row, 1, sums["预算执行数"] / sums["调整预算数"] if sums["调整预算数"] else None, "pct")
    row += 2

    ws.write_string(row, 0, "五、最常见的问题", f["h2"])
    row += 1
    w.header(ws, row, ["代码", "出现次数", "涉及文件数", "问题"])
    code_count, code_files = sw.code_count, sw.code_files
    for code, n in sorted(code_count.items(), key=lambda kv: (-kv[1], kv[0]))[:10]:
        row += 1
        ws.write_string(row, 0, code, f["text"])
        ws.write_number(row, 1, n, f["int"])
        ws.write_number(row, 2, code_files[code], f["int"])
        ws.write_string(row, 3, f"{CODES[code][0]}：{CODES[code][1]}", f["text"])
    ws.activate()


# --- 单位得分 -----------------------------------------------------------------------------------


def _units(w: _Writer, scored: list[dict[str, Any]]) -> None:
    ws = w.sheet("单位得分", [14, 30, 24, 9, 9, 9, 8, 8, 8, 7, 7, 44], key_columns=2)
    w.header(ws, 0, UNIT_COLUMNS)
    native_links = len(scored) <= 65000
    for i, r in enumerate(scored, start=1):
        w.text(ws, i, 0, r["unit_code"])
        w.text(ws, i, 1, r["unit_name"])
        w.text(ws, i, 2, r["competent_dept"])
        w.number(ws, i, 3, r["year"], "int")
        w.number(ws, i, 4, r["self_total"], "score")
        w.number(ws, i, 5, r["total"], "score")
        diff = round(r["total"] - r["self_total"], 2) if r["self_total"] is not None else None
        w.number(ws, i, 6, diff, "score")
        w.text(ws, i, 7, r["self_grade"])
        w.text(ws, i, 8, r["grade"])
        ws.write_number(i, 9, r["errors"], w.f["int"])
        ws.write_number(i, 10, r["warnings"], w.f["int"])
        if r["copy"] and native_links:
            ws.write_url(i, 11, "external:" + r["copy"], w.f["link"], string=clean_text(r["file"]), tip="打开审核副本")
        elif r["copy"]:
            ws.write_formula(i, 11, _hyperlink(r["copy"], clean_text(r["file"])), w.f["link"], clean_text(r["file"]))
        else:
            w.text(ws, i, 11, r["file"])
    last = max(len(scored), 1)
    ws.autofilter(0, 0, last, len(UNIT_COLUMNS) - 1)
    ws.freeze_panes(1, 2)
    ws.conditional_format(1, 6, last, 6, {"type": "cell", "criteria": "<", "value": -0.005, "format": w.neg_fmt})
    for col in (7, 8):
        for g, fmt in w.grade_fmt.items():
            ws.conditional_format(1, col, last, col, {"type": "cell", "criteria": "==", "value": f'"{g}"', "format": fmt})
    ws.conditional_format(1, 9, last, 9, {"type": "cell", "criteria": ">", "value": 0, "format": w.level_fmt[ERROR]})
    ws.repeat_rows(0)


# --- 问题清单 -----------------------------------------------------------------------------------


def _findings_sheet(w: _Writer, n: int) -> dict[str, Any]:
    """问题清单 without its rows (they are spliced in): header, widths, filter, colours. Returns the
    formats the streamed rows use, by their placeholder."""
    ws = w.sheet("问题清单", [30, 14, 26, 6, 7, 10, 9, 62, 16, 16], key_columns=3)
    w.header(ws, 0, FINDING_COLUMNS)
    last = max(n, 1)
    ws.autofilter(0, 0, last, len(FINDING_COLUMNS) - 1)
    ws.freeze_panes(1, 0)
    for lvl, fmt in w.level_fmt.items():
        ws.conditional_format(1, 3, last, 3, {"type": "cell", "criteria": "==", "value": f'"{lvl}"', "format": fmt})
    ws.repeat_rows(0)
    # the formats must be in use for XlsxWriter to write them: one hidden cell each, beside the table
    for j, key in enumerate(("text", "link", "wrap")):
        ws.write_blank(0, len(FINDING_COLUMNS) + 2 + j, None, w.f[key])
    return {"T": w.f["text"], "L": w.f["link"], "W": w.f["wrap"]}


# --- 指标明细 -----------------------------------------------------------------------------------


def _indicators(w: _Writer, scored: list[dict[str, Any]], rules: Rules) -> None:
    common = [i for i in rules.indicators]
    cats = [c for c in rules.categories]
    headers = ["单位编码", "部门(单位)名称", "主管部门"] + [f"{i.name}（{_fmt(i.weight)}分）" for i in common] + \
              [f"{c.name}（{_fmt(c.weight)}分）" for c in cats] + ["核定总分"]
    ws = w.sheet("指标明细", [14, 26, 20] + [11] * (len(common) + len(cats) + 1), key_columns=2)
    w.header(ws, 0, headers)
    ws.set_row(0, 54)
    names = [i.name for i in common]
    for n, r in enumerate(scored, start=1):
        w.text(ws, n, 0, r["unit_code"])
        w.text(ws, n, 1, r["unit_name"])
        w.text(ws, n, 2, r["competent_dept"])
        for j, score in enumerate(r["scores"]):
            w.number(ws, n, 3 + j, score, "score")
        for j, c in enumerate(cats):
            w.number(ws, n, 3 + len(names) + j, r["categories"].get(c.name), "score")
        w.number(ws, n, 3 + len(names) + len(cats), r["total"], "score")
    last = max(len(scored), 1)
    for col in range(3, len(headers)):
        ws.conditional_format(1, col, last, col, {"type": "3_color_scale", "min_color": "#F8696B",
                                                  "mid_color": "#FFEB84", "max_color": "#FFFFFF"})
    ws.autofilter(0, 0, last, len(headers) - 1)
    ws.freeze_panes(1, 2)


def _count_step(largest: int) -> int:
    """A whole-number axis step for counts (no 0.5 units)."""
    return max(1, -(-largest // 5))


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


# --- 预算汇总 -----------------------------------------------------------------------------------

_BUDGET_UNIT_COLS = ("单位编码", "部门(单位)名称", "主管部门", "年初预算数", "调整预算数", "预算执行数",
                     "预算执行率", "预算调整率", "结转结余率")
_BUDGET_GROUP_COLS = ("主管部门", "单位数", "年初预算数", "调整预算数", "预算执行数", "预算执行率", "预算调整率")


def _budget(w: _Writer, scored: list[dict[str, Any]]) -> None:
    ws = w.sheet("预算汇总", [14, 26, 22, 13, 13, 13, 10, 10, 10, 3, 24, 8, 13, 13, 13, 10, 10], header_rows=2, fit=True)
    ws.write_string(0, 0, "各单位（金额单位：万元）", w.f["h2"])
    w.header(ws, 1, _BUDGET_UNIT_COLS)
    groups: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for n, r in enumerate(scored, start=2):
        b, rates = r["budget"], r.get("rates", {})
        w.text(ws, n, 0, r["unit_code"])
        w.text(ws, n, 1, r["unit_name"])
        w.text(ws, n, 2, r["competent_dept"])
        for j, k in enumerate(BUDGET_KEYS):
            w.number(ws, n, 3 + j, b.get(k), "money")
        for j, k in enumerate(("预算执行率", "预算调整率", "结转结余率")):
            w.number(ws, n, 6 + j, rates.get(k), "pct")
        g = groups[r["competent_dept"] or "（未填写主管部门）"]
        g["单位数"] += 1
        for k in (*BUDGET_KEYS, "政策性调整剔除数"):
            g[k] += b.get(k) or 0.0
    last = max(len(scored) + 1, 2)
    ws.autofilter(1, 0, last, len(_BUDGET_UNIT_COLS) - 1)
    ws.freeze_panes(2, 0)
    col0 = len(_BUDGET_UNIT_COLS) + 1
    ws.write_string(0, col0, "按主管部门合计（比率按合计数计算）", w.f["h2"])
    for c, h in enumerate(_BUDGET_GROUP_COLS):
        ws.write_string(1, col0 + c, h, w.f["header"])
    for n, (dept, g) in enumerate(sorted(groups.items()), start=2):
        w.text(ws, n, col0, dept)
        ws.write_number(n, col0 + 1, g["单位数"], w.f["int"])
        for j, k in enumerate(BUDGET_KEYS):
            ws.write_number(n, col0 + 2 + j, round(g[k], 2), w.f["money"])
        w.number(ws, n, col0 + 5, g["预算执行数"] / g["调整预算数"] if g["调整预算数"] else None, "pct")
        adj = abs(g["调整预算数"] - g["年初预算数"] - g["政策性调整剔除数"]) / g["年初预算数"] if g["年初预算数"] else None
        w.number(ws, n, col0 + 6, adj, "pct")


# --- 处理失败 -----------------------------------------------------------------------------------


def _failed(w: _Writer, failed: list[dict[str, Any]]) -> None:
    ws = w.sheet("处理失败", [40, 7, 24, 90])
    w.header(ws, 0, FAILED_COLUMNS)
    for n, r in enumerate(failed, start=1):
        w.text(ws, n, 0, r["file"])
        ws.write_string(n, 1, r["code"] or "—", w.f["text"])
        ws.write_string(n, 2, CODES[r["code"]][1] if r["code"] else "内部错误", w.f["text"])
        w.text(ws, n, 3, r["message"], "wrap")
    if failed:
        ws.autofilter(0, 0, len(failed), len(FAILED_COLUMNS) - 1)
    else:
        ws.write_string(1, 0, "没有处理失败的文件。", w.f["note"])
    ws.freeze_panes(1, 0)
