"""One submission through the pipeline: intake → read → interpret → validate → score.

Each stage takes what the one before returned and nothing else: ``read_package`` the received
package, ``interpret`` the ``Submission`` (its cells as the rule set reads them: the figures, the
rates, one line per indicator row), ``run_checks`` and ``score_lines`` the ``Interpretation``.

``assess(path, rules)`` never raises for a bad file: a file that cannot be taken in gives an
Assessment with its F-finding and no scores. What the stages after it read of an Assessment is its
typed result (``outputs.results.unit_result``): the object of ``check --format json`` and of a
batch's results.json.

``rules`` is the rule set every file is scored by (``--rules``). Without it each workbook is scored
by the rule set its template was made from: the bundled set whose version its 模板版本 carries; for a
version no bundled set has (or none), the bundled set its sheets fit best, and an S103 says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from selfeval_xl.check.intake import Limits, Received, Rejected, open_package
from selfeval_xl.check.interpret import interpret
from selfeval_xl.check.read import Submission, read_package, template_version
from selfeval_xl.check.score import Scores, score_lines
from selfeval_xl.check.validate import run_checks
from selfeval_xl.core import names as S
from selfeval_xl.core.findings import ERROR, INFO, WARNING, Finding, file_finding
from selfeval_xl.core.formulas import split_a1
from selfeval_xl.rules.model import Rules, bundled_by_version, load_rules

__all__ = ["Assessment", "assess", "assess_submission", "read_by_version", "structure_misfit", "with_findings"]


@dataclass
class Assessment:
    """What the tool concluded about one file."""

    file: Path
    sha256: str = ""
    findings: list[Finding] = field(default_factory=list)
    scores: Scores | None = None
    submission: Submission | None = field(default=None, repr=False)
    rules_version: str = ""
    rates: dict[str, float | None] = field(default_factory=dict)  # the ten rates, from the inputs
    rules: Rules | None = field(default=None, repr=False, compare=False)  # the rule set it was scored by

    # ---- convenience -------------------------------------------------------------------------
    @property
    def failed(self) -> bool:
        """The file could not be read as a submission at all: an F-code, or a readable workbook
        with none of the template's sheets (S101). It has no scores and no scored copy."""
        return self.scores is None

    @property
    def failure(self) -> Finding | None:
        """Why a failed file has no scores: its F-code, or the S101 of its indicator sheet."""
        if not self.failed or not self.findings:
            return None
        return next((f for f in self.findings if f.code.startswith("F") or f.code == "S101"), self.findings[0])

    def count(self, level: str) -> int:
        return sum(f.level == level for f in self.findings)

    @property
    def errors(self) -> int:
        return self.count(ERROR)

    @property
    def warnings(self) -> int:
        return self.count(WARNING)

    @property
    def infos(self) -> int:
        return self.count(INFO)

    @property
    def unit_code(self) -> str:
        return self.submission.basic.unit_code if self.submission else ""

    @property
    def unit_name(self) -> str:
        return self.submission.basic.unit_name if self.submission else ""


def assess(path: str | Path, rules: Rules | None = None, limits: Limits | None = None) -> Assessment:
    """Check and score one file, by ``rules`` or (None) by the rule set its template names. Never
    raises for anything wrong with the file."""
    path = Path(path)
    try:
        pkg = open_package(path, limits)
        if rules is not None:
            sub, chosen = read_package(pkg, rules), ""
        else:
            sub, rules, chosen = read_by_version(pkg)
    except Rejected as rej:
        rules = rules or load_rules()
        return Assessment(path, findings=[file_finding(rej.code, rej.detail)], rules_version=rules.version, rules=rules)
    return assess_submission(sub, rules, chosen)


def read_by_version(received: Received) -> tuple[Submission, Rules, str]:
    """The submission read with the rule set its template was made from, and how that set was
    chosen: "version" (a bundled set writes the 模板版本 it carries, or wrote it in an earlier template:
    its ``previous_versions``) or "closest" (no bundled set
    does, or it carries none: the set whose sheets, labels and common rows it lacks the fewest of;
    the default on a tie)."""
    sets = bundled_by_version()
    version = template_version(received)
    rules = sets.get(version) or next((r for r in sets.values() if version in r.previous_versions), None)
    if rules is not None:
        return read_package(received, rules), rules, "version"
    best: tuple[int, Submission, Rules] | None = None
    for candidate in sets.values():
        sub = read_package(received, candidate)
        misfit = structure_misfit(sub, candidate)
        if best is None or misfit < best[0]:
            best = (misfit, sub, candidate)
        if misfit == 0:
            break
    assert best is not None  # the default set is always bundled
    return best[1], best[2], "closest"


def structure_misfit(sub: Submission, rules: Rules) -> int:
    """How much of a rule set's template the workbook lacks: sheets, headers and labels, common
    rows (what S101, S102 and S104 would say)."""
    missing = sum((0 if info.present else 1) + len(info.missing) for info in sub.structure.values())
    return missing + sum(i.name not in sub.layout.ind_rows for i in rules.indicators)


def assess_submission(sub: Submission, rules: Rules, chosen: str = "") -> Assessment:
    """``chosen``: how ``rules`` was chosen for it ('' given; "version", "closest": read_by_version)."""
    interp = interpret(sub, rules, chosen)
    findings = run_checks(interp)
    if not interp.present(S.INDICATORS):
        # not the template at all, or its indicator sheet is missing or renamed (S101 says which it
        # looks like): nothing to score. Never 0 points or 差: it is listed with the files that failed.
        s101 = [f for f in findings if f.code == "S101" and f.sheet in ("", S.INDICATORS)]
        return Assessment(sub.path, sub.sha256, s101 + _ordered([f for f in findings if f not in s101]), None, sub,
                          rules.version, rules=rules)
    scores, score_findings = score_lines(interp)
    findings += score_findings
    rates = {k: r.value for k, r in interp.budget.rates.items()}
    return Assessment(sub.path, sub.sha256, _ordered(findings), scores, sub, rules.version, rates, rules)


def with_findings(a: Assessment, more: list[Finding]) -> Assessment:
    """The assessment with findings found elsewhere (across a batch) added, in order."""
    from dataclasses import replace

    return replace(a, findings=_ordered([*a.findings, *more]))


_LEVEL_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}
_SHEET_ORDER = {s: i for i, s in enumerate(S.SHEETS)}


def _ordered(findings: list[Finding]) -> list[Finding]:
    """Errors first, then warnings, then infos; within a level by sheet order and row."""
    def key(f: Finding) -> tuple:
        try:
            r, c = split_a1(f.cell) if f.cell else (0, 0)
        except ValueError:
            r, c = 0, 0
        return (_LEVEL_ORDER[f.level], _SHEET_ORDER.get(f.sheet, -1), r, c, f.code)

    return sorted(findings, key=key)
