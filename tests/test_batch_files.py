"""A batch and the files around it (issue 17, items 1, 2 and 10): every file under the input folder
is accounted for, nothing outside its own outputs is touched, and every name it writes is one every
file system takes."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from selfeval_xl.batch import tasks as tasks_mod
from selfeval_xl.batch import worker as worker_mod
from selfeval_xl.batch.manifest import MANIFEST, SCRATCH
from selfeval_xl.batch.run import run_batch
from selfeval_xl.batch.tasks import BatchOptions, BatchRefused
from selfeval_xl.cli.commands import main
from selfeval_xl.core.sanitize import WINDOWS_RESERVED
from selfeval_xl.outputs import results_file as results_file_mod

from .conftest import ROOT, SAMPLES_DIR

SAMPLES = sorted(SAMPLES_DIR.glob("*.xlsx"))
#: links, named pipes and names that are not UTF-8 are made as a POSIX system makes them
posix = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="links, pipes and byte names as POSIX has them")


def sample(i: int) -> Path:
    return SAMPLES[i % len(SAMPLES)]


def batch_cli(*args) -> tuple[int, str]:
    r = CliRunner().invoke(main, ["batch", *map(str, args), "--jobs", "1"])
    return r.exit_code, r.output


def tree(folder: Path) -> dict[str, str]:
    """Every entry under a folder, links and pipes included, never followed: path -> what it is."""
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = Path(root) / name
            rel = p.relative_to(folder).as_posix()
            if p.is_symlink():
                out[rel] = "-> " + os.readlink(p)
            elif p.is_dir():
                out[rel] = "dir"
            elif p.is_file():
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
            else:
                out[rel] = "special"
    return out


# ---------------------------------------------------------------------------------------------
# 1. Every file is accounted for


@pytest.fixture
def every_kind(tmp_path):
    """An input folder holding every kind of thing a batch used to pass over in silence."""
    d = tmp_path / "收件箱"
    for sub in ("自评报告", "审核副本", "放了日志的文件夹"):
        (d / sub).mkdir(parents=True)
    shutil.copy(sample(0), d / "01.xlsx")
    shutil.copy(sample(1), d / "自评报告" / "02.xlsx")  # a department's folder named like our reports
    shutil.copy(sample(2), d / "审核副本" / "03.xlsx")  # ... and like our copies
    shutil.copy(sample(3), d / "审核汇总.xlsx")  # a submission named like our summary
    shutil.copy(sample(4), d / "results.json")  # ... and like our results
    shutil.copy(sample(1), d / "findings.csv")
    shutil.copy(sample(2), d / "放了日志的文件夹" / "04.xlsx")
    (d / "放了日志的文件夹" / tasks_mod.JOURNAL).write_bytes(b"")  # a planted, empty journal
    shutil.copy(sample(3), tmp_path / "elsewhere.xlsx")
    os.symlink(tmp_path / "elsewhere.xlsx", d / "链接.xlsx")  # a link to a valid workbook outside
    os.symlink("01.xlsx", d / "内部链接.xlsx")  # and one to a file inside
    os.mkfifo(d / "管道.xlsx")
    (d / ".DS_Store").write_bytes(b"\0\0\0\1Bud1" + bytes(100))
    (d / "~$01.xlsx").write_bytes(b"\x05alice" + b" " * 48 + b"\x05\x00a\x00l\x00i\x00c\x00e\x00")
    (d / ".隐藏").mkdir()
    shutil.copy(sample(4), d / ".隐藏" / "05.xlsx")
    return d


AUDITED = {"01.xlsx", "自评报告/02.xlsx", "审核副本/03.xlsx", "审核汇总.xlsx", "results.json", "findings.csv",
           "放了日志的文件夹/04.xlsx"}
#: what is not audited, and whether the exit code must say so (it might be a submission)
NOT_AUDITED = {"链接.xlsx": ("link", True), "内部链接.xlsx": ("link", True), "管道.xlsx": ("special", True),
               ".DS_Store": ("hidden", False), "~$01.xlsx": ("lock", False), ".隐藏/": ("hidden_dir", True),
               f"放了日志的文件夹/{tasks_mod.JOURNAL}": ("hidden", False)}


@posix
@pytest.mark.slow
def test_every_file_under_the_folder_is_audited_or_listed_with_its_reason(every_kind, tmp_path):
    out = tmp_path / "审核结果"
    before = tree(every_kind)
    code, output = batch_cli(every_kind, "-o", out)
    assert code == 1, output  # the samples have errors, and links, a pipe and a hidden folder were not audited
    assert tree(every_kind) == before  # nothing under the input folder touched, the pipe never opened
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert {r["file"] for r in results} == AUDITED
    assert f"共 {len(AUDITED) + len(NOT_AUDITED)} 个文件" in output and f"未审核 {len(NOT_AUDITED)} 个" in output
    for name in NOT_AUDITED:  # each named on the console, with its reason
        line = next(x for x in output.splitlines() if x.strip().removeprefix("【需核实】").startswith(name + "："))
        assert len(line) > len(name) + 10, line
    record = {u["file"]: (u["kind"], u["blocking"]) for u in json.loads((out / "not_audited.json").read_text("utf-8"))}
    assert record == NOT_AUDITED
    sheet = openpyxl.load_workbook(out / "审核汇总.xlsx")["未审核文件"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == set(NOT_AUDITED) and all(r[2] for r in rows.values())
    assert {k for k, r in rows.items() if r[3] == "是"} == {k for k, (_, b) in NOT_AUDITED.items() if b}


@posix
@pytest.mark.slow
def test_exit_code_0_only_when_every_submission_was_audited(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(SAMPLES_DIR / "02_市场监督管理局_2023.xlsx", d)  # clean
    (d / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (d / "~$02.xlsx").write_bytes(b"\x05alice")
    assert batch_cli(d, "-o", tmp_path / "o1")[0] == 0  # junk that is no workbook: listed, not a submission
    shutil.copy(SAMPLES_DIR / "02_市场监督管理局_2023.xlsx", tmp_path / "x.xlsx")
    os.symlink(tmp_path / "x.xlsx", d / "链接.xlsx")
    code, output = batch_cli(d, "-o", tmp_path / "o2")
    assert code == 1 and "链接.xlsx" in output and "符号链接" in output


@pytest.mark.slow
def test_a_workbook_is_audited_whatever_it_is_named(tmp_path):
    """A name marks nothing as 'not a submission' unless the content agrees: a hidden name or a
    lock file's name on a workbook is audited."""
    d = tmp_path / "in"
    d.mkdir()
    for name in (".隐藏的申报表.xlsx", "~$锁定名的申报表.xlsx", "Thumbs.db", "desktop.ini", ".tmp-x.xlsx"):
        shutil.copy(sample(1), d / name)
    result = run_batch(d, tmp_path / "out", BatchOptions(jobs=1))
    assert len(result.statuses) == 5 and not result.unaudited
    assert all(r["total"] is not None for r in result.results)


