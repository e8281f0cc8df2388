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
    """A module's stage; the package's front (``selfeval_xl`` itself, its lazy public API) is above
    every stage; None for what is not ours."""
    parts = module.split(".")
    if parts[0] != "selfeval_xl":
        return None
    if len(parts) == 1 or parts[1] in ("__init__", "__main__"):
        return len(LAYERS)
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else None


def test_every_import_points_down_the_pipeline():
    modules = _modules()
    upward = []
    for name, path in modules.items():
        mine = _layer(name)
        if mine is None:  # selfeval_xl/__init__ and __main__: the library's front, above every stage
            continue
        for line, module, names in _imports(path, name):
            if module == "selfeval_xl" and all(n.startswith("__") for n in names):
                continue  # __version__: the package's own, not its API
            targets = [module] + [f"{module}.{n}" for n in names if f"{module}.{n}" in modules]
            for target in targets:
                theirs = _layer(target)
                if theirs is not None and theirs > mine:
                    upward.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not upward, "\n".join(upward)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_module_imports_a_private_name_of_another():
    """Neither taken by name (``from .refs import _REF_CACHE``) nor read through the module
    (``from . import refs`` … ``refs._REF_CACHE``)."""
    modules = _modules()
    private = []
    for name, path in modules.items():
        aliases = {}  # a name bound to another module of ours -> that module
        for line, module, names in _imports(path, name):
            if module.startswith("selfeval_xl") and module != name:
                private += [f"{path.relative_to(ROOT)}:{line} takes {module}.{n}" for n in names if _private(n)]
                aliases.update({n: f"{module}.{n}" for n in names if f"{module}.{n}" in modules})
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                aliases.update({a.asname: a.name for a in node.names if a.asname and a.name.startswith("selfeval_xl")})
            elif isinstance(node, ast.alias) and node.asname and node.name in aliases:
                aliases[node.asname] = aliases[node.name]
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and aliases[node.value.id] != name and _private(node.attr)):
                private.append(f"{path.relative_to(ROOT)}:{node.lineno} reads {aliases[node.value.id]}.{node.attr}")
    assert not private, "\n".join(private)


def test_the_layers_are_the_folders():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(LAYERS)
    assert {p.name for p in PACKAGE.glob("*.py")} == {"__init__.py", "__main__.py"}
