"""Every input has bounds, not just submissions (issue 17, item 5): a results.json given to
`consolidate` or `batch --previous`, a rule file given as --rules and a report template given as
--template may be hostile. Each is a clear Chinese error naming the file, in bounded time and
memory, exit 2 on the command line: never a traceback, a hang on a FIFO, a full memory on
/dev/zero or a YAML alias bomb.

What could blow up runs in a child process with an address-space limit and a timeout (a guard
against a hang, not a timing assertion)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from selfeval_xl.batch.across_process import PreviousResultsError, read_previous
from selfeval_xl.batch.run import run_batch
from selfeval_xl.batch.tasks import BatchOptions
from selfeval_xl.cli.commands import main
from selfeval_xl.outputs.consolidation import ConsolidationError, consolidate
from selfeval_xl.rules.model import RulesError, _load_cached, default_rules_path, load_rules

from .conftest import ROOT

CLEAN = "02_市场监督管理局_2023.xlsx"
LIMIT = 1_500_000_000  # address space of a child that reads a hostile input (python with our imports needs ~0.4 GB)
GUARD = 120  # seconds: only a hang comes near this


@pytest.fixture(scope="module")
def batch_out(sample_files, tmp_path_factory):
    """A batch's output folder of the five samples: the results.json every variant starts from."""
    src = tmp_path_factory.mktemp("in")
    for p in sample_files.values():
        (src / p.name).write_bytes(p.read_bytes())
    return run_batch(src, tmp_path_factory.mktemp("out") / "out", BatchOptions(jobs=1)).outdir


def _objects(out: Path) -> list[dict]:
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def _write(path: Path, objects: list) -> Path:
    """A results.json in the batch's layout: one object a line."""
    lines = [json.dumps(o, ensure_ascii=False, separators=(",", ":"), allow_nan=True).replace(f'"{BIG}"', "1e309")
             .replace(f'"{SURROGATE}"', '"\\ud800\\u001b[2J"') for o in objects]
    path.write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")
    return path


BIG = "@1e309"  # written as the number 1e309, which JSON parsers read as infinity
SURROGATE = "@surrogate"  # written as a lone surrogate (no UTF-8 file can hold it) and a terminal's escape


def _set(key, value):
    def change(o):
        o[key] = value
    return change


def _in(key, inner, value):
    def change(o):
        o[key][inner] = value
    return change


def _row(key, value):
    def change(o):
        o["rows"][0][key] = value
    return change


# a change to the second result -> the name of the value the message must point at
HOSTILE = {
    "total NaN": (_set("total", float("nan")), "NaN"),
    "total 1e309": (_set("total", BIG), "total"),
    "total above 100": (_set("total", 1e300), "total"),
    "total a string": (_set("total", "99.7"), "total"),
    "total a list": (_set("total", [99.7]), "total"),
    "total true": (_set("total", True), "total"),
    "year a string": (_set("year", "2023"), "year"),
    "year a list": (_set("year", [2023]), "year"),
    "year 1e308": (_set("year", 1e308), "year"),
    "code a list": (_set("unit_code", ["410105021"]), "unit_code"),
    "code an object": (_set("unit_code", {"a": 1}), "unit_code"),
    "dept a list": (_set("competent_dept", ["x"]), "competent_dept"),
    "name a number": (_set("unit_name", 5), "unit_name"),
    "grade a list": (_set("grade", ["优"]), "grade"),
    "name a lone surrogate": (_set("unit_name", SURROGATE), "\\ud800\\u001b"),
    "status a list": (_set("status", ["ok"]), "status"),
    "status unknown": (_set("status", "great"), "status"),
    "file missing": (lambda o: o.pop("file"), "file"),
    "self_total a string": (_set("self_total", "x"), "self_total"),
    "budget a list": (_set("budget", [1]), "budget"),
    "budget figure a string": (_in("budget", "预算执行数", "abc"), "预算执行数"),
    "budget figure 1e309": (_in("budget", "调整预算数", BIG), "调整预算数"),
    "budget figure 1e308": (_in("budget", "年初预算数", 1e308), "年初预算数"),  # two of them summed to infinity
    "counts a list": (_set("counts", [1]), "counts"),
    "errors a string": (_in("counts", "错误", "many"), "错误"),
}
# what only --previous reads: the rows
HOSTILE_ROWS = {
    "rows an object": (_set("rows", {"a": 1}), "rows"),
    "rows a string": (_set("rows", "abc"), "rows"),
    "a row a number": (_set("rows", [1, 2]), "rows[0]"),
    "a target a list": (_row("指标值", [1]), "指标值"),
    "a name an object": (_row("三级指标", {"a": 1}), "三级指标"),
}


