"""Findings (审核发现): one registry of every code, and the record every check emits.

Each code is defined once (``define``): its level, a short title, when it fires, and the message
templates a clerk reads, with the fields each one fills. Checks call ``finding(code, variant,
sheet=..., cell=..., expected=..., actual=..., **fields)``; a missing or unknown field is a bug of
ours and raises. Writers (text report, JSON, scored copy, summary) render findings; nothing here
prints. ``reference()`` is docs/findings.md, generated from the registry.

The codes of spec/findings.md are the standard other systems key on; the codes this project added
are marked as such. ``expected`` is what the rules require at the finding's cell, ``actual`` what
the submission has there, in every code.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from selfeval_xl.core.sanitize import cut_text

__all__ = [
    "CODES",
    "ERROR",
    "FILE_ADVICE",
    "INFO",
    "LEVELS",
    "LEVEL_KEYS",
    "REGISTRY",
    "WARNING",
    "Code",
    "Finding",
    "file_finding",
    "file_message",
    "finding",
    "reference",
]

ERROR = "错误"
WARNING = "警告"
INFO = "提示"
#: levels, most severe first
LEVELS = (ERROR, WARNING, INFO)
#: the stable English key of each level (JSON ``level``; the Chinese label is ``level_label``)
LEVEL_KEYS = {ERROR: "error", WARNING: "warning", INFO: "info"}


@dataclass(frozen=True)
class Code:
    code: str
    level: str
    title: str
    when: str
    messages: dict[str, str]  # variant -> template ('' is the only or the usual one)
    ours: bool = False  # added by this project (not in spec/findings.md)
    #: its cell is one the template locks (a formula, a common row, 一级指标): the message says how to
    #: put it back; every other code points at a cell the clerk can type into
    restores: bool = False

    def fields(self, variant: str = "") -> list[str]:
        return sorted({f for _, f, _, _ in string.Formatter().parse(self.messages[variant]) if f})

    @property
    def group(self) -> str:
        return self.code[0]


REGISTRY: dict[str, Code] = {}


def define(code: str, level: str, title: str, when: str, ours: bool = False, restores: bool = False,
           **messages: str) -> None:
    """Register a code; a message variant named ``main`` is the default ('')."""
    assert code not in REGISTRY, code
    REGISTRY[code] = Code(code, level, title, when, {("" if k == "main" else k): v for k, v in messages.items()}, ours,
                          restores)


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    level: str  # 错误 / 警告 / 提示
    sheet: str
    cell: str
    message: str
    expected: str = ""
    actual: str = ""

    @property
    def level_key(self) -> str:
        return LEVEL_KEYS[self.level]

    @property
    def where(self) -> str:
        """'绩效指标!F12', '绩效指标', or '' for a file-level finding."""
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet

    def to_dict(self) -> dict[str, str]:
        """The JSON object of a finding; a text quoted from the submission makes it no longer than a
        cell holds (``safe.cut_text``: a 3-million-character 实际完成值 is not copied whole)."""
        return {"code": self.code, "level": self.level_key, "level_label": self.level, "sheet": self.sheet,
                "cell": self.cell, "message": cut_text(self.message), "expected": cut_text(self.expected),
                "actual": cut_text(self.actual)}

    @classmethod
    def of(cls, d: dict[str, str]) -> Finding:
        """A finding back from its ``to_dict``."""
        return cls(d["code"], d["level_label"], d["sheet"], d["cell"], d["message"], d.get("expected", ""),
                   d.get("actual", ""))


def finding(code: str, variant: str = "", *, sheet: str = "", cell: str = "", expected: object = "",
            actual: object = "", **fields: Any) -> Finding:
    """A finding of ``code``: its message is the variant's template filled with ``fields``; the
    fields ``{sheet}``, ``{cell}``, ``{expected}`` and ``{actual}`` of a template are the finding's
    own (so a message never says other than its columns)."""
    c = REGISTRY[code]
    template = c.messages[variant]
    want = set(c.fields(variant)) - _LOCATION
    if want != set(fields):
        raise TypeError(f"{code}{'/' + variant if variant else ''}: fields {sorted(fields)} != {sorted(want)}")
    exp, act = _text(expected), _text(actual)
    message = template.format(sheet=sheet, cell=cell, expected=exp, actual=act,
                              **{k: _text(v) for k, v in fields.items()})
    return Finding(code, c.level, sheet, cell, message, exp, act)


_LOCATION = {"sheet", "cell", "expected", "actual"}


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:g}" if abs(v) < 1e15 else repr(v)
    return str(v)


# ---------------------------------------------------------------------------------------------
# File (the workbook could not be read as a submission at all)

#: what a department is told to do about a file that could not be read
FILE_ADVICE = {
    "F001": "文件是空的（0 字节）。请重新保存申报表后再提交。",
    "F002": "不是 Excel 工作簿。请用 Excel 或 WPS 打开申报表，另存为 .xlsx 格式后再提交。",
    "F003": "文件已损坏，无法打开。请重新保存或从原始文件重新导出后再提交。",
    "F004": "文件已加密（设有打开密码）。请取消密码保护后重新提交。",
    "F005": "这是旧版 .xls（或 WPS .et）格式。请用 Excel 或 WPS 另存为 .xlsx 格式后再提交。",
    "F006": "文件超出了安全限制（大小、部件数量、压缩比或单元格数量）。请只保留申报表的内容，另存为新的 .xlsx 后再提交。",
    "F007": "文件含有不安全的 XML 内容（实体定义或外部引用），已拒绝读取。请用 Excel 或 WPS 另存为新的 .xlsx 后再提交。",
    "F008": "处理时间超过了限制。请检查文件是否含有大量无关数据，另存为新的 .xlsx 后再提交。",
    "F009": "读取该文件时程序意外退出（其余文件不受影响）。请另存为新的 .xlsx 后再提交，如仍有问题请联系财政部门。",
}
_FILE = {
    "F001": ("空文件", "empty file (0 bytes)"),
    "F002": ("不是 Excel 工作簿", "not an Excel workbook (unknown format, or a zip that is no xlsx, e.g. a renamed .docx/.ods)"),
    "F003": ("文件已损坏", "damaged file (truncated or corrupt zip, a part that is not well-formed XML)"),
    "F004": ("文件已加密", "encrypted / password-protected workbook, or an encrypted zip entry"),
    "F005": ("旧版 .xls/.et 格式", "legacy .xls (or .et) workbook: ask for it to be saved as .xlsx"),
    "F006": ("超出安全限制", "over the safety limits (size, zip entries, expansion ratio, cells)"),
    "F007": ("不安全的 XML", "unsafe XML: a part declares a DTD (entity expansion, external entities)"),
    "F008": ("处理超时", "took longer than the per-file time limit (batch)"),
    "F009": ("读取时程序崩溃", "the worker reading it died or ran out of memory (batch; the rest goes on)"),
}
for _code, (_title, _when) in _FILE.items():
    define(_code, ERROR, _title, _when, main="{detail}" + FILE_ADVICE[_code], bare=FILE_ADVICE[_code])


def file_message(code: str, detail: str = "") -> str:
    """The message of an F-code: what is wrong (``detail``) and what to do."""
    return f"{detail}。{FILE_ADVICE[code]}" if detail else FILE_ADVICE[code]


def file_finding(code: str, detail: str = "") -> Finding:
    return finding(code, detail=detail + "。") if detail else finding(code, "bare")


# ---------------------------------------------------------------------------------------------
# Structure

define("S101", ERROR, "缺少工作表", "a required sheet is missing (or none of the template's sheets is there)",
       main="缺少工作表“{sheet}”。请使用标准模板填报，不要删除或重命名工作表。",
       renamed="缺少工作表“{sheet}”，但有一个名为“{found}”的工作表看起来就是它。请把“{found}”改回“{sheet}”（右键工作表标签，选择“重命名”）。",
       none="这不是部门整体支出绩效自评申报表：找不到标准工作表（{sheets}）。请使用标准模板（申报表模板.xlsx）填报后再提交。")
define("S102", ERROR, "缺少或改动了标题、标签", "a required header or label is missing or renamed",
       header="工作表“{sheet}”找不到表头“{headers}”。请不要修改或删除模板的表头，可从空白模板复制表头行。",
       label="工作表“{sheet}”找不到“{label}”一行。请不要修改或删除模板的标签，可从空白模板复制该行。",
       added="工作表“{sheet}”没有“{label}”一行：这是本年度评分细则（版本 {rules_version}）新增的事项，"
             "本表所用的往期模板（版本 {version}）还没有这一行，审核暂按{default}计。请先在“审阅”菜单取消工作表保护"
             "（没有密码），在基本信息表格下方的空行 A 列写“{label}”、B 列填写{answer}，再重新保护工作表；"
             "或改用财政部门下发的新模板填报。")
define("S103", WARNING, "模板版本不符", "模板版本 missing or not the version the rules expect; without --rules: "
       "a version no bundled rule set writes (the workbook is checked by the set its sheets fit best); a version "
       "of the set's earlier templates (previous_versions) is said to be fine to score",
       previous="本表是往期模板（版本 {version}），已按本年度“{name}”评分细则（版本 {expected}）审核和评分，"
                "不必为此重新填报。往期模板自带的“填报自查”与本审核可能不一致，请以本审核结果为准；"
                "下次填报请使用财政部门下发的新模板。",
       main="模板版本为“{version}”，本年度评分细则要求的版本为“{expected}”。请使用财政部门本年度下发的模板填报；内容已按本年度规则审核。",
       empty="模板版本为空，本年度评分细则要求的版本为“{expected}”。请使用财政部门本年度下发的模板填报；内容已按本年度规则审核。",
       unknown="模板版本“{version}”不是本工具内置评分细则的版本（内置：{known}），可能是往年的模板或财政部门自定的细则；"
               "已按结构最接近的“{name}”细则（版本 {expected}）审核。请使用财政部门本年度下发的模板填报；"
               "财政部门另有评分细则文件的，审核时用 --rules 指定该文件。",
       unknown_empty="模板版本为空，无法确定评分细则（内置：{known}）；已按结构最接近的“{name}”细则（版本 {expected}）审核。"
                     "请使用财政部门本年度下发的模板填报；财政部门另有评分细则文件的，审核时用 --rules 指定该文件。")
define("S104", ERROR, "共性指标缺失或被改动", "a common indicator row (scori"
       "ng.md, table 1) is missing, renamed, or its 分值/指标值 changed", restores=True,
       missing="缺少共性指标“{name}”（{level1} / {level2}），"
               "或其名称被改动。请从空白模板复制该行；共性指标的名称、分值和指标值不能修改；该指标计 0 分。",
       changed="共性指标“{name}”的{header}被改为“{actual}”，应为“{expected}”。请改回“{expected}”（或从空白模板复制该行）；审核按规定的值计分。")

define("S105", ERROR, "标准工作表被隐藏", "a standard sheet is hidden or very hidden (this project's code)", ours=True,
       main="工作表“{sheet}”被隐藏了，审核照常读取并评分其中的内容。请右键任一工作表标签，选择“取消隐藏”，"
            "取消隐藏“{sheet}”后保存再提交。",
       very="工作表“{sheet}”被设为“深度隐藏”（在“取消隐藏”中也看不到），审核照常读取并评分其中的内容。"
            "请把各表内容复制到财政部门下发的空白模板中重新填报，不要隐藏工作表。")
define("S106", WARNING, "绩效指标有隐藏的行或列", "indicator rows, or columns of the indicator table, are hidden or of zero "
       "height or width (this project's code)", ours=True,
       main="绩效指标的{what}被隐藏（或行高、列宽为 0），审核照常读取并评分其中的内容。请选中隐藏处两侧的{unit}，"
            "右键选择“取消隐藏”后保存再提交。")

# ---------------------------------------------------------------------------------------------
# Values

define("V201", ERROR, "必填项为空", "a required field is empty (基本信息 *, the rule set's 加分、扣分 and 一票否决 rows of "
       "基本信息, a 预算情况 input, 实际完成值, 分值, 三级指标)",
       basic="“{label}”未填写。请在基本信息 {cell} 填写。",
       budget="“{label}”未填写。请在预算情况 {cell} 填写{what}（单位：{unit}），没有的填 0。",
       name="绩效指标第 {row} 行的三级指标（指标名称）未填写。请在 {cell} 填写指标名称。",
       weight="{where}的分值未填写。请在 {cell} 填写分值，{level1}各行分值之和应等于 {weight} 分。",
       actual="{where}的实际完成值未填写。请在 {cell} 填写实际完成情况（确实不适用的填“{na}”并说明理由）；该指标暂计 0 分。")
define("V202", ERROR, "不是数字", "not a number where a number is needed",
       year="评价年度“{value}”不是 4 位年份。请在 {cell} 填写如 2021 的年份。",
       budget="“{label}”应填写数字（单位：{unit}），现为“{value}”。请在预算情况 {cell} 只填写数字，不要带单位或文字。",
       weight="{where}的分值“{value}”不是不小于 0 的数字。请在 {cell} 填写分值。",
       self_score="{where}的自评得分“{value}”不是数字。请在 {cell} 填写 0 到分值之间的数字。",
       count="“{label}”应填写次数（0 或正整数），现为“{value}”。请在基本信息 {cell} 改正（没有发生填 0）；改正前按 0 次计。",
       yes_no="“{label}”应填写“是”或“否”，现为“{value}”。请在基本信息 {cell} 从下拉列表选择；改正前按“否”计。")
define("V203", ERROR, "指标值无法识别", "指标值 cannot be read (neither a quantitative target, a time limit nor a qualitative word)",
       empty="{where}的指标值未填写。请在 {cell} 填写：数量指标写成 ≥90%、≤5%、=100%、≥50个 等形式，时效指标写完成时限"
             "（如 9月底前、年底前），定性指标写一个词（如 达标、提升）。",
       main="{where}的指标值“{value}”无法识别。请在 {cell} 改为 ≥90%、≤5%、=100%、≥50个 等形式，时效指标写完成时限"
            "（如 9月底前、年底前），定性指标写一个词（如 达标、提升）。")
define("V204", ERROR, "实际完成值无法识别", "实际完成值 cannot be read for its target",
       main="{where}：{problem}。请在 {cell} 改正；改正前该指标计 0 分。",
       no_value="{where}的实际完成值是公式，但文件中没有保存计算结果。请在 Excel 或 WPS 中打开并保存文件，或在 {cell} 直接填写数值。")
define("V205", ERROR, "预算金额为负数", "a negative amount in 预算情况",
       main="“{label}”为负数 {value}。预算金额和个数不能为负，请在预算情况 {cell} 改正。")
define("V206", WARNING, "百分比填成了数字", "a percentage typed as a plain number (95 for 95%): read as a percentage",
       main="{where}的实际完成值填为 {value}，指标值是百分比，已按 {percent} 读取。请在 {cell} 改为 {percent}（带 % 号）以免误读。")
define("V207", ERROR, "单元格是 Excel 错误值", "an Excel error value (#DIV/0!, #REF!, #VALUE!, #N/A, …) in a cell the rules read",
       main="{what}的单元格 {cell} 显示错误值 {error}，无法读取。请改为正确的数值或文字。")
define("V208", ERROR, "一级指标不符合规定", "a row outside the blocks the rules allow own rows in (this project's code)", ours=True,
       restores=True,
       level1="{where}的一级指标“{level1}”不是规定的一级指标（{allowed}）。请改为其中之一；该行暂不计分。",
       fixed="{where}不是{level1}的统一指标。"
             "{level1}只能使用模板中的共性指标，不能自设、改名或复制；请删除第 {row} 行，或从空白模板恢复原有的行。该行不计分。",
       block="{where}在“{block}”块内，一级指标却填为“{level1}”。请把一级指标改为“{block}”，或把这一行移到“{level1}”块内；审核按所在的块计分。")

define("V209", WARNING, "同一指标出现在两个类别", "the same 三级指标 under two 一级指标 (e.g. both 产出 and 效益) (this project's code)",
       ours=True,
       main="“{name}”同时出现在{first}（第 {first_row} 行）和{second}（第 {row} 行），同一指标不能在两类中重复计分。"
            "请删除其中一行，或在 {cell} 改为另一个指标。")
define("V210", WARNING, "成本指标的方向可能写反", "a 成本 indicator whose 指标值 reads \"at least\" (≥) (this project's code)",
       ours=True,
       main="“{name}”是成本指标，指标值却写成“{target}”（越高越好）。成本指标一般应写“≤”（不超过），"
            "请在 {cell} 核对；确实要求不低于的，请在指标说明中写明理由。")
define("V211", WARNING, "单位编码或主管部门的写法不规范", "a 单位编码 typed with full-width characters, spaces, invisible "
       "characters (zero-width space, byte-order mark, soft hyphen, no-break space, …) or lower-case letters: read in its "
       "normal form, the form every match of units uses; a 主管部门 with invisible characters, spaces or full-width letters "
       "or digits: grouped with the same name typed plainly (this project's code)", ours=True,
       main="单位编码“{typed}”含{what}，按“{normal}”处理。请在 {cell} 改为“{normal}”"
            "（半角数字和字母，不含空格或不可见字符），以免同一单位被当作两个单位。",
       dept="主管部门“{typed}”含{what}，按“{normal}”与同一主管部门的其他单位合并汇总。请在 {cell} 改为“{normal}”"
            "（不含空格或不可见字符，字母和数字用半角），以免同一主管部门被分成两组。")

# ---------------------------------------------------------------------------------------------
# Formulas

define("X301", ERROR, "公式被数值覆盖", "a template formula was overwritten with a typed value", restores=True,
       main="{what}应为自动计算的公式，现被直接填写为“{value}”。请恢复公式：先在“审阅”菜单取消工作表保护（没有密码），"
            "选中“{sheet}”的 {cell}，输入公式 {formula} ，再重新保护工作表。审核按公式重新计算。")
define("X302", ERROR, "公式被改动", "a template formula was changed to another formula", restores=True,
       main="{what}的公式被改为 {changed}。请恢复公式：先在“审阅”菜单取消工作表保护（没有密码），选中“{sheet}”的 {cell}，"
            "输入公式 {formula} ，再重新保护工作表。审核按模板公式重新计算。")
define("X303", WARNING, "公式保存的结果与重算结果不一致", "the value saved for a formula differs from the value recomputed from its inputs",
       restores=True,
       main="{what}保存的结果为 {saved}，按公式重算为 {recomputed}。"
            "审核使用重算结果；请在 Excel 或 WPS 中打开文件，按 F9 重算（或确认已自动重算）后保存再提交。")

# ---------------------------------------------------------------------------------------------
# Budget consistency

_PARTS_ALREADY_OVER = ("{parts}，已超过{label} {total}；{empty}未填写，但金额不能为负，无论填多少都不会相等。"
                       "请核对预算情况 {cell} 和各项金额。")
define("B401", ERROR, "资金来源之和不等于年初预算数", "财政性资金 + 其他资金 ≠ 年初预算数 (beyond 0.01 万元); "
       "also at once when the parts filled in already exceed it and another part is blank",
       main="{parts} = {sum}，不等于{label} {total}（相差 {difference} 万元）。请核对预算情况 {cell} 和各项金额。",
       partial=_PARTS_ALREADY_OVER)
define("B402", ERROR, "资金结构之和不等于年初预算数", "基本支出 + 项目支出 ≠ 年初预算数 (beyond 0.01 万元); "
       "also at once when the parts filled in already exceed it and another part is blank",
       main="{parts} = {sum}，不等于{label} {total}（相差 {difference} 万元）。请核对预算情况 {cell} 和各项金额。",
       partial=_PARTS_ALREADY_OVER)
define("B403", ERROR, "预算执行数大于调整预算数", "预算执行数 > 调整预算数",
       main="{left_label} {left} 大于{right_label} {right}。执行数不能超过调整后的预算，请核对预算情况 {cell} 和{right_label}。")
define("B404", ERROR, "比率的分母为 0", "a rate's denominator is 0 while its numerator is above 0",
       main="{rate}无法计算：{denominator} 为 0，而 {numerator} 为 {value}。请核对预算情况 {cell}；改正前该指标计 0 分。")
define("B405", INFO, "比率分子分母均为 0，按规定计", "a rate's denominator and numerator are both 0: counted as the rule file says",
       main="{rate}的分子（{numerator}）和分母（{denominator}）均为 0，按 {value} 计。")

# ---------------------------------------------------------------------------------------------
# Scores

define("P501", ERROR, "类别分值之和不等于权重分值", "the 分值 of a category's rows do not add up to its weight",
       main="{category}各行分值之和为 {sum}，应等于权重分值 {weight}。"
            "请调整{level1}各行的分值（从 {cell} 起）；改正前该类别按 {weight} 分折算。",
       level2="{category}中二级指标“{level2}”各行分值之和为 {sum}，应等于其权重 {weight}。请调整这些行的分值（从 {cell} 起）。",
       level2_none="{category}中没有二级指标为“{level2}”的指标行，其权重为 {weight} 分。请从 {cell} 起的空行填写这一二级指标的指标，"
                   "分值之和为 {weight}。",
       level2_name="“{name}”的二级指标“{level2}”不是{category}规定的二级指标（{allowed}）。请在 {cell} 改为其中之一。")
define("P502", WARNING, "得分低于分值但未说明原因", "核定得分 below 分值 and no 偏差原因分析及改进措施",
       main="“{name}”核定得分 {verified}，低于分值 {weight}。请在 {cell}（偏差原因分析及改进措施）写明未得满分的原因和改进措施。",
       qualitative="“{name}”自评得分 {self_score}，低于分值 {weight}（{tier}档可得 {band}）。自评得分低于满分时，请在 {cell} 写明原因；"
                   "若已完全达成，可填满分 {weight}。")
define("P503", WARNING, "实际完成值远超指标值但未说明", "actual at least the rules' multiple (130% by default) of a positive "
       "target and no explanation",
       main="“{name}”实际完成值 {value} 为指标值 {target} 的 {ratio}，{beyond} {limit}。请在 {cell} 说明原因（指标值是否定得过低）。",
       deduct="“{name}”实际完成值 {value} 为指标值 {target} 的 {ratio}，{beyond} {limit}，未说明原因，按规定扣 {points} 分。"
              "请在 {cell} 说明原因（指标值是否定得过低）。")
define("P504", ERROR, "自评得分超出范围", "自评得分 above 分值 or below 0",
       main="“{name}”的自评得分 {self_score} 超出 0 到分值 {weight} 的范围。请在 {cell} 改为 0 到 {weight} 之间的分数。")
define("P505", ERROR, "定性指标自评得分不在档次区间内", "a qualitative 自评得分 outside its tier's band",
       main="“{name}”实际完成值“{value}”属{tier}，该档得分区间为 {band}，自评得分 {self_score} 不在区间内，核定为 {verified}。"
            "请在 {cell} 按档次填写自评得分。")
define("P506", WARNING, "自评得分与核定得分不一致", "自评得分 differs from 核定得分",
       main="“{name}”自评得分 {self_score}，核定得分 {verified}（{why}）。请核对后在 {cell} 修改自评得分。")
define("P507", WARNING, "自评总分或等级与核定不一致", "self-assessed total or grade di"
       "ffers from the 核定 total or grade (file-level: the rows are named)",
       total="自评总分 {self_total}，核定总分 {total}，"
             "相差 {difference} 分。自评得分与核定得分不同的指标：{rows}。请逐项核对后修改这些行的自评得分。",
       grade="自评等级“{self_grade}”，核定等级“{grade}”（核定总分 {total}）。等级由总分决定，请先按核定得分修改各行自评得分。")
define("P508", WARNING, "预算执行率低于 90% 未说明原因", "预算执行率 below its threshold and no reason given",
       main="预算执行率为 {rate}（低于 {threshold}）。请在 {cell}（偏差原因分析及改进措施）说明原因和改进措施。")
define("P509", WARNING, "不适用指标未说明理由", "a row marked 不适用 with no reason",
       main="“{name}”标为{na}，但没有说明理由。请在 {cell} 说明为什么不适用。")
define("P510", INFO, "不适用指标不计分，总分已折算", "a row marked 不适用 was left out and the total rescaled",
       main="“{name}”标为{na}，不计分；其分值 {weight} 不计入总分基数，总分按适用指标折算为百分制。")
define("P511", WARNING, "自评得分未填写", "a scored row whose 自评得分 is empty (this project's code)", ours=True,
       main="“{name}”的自评得分未填写。请在 {cell} 填写自评得分（0 到 {weight} 分）；审核核定为 {verified}。")
define("P512", INFO, "总分按比率封顶", "the rules cap the total by a rate (e.g. 预算执行率) and the cap applied (this project's code)",
       ours=True,
       main="{rate_label}为 {rate}，低于 {below}，按规定总分最高 {cap} 分；封顶前总分 {before} 分，总分核定为 {total} 分。")
define("P513", INFO, "一票否决事项", "the department declared a 一票否决 item of the rules (基本信息: 是): the total capped or the grade "
       "fixed as the rules say (this project's code)", ours=True,
       main="“{item}”填为“是”：按规定{effect}。封顶前总分 {before} 分，总分核定为 {total} 分，等级为{grade}。")
define("P514", INFO, "加分、扣分", "加分项 or 扣分项 of the rules declared on 基本信息, added to the total within their ceiling "
       "and floor (this project's code)", ours=True,
       main="{items}：{result}。各类别核定得分合计 {before} 分，加减后为 {after} 分（总分在 0 到 100 之间）。")

# ---------------------------------------------------------------------------------------------
# Across submissions (C602 is found in one file; the others by a batch, across its files)

define("C601", WARNING, "文字与其他单位雷同", "a text of 30 characters or more (履职目标, 主要任务, 偏差原因分析及改进措施, "
       "问题与改进) the same as, or nearly the same as, another unit's in the same batch",
       main="这段文字与{others}相同或几乎相同（相似度 {similarity}）。请核实是否照抄了其他单位的材料，按本单位的实际情况在 {cell} 重写。")
define("C602", INFO, "全部指标自评满分", "every indicator self-scored at full marks",
       main="全部 {rows} 项指标自评均为满分。请对照实际完成情况逐项如实自评；未达到指标值或工作有欠缺的，应如实扣分并说明原因。")
define("C603", WARNING, "指标值比上年降低", "a target (指标值) of the same indicator lower than the same unit's previous "
       "year, when that year's results are given (batch --previous)",
       main="“{name}”的指标值“{target}”比上年（{previous_year}）的“{previous}”要求低。请在 {cell} 说明降低的原因，"
            "或按不低于上年的要求设定。")

define("C604", INFO, "文字过多，部分未与其他单位比较", "the texts C601 compares hold more than across.MAX_FILE_CHARS "
       "characters (distinct texts): those after the limit are not compared with other units'",
       main="本文件各表填写的文字（不计重复）超过 {limit} 字，从 {cell} 起的 {count} 段文字没有与其他单位的材料比较雷同。"
            "请精简后重新报送，或由审核人员人工核对。")

#: code -> (level, title), for the places that only need those
CODES: dict[str, tuple[str, str]] = {c.code: (c.level, c.title) for c in REGISTRY.values()}


# ---------------------------------------------------------------------------------------------
# The reference (docs/findings.md)

_GROUPS = {"F": "File: the workbook could not be read as a submission", "S": "Structure", "V": "Values",
           "X": "Formulas", "B": "Budget consistency", "P": "Scores", "C": "Across submissions (batch)"}


def reference() -> str:
    """docs/findings.md: every code, generated from the registry (tests/test_findings.py keeps it in step)."""
    lines = ["# Finding codes (审核发现)", "",
             "Generated from `selfeval_xl/core/findings.py` (`python scripts/make_docs.py`); do not edit by hand.", "",
             "Every finding has a stable `code`, a `level` (`error`, `warning`, `info`; `level_label` is the "
             "Chinese 错误 / 警告 / 提示), the `sheet` and `cell` it points at (empty for a file-level finding), "
             "a Chinese `message` that says what to do and where, and where it applies `expected` (what the rules "
             "require at that cell) and `actual` (what the submission has there). A submission with any error is "
             "not accepted as filled. Codes marked † are this project's additions to spec/findings.md. Every code "
             "points at a cell the clerk can type into, except those marked ‡: their cell is one the template locks "
             "(a formula, a common row, 一级指标), and the message says how to put it back.", ""]
    for group, title in _GROUPS.items():
        codes = [c for c in REGISTRY.values() if c.group == group]
        if not codes:
            continue
        lines += [f"## {title}", "", "| code | level | title | when |", "|---|---|---|---|"]
        for c in codes:
            marks = (" †" if c.ours else "") + (" ‡" if c.restores else "")
            lines.append(f"| {c.code}{marks} | {LEVEL_KEYS[c.level]} ({c.level}) | {c.title} | {c.when} |")
        lines.append("")
        for c in codes:
            if group == "F":
                continue
            lines.append(f"### {c.code} {c.title}")
            lines.append("")
            for variant, template in c.messages.items():
                fields = ", ".join(f"`{f}`" for f in c.fields(variant)) or "none"
                lines.append(f"- {('`' + variant + '`') if variant else 'message'}: {template}  ")
                lines.append(f"  fields: {fields}")
            lines.append("")
    lines += ["File findings say what is wrong (the detail intake found) followed by what to do:", ""]
    lines += [f"- {code}: {advice}" for code, advice in FILE_ADVICE.items()]
    return "\n".join(lines) + "\n"