@pytest.mark.slow
def test_an_earlier_output_folder_is_left_out_by_its_manifest_not_its_name(tmp_path):
    d = tmp_path / "收件箱"
    d.mkdir()
    for p in SAMPLES[:3]:
        shutil.copy(p, d / p.name)
    out = d / "审核结果"  # the output folder inside the input folder, as some auditors do
    first = run_batch(d, out, BatchOptions(jobs=1))
    assert len(first.statuses) == 3
    again = run_batch(d, out, BatchOptions(jobs=1))
    assert (len(again.statuses), again.skipped) == (3, 3)  # our own outputs are not submissions
    [entry] = [u for u in again.unaudited if u.kind == "output"]
    assert (entry.file, entry.blocking) == ("审核结果/", False) and entry.files >= 6  # 3 copies, results, csv, summary …
    from selfeval_xl.batch.output_folder import LOCK

    hidden = {f"审核结果/{MANIFEST}", f"审核结果/{tasks_mod.JOURNAL}", f"审核结果/{LOCK}"}
    assert {u.file for u in again.unaudited if u.kind == "hidden"} == hidden
    assert again.exit_code == first.exit_code  # nothing that might be a submission was left out
    # a workbook dropped into the output folder, or one of its copies changed, is no output of ours
    shutil.copy(SAMPLES[3], out / "审核副本" / "新交的.xlsx")
    copy = out / first.results[0]["copy"]
    shutil.copy(SAMPLES[4], copy)
    third = run_batch(d, tmp_path / "另一个输出", BatchOptions(jobs=1))
    files = {r["file"] for r in third.results}
    assert {"审核结果/审核副本/新交的.xlsx", "审核结果/" + first.results[0]["copy"]} <= files
    assert len(files) == 5


