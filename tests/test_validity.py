"""Every kind of workbook we write passes an independent OOXML validator (issue 18, item 4).

``openxml-audit`` is a pure-Python port of the Open XML SDK's schema and semantic checks: what it
calls an error is what makes Excel "repair" a file or drop a property. Written here, each kind once:
the templates of the three bundled rule sets, the scored copy of every sample and of both examples
(with their rule sets), the summary of a batch (with a file that fails, so that 处理失败 has rows)
and a consolidation (two inputs, so that its duplicates sheet has rows too).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

openxml_audit = pytest.importorskip("openxml_audit")

from selfeval_xl.batch.run import run_batch  # noqa: E402
from selfeval_xl.batch.tasks import BatchOptions  # noqa: E402
from selfeval_xl.form.template import write_template  # noqa: E402
from selfeval_xl.outputs.consolidation import consolidate  # noqa: E402
from selfeval_xl.rules.model import load_rules  # noqa: E402

from .conftest import ROOT  # noqa: E402

pytestmark = pytest.mark.slow  # every kind of workbook we write, for every rule set, through openxml-audit

RULE_SETS = ("default", "four-part", "mof-project")
EXAMPLES = {"four-part": ROOT / "examples" / "four-part", "mof-project": ROOT / "examples" / "mof-project"}


def problems(path: Path, *, warnings: bool = False) -> list[str]:
    """The validator's errors (and warnings, if asked) about ``path``, as text."""
    result = openxml_audit.OpenXmlValidator(max_errors=0).validate(path)
    wanted = {openxml_audit.ValidationSeverity.ERROR} | ({openxml_audit.ValidationSeverity.WARNING} if warnings else set())
    return [str(e) for e in result.errors if e.severity in wanted]


@pytest.fixture(scope="module")
def outputs(sample_files, tmp_path_factory) -> dict[str, list[Path]]:
    base = tmp_path_factory.mktemp("validity")
    out: dict[str, list[Path]] = {"template": [], "scored copy": [], "summary": [], "consolidation": []}
    for name in RULE_SETS:
        path = base / f"模板-{name}.xlsx"
        write_template(path, load_rules(name))
        out["template"].append(path)
    inbox = base / "收件箱"
    inbox.mkdir()
    for p in sample_files.values():
        (inbox / p.name).write_bytes(p.read_bytes())
    (inbox / "不是表格.xlsx").write_bytes(b"not a workbook")
    batch = base / "批量"
    run_batch(inbox, batch, BatchOptions(jobs=1))
    out["scored copy"] += sorted((batch / "审核副本").glob("*.xlsx"))
    out["summary"].append(batch / "审核汇总.xlsx")
    for rules, folder in EXAMPLES.items():
        done = base / f"批量-{rules}"
        run_batch(folder, done, BatchOptions(jobs=1, rules_path=ROOT / "selfeval_xl" / "data" / "rules" / f"{rules}.yaml"))
        out["scored copy"] += sorted((done / "审核副本").glob("*.xlsx"))
    path = base / "汇总.xlsx"
    consolidate([batch, batch / "results.json"], path)
    out["consolidation"].append(path)
    return out


@pytest.mark.parametrize("kind", ["template", "scored copy", "summary", "consolidation"])
def test_every_workbook_we_write_is_valid(outputs, kind):
    assert outputs[kind]
    for path in outputs[kind]:
        assert problems(path) == [], path.name


@pytest.mark.parametrize("kind", ["summary", "consolidation"])
def test_the_auditors_workbooks_keep_their_text_in_a_shared_strings_table(outputs, kind):
    """As Excel writes a workbook: no inline strings (WPS of 2021-22 refused workbooks of inline
    strings only, php-ext-xlswriter #398, #401, #432; Excel rewrites them on saving). The
    validator warns of such cells; it has nothing to say about these."""
    for path in outputs[kind]:
        assert problems(path, warnings=True) == [], path.name
        with zipfile.ZipFile(path) as z:
            assert "xl/sharedStrings.xml" in z.namelist()
            assert not any(b't="inlineStr"' in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_the_scored_copies_cover_every_sample_and_example(outputs, sample_files):
    examples = sum(len(list(folder.glob("*.xlsx"))) for folder in EXAMPLES.values())
    assert len(outputs["scored copy"]) == len(sample_files) + examples
