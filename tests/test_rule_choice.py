"""The right rules without asking (issue 18, item 6).

A workbook made from a bundled rule set's template is checked by that set unless --rules says
otherwise; --rules wins for every file; a version no bundled set writes is said once, plainly, and
the workbook is checked by the set its sheets fit best; a batch of mixed templates scores each by
its own and its summary says which.
"""

from __future__ import annotations

import json
import shutil

import openpyxl
import pytest
from click.testing import CliRunner

from selfeval_xl.batch.journal import journal_rules_key
from selfeval_xl.batch.run import run_batch
from selfeval_xl.batch.tasks import BatchOptions
from selfeval_xl.check.assess import assess
from selfeval_xl.cli.commands import main
from selfeval_xl.outputs.summary import UNIT_COLUMNS
from selfeval_xl.rules.model import bundled_by_version, load_rules, rules_name

from .conftest import ROOT, rezip

FOUR_PART = ROOT / "examples" / "four-part" / "01_某区教育局_2024.xlsx"
MOF_PROJECT = ROOT / "examples" / "mof-project" / "01_某县农村公路建设项目_2024.xlsx"
DEFAULT = ROOT / "samples" / "02_市场监督管理局_2023.xlsx"
STRUCTURE = ("S101", "S102", "S103", "S104")


def _same(a, b):
    assert [f.to_dict() for f in a.findings] == [f.to_dict() for f in b.findings]
    assert (a.scores.total, a.scores.grade) == (b.scores.total, b.scores.grade)


@pytest.mark.parametrize("path, name", [(FOUR_PART, "four-part"), (MOF_PROJECT, "mof-project"), (DEFAULT, "default")])
def test_a_workbook_is_checked_by_the_rules_its_template_names(path, name):
    chosen = assess(path)
    assert rules_name(chosen.rules) == name and chosen.rules_version == load_rules(name).version
    assert not [f for f in chosen.findings if f.code in STRUCTURE]
    _same(chosen, assess(path, load_rules(name)))


def test_rules_given_win_for_every_file():
    """--rules default on a four-part workbook: checked by default, as asked (and S103 says the
    template is not the one those rules expect)."""
    a = assess(FOUR_PART, load_rules("default"))
    assert a.rules_version == load_rules("default").version
    assert any(f.code == "S103" for f in a.findings) and a.errors > 20  # the wrong template for these rules


def test_check_without_rules_gives_no_wrong_advice():
    """The issue's case: a four-part workbook checked by `check` without --rules got 85-101 errors
    telling the clerk not to change the template's labels, and an S103 telling her to change
    templates."""
    r = CliRunner().invoke(main, ["check", str(FOUR_PART), "--format", "json"])
    found = json.loads(r.output)[0]
    assert found["rules"] == "four-part" and found["counts"]["错误"] == 0
    assert not [f for f in found["findings"] if f["code"] in STRUCTURE]
    assert "评分细则：four-part" in CliRunner().invoke(main, ["check", str(FOUR_PART)]).output


def _with_version(src, dst, old, new):
    def change(parts):
        sst = parts["xl/sharedStrings.xml"]
        assert sst.count(f"<t>{old}</t>".encode()) == 1
        parts["xl/sharedStrings.xml"] = sst.replace(f"<t>{old}</t>".encode(), f"<t>{new}</t>".encode())
    return rezip(src, dst, change)


@pytest.mark.parametrize("src, name", [(FOUR_PART, "four-part"), (DEFAULT, "default")])
def test_an_unknown_version_is_said_once_and_the_closest_rules_check_it(tmp_path, src, name):
    """A version no bundled set writes (last year's, a bureau's own): one S103 that says so, names
    the set it was checked by and how to give the bureau's rule file; not dozens of findings about
    labels a wrong rule set expects."""
    old = load_rules(name).version
    path = _with_version(src, tmp_path / "old.xlsx", old, "2025.1")
    a = assess(path)
    assert rules_name(a.rules) == name
    structure = [f for f in a.findings if f.code in STRUCTURE]
    assert [f.code for f in structure] == ["S103"]
    message = structure[0].message
    assert "2025.1" in message and f"“{name}”" in message and "--rules" in message
    assert all(f"{rules_name(r)} {v}" in message for v, r in bundled_by_version().items())
    given = assess(path, load_rules(name))  # the same, but S103 as before when the rules are given
    assert [f.code for f in given.findings if f.code in STRUCTURE] == ["S103"]
    assert given.scores.total == a.scores.total


@pytest.mark.slow
def test_a_batch_of_mixed_templates_scores_each_by_its_own(tmp_path):
    indir = tmp_path / "in"
    indir.mkdir()
    for p in (FOUR_PART, MOF_PROJECT, DEFAULT):
        shutil.copy(p, indir / p.name)
    out = tmp_path / "out"
    run_batch(indir, out, BatchOptions(jobs=1))
    results = {r["file"]: r for r in json.loads((out / "results.json").read_text(encoding="utf-8"))}
    assert {f: r["rules"] for f, r in results.items()} == {
        FOUR_PART.name: "four-part", MOF_PROJECT.name: "mof-project", DEFAULT.name: "default"}
    for p in (FOUR_PART, MOF_PROJECT, DEFAULT):
        assert results[p.name]["total"] == assess(p).scores.total
    ws = openpyxl.load_workbook(out / "审核汇总.xlsx")["单位得分"]
    rules_col = UNIT_COLUMNS.index("规则") + 1
    assert ws.cell(1, rules_col).value == "规则"
    assert {ws.cell(r, rules_col).value for r in range(2, 5)} == {"four-part", "mof-project", "default"}
    # the same folder with --rules: every file is done again (the journal knows the choice changed)
    again = run_batch(indir, out, BatchOptions(jobs=1, rules_path=load_rules("default").source))
    assert again.skipped == 0


