"""selfeval-xl: 部门整体支出绩效自评 (a department's whole-year spending performance self-evaluation).

The pipeline, one module per stage::

    rules (YAML) → template                                   rules.py, template.py
    file → intake → read → validate → score → write back      intake.py, read.py, validate.py, score.py
    folder → batch (workers) → summary / consolidation        batch.py, summary.py, consolidate.py

The public API is re-exported here; ``cli.py`` is a thin layer over it.
"""

__version__ = "0.1.0"

import importlib
from typing import TYPE_CHECKING, Any

#: public name -> the module that defines it (imported when first asked for: `check` never loads
#: the template writer, XlsxWriter or pandas)
_LAZY = {
    "Assessment": "assess", "assess": "assess", "Finding": "findings", "Limits": "intake", "Rejected": "intake",
    "Submission": "read", "read_submission": "read", "Rules": "rules", "RulesError": "rules", "load_rules": "rules",
    "Filling": "template", "write_template": "template",
}

if TYPE_CHECKING:
    from .assess import Assessment, assess
    from .findings import Finding
    from .intake import Limits, Rejected
    from .read import Submission, read_submission
    from .rules import Rules, RulesError, load_rules
    from .template import Filling, write_template


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
