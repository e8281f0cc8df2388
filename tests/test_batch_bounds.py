"""The bounds of a batch's processes (issue 17, items 3 and 4; issue 18, item 5).

One huge text keeps every process under its memory limit, and checks across the batch that fail
(memory, a crash, a hang, a bug) leave every department's results and say so. A batch stopped by
SIGTERM or SIGHUP, or killed by SIGKILL, leaves no process behind. One batch at a time writes an
output folder. A damaged journal line costs its file a redo, never the batch. An output folder that
cannot be written is a usage error in Chinese. Under spawn (Windows, macOS), with the calls Windows
lacks absent, a batch and check --jobs give what they give under fork.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from selfeval_xl.batch import across_process as across_mod
from selfeval_xl.batch import tasks as tasks_mod
from selfeval_xl.batch.children import START_METHOD_ENV
from selfeval_xl.batch.output_folder import LOCK, OutputBusy, output_lock
from selfeval_xl.batch.run import run_batch
from selfeval_xl.batch.tasks import JOURNAL, BatchOptions
from selfeval_xl.cli.commands import main

from .conftest import ROOT
from .hugefile import make_huge_submission

#: the command line with a test's changes in every process of the batch (see its docstring)
SCRIPT = Path(__file__).with_name("batch_run.py")
GOOD = "02_市场监督管理局_2023.xlsx"


def _inputs(folder: Path, sample_files: dict[str, Path], *extra: str) -> Path:
    """The samples in ``folder``, and a copy of one for each name in ``extra``."""
    folder.mkdir(parents=True, exist_ok=True)
    for p in sample_files.values():
        shutil.copy(p, folder / p.name)
    for name in extra:
        shutil.copy(sample_files[GOOD], folder / name)
    return folder


def _script(*args: str, env: dict[str, str] | None = None, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(SCRIPT), *args], cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _wait_for_lines(journal: Path, n: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and journal.read_bytes().count(b"\n") >= n:
            return
        time.sleep(0.02)
    raise AssertionError(f"the batch wrote fewer than {n} journal lines: {proc.poll()}")


# ---------------------------------------------------------------------------------------------
# Item 3: every process has bounds, and one file cannot sink the batch


@pytest.mark.slow
def test_a_huge_text_keeps_every_process_of_the_batch_under_its_memory_limit(sample_files, tmp_path):
    """300,000 characters in one 履职目标 cell (the benchmark takes 3 million): the batch, each
    worker and the checks across stay under --memory 400 (ru_maxrss of the batch's process and
    of the largest of its children); before, the checks across alone took 640 MB, unlimited.
    The batch's own peak is VmHWM, the peak of the program it runs: Linux carries ru_maxrss across
    exec, so a process started from a big pytest worker (500-660 MB late in the suite) began there."""
    indir = _inputs(tmp_path / "in", {GOOD: sample_files[GOOD]})
    make_huge_submission(indir / "huge.xlsx", 300_000)
    code = ("import resource, sys; from selfeval_xl.batch.run import run_batch; from selfeval_xl.batch.tasks import BatchOptions; "
            "r = run_batch(sys.argv[1], sys.argv[2], BatchOptions(jobs=1, memory_mb=400)); "
            "hwm = next(int(x.split()[1]) for x in open('/proc/self/status') if x.startswith('VmHWM')); "
            "print(r.statuses, repr(getattr(r, 'across_not_made', '')), "
            "hwm, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    run = subprocess.run([sys.executable, "-c", code, str(indir), str(tmp_path / "out")], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    statuses, not_made, me, children = run.stdout.rsplit(" ", 3)
    assert statuses == "['ok', 'ok']" and not_made == "''"
    assert int(me) < 400 * 1024 and int(children) < 400 * 1024, (me, children)
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    copied = [f for f in results[1]["findings"] if f["code"] == "C601"]  # the sample's own texts, in both
    assert copied and "02_市场监督管理局_2023.xlsx" in copied[0]["message"]


def _broken_across(how: str):
    def _across(*args):
        if how == "memory":
            raise MemoryError
        if how == "crash":
            os.kill(os.getpid(), signal.SIGKILL)
        if how == "hang":
            time.sleep(3600)
        raise ZeroDivisionError("a bug of ours")
    return _across


def _long_texts(src: Path, dst: Path, rows: int, distinct: bool) -> Path:
    """``src`` with ``rows`` more rows in 主要任务, their 主要内容 and 完成情况 each a text of 32,767
    characters: one shared string for all (a file of a hundred KB), or a string of its own each."""
    import random
    import re
    import zipfile

    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    book, rels = parts["xl/workbook.xml"].decode(), parts["xl/_rels/workbook.xml.rels"].decode()
    rid = re.search(r'<sheet [^>]*name="主要任务"[^>]*r:id="(rId\d+)"', book).group(1)
    sheet = "xl/" + re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels).group(1)
    sst = parts["xl/sharedStrings.xml"].decode()
    first = int(re.search(r'uniqueCount="(\d+)"', sst).group(1))
    rng = random.Random(1)
    words = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"
    count = rows * 2 if distinct else 1
    added = "".join(f"<si><t>{''.join(rng.choice(words) for _ in range(32767))}</t></si>" for _ in range(count))
    sst = re.sub(r'uniqueCount="\d+"', f'uniqueCount="{first + count}"', sst.replace("</sst>", added + "</sst>"))
    cells = iter(range(first, first + count)) if distinct else None
    body = "".join(f'<row r="{r}">' + "".join(f'<c r="{c}{r}" t="s"><v>{next(cells) if cells else first}</v></c>'
                                              for c in "CD") + "</row>" for r in range(100, 100 + rows))
    parts["xl/sharedStrings.xml"] = sst.encode()
    parts[sheet] = re.sub(r"</sheetData>", body + "</sheetData>", parts[sheet].decode(), count=1).encode()
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return dst


@pytest.mark.slow
def test_a_text_repeated_in_a_thousand_cells_costs_the_batch_one_text(sample_files, tmp_path):
    """A file of 100 KB whose 主要任务 shows one shared string of 32,767 characters in 600 cells: each
    cell's copy went to the journal (59 MB for this file; a thousand rows, 197 MB and 615 MB in the
    batch's own process) and was folded and signed again, until the checks across ran out of time for
    every unit. Now the file's extras keep the text once."""
    indir = _inputs(tmp_path / "in", sample_files)
    _long_texts(sample_files[GOOD], indir / "重复长文.xlsx", 300, distinct=False)
    result = run_batch(indir, tmp_path / "out", BatchOptions(jobs=2))
    assert not result.across_not_made and len(result.statuses) == len(sample_files) + 1
    assert (tmp_path / "out" / JOURNAL).stat().st_size < 2 << 20
    assert not any(f["code"] == "C604" for r in result.results for f in r["findings"])


