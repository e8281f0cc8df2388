"""Run the fuzzer: mutated workbooks through a real batch, and the bar every answer must meet.

    python -m tests.fuzz.run --cases 10000 --seed 0 --jobs 2      # the long run, by hand
    (tests/test_fuzz.py runs a few hundred cases in CI)

The bar: every file answered (results.json, parsed by a strict JSON parser, lists each one); no
traceback (no internal error), no crash of a worker (F009), no hang past the time limit (F008), no
memory blow-up (the workers' memory limit would make it F009); and for every file scored, a copy
that passes ``checks.copy_problems``: well-formed, nothing dangling, no macro, no formula the
submission did not have.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from selfeval_xl.batch.run import run_batch  # noqa: E402
from selfeval_xl.batch.tasks import BatchOptions  # noqa: E402
from tests.fuzz.checks import copy_problems, strict_json  # noqa: E402
from tests.fuzz.mutate import case  # noqa: E402

SOURCES = sorted((ROOT / "samples").glob("*.xlsx"))


@dataclass
class Report:
    cases: int = 0
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    codes: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    peak_worker_mb: float = 0.0

    def lines(self) -> list[str]:
        out = [f"{self.cases} cases in {self.seconds:.1f} s ({self.cases / max(self.seconds, 1e-9):.0f} a second); "
               f"peak memory of a worker {self.peak_worker_mb:.0f} MB",
               "statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items())),
               "first finding of failed files: " + ", ".join(f"{k} {v}" for k, v in sorted(self.codes.items())),
               f"failures of the bar: {len(self.failures)}"]
        return out + [f"  {f}" for f in self.failures[:50]]


def run(seeds: range, folder: Path, jobs: int = 2, timeout: float = 30) -> Report:
    inputs = folder / "in"
    inputs.mkdir(parents=True, exist_ok=True)
    names = {}
    for seed in seeds:
        name, data = case(seed, SOURCES)
        (inputs / name).write_bytes(data)
        names[name] = data
    started = time.monotonic()
    out = folder / "out"
    run_batch(inputs, out, BatchOptions(jobs=jobs, timeout=timeout, memory_mb=1024))
    report = Report(len(names), time.monotonic() - started)
    report.peak_worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    results = strict_json((out / "results.json").read_text(encoding="utf-8"))
    answered = {r["file"] for r in results}
    report.failures += [f"{n}: no answer" for n in names if n not in answered]
    for r in results:
        report.statuses[r["status"]] += 1
        code = r["findings"][0]["code"] if r["findings"] else ""
        if r["status"] == "failed":
            report.codes[code] += 1
        if r["status"] == "internal":
            report.failures.append(f"{r['file']}: internal error {r.get('internal_error')}")
        elif code in ("F008", "F009"):
            report.failures.append(f"{r['file']}: {code} {r['findings'][0]['message'][:80]}")
        elif r["status"] != "failed":
            copy = out / r["copy"]
            if not r["copy"] or not copy.exists():
                report.failures.append(f"{r['file']}: scored, but no copy")
                continue
            problems = copy_problems(names[r["file"]], copy.read_bytes())
            if problems:
                report.failures.append(f"{r['file']}: {problems[0]}")
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0, help="the first seed (cases are seed, seed + 1, ...)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("/tmp/selfeval-fuzz"))
    args = ap.parse_args()
    report = run(range(args.seed, args.seed + args.cases), args.out, args.jobs)
    print("\n".join(report.lines()))
    (args.out / "report.json").write_text(json.dumps(report.__dict__, default=list, ensure_ascii=False, indent=1))
    sys.exit(1 if report.failures else 0)


if __name__ == "__main__":
    main()
