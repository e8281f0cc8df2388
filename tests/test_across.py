"""Checks across the submissions of a batch, and a batch that reads only submissions (issue 10).

C601: a copied paragraph, slightly edited, is found in both units, each naming the other; MinHash/LSH
finds the same pairs as comparing every pair. C602: all self scores full. C603: a target lowered
from last year (--previous). The findings reach results.json, findings.csv, the summary's 问题清单
and the scored copies. A second batch inside the input folder reads exactly the submissions; scored
copies respect the umask.
"""

from __future__ import annotations

import csv
import json
import os
import random
import stat

import openpyxl
import pytest
from click.testing import CliRunner

from selfeval_xl.batch.across import SIMILAR, Text, jaccard, shingles, similar_pairs
from selfeval_xl.batch.run import run_batch
from selfeval_xl.batch.tasks import BatchOptions
from selfeval_xl.cli.commands import main
from selfeval_xl.core import names as S
from selfeval_xl.form.filling import OwnIndicator
from selfeval_xl.form.template import write_template

from .conftest import make_samples

PARAGRAPH = ("年中因上级追加疫情防控和基层治理专项任务，部分项目资金调整用于应急物资采购，原定的老旧小区改造二期工程"
             "推迟至次年一季度实施，导致预算执行进度低于序时进度，下一步将加强预算执行监控，按月通报执行进度。")
EDITED = PARAGRAPH.replace("老旧小区改造二期", "背街小巷整治").replace("一季度", "二季度").replace("，", "；", 2)


def _write(folder, name, filling):
    path = folder / name
    write_template(path, filling=filling)
    return path


@pytest.fixture(scope="module")
def batch_out(tmp_path_factory):
    """A batch of four: two units sharing a paragraph (one slightly edited), one with every self
    score full, one plain."""
    src = tmp_path_factory.mktemp("across-in")
    a = make_samples.bureau()
    a.basic["部门(单位)名称"], a.basic["单位编码"] = "甲局", "001"
    a.goals = [PARAGRAPH, "强化食品安全监管。"]
    b = make_samples.bureau()
    b.basic["部门(单位)名称"], b.basic["单位编码"] = "乙局", "002"
    b.problems = [("预算执行偏慢。", EDITED, "加强监控。")]
    c = make_samples.bureau()
    c.basic["部门(单位)名称"], c.basic["单位编码"] = "丙局", "003"
    full = make_samples.bureau()
    full.basic["部门(单位)名称"], full.basic["单位编码"] = "丁局", "004"
    full.budget["预算执行数"] = full.budget["调整预算数"]  # 100%: every row can be full
    full.budget["结转结余总额"] = 0
    full.common = make_samples.full_marks(社会公众满意度=make_samples.CommonAnswer("93.5%", 8),
                                          服务对象满意度=make_samples.CommonAnswer("95.2%", 8))
    for unit in (b, c, full):  # the sample's own long texts only once in the batch
        unit.tasks = []
        unit.common["预算执行率"] = make_samples.CommonAnswer(None, unit.common["预算执行率"].self_score, "采购项目未验收。")
    for files in (("1_甲.xlsx", a), ("2_乙.xlsx", b), ("3_丙.xlsx", c), ("4_丁.xlsx", full)):
        _write(src, *files)
    out = tmp_path_factory.mktemp("across-out") / "out"
    run_batch(src, out, BatchOptions(jobs=2))
    results = {r["file"]: r for r in json.loads((out / "results.json").read_text(encoding="utf-8"))}
    return src, out, results


def _codes(result, code):
    return [f for f in result["findings"] if f["code"] == code]


@pytest.mark.slow
def test_a_copied_paragraph_is_found_in_both_units_naming_each_other(batch_out):
    _, _, results = batch_out
    a, b = _codes(results["1_甲.xlsx"], "C601"), _codes(results["2_乙.xlsx"], "C601")
    assert len(a) == 1 and len(b) == 1
    assert "2_乙.xlsx" in a[0]["message"] and f"{S.PROBLEMS}!" in a[0]["message"]
    assert "1_甲.xlsx" in b[0]["message"] and f"{S.GOALS}!" in b[0]["message"]
    assert (a[0]["sheet"], b[0]["sheet"]) == (S.GOALS, S.PROBLEMS) and a[0]["cell"] and b[0]["cell"]
    assert a[0]["level"] == "warning"
    assert not _codes(results["3_丙.xlsx"], "C601") and not _codes(results["4_丁.xlsx"], "C601")


