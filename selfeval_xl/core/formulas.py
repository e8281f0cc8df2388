"""The template's formulas as small expression trees.

Each formula of the template is built once, as a tree that both renders the Excel text the
template carries and evaluates the same thing in Python. The generator writes the text (with the
value it evaluates to as the saved value); the checker compares a submission's formula text with
it (X301/X302) and recomputes the value from the submission's inputs (X303, and every score).
Nothing here knows about the domain: see ``layout.py`` for which formula goes where.

Evaluation follows Excel where our formulas need it: an empty cell is 0 in arithmetic, text in
arithmetic is its number when it reads as one (``VALUE``) and ``#VALUE!`` otherwise, an error
propagates (the left operand's first), SUMIFS/COUNTIF compare text case-insensitively. ``Array``
is an array formula (entered with Ctrl+Shift+Enter): its functions see ranges element by element,
as every engine evaluates them alike (Gnumeric applies ISNUMBER or ISERROR to one cell of a range
inside SUMPRODUCT, but not inside an array formula).
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from selfeval_xl.core.numbers import round_half_up
from selfeval_xl.ooxml.refs import a1, col_index, col_letter, formula_segments
from selfeval_xl.ooxml.sheet import ExcelError, Value

__all__ = [
    "Area",
    "Array",
    "BinOp",
    "Bool",
    "Call",
    "Env",
    "ExcelError",
    "Expr",
    "Name",
    "Neg",
    "Num",
    "Recalc",
    "Ref",
    "Str",
    "Value",
    "a1",
    "col_index",
    "col_letter",
    "normalize_formula",
    "parse_expression",
    "split_a1",
]


DIV0 = ExcelError("#DIV/0!")
VALUE = ExcelError("#VALUE!")
NA = ExcelError("#N/A")

class Env(Protocol):
    """Where an expression reads its cells from (row and column 1-based)."""

    def value_at(self, sheet: str, row: int, col: int) -> Value: ...


# ---------------------------------------------------------------------------------------------
# A1 helpers

_A1 = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")
_SPLIT_CACHE: dict[str, tuple[int, int]] = {}


def split_a1(ref: str) -> tuple[int, int]:
    """'B12' -> (12, 2): row and column, both 1-based."""
    hit = _SPLIT_CACHE.get(ref)
    if hit is not None:
        return hit
    m = _A1.match(ref.upper())
    if not m:
        raise ValueError(f"not an A1 reference: {ref!r}")
    out = int(m.group(2)), col_index(m.group(1))
    if len(_SPLIT_CACHE) < 100_000:
        _SPLIT_CACHE[ref] = out
    return out


def _quote_sheet(sheet: str) -> str:
    # Excel writes CJK sheet names bare; names with spaces or punctuation need quotes.
    if re.fullmatch(r"[\w\u4e00-\u9fff]+", sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------------
# Expression tree


#: text Excel's arithmetic reads as a number: sign, digits (with thousands separators), decimals, an
#: exponent, a trailing percent sign (not Python's "inf", "nan" or "1_000")
_NUMERIC_TEXT = re.compile(r"[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")


def _text_number(text: str) -> float | ExcelError:
    """VALUE(text): the number a text reads as, else #VALUE! ("" too, unlike a blank cell)."""
    t = text.strip(" ")
    if not _NUMERIC_TEXT.fullmatch(t):
        return VALUE
    x = float(t.rstrip("%").replace(",", ""))
    return x / 100 if t.endswith("%") else x


def _number(v: Value) -> float | ExcelError:
    """A value as Excel arithmetic sees it."""
    if isinstance(v, ExcelError):
        return v
    if v is None:
        return 0.0
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    return _text_number(str(v))


class Expr:
    """A formula node: ``excel()`` renders it, ``eval(env)`` computes it."""

    def excel(self) -> str:
        raise NotImplementedError

    def eval(self, env: Env) -> Value:
        raise NotImplementedError

    def refs(self) -> Iterable[Ref]:
        """Every single-cell reference in the tree (for 'which inputs does this use')."""
        return ()

    def names(self) -> Iterable[str]:
        return ()

    def bind(self, lookup: Callable[[str], Expr]) -> Expr:
        """Replace each Name by what ``lookup`` gives for it."""
        return self


