"""selfeval-xl: 部门整体支出绩效自评 (a department's whole-year spending performance self-evaluation).

The pipeline, one folder per stage (every import points down it)::

    core/      findings, names, numbers, formulas, sanitize, units, inputs
    rules/     rules (data) → model, schema, methods, targets, deadlines, totals, reference
    form/      rules → the template a department fills: layout, checks, instructions, template
    check/     file → intake → read → validate → score → assess
    outputs/   assessment → console, results, scored copy, word report; many → summary, consolidation
    batch/     folder → inventory → run (workers, journal) → across → outputs
    cli/       the command line over all of it

The public API is re-exported here; ``cli/`` is a thin layer over it.
"""

__version__ = "0.1.0"

import importlib
from typing import TYPE_CHECKING, Any

#: public name -> the module that defines it (imported when first asked for: `check` never loads
#: the template writer, XlsxWriter or pandas)
_LAZY = {
    "Assessment": "check.assess", "assess": "check.assess", "Finding": "core.findings", "Limits": "check.intake",
    "Rejected": "check.intake", "Submission": "check.read", "read_submission": "check.read", "Rules": "rules.model",
    "RulesError": "rules.model", "load_rules": "rules.model", "Filling": "form.filling", "write_template": "form.template",
}

if TYPE_CHECKING:
    from selfeval_xl.check.assess import Assessment, assess
    from selfeval_xl.check.intake import Limits, Rejected
    from selfeval_xl.check.read import Submission, read_submission
    from selfeval_xl.core.findings import Finding
    from selfeval_xl.form.filling import Filling
    from selfeval_xl.form.template import write_template
    from selfeval_xl.rules.model import Rules, RulesError, load_rules


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'selfeval_xl' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


__all__ = [
    "Assessment",
    "Filling",
    "Finding",
    "Limits",
    "Rejected",
    "Rules",
    "RulesError",
    "Submission",
    "__version__",
    "assess",
    "load_rules",
    "read_submission",
    "write_template",
]