@pytest.mark.slow
def test_every_self_score_full_is_c602(batch_out):
    _, _, results = batch_out
    assert _codes(results["4_丁.xlsx"], "C602") and not _codes(results["3_丙.xlsx"], "C602")
    assert _codes(results["4_丁.xlsx"], "C602")[0]["level"] == "info"


@pytest.mark.slow
def test_the_findings_reach_every_output(batch_out):
    _, out, results = batch_out
    rows = list(csv.reader((out / "findings.csv").open(encoding="utf-8-sig")))
    assert sum(r[4] == "C601" for r in rows) == 2 and sum(r[4] == "C602" for r in rows) == 1
    issues = openpyxl.load_workbook(out / "审核汇总.xlsx")["问题清单"]
    assert sum(row[4].value == "C601" for row in issues.iter_rows(min_row=2)) == 2
    copy = openpyxl.load_workbook(out / results["1_甲.xlsx"]["copy"])
    listed = [row[1].value for row in copy[S.RESULTS].iter_rows()]
    assert "C601" in listed
    cell = _codes(results["1_甲.xlsx"], "C601")[0]["cell"]
    assert copy[S.GOALS][cell].comment is not None and "C601" in copy[S.GOALS][cell].comment.text


@pytest.mark.slow
def test_a_resumed_batch_keeps_them_and_a_new_copy_finds_the_old_one(batch_out, tmp_path):
    src, out, results = batch_out
    again = run_batch(src, out, BatchOptions(jobs=2))
    assert again.processed == 0 and again.results == list(results.values())
    # a fifth unit copying the same paragraph: the first two are scored again, naming it too
    extra = make_samples.bureau()
    extra.basic["单位编码"] = "005"
    extra.tasks = [("任务", PARAGRAPH, "完成。")]
    _write(src, "5_戊.xlsx", extra)
    try:
        third = run_batch(src, out, BatchOptions(jobs=2))
        now = {r["file"]: r for r in third.results}
        assert "5_戊.xlsx" in _codes(now["1_甲.xlsx"], "C601")[0]["message"]
        assert _codes(now["5_戊.xlsx"], "C601")
    finally:
        (src / "5_戊.xlsx").unlink()


def test_lsh_finds_what_comparing_every_pair_finds():
    rng = random.Random(7)
    alphabet = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后"
                "多定行学法所民得经")
    texts = []
    for i in range(300):
        base = "".join(rng.choice(alphabet) for _ in range(rng.randint(30, 120)))
        texts.append(Text(f"f{i}", "s", "A1", base))
        if i % 10 == 0:  # a near copy in another file: a few characters changed
            chars = list(base)
            for k in rng.sample(range(len(chars)), 3):
                chars[k] = rng.choice(alphabet)
            texts.append(Text(f"g{i}", "s", "A1", "".join(chars)))
    sets = [shingles(t.text) for t in texts]
    brute = {(i, j) for i in range(len(texts)) for j in range(i + 1, len(texts))
             if texts[i].file != texts[j].file and jaccard(sets[i], sets[j]) >= SIMILAR}
    found = {(i, j) for i, j, _ in similar_pairs(texts)}
    assert len(brute) >= 25 and found == brute


def test_punctuation_and_spaces_hide_nothing():
    a = Text("a", "s", "A1", PARAGRAPH)
    b = Text("b", "s", "A1", " ".join(PARAGRAPH.replace("，", ",").replace("。", ".")))
    assert [(i, j) for i, j, _ in similar_pairs([a, b])] == [(0, 1)]


