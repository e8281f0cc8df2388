"""One benchmark stage in its own process; prints a JSON line {seconds, peak_mb, ...}.

    python benchmarks/stage.py floor|check DIR
    python benchmarks/stage.py check_jobs DIR JOBS
    python benchmarks/stage.py batch DIR OUTDIR JOBS

Peak memory is each process's own: ``ru_maxrss`` of this process and the largest of its children
(the batch's workers), as the kernel counts it (a sampling thread misses what happens while a C
call holds the GIL).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def peak_mb() -> tuple[float, float]:
    """Peak resident memory of this process, and of the largest of its children that were waited
    for (the batch's workers), in MB: ru_maxrss, counted by the kernel, not sampled."""
    import resource

    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, children


def files_of(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.xlsx") if p.is_file())


def floor(folder: Path) -> dict:
    import python_calamine

    n = 0
    for p in files_of(folder):
        try:
            wb = python_calamine.CalamineWorkbook.from_path(str(p))
            for name in wb.sheet_names:
                wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            wb.close()
        except Exception:
            pass
        n += 1
    return {"files": n}


def check(folder: Path) -> dict:
    """What `selfeval-xl check DIR --format json` does: assess every file, render JSON."""
    from selfeval_xl.check.assess import assess
    from selfeval_xl.outputs.console import render_json_stream
    from selfeval_xl.rules.model import load_rules

    rules = load_rules()
    with open(os.devnull, "w", encoding="utf-8") as out:
        n = render_json_stream((assess(p, rules) for p in files_of(folder)), out)
    return {"files": n}


def check_jobs(folder: Path, jobs: int) -> dict:
    """What `selfeval-xl check DIR --format json --jobs N` does: the files in N worker processes."""
    from selfeval_xl.batch.check_jobs import check_in_workers
    from selfeval_xl.outputs.console import RenderedWriter

    with open(os.devnull, "w", encoding="utf-8") as out:
        w = RenderedWriter("json", out)
        check_in_workers(files_of(folder), None, "json", jobs, Path(os.devnull), lambda c: w.add(c.rendered))
        n = w.close()
    return {"files": n}


def batch(folder: Path, outdir: Path, jobs: int) -> dict:
    import shutil

    from selfeval_xl.batch.run import run_batch
    from selfeval_xl.batch.tasks import BatchOptions

    shutil.rmtree(outdir, ignore_errors=True)
    r = run_batch(folder, outdir, BatchOptions(jobs=jobs))
    return {"files": len(r.statuses), "failed": r.failed, "summary_seconds": r.summary_seconds,
            "outputs_seconds": r.outputs_seconds}


def main() -> None:
    stage, folder = sys.argv[1], Path(sys.argv[2])
    t = time.perf_counter()
    if stage == "floor":
        out = floor(folder)
    elif stage == "check":
        out = check(folder)
    elif stage == "check_jobs":
        out = check_jobs(folder, int(sys.argv[3]))
    elif stage == "batch":
        out = batch(folder, Path(sys.argv[3]), int(sys.argv[4]))
    else:
        raise SystemExit(f"unknown stage {stage}")
    me, children = peak_mb()
    out.update(seconds=time.perf_counter() - t, peak_mb=me, worker_peak_mb=children)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
