"""Every regular expression that remains is linear (issue 13.2).

Every compiled pattern of the package's modules, and every function that applies one to text from
a submission, is fed 1 MB of adversarial input: long runs of the pattern's own literal characters
(an unclosed quote, bracket or comment; repeated separators; digits without an end). A pattern with
nested quantifiers over such text takes hours, and a quadratic one some 10^12 steps (hours too); a
linear one a fraction of a second. (10 MB found nothing 1 MB does not, at ten times the cost.) The work runs in
a subprocess with a generous deadline: the test fails on a hang, it measures nothing.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow  # minutes of 1 MB inputs in a subprocess

PROGRAM = textwrap.dedent(r'''
    import importlib, pkgutil, re, sys
    import selfeval_xl
    from selfeval_xl.core import formulas as formulas
    from selfeval_xl.core import numbers as numbers
    from selfeval_xl.check import read as read
    from selfeval_xl.core import sanitize as safe
    from selfeval_xl.rules import targets as targets
    from selfeval_xl.ooxml import refs, workbook
    from selfeval_xl.rules.model import load_rules

    SIZE = 1024 * 1024
    patterns = []
    for info in pkgutil.walk_packages(selfeval_xl.__path__, "selfeval_xl."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        patterns += [(f"{info.name}.{k}", v) for k, v in vars(module).items() if isinstance(v, re.Pattern)]

    GENERIC = ["'", '"', "[", "\\", "a1", " ", "<!--", "'a", "甲1."]

    def inputs(chars):
        seen = set()
        for unit in [*GENERIC, *chars, *(a + b for a in chars[:3] for b in chars[:3] if a != b)]:
            if unit and unit not in seen:
                seen.add(unit)
                yield unit, (unit * (SIZE // len(unit) + 1))[:SIZE]

    for name, pattern in patterns:
        binary = isinstance(pattern.pattern, bytes)  # a pattern over a part's bytes: fed the same, encoded
        source = pattern.pattern.decode("latin-1") if binary else pattern.pattern
        chars = sorted({c for c in source if not c.isspace() and c not in "()?*+{}|^$.-,:<=!\\"})[:6]
        for unit, text in inputs(chars):
            print(name, repr(unit), flush=True)
            text = text.encode("utf-8")[:SIZE] if binary else text
            pattern.sub("", text)  # every start position, as search and finditer try them
            pattern.fullmatch(text)  # anchored at both ends: what backtracking does worst

    rules = load_rules()
    functions = [("label_key", read.label_key), ("targets.clean_text", targets.clean_text),
                 ("parse_target", lambda t: targets.parse_target(t, rules)),
                 ("read_actual", lambda t: targets.read_actual(t, targets.parse_target("≥90%", rules), rules)),
                 ("normalize_formula", formulas.normalize_formula), ("shift_formula", lambda t: refs.shift_formula(t, 1, 1)),
                 ("is_date_format", workbook.is_date_format), ("read_number", numbers.read_number),
                 ("safe_filename", safe.safe_filename), ("csv_cell", safe.csv_cell), ("parse_ref", refs.parse_ref)]
    for name, fn in functions:
        for unit, text in inputs([]):
            print(name, repr(unit), flush=True)
            fn(text)
    print("done", len(patterns), "patterns", len(functions), "functions", flush=True)
''')


def test_every_pattern_and_every_function_on_submitted_text_is_linear():
    try:
        proc = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=600, cwd=ROOT)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        last = out.strip().splitlines()[-1] if out.strip() else "?"
        raise AssertionError(f"no answer in 600 s on 1 MB of input: {last}") from None
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1].startswith("done")
