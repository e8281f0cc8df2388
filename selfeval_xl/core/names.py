"""The names of spec/template.md: sheets, headers and labels other tools rely on.

They are spelled exactly as the standard writes them. Positions are not part of the standard:
see ``layout.py``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Sheets, in order
INSTRUCTIONS = "填报说明"
BASIC = "基本信息"
GOALS = "履职目标"
TASKS = "主要任务"
BUDGET = "预算情况"
INDICATORS = "绩效指标"
SUMMARY = "得分汇总"
PROBLEMS = "问题与改进"
SHEETS = (INSTRUCTIONS, BASIC, GOALS, TASKS, BUDGET, INDICATORS, SUMMARY, PROBLEMS)
#: the sheet the scored copy adds
RESULTS = "审核结果"

# 基本信息
BASIC_HEADERS = ("项目", "内容")


@dataclass(frozen=True, slots=True)
class Field:
    label: str
    attr: str
    required: bool = False


BASIC_FIELDS = (
    Field("部门(单位)名称", "unit_name", True),
    Field("单位编码", "unit_code", True),
    Field("主管部门", "competent_dept", True),
    Field("评价年度", "year", True),
    Field("填报人", "filler"),
    Field("联系电话", "phone"),
    Field("填报日期", "fill_date"),
    Field("模板版本", "template_version"),
)
TEMPLATE_VERSION = "模板版本"

GOALS_HEADERS = ("序号", "年度履职目标")
TASKS_HEADERS = ("序号", "任务名称", "主要内容", "完成情况")
BUDGET_HEADERS = ("项目", "数值", "说明")
PROBLEMS_HEADERS = ("主要问题", "原因分析", "改进措施")

# 绩效指标
LEVEL1 = "一级指标"
LEVEL2 = "二级指标"
NAME = "三级指标"
WEIGHT = "分值"
TARGET = "指标值"
ACTUAL = "实际完成值"
SELF_SCORE = "自评得分"
REASON = "偏差原因分析及改进措施"
NOTE = "指标说明"
VERIFIED = "核定得分"
OPINION = "审核意见"
INDICATOR_HEADERS = (LEVEL1, LEVEL2, NAME, WEIGHT, TARGET, ACTUAL, SELF_SCORE, REASON, NOTE, VERIFIED, OPINION)
#: the row under the indicator table (an addition of this project: live sums for the clerk)
TOTAL = "合计"
#: the last row of each 一级指标 block (an addition of this project: see layout.Block)
SUBTOTAL = "小计"

# 得分汇总
CATEGORY = "类别"
SUMMARY_HEADERS = ("类别", "权重分值", "自评得分", "自评得分率", "核定得分", "核定得分率")
SELF_GRADE = "自评等级"
VERIFIED_GRADE = "核定等级"

# 审核结果 (scored copy)
RESULT_HEADERS = ("级别", "代码", "工作表", "单元格", "说明", "期望值", "实际值")


# How labels and headers compare

_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": '"', "’": '"', "「": '"', "」": '"', "＂": '"'})
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=8192)
def _label_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPACES.sub("", text).rstrip("*:：")


def label_key(value: object) -> str:
    """A label or header as compared: full-width folded, quotes straightened, spaces and a
    trailing '*' or colon dropped ("部门（单位）名称*：" -> "部门(单位)名称")."""
    if value is None:
        return ""
    return _label_key(value if isinstance(value, str) else str(value))
