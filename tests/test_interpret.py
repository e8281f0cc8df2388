"""The interpret stage (issue 20 item 3): no hidden order between the stages.

``interpret`` reads the submission once into an ``Interpretation``; every check and scoring read it
and none changes it. Before, ``check_budget`` and ``check_indicators`` left the rates and the lines on
a shared ``Context`` that scoring read: scoring before the checks scored no row, and running the
checks twice listed every row twice. The whole-pipeline proof (every finding, cell and score of the
samples, the examples, the fuzz regressions and 400 fuzz cases identical before and after the
change) is the comparison in the README's "How it reads a workbook"; these tests hold the
properties that made it possible.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from selfeval_xl.check.assess import assess, read_by_version
from selfeval_xl.check.intake import open_package
from selfeval_xl.check.interpret import Interpretation, interpret
from selfeval_xl.check.score import score_lines
from selfeval_xl.check.validate import CHECKS, run_checks

ROOT = Path(__file__).resolve().parent.parent
FILES = [*sorted((ROOT / "samples").glob("*.xlsx")), *sorted((ROOT / "examples").glob("*/*.xlsx"))]


def _interpreted(path: Path) -> Interpretation:
    sub, rules, chosen = read_by_version(open_package(path))
    return interpret(sub, rules, chosen)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_scoring_needs_no_check_and_the_checks_need_no_order(path):
    interp = _interpreted(path)
    scored_first = score_lines(interp)
    assert scored_first[0].rows, "every sample has indicator rows to score"
    findings = run_checks(interp)
    assert score_lines(interp) == scored_first  # the checks changed nothing scoring reads
    assert run_checks(interp) == findings  # nor anything they read themselves: twice is the same
    each = {check.__name__: list(check(interp)) for check in reversed(CHECKS)}  # any order, each alone
    assert [f for check in CHECKS for f in each[check.__name__]] == findings


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_the_pipeline_is_the_stages_in_order(path):
    """``assess`` is read → interpret → validate → score and nothing else: the same scores, and the
    same findings, as the stages called one by one."""
    interp = _interpreted(path)
    scores, score_findings = score_lines(interp)
    a = assess(path)
    assert a.scores == scores
    assert sorted(map(repr, a.findings)) == sorted(map(repr, run_checks(interp) + score_findings))
    assert a.rates == {k: r.value for k, r in interp.budget.rates.items()}


def test_what_reading_found_is_data_of_the_interpretation():
    """Sample 05 has a 预算情况 figure and indicator rows that cannot be read: the interpretation
    carries those findings with the values, and validate reports exactly them, once."""
    interp = _interpreted(ROOT / "samples" / "05_花园路街道办事处_2022.xlsx")
    read = [*interp.declared_findings, *interp.budget.findings, *(f for line in interp.lines for f in line.findings)]
    assert read
    reported = run_checks(interp)
    for f in read:
        assert reported.count(f) == read.count(f)
    blocked = [line for line in interp.lines if line.blocked]
    assert blocked and all(any(f.message == line.blocked for f in line.findings) for line in blocked)


def test_the_interpretation_cannot_be_changed():
    interp = _interpreted(FILES[0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        interp.lines = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        interp.budget.rates = {}  # type: ignore[misc]
    assert isinstance(interp.lines, tuple)