@dataclass(frozen=True)
class Num(Expr):
    value: float

    def excel(self) -> str:
        v = self.value
        return str(int(v)) if float(v).is_integer() else repr(float(v))

    def eval(self, env: Env) -> Value:
        return float(self.value)


@dataclass(frozen=True)
class Str(Expr):
    value: str

    def excel(self) -> str:
        return '"' + self.value.replace('"', '""') + '"'

    def eval(self, env: Env) -> Value:
        return self.value


@dataclass(frozen=True)
class Bool(Expr):
    """TRUE or FALSE (a data validation's formula must give one)."""

    value: bool

    def excel(self) -> str:
        return "TRUE" if self.value else "FALSE"

    def eval(self, env: Env) -> Value:
        return self.value


@dataclass(frozen=True)
class Name(Expr):
    """A name to be bound to a cell later (a 预算情况 key in a rule file's rate)."""

    name: str

    def excel(self) -> str:
        raise ValueError(f"unbound name {self.name!r}")

    def eval(self, env: Env) -> Value:
        raise ValueError(f"unbound name {self.name!r}")

    def names(self) -> Iterable[str]:
        return (self.name,)

    def bind(self, lookup: Callable[[str], Expr]) -> Expr:
        return lookup(self.name)


@dataclass(frozen=True)
class Ref(Expr):
    """One cell. ``sheet`` is None for a cell on the formula's own sheet."""

    sheet: str | None
    cell: str
    home: str = ""  # the sheet the formula lives on, for evaluating a sheet-less reference
    absolute: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "_rc", split_a1(self.cell))

    def excel(self) -> str:
        row, col = self._rc  # type: ignore[attr-defined]
        ref = f"${col_letter(col)}${row}" if self.absolute else self.cell
        return f"{_quote_sheet(self.sheet)}!{ref}" if self.sheet else ref

    def eval(self, env: Env) -> Value:
        row, col = self._rc  # type: ignore[attr-defined]
        return env.value_at(self.sheet or self.home, row, col)

    def refs(self) -> Iterable[Ref]:
        return (self,)


@dataclass(frozen=True)
class Area(Expr):
    """A rectangular range, always absolute in the text (``$G$3:$G$43``)."""

    sheet: str | None
    first: str
    last: str
    home: str = ""

    def excel(self) -> str:
        r1, c1 = split_a1(self.first)
        r2, c2 = split_a1(self.last)
        text = f"${col_letter(c1)}${r1}:${col_letter(c2)}${r2}"
        return f"{_quote_sheet(self.sheet)}!{text}" if self.sheet else text

    def __post_init__(self) -> None:
        r1, c1 = split_a1(self.first)
        r2, c2 = split_a1(self.last)
        object.__setattr__(self, "_coords", tuple((r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)))

    def cells(self) -> list[str]:
        return [a1(r, c) for r, c in self._coords]  # type: ignore[attr-defined]

    def values(self, env: Env) -> list[Value]:
        sheet = self.sheet or self.home
        bulk = getattr(env, "area_values", None)
        if bulk is not None:
            return bulk(sheet, self._coords)  # type: ignore[attr-defined]
        at = env.value_at
        return [at(sheet, r, c) for r, c in self._coords]  # type: ignore[attr-defined]

    def eval(self, env: Env) -> Value:
        return VALUE  # a bare range is only meaningful inside a function


def _key(value: Value) -> str:
    """A cell as a SUMIFS/COUNTIF criterion compares it."""
    return "" if value is None else (value if isinstance(value, str) else str(value)).strip().casefold()


_NUMERIC_CRITERION = (("<=", "<="), (">=", ">="), ("<>", "<>"), ("<", "<"), (">", ">"), ("=", "="))


