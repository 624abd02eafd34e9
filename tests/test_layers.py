"""The package tree is the architecture diagram, and no layer reaches up.

Each of the application's packages sits on one layer; a module may import from its own layer
and the ones below it, never from one above. So ``core`` (configuration, the database, errors,
security) knows nothing of HTTP, a repository knows nothing of services, and the composition
at the top (``main``, the CLI) is the only place that sees everything.
"""

from __future__ import annotations

import ast
from pathlib import Path

LAYERS: dict[str, int] = {
    "neodyme": 0,  # the package itself: only its version
    "neodyme.core": 0,
    "neodyme.observability": 1,
    "neodyme.models": 1,
    "neodyme.repositories": 2,
    "neodyme.graph": 2,  # the side track's graph projection: a store beside the repositories
    "neodyme.services": 3,
    "neodyme.web": 4,
    "neodyme.resources": 5,
    "neodyme.dependencies": 5,
    "neodyme.routes": 5,
    "neodyme.main": 6,
    "neodyme.__main__": 6,
}
"""Lowest first. Same-layer imports are allowed; ``main`` and the CLI compose the rest."""

CORE_MODULES = {
    *("config", "database", "exceptions", "security"),
    *("migrations", "rate_limit", "redis", "cache"),
}
"""What ``core`` may hold: the outline's four, the schema's migrations and the login limiter,
plus ch12's two shared stores (``redis``, ``cache``) that every lower layer reaches."""


def layer_of(module: str) -> tuple[str, int]:
    """The longest ``LAYERS`` prefix of ``module`` and its layer."""
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        prefix = ".".join(parts[:length])
        if prefix in LAYERS:
            return prefix, LAYERS[prefix]
    raise AssertionError(f"{module} is in no layer: add its package to LAYERS")


def module_name(package: Path, path: Path) -> str:
    relative = path.relative_to(package.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> list[str]:
    """The ``neodyme`` modules that ``path`` imports, including ones inside functions."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "neodyme" or node.module.startswith("neodyme."):
                found.extend(
                    f"{node.module}.{alias.name}" if node.module == "neodyme" else node.module
                    for alias in node.names
                )
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names if alias.name.startswith("neodyme"))
    return found


def upward_imports(package: Path) -> list[str]:
    problems = []
    for path in sorted(package.rglob("*.py")):
        importer = module_name(package, path)
        importer_layer, importer_rank = layer_of(importer)
        for imported in imported_modules(path):
            if imported == "neodyme.__version__":
                continue
            imported_layer, imported_rank = layer_of(imported)
            if imported_rank > importer_rank:
                problems.append(
                    f"{importer} ({importer_layer}, layer {importer_rank}) imports "
                    f"{imported} ({imported_layer}, layer {imported_rank})"
                )
    return problems


def test_no_layer_imports_from_a_layer_above_it(snapshot):
    assert upward_imports(snapshot.path / "neodyme") == []


def test_every_module_sits_in_a_named_layer(snapshot):
    package = snapshot.path / "neodyme"
    for path in package.rglob("*.py"):
        layer_of(module_name(package, path))


def test_core_holds_only_the_foundation(snapshot):
    core = snapshot.path / "neodyme" / "core"
    modules = {path.stem for path in core.glob("*.py")} - {"__init__"}
    assert modules <= CORE_MODULES


def test_a_module_in_a_function_is_found_too(tmp_path):
    package = tmp_path / "neodyme"
    (package / "core").mkdir(parents=True)
    (package / "core" / "database.py").write_text(
        "def f():\n    from neodyme.routes import users\n"
    )
    assert upward_imports(package) == [
        "neodyme.core.database (neodyme.core, layer 0) imports "
        "neodyme.routes (neodyme.routes, layer 5)"
    ]