@pytest.mark.slow
def test_a_file_s_texts_are_compared_up_to_a_bound_and_the_rest_is_said(sample_files, tmp_path):
    """Twenty distinct texts of 32,767 characters: what one file has compared is bounded
    (across.MAX_FILE_CHARS); the texts after the bound are named by C604, never silently skipped."""
    from selfeval_xl.batch.across import MAX_FILE_CHARS

    indir = tmp_path / "in"
    indir.mkdir()
    shutil.copy(sample_files[GOOD], indir / "a.xlsx")
    _long_texts(sample_files[GOOD], indir / "长文.xlsx", 10, distinct=True)
    result = run_batch(indir, tmp_path / "out", BatchOptions(jobs=1))
    by_file = {r["file"]: r for r in result.results}
    [c604] = [f for f in by_file["长文.xlsx"]["findings"] if f["code"] == "C604"]
    kept = MAX_FILE_CHARS // 32767  # of these long texts, less what the sample's own texts take
    assert c604["level"] == "info" and c604["sheet"] == "主要任务"
    assert c604["actual"] in (f"{20 - kept} 段未比较", f"{21 - kept} 段未比较"), c604
    assert not [f for f in by_file["a.xlsx"]["findings"] if f["code"] == "C604"]


@pytest.mark.parametrize(("how", "said"), [("memory", "内存超出 1024 MB"), ("crash", "信号 9"), ("hang", "时间限制"),
                                           ("bug", "程序内部错误")])