def _matches(criterion: Value, keys: list[str]) -> list[bool]:
    """SUMIFS/COUNTIF matching of text criteria: "text" and "<>text", case-insensitive."""
    crit = "" if criterion is None else str(criterion)
    if crit.startswith("<>"):
        want = crit[2:].casefold()
        return [k != want for k in keys]
    want = crit.casefold()
    return [k == want and k != "" for k in keys]


def _numeric_criterion(criterion: Value) -> tuple[str, float] | None:
    """("<", 0.0) for "<0": a criterion that compares numbers."""
    if not isinstance(criterion, str):
        return None
    for prefix, op in _NUMERIC_CRITERION:
        if criterion.startswith(prefix):
            try:
                return op, float(criterion[len(prefix):])
            except ValueError:
                return None
    return None


def _criterion(criterion: Value, area: Area, env: Env) -> list[bool]:
    if criterion == "":  # "" matches the blank cells (and empty text), as is, without trimming
        return [v is None or v == "" for v in area.values(env)]
    numeric = _numeric_criterion(criterion)
    if numeric is None:
        return _matches(criterion, _keys(area, env))
    op, bound = numeric
    return [_is_number(v) and bool(_OPS[op](float(v), bound)) for v in area.values(env)]  # type: ignore[arg-type]


def _keys(area: Area, env: Env) -> list[str]:
    bulk = getattr(env, "area_keys", None)
    if bulk is not None:
        return bulk(area.sheet or area.home, area._coords)  # type: ignore[attr-defined]
    return [_key(v) for v in area.values(env)]


def _is_number(v: Value) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _round_excel(x: float, digits: int) -> float:
    return round_half_up(x, digits)


@dataclass(frozen=True)
class Call(Expr):
    func: str
    args: tuple[Expr, ...]

    def excel(self) -> str:
        return f"{self.func}({','.join(a.excel() for a in self.args)})"

    def refs(self) -> Iterable[Ref]:
        for a in self.args:
            yield from a.refs()

    def names(self) -> Iterable[str]:
        for a in self.args:
            yield from a.names()

    def bind(self, lookup: Callable[[str], Expr]) -> Expr:
        return Call(self.func, tuple(a.bind(lookup) for a in self.args))

    def eval(self, env: Env) -> Value:
        fn = _FUNCTIONS.get(self.func)
        if fn is None:
            raise ValueError(f"function {self.func} is not supported")
        return fn(self.args, env)


def _scalar(arg: Expr, env: Env) -> list[Value]:
    """An argument's values: a range's cells, or the one value of anything else."""
    return arg.values(env) if isinstance(arg, Area) else [arg.eval(env)]


def _if(a: tuple[Expr, ...], env: Env) -> Value:
    truthy = _truth(a[0].eval(env))
    if isinstance(truthy, ExcelError):
        return truthy
    if truthy:
        return a[1].eval(env)
    return a[2].eval(env) if len(a) > 2 else False


def _truth(v: Value) -> bool | ExcelError:
    n = _number(v)
    return n if isinstance(n, ExcelError) else bool(n)


def _logical(combine: Callable[[list[bool]], bool]) -> Callable[[tuple[Expr, ...], Env], Value]:
    def fn(a: tuple[Expr, ...], env: Env) -> Value:
        out: list[bool] = []
        for arg in a:
            for v in _scalar(arg, env):
                t = _truth(v)
                if isinstance(t, ExcelError):
                    return t
                out.append(t)
        return combine(out)
    return fn


def _negation(v: Value) -> Value:
    t = _truth(v)
    return t if isinstance(t, ExcelError) else not t


def _not(a: tuple[Expr, ...], env: Env) -> Value:
    return _negation(a[0].eval(env))


def _absolute(v: Value) -> Value:
    n = _number(v)
    return n if isinstance(n, ExcelError) else abs(n)


def _abs(a: tuple[Expr, ...], env: Env) -> Value:
    return _absolute(a[0].eval(env))


def _round(a: tuple[Expr, ...], env: Env) -> Value:
    v = _number(a[0].eval(env))
    d = _number(a[1].eval(env))
    if isinstance(v, ExcelError):
        return v
    if isinstance(d, ExcelError):
        return d
    return _round_excel(v, int(d))


