"""Reading a target (指标值) and an actual value (实际完成值), as scoring.md says and as real
forms write them.

Pure functions over text and numbers; the operator words, the qualitative tiers and the
percent-typed-as-number range come from the rule set. A deadline (时效指标: "9月底前", "年底前",
"按时完成") is read by ``deadlines``. A qualitative answer is the target's word, a tier's own
wording (财预〔2020〕10号: "达成预期指标" …), or the word with a tier's word put before it or before
its predicate ("基本完善", "效果较明显", "不够完善", "效果不明显").
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

from selfeval_xl.rules.deadlines import DONE_WORDS, LATE_WORDS, Period, deadline_of, done_in, is_deadline_word, kept

if TYPE_CHECKING:
    from selfeval_xl.rules.model import Rules

__all__ = ["Actual", "Target", "clean_text", "parse_target", "read_actual", "read_count", "tier_choices", "tier_of"]

Kind = Literal["at_least", "at_most", "equal", "qualitative", "deadline"]

_NUMBER = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(%|‰)?(.*)$")


def clean_text(value: object) -> str:
    """Text as typed, with full-width forms folded (＞＝９０％ -> >=90%) and spaces removed."""
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", "", text)


@dataclass(frozen=True, slots=True)
class Target:
    """A readable 指标值. ``value`` is a fraction when ``percent`` (90% -> 0.9). A deadline has
    ``due``, the period the work may end in (its last day is the limit), or ``word`` for a limit set
    without a date ("按时完成", "及时")."""

    text: str
    kind: Kind
    value: float | None = None
    percent: bool = False
    unit: str = ""
    word: str = ""
    due: Period | None = None

    @property
    def quantitative(self) -> bool:
        return self.kind != "qualitative"


_TARGETS: dict[tuple[int, str], Target | None] = {}


def parse_target(text: object, rules: Rules) -> Target | None:
    """Read a 指标值; None when it is empty or neither quantitative nor a qualitative word."""
    if isinstance(text, str):
        key = (id(rules), text)
        if key not in _TARGETS:
            if len(_TARGETS) > 50_000:
                _TARGETS.clear()
            _TARGETS[key] = _parse_target(text, rules)
        return _TARGETS[key]
    return _parse_target(text, rules)


def _parse_target(text: object, rules: Rules) -> Target | None:
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, (_dt.datetime, _dt.date)):  # a date typed as the 指标值: done by that day
        return Target(text=f"{text.year}年{text.month}月{text.day}日前", kind="deadline",
                      due=Period(text.year, (text.month, text.day), (text.month, text.day)))
    if isinstance(text, (int, float)):
        # A number typed into the cell: a bare number means "equal" (Excel keeps 100% as 1.0).
        return Target(text=str(text), kind="equal", value=float(text))
    raw = str(text).strip()
    s = clean_text(raw)
    if not s:
        return None
    due = deadline_of(s)
    if due is not None or is_deadline_word(s):
        return Target(text=raw, kind="deadline", word="" if due else s, due=due)
    kind: Kind | None = None
    for op_kind, words in rules.operator_words:
        if s.startswith(words):
            kind = cast(Kind, op_kind)
            s = s[len(words):]
            break
    if kind is None:
        for op_kind, words in rules.suffix_words:
            if s.endswith(words):
                kind = cast(Kind, op_kind)
                s = s[: -len(words)]
                break
    m = _NUMBER.match(s)
    if m:
        number, sign, unit = m.group(1), m.group(2), m.group(3)
        if unit and (re.search(r"\d", unit) or len(unit) > 6):
            return None
        if unit == "百分比" and not sign:  # "≥100百分比" (a published form): a percentage
            sign, unit = "%", ""
        value = float(number)
        if sign == "%":
            value /= 100
        elif sign == "‰":
            value /= 1000
        return Target(text=raw, kind=kind or "equal", value=value, percent=bool(sign), unit=unit)
    if kind is not None or not s or re.search(r"\d", s):
        return None  # an operator without a number, or digits we cannot read
    return Target(text=raw, kind="qualitative", word=s)


@dataclass(frozen=True, slots=True)
class Actual:
    """An actual value read for its target.

    Exactly one of: ``value`` (a number, fraction for % targets), ``tier`` (qualitative),
    ``not_applicable``, ``missing``, or ``problem`` (a Chinese reason it cannot be read).
    """

    value: float | None = None
    tier: str | None = None
    not_applicable: bool = False
    missing: bool = False
    problem: str = ""
    percent_as_number: bool = False  # 95 read as 95% (V206)
    negative: bool = False  # a negative number, counted as 0
    #: a deadline's actual as a person reads it ("7月", "按时完成"); its ``value`` is 0 when the
    #: deadline was kept and 1 when it was not
    shown: str = ""


def read_actual(value: object, target: Target, rules: Rules, year: int | None = None) -> Actual:
    """The 实际完成值 read for its 指标值; ``year``: the evaluation year (a deadline's year when
    neither it nor the actual names one)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Actual(missing=True)
    if isinstance(value, str) and clean_text(value) == rules.not_applicable:
        return Actual(not_applicable=True)
    if target.kind == "qualitative":
        return _read_tier(value, target, rules)
    if target.kind == "deadline":
        return _read_deadline(value, target, rules, year)
    return _read_number(value, target, rules)


