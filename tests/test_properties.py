"""Property-based tests of the parsers (hypothesis): cell references, formula shifting, targets,
actual values and numbers, over generated input rather than a handful of examples."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from selfeval_xl.core.formulas import normalize_formula
from selfeval_xl.core.numbers import MAX_MAGNITUDE, read_number
from selfeval_xl.ooxml.refs import MAX_COL, MAX_ROW, a1, col_index, col_letter, parse_ref, shift_formula
from selfeval_xl.rules.model import load_rules
from selfeval_xl.rules.targets import parse_target, read_actual

RULES = load_rules()
rows = st.integers(1, MAX_ROW)
cols = st.integers(1, MAX_COL)


@given(rows, cols)
@pytest.mark.slow
def test_references_round_trip_in_every_written_form(row, col):
    ref = a1(row, col)
    assert parse_ref(ref) == (row, col)
    assert parse_ref(ref.lower()) == (row, col)
    assert parse_ref(col_letter(col) + str(row).zfill(10)) == (row, col)
    assert col_index(col_letter(col)) == col


@given(st.text(max_size=30))
def test_parse_ref_never_raises_and_stays_on_the_grid(text):
    pos = parse_ref(text)
    assert pos is None or (1 <= pos[0] <= MAX_ROW and 1 <= pos[1] <= MAX_COL)


# --- shared formulas: our shift against openpyxl's Translator ------------------------------------

small_rows, small_cols = st.integers(5, 400), st.integers(5, 120)


@st.composite
def cell(draw):
    c, r = col_letter(draw(small_cols)), draw(small_rows)
    return f"{'$' if draw(st.booleans()) else ''}{c}{'$' if draw(st.booleans()) else ''}{r}"


@st.composite
def formula(draw):
    parts = draw(st.lists(st.one_of(
        cell(),
        st.builds(lambda a, b: f"{a}:{b}", cell(), cell()),
        st.builds(lambda a: f"Sheet2!{a}", cell()),
        st.builds(lambda a: f"'预算 情况'!{a}", cell()),
        st.sampled_from(['"A1"', '"$B$2 text"', "1.5", "100%", "TRUE", "LOG10(4)", "ATAN2(1,2)"]),
    ), min_size=1, max_size=5))
    func = draw(st.sampled_from(["SUM", "IF", "MAX", "SUMIFS"]))
    return f"{func}({','.join(parts)})"


@given(formula(), st.integers(-4, 40), st.integers(-4, 10))
@settings(max_examples=300, deadline=None)
@pytest.mark.slow
def test_shift_formula_agrees_with_openpyxl(text, drow, dcol):
    from openpyxl.formula.translate import Translator

    want = Translator("=" + text, origin="E5").translate_formula(a1(5 + drow, 5 + dcol))[1:]
    assert shift_formula(text, drow, dcol) == want


@given(st.text(max_size=60))
def test_shift_formula_never_raises_and_keeps_literals(text):
    shifted = shift_formula(text, 3, 2)
    assert shifted.count('"') == text.count('"')


@given(st.text(max_size=60))
def test_normalize_formula_is_idempotent(text):
    once = normalize_formula(text)
    assert normalize_formula(once) == once or once.startswith("=")  # "==1" keeps its second "="
    if not text.strip().startswith("="):
        assert normalize_formula("=" + text.strip()) == normalize_formula(text.strip())


# --- targets and actual values -----------------------------------------------------------------

operators = st.sampled_from([("≥", "at_least"), (">=", "at_least"), ("不低于", "at_least"), ("≤", "at_most"),
                             ("不超过", "at_most"), ("=", "equal"), ("", "equal")])
numbers = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False, allow_infinity=False)
units = st.sampled_from(["%", "个", "次", "人", "万元", "天", ""])


@given(operators, numbers, units)
def test_a_quantitative_target_reads_as_written(op, number, unit):
    word, kind = op
    t = parse_target(f"{word}{number}{unit}", RULES)
    assert t is not None and t.kind == kind
    assert t.percent == (unit == "%")
    value = float(number) / (100 if unit == "%" else 1)
    assert math.isclose(t.value, value, rel_tol=1e-12, abs_tol=1e-12)
    assert t.unit == ("" if unit == "%" else unit)


@given(operators, numbers, units)
def test_full_width_forms_read_as_half_width(op, number, unit):
    text = f"{op[0]}{number}{unit}"
    full = text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789.%=<>"})
    assert parse_target(full, RULES) == parse_target(text, RULES) or parse_target(full, RULES).text == full


@given(st.one_of(st.text(max_size=40), st.floats(allow_nan=True), st.booleans(), st.none(),
                 st.datetimes(min_value=dt.datetime(1900, 1, 1)), st.integers()))
def test_reading_never_raises(value):
    target = parse_target(value, RULES)
    for t in (target, parse_target("≥90%", RULES), parse_target("达标", RULES), parse_target("≤5个", RULES)):
        if t is not None:
            a = read_actual(value, t, RULES)
            assert a.value is None or math.isfinite(a.value) or a.problem == ""


@given(st.decimals(min_value=0, max_value=100, places=4))
def test_a_percentage_typed_either_way_reads_the_same(pct):
    """95.5% typed as a percentage cell (0.955) or as the text "95.5%" is the same actual value."""
    t = parse_target("≥90%", RULES)
    as_number, as_text = read_actual(float(pct) / 100, t, RULES), read_actual(f"{pct}%", t, RULES)
    assert as_number.value is not None and as_text.value is not None
    assert math.isclose(as_number.value, as_text.value, rel_tol=1e-12, abs_tol=1e-15)


# --- numbers ---------------------------------------------------------------------------------------

@given(st.floats(allow_nan=True, allow_infinity=True))
def test_read_number_takes_only_finite_plausible_numbers(x):
    value, ok = read_number(x)
    if ok:
        assert value is not None and math.isfinite(value) and abs(value) < MAX_MAGNITUDE
    else:
        assert value is None and (not math.isfinite(x) or abs(x) >= MAX_MAGNITUDE)


@given(st.decimals(min_value=-10**12, max_value=10**12, places=2))
def test_numeric_text_reads_as_the_number(d):
    text = f"{d:,.2f}"  # with thousands separators, as pasted from a report
    assume("E" not in text)
    value, ok = read_number(text)
    assert ok and value is not None and math.isclose(value, float(d), rel_tol=1e-15, abs_tol=1e-9)


@given(st.text(max_size=40))
def test_read_number_never_raises(text):
    value, ok = read_number(text)
    assert (value is None) or (ok and math.isfinite(value))


# round_half_up: exact for every amount a budget can have (up to 15 significant digits)

@given(st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1), st.integers(0, 9), st.integers(0, 6))
@settings(max_examples=3000)
@pytest.mark.slow
def test_round_half_up_is_decimal_half_up(mantissa, scale, digits):
    """Any decimal of up to 15 significant digits, typed and stored as a float, rounds as the
    decimal itself rounds half up: 100000000.125 -> 100000000.13 (the float path gave .12)."""
    from decimal import ROUND_HALF_UP, Decimal

    from selfeval_xl.core.numbers import round_half_up

    typed = Decimal(mantissa).scaleb(-scale)
    want = float(typed.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
    assert round_half_up(float(typed), digits) == want


@given(st.integers(min_value=0, max_value=10**13), st.sampled_from([5, 15, 25, 35, 45, 55, 65, 75, 85, 95]))
@example(2_147_483_648, 55)  # found by CI: the fast path took 214748364805.49998 for "not near a half"
def test_exact_halves_round_up_at_any_size(whole, cents_half):
    """x.xx5 with the half exactly at the third decimal, far above 2^26."""
    from decimal import Decimal

    from selfeval_xl.core.numbers import round_half_up

    typed = Decimal(whole) + Decimal(cents_half) / 1000
    if len(typed.as_tuple().digits) > 15:
        return
    assert round_half_up(float(typed), 2) == float(Decimal(whole) + Decimal(cents_half + 5) / 1000)


@given(st.integers(min_value=0, max_value=10**14), st.integers(min_value=0, max_value=4))
@example(2_147_483_648_05, 2)
def test_a_half_at_any_digit_and_size_rounds_up(digits_before, digits):
    """n.5 × 10^-digits, for every size a 15-digit figure can have: the fast path never takes a
    shown half for 'not near a half'."""
    from decimal import ROUND_HALF_UP, Decimal

    from selfeval_xl.core.numbers import round_half_up

    typed = (Decimal(digits_before) * 10 + 5).scaleb(-(digits + 1))
    if len(typed.as_tuple().digits) > 15:
        return
    want = float(typed.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
    assert round_half_up(float(typed), digits) == want
    assert round_half_up(-float(typed), digits) == -want


def _decimal_round(x: float, digits: int) -> float:
    """The reference: the float as the 15-digit decimal a spreadsheet shows, rounded half up."""
    from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal

    shown = Context(prec=15, rounding=ROUND_HALF_EVEN).plus(Decimal(repr(x)))
    if abs(x) >= 1e15:
        return float(shown) + 0.0
    return float(shown.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)) + 0.0


@st.composite
def _figures(draw):
    """(a float, the digits to round it to): any float, any figure of three decimals, and halves
    exactly at the rounding place at every size a 15-digit figure can have."""
    from decimal import Decimal

    digits = draw(st.integers(min_value=0, max_value=4))
    kind = draw(st.sampled_from(["any", "decimals", "half"]))
    if kind == "any":
        return draw(st.floats(min_value=-1e16, max_value=1e16, allow_nan=False)), digits
    if kind == "decimals":
        return draw(st.integers(-10**15, 10**15)) / 1000, digits
    size = draw(st.integers(min_value=1, max_value=14 - digits))
    n = draw(st.integers(min_value=10 ** (size - 1), max_value=10**size - 1))  # of that size, not mostly small
    sign = draw(st.sampled_from([1, -1]))
    return sign * float((Decimal(n) * 10 + 5).scaleb(-(digits + 1))), digits


@given(_figures())
@settings(max_examples=3000)
@pytest.mark.slow
def test_the_fast_path_is_the_decimal_rounding(figure):
    """round_half_up's shortcut (Python's round away from halves) gives what the decimal
    arithmetic gives, for any float and any digits."""
    from selfeval_xl.core.numbers import round_half_up

    x, digits = figure
    assert round_half_up(x, digits) == _decimal_round(x, digits)