def _sum(a: tuple[Expr, ...], env: Env) -> Value:
    total = 0.0
    for arg in a:
        for item in _scalar(arg, env):
            if isinstance(item, ExcelError):
                return item
            if _is_number(item):
                total += float(item)  # type: ignore[arg-type]
    return total


def _min(a: tuple[Expr, ...], env: Env) -> Value:
    """MIN of numbers (text and blanks in ranges ignored; 0 when there is none)."""
    found: list[float] = []
    for arg in a:
        for item in _scalar(arg, env):
            if isinstance(item, ExcelError):
                return item
            if _is_number(item):
                found.append(float(item))  # type: ignore[arg-type]
    return min(found, default=0.0)


def _count(a: tuple[Expr, ...], env: Env) -> Value:
    """COUNT: numbers only; text, blanks and errors are not counted (and not passed on)."""
    return float(sum(1 for arg in a for item in _scalar(arg, env) if _is_number(item)))


def _sumifs(a: tuple[Expr, ...], env: Env) -> Value:
    sums = a[0].values(env)  # type: ignore[attr-defined]
    keep = [True] * len(sums)
    for rng, crit in zip(a[1::2], a[2::2], strict=True):
        hits = _criterion(crit.eval(env), rng, env)  # type: ignore[arg-type]
        keep = [k and h for k, h in zip(keep, hits, strict=True)]
    return _sum_kept(sums, keep)


def _sumif(a: tuple[Expr, ...], env: Env) -> Value:
    keep = _criterion(a[1].eval(env), a[0], env)  # type: ignore[arg-type]
    return _sum_kept(a[2].values(env), keep)  # type: ignore[attr-defined]


def _countif(a: tuple[Expr, ...], env: Env) -> Value:
    return float(sum(_criterion(a[1].eval(env), a[0], env)))  # type: ignore[arg-type]


def _countifs(a: tuple[Expr, ...], env: Env) -> Value:
    hits = [_criterion(crit.eval(env), rng, env) for rng, crit in zip(a[0::2], a[1::2], strict=True)]  # type: ignore[arg-type]
    return float(sum(all(row) for row in zip(*hits, strict=True)))


def _counta(a: tuple[Expr, ...], env: Env) -> Value:
    """COUNTA: every value that is not a blank cell (text, "" and errors too)."""
    return float(sum(1 for arg in a for item in _scalar(arg, env) if item is not None))


def _text_args(a: tuple[Expr, ...], env: Env, kinds: str) -> list[str | float] | ExcelError:
    """Arguments of a text function: "t" as text, "n" as a number; the first error is passed on."""
    out: list[str | float] = []
    for arg, kind in zip(a, kinds, strict=False):
        v = arg.eval(env)
        if isinstance(v, ExcelError):
            return v
        if kind == "t":
            out.append(_text(v))
        else:
            n = _number(v)
            if isinstance(n, ExcelError):
                return n
            out.append(n)
    return out


def _text_function(kinds: str, fn: Callable[..., Value]) -> Callable[[tuple[Expr, ...], Env], Value]:
    def call(a: tuple[Expr, ...], env: Env) -> Value:
        args = _text_args(a, env, kinds)
        return args if isinstance(args, ExcelError) else fn(*args)
    return call


def _left(text: str, n: float = 1.0) -> Value:
    return VALUE if n < 0 else text[: int(n)]


def _mid(text: str, start: float, n: float) -> Value:
    return VALUE if start < 1 or n < 0 else text[int(start) - 1: int(start) - 1 + int(n)]


def _find(needle: str, text: str, start: float = 1.0) -> Value:
    at = text.find(needle, int(start) - 1) if 1 <= start <= len(text) + 1 else -1
    return VALUE if at < 0 else float(at + 1)


def _value(a: tuple[Expr, ...], env: Env) -> Value:
    v = a[0].eval(env)
    if isinstance(v, bool):
        return VALUE
    return _number(v)


def _int(a: tuple[Expr, ...], env: Env) -> Value:
    v = _number(a[0].eval(env))
    return v if isinstance(v, ExcelError) else float(math.floor(v))


