"""What a clerk types into the template (``Filling``), and the typical mistakes the samples and
tests carry (a value typed, a formula overwritten, a saved value): ``write_template(path, rules,
filling)`` writes them in. Used to make the samples, the examples, the benchmark corpus and the
tests' files; a department never sees this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from selfeval_xl.core.formulas import Expr, Ref, parse_expression
from selfeval_xl.form.layout import Layout

__all__ = ["CellEdit", "CommonAnswer", "Filling", "FormulaText", "OwnIndicator", "SavedValue", "Typed"]



@dataclass
class CommonAnswer:
    """The department's entries on a common (fixed) indicator row."""

    actual: Any = None  # 实际完成值 (ignored on rate rows: a formula computes it)
    self_score: float | None = None
    reason: str = ""


@dataclass
class OwnIndicator:
    """A department's own row (个性指标) under 产出指标 or 效益指标."""

    level2: str
    name: str
    weight: float | None
    target: Any
    actual: Any
    self_score: float | None = None
    reason: str = ""
    note: str = ""


@dataclass(frozen=True)
class Typed:
    """A value typed over a cell (over a formula: the X301 mistake)."""

    value: Any


@dataclass(frozen=True)
class FormulaText:
    """A formula written by hand into a cell, with the value a spreadsheet saved for it: by default
    the value it computes, for arithmetic over cells of its own sheet (``+ - * /``, ``ABS``), as
    Excel, LibreOffice and Gnumeric compute it; given only for what the evaluator cannot read."""

    text: str
    saved: Any = None

    def expression(self, sheet: str) -> Expr:
        return parse_expression(self.text.removeprefix("=")).bind(lambda name: Ref(None, name, home=sheet))


@dataclass(frozen=True)
class SavedValue:
    """The template's formula kept, but with this saved value (a stale result: X303)."""

    value: Any


CellEdit = Typed | FormulaText | SavedValue


@dataclass
class Filling:
    """Everything a department enters. Keys of ``basic`` are 基本信息 labels, of ``budget`` the
    rule set's budget keys, of ``common`` the 三级指标 of the common rows; ``own`` maps an
    一级指标 to its rows (more rows than the template has means rows were inserted)."""

    basic: dict[str, Any] = field(default_factory=dict)
    goals: list[str] = field(default_factory=list)
    tasks: list[tuple[str, str, str]] = field(default_factory=list)
    budget: dict[str, Any] = field(default_factory=dict)
    common: dict[str, CommonAnswer] = field(default_factory=dict)
    own: dict[str, list[OwnIndicator]] = field(default_factory=dict)
    problems: list[tuple[str, str, str]] = field(default_factory=list)
    #: the rule set's 加分、扣分 (times) and 一票否决 (是/否) rows of 基本信息, by item
    declared: dict[str, Any] = field(default_factory=dict)
    #: edits by (sheet, A1) applied last, given the layout: how samples carry typical mistakes
    edits: Callable[[Layout], dict[tuple[str, str], CellEdit]] | None = None