def _hostile(out: Path, tmp_path: Path, change) -> Path:
    objects = _objects(out)
    change(objects[1])
    return _write(tmp_path / "results.json", objects)


def _chinese_without_internals(text: str) -> None:
    for internal in ("Traceback", "Error", "Errno", "Expecting", "object has no", "unhashable", "decode"):
        assert internal not in text, text


@pytest.mark.parametrize("case", sorted(HOSTILE))
@pytest.mark.slow
def test_a_hostile_results_json_is_refused_by_consolidate_naming_file_result_and_value(batch_out, tmp_path, case):
    change, what = HOSTILE[case]
    bad = _hostile(batch_out, tmp_path, change)
    with pytest.raises(ConsolidationError) as exc:
        consolidate([bad], tmp_path / "c.xlsx")
    message = str(exc.value)
    assert str(bad) in message and what in message, message
    if what != "NaN":
        assert "第 2 个结果（第 3 行）" in message, message
    _chinese_without_internals(message)
    assert not (tmp_path / "c.xlsx").exists()


@pytest.mark.parametrize("case", sorted({**HOSTILE, **HOSTILE_ROWS}))
def test_a_hostile_results_json_is_refused_by_previous_before_any_work(batch_out, sample_files, tmp_path, case):
    change, what = {**HOSTILE, **HOSTILE_ROWS}[case]
    bad = _hostile(batch_out, tmp_path, change)
    src = tmp_path / "in"
    src.mkdir()
    (src / CLEAN).write_bytes(sample_files[CLEAN].read_bytes())
    with pytest.raises(PreviousResultsError) as exc:
        run_batch(src, tmp_path / "out", BatchOptions(jobs=1, previous=bad))
    assert str(bad) in str(exc.value) and what in str(exc.value)
    _chinese_without_internals(str(exc.value))
    assert not (tmp_path / "out").exists()


def test_a_batch_written_results_json_is_read_by_both(batch_out, tmp_path):
    """The schema refuses nothing a batch writes (failed files included)."""
    assert consolidate([batch_out], tmp_path / "c.xlsx")["units"] == 5
    assert len(read_previous(batch_out)) == 4  # the seed has no 单位编码


@pytest.mark.parametrize("layout", ["lines", "whole"])
def test_nesting_100000_deep_is_refused(tmp_path, layout):
    deep = "[" * 100_000 + "]" * 100_000
    bad = tmp_path / "results.json"
    bad.write_text("[\n" + deep + "\n]\n" if layout == "lines" else deep, encoding="utf-8")
    r = CliRunner().invoke(main, ["consolidate", str(bad), "-o", str(tmp_path / "c.xlsx")])
    assert r.exit_code == 2 and str(bad) in r.output and "嵌套过深" in r.output, r.output
    _chinese_without_internals(r.output)


