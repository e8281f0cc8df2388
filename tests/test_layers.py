"""The tree is the pipeline (issue 20.1): every import of the package points down it, and no module
imports another module's private name."""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "selfeval_xl"
#: the stages, lowest first: a module may import its own stage's modules and any stage below
LAYERS = ("ooxml", "core", "rules", "form", "check", "outputs", "batch", "cli")


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(path: Path, name: str) -> list[tuple[int, str, list[str]]]:
    """(line, the module imported, the names taken from it) of every import in the file, relative
    ones resolved, those inside functions and under TYPE_CHECKING included."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            module = ".".join(filter(None, [base if node.level else "", node.module or ""]))
            out.append((node.lineno, module, [a.name for a in node.names]))
    return out


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "selfeval_xl" or len(parts) < 2 or parts[1] not in LAYERS:
        return None
    return LAYERS.index(parts[1])


def test_every_import_points_down_the_pipeline():
    modules = _modules()
    upward = []
    for name, path in modules.items():
        mine = _layer(name)
        if mine is None:  # selfeval_xl/__init__ and __main__: the library's front, above every stage
            continue
        for line, module, names in _imports(path, name):
            targets = [module] + [f"{module}.{n}" for n in names if f"{module}.{n}" in modules]
            for target in targets:
                theirs = _layer(target)
                if theirs is not None and theirs > mine:
                    upward.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not upward, "\n".join(upward)


def test_no_module_imports_a_private_name_of_another():
    modules = _modules()
    private = []
    for name, path in modules.items():
        for line, module, names in _imports(path, name):
            if module.startswith("selfeval_xl") and module != name:
                private += [f"{path.relative_to(ROOT)}:{line} takes {module}.{n}" for n in names
                            if n.startswith("_") and not n.startswith("__")]
    assert not private, "\n".join(private)


def test_the_layers_are_the_folders():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(LAYERS)
    assert {p.name for p in PACKAGE.glob("*.py")} == {"__init__.py", "__main__.py"}
