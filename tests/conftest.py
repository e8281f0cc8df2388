"""Shared fixtures: the rules, generated files, the samples and their inputs."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

from selfeval_xl.form.template import write_template
from selfeval_xl.rules.model import load_rules

ROOT = Path(__file__).resolve().parent.parent
# a test's own `python -m selfeval_xl` runs this checkout too, not whatever copy is installed
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
SAMPLES_DIR = ROOT / "samples"
#: odd real-world spreadsheets (calamine's test suite, MIT): see tests/corpus/README.md
CORPUS = ROOT / "tests" / "corpus" / "calamine"


def _load_samples_module():
    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "scripts" / "make_samples.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_samples"] = mod
    spec.loader.exec_module(mod)
    return mod


make_samples = _load_samples_module()

#: the markers of the tests a default run leaves out (setup.cfg describes them); --run-slow runs them
SLOW_MARKERS = ("slow", "libreoffice")


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run the tests marked slow or libreoffice (the README's test command, CI, does)")


def pytest_collection_modifyitems(config, items):
    """The fast loop: without --run-slow (or a -m of one's own) the slow and LibreOffice tests are left
    out, deselected (counted in the last line) rather than skipped, so -ra lists only real skips."""
    if config.getoption("--run-slow") or config.getoption("markexpr"):
        return
    named = [tuple(a.replace(os.sep, "/").split("::", 1)) for a in config.args if "::" in a]
    fast, slow = [], []
    for item in items:
        marked = any(item.get_closest_marker(m) for m in SLOW_MARKERS)
        (slow if marked and not _named(item.nodeid, named) else fast).append(item)
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = fast


def _named(nodeid: str, named: list[tuple[str, ...]]) -> bool:
    """A test named on the command line (path::test, or one of its parameters) runs, slow or not."""
    path, _, rest = nodeid.partition("::")
    return any(p.endswith(path) and (rest == r or rest.startswith((r + "[", r + "::"))) for p, r in named)


def pytest_report_header(config):
    if not (config.getoption("--run-slow") or config.getoption("markexpr")):
        return f"the fast loop: tests marked {' or '.join(SLOW_MARKERS)} are deselected (--run-slow runs them)"
    return None


@pytest.fixture(scope="session")
def rules():
    return load_rules()


@pytest.fixture(scope="session")
def samples_module():
    return make_samples


@pytest.fixture(scope="session")
def blank_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "申报表模板.xlsx"
    write_template(path)
    return path


@pytest.fixture(scope="session")
def sample_files(tmp_path_factory) -> dict[str, Path]:
    """The samples, freshly generated (the committed copies are compared in test_samples)."""
    out = tmp_path_factory.mktemp("samples")
    # the examples are not remade here: written into the checkout they made
    # test_committed_examples_are_what_the_script_makes compare them with themselves (and raced readers)
    make_samples.main(out, examples=None)
    return {name: out / name for name in make_samples.SAMPLES}


@pytest.fixture
def write_filled(tmp_path):
    """write_filled(filling, name) -> path of the template filled with it."""
    def _write(filling, name="submission.xlsx", **kw):
        path = tmp_path / name
        write_template(path, filling=filling, **kw)
        return path
    return _write


def rezip(src: Path, dst: Path, change) -> Path:
    """Copy a package, letting ``change(parts)`` edit its {name: bytes} first (how the tests make
    files other programs might have saved)."""
    import io
    import zipfile

    z = zipfile.ZipFile(src)
    parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    change(parts)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    dst.write_bytes(buf.getvalue())
    return dst


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(params=["fork", "spawn"])
def start_method(request, monkeypatch):
    """The batch's and check --jobs's processes started by fork (Linux's default) and by spawn (the
    only one Windows has, macOS's default): a spawned child gets nothing but what it is sent."""
    from selfeval_xl.batch.children import START_METHOD_ENV

    monkeypatch.setenv(START_METHOD_ENV, request.param)
    return request.param
