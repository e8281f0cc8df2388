"""Deadlines (时效指标) as real forms write them: the 指标值 that sets a time limit, and the
实际完成值 that says when the work was done.

A deadline is read as the last day it allows: "9月前", "9月底前" and "≤9月" all allow September
to its end (scoring.md), "9月30日前" the 30th, "三季度前" the end of September, "上半年" the end of
June, "年底前" the end of December, "2024年10月底前" the end of October 2024. A year left out is
the evaluation year. "按时完成", "及时", "按期拨付" set a deadline without a date: the actual then
says whether it was kept.

An actual is the period the work was done in: a date (typed, or a cell Excel keeps as a date), a
month ("7月", "7月底"; "7月前" too: a clerk copies the target's wording with her own month, so
"12月前" against "11月前" is December, late), a quarter, a half-year; or words: "按时完成", "已按时完成",
"提前完成" kept the deadline, "未按时完成", "延期完成" did not. Done within the deadline's last
day is on time; begun after it is late; a period that straddles it (a month against a day within
that month) cannot be judged, and the clerk is asked for the date.

Pure functions over text folded by ``targets.clean_text`` (full-width forms and spaces gone).
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
from dataclasses import dataclass

__all__ = ["DONE_WORDS", "LATE_WORDS", "Period", "deadline_of", "done_in", "is_deadline_word", "kept"]


@dataclass(frozen=True, slots=True)
class Period:
    """Days of one year, from ``start`` to ``end`` ((month, day)); ``year`` None: the evaluation year.
    A month's end is day 31 whatever the month ("2月前" allows 29 February of a leap year too):
    periods are only compared, and no real day of a month comes after its 31st."""

    year: int | None
    start: tuple[int, int]
    end: tuple[int, int]


_CN = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
       "十一": 11, "十二": 12}


def _num(text: str) -> int:
    return int(text) if text.isdigit() else _CN[text]


def _month_length(year: int | None, month: int) -> int:
    return calendar.monthrange(year or 2000, month)[1]  # an unknown year may be a leap year


_YEAR = r"(?:(?P<y>(?:19|20)\d{2})年度?)?"
_MONTH = r"(?P<m>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])月份?"
#: the ten days of a month a word names (上旬 1-10, 中旬 11-20, 下旬 and 底 21 to the end)
_PARTS = {"上旬": (1, 10), "初": (1, 10), "中旬": (11, 20), "中": (11, 20), "下旬": (21, 31), "末": (21, 31),
          "底": (21, 31)}
_FORMS: list[tuple[re.Pattern[str], str]] = [(re.compile("^" + p + "$"), kind) for p, kind in [
    (_YEAR + _MONTH + r"(?P<d>3[01]|[12]\d|0?[1-9])[日号]", "day"),
    (_YEAR + _MONTH + r"(?P<part>上旬|中旬|下旬|初|中|末|底)?", "month"),
    (r"(?P<y>(?:19|20)\d{2})[-/.](?P<m>1[0-2]|0?[1-9])[-/.](?P<d>3[01]|[12]\d|0?[1-9])", "day"),
    (r"(?P<y>(?:19|20)\d{2})[-/.](?P<m>1[0-2]|0?[1-9])", "month"),
    (r"(?P<m>1[0-2]|0?[1-9])\.(?P<d>3[01]|[12]\d|0?[1-9])", "dotted"),
    (_YEAR + r"第?(?P<q>[一二三四1-4])季度(?P<qend>末|底)?", "quarter"),
    (_YEAR + r"(?P<half>上|下)半年", "half"),
    (_YEAR + r"(?:年底|年末|年终|底|末)", "year_end"),
    (r"(?:(?P<y>(?:19|20)\d{2})年度?|本年度?|当年度?|全年|年度内|年内)", "year"),
]]


def period_of(text: str, dotted: bool = False) -> Period | None:
    """The days a text names: a date, a month (or its first, middle or last ten days), a quarter,
    a half-year, the year's end, a year; None for anything else. ``dotted``: "9.30" is a date too
    (where a time is expected: it is the number 9.3 otherwise)."""
    for pattern, kind in _FORMS:
        if kind == "dotted" and not dotted:
            continue
        m = pattern.match(text)
        if m is None:
            continue
        g = m.groupdict()
        year = int(g["y"]) if g.get("y") else None
        if kind in ("day", "dotted"):
            month, day = _num(g["m"]), int(g["d"])
            if day > _month_length(year, month):  # 2 月 29 日 stands in a year unknown
                return None
            return Period(year, (month, day), (month, day))
        if kind == "month":
            month = _num(g["m"])
            first, last = _PARTS[g["part"]] if g.get("part") else (1, 31)
            return Period(year, (month, first), (month, last))
        if kind == "quarter":
            q = _num(g["q"])
            first = q * 3 if g.get("qend") else q * 3 - 2
            return Period(year, (first, 1), (q * 3, 31))
        if kind == "half":
            return Period(year, (1, 1), (6, 31)) if g["half"] == "上" else Period(year, (7, 1), (12, 31))
        if kind == "year_end":
            return Period(year, (12, 1), (12, 31))
        return Period(year, (1, 1), (12, 31))
    return None


def _date(value: _dt.date) -> Period:
    return Period(value.year, (value.month, value.day), (value.month, value.day))


# ---------------------------------------------------------------------------------------------
# 指标值


#: words before a date that make it a limit ("≤9月", "不晚于9月30日", "截至年底")
_LIMIT_BEFORE = ("不晚于", "不迟于", "截止到", "截至到", "截止", "截至", "≤", "<=", "≦", "<")
#: words after a date that make it a limit ("9月前", "年底之前", "9月30日以前")
_LIMIT_AFTER = ("之前", "以前", "前")
#: how the work is named after its date ("年底前完成", "9月底前拨付到位")
_VERBS = ("拨付到位", "全部完成", "完成", "完工", "竣工", "办结", "到位", "实施", "验收", "交付", "拨付", "发放", "下达",
          "支付", "上报", "报送", "提交")
#: a limit without a date: "按时完成", "及时", "按期拨付", "在项目计划完成时间内完成"
_WORD_LIMIT = re.compile(
    r"^(?:按时|按期|如期|及时|准时|按计划|按进度|在(?:项目)?(?:计划|规定)(?:完成)?(?:时间|时限|期限)内)"
    r"(?:" + "|".join(_VERBS) + r")?$")


def _strip(text: str, words: tuple[str, ...], at_end: bool) -> tuple[str, bool]:
    for w in words:
        if len(text) > len(w) and (text.endswith(w) if at_end else text.startswith(w)):
            return (text[: -len(w)] if at_end else text[len(w):]), True
    return text, False


def is_deadline_word(text: str) -> bool:
    """A limit set without a date ("按时完成", "及时", "按期拨付")."""
    return bool(_WORD_LIMIT.match(text))


def deadline_of(text: str) -> Period | None:
    """The period a 指标值 allows the work to end in (its ``end`` is the last day), or None when the
    text sets no calendar limit ("≥90%", "相关", "12个月": a duration, read as a number)."""
    s, _ = _strip(text, _VERBS, at_end=True)
    s, _ = _strip(s, _LIMIT_BEFORE, at_end=False)
    s, _ = _strip(s, ("在", "于"), at_end=False)
    found = period_of(s)
    if found is None:
        s, limited = _strip(s, _LIMIT_AFTER, at_end=True)
        found = period_of(s, dotted=limited)
    return found


# ---------------------------------------------------------------------------------------------
# 实际完成值

#: words that say the deadline was kept, and that it was not
DONE_WORDS = re.compile(
    r"^(?:已|均|均已|全部|已全部)?(?:按时|按期|如期|提前|及时|准时|按计划|按进度|在(?:项目)?(?:计划|规定)(?:完成)?(?:时间|时限|期限)内)"
    r"(?:" + "|".join(_VERBS) + r")?$")
_VERB = "(?:" + "|".join(_VERBS) + ")"
LATE_WORDS = re.compile(
    r"^(?:(?:未|未能|没有|没能|不)(?:按时|按期|如期|及时|准时|按计划|在(?:项目)?(?:计划|规定)(?:完成)?(?:时间|时限|期限)内)"
    r"|延期|逾期|推迟|延迟|滞后|超期|拖期)" + _VERB + "?$|^(?:未|未能|没有)" + _VERB + "$")


def done_in(value: object, clean: str) -> Period | None:
    """The period an actual says the work was done in: a date cell, a month number (1-12), or a
    text (``clean`` is it folded) such as "7月", "2024年7月15日", "已于7月底完成", "7月前" (July)."""
    if isinstance(value, (_dt.datetime, _dt.date)):
        return _date(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Period(None, (int(value), 1), (int(value), 31)) \
            if float(value).is_integer() and 1 <= value <= 12 else None
    s, _ = _strip(clean, ("已全部完成", "已完成", "全部完成", "完成"), at_end=True)
    s, _ = _strip(s, ("已于", "均于", "已", "于", "在"), at_end=False)
    found = period_of(s, dotted=True)
    if found is None:  # "7月前", "12月底前": the target's wording with the month it was done in
        s, limited = _strip(s, _LIMIT_AFTER, at_end=True)
        found = period_of(s, dotted=True) if limited else None
    return found


def kept(done: Period, due: Period, year: int | None) -> bool | None:
    """Whether work done in ``done`` kept the deadline ``due`` (its last day): True when done by
    it, False when begun after it, None when ``done`` straddles it. A year either leaves out is the
    evaluation year ``year`` (or, unknown, the other's)."""
    due_year = due.year or year or done.year or 0
    done_year = done.year or year or due.year or 0
    last = (due_year, *due.end)
    if (done_year, *done.end) <= last:
        return True
    if (done_year, *done.start) > last:
        return False
    return None