@pytest.mark.slow
def test_checks_across_that_fail_leave_every_result_and_say_so(how, said, monkeypatch, sample_files, tmp_path):
    monkeypatch.setenv(START_METHOD_ENV, "fork")  # the child inherits the broken checks
    monkeypatch.setattr(across_mod, "_across", _broken_across(how))
    indir, out = _inputs(tmp_path / "in", sample_files), tmp_path / "out"
    r = CliRunner().invoke(main, ["batch", str(indir), "-o", str(out), "-j", "2", "--timeout", "5"])
    assert r.exit_code == 1 and (r.exception is None or isinstance(r.exception, SystemExit)), r.output
    assert "注意：跨单位检查" in r.output and said in r.output and "Traceback" not in r.output
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert len(results) == len(sample_files) and all(x["total"] is not None for x in results)
    assert all(said in x["across_checks"] for x in results)
    overview = openpyxl.load_workbook(out / "审核汇总.xlsx")["总览"]
    assert "未能进行" in overview["A3"].value and said in overview["A3"].value
    assert (out / "findings.csv").exists()
    if how == "bug":
        assert "ZeroDivisionError" in (out / tasks_mod.ERROR_LOG).read_text(encoding="utf-8")
    # once they can be made again, a resume makes them: nothing is redone but what they change
    monkeypatch.undo()
    again = run_batch(indir, out, BatchOptions(jobs=2))
    assert not again.across_not_made and "across_checks" not in again.results[0]


# ---------------------------------------------------------------------------------------------
# Item 4: stop means stop, and a second run is safe


