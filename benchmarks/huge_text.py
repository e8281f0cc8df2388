"""A batch with one huge text: the bureau sample with one 履职目标 cell of CHARS characters (default
3,000,000; Excel holds 32,767, a hostile file need not), next to a plain sample. Prints the peak
memory of every process of the batch — the batch itself, each worker, the checks across — as
``ru_maxrss`` counted by the kernel (each child's from ``wait4`` as it is reaped), against
``--memory``, and the size of the journal and results.json.

    prlimit --as=6000000000 python benchmarks/huge_text.py [CHARS] [--memory MB] [--jobs N]

(prlimit: the machine is shared; the batch's own processes have their limits from --memory.)
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("chars", type=int, nargs="?", default=3_000_000)
    ap.add_argument("--memory", type=int, default=1024)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()

    from selfeval_xl.batch import across_process as across_mod
    from selfeval_xl.batch import pool as pool_mod
    from selfeval_xl.batch import run as batch_mod
    from selfeval_xl.batch import tasks as tasks_mod
    from selfeval_xl.outputs import results_file as results_file_mod

    peaks: dict[int, float] = {}
    roles: dict[int, str] = {}
    real_waitpid, real_start = os.waitpid, pool_mod.start

    def waitpid(pid: int, options: int) -> tuple[int, int]:  # what multiprocessing reaps, with its rusage
        got, status, usage = os.wait4(pid, options)
        if got:
            peaks[got] = usage.ru_maxrss / 1024
        return got, status

    def start(ctx, target, a):  # type: ignore[no-untyped-def]
        proc, conn = real_start(ctx, target, a)
        roles[proc.pid] = {"worker": "worker", "_across_child": "checks across"}.get(target.__name__, target.__name__)
        return proc, conn

    pool_mod.start = across_mod.start = start  # type: ignore[assignment]  # the workers' and the checks across's
    with tempfile.TemporaryDirectory() as tmp:
        indir, out = Path(tmp) / "in", Path(tmp) / "out"
        indir.mkdir()
        t = time.perf_counter()
        huge = indir / "huge.xlsx"  # made in a process of its own: this one's peak is the batch's
        subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from tests.hugefile import "
                        f"make_huge_submission as m; m(Path(sys.argv[1]), {args.chars})", str(huge)], cwd=ROOT, check=True)
        made = time.perf_counter() - t
        os.waitpid = waitpid  # type: ignore[assignment]
        shutil.copy(ROOT / "samples" / "02_市场监督管理局_2023.xlsx", indir)
        t = time.perf_counter()
        result = batch_mod.run_batch(indir, out, tasks_mod.BatchOptions(jobs=args.jobs, memory_mb=args.memory))
        seconds = time.perf_counter() - t
        os.waitpid = real_waitpid  # type: ignore[assignment]
        me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{args.chars:,} characters in one 履职目标 cell ({huge.stat().st_size / 1e6:.1f} MB file, made in {made:.1f} s);"
              f" batch --jobs {args.jobs} --memory {args.memory}: {seconds:.1f} s, statuses {result.statuses},"
              f" checks across {'made' if not result.across_not_made else 'NOT made: ' + result.across_not_made}")
        print(f"journal {(out / tasks_mod.JOURNAL).stat().st_size / 1e6:.2f} MB, "
              f"results.json {(out / results_file_mod.RESULTS_JSON).stat().st_size / 1e6:.2f} MB")
        rows = [("batch (this process)", os.getpid(), me)] + [(roles.get(pid, "?"), pid, mb) for pid, mb in peaks.items()]
        for role, pid, mb in rows:
            print(f"  {role:22} pid {pid:>7}  peak {mb:7.1f} MB  {'under' if mb < args.memory else 'OVER'} --memory {args.memory}")


if __name__ == "__main__":
    main()