def test_a_planted_manifest_proves_nothing_it_does_not_hash(tmp_path):
    d = tmp_path / "in"
    (d / "sub").mkdir(parents=True)
    shutil.copy(sample(1), d / "sub" / "a.xlsx")
    (d / "sub" / MANIFEST).write_text('{"selfeval-xl": "batch-manifest", "version": 1, "scratch": ".selfeval-tmp"}\n'
                                      + json.dumps({"path": "a.xlsx", "size": 1, "mtime_ns": 1, "sha256": "0" * 64}) + "\n")
    result = run_batch(d, tmp_path / "out", BatchOptions(jobs=1))
    assert [r["file"] for r in result.results] == ["sub/a.xlsx"]


def test_a_folder_named_like_our_scratch_folder_is_listed_not_skipped(tmp_path):
    d = tmp_path / "in"
    (d / "部门" / SCRATCH).mkdir(parents=True)
    (d / "部门" / MANIFEST).write_text('{"selfeval-xl": "batch-manifest", "version": 1, "scratch": ".selfeval-tmp"}\n')
    shutil.copy(sample(1), d / "部门" / SCRATCH / "a.xlsx")
    shutil.copy(sample(2), d / "部门" / "b.xlsx")
    result = run_batch(d, tmp_path / "out", BatchOptions(jobs=1))
    assert [r["file"] for r in result.results] == ["部门/b.xlsx"]
    assert {(u.file, u.blocking) for u in result.unaudited} == {(f"部门/{SCRATCH}/", True), (f"部门/{MANIFEST}", False)}
    assert result.exit_code == 1


@pytest.mark.slow
def test_a_batch_resumed_inside_its_input_folder_does_not_list_its_own_scratch_folder(tmp_path):
    """A batch killed while its output folder lies inside the input folder leaves its scratch folder;
    run again, the batch empties it: it is this batch's own, not a hidden folder that might hide a
    submission (it was listed as 【需核实】 and the exit code was 1 although every file was audited)."""
    d = tmp_path / "收件箱"
    d.mkdir()
    shutil.copy(SAMPLES_DIR / "02_市场监督管理局_2023.xlsx", d)  # clean: exit 0 when all is audited
    out = d / "审核结果"
    assert run_batch(d, out, BatchOptions(jobs=1)).exit_code == 0
    (out / SCRATCH).mkdir()  # what a kill leaves
    (out / SCRATCH / ".tmp-半个副本.xlsx").write_bytes(b"PK\x03\x04 half a copy")
    again = run_batch(d, out, BatchOptions(jobs=1))
    assert [u.file for u in again.unaudited if u.blocking] == []
    assert again.exit_code == 0 and not (out / SCRATCH).exists()


def _deep_tree(top: Path, levels: int) -> list[Path]:
    """``top`` with one folder "a" in another ``levels`` deep (made without recursion); the folders,
    shallowest first."""
    top.mkdir()
    folders = [top]
    for _ in range(levels):
        folders.append(folders[-1] / "a")
        os.mkdir(folders[-1])
    return folders


def _remove_deep(folders: list[Path]) -> None:
    for f in reversed(folders):  # pytest's own removal recurses, and would fail this deep
        for e in os.scandir(f):
            if not e.is_dir(follow_symlinks=False):
                os.unlink(e.path)
        os.rmdir(f)


@pytest.mark.slow
def test_a_tree_deeper_than_the_batch_enters_is_listed_never_a_crash(tmp_path):
    """Folders 1,100 deep (a path of 2,200 bytes, legal) made the walk recurse past Python's limit:
    RecursionError, a traceback and no output. Folders below inventory.MAX_DEPTH are listed as not
    audited (it might hide a submission: exit code 1), what lies above is audited."""
    from selfeval_xl.batch.inventory import MAX_DEPTH

    folders = _deep_tree(tmp_path / "in", 1100)
    try:
        shutil.copy(sample(1), folders[0] / "浅.xlsx")
        shutil.copy(sample(2), folders[MAX_DEPTH] / "最深可审核.xlsx")
        shutil.copy(sample(3), folders[-1] / "深.xlsx")
        result = run_batch(folders[0], tmp_path / "out", BatchOptions(jobs=1))
        deepest = "a/" * MAX_DEPTH + "最深可审核.xlsx"
        assert [r["file"] for r in result.results] == [deepest, "浅.xlsx"]
        assert all(r["copy"] for r in result.results)
        [deep] = result.unaudited
        assert (deep.file, deep.kind, deep.blocking) == ("a/" * (MAX_DEPTH + 1), "deep_dir", True)
        assert result.exit_code == 1
    finally:
        _remove_deep(folders)