_COUNT = re.compile(r"^(\d+)(?:\.0*)?([^\d]{0,3})$")


def read_count(value: object, rules: Rules, most: int | None = None) -> Actual:
    """A count typed as 实际完成值 (扣分制: cases; 清单: items): a whole number, a short unit allowed
    ("2起", "3项"), at most ``most``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Actual(missing=True)
    if isinstance(value, str) and clean_text(value) == rules.not_applicable:
        return Actual(not_applicable=True)
    limit = f"（0 到 {most}）" if most is not None else ""
    problem = Actual(problem=f"实际完成值“{value}”应是一个整数{limit}，如 0、2起、3项")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return problem
    if isinstance(value, (int, float)):
        if not float(value).is_integer() or value < 0:
            return problem
        n = int(value)
    else:
        m = _COUNT.match(clean_text(value))
        if not m:
            return problem
        n = int(m.group(1))
    if most is not None and n > most:
        return problem
    return Actual(value=float(n))


def _read_tier(value: object, target: Target, rules: Rules) -> Actual:
    if not isinstance(value, str):
        return Actual(problem=f"指标值“{target.text}”是定性指标，实际完成值应填写文字（如“{target.word}”），不能填写数字")
    tier = tier_of(clean_text(value), target.word, rules)
    if tier is not None:
        return Actual(tier=tier)
    return Actual(problem=f"无法判断“{value}”属于哪一档；请填写{'、'.join(tier_choices(target.word, rules))}")


def tier_of(answer: str, word: str, rules: Rules) -> str | None:
    """The tier an answer (folded) names for the target ``word``: a tier's name or one of its
    answers ("达成预期指标", "是"), the word itself (the first tier; "已" before it too), or the word
    with one of a tier's words put before it or before its predicate ("基本完善", "效果较明显",
    "不够完善", "效果不明显"); None when it names none."""
    for tier in rules.tiers:
        if answer == tier.name or answer in tier.answers:
            return tier.name
    if word and answer in (word, "已" + word):
        return rules.tiers[0].name
    for tier in rules.tiers:
        for p in tier.prefixes:
            if word and _inserted(answer, p, word):
                return tier.name
    return None


def _inserted(answer: str, p: str, word: str) -> bool:
    """Whether ``answer`` is ``word`` with ``p`` put in before one of its characters, in linear
    time (the same prefix and suffix around ``p``; a hostile 40,000-character cell costs nothing)."""
    if len(answer) != len(word) + len(p):
        return False
    head = 0  # characters answer and word share at the start
    while head < len(word) and answer[head] == word[head]:
        head += 1
    tail = 0  # ... and at the end
    while tail < len(word) and answer[-1 - tail] == word[-1 - tail]:
        tail += 1
    return any(answer.startswith(p, i) for i in range(max(0, len(word) - tail), min(head, len(word) - 1) + 1))


def tier_choices(word: str, rules: Rules) -> list[str]:
    """What to write for each tier, as a person writes it: the target's word for the first; a
    tier's word before a word of one or two characters ("基本相关", "不相关"); otherwise the tier's
    own wording ("部分达成预期指标并具有一定效果"), so a longer word is never cut ("不效果明显")."""
    out = []
    for k, tier in enumerate(rules.tiers):
        if k == 0 and word:
            phrase = word
        elif tier.prefixes and 0 < len(word) <= 2:
            phrase = tier.prefixes[0] + word
        elif tier.answers:
            phrase = tier.answers[0]
        else:
            continue
        out.append(f"“{phrase}”" + ("" if tier.name in phrase else f"（{tier.name}）"))
    return out


_NOT_A_TIME = "请填写完成的月份或日期（如 7月、7月15日），或“按时完成”“未按时完成”"


def _read_deadline(value: object, target: Target, rules: Rules, year: int | None) -> Actual:
    shown = _shown(value)
    clean = clean_text(value) if isinstance(value, str) else ""
    if clean:
        verdict = _deadline_words(clean, target, rules)
        if verdict == "partial":
            return Actual(problem=f"“{value}”是部分达成的说法，而时效指标只分按时与未按时；{_NOT_A_TIME}")
        if isinstance(verdict, bool):
            return Actual(value=0.0 if verdict else 1.0, shown=shown)
    done = done_in(value, clean)
    if done is None:
        return Actual(problem=f"实际完成值“{shown}”不是完成时间；{_NOT_A_TIME}")
    if target.due is None:
        return Actual(problem=f"指标值“{target.text}”没有写明期限，无法按“{shown}”判断是否按时；请填写“按时完成”或“未按时完成”")
    on_time = kept(done, target.due, year)
    if on_time is None:
        return Actual(problem=f"“{shown}”无法判断是否在指标值“{target.text}”的期限内（可能在期限前，也可能在期限后）；"
                              "请写明完成的具体日期（几月几日）")
    return Actual(value=0.0 if on_time else 1.0, shown=shown)


def _deadline_words(answer: str, target: Target, rules: Rules) -> bool | str | None:
    """True: the words say the deadline was kept ("按时完成", "提前完成", the target's own words,
    "达成预期指标"); False: it was not ("未按时完成", "延期完成", "不及时"); "partial" for a middle
    tier's words; None: no such words (a date, perhaps)."""
    if DONE_WORDS.match(answer):
        return True
    if LATE_WORDS.match(answer):
        return False
    tier = tier_of(answer, target.word, rules)
    if tier is None:
        return None
    names = [t.name for t in rules.tiers]
    return True if tier == names[0] else False if tier == names[-1] else "partial"