def _session(sid: int) -> list[int]:
    """The processes (not zombies) of session ``sid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[3]) == sid and fields[0] != "Z":
                found.append(int(entry))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the batch's processes in /proc")
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP", "SIGKILL", "SIGTERM to the group"])
@pytest.mark.slow
def test_a_stopped_or_killed_batch_leaves_no_process_behind(signame, start_method, sample_files, tmp_path):
    """One worker hangs in a file, the other has finished one: the batch is signalled (or its whole
    process group, as a service manager does). Before, its workers held both ends of their pipes and
    lived on for ever."""
    indir, out = _inputs(tmp_path / "in", sample_files, "00_hang.xlsx"), tmp_path / "out"
    proc = _script("batch", str(indir), "-o", str(out), "-j", "2", env={"SELFEVAL_TEST_FAULTS": "hang:00_hang"},
                   start_new_session=True,  # SIGHUP as a terminal gives it, even when the tests run under nohup
                   preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL))
    try:
        _wait_for_lines(out / JOURNAL, 1, proc)
        assert len(_session(proc.pid)) >= 3  # the batch and its two workers
        signum = getattr(signal, signame.split()[0])
        (os.killpg if "group" in signame else os.kill)(proc.pid, signum)
        _, err = proc.communicate(timeout=60)
        deadline = time.monotonic() + 20
        while _session(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _session(proc.pid) == []
        if signame != "SIGKILL":  # stopped cleanly: said so, the exit code says by what, no empty log left
            assert proc.returncode == 128 + signum and "已停止" in err and "Traceback" not in err, err
            assert not (out / tasks_mod.ERROR_LOG).exists()
    finally:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
    resumed = run_batch(indir, out, BatchOptions(jobs=2, timeout=5))
    assert len(resumed.statuses) == len(sample_files) + 1 and resumed.skipped >= 1


@pytest.mark.slow
def test_a_batch_run_with_nohup_goes_on_after_sighup(sample_files, tmp_path):
    """SIGHUP ignored when the batch starts (nohup, a service) stays ignored: only a batch that
    would have died of it is stopped cleanly instead."""
    indir, out = _inputs(tmp_path / "in", sample_files, "00_hang.xlsx"), tmp_path / "out"
    proc = _script("batch", str(indir), "-o", str(out), "-j", "2", "--timeout", "3",
                   env={"SELFEVAL_TEST_FAULTS": "hang:00_hang"},
                   preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    _wait_for_lines(out / JOURNAL, 1, proc)
    proc.send_signal(signal.SIGHUP)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "已停止" not in err, err
    assert len(json.loads((out / "results.json").read_text(encoding="utf-8"))) == len(sample_files) + 1


@pytest.mark.slow
def test_a_second_batch_into_the_same_output_folder_refuses(sample_files, tmp_path):
    """Before, both ran and crashed (UnicodeDecodeError at the other's journal offsets)."""
    indir, out = _inputs(tmp_path / "in", sample_files, "00_hang.xlsx"), tmp_path / "out"
    first = _script("batch", str(indir), "-o", str(out), "-j", "2", "--timeout", "6",
                    env={"SELFEVAL_TEST_FAULTS": "hang:00_hang"})
    _wait_for_lines(out / JOURNAL, 1, first)
    second = subprocess.run([sys.executable, "-m", "selfeval_xl", "batch", str(indir), "-o", str(out)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert second.returncode == 2, second.stderr
    assert "正由另一个 batch 使用" in second.stderr and f"进程 {first.pid}" in second.stderr
    assert "Traceback" not in second.stderr
    _, err = first.communicate(timeout=120)
    assert first.returncode == 1, err  # the hanging file is F008; the rest is whole
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert len(results) == len(sample_files) + 1 and results[0]["findings"][0]["code"] == "F008"
    # and the lock of a batch that ended does not hold the next one back
    assert run_batch(indir, out, BatchOptions(jobs=2)).processed == 1


@pytest.mark.slow
def test_without_fcntl_a_lock_file_holds_pid_and_host_and_a_stale_one_is_taken_over(monkeypatch, sample_files,
                                                                                        tmp_path):
    import socket

    monkeypatch.setitem(sys.modules, "fcntl", None)
    monkeypatch.setitem(sys.modules, "msvcrt", None)
    indir, out = _inputs(tmp_path / "in", {GOOD: sample_files[GOOD]}), tmp_path / "out"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (out / LOCK).write_text(f"{dead.stdout.strip()} {socket.gethostname()} 2026-01-01 08:00:00\n", encoding="utf-8")
    assert run_batch(indir, out, BatchOptions(jobs=1)).processed == 1  # a stale lock: its process is gone
    assert not (out / LOCK).exists()  # removed at the end
    (out / LOCK).write_text(f"{os.getpid()} {socket.gethostname()} 2026-01-01 08:00:00\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["batch", str(indir), "-o", str(out), "-j", "1"])
    assert r.exit_code == 2 and f"进程 {os.getpid()}" in r.output and "2026-01-01 08:00:00" in r.output
    (out / LOCK).write_text(f"{os.getpid()} another-host 2026-01-01 08:00:00\n", encoding="utf-8")
    with pytest.raises(OutputBusy):  # another computer's batch on a shared drive: never taken over
        run_batch(indir, out, BatchOptions(jobs=1))


@pytest.mark.parametrize("planted", ["link", "folder"])
def test_a_link_or_a_folder_planted_at_the_lock_is_refused_never_followed(planted, sample_files, tmp_path):
    indir, out = _inputs(tmp_path / "in", {GOOD: sample_files[GOOD]}), tmp_path / "out"
    out.mkdir()
    target = tmp_path / "someone else's file"
    target.write_text("untouched")
    if planted == "link":
        (out / LOCK).symlink_to(target)
    else:
        (out / LOCK).mkdir()
    r = CliRunner().invoke(main, ["batch", str(indir), "-o", str(out), "-j", "1"])
    assert r.exit_code == 2 and "错误：无法写入" in r.output and LOCK in r.output, r.output
    assert target.read_text() == "untouched" and not (out / "results.json").exists()


class _FakeMsvcrt:
    """msvcrt.locking's contract (a byte range locked or OSError), on flock."""

    LK_NBLCK, LK_UNLCK = 2, 0

    def __init__(self, fcntl):
        self.fcntl = fcntl

    def locking(self, fd, mode, nbytes):
        assert os.lseek(fd, 0, os.SEEK_CUR) == 0 and nbytes == 1
        try:
            self.fcntl.flock(fd, self.fcntl.LOCK_UN if mode == self.LK_UNLCK else self.fcntl.LOCK_EX | self.fcntl.LOCK_NB)
        except BlockingIOError:
            raise OSError(36, "Resource deadlock avoided") from None


def test_with_msvcrt_the_first_byte_is_locked_and_the_holder_written_after_it(monkeypatch, sample_files, tmp_path):
    import fcntl

    monkeypatch.setitem(sys.modules, "msvcrt", _FakeMsvcrt(fcntl))
    monkeypatch.setitem(sys.modules, "fcntl", None)
    indir, out = _inputs(tmp_path / "in", {GOOD: sample_files[GOOD]}), tmp_path / "out"
    out.mkdir()
    with output_lock(out):
        assert (out / LOCK).read_bytes()[1:].startswith(f"{os.getpid()} ".encode())
        r = CliRunner().invoke(main, ["batch", str(indir), "-o", str(out), "-j", "1"])
        assert r.exit_code == 2 and f"进程 {os.getpid()}" in r.output
    assert run_batch(indir, out, BatchOptions(jobs=1)).processed == 1


def _corrupt(kind: str):
    """How one journal line (the first file's) is damaged."""
    def change(line: bytes) -> bytes:
        head, payload, extras = line.split(b"\t")
        meta = json.loads(head)
        if kind == "bad JSON":
            return b"{not json" + line[1:]
        if kind == "not UTF-8":
            return head.replace(b'"rel"', b'"\xff\xfe"') + b"\t" + payload + b"\t" + extras
        if kind == "a list":
            return json.dumps(list(meta.values())).encode() + b"\t" + payload + b"\t" + extras
        if kind == "missing key":
            del meta["status"]
        if kind == "wrong types":
            meta["copy"], meta["rel"] = 5, ["x"]
        if kind == "null status":
            meta["status"] = None
        if kind == "payload changed":
            return head + b"\t" + payload.replace(b'"total":', b'"total":1', 1) + b"\t" + extras
        if kind == "payload not UTF-8":
            return head + b"\t" + payload[:10] + b"\xff" + payload[11:] + b"\t" + extras
        if kind == "two tabs too many":
            return head + b"\t\t" + payload + b"\t\t" + extras
        return json.dumps(meta, ensure_ascii=False).encode() + b"\t" + payload + b"\t" + extras
    return change


@pytest.mark.parametrize("kind", ["bad JSON", "not UTF-8", "a list", "missing key", "wrong types", "null status",
                                  "payload changed", "payload not UTF-8", "two tabs too many"])
@pytest.mark.slow
def test_a_damaged_journal_line_costs_its_file_a_redo(kind, sample_files, tmp_path):
    indir, out = _inputs(tmp_path / "in", sample_files), tmp_path / "out"
    first = run_batch(indir, out, BatchOptions(jobs=2))
    journal = out / JOURNAL
    lines = journal.read_bytes().splitlines(keepends=True)
    victim = next(i for i, line in enumerate(lines) if b'"rel": "01_' in line)
    lines[victim] = _corrupt(kind)(lines[victim])
    journal.write_bytes(b"".join(lines))
    again = run_batch(indir, out, BatchOptions(jobs=2))
    assert again.processed == 1 and again.results == first.results


@pytest.mark.slow
def test_a_journal_line_cut_by_a_kill_is_ended_before_the_next_line(sample_files, tmp_path):
    indir, out = _inputs(tmp_path / "in", sample_files), tmp_path / "out"
    first = run_batch(indir, out, BatchOptions(jobs=1))
    journal = out / JOURNAL
    data = journal.read_bytes()
    journal.write_bytes(data[:-200])  # the last file's line cut short
    assert run_batch(indir, out, BatchOptions(jobs=1)).processed == 1
    third = run_batch(indir, out, BatchOptions(jobs=1))  # before, the new line was glued to the cut one
    assert third.processed == 0 and third.results == first.results


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_journal_that_is_not_a_file_is_a_usage_error(kind, sample_files, tmp_path):
    indir, out = _inputs(tmp_path / "in", {GOOD: sample_files[GOOD]}), tmp_path / "out"
    out.mkdir()
    if kind == "folder":
        (out / JOURNAL).mkdir()
    else:
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs here")
        os.mkfifo(out / JOURNAL)
    r = CliRunner().invoke(main, ["batch", str(indir), "-o", str(out), "-j", "1"])
    # refused before anything is written (manifest.guard): it names the journal and says why, in Chinese
    assert r.exit_code == 2 and JOURNAL in r.output and "错误：" in r.output and "不是普通文件" in r.output, r.output


@pytest.mark.slow
def test_an_output_folder_under_a_file_is_a_usage_error(sample_files, tmp_path):
    indir = _inputs(tmp_path / "in", {GOOD: sample_files[GOOD]})
    (tmp_path / "a file").write_text("x")
    r = subprocess.run([sys.executable, "-m", "selfeval_xl", "batch", str(indir), "-o", str(tmp_path / "a file" / "out")],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "路径中有一个同名的文件" in r.stderr and "Traceback" not in r.stderr, r.stderr


@pytest.mark.slow
def test_files_too_large_to_write_are_a_usage_error(sample_files, tmp_path):
    """RLIMIT_FSIZE (what `prlimit --fsize` sets): every write past 60 KB fails with EFBIG, in the
    batch and in its workers, as on a disk that fills up."""
    resource = pytest.importorskip("resource")
    indir, out = _inputs(tmp_path / "in", sample_files), tmp_path / "out"

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))

    r = subprocess.run([sys.executable, "-m", "selfeval_xl", "batch", str(indir), "-o", str(out), "-j", "2"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120, preexec_fn=limit)
    assert r.returncode == 2 and "错误：无法写入" in r.stderr and "文件超出了允许的大小" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def _in_namespace(script: str) -> subprocess.CompletedProcess:
    """``script`` (sh) as root of a user and mount namespace of its own, where it can mount."""
    return subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def _can_mount(tmp_path: Path) -> bool:
    if not shutil.which("unshare"):
        return False
    probe = tmp_path / "probe"
    probe.mkdir()
    return _in_namespace(f"mount -t tmpfs -o size=1m tmpfs '{probe}'").returncode == 0


@pytest.mark.parametrize(("options", "said"), [("size=400k", "磁盘已满"), ("ro", "所在的磁盘是只读的")])
@pytest.mark.slow
def test_a_full_or_read_only_disk_is_a_usage_error(options, said, sample_files, tmp_path):
    """A real file system: a tmpfs of 400 KB that fills up (ENOSPC), one mounted read-only (EROFS)."""
    if not _can_mount(tmp_path):
        pytest.skip("cannot mount a tmpfs in a namespace of our own here")
    indir, disk = _inputs(tmp_path / "in", sample_files), tmp_path / "disk"
    disk.mkdir()
    r = _in_namespace(f"mount -t tmpfs -o {options} tmpfs '{disk}' && "
                      f"'{sys.executable}' -m selfeval_xl batch '{indir}' -o '{disk}/审核结果' -j 2")
    assert r.returncode == 2 and "错误：无法写入" in r.stderr and said in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


# ---------------------------------------------------------------------------------------------
# Issue 18 item 5: Windows and macOS paths, proven here


@pytest.mark.slow
def test_under_spawn_without_the_calls_windows_lacks_the_batch_and_check_jobs_say_the_same(sample_files, tmp_path):
    """resource, fcntl, os.sync, os.fchmod and SIGHUP absent in every process (as on Windows), the
    processes spawned: the same results.json, summary and check output as under fork with them."""
    indir = _inputs(tmp_path / "in", sample_files, "重复 一份.xlsx")
    windows = {"SELFEVAL_TEST_NO_UNIX": "1", START_METHOD_ENV: "spawn"}
    outputs = {}
    for name, env in (("fork", {START_METHOD_ENV: "fork"}), ("windows", windows)):
        out = tmp_path / name
        batch = _script("batch", str(indir), "-o", str(out), "-j", "2", env=env)
        _, err = batch.communicate(timeout=300)
        assert batch.returncode == 1 and "Traceback" not in err, err
        check = _script("check", "--format", "json", "--jobs", "2", str(indir), env=env)
        printed, err = check.communicate(timeout=300)
        assert check.returncode == 1 and "Traceback" not in err, err
        outputs[name] = ((out / "results.json").read_bytes(), (out / "审核汇总.xlsx").read_bytes(), printed)
        assert (out / LOCK).exists() == (name == "fork")  # without fcntl: the lock file is removed at the end
    assert outputs["windows"] == outputs["fork"]
    results = json.loads(outputs["fork"][0])
    assert any(f["code"] == "C601" for f in results[-1]["findings"])  # the checks across were made


@pytest.mark.slow
def test_under_spawn_a_crash_a_hang_memory_and_a_bug_cost_only_their_file(sample_files, tmp_path):
    """What test_batch proves under fork with its own process_file, under spawn (the faults made in
    each spawned worker by the script it imports again)."""
    indir = _inputs(tmp_path / "in", sample_files, "crash.xlsx", "hang.xlsx", "oom.xlsx", "bug.xlsx")
    out = tmp_path / "out"
    faults = "crash:crash.xlsx,hang:hang.xlsx,oom:oom.xlsx,bug:bug.xlsx"
    batch = _script("batch", str(indir), "-o", str(out), "-j", "2", "--timeout", "5", "--memory", "400",
                    env={"SELFEVAL_TEST_FAULTS": faults, START_METHOD_ENV: "spawn"})
    _, err = batch.communicate(timeout=300)
    assert batch.returncode == 1 and "Traceback" not in err, err
    by_file = {r["file"]: r for r in json.loads((out / "results.json").read_text(encoding="utf-8"))}
    assert by_file["crash.xlsx"]["findings"][0]["code"] == "F009" and "被信号" in by_file["crash.xlsx"]["findings"][0]["message"]
    assert by_file["hang.xlsx"]["findings"][0]["code"] == "F008"
    assert by_file["oom.xlsx"]["findings"][0]["code"] == "F009" and "内存" in by_file["oom.xlsx"]["findings"][0]["message"]
    assert by_file["bug.xlsx"]["status"] == "internal"
    assert all(by_file[name]["total"] is not None for name in sample_files)
