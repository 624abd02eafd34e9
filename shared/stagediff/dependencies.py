"""Dependency changes between the ``pyproject.toml`` files of two stages."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from enum import StrEnum

from shared.stagediff.tree import StageFile

PYPROJECT = "pyproject.toml"
RUNTIME = "dependencies"
# PEP 508, as far as a report needs it: the name, then whatever pins it.
REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


class DependencyStatus(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    REPINNED = "re-pinned"


@dataclass(frozen=True)
class DependencyChange:
    """A requirement of one group (``dependencies`` or an extra such as ``test``)."""

    status: DependencyStatus
    group: str
    name: str
    old: str | None
    new: str | None


def normalise_name(name: str) -> str:
    """PEP 503: ``Pydantic_Settings`` and ``pydantic-settings`` are one distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


def same_requirement(old: str | None, new: str | None) -> bool:
    """Equal but for spacing: ``fastapi >= 0.1`` is ``fastapi>=0.1``."""
    if old is None or new is None:
        return old is new
    return re.sub(r"\s+", "", old) == re.sub(r"\s+", "", new)


def requirements(pyproject: StageFile | None) -> dict[tuple[str, str], str]:
    """(group, normalised name) -> requirement string, for runtime and optional dependencies."""
    if pyproject is None or pyproject.text is None:
        return {}
    try:
        project = tomllib.loads(pyproject.text).get("project", {})
    except tomllib.TOMLDecodeError:
        return {}
    groups = {RUNTIME: project.get("dependencies", [])}
    for extra, listed in sorted(project.get("optional-dependencies", {}).items()):
        groups[extra] = listed
    found = {}
    for group, listed in groups.items():
        for requirement in listed:
            match = REQUIREMENT_NAME.match(requirement)
            if match:
                found[(group, normalise_name(match[1]))] = requirement.strip()
    return found


def diff_dependencies(
    old_tree: dict[str, StageFile], new_tree: dict[str, StageFile]
) -> list[DependencyChange]:
    """Requirements added, removed or re-pinned (a changed version, extra or marker)."""
    old = requirements(old_tree.get(PYPROJECT))
    new = requirements(new_tree.get(PYPROJECT))
    changes = []
    # Runtime dependencies first, then the extras in name order.
    for key in sorted(old.keys() | new.keys(), key=lambda key: (key[0] != RUNTIME, key)):
        group, name = key
        before, after = old.get(key), new.get(key)
        if same_requirement(before, after):
            continue
        if before is None:
            status = DependencyStatus.ADDED
        elif after is None:
            status = DependencyStatus.REMOVED
        else:
            status = DependencyStatus.REPINNED
        changes.append(DependencyChange(status, group, name, before, after))
    return changes