def _iferror(a: tuple[Expr, ...], env: Env) -> Value:
    v = a[0].eval(env)
    return a[1].eval(env) if isinstance(v, ExcelError) else v


def _isnumber(a: tuple[Expr, ...], env: Env) -> Value:
    return _is_number(a[0].eval(env))


def _is_error(v: Value) -> bool:
    return isinstance(v, ExcelError)


def _iserror(a: tuple[Expr, ...], env: Env) -> Value:
    return _is_error(a[0].eval(env))


def _trim(a: tuple[Expr, ...], env: Env) -> Value:
    v = a[0].eval(env)
    if isinstance(v, ExcelError):
        return v
    return " ".join(part for part in _text(v).split(" ") if part)  # spaces only, as Excel's TRIM


def _text_fn(a: tuple[Expr, ...], env: Env) -> Value:
    """TEXT(value, "0.00") and TEXT(value, "0"): the only formats the template uses."""
    v = _number(a[0].eval(env))
    fmt = a[1].eval(env)
    if isinstance(v, ExcelError):
        return v
    if fmt not in ("0", "0.00"):
        raise ValueError(f"TEXT format {fmt!r} is not supported")
    digits = 0 if fmt == "0" else 2
    x = _round_excel(v, digits)
    return f"{x:.{digits}f}" if x != 0 else f"{0:.{digits}f}"


def _sumproduct(a: tuple[Expr, ...], env: Env) -> Value:
    """SUMPRODUCT of one or more same-sized arrays; entries that are not numbers count as 0."""
    arrays = [_array(arg, env) for arg in a]
    n = max(len(x) if isinstance(x, list) else 1 for x in arrays)
    total = 0.0
    for i in range(n):
        product = 1.0
        for x in arrays:
            v = x[i] if isinstance(x, list) else x
            if isinstance(v, ExcelError):
                return v
            product *= float(v) if _is_number(v) else 0.0  # type: ignore[arg-type]
        total += product
    return total


def _array(e: Expr, env: Env) -> Value | list[Value]:
    """An expression evaluated element by element over the ranges in it (array context)."""
    if isinstance(e, Area):
        return e.values(env)
    if isinstance(e, BinOp):
        return _broadcast(lambda x, y: _binop(e.op, x, y), _array(e.left, env), _array(e.right, env))
    if isinstance(e, Neg):
        return _broadcast(lambda x, _: _negate(x), _array(e.operand, env), None)
    if isinstance(e, Call) and e.func in _ELEMENTWISE:
        one = _ELEMENTWISE[e.func]
        return _broadcast(lambda x, _: one(x), _array(e.args[0], env), None)
    if isinstance(e, Call) and e.func == "IF" and len(e.args) == 3:
        return _array_if(*(_array(x, env) for x in e.args))
    if isinstance(e, Call) and e.func == "SUM":
        return _array_sum([_array(x, env) for x in e.args])
    if isinstance(e, Call) and e.func == "IFERROR":
        value, fallback = _array(e.args[0], env), _array(e.args[1], env)
        if isinstance(value, list):
            return [fallback if isinstance(v, ExcelError) else v for v in value]  # type: ignore[misc]
        return fallback if isinstance(value, ExcelError) else value
    return e.eval(env)


def _array_if(cond: Value | list[Value], yes: Value | list[Value], no: Value | list[Value]) -> Value | list[Value]:
    """IF element by element: each element takes its branch's element, so an error in the branch not
    taken is not passed on."""
    def at(x: Value | list[Value], i: int) -> Value:
        return x[i] if isinstance(x, list) else x

    arrays = [x for x in (cond, yes, no) if isinstance(x, list)]
    if not arrays:
        return _pick(at(cond, 0), at(yes, 0), at(no, 0))
    n = len(arrays[0])
    if any(len(x) != n for x in arrays):
        return NA
    return [_pick(at(cond, i), at(yes, i), at(no, i)) for i in range(n)]


def _pick(cond: Value, yes: Value, no: Value) -> Value:
    t = _truth(cond)
    return t if isinstance(t, ExcelError) else (yes if t else no)


