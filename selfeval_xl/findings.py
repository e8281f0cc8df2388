"""Findings (审核发现): the codes of spec/findings.md and the record every check emits.

A finding is data: code, level, sheet, cell, a Chinese message that tells a clerk what is wrong
and what to do, and where it applies the expected and the actual value. Checks produce them;
writers (text report, JSON, scored copy, summary) render them. Nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CODES", "ERROR", "INFO", "LEVELS", "WARNING", "Finding", "finding"]

ERROR = "错误"
WARNING = "警告"
INFO = "提示"
#: levels, most severe first
LEVELS = (ERROR, WARNING, INFO)

#: code -> (level, short title). The codes of findings.md are the standard; V208 is this project's.
CODES: dict[str, tuple[str, str]] = {
    "F001": (ERROR, "空文件"),
    "F002": (ERROR, "不是 Excel 工作簿"),
    "F003": (ERROR, "文件已损坏"),
    "F004": (ERROR, "文件已加密"),
    "F005": (ERROR, "旧版 .xls/.et 格式"),
    "F006": (ERROR, "超出安全限制"),
    "F007": (ERROR, "不安全的 XML"),
    "F008": (ERROR, "处理超时"),
    "F009": (ERROR, "读取时程序崩溃"),
    "S101": (ERROR, "缺少工作表"),
    "S102": (ERROR, "缺少或改动了标题、标签"),
    "S103": (WARNING, "模板版本不符"),
    "S104": (ERROR, "共性指标缺失或被改动"),
    "V201": (ERROR, "必填项为空"),
    "V202": (ERROR, "不是数字"),
    "V203": (ERROR, "指标值无法识别"),
    "V204": (ERROR, "实际完成值无法识别"),
    "V205": (ERROR, "预算金额为负数"),
    "V206": (WARNING, "百分比填成了数字"),
    "V207": (ERROR, "单元格是 Excel 错误值"),
    "V208": (ERROR, "一级指标不符合规定（不在规定之列，或其下不能自设指标）"),
    "X301": (ERROR, "公式被数值覆盖"),
    "X302": (ERROR, "公式被改动"),
    "X303": (WARNING, "公式保存的结果与重算结果不一致"),
    "B401": (ERROR, "资金来源之和不等于年初预算数"),
    "B402": (ERROR, "资金结构之和不等于年初预算数"),
    "B403": (ERROR, "预算执行数大于调整预算数"),
    "B404": (ERROR, "比率的分母为 0"),
    "B405": (INFO, "比率分子分母均为 0，按规定计"),
    "P501": (ERROR, "类别分值之和不等于权重分值"),
    "P502": (WARNING, "得分低于分值但未说明原因"),
    "P503": (WARNING, "实际完成值远超指标值但未说明"),
    "P504": (ERROR, "自评得分超出范围"),
    "P505": (ERROR, "定性指标自评得分不在档次区间内"),
    "P506": (WARNING, "自评得分与核定得分不一致"),
    "P507": (WARNING, "自评总分或等级与核定不一致"),
    "P508": (WARNING, "预算执行率低于 90% 未说明原因"),
    "P509": (WARNING, "不适用指标未说明理由"),
    "P510": (INFO, "不适用指标不计分，总分已折算"),
}


#: what a department is told to do about a file that could not be read (F-codes)
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


def file_message(code: str, detail: str = "") -> str:
    """The message of an F-code: what is wrong (``detail``) and what to do."""
    advice = FILE_ADVICE[code]
    return f"{detail}。{advice}" if detail else advice


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    level: str
    sheet: str
    cell: str
    message: str
    expected: str = ""
    actual: str = ""

    @property
    def where(self) -> str:
        """'绩效指标!F12', '绩效指标', or '' for a file-level finding."""
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "level": self.level, "sheet": self.sheet, "cell": self.cell,
                "message": self.message, "expected": self.expected, "actual": self.actual}


def finding(code: str, message: str, sheet: str = "", cell: str = "", expected: object = "",
            actual: object = "") -> Finding:
    """A finding of ``code``, its level taken from the code table."""
    level = CODES[code][0]
    return Finding(code, level, sheet, cell, message, _text(expected), _text(actual))


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:g}" if abs(v) < 1e15 else repr(v)
    return str(v)
