"""Plain-language pieces that every renderer shows the same way, whatever its markup."""

from __future__ import annotations

from dataclasses import dataclass

from shared.stagediff.dependencies import DependencyChange
from shared.stagediff.files import FileChange, FileStatus
from shared.stagediff.report import StageDiff
from shared.stagediff.symbols import SymbolCategory, SymbolChange


@dataclass(frozen=True)
class SymbolLine:
    """One symbol of the summary: ``name`` (``old → new`` when renamed), where it lives (``from
    → to`` when it moved) and what changed in it."""

    kind: str
    name: str
    where: str
    detail: str


def describe_symbol(change: SymbolChange) -> SymbolLine:
    old, new, symbol = change.old, change.new, change.symbol
    name, where = symbol.qualname, symbol.path
    if old is not None and new is not None:
        if change.category is SymbolCategory.RENAMED:
            name = f"{old.qualname} → {new.qualname}"
            if old.path != new.path:
                where = f"{old.path} → {new.path}"
        elif old.path != new.path or old.qualname != new.qualname:
            origin = old.path if old.qualname == new.qualname else f"{old.path} ({old.qualname})"
            where = f"{origin} → {new.path}"
    return SymbolLine(symbol.kind.value, name, where, change.detail)


def symbols_by_category(diff: StageDiff) -> dict[SymbolCategory, list[SymbolLine]]:
    """The summary's symbol groups, in the order reports show them, empty ones left out."""
    groups: dict[SymbolCategory, list[SymbolLine]] = {}
    for change in diff.symbols:
        groups.setdefault(change.category, []).append(describe_symbol(change))
    return {category: groups[category] for category in SymbolCategory if category in groups}


def file_name(change: FileChange) -> str:
    """``path``, or ``old → new`` for a rename."""
    if change.status is FileStatus.RENAMED and change.old:
        return f"{change.old.path} → {change.path}"
    return change.path


def similarity_note(change: FileChange) -> str:
    """`` (87% similar)`` for a rename, nothing otherwise."""
    if change.status is FileStatus.RENAMED:
        return f" ({round((change.similarity or 0) * 100)}% similar)"
    return ""


def file_counts(change: FileChange) -> str:
    """``+12 -3`` (``binary`` for a binary file)."""
    if change.binary:
        return "binary"
    parts = []
    if change.added:
        parts.append(f"+{change.added}")
    if change.removed:
        parts.append(f"-{change.removed}")
    return " ".join(parts)


def files_summary(diff: StageDiff) -> str:
    """``3 added, 0 removed, 1 renamed, 5 changed (+120 -45), 17 unchanged``."""
    files = diff.files
    added = sum(change.added for change in files.changes)
    removed = sum(change.removed for change in files.changes)
    counts = ", ".join(f"{files.count(status)} {status.value}" for status in FileStatus)
    return f"{counts} (+{added} -{removed}), {files.unchanged} unchanged"


def requirement(change: DependencyChange) -> str:
    """The requirement as it is now, ``old → new`` when re-pinned, as it was when removed."""
    if change.old and change.new:
        return f"{change.old} → {change.new}"
    return change.new or change.old or change.name