def _without_privileges(*args: str) -> list[str]:
    """A command run so that permission bits apply to it: as is for a user, in a user namespace of
    its own (where root's files are not its to override) for root."""
    if os.geteuid() != 0:
        return list(args)
    if not shutil.which("unshare") or subprocess.run(["unshare", "--user", "true"]).returncode:
        pytest.skip("run as root, and no user namespace can be made here to drop the privileges")
    return ["unshare", "--user", *args]


@posix
@pytest.mark.slow
def test_a_file_or_folder_the_batch_cannot_read_is_listed_and_blocks(tmp_path):
    d = tmp_path / "in"
    (d / "上锁的文件夹").mkdir(parents=True)
    shutil.copy(SAMPLES_DIR / "02_市场监督管理局_2023.xlsx", d)
    shutil.copy(sample(3), d / "上锁的文件夹" / "b.xlsx")
    shutil.copy(sample(4), d / "上锁的文件.xlsx")
    os.chmod(d / "上锁的文件夹", 0)
    os.chmod(d / "上锁的文件.xlsx", 0)
    try:
        r = subprocess.run(_without_privileges(sys.executable, "-m", "selfeval_xl", "batch", str(d), "-o",
                                               str(tmp_path / "out"), "-j", "1"),
                           cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=300)
    finally:
        os.chmod(d / "上锁的文件夹", 0o755)
        os.chmod(d / "上锁的文件.xlsx", 0o644)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr  # the clean sample alone would give 0
    record = {u["file"]: (u["kind"], u["blocking"]) for u in
              json.loads((tmp_path / "out" / "not_audited.json").read_text("utf-8"))}
    assert record == {"上锁的文件夹/": ("unreadable_dir", True), "上锁的文件.xlsx": ("unreadable", True)}
    assert "【需核实】上锁的文件夹/" in r.stdout and "【需核实】上锁的文件.xlsx" in r.stdout


def test_an_empty_folder_is_a_usage_error_and_writes_nothing(tmp_path):
    d = tmp_path / "空"
    d.mkdir()
    code, output = batch_cli(d, "-o", tmp_path / "out")
    assert code == 2 and "没有可审核的文件" in output
    assert not (tmp_path / "out").exists()
    (d / ".DS_Store").write_bytes(b"x")
    code, output = batch_cli(d, "-o", tmp_path / "out")
    assert code == 2 and ".DS_Store" in output and not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------------------------
# 2. Nothing outside the outputs is touched


@pytest.mark.slow
def test_only_temporary_files_of_its_own_are_removed(tmp_path):
    """`batch 收件箱 -o .`: the input folder lies inside the output folder; every .tmp-* file that is
    not the batch's own stays where it is."""
    work = tmp_path / "工作"
    inbox = work / "收件箱"
    (inbox / "sub").mkdir(parents=True)
    shutil.copy(sample(1), inbox / "a.xlsx")
    theirs = [inbox / ".tmp-草稿.txt", inbox / "sub" / ".tmp-x", work / ".tmp-别人的.docx", work / "审核副本" / ".tmp-y"]
    for p in theirs:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("不是本程序的", encoding="utf-8")
    # what a killed run of ours left in its scratch folder goes
    run_batch(inbox, work, BatchOptions(jobs=1))
    (work / SCRATCH).mkdir()
    ours = work / SCRATCH / ".tmp-abc.xlsx"
    ours.write_bytes(b"half a copy")
    run_batch(inbox, work, BatchOptions(jobs=1))
    assert all(p.read_text(encoding="utf-8") == "不是本程序的" for p in theirs)
    assert not ours.exists() and not (work / SCRATCH).exists()


