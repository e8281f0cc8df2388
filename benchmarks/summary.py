"""The summary workbook alone: its time and peak memory at N results, each N in its own process.

    python benchmarks/summary.py                    # N = 1,000, 10,000, 30,000
    python benchmarks/summary.py --sizes 100,1000

The results are the samples' own (check --format json objects), repeated with every text a
department writes made unique per copy (file, unit code and name, 主管部门 one in ten, every
finding's message), so the shared-strings table meets as many distinct texts as a real batch of
that size. Peak memory is the process's ru_maxrss (the results are made one at a time, as a batch
streams them from its journal); a bare interpreter with the package imported is given to compare.
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


def results(n: int):
    from selfeval_xl.check.assess import assess
    from selfeval_xl.outputs.results import UnitResult, unit_result

    base = [unit_result(assess(p)).to_json_dict() for p in sorted((ROOT / "samples").glob("*.xlsx"))]
    for i in range(n):
        r = json.loads(json.dumps(base[i % len(base)]))
        tag = f"{i:06d}"
        r["file"] = f"{tag}_{r['file']}"
        r["unit_code"] = f"41{tag}"
        r["unit_name"] = f"{r['unit_name']}{tag}"
        r["competent_dept"] = f"主管部门{i % (n // 10 + 1)}"
        r["copy"] = f"审核副本/{tag}.xlsx"
        for x in r["findings"]:
            x["message"] = f"{x['message']}（{tag}）"
        yield UnitResult.from_json_dict(r)  # as a batch reads each one back from its journal


def one(n: int) -> dict:
    import resource

    from selfeval_xl.outputs.summary import write_summary
    from selfeval_xl.rules.model import load_rules

    rules = load_rules()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "审核汇总.xlsx"
        t0 = time.perf_counter()
        write_summary(results(n), path, rules)
        seconds = time.perf_counter() - t0
        size = path.stat().st_size
    return {"n": n, "seconds": round(seconds, 2), "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "size_mb": round(size / 2**20, 1)}


def bare() -> dict:
    import resource

    import selfeval_xl.outputs.summary  # noqa: F401

    return {"n": 0, "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,30000")
    ap.add_argument("--one", type=int)
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one) if args.one else bare()))
        return
    print(f"{'N':>8} {'seconds':>8} {'peak MB':>8} {'file MB':>8}")
    for n in [0, *map(int, args.sizes.split(","))]:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['n']:>8,} {r.get('seconds', ''):>8} {r['peak_mb']:>8} {r.get('size_mb', ''):>8}")


if __name__ == "__main__":
    main()
