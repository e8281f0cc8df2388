"""load_results: a batch's results.json as DataFrames that hold what the file holds, every row of
it, with the documented columns; a file not as a batch writes it refused, never half read."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from selfeval_xl.batch.run import run_batch
from selfeval_xl.batch.tasks import BatchOptions
from selfeval_xl.outputs import frames
from selfeval_xl.outputs.frames import (
    BUDGET_KEYS,
    FINDING_COLUMNS,
    INDICATOR_COLUMNS,
    UNIT_COLUMNS,
    load_results,
)
from selfeval_xl.outputs.results_file import ResultsFileError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def batch(tmp_path_factory, request):
    """A real batch of the samples (their errors, warnings and a failed file among them)."""
    sample_files = request.getfixturevalue("sample_files")
    root = tmp_path_factory.mktemp("frames")
    inbox = root / "报送"
    inbox.mkdir()
    for path in sample_files.values():
        shutil.copy(path, inbox / path.name)
    (inbox / "损坏的文件.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    out = run_batch(inbox, root / "审核结果", BatchOptions(jobs=1, summary=False)).outdir
    objects = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return out, objects


def test_every_result_row_and_finding_is_a_row(batch):
    out, objects = batch
    r = load_results(out)
    assert len(r.units) == len(r.budget) == len(objects) == len(list((out.parent / "报送").iterdir()))
    assert len(r.indicators) == sum(len(o.get("rows", [])) for o in objects) > 0
    assert len(r.findings) == sum(len(o.get("findings", [])) for o in objects) > 0
    assert r.units["file"].is_unique


def test_the_columns_are_the_documented_ones(batch):
    out, _objects = batch
    r = load_results(out / "results.json")  # the file itself, as well as its folder
    assert tuple(r.units.columns) == UNIT_COLUMNS
    assert tuple(r.indicators.columns) == INDICATOR_COLUMNS
    assert tuple(r.findings.columns) == FINDING_COLUMNS
    assert tuple(r.budget.columns[:3]) == BUDGET_KEYS and {"预算执行数", "预算执行率"} <= set(r.budget.columns)
    doc = frames.__doc__ or ""
    for column in (*UNIT_COLUMNS, *INDICATOR_COLUMNS, *FINDING_COLUMNS):
        assert re.search(rf"(?<![\w]){re.escape(column)}(?![\w])", doc), column
    assert str(r.units["year"].dtype) == "Int64" and r.units["total"].dtype == "float64"
    assert r.indicators["核定得分"].dtype == "float64" and str(r.indicators["行号"].dtype) == "Int64"


def test_the_values_are_the_files(batch):
    out, objects = batch
    r = load_results(out)
    units = r.units.set_index("file")
    budget = r.budget.set_index("file")
    for o in objects:
        u = units.loc[o["file"]]
        assert (u["unit_code"], u["competent_dept"], u["status"], u["grade"]) == (
            o["unit_code"], o["competent_dept"], o["status"], o["grade"])
        assert (math.isnan(u["total"]) if o["total"] is None else u["total"] == o["total"])
        assert (pd.isna(u["year"]) if o["year"] is None else u["year"] == o["year"])
        assert (u["errors"], u["warnings"], u["infos"]) == (o["counts"]["错误"], o["counts"]["警告"], o["counts"]["提示"])
        for key, value in {**o["budget"], **o["rates"]}.items():
            got = budget.loc[o["file"], key]
            assert (pd.isna(got) if value is None else got == value), (o["file"], key)
        rows = r.indicators[r.indicators["file"] == o["file"]]
        assert rows["三级指标"].tolist() == [x["三级指标"] for x in o["rows"]]
        assert [None if pd.isna(v) else v for v in rows["核定得分"]] == [x["核定得分"] for x in o["rows"]]
        found = r.findings[r.findings["file"] == o["file"]]
        assert found[["code", "cell", "message"]].values.tolist() == [[f["code"], f["cell"], f["message"]] for f in o["findings"]]
    assert set(r.units["status"]) >= {"ok", "errors", "failed"}


def test_an_empty_batch_gives_empty_frames_with_their_columns(tmp_path):
    (tmp_path / "results.json").write_text("[]\n", encoding="utf-8")
    r = load_results(tmp_path)
    assert (len(r.units), len(r.indicators), len(r.budget), len(r.findings)) == (0, 0, 0, 0)
    assert tuple(r.units.columns) == UNIT_COLUMNS and tuple(r.findings.columns) == FINDING_COLUMNS


@pytest.mark.parametrize(("change", "named"), [
    (lambda o: o.update(total="99"), "total"),  # what the batch's reader checks
    (lambda o: o["rows"][0].update({"核定得分": "1"}), "核定得分"),  # what only frames read
    (lambda o: o["rows"].append([1, 2]), "rows"),
    (lambda o: o["findings"].append({"code": 201}), "code"),
    (lambda o: o["rates"].update({"预算执行率": "97%"}), "预算执行率"),
    (lambda o: o["counts"].update({"警告": -1}), "警告"),
])
def test_a_file_not_as_a_batch_writes_it_is_refused_naming_the_result(batch, tmp_path, change, named):
    objects = json.loads(json.dumps(batch[1]))
    second = next(i for i, o in enumerate(objects) if o["rows"] and i > 0)
    change(objects[second])
    text = "[\n" + ",\n".join(json.dumps(o, ensure_ascii=False) for o in objects) + "\n]\n"
    (tmp_path / "results.json").write_text(text, encoding="utf-8")
    with pytest.raises(ResultsFileError) as caught:
        load_results(tmp_path)
    assert f"第 {second + 1} 个结果" in str(caught.value) and named in str(caught.value)


def test_an_absent_file_is_named(tmp_path):
    with pytest.raises(ResultsFileError, match="找不到"):
        load_results(tmp_path / "nowhere")


def readme_example() -> str:
    """The Python block of the README's "Reading results in pandas"."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Reading results in pandas", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S)[1]  # type: ignore[index]


def test_the_readme_example_runs(batch, tmp_path, monkeypatch, capsys):
    out, _objects = batch
    shutil.copytree(out, tmp_path / "审核结果", symlinks=True)
    monkeypatch.chdir(tmp_path)
    code = readme_example()
    assert 3 <= len(code.strip().splitlines()) <= 6
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "mean" in printed and "三级指标" in printed
