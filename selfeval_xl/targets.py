"""Reading a target (指标值) and an actual value (实际完成值), as scoring.md says.

Pure functions over text and numbers; the operator words, the qualitative tiers and the
percent-typed-as-number range come from the rule set.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

if TYPE_CHECKING:
    from .rules import Rules

__all__ = ["Actual", "Target", "clean_text", "parse_target", "read_actual", "read_count"]

Kind = Literal["at_least", "at_most", "equal", "qualitative"]

_NUMBER = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(%|‰)?(.*)$")


def clean_text(value: object) -> str:
    """Text as typed, with full-width forms folded (＞＝９０％ -> >=90%) and spaces removed."""
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", "", text)


@dataclass(frozen=True, slots=True)
class Target:
    """A readable 指标值. ``value`` is a fraction when ``percent`` (90% -> 0.9)."""

    text: str
    kind: Kind
    value: float | None = None
    percent: bool = False
    unit: str = ""
    word: str = ""

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
    if isinstance(text, (int, float)):
        # A number typed into the cell: a bare number means "equal" (Excel keeps 100% as 1.0).
        return Target(text=str(text), kind="equal", value=float(text))
    raw = str(text).strip()
    s = clean_text(raw)
    if not s:
        return None
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


def read_actual(value: object, target: Target, rules: Rules) -> Actual:
    if value is None or (isinstance(value, str) and not value.strip()):
        return Actual(missing=True)
    if isinstance(value, str) and clean_text(value) == rules.not_applicable:
        return Actual(not_applicable=True)
    if target.kind == "qualitative":
        return _read_tier(value, target, rules)
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
    s = clean_text(value)
    for tier in rules.tiers:
        if s in tier.answers:
            return Actual(tier=tier.name)
    if s == target.word:
        return Actual(tier=rules.tiers[0].name)
    for tier in rules.tiers:
        if any(s == p + target.word for p in tier.prefixes):
            return Actual(tier=tier.name)
    choices = "、".join(_tier_examples(target, rules))
    return Actual(problem=f"无法判断“{value}”属于哪一档；请填写：{choices}")


def _tier_examples(target: Target, rules: Rules) -> list[str]:
    out = []
    for tier in rules.tiers:
        out.append(f"“{(tier.prefixes[0] if tier.prefixes else '') + target.word}”")
    out.append(f"“{rules.tiers[0].answers[0]}”等")
    return out


_ACTUAL = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(%|‰)?(.*)$")


def _read_number(value: object, target: Target, rules: Rules) -> Actual:
    if isinstance(value, bool) or isinstance(value, (_dt.date, _dt.time, _dt.timedelta)):
        return Actual(problem=f"实际完成值“{value}”不是数字；请按指标值“{target.text}”填写数字")
    sign = ""
    unit = ""
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        s = clean_text(value).replace(",", "")
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
