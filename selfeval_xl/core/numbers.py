"""Rounding and display of figures, the way a finance bureau writes them."""

from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal

__all__ = ["band_at", "fmt_number", "fmt_percent", "fmt_points", "fmt_score", "hold", "points_decimals", "points_format",
           "round_half_up"]

_NUDGE = 1e-9
#: significant digits a spreadsheet keeps (Excel: 15); beyond them a float's digits are binary noise
_SIGNIFICANT = Context(prec=15, rounding=ROUND_HALF_EVEN)
_QUANTUM = {d: Decimal(1).scaleb(-d) for d in range(0, 10)}
_TEN = {d: 10.0 ** d for d in range(0, 10)}


def round_half_up(x: float, digits: int = 2) -> float:
    """Round half up (0.125 -> 0.13, -0.125 -> -0.13, 100000000.125 -> 100000000.13), the
    accounting convention, exactly, in decimal arithmetic.

    A float is read as the decimal a spreadsheet shows for it: its 15 significant digits (2.675,
    stored as 2.67499999…, is 2.675; a sum of amounts that came out as 0.30000000000000004 is 0.3);
    that decimal is rounded half away from zero.
    """
    x = float(x)
    if not math.isfinite(x):
        return x
    scaled = abs(x) * _TEN[digits] if digits in _TEN else None
    # not near a half, every way of rounding agrees; "near" grows with the size: the decimal shown
    # (15 significant digits) and the binary float differ by up to 5e-15 of the value
    if scaled is not None and scaled < 1e12 and abs(scaled - math.floor(scaled) - 0.5) > 1e-6 + scaled * 1e-14:
        return round(x, digits) + 0.0
    shown = _SIGNIFICANT.plus(Decimal(repr(x)))
    if abs(x) >= 1e15:  # 15 significant digits, all before the point: nothing to round
        return float(shown) + 0.0
    q = _QUANTUM.get(digits) or Decimal(1).scaleb(-digits)
    return float(shown.quantize(q, rounding=ROUND_HALF_UP)) + 0.0


def _shown(x: float) -> Decimal:
    """A float as the decimal a spreadsheet shows (15 significant digits)."""
    return _SIGNIFICANT.plus(Decimal(repr(float(x))))


def band_at(lo: float, hi: float, closed: bool, digits: int) -> tuple[float, float]:
    """The lowest and highest value a score in the band [lo, hi] ([lo, hi) when not ``closed``)
    may take at ``digits`` decimals: the first value at that precision from ``lo``; a closed band's
    ``hi`` itself, a half-open band's last value at that precision below ``hi`` (its limit less one
    unit of the last decimal kept: [3.5, 4.5) at one decimal is 3.5–4.4). A limit the precision
    cannot write is kept as it is when it belongs to the band (a 分值 of 0.75 under one decimal is
    still the top of [0, 0.75]); a band that holds no value at the precision at all (0.6–0.8 in
    whole points) gives its lower limit for both."""
    q = _QUANTUM.get(digits) or Decimal(1).scaleb(-digits)
    low, high = _shown(lo), _shown(hi)
    first = low.quantize(q, rounding=ROUND_CEILING)
    if closed:
        return (float(first) if first <= high else hi) + 0.0, hi + 0.0
    last = high.quantize(q, rounding=ROUND_FLOOR)
    if last >= high:
        last -= q
    if first > last:
        return lo + 0.0, lo + 0.0
    return float(first) + 0.0, float(last) + 0.0


def hold(x: float, lo: float, hi: float, closed: bool, digits: int) -> float:
    """``x`` rounded half up to ``digits`` decimals and held inside the band at that precision
    (``band_at``): a score never leaves its band, nor its 分值, by rounding."""
    first, last = band_at(lo, hi, closed, digits)
    return min(max(round_half_up(x, digits), first), last)


def fmt_points(x: float | None, digits: int = 2) -> str:
    """A score as the rule set keeps it: ``digits`` decimals (4.4 at one decimal, 4.40 at two),
    more only for a figure the precision cannot write (a 分值 of 0.75 at one decimal), which is
    shown as it is, not rounded into another figure."""
    if x is None:
        return ""
    text = fmt_number(x, MAX_POINT_DECIMALS)
    if digits <= 0:
        return text
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(digits, '0')}"


#: decimals a score is ever shown with (the rule schema's largest ``decimals``)
MAX_POINT_DECIMALS = 6


def points_decimals(x: float | None, digits: int = 2) -> int:
    """The decimals ``fmt_points`` shows ``x`` with: ``digits``, more only where the figure needs
    them (0.125 at two decimals: three)."""
    if x is None:
        return max(digits, 0)
    _whole, _, frac = fmt_number(x, MAX_POINT_DECIMALS).partition(".")
    return max(digits, len(frac), 0)


def points_format(x: float | None, digits: int = 2) -> str:
    """The spreadsheet number format that shows ``x`` as ``fmt_points`` writes it ("0.00" at two
    decimals, "0.000" for 0.125, "0" at none): a cell formatted at fewer decimals than its value
    holds shows another figure (0.13) than the one its sums use (0.125)."""
    n = points_decimals(x, digits)
    return "0." + "0" * n if n else "0"


def fmt_number(x: float | None, digits: int = 2) -> str:
    """2181.72 -> '2181.72', 10.0 -> '10', 0.75 -> '0.75'."""
    if x is None:
        return ""
    r = round_half_up(x, digits)
    text = f"{r:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_percent(x: float | None, digits: int = 2) -> str:
    """0.952316 -> '95.23%'."""
    if x is None:
        return ""
    return fmt_number(x * 100, digits) + "%"


def fmt_score(x: float | None) -> str:
    """Scores always show two decimals, rounded half up: 9.5 -> '9.50', 0.125 -> '0.13'."""
    if x is None:
        return ""
    x = float(x)
    return "%.2f" % (x + math.copysign(_NUDGE, x))


_NUMERIC_TEXT = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")


#: no figure of a submission is this large (万元, 个, points); a larger one is a typing slip, and
#: keeping every figure under it keeps every sum and product of them finite
MAX_MAGNITUDE = 1e15


def read_number(value: object) -> tuple[float | None, bool]:
    """A cell as a number: (number, True); (None, True) when empty; (None, False) when it is
    something else. Numeric text ('2,181.72', '２１８１') counts as the number: spreadsheet
    arithmetic reads it so, and a pasted number often arrives as text. A number of magnitude
    ``MAX_MAGNITUDE`` or more (or not finite) is not taken."""
    if value is None:
        return None, True
    if isinstance(value, bool) or isinstance(value, (_dt.date, _dt.time, _dt.timedelta)):
        return None, False
    if isinstance(value, (int, float)):
        x = float(value)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "").replace(" ", "")
        if not text:
            return None, True
        if not _NUMERIC_TEXT.match(text):
            return None, False
        x = float(text)
    if not abs(x) < MAX_MAGNITUDE:  # also NaN
        return None, False
    return x, True


def fmt_value(value: object) -> str:
    """A cell's value as a clerk would recognise it in a message."""
    if value is None or value == "":
        return "（空）"
    if isinstance(value, float):
        return fmt_number(value, 6)
    return str(value)
