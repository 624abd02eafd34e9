"""Put the four comparisons together: the stage diff that every renderer draws."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shared.stagediff.dependencies import DependencyChange, diff_dependencies
from shared.stagediff.files import DEFAULT_SIMILARITY, FileDiff, diff_files
from shared.stagediff.migrations import MigrationDiff, diff_migrations, revisions
from shared.stagediff.pairing import diff_symbols
from shared.stagediff.symbols import SymbolChange, collect_symbols
from shared.stagediff.tree import read_tree


@dataclass(frozen=True)
class StageDiff:
    """Everything that differs between two stages, from files down to symbols."""

    old_label: str
    new_label: str
    files: FileDiff
    symbols: list[SymbolChange]
    dependencies: list[DependencyChange]
    migrations: MigrationDiff
    unparsable: list[str]


def compare(
    old: Path,
    new: Path,
    *,
    similarity: float = DEFAULT_SIMILARITY,
    old_label: str | None = None,
    new_label: str | None = None,
    untracked: bool = False,
) -> StageDiff:
    """Compare two stage directories.

    ``similarity`` (0–1) is how alike a removed and an added file, or two same-named symbols,
    must be to count as one thing that moved. The labels default to the directory names.
    ``untracked`` also reads the files git neither tracks nor ignores (see :func:`read_tree`).
    """
    old_label, new_label = old_label or old.name, new_label or new.name
    old_tree = read_tree(old, untracked=untracked)
    new_tree = read_tree(new, untracked=untracked)
    files = diff_files(old_tree, new_tree, similarity)
    # Revision files are reported as migrations; their upgrade()/downgrade() pairs would only
    # repeat that as symbols.
    old_symbols = collect_symbols(old_tree, skip={r.path for r in revisions(old_tree).values()})
    new_symbols = collect_symbols(new_tree, skip={r.path for r in revisions(new_tree).values()})
    return StageDiff(
        old_label=old_label,
        new_label=new_label,
        files=files,
        symbols=diff_symbols(old_symbols.symbols, new_symbols.symbols, files.renames, similarity),
        dependencies=diff_dependencies(old_tree, new_tree),
        migrations=diff_migrations(old_tree, new_tree),
        unparsable=sorted(
            [f"{old_label}: {path}" for path in old_symbols.unparsable]
            + [f"{new_label}: {path}" for path in new_symbols.unparsable]
        ),
    )
