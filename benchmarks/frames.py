"""load_results (the results as DataFrames) and the consolidation's grouping and ranking, plain
Python against pandas: time and peak memory at N results, each measurement in its own process.

    python benchmarks/frames.py                  # N = 10,000
    python benchmarks/frames.py --sizes 1000,10000

The results.json is made from the samples as benchmarks/summary.py makes them (every text made
unique per copy, 主管部门 one in ten). Measured, each in a fresh process (peak = ru_maxrss):

- bare: the interpreter with pandas and the package imported;
- load_results: the four frames of the file;
- consolidate: the whole consolidation (read, deduplicate, group, rank, write the workbook);
- python: what the consolidation computes before it writes, in plain Python as it does now: the
  results read (``load_inputs``), deduplicated, grouped by 主管部门 (count, mean, min, max), ranked
  per year (1, 2, 2, 4), counted by grade per 主管部门 and year;
- pandas_units: the same with pandas (drop_duplicates, groupby, rank(method="min"), crosstab) on a
  frame of only the fields the consolidation reads, made from the same validated reader;
- pandas: the same on ``load_results``'s units frame (the four frames made).

``grouping_seconds`` is the grouping and ranking alone, once the results are read.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def make(n: int, path: Path) -> None:
    """A results.json as a batch writes it: one result a line inside the array."""
    from summary import results  # benchmarks/summary.py

    with open(path, "w", encoding="utf-8") as fh:
        fh.write("[\n")
        for i, r in enumerate(results(n)):
            fh.write(("" if i == 0 else ",\n") + json.dumps(r, ensure_ascii=False))
        fh.write("\n]\n")


def _python(path: Path) -> int:
    from collections import Counter, defaultdict

    from selfeval_xl.outputs.consolidation import deduplicate, load_inputs

    _loaded, units = load_inputs([path])
    t0 = time.perf_counter()
    kept = deduplicate(units).kept
    groups = defaultdict(list)
    for u in kept:
        groups[u.dept].append(u.total)
    stats = {d: (len(t), sum(t) / len(t), min(t), max(t)) for d, t in groups.items()}
    by_year = defaultdict(list)
    for u in kept:
        by_year[u.year].append(u)
    ranks = {}
    for members in by_year.values():
        order = sorted(members, key=lambda u: -u.total)
        for pos, u in enumerate(order):
            prev = order[pos - 1] if pos else None
            ranks[id(u)] = pos + 1 if prev is None or prev.total != u.total else ranks[id(prev)]
    grades = Counter((u.dept, u.year, u.grade) for u in kept)
    _GROUPING.append(time.perf_counter() - t0)
    return len(stats) + len(ranks) + len(grades)


_GROUPING: list[float] = []  # the seconds of the grouping and ranking alone, once the data is read


def _units_frame(path: Path):
    """Only what the consolidation reads, one row a result, straight from the validated reader."""
    import pandas as pd

    from selfeval_xl.outputs.results_file import read_results

    fields = ("file", "sha256", "unit_code", "competent_dept", "year", "status", "total", "grade")
    return pd.DataFrame.from_records(([getattr(r, f) for f in fields] for r in read_results(path)), columns=fields)


def _pandas(path: Path, units_only: bool = False) -> int:
    import pandas as pd

    from selfeval_xl.outputs.frames import load_results

    units = _units_frame(path) if units_only else load_results(path).units
    t0 = time.perf_counter()
    scored = units[units["status"].isin(["ok", "errors"]) & units["total"].notna()]
    kept = scored.drop_duplicates(["sha256", "unit_code", "year"])
    stats = kept.groupby("competent_dept")["total"].agg(["count", "mean", "min", "max"])
    ranks = kept.groupby("year")["total"].rank(method="min", ascending=False)
    grades = pd.crosstab([kept["competent_dept"], kept["year"]], kept["grade"])
    _GROUPING.append(time.perf_counter() - t0)
    return len(stats) + len(ranks) + int((grades > 0).sum().sum())


def one(what: str, path: Path) -> dict:
    import resource

    import pandas  # noqa: F401  (every measurement pays for pandas' import: the difference is the work)

    import selfeval_xl.outputs.consolidation
    import selfeval_xl.outputs.frames  # noqa: F401

    t0 = time.perf_counter()
    if what == "load_results":
        from selfeval_xl.outputs.frames import load_results

        r = load_results(path)
        extra = {"rows": {k: len(getattr(r, k)) for k in ("units", "indicators", "budget", "findings")},
                 "frames_mb": round(sum(getattr(r, k).memory_usage(deep=True).sum()
                                        for k in ("units", "indicators", "budget", "findings")) / 2**20, 1)}
    elif what == "consolidate":
        from selfeval_xl.outputs.consolidation import consolidate

        with tempfile.TemporaryDirectory() as tmp:
            extra = {"units": consolidate([path], Path(tmp) / "汇总.xlsx")["units"]}
    elif what in ("python", "pandas", "pandas_units"):
        extra = {"cells": _python(path) if what == "python" else _pandas(path, what == "pandas_units")}
        extra["grouping_seconds"] = round(_GROUPING[0], 3)
    else:
        extra = {}
    seconds = time.perf_counter() - t0
    return {"what": what, "seconds": round(seconds, 2),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), **extra}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000")
    ap.add_argument("--one", nargs=2, metavar=("WHAT", "RESULTS_JSON"))
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], Path(args.one[1])), ensure_ascii=False))
        return
    for n in map(int, args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "results.json"
            make(n, path)
            print(f"N = {n:,}: results.json {path.stat().st_size / 2**20:.1f} MB")
            for what in ("bare", "load_results", "python", "pandas_units", "pandas", "consolidate"):
                out = subprocess.run([sys.executable, __file__, "--one", what, str(path)],
                                     capture_output=True, text=True, check=True)
                print("  " + out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