def _run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The command line in a child limited to LIMIT bytes of address space and GUARD seconds."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))

    return subprocess.run([sys.executable, "-m", "selfeval_xl", *args], capture_output=True, text=True, timeout=GUARD,
                          preexec_fn=limit, cwd=cwd or ROOT)


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "results.json"
    os.mkfifo(path)  # nobody ever writes to it: opening it to read would wait forever
    return path


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
@pytest.mark.slow
def test_a_fifo_is_refused_not_waited_on(fifo, tmp_path, sample_files):
    r = _run(["consolidate", str(fifo), "-o", str(tmp_path / "c.xlsx")])
    assert r.returncode == 2 and str(fifo) in r.stderr and "命名管道" in r.stderr, r.stderr
    r = _run(["batch", str(sample_files[CLEAN].parent), "-o", str(tmp_path / "out"), "--previous", str(fifo)])
    assert r.returncode == 2 and str(fifo) in r.stderr and "命名管道" in r.stderr, r.stderr
    for option in ("--rules", "--template"):
        r = _run(["report", str(sample_files[CLEAN]), "-o", str(tmp_path / "r.docx"), option, str(fifo)])
        assert r.returncode == 2 and str(fifo) in r.stderr and "命名管道" in r.stderr, r.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
@pytest.mark.slow
def test_a_fifo_given_as_a_submission_is_said_to_be_one(fifo, tmp_path):
    """check and report take a submission through intake: a FIFO is F002 saying what it is (it was
    F001, "the file is empty", which is not true), and it is never opened to wait for a writer."""
    r = _run(["check", "--format", "json", str(fifo)])
    (result,) = json.loads(r.stdout)
    assert r.returncode == 1 and result["findings"][0]["code"] == "F002" and "命名管道" in result["findings"][0]["message"]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
@pytest.mark.slow
def test_dev_zero_is_refused_within_a_memory_limit(tmp_path, sample_files):
    link = tmp_path / "results.json"
    link.symlink_to("/dev/zero")
    for target in ("/dev/zero", str(link)):
        r = _run(["consolidate", target, "-o", str(tmp_path / "c.xlsx")])
        assert r.returncode == 2 and target in r.stderr and "设备" in r.stderr, r.stderr
        r = _run(["batch", str(sample_files[CLEAN].parent), "-o", str(tmp_path / "o"), "--previous", target])
        assert r.returncode == 2 and "设备" in r.stderr, r.stderr
    r = _run(["check", "--rules", str(link), str(sample_files[CLEAN])])
    assert r.returncode == 2 and "设备" in r.stderr, r.stderr


@pytest.mark.slow
def test_a_gigabyte_without_a_line_end_is_refused_within_a_memory_limit(tmp_path):
    """A regular file of zeros (sparse: it costs no disk) is read a bounded line at a time."""
    big = tmp_path / "results.json"
    with open(big, "wb") as fh:
        fh.truncate(3 << 30)
    r = _run(["consolidate", str(big), "-o", str(tmp_path / "c.xlsx")])
    assert r.returncode == 2 and str(big) in r.stderr and "32 MiB" in r.stderr, r.stderr
    _chinese_without_internals(r.stderr)


@pytest.mark.slow
def test_a_result_line_too_long_to_parse_safely_is_refused(tmp_path):
    """33 MiB of empty lists in one line would take 0.8 GB to parse: refused before parsing."""
    bad = tmp_path / "results.json"
    bad.write_bytes(b"[\n[" + b"[]," * (11 << 20) + b"[]]\n]\n")
    r = _run(["consolidate", str(bad), "-o", str(tmp_path / "c.xlsx")])
    assert r.returncode == 2 and "第 2 行超过 32 MiB" in r.stderr, r.stderr


# --- rule files ----------------------------------------------------------------------------------


def _alias_bomb() -> str:
    """1.6 KB of YAML that stands for 9^30 values."""
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 30)]
    return "\n".join([*lines, "categories: *a29", ""])


@pytest.mark.slow
def test_a_yaml_alias_bomb_is_refused_in_bounded_time_and_memory(tmp_path, sample_files):
    bomb = tmp_path / "rules.yaml"
    bomb.write_text(_alias_bomb(), encoding="utf-8")
    r = _run(["check", "--rules", str(bomb), str(sample_files[CLEAN])], cwd=tmp_path)
    assert r.returncode == 2 and str(bomb) in r.stderr and "别名" in r.stderr, r.stderr


