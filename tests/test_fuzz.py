"""The fuzzer's CI run and the regression file of every failure class issue 13 lists.

The long run is by hand: ``python -m tests.fuzz.run --cases 10000`` (tests/fuzz/run.py).
"""

from __future__ import annotations

import pytest

from selfeval_xl.batch.run import run_batch
from selfeval_xl.batch.tasks import BatchOptions
from selfeval_xl.check.assess import assess
from selfeval_xl.core import names as S
from selfeval_xl.outputs.results import unit_result
from selfeval_xl.outputs.scored_copy import scored_copy_bytes

from .fuzz.checks import copy_problems, strict_json
from .fuzz.regressions import CASES, FOLDER, SAME, SCORED, SOURCE, build
from .fuzz.run import run


def _key(a) -> dict:
    d = unit_result(a).to_json_dict()
    d.pop("file"), d.pop("sha256")
    return d


@pytest.fixture(scope="module")
def source_key():
    return _key(assess(SOURCE))


def test_the_regression_files_are_in_step_with_their_generator():
    for case in CASES:
        assert (FOLDER / f"{case.name}.xlsx").read_bytes() == build(case), \
            f"run `python -m tests.fuzz.regressions` ({case.name})"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.slow
def test_regression(case, source_key):
    path = FOLDER / f"{case.name}.xlsx"
    a = assess(path)
    strict_json(__import__("json").dumps(unit_result(a).to_json_dict(), allow_nan=False))
    if case.expect == SAME:
        assert _key(a) == source_key, case.what
    elif case.expect == SCORED:
        assert not a.failed, (case.what, a.findings[:1])
    else:
        assert a.failed and a.findings[0].code == case.expect, (case.what, a.findings[:1])
        return
    copy = scored_copy_bytes(a)  # a copy for every file check could score
    assert not copy_problems(path.read_bytes(), copy), (case.what, copy_problems(path.read_bytes(), copy))
    CHECKS.get(case.name, lambda a, copy: None)(a, copy)


def _single_quotes_v207(a, copy):
    assert [(f.code, f.sheet, f.cell) for f in a.findings if f.code == "V207"] == [("V207", S.BASIC, "B3")]


def _nan_budget(a, copy):
    f = next(f for f in a.findings if f.code == "V207")
    assert (f.sheet, f.cell, f.actual) == (S.BUDGET, "B3", "#NUM!")
    assert unit_result(a).to_json_dict()["budget"]["年初预算数"] is None


def _comments_single_quoted(a, copy):
    import io

    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(copy))[S.BASIC]
    assert ws["B3"].comment.text == "全称以公章为准"  # theirs, kept
    assert "V201" in ws["B5"].comment.text  # ours, added


def _negative_date(a, copy):
    assert a.submission.basic.fill_date == "-1000000000000000"  # no date that far back: the number as typed


def _no_dangling_style(a, copy):
    from .fuzz.checks import Parts

    assert not Parts(copy).bad_styles()  # every style a cell names is in the copy's stylesheet


def _styles_to_workbook(a, copy):
    import io
    import zipfile

    from lxml import etree

    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(copy)).read("xl/workbook.xml"))
    assert etree.QName(root).localname == "workbook" and root.find("{*}fonts") is None


def _alternate_content_kept(a, copy):
    """The choice-with-fallback entry of cellXfs is kept whole and counts as one style."""
    import io
    import zipfile

    from lxml import etree

    from .fuzz.checks import Parts

    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(copy)).read("xl/styles.xml"))
    xfs = root.find("{*}cellXfs")
    kept = [el for el in xfs if etree.QName(el).localname == "AlternateContent"]
    assert len(kept) == 1 and len(kept[0].findall(".//{*}xf")) == 2  # not flattened into two styles
    assert int(xfs.get("count")) == len([el for el in xfs if isinstance(el.tag, str)])
    assert not Parts(copy).bad_styles()


CHECKS = {"single_quotes_v207": _single_quotes_v207, "nan_budget": _nan_budget,
          "comments_single_quoted": _comments_single_quoted, "negative_date_serial": _negative_date,
          "styles_rel_to_workbook": _styles_to_workbook, "external_styles_rel": _no_dangling_style,
          "self_closing_stylesheet": _no_dangling_style, "alternate_content_styles": _alternate_content_kept}


@pytest.mark.slow
def test_every_regression_file_in_one_batch(tmp_path):
    """Through the batch, as the auditor runs it: every file answered, results.json strict JSON."""
    result = run_batch(FOLDER, tmp_path / "out", BatchOptions(jobs=2, timeout=30))
    results = strict_json((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert len(results) == len(CASES) and result.internal == 0
    by_file = {r["file"]: r for r in results}
    for case in CASES:
        r = by_file[f"{case.name}.xlsx"]
        if case.expect in (SAME, SCORED):
            assert r["status"] in ("ok", "errors") and r["copy"], case.name
        else:
            assert r["findings"][0]["code"] == case.expect, case.name


@pytest.mark.slow
def test_the_fuzzer_ci_run(tmp_path):
    """A few hundred seeded mutations (zip, XML and value level) through a real batch: every file
    answered; no traceback, crash, hang or memory blow-up; every copy passes the inspection."""
    report = run(range(100_000, 100_300), tmp_path, jobs=2)
    assert not report.failures, "\n".join(report.lines())
    assert report.cases == 300 and sum(report.statuses.values()) == 300
    assert report.statuses["ok"] + report.statuses["errors"] >= 30  # enough of them reach the reader
