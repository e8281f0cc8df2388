"""The programs outside Python the tests drive (LibreOffice, its uno bridge, Gnumeric, poppler).

Where one is missing its tests are skipped on a developer's machine; with ``SELFEVAL_REQUIRE_TOOLS=1``
(the README's test command, so CI) a missing program fails the run instead: a proof in LibreOffice
or Gnumeric that did not run must not read as one that passed."""

from __future__ import annotations

import os

REQUIRE_ENV = "SELFEVAL_REQUIRE_TOOLS"


def missing(reason: str | None) -> str | None:
    """``reason`` (why a program cannot run here, None when it can), or an error under CI."""
    if reason and os.environ.get(REQUIRE_ENV) == "1":
        raise RuntimeError(f"{reason}: the tests need it ({REQUIRE_ENV}=1)")
    return reason
