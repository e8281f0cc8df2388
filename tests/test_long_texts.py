"""A submitted text longer than a cell holds (32,767 characters: Excel's and WPS's limit; a program
other than Excel can write more) is cut where the tool writes it, with a visible mark of the cut,
and the same cut in every output: check's JSON, results.json, the journal, findings.csv and the
summary. Before, a 3-million-character 实际完成值 was copied whole into each row and finding (a
27 MB results.json and a 54 MB journal), while the summary cut it silently."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import openpyxl
import pytest

from selfeval_xl.batch.run import run_batch
from selfeval_xl.batch.tasks import JOURNAL, SUMMARY_XLSX, BatchOptions
from selfeval_xl.core.sanitize import EXCEL_MAX_TEXT, clean_text, cut_text
from selfeval_xl.outputs.results_file import FINDINGS_CSV, RESULTS_JSON

from .conftest import ROOT
from .hugefile import huge_text, make_huge_submission

CHARS = 100_000


def _strings(value, path=""):
    """(path, text) of every string of a JSON value."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}/{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}/{i}")


def test_cut_text_keeps_a_cell_and_says_where_it_was_cut():
    assert cut_text("短") == "短" and cut_text("x" * EXCEL_MAX_TEXT) == "x" * EXCEL_MAX_TEXT
    text = "x" * (EXCEL_MAX_TEXT + 1)
    cut = cut_text(text)
    assert len(cut) == EXCEL_MAX_TEXT and cut.endswith("…（全文共 32,768 字，以下略去）")
    assert text.startswith(cut[:cut.index("…（全文共")])
    assert cut_text(cut) == cut and clean_text(text) == cut  # the same cut in every writer


@pytest.mark.parametrize("where", ["actual", "name"])
@pytest.mark.slow
def test_a_huge_text_is_cut_the_same_in_every_output(tmp_path, where):
    """100,000 characters in one 实际完成值 (V204, quoted in its message and 审核意见) or one
    三级指标: no text of check's JSON or of results.json is longer than a cell; the cut ones end
    with the mark and start as typed; results.json, the journal, findings.csv and the summary
    carry the same text."""
    indir = tmp_path / "in"
    indir.mkdir()
    path = make_huge_submission(indir / "huge.xlsx", CHARS, where=where)
    typed = huge_text(CHARS)
    out = subprocess.run(["prlimit", "--as=2000000000", sys.executable, "-m", "selfeval_xl", "check", "--format",
                          "json", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    checked = json.loads(out.stdout)[0]
    long = [(p, s) for p, s in _strings(checked) if len(s) > 1000]
    assert long, "the huge text is in the result"
    for p, s in long:
        assert len(s) <= EXCEL_MAX_TEXT and s.endswith("字，以下略去）"), p
    row = next(r for r in checked["rows"] if len(r["三级指标" if where == "name" else "实际完成值"]) > 1000)
    shown = row["三级指标" if where == "name" else "实际完成值"]
    assert shown == cut_text(typed)

    outdir = tmp_path / "out"
    run_batch(indir, outdir, BatchOptions(jobs=1, memory_mb=2000))
    result = json.loads((outdir / RESULTS_JSON).read_text(encoding="utf-8").strip().lstrip("[").rstrip("]"))
    assert result["rows"] == checked["rows"] and result["findings"] == checked["findings"]
    assert (outdir / RESULTS_JSON).stat().st_size < 10 * EXCEL_MAX_TEXT * 3  # a few cut texts, never the whole
    assert max(len(line) for line in (outdir / JOURNAL).read_bytes().splitlines()) < 20 * EXCEL_MAX_TEXT * 3
    messages = {f["message"] for f in checked["findings"]}
    with open(outdir / FINDINGS_CSV, encoding="utf-8-sig", newline="") as fh:
        csv_messages = {r[k] for r in csv.DictReader(fh) for k in r if r[k] in messages}
    assert csv_messages == messages
    book = openpyxl.load_workbook(outdir / SUMMARY_XLSX, read_only=True)
    cells = {c for ws in book.worksheets for r in ws.iter_rows(values_only=True) for c in r if isinstance(c, str)}
    assert all(len(c) <= EXCEL_MAX_TEXT for c in cells)
    if where == "actual":  # its V204 is on 问题清单 as results.json has it
        assert messages & cells == messages