OUTPUT_PATHS = [tasks_mod.JOURNAL, tasks_mod.ERROR_LOG, tasks_mod.COPIES_DIR, tasks_mod.SUMMARY_XLSX,
                results_file_mod.RESULTS_JSON, results_file_mod.FINDINGS_CSV, tasks_mod.NOT_AUDITED_JSON, "自评报告", MANIFEST, SCRATCH,
                "审核副本/a_审核.xlsx", "审核副本/子", "自评报告/子/b_自评报告.docx"]


@posix
@pytest.mark.parametrize("where", OUTPUT_PATHS)
def test_a_link_where_the_batch_writes_is_never_followed(tmp_path, where):
    d = tmp_path / "in"
    (d / "子").mkdir(parents=True)
    shutil.copy(sample(1), d / "a.xlsx")
    shutil.copy(sample(2), d / "子" / "b.xlsx")
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("原样", encoding="utf-8")
    target = victim if "." not in where.rsplit("/", 1)[-1] or where == SCRATCH else victim / "keep.txt"
    out = tmp_path / "out"
    (out / where).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, out / where)
    before = tree(victim), tree(out)
    code, output = batch_cli(d, "-o", out, "--reports")
    assert code == 2, output
    assert "符号链接" in output and where in output
    assert (tree(victim), tree(out)) == before  # nothing written anywhere


def _victim(tmp_path: Path, *names: str) -> Path:
    victim = tmp_path / "victim"
    victim.mkdir()
    for name in names:
        (victim / name).write_text("原样", encoding="utf-8")
    return victim


def _swap_for_a_link(folder: Path, target: Path) -> None:
    """What a racing process does after guard looked: the folder moved away, a link in its place."""
    folder.rename(folder.with_name(folder.name + "-moved"))
    os.symlink(target, folder)


@posix
def test_a_link_swapped_in_for_the_scratch_folder_after_the_guard_deletes_nothing_behind_it(tmp_path, monkeypatch):
    """The scratch folder emptied at the start: a link put in its place between the moment it was
    checked and the sweep was followed, and every file in the folder it pointed to was deleted."""
    from selfeval_xl.batch import manifest as manifest

    out = tmp_path / "out"
    manifest.prepare(out)
    (out / SCRATCH / ".tmp-ours").write_bytes(b"left by a killed run")
    victim = _victim(tmp_path, "论文.docx", "账目.xlsx")
    real_scandir = os.scandir

    def racing_scandir(what):
        monkeypatch.setattr(os, "scandir", real_scandir)
        _swap_for_a_link(out / SCRATCH, victim)
        return real_scandir(what)

    monkeypatch.setattr(os, "scandir", racing_scandir)
    try:
        manifest.prepare(out)
    except OSError:
        pass  # refused, or the folder it opened emptied: either way not through the link
    monkeypatch.undo()
    assert tree(victim) == {"论文.docx": hashlib.sha256("原样".encode()).hexdigest(),
                            "账目.xlsx": hashlib.sha256("原样".encode()).hexdigest()}


@posix
def test_a_link_swapped_in_for_an_output_folder_after_the_guard_is_never_written_through(tmp_path, monkeypatch):
    """A copy moved into 审核副本: a link put in the folder's place after it was checked (between
    the check and the rename) made the rename replace the file of that name where the link pointed."""
    from selfeval_xl.batch import manifest as manifest

    out = tmp_path / "out"
    manifest.prepare(out)
    (out / "审核副本").mkdir()
    victim = _victim(tmp_path, "a_审核.xlsx")
    real_claim = manifest.claim_file

    def racing_claim(*args):
        real_claim(*args)
        _swap_for_a_link(out / "审核副本", victim)

    monkeypatch.setattr(manifest, "claim_file", racing_claim)
    try:
        manifest.write_output(out, "审核副本/a_审核.xlsx", b"the copy")
    except OSError:
        pass  # refused, or written into the folder it opened: either way not through the link
    assert (victim / "a_审核.xlsx").read_text(encoding="utf-8") == "原样" and tree(victim) == {
        "a_审核.xlsx": hashlib.sha256("原样".encode()).hexdigest()}


@posix
@pytest.mark.slow
def test_a_worker_never_opens_the_log_through_a_link(tmp_path):
    """A link put at 内部错误.log after guard looked: each worker opened it with O_CREAT and followed
    it, creating (or appending to) the file it pointed to."""
    target = tmp_path / "elsewhere" / "made-through-the-link.txt"
    target.parent.mkdir()
    log = tmp_path / tasks_mod.ERROR_LOG
    os.symlink(target, log)
    code = ("import sys; from pathlib import Path; from selfeval_xl.batch.worker import worker_setup; "
            "worker_setup(Path(sys.argv[1]), 1024); print('a library says something', file=sys.stderr)")
    subprocess.run([sys.executable, "-c", code, str(log)], cwd=ROOT, timeout=120, check=True)
    assert not target.exists() and log.is_symlink()


