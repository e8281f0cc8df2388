"""One benchmark stage in its own process; prints a JSON line {seconds, peak_mb, ...}.

    python benchmarks/stage.py floor|check|batch|profile DIR [OUTDIR] [JOBS]

Peak memory is the largest sum of resident memory over this process and all its children,
sampled every 20 ms from /proc (so a batch's workers count).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _rss_tree_kb(pid: int) -> int:
    total = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            continue
    return total


class PeakMemory:
    def __init__(self):
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        me = os.getpid()
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_tree_kb(me))
            self._stop.wait(0.02)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, _rss_tree_kb(os.getpid()))


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
    from selfeval_xl.assess import assess
    from selfeval_xl.report import render_json_stream
    from selfeval_xl.rules import load_rules

    rules = load_rules()
    with open(os.devnull, "w", encoding="utf-8") as out:
        n = render_json_stream((assess(p, rules) for p in files_of(folder)), out)
    return {"files": n}


def batch(folder: Path, outdir: Path, jobs: int) -> dict:
    import shutil

    from selfeval_xl.batch import BatchOptions, run_batch

    shutil.rmtree(outdir, ignore_errors=True)
    r = run_batch(folder, outdir, BatchOptions(jobs=jobs))
    return {"files": len(r.results), "failed": r.failed, "summary_seconds": r.summary_seconds,
            "outputs_seconds": r.outputs_seconds}


def main() -> None:
    stage, folder = sys.argv[1], Path(sys.argv[2])
    t = time.perf_counter()
    with PeakMemory() as mem:
        if stage == "floor":
            out = floor(folder)
        elif stage == "check":
            out = check(folder)
        elif stage == "batch":
            out = batch(folder, Path(sys.argv[3]), int(sys.argv[4]))
        else:
            raise SystemExit(f"unknown stage {stage}")
    out.update(seconds=time.perf_counter() - t, peak_mb=mem.peak / 1024)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
