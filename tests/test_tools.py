"""The tests' own switch: a program they need that is missing fails CI instead of skipping."""

import pytest

from .tools import REQUIRE_ENV, missing


def test_a_missing_program_is_a_skip_reason_here_and_a_failure_in_ci(monkeypatch):
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    assert missing("Gnumeric is not installed") == "Gnumeric is not installed"
    assert missing(None) is None
    monkeypatch.setenv(REQUIRE_ENV, "1")
    assert missing(None) is None
    with pytest.raises(RuntimeError, match="Gnumeric is not installed"):
        missing("Gnumeric is not installed")