@pytest.mark.slow
def test_a_file_the_batch_did_not_write_is_never_replaced(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(sample(1), d / "a.xlsx")
    out = tmp_path / "out"
    out.mkdir()
    (out / "审核汇总.xlsx").write_bytes(b"the auditor's own workbook")
    before = tree(out)
    code, output = batch_cli(d, "-o", out)
    assert code == 2 and "审核汇总.xlsx" in output and tree(out) == before
    (out / "审核汇总.xlsx").unlink()
    assert batch_cli(d, "-o", out)[0] in (0, 1)
    # the auditor opens a scored copy and saves it: a batch run again will not overwrite her work
    copy = next((out / "审核副本").iterdir())
    copy.write_bytes(copy.read_bytes() + b"\0")
    shutil.copy(sample(2), d / "a.xlsx")  # a department sends its form again: the copy would be rewritten
    before = tree(out)
    code, output = batch_cli(d, "-o", out)
    assert code == 2 and copy.name in output and "改动" in output and tree(out) == before


def test_an_output_folder_that_cannot_be_written_is_refused_in_chinese(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(sample(1), d / "a.xlsx")
    (tmp_path / "文件").write_text("x")
    code, output = batch_cli(d, "-o", tmp_path / "文件" / "out")
    assert code == 2 and "输出文件夹" in output and "Traceback" not in output
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "别人的.log").write_text("原样", encoding="utf-8")
    os.link(tmp_path / "别人的.log", out / tasks_mod.ERROR_LOG)  # a hard link: appending would write into it
    code, output = batch_cli(d, "-o", out)
    assert code == 2 and "硬链接" in output and (tmp_path / "别人的.log").read_text(encoding="utf-8") == "原样"


def test_outputs_never_land_in_the_input_folder(tmp_path):
    out = tmp_path / "out"
    d = out / "审核副本"
    d.mkdir(parents=True)
    shutil.copy(sample(1), d / "a.xlsx")
    shutil.copy(sample(2), d / "a_审核.xlsx")  # a submission where a's copy would go
    before = tree(d)
    with pytest.raises(BatchRefused):
        run_batch(d, out, BatchOptions(jobs=1))
    assert tree(d) == before


def _buggy(monkeypatch):
    real = worker_mod.process_file

    def process_file(task, *args):
        if "forged" in task.rel:
            raise ZeroDivisionError("a bug of ours")
        return real(task, *args)

    monkeypatch.setattr(worker_mod, "process_file", process_file)  # the workers are forked: they inherit it


@posix
@pytest.mark.slow
def test_a_file_name_cannot_add_a_line_to_the_log_the_csv_or_the_console(tmp_path, monkeypatch):
    d = tmp_path / "in"
    d.mkdir()
    forged = "a\n--- 2024-01-01 00:00:00 forged\r\nTraceback.xlsx"
    shutil.copy(sample(0), d / forged)  # the seed: it has findings
    os.symlink("nowhere", d / "link\n--- forged line")
    _buggy(monkeypatch)
    result = run_batch(d, tmp_path / "out", BatchOptions(jobs=1))
    assert result.internal == 1
    monkeypatch.undo()
    (d / forged).unlink()
    shutil.copy(sample(0), d / "seed\nwith a newline.xlsx")
    code, output = batch_cli(d, "-o", tmp_path / "out")
    assert code == 1, output  # the seed has errors, the link is not audited
    log = (tmp_path / "out" / tasks_mod.ERROR_LOG).read_text(encoding="utf-8")
    entries = [line for line in log.splitlines() if line.startswith("---")]
    assert len(entries) == 1 and "forged\\r\\nTraceback.xlsx" in entries[0]
    assert all(line.startswith(("---", "    ")) for line in log.splitlines())
    raw = (tmp_path / "out" / "findings.csv").read_text(encoding="utf-8-sig")
    rows = [next(csv.reader([line])) for line in raw.splitlines()]
    assert all(len(r) == 10 for r in rows) and any(r[0] == "seed\\nwith a newline.xlsx" for r in rows)
    assert "link\\n--- forged line" in output and not any(line.startswith("--- forged") for line in output.splitlines())


@pytest.mark.slow
def test_a_batch_killed_after_writing_a_copy_can_replace_it_when_run_again(tmp_path, monkeypatch):
    """A copy is claimed in the manifest before it is renamed into place, by the worker that wrote
    it: a batch killed at any moment leaves no copy of its own that it could not replace."""
    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(sample(1), d / "a.xlsx")
    out = tmp_path / "out"
    real = worker_mod.process_file

    def dies_after_writing(task, *args):
        real(task, *args)
        os._exit(9)

    monkeypatch.setattr(worker_mod, "process_file", dies_after_writing)  # the workers are forked: they inherit it
    first = run_batch(d, out, BatchOptions(jobs=1))
    assert first.results[0]["findings"][0]["code"] == "F009" and (out / "审核副本" / "a_审核.xlsx").exists()
    monkeypatch.undo()
    again = run_batch(d, out, BatchOptions(jobs=1))
    assert again.results[0]["copy"] == "审核副本/a_审核.xlsx" and again.internal == again.failed == 0


# ---------------------------------------------------------------------------------------------
# 10. File names as departments write them


def windows_valid(component: str) -> bool:
    return (component not in ("", ".", "..") and not any(c in '<>:"/\\|?*' or ord(c) < 32 for c in component)
            and not component.endswith((" ", ".")) and component.split(".")[0].rstrip(" ").upper() not in WINDOWS_RESERVED)


NAMES = [
    "郑" * 83 + ".xlsx",  # 254 bytes: legal on Linux; its copy name was 261 bytes
    "郑" * 82 + "州.xlsx",  # the same first 82 characters: shortened alike, a different hash
    "郑" * 83 + ".xlsm",  # the same stem: a collision after shortening
    "郑" * 60 + "🎉" * 10 + ".xlsx",
    "CON.xlsx", "con .xlsx", "Nul.tar.xlsx", "COM1.xlsx", "lpt9.xlsx", "AUX",
    'a<b>c:d"e|f?g*h.xlsx', "trailing. .xlsx", "trailing.", " 前后有空格 .xlsx",
    "A.xlsx", "a.xlsx", "a.XLSX", "café.xlsx", "cafe\u0301.xlsx",
    "tab\tand\nnewline.xlsx", "\u202egnp.xlsx", "x_审核.xlsx",
    "长" * 70 + "/" + "深" * 70 + "/" + "名" * 80 + ".xlsx",
    "CON/PRN.xlsx", "x_审核/y.xlsx",
    "/".join(["层" * 30] * 9) + "/" + "深" * 60 + ".xlsx",  # nine folders deep: still within REL_CHARS
]


@posix
@pytest.mark.slow
def test_every_output_name_fits_every_file_system(tmp_path):
    d = tmp_path / "in"
    for i, name in enumerate(NAMES):
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(sample(i), p)
    gbk = os.fsencode(d) + b"/" + "测试".encode("gbk") + b".xlsx"  # a zip from Chinese Windows, unpacked on Linux
    shutil.copy(sample(1), os.fsdecode(gbk))
    out = tmp_path / "out"
    result = run_batch(d, out, BatchOptions(jobs=2, reports=True))
    assert result.internal == 0 and result.failed == 0 and len(result.statuses) == len(NAMES) + 1
    written = [r[key] for r in result.results for key in ("copy", "report")]
    assert len({unicodedata.normalize("NFC", w).casefold() for w in written}) == len(written)  # never one for another
    for w in written:
        assert (out / w).is_file()
        assert len(w) <= tasks_mod.REL_CHARS, w
        for part in w.split("/"):
            assert len(part.encode("utf-8")) <= 255 and windows_valid(part), part
    by_file = {r["file"]: r for r in result.results}
    assert "\\xb2\\xe2\\xca\\xd4.xlsx" in by_file  # the name as text (its bytes), in results.json
    assert by_file["\\xb2\\xe2\\xca\\xd4.xlsx"]["copy"] == "审核副本/测试_审核.xlsx"  # read as GBK for the copy's name
    long = by_file[NAMES[0]]["copy"]
    assert long.startswith("审核副本/" + "郑" * 60) and "~" in long