def _array_sum(parts: list[Value | list[Value]]) -> Value:
    """SUM in an array formula: numbers only (text, blanks and logical values do not count, so a
    comparison is summed as ``(…)*1``); an error is passed on."""
    total = 0.0
    for part in parts:
        for v in part if isinstance(part, list) else [part]:
            if isinstance(v, ExcelError):
                return v
            if _is_number(v):
                total += float(v)  # type: ignore[arg-type]
    return total


def _broadcast(op: Callable[[Value, Value], Value], x: Value | list[Value], y: Value | list[Value]) -> Value | list[Value]:
    if not isinstance(x, list) and not isinstance(y, list):
        return op(x, y)
    n = max(len(v) for v in (x, y) if isinstance(v, list))
    xs = x if isinstance(x, list) else [x] * n
    ys = y if isinstance(y, list) else [y] * n
    if len(xs) != len(ys):
        return NA
    return [op(p, q) for p, q in zip(xs, ys, strict=True)]


def _negate(v: Value) -> Value:
    n = _number(v)
    return n if isinstance(n, ExcelError) else -n


_ELEMENTWISE: dict[str, Callable[[Value], Value]] = {
    "ISNUMBER": _is_number,
    "ISERROR": _is_error,
    "NOT": _negation,
    "ABS": _absolute,
}

_FUNCTIONS: dict[str, Callable[[tuple[Expr, ...], Env], Value]] = {
    "IF": _if,
    "AND": _logical(all),
    "OR": _logical(any),
    "NOT": _not,
    "ABS": _abs,
    "ROUND": _round,
    "SUM": _sum,
    "MIN": _min,
    "COUNT": _count,
    "SUMIFS": _sumifs,
    "SUMIF": _sumif,
    "COUNTIF": _countif,
    "IFERROR": _iferror,
    "ISNUMBER": _isnumber,
    "ISERROR": _iserror,
    "TRIM": _trim,
    "TEXT": _text_fn,
    "SUMPRODUCT": _sumproduct,
    "COUNTA": _counta,
    "COUNTIFS": _countifs,
    "VALUE": _value,
    "INT": _int,
    "LEN": _text_function("t", lambda t: float(len(t))),
    "LEFT": _text_function("tn", _left),
    "MID": _text_function("tnn", _mid),
    "FIND": _text_function("ttn", _find),
    "SUBSTITUTE": _text_function("ttt", lambda t, old, new: t.replace(old, new) if old else t),
    "CLEAN": _text_function("t", lambda t: "".join(ch for ch in t if ord(ch) >= 32)),
}


def _sum_kept(values: list[Value], keep: list[bool]) -> Value:
    total = 0.0
    for v, k in zip(values, keep, strict=True):
        if not k:
            continue
        if isinstance(v, ExcelError):
            return v
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            total += float(v)
    return total


_OPS: dict[str, Callable[[float, float], float | bool]] = {  # also applied to strings and ranks by _compare
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "/": lambda x, y: x / y,
    "=": lambda x, y: x == y,
    "<>": lambda x, y: x != y,
    ">=": lambda x, y: x >= y,
    "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y,
    "<": lambda x, y: x < y,
}


@dataclass(frozen=True)
class BinOp(Expr):
    op: str
    left: Expr
    right: Expr

    def excel(self) -> str:
        def side(e: Expr) -> str:
            return f"({e.excel()})" if isinstance(e, BinOp) and _looser(e.op, self.op) else e.excel()

        right = self.right.excel()
        if isinstance(self.right, BinOp) and (
            _looser(self.right.op, self.op) or (self.op in "-/" and _same(self.right.op, self.op))
        ):
            right = f"({right})"
        return f"{side(self.left)}{self.op}{right}"

    def refs(self) -> Iterable[Ref]:
        yield from self.left.refs()
        yield from self.right.refs()

    def names(self) -> Iterable[str]:
        yield from self.left.names()
        yield from self.right.names()

    def bind(self, lookup: Callable[[str], Expr]) -> Expr:
        return BinOp(self.op, self.left.bind(lookup), self.right.bind(lookup))

    def eval(self, env: Env) -> Value:
        return _binop(self.op, self.left.eval(env), self.right.eval(env))