def test_the_journal_tells_a_given_rule_file_from_the_choice_by_version():
    default = load_rules("default")
    assert journal_rules_key(None, default) != journal_rules_key(default.source, default)


def test_an_empty_version_is_said_once_too(tmp_path):
    path = _with_version(FOUR_PART, tmp_path / "empty.xlsx", load_rules("four-part").version, "")
    a = assess(path)
    assert rules_name(a.rules) == "four-part"  # the set its sheets fit
    structure = [f for f in a.findings if f.code in STRUCTURE]
    assert [f.code for f in structure] == ["S103"] and "模板版本为空" in structure[0].message
    assert "--rules" in structure[0].message


def _summary_of(tmp_path, *files):
    indir = tmp_path / "in"
    indir.mkdir()
    for p in files:
        shutil.copy(p, indir / p.name)
    run_batch(indir, tmp_path / "out", BatchOptions(jobs=1))
    return openpyxl.load_workbook(tmp_path / "out" / "审核汇总.xlsx")


def _grade_rows(overview):
    """总览's grade distribution: label -> count."""
    cells = [[c.value for c in row] for row in overview.iter_rows()]
    start = next(i for i, r in enumerate(cells) if r[0] == "二、核定等级分布") + 2
    rows = {}
    for r in cells[start:]:
        if not r[0] or str(r[0]).startswith("三、"):
            break
        rows[r[0]] = r[1]
    return rows


@pytest.mark.slow
def test_a_mixed_batchs_summary_follows_each_units_rule_set(tmp_path):
    """Two default units, a four-part and a mof-project one, without --rules: 指标明细 holds the
    default units under the default's columns (not the others' scores under columns of another
    set, blank), 总览 says which sets scored how many units and what 指标明细 then holds, every
    unit is in a row of the grade distribution (four-part's 优秀…不合格 were in none), and each
    grade is coloured by its own set."""
    other_default = ROOT / "samples" / "03_文化路第一小学_2022.xlsx"
    wb = _summary_of(tmp_path, DEFAULT, other_default, FOUR_PART, MOF_PROJECT)
    detail = wb["指标明细"]
    names = [r[1] for r in detail.iter_rows(min_row=3, values_only=True) if r[0]]
    assert sorted(names) == sorted(assess(p).unit_name for p in (DEFAULT, other_default))
    assert [c.value for c in detail[1]][3].replace("\n", "") == load_rules("default").indicators[0].name  # broken into lines
    note = wb["总览"]["A2"].value
    assert "default 2026.3 2 个单位，four-part 2026.3-4 1 个，mof-project 2026.3-P 1 个" in note
    assert "指标明细只列按 default 评分的单位" in note
    grades = _grade_rows(wb["总览"])
    four_part = assess(FOUR_PART).scores.grade
    assert grades[f"{four_part}（four-part）"] == 1 and sum(grades.values()) == 4
    coloured = {r.formula[0].strip('"') for cf in wb["单位得分"].conditional_formatting for r in cf.rules if r.formula}
    assert {g.grade for g in load_rules("four-part").grades} <= coloured


def test_a_batch_of_one_other_template_has_its_columns(tmp_path):
    """Every file four-part, no --rules: the summary is four-part's (it was the default's, whose
    indicators none of them has)."""
    second = ROOT / "examples" / "four-part" / "02_某区卫生健康委员会_2024.xlsx"
    wb = _summary_of(tmp_path, FOUR_PART, second)
    header = [c.value for c in wb["指标明细"][1]]
    assert header[3].replace("\n", "") == load_rules("four-part").indicators[0].name  # broken into lines
    assert len([r for r in wb["指标明细"].iter_rows(min_row=3, values_only=True) if r[0]]) == 2
    assert wb["总览"]["A2"].value.startswith("评分细则版本 2026.3-4")
    assert set(_grade_rows(wb["总览"])) == {g.grade for g in load_rules("four-part").grades}


def test_the_consolidation_colours_each_grade_by_a_set_that_names_it():
    """Results of default and four-part units consolidated: 优秀 takes four-part's best colour, as
    优 takes the default's (they were coloured by the order of their scores)."""
    from selfeval_xl.outputs.consolidation import Unit, grade_colors
    from selfeval_xl.outputs.summary import GRADE_COLORS, grade_color

    def unit(grade, total):
        return Unit("", "", "", "", "", 2024, total, grade, None, 0, {})

    colors = grade_colors([unit("优", 95), unit("合格", 92), unit("优秀", 91), unit("差", 50)])
    assert colors["优"] == colors["优秀"] == GRADE_COLORS[0]
    assert colors["合格"] == grade_color(2, 4) and colors["差"] == grade_color(3, 4)
