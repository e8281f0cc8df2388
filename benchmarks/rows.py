"""Cost of one workbook against its number of indicator rows: `score` must grow linearly.

    python benchmarks/rows.py                      # 1,250 to 20,000 rows
    python benchmarks/rows.py --sizes 5000,40000
    python benchmarks/rows.py --report             # and the 自评报告 draft of each (`report`)

For each N a workbook is generated from the template (the default rule set, N department rows under
产出指标, every one short of its target with a self score that differs from the 核定得分: each row
draws findings, a 审核意见, a comment and a row of 审核结果, the costliest case). Each stage of
`selfeval-xl score` runs on it in this process, best of ``--repeat``: read, checks, scoring, the
scored copy. Then the time per row and, between consecutive sizes, the exponent of the growth
(1.0 is linear, 2.0 quadratic). Memory is bounded by ``--memory`` (MB).
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

CACHE = HERE / "cache" / "rows"


def workbook(n: int) -> Path:
    """A filled workbook with ``n`` own 产出 rows (cached)."""
    import make_samples

    from selfeval_xl.form.filling import OwnIndicator
    from selfeval_xl.form.template import write_template

    path = CACHE / f"rows-{n}.xlsx"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        f = make_samples.bureau()
        w = 40 / n
        f.own["产出指标"] = [OwnIndicator("数量指标", f"指标{i}", w, "≥90%", "45%", w) for i in range(n)]
        tmp = path.with_suffix(".tmp")
        write_template(tmp, filling=f)
        tmp.replace(path)
    return path


def stages(path: Path, report: bool = False) -> dict[str, float]:
    from selfeval_xl.check.assess import assess_submission
    from selfeval_xl.check.intake import open_package
    from selfeval_xl.check.interpret import interpret
    from selfeval_xl.check.read import read_package
    from selfeval_xl.check.score import score_lines
    from selfeval_xl.check.validate import run_checks
    from selfeval_xl.outputs.scored_copy import scored_copy_bytes
    from selfeval_xl.rules.model import load_rules

    rules = load_rules()
    out: dict[str, float] = {}
    t = time.perf_counter()
    sub = read_package(open_package(path), rules)
    out["read"] = time.perf_counter() - t
    t = time.perf_counter()
    interp = interpret(sub, rules)
    run_checks(interp)
    out["checks"] = time.perf_counter() - t
    t = time.perf_counter()
    score_lines(interp)
    out["scoring"] = time.perf_counter() - t
    a = assess_submission(sub, rules)
    t = time.perf_counter()
    scored_copy_bytes(a)
    out["scored copy"] = time.perf_counter() - t
    out["score (all)"] = out["read"] + out["checks"] + out["scoring"] + out["scored copy"]
    if report:  # every row is short of its target: every row is a deviation in the report's table
        import tempfile

        from selfeval_xl.outputs.word_report import write_report

        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            write_report(a, rules, Path(tmp) / "r.docx")
            out["report"] = time.perf_counter() - t
    return out


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1250,2500,5000,10000,20000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--memory", type=int, default=4000, help="address-space limit in MB")
    ap.add_argument("--report", action="store_true", help="time the 自评报告 draft too (its own exponent)")
    args = ap.parse_args(argv)
    limit = args.memory * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sizes = [int(s) for s in args.sizes.split(",")]
    results: list[tuple[int, dict[str, float]]] = []
    for n in sizes:
        path = workbook(n)
        runs = [stages(path, args.report) for _ in range(args.repeat)]
        results.append((n, {k: min(r[k] for r in runs) for k in runs[0]}))
    names = list(results[0][1])
    print(f"seconds (best of {args.repeat}) by indicator rows; growth exponent against the size before")
    print(f"  {'rows':>7}  " + "  ".join(f"{k:>12}" for k in names) + "   µs/row   exponent")
    prev: tuple[int, float] | None = None
    for n, r in results:
        total = r["score (all)"]
        exp = f"{math.log(total / prev[1]) / math.log(n / prev[0]):8.2f}" if prev else "       –"
        print(f"  {n:>7,}  " + "  ".join(f"{r[k]:12.2f}" for k in names) + f"  {total / n * 1e6:7.0f}   {exp}")
        prev = (n, total)
    if args.report:
        print("the report alone: seconds, µs/row, exponent")
        before: tuple[int, float] | None = None
        for n, r in results:
            exp = f"{math.log(r['report'] / before[1]) / math.log(n / before[0]):8.2f}" if before else "       –"
            print(f"  {n:>7,}  {r['report']:12.2f}  {r['report'] / n * 1e6:7.0f}   {exp}")
            before = (n, r["report"])


if __name__ == "__main__":
    main(sys.argv[1:])
