"""Prove a refactoring changed no assessment: every finding, cell and score as an earlier commit gives.

    python scripts/same_assessments.py BASE [--cases 400]

Exports BASE (``git archive``) to a temporary folder and assesses, with that code and with this
checkout's, every workbook of samples/, examples/*/, templates/ and tests/fuzz/regressions/, and
``--cases`` fuzz cases (tests/fuzz/mutate.py, seeds 0…n-1, from the samples and examples):
``unit_result(assess(path)).to_json_dict()`` of each, compared as JSON. Prints each file whose assessment differs
and exits 1 if any does. Each side runs in its own process under a 4 GB address-space limit.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: run in each tree (PYTHONPATH set to it): argv = out.json, files...
DUMP = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (4_000_000_000, 4_000_000_000))
from selfeval_xl.check.assess import assess
try:
    from selfeval_xl.outputs.results import unit_result
    as_json = lambda a: unit_result(a).to_json_dict()
except ImportError:  # a tree from before the typed result (issue 20.2): the same JSON, by to_dict
    as_json = lambda a: a.to_dict()
out = {}
for p in sys.argv[2:]:
    try:
        out[p] = as_json(assess(p))
    except Exception as e:  # an exception is a difference too
        out[p] = {"raised": repr(e)}
open(sys.argv[1], "w", encoding="utf-8").write(json.dumps(out, ensure_ascii=False, sort_keys=True, default=str))
"""


def _files(cases: int, scratch: Path) -> list[str]:
    sources = [*sorted((ROOT / "samples").glob("*.xlsx")), *sorted((ROOT / "examples").glob("*/*.xlsx"))]
    files = [*sources, *sorted((ROOT / "templates").glob("*.xlsx")),
             *sorted((ROOT / "tests" / "fuzz" / "regressions").glob("*.xlsx"))]
    sys.path.insert(0, str(ROOT))
    from tests.fuzz.mutate import case

    for seed in range(cases):
        _, data = case(seed, sources)
        path = scratch / f"case_{seed:04d}.xlsx"
        path.write_bytes(data)
        files.append(path)
    return [str(p) for p in files]


def _dump(tree: Path, files: list[str], out: Path) -> dict:
    subprocess.run([sys.executable, "-c", DUMP, str(out), *files], check=True, cwd=tree,
                   env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})
    result: dict = json.loads(out.read_text(encoding="utf-8"))
    return result


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("base", help="the commit to compare with")
    ap.add_argument("--cases", type=int, default=400, help="fuzz cases besides the files in the repository")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="same_assessments_") as tmp:
        scratch, old = Path(tmp), Path(tmp) / "base"
        old.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.base], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
        files = _files(args.cases, scratch)
        before = _dump(old, files, scratch / "before.json")
        after = _dump(ROOT, files, scratch / "after.json")
    differ = [f for f in files if before.get(f) != after.get(f)]
    for f in differ:
        print("differs:", f)
    print(f"{len(files) - len(differ)} of {len(files)} assessments identical to {args.base}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
