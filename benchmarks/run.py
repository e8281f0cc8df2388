"""The benchmark: where the time goes, against the floor of reading the files.

    python benchmarks/run.py                       # N = 1,000 (under two minutes once cached)
    python benchmarks/run.py --sizes 100,1000,10000

For each N, on the same generated files (benchmarks/corpus.py, cached under benchmarks/cache/):
  (a) floor: python-calamine reads every cell of every sheet of every file, and nothing else;
  (b) check: every file assessed and rendered as JSON (what `selfeval-xl check DIR --format json` does),
      and (b') the same in worker processes (`check --jobs N`);
  (c) batch: worker processes, scored copies, results.json, findings.csv and the summary.
Each runs in its own process: files per second, ms per file, the ratio to (a), and the peak memory
of every process (ru_maxrss of the stage's process and of its largest worker). Then a clerk's
one-file `check` against a bare `python -c pass`, how the cost per file grows with N, and a profile
of one file's path.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from corpus import corpus  # noqa: E402


def stage(name: str, *args: str) -> dict:
    proc = subprocess.run([sys.executable, str(HERE / "stage.py"), name, *args], capture_output=True, text=True,
                          cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"stage {name} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu or 'CPU unknown'}, Python {platform.python_version()}"


def per_file_path(folder: Path, n: int = 200) -> str:
    """Milliseconds per file in each stage of the one-file path, and the hottest functions."""
    from selfeval_xl.check.assess import Assessment, _ordered
    from selfeval_xl.check.intake import open_package
    from selfeval_xl.check.interpret import interpret
    from selfeval_xl.check.read import read_package
    from selfeval_xl.check.score import score_lines
    from selfeval_xl.check.validate import run_checks
    from selfeval_xl.outputs.results import unit_result
    from selfeval_xl.outputs.scored_copy import scored_copy_bytes
    from selfeval_xl.rules.model import load_rules

    rules = load_rules()
    files = sorted(folder.rglob("*.xlsx"))[:n]
    stages = {"intake (zip, every part verified, XML parsed)": 0.0, "read (cells of the parsed sheets)": 0.0,
              "checks (S/V/X/B)": 0.0, "scoring (P)": 0.0, "scored copy": 0.0, "JSON object": 0.0}
    names = list(stages)
    done = 0

    def one(p):
        nonlocal done
        t0 = time.perf_counter()
        try:
            pkg = open_package(p)
            t1 = time.perf_counter()
            sub = read_package(pkg, rules)
        except Exception:
            return
        t2 = time.perf_counter()
        interp = interpret(sub, rules)
        findings = run_checks(interp)
        t3 = time.perf_counter()
        scores, more = score_lines(interp)
        a = Assessment(sub.path, sub.sha256, _ordered(findings + more), scores, sub, rules.version,
                       {k: r.value for k, r in interp.budget.rates.items()})
        t4 = time.perf_counter()
        scored_copy_bytes(a)
        t5 = time.perf_counter()
        unit_result(a).to_json_dict()
        t6 = time.perf_counter()
        for name, dt in zip(names, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5), strict=True):
            stages[name] += dt
        done += 1

    for p in files[:20]:
        one(p)  # warm up
    for k in stages:
        stages[k] = 0.0
    done = 0
    for p in files:
        one(p)
    total = sum(stages.values())
    lines = [f"Per-file path, {done} files (ms per file):"]
    for name, s in stages.items():
        lines.append(f"  {name:<42} {s / done * 1000:7.2f} ms  {s / total * 100:5.1f}%")
    lines.append(f"  {'total':<42} {total / done * 1000:7.2f} ms")
    prof = cProfile.Profile()
    prof.enable()
    for p in files[:100]:
        one(p)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(14)
    body = [line for line in buf.getvalue().splitlines() if line.strip()][4:]
    lines += ["", "Hottest functions (cProfile, own time, 100 files):", *("  " + line for line in body)]
    return "\n".join(lines)


def _seconds(cmd: list[str], runs: int = 15) -> tuple[float, float]:
    """Median wall seconds of a command (after one warm-up run), and its peak memory in MB."""

    subprocess.run(cmd, capture_output=True, cwd=ROOT)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - t)
    # the command's own peak: ru_maxrss of the children of a fresh process that runs only it (this
    # process's RUSAGE_CHILDREN would be the largest of every stage run so far)
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], capture_output=True); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, text=True, cwd=ROOT).stdout
    return sorted(times)[len(times) // 2], int(out) / 1024


def one_file() -> str:
    """A clerk checks one file: `selfeval-xl check` against a bare `python -c pass`."""
    bare, _ = _seconds([sys.executable, "-c", "pass"])
    sample = str(ROOT / "samples" / "02_市场监督管理局_2023.xlsx")
    check, peak = _seconds([sys.executable, "-m", "selfeval_xl", "check", sample])
    return (f"One file (`selfeval-xl check samples/02_…xlsx`, median of 15): {check * 1000:.0f} ms, "
            f"{check / bare:.1f}× a bare `python -c pass` ({bare * 1000:.0f} ms); peak {peak:.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000", help="comma-separated N (default 1000)")
    ap.add_argument("--jobs", type=int, default=0, help="batch workers (default: one per core)")
    ap.add_argument("--no-profile", action="store_true")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    jobs = args.jobs or os.cpu_count() or 1
    print(f"Machine: {machine()}")
    rows = {}
    for n in sizes:
        t = time.perf_counter()
        folder = corpus(n)
        gen = time.perf_counter() - t
        out = HERE / "results" / f"batch-{n}"
        res = {"floor": stage("floor", str(folder)), "check": stage("check", str(folder)),
               "check_jobs": stage("check_jobs", str(folder), str(jobs)),
               "batch": stage("batch", str(folder), str(out), str(jobs))}
        rows[n] = res
        files = res["floor"]["files"]
        print(f"\nN = {n:,} ({files:,} files, {res['batch']['failed']} of them bad or unscorable; "
              f"corpus ready in {gen:.1f} s)")
        print(f"  {'stage':<40} {'files/s':>8} {'ms/file':>8} {'× floor':>8} {'peak MB':>8} {'worker MB':>10}")
        floor_ms = res["floor"]["seconds"] / files * 1000
        labels = {"floor": "(a) calamine floor, 1 process", "check": "(b) check, 1 process",
                  "check_jobs": f"(b') check --jobs {jobs}", "batch": f"(c) batch, {jobs} workers, copies + summary"}
        for key, label in labels.items():
            r = res[key]
            ms = r["seconds"] / files * 1000
            worker = f"{r['worker_peak_mb']:10.0f}" if key in ("batch", "check_jobs") else f"{'':>10}"
            print(f"  {label:<40} {files / r['seconds']:8.0f} {ms:8.2f} {ms / floor_ms:8.2f} {r['peak_mb']:8.0f}{worker}")
        b = res["batch"]
        print(f"  batch wall time {b['seconds']:.1f} s; its outputs {b['outputs_seconds']:.2f} s, "
              f"of which the summary workbook {b['summary_seconds']:.2f} s")
        print("  peak MB: ru_maxrss of the process itself; worker MB: the largest worker's")
    print()
    print(one_file())
    if len(sizes) > 1:
        print("\nCost per file as N grows (ms/file; linear work keeps it flat):")
        print("  " + f"{'N':>8}" + "".join(f"{k:>10}" for k in ("floor", "check", "batch", "summary")))
        for n, res in rows.items():
            files = res["floor"]["files"]
            vals = [res[k]["seconds"] / files * 1000 for k in ("floor", "check", "batch")]
            vals.append(res["batch"]["summary_seconds"] / files * 1000)
            print("  " + f"{n:>8,}" + "".join(f"{v:10.3f}" for v in vals))
    if not args.no_profile:
        print()
        print(per_file_path(corpus(sizes[0])))


if __name__ == "__main__":
    main()