_COMPARISONS = frozenset(("=", "<>", ">=", "<=", ">", "<"))


def _binop(op: str, lv: Value, rv: Value) -> Value:
    if isinstance(lv, ExcelError):
        return lv
    if isinstance(rv, ExcelError):
        return rv
    if op == "&":
        return _text(lv) + _text(rv)
    if op in _COMPARISONS:
        return _compare(op, lv, rv)
    x = _number(lv)
    y = _number(rv)
    if isinstance(x, ExcelError):
        return x
    if isinstance(y, ExcelError):
        return y
    if op == "/" and y == 0:
        return DIV0
    return _OPS[op](x, y)


def _text(v: Value) -> str:
    """A value as text, the way & joins it."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return str(v)


def _rank(v: Value) -> int:
    return 2 if isinstance(v, bool) else 1 if isinstance(v, str) else 0


def _compare(op: str, lv: Value, rv: Value) -> bool:
    """Excel's comparison: a blank is 0, "" or FALSE as the other side needs; text compares without
    case; values of different types order as number < text < logical, without an error."""
    if lv is None:
        lv = rv.__class__() if isinstance(rv, (str, bool)) else 0.0
    if rv is None:
        rv = lv.__class__() if isinstance(lv, (str, bool)) else 0.0
    if isinstance(lv, str) and isinstance(rv, str):
        a: object = lv.casefold()
        b: object = rv.casefold()
    elif _rank(lv) == _rank(rv):
        a, b = float(lv), float(rv)  # type: ignore[arg-type]
    else:
        a, b = _rank(lv), _rank(rv)
    return bool(_OPS[op](a, b))  # type: ignore[arg-type]


_PRECEDENCE = {"=": 0, "<>": 0, ">=": 0, "<=": 0, ">": 0, "<": 0, "&": 1, "+": 2, "-": 2, "*": 3, "/": 3}


def _looser(inner: str, outer: str) -> bool:
    return _PRECEDENCE[inner] < _PRECEDENCE[outer]


def _same(inner: str, outer: str) -> bool:
    return _PRECEDENCE[inner] == _PRECEDENCE[outer]


@dataclass(frozen=True)
class Neg(Expr):
    operand: Expr

    def excel(self) -> str:
        return f"-{self.operand.excel()}"

    def eval(self, env: Env) -> Value:
        v = _number(self.operand.eval(env))
        return v if isinstance(v, ExcelError) else -v

    def refs(self) -> Iterable[Ref]:
        return self.operand.refs()

    def names(self) -> Iterable[str]:
        return self.operand.names()

    def bind(self, lookup: Callable[[str], Expr]) -> Expr:
        return Neg(self.operand.bind(lookup))


@dataclass(frozen=True)
class Array(Expr):
    """An array formula (Excel shows it as ``{=…}``): ``expr`` evaluated with its ranges element by
    element; the template writes it with ``write_array_formula``."""

    expr: Expr

    def excel(self) -> str:
        return self.expr.excel()

    def eval(self, env: Env) -> Value:
        v = _array(self.expr, env)
        return (v[0] if v else NA) if isinstance(v, list) else v

    def refs(self) -> Iterable[Ref]:
        return self.expr.refs()

    def names(self) -> Iterable[str]:
        return self.expr.names()

    def bind(self, lookup: Callable[[str], Expr]) -> Expr:
        return Array(self.expr.bind(lookup))


class Recalc:
    """An Env that recomputes formula cells from their inputs.

    Cells in ``formulas`` are evaluated (memoised) from their expression; every other cell is read
    from ``source``. Used by the checker with the template's formulas, so a typed-over or stale
    formula cell never feeds a score.
    """

    def __init__(self, source: Env, formulas: dict[tuple[str, str], Expr]):
        self.source = source
        self.formulas = {(s, *split_a1(c)): e for (s, c), e in formulas.items()}
        self._memo: dict[tuple[str, int, int], Value] = {}
        self._busy: set[tuple[str, int, int]] = set()
        self._areas: dict[tuple[str, tuple], list[Value]] = {}
        self._keys: dict[tuple[str, tuple], list[str]] = {}
        self._formula_cells: dict[str, set[tuple[int, int]]] = {}
        for s, r, c in self.formulas:
            self._formula_cells.setdefault(s, set()).add((r, c))

    def area_keys(self, sheet: str, coords: tuple) -> list[str]:
        """A range's cells as criteria compare them, normalised once per recalculation."""
        key = (sheet, coords)
        hit = self._keys.get(key)
        if hit is None:
            hit = self._keys[key] = [_key(v) for v in self.area_values(sheet, coords)]
        return hit

    def area_values(self, sheet: str, coords: tuple) -> list[Value]:
        """A range's values, read once per recalculation; straight from the source when no
        formula lies in it."""
        key = (sheet, coords)
        hit = self._areas.get(key)
        if hit is None:
            inside = self._formula_cells.get(sheet)
            bulk = getattr(self.source, "area_values", None)
            if bulk is not None and (not inside or inside.isdisjoint(coords)):
                hit = bulk(sheet, coords)
            else:
                at = self.value_at
                hit = [at(sheet, r, c) for r, c in coords]
            self._areas[key] = hit
        return hit

    def value(self, sheet: str, cell: str) -> Value:
        return self.value_at(sheet, *split_a1(cell))

    def value_at(self, sheet: str, row: int, col: int) -> Value:
        key = (sheet, row, col)
        expr = self.formulas.get(key)
        if expr is None:
            return self.source.value_at(sheet, row, col)
        if key in self._memo:
            return self._memo[key]
        if key in self._busy:  # a circular reference: Excel shows an error, so do we
            return ExcelError("#REF!")
        self._busy.add(key)
        try:
            v = expr.eval(self)
        finally:
            self._busy.discard(key)
        self._memo[key] = v
        return v


