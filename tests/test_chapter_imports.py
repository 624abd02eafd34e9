"""A chapter imports only itself, the standard library and what its pyproject.toml declares."""

import ast
import sys
from pathlib import Path

from packaging.requirements import Requirement

from shared.chapters import Chapter

# Import names that differ from the distribution that provides them.
DISTRIBUTION_OF = {
    "arcadedb_embedded": "arcadedb-embedded",
    "email_validator": "email-validator",
    "jwt": "pyjwt",
    "multipart": "python-multipart",
    "pydantic_settings": "pydantic-settings",
    "prometheus_client": "prometheus-client",
    "sentry_sdk": "sentry-sdk",
    "yaml": "pyyaml",
}


def top_level_imports(path: Path) -> set[str]:
    """The first component of every absolute import in a Python file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def declared(requirements: list[str]) -> set[str]:
    return {Requirement(requirement).name.lower() for requirement in requirements}


def undeclared_imports(files: list[Path], allowed: set[str]) -> dict[str, set[str]]:
    """Third-party imports not in ``allowed``; a module beside the importing file is local."""
    problems = {}
    for path in files:
        local = {sibling.stem for sibling in path.parent.glob("*.py")}
        third_party = top_level_imports(path) - set(sys.stdlib_module_names) - {"neodyme"} - local
        missing = {name for name in third_party if DISTRIBUTION_OF.get(name, name) not in allowed}
        if missing:
            problems[str(path)] = missing
    return problems


def python_files(chapter: Chapter, folder: str) -> list[Path]:
    return sorted((chapter.path / folder).rglob("*.py"))


def test_top_level_imports_sees_every_import_form(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        "import os.path\nimport jwt as j\nfrom fastapi import FastAPI\nfrom . import x\n"
    )

    assert top_level_imports(module) == {"os", "jwt", "fastapi"}


def test_chapter_never_imports_the_tooling_or_another_chapter(snapshot):
    offenders = {
        str(path): names
        for path in sorted(snapshot.path.rglob("*.py"))
        if (names := top_level_imports(path) & {"shared", "chapters", "noxfile"})
    }

    assert offenders == {}


def test_application_code_imports_only_declared_dependencies(snapshot):
    """Optional extras other than ``test`` count: the code imports them only when configured."""
    extras = snapshot.project().get("optional-dependencies", {})
    optional = [
        requirement for name, group in extras.items() if name != "test" for requirement in group
    ]
    allowed = declared(snapshot.dependencies() + optional)
    files = python_files(snapshot, "neodyme")
    if snapshot.has_migrations:
        files += python_files(snapshot, "alembic")

    assert undeclared_imports(files, allowed) == {}


def test_tests_import_only_declared_dependencies_and_test_extras(snapshot):
    project = snapshot.project()
    allowed = declared(project["dependencies"] + project["optional-dependencies"]["test"])

    assert undeclared_imports(python_files(snapshot, "tests"), allowed) == {}
