"""Alembic revisions added, removed or edited between two stages.

A revision file is any Python module that assigns literal ``revision`` and ``down_revision``
values at module level, which is what ``alembic revision`` writes; no configuration is read.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from enum import StrEnum

from shared.stagediff.tree import StageFile


class MigrationStatus(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    EDITED = "edited"


@dataclass(frozen=True)
class Revision:
    path: str
    revision: str
    down_revision: str | tuple[str, ...] | None
    message: str
    source: bytes


@dataclass(frozen=True)
class MigrationChange:
    status: MigrationStatus
    revision: Revision


@dataclass(frozen=True)
class MigrationDiff:
    changes: list[MigrationChange]
    old_heads: list[str]
    new_heads: list[str]


def read_revision(file: StageFile) -> Revision | None:
    """The revision a file declares, or ``None`` if it is not an Alembic revision."""
    if not file.path.endswith(".py") or file.text is None or "down_revision" not in file.text:
        return None
    try:
        module = ast.parse(file.text)
    except SyntaxError:
        return None
    values = {}
    for statement in module.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target, value = statement.target, statement.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            try:
                values[target.id] = ast.literal_eval(value)
            except ValueError:
                continue
    revision = values.get("revision")
    if not isinstance(revision, str) or "down_revision" not in values:
        return None
    down = values["down_revision"]
    docstring = ast.get_docstring(module) or ""
    message = docstring.splitlines()[0] if docstring else ""
    return Revision(
        file.path,
        revision,
        tuple(down) if isinstance(down, list | tuple) else down,
        message,
        file.data,
    )


def revisions(tree: dict[str, StageFile]) -> dict[str, Revision]:
    found = (read_revision(file) for file in tree.values())
    return {revision.revision: revision for revision in found if revision is not None}


def heads(found: dict[str, Revision]) -> list[str]:
    """The revisions no other revision builds on: ``alembic upgrade head`` ends there."""
    parents: set[str] = set()
    for revision in found.values():
        down = revision.down_revision
        parents.update(down if isinstance(down, tuple) else [down] if down else [])
    return sorted(set(found) - parents)


def diff_migrations(
    old_tree: dict[str, StageFile], new_tree: dict[str, StageFile]
) -> MigrationDiff:
    old, new = revisions(old_tree), revisions(new_tree)
    changes = [MigrationChange(MigrationStatus.ADDED, new[key]) for key in new.keys() - old.keys()]
    changes += [
        MigrationChange(MigrationStatus.REMOVED, old[key]) for key in old.keys() - new.keys()
    ]
    changes += [
        MigrationChange(MigrationStatus.EDITED, new[key])
        for key in old.keys() & new.keys()
        if old[key].source != new[key].source
    ]
    changes.sort(
        key=lambda change: (list(MigrationStatus).index(change.status), change.revision.path)
    )
    return MigrationDiff(changes, heads(old), heads(new))