@pytest.mark.slow
def test_a_target_lowered_from_last_year_is_c603(tmp_path):
    last, this = tmp_path / "2023", tmp_path / "2024"
    last.mkdir()
    this.mkdir()
    f = make_samples.bureau()
    _write(last, "bureau.xlsx", f)
    run_batch(last, tmp_path / "out2023", BatchOptions(jobs=1))
    f.basic["评价年度"] = 2024
    f.own["产出指标"][0] = OwnIndicator("数量指标", "食品安全监督抽检批次", 6, "≥2800批", "3216批", 6)  # was ≥3000批
    f.own["产出指标"][5] = OwnIndicator("时效指标", "市场主体登记平均办理时限", 4, "≤6天", "3.2天", 4)  # was ≤5天
    _write(this, "bureau.xlsx", f)
    r = CliRunner().invoke(main, ["batch", str(this), "-o", str(tmp_path / "out2024"), "--previous",
                                  str(tmp_path / "out2023"), "-j", "1"])
    assert r.exit_code == 0, r.output
    result = json.loads((tmp_path / "out2024" / "results.json").read_text(encoding="utf-8"))[0]
    c603 = _codes(result, "C603")
    assert {f["actual"] for f in c603} == {"≥2800批", "≤6天"}
    assert all("2023" in f["message"] for f in c603) and all(f["cell"].startswith("E") for f in c603)
    # without --previous there is none
    run_batch(this, tmp_path / "plain", BatchOptions(jobs=1))
    assert not _codes(json.loads((tmp_path / "plain" / "results.json").read_text(encoding="utf-8"))[0], "C603")
    bad = CliRunner().invoke(main, ["batch", str(this), "-o", str(tmp_path / "x"), "--previous", str(this)])
    assert bad.exit_code == 2 and "results.json" in bad.output and "Errno" not in bad.output
    assert not (tmp_path / "x").exists()  # refused before any work started


@pytest.mark.slow
def test_a_second_batch_inside_the_input_folder_reads_only_submissions(sample_files, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for p in sample_files.values():
        (src / p.name).write_bytes(p.read_bytes())
    first = run_batch(src, src / "第一次结果", BatchOptions(jobs=2))
    second = run_batch(src, src / "第二次结果", BatchOptions(jobs=2))
    assert len(first.statuses) == len(second.statuses) == len(sample_files)
    assert sorted(r["file"] for r in second.results) == sorted(sample_files)
    assert {u.file for u in second.unaudited if u.kind == "output"} == {"第一次结果/"}  # proven ours, and listed
    # outputs of ours copied out of their folder prove nothing: a name is no proof (issue 17.1), so
    # they are audited (and fail: they are no submission), never silently left out
    (src / "results.json").write_bytes((src / "第一次结果" / "results.json").read_bytes())
    (src / "审核汇总.xlsx").write_bytes((src / "第一次结果" / "审核汇总.xlsx").read_bytes())
    third = run_batch(src, tmp_path / "third", BatchOptions(jobs=2))
    assert len(third.statuses) == len(sample_files) + 2
    loose = [r for r in third.results if r["file"] in ("results.json", "审核汇总.xlsx")]
    assert [r["status"] for r in loose] == ["failed", "failed"]


@pytest.mark.slow
def test_scored_copies_respect_the_umask(sample_files, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    p = next(iter(sample_files.values()))
    (src / p.name).write_bytes(p.read_bytes())
    old = os.umask(0o022)
    try:
        out = run_batch(src, tmp_path / "out", BatchOptions(jobs=1))
    finally:
        os.umask(old)
    copy = tmp_path / "out" / out.results[0]["copy"]
    assert stat.S_IMODE(copy.stat().st_mode) == 0o644
    for name in ("results.json", "findings.csv", "审核汇总.xlsx"):
        assert stat.S_IMODE((tmp_path / "out" / name).stat().st_mode) & 0o044 == 0o044, name


@pytest.mark.slow
def test_a_huge_text_costs_bounded_memory_and_is_compared_on_what_a_cell_holds():
    """One text of 400,000 characters (a hostile file; Excel stops at 32,767): the checks across
    hold a bounded amount for it (the whole text's MinHash at once took 128 × 8 bytes a character),
    and compare its first MAX_CHARS characters: a copy of those is found."""
    import tracemalloc

    from selfeval_xl.batch.across import MAX_CHARS

    from .hugefile import huge_text

    text = huge_text(400_000)
    texts = [Text("a", "s", "A1", text), Text("b", "s", "A1", text[:MAX_CHARS]), Text("c", "s", "A1", text[MAX_CHARS:])]
    tracemalloc.start()
    try:
        pairs = similar_pairs(texts)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]
    assert peak < 48 << 20, peak