# ---------------------------------------------------------------------------------------------
# Rule-file expressions: "ABS(调整预算数 - 年初预算数 - 政策性调整剔除数)"

_AST_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def parse_expression(text: str) -> Expr:
    """Parse a rule file's arithmetic over 预算情况 keys: names, numbers, + - * /, ABS().

    Raises ValueError with a readable reason for anything else.
    """
    try:
        tree = ast.parse(str(text).strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"无法解析表达式 {text!r}: {exc.msg}") from None

    def conv(node: ast.AST) -> Expr:
        if isinstance(node, ast.Name):
            return Name(node.id)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return Num(float(node.value))
        if isinstance(node, ast.BinOp) and type(node.op) in _AST_OPS:
            return BinOp(_AST_OPS[type(node.op)], conv(node.left), conv(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return Neg(conv(node.operand))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id.upper() == "ABS"
            and len(node.args) == 1
            and not node.keywords
        ):
            return Call("ABS", (conv(node.args[0]),))
        raise ValueError(f"表达式 {text!r} 中有不支持的写法（只能用预算情况的项目名、数字、+ - * / 和 ABS()）")

    return conv(tree.body)


# ---------------------------------------------------------------------------------------------
# Comparing formula texts


_XLFN = re.compile(r"_xlfn\.", re.I)
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=4096)
def normalize_formula(text: str) -> str:
    """A formula's text in a form where equal formulas compare equal.

    Differences that do not change what a formula computes are removed: the leading '=',
    whitespace, '$' anchors, quotes around sheet names, the `_xlfn.` prefix and letter case
    outside string literals. One pass over the text (its literals found by ``formula_segments``).
    """
    text = text.strip()
    if text.startswith("="):
        text = text[1:]
    parts: list[str] = []
    for code, literal in formula_segments(text):
        parts.append(_XLFN.sub("", _SPACE.sub("", code)).replace("$", "").upper())
        if literal.startswith("'"):  # a quoted sheet name: compared bare, in any case
            parts.append(literal[1:-1].replace("''", "'").upper() if literal.endswith("'") else literal.upper())
        else:
            parts.append(literal)
    return "".join(parts)
