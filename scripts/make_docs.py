"""Regenerate the references in docs/ from the code (tests fail when they are stale).

    python scripts/make_docs.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from selfeval_xl.cli.commands import reference as cli_reference  # noqa: E402
from selfeval_xl.core.findings import reference as findings_reference  # noqa: E402
from selfeval_xl.outputs.results import schema_text as results_schema  # noqa: E402
from selfeval_xl.rules.reference import reference as rules_reference  # noqa: E402

DOCS = {"cli.md": cli_reference, "findings.md": findings_reference, "rules.md": rules_reference,
        "results.schema.json": results_schema}


def main() -> None:
    for name, make in DOCS.items():
        (ROOT / "docs" / name).write_text(make(), encoding="utf-8")
        print(f"docs/{name}")


if __name__ == "__main__":
    main()