def _shown(value: object) -> str:
    if isinstance(value, (_dt.datetime, _dt.date)):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_ACTUAL = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(%|‰)?(.*)$")


def _read_number(value: object, target: Target, rules: Rules) -> Actual:
    if isinstance(value, bool) or isinstance(value, (_dt.date, _dt.time, _dt.timedelta)):
        return Actual(problem=f"实际完成值“{value}”不是数字；请按指标值“{target.text}”填写数字")
    sign = ""
    unit = ""
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        s, same = _without_operator(clean_text(value).replace(",", ""), target, rules)
        if not same:
            return Actual(problem=f"实际完成值“{value}”带有与指标值“{target.text}”方向不同的符号；请只填写实际达到的数值")
        m = _ACTUAL.match(s)
        if not m:
            return Actual(problem=f"实际完成值“{value}”不是数字；请按指标值“{target.text}”填写数字")
        number = float(m.group(1))
        sign = m.group(2) or ""
        unit = m.group(3)
        if unit and (re.search(r"\d", unit) or len(unit) > 6):
            return Actual(problem=f"实际完成值“{value}”不是数字；请按指标值“{target.text}”填写数字")
    if sign == "‰":
        number /= 1000
        sign = "%"
    elif sign == "%":
        number /= 100
    percent_as_number = False
    if target.percent:
        if unit:
            return Actual(problem=f"实际完成值“{value}”的单位与指标值“{target.text}”不一致；请填写百分比（如 95%）")
        if not sign:
            low, high = rules.percent_typed_as_number
            if number > high:
                return Actual(problem=f"实际完成值“{value}”超过 100，无法作为百分比读取；请填写百分比（如 95%）")
            if number > low:
                number /= 100
                percent_as_number = True
    else:
        if sign:
            return Actual(problem=f"实际完成值“{value}”是百分比，而指标值“{target.text}”不是；请按指标值的单位填写")
        if unit and target.unit and unit != target.unit:
            return Actual(problem=f"实际完成值“{value}”的单位（{unit}）与指标值“{target.text}”的单位（{target.unit}）不一致")
    if number < 0:
        return Actual(value=0.0, negative=True, percent_as_number=percent_as_number)
    return Actual(value=number, percent_as_number=percent_as_number)


def _without_operator(s: str, target: Target, rules: Rules) -> tuple[str, bool]:
    """An actual written with its target's own operator ("≥95%" under "≥95%", as some published
    forms write it) is its number; False when the operator is another direction's."""
    for kind, word in rules.operator_words:
        if s.startswith(word):
            return s[len(word):], kind == target.kind
    for kind, word in rules.suffix_words:
        if s.endswith(word):
            return s[: -len(word)], kind == target.kind
    return s, True