@pytest.mark.slow
def test_a_rule_file_nested_200000_deep_is_refused_not_a_crash(tmp_path, sample_files):
    """libyaml's composer recursed in C for each level: 200,000 levels ended in a segmentation fault."""
    deep = tmp_path / "rules.yaml"
    deep.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    r = _run(["check", "--rules", str(deep), str(sample_files[CLEAN])], cwd=tmp_path)
    assert r.returncode == 2 and "嵌套超过" in r.stderr, (r.returncode, r.stderr)


@pytest.mark.parametrize("text, words", [
    ("version: x\ndecimals: " + "9" * 100_000 + "\n", "数值"),  # PyYAML raised ValueError past 4,300 digits
    ("a: " + "{a: " * 1000 + "1" + "}" * 1000 + "\n", "嵌套超过"),
    ("version: x\ntolerance: .inf\n", "tolerance"),  # a tolerance that lets every sum pass
    ("# " + "x" * (2 << 20) + "\n", "1 MiB"),
], ids=["100000 digits", "1000 deep", "tolerance .inf", "2 MiB"])
def test_odd_rule_files_are_rules_errors(tmp_path, text, words):
    f = tmp_path / "rules.yaml"
    f.write_text(text, encoding="utf-8")
    _load_cached.cache_clear()
    with pytest.raises(RulesError) as exc:
        load_rules(f)
    assert words in str(exc.value), str(exc.value)
    _chinese_without_internals(str(exc.value))


def test_anchors_within_bounds_are_still_read(tmp_path):
    """A rule writer may name a value once and refer to it (&name / *name): allowed while small."""
    text = default_rules_path().read_text(encoding="utf-8")
    first = text.index("zero_over_zero: 1")
    text = text[:first] + "zero_over_zero: &one 1" + text[first + 17:].replace("zero_over_zero: 1", "zero_over_zero: *one")
    assert "*one" in text
    f = tmp_path / "rules.yaml"
    f.write_text(text, encoding="utf-8")
    _load_cached.cache_clear()
    assert load_rules(f).rates == load_rules().rates


# --- report templates ----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_zip_bomb_template_is_refused_before_it_is_opened(tmp_path, sample_files):
    bomb = tmp_path / "模板.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/media/image1.png", b"\0" * (300 << 20))  # 300 MiB in 0.3 MB
    r = _run(["report", str(sample_files[CLEAN]), "-o", str(tmp_path / "r.docx"), "--template", str(bomb)])
    assert r.returncode == 2 and str(bomb) in r.stderr and "64 MiB" in r.stderr, r.stderr
    assert not (tmp_path / "r.docx").exists()


def test_a_workbook_named_docx_is_refused_as_a_template(tmp_path, sample_files):
    fake = tmp_path / "模板.docx"
    fake.write_bytes(sample_files[CLEAN].read_bytes())
    r = CliRunner().invoke(main, ["report", str(sample_files[CLEAN]), "-o", str(tmp_path / "r.docx"),
                                  "--template", str(fake)])
    assert r.exit_code == 2 and "不是 Word 文档" in r.output, r.output
    _chinese_without_internals(r.output)


@pytest.mark.slow
def test_a_result_too_large_to_read_back_is_f006_not_written(tmp_path, sample_files, monkeypatch):
    """What a batch writes, consolidate and --previous can read: a file whose result is larger than
    a results.json line may be is F006, and none of its outputs stay."""
    import selfeval_xl.batch.worker as B  # the bound the worker checks a result against

    monkeypatch.setattr(B, "MAX_RESULT_BYTES", 4000)  # the forked worker inherits it
    src = tmp_path / "in"
    src.mkdir()
    (src / CLEAN).write_bytes(sample_files[CLEAN].read_bytes())
    out = run_batch(src, tmp_path / "out", BatchOptions(jobs=1))
    (result,) = _objects(out.outdir)
    assert result["status"] == "failed" and result["findings"][0]["code"] == "F006" and result["copy"] == ""
    assert "超过" in result["findings"][0]["message"]
    assert not list((out.outdir / "审核副本").rglob("*.xlsx"))
