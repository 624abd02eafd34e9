"""Plain-language pieces that every renderer shows the same way, whatever its markup."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from shared.stagediff.dependencies import DependencyChange
from shared.stagediff.files import FileChange, FileStatus
from shared.stagediff.report import StageDiff
from shared.stagediff.symbols import SymbolCategory, SymbolChange

# What a class can teach from: code that moved, was renamed or was extracted.
MOMENTS = (
    SymbolCategory.MOVED,
    SymbolCategory.MOVED_AND_CHANGED,
    SymbolCategory.RENAMED,
    SymbolCategory.RENAMED_AND_CHANGED,
    SymbolCategory.EXTRACTED,
)
# Past this many application symbols outside the moments, stages are far apart: each module is
# summarised per kind, and its names are folded away (HTML, Markdown) or left out (text).
DETAIL_LIMIT = 40


@dataclass(frozen=True)
class SymbolLine:
    """One symbol of the summary: ``name`` (``old → new`` when renamed), where it lives (``from
    → to`` when it moved) and what changed in it, with the confidence of a pairing by
    likeness."""

    category: SymbolCategory
    kind: str
    name: str
    where: str
    detail: str


@dataclass(frozen=True)
class ModuleSymbols:
    """The changed symbols of one module, and their counts per category and kind."""

    path: str
    lines: list[SymbolLine]
    summary: str


@dataclass(frozen=True)
class SymbolReport:
    """The application's moments first, then its other changes per module, then the tests'."""

    moments: list[SymbolLine]
    modules: list[ModuleSymbols]
    tests: list[ModuleSymbols]

    @property
    def distant(self) -> bool:
        return sum(len(module.lines) for module in self.modules) > DETAIL_LIMIT

    @property
    def empty(self) -> bool:
        return not (self.moments or self.modules or self.tests)


def describe_kind(change: SymbolChange) -> str:
    """``function``, or ``function → method`` when it became one."""
    if change.old and change.new and change.old.kind is not change.new.kind:
        return f"{change.old.kind.value} → {change.new.kind.value}"
    return change.symbol.kind.value


def describe_detail(change: SymbolChange) -> str:
    """What changed, how many methods followed a renamed class, and how sure the pairing is."""
    parts = [change.detail] if change.detail else []
    if change.members:
        parts.append(f"with its {plural(change.members, 'unchanged method')}")
    if change.similarity is not None:
        parts.append(f"{round(change.similarity * 100)}% similar")
    return "; ".join(parts)


def describe_symbol(change: SymbolChange) -> SymbolLine:
    old, new, symbol = change.old, change.new, change.symbol
    name, where = symbol.qualname, symbol.path
    if change.category is SymbolCategory.EXTRACTED and old is not None and new is not None:
        where = (
            f"{new.path} (from {old.qualname})"
            if old.path == new.path
            else f"{old.path} ({old.qualname}) → {new.path}"
        )
    elif change.category in (SymbolCategory.RENAMED, SymbolCategory.RENAMED_AND_CHANGED):
        assert old is not None and new is not None
        name = f"{old.qualname} → {new.qualname}"
        if old.path != new.path:
            where = f"{old.path} → {new.path}"
    elif change.category in MOMENTS and old is not None and new is not None:  # moved
        origin = old.path if old.qualname == new.qualname else f"{old.path} ({old.qualname})"
        where = f"{origin} → {new.path}"
    kind = describe_kind(change)
    return SymbolLine(change.category, kind, name, where, describe_detail(change))


def plural(count: int, noun: str) -> str:
    """``1 class``, ``2 classes``, ``3 functions``."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {noun}es" if noun.endswith("ss") else f"{count} {noun}s"


def summary(changes: list[SymbolChange]) -> str:
    """``added: 3 functions, 1 class; changed: 2 methods``, in category order."""
    counts = Counter((change.category, change.symbol.kind.value) for change in changes)
    parts = []
    for category in SymbolCategory:
        kinds = [plural(n, kind) for (cat, kind), n in sorted(counts.items()) if cat is category]
        if kinds:
            parts.append(f"{category.value}: {', '.join(kinds)}")
    return "; ".join(parts)


def by_module(changes: list[SymbolChange]) -> list[ModuleSymbols]:
    modules: dict[str, list[SymbolChange]] = {}
    for change in changes:
        modules.setdefault(change.symbol.path, []).append(change)
    return [
        ModuleSymbols(path, [describe_symbol(change) for change in found], summary(found))
        for path, found in sorted(modules.items())
    ]


def by_category(lines: list[SymbolLine]) -> dict[SymbolCategory, list[SymbolLine]]:
    """``lines`` grouped in the order reports show the categories, empty ones left out."""
    groups: dict[SymbolCategory, list[SymbolLine]] = {}
    for line in lines:
        groups.setdefault(line.category, []).append(line)
    return {category: groups[category] for category in SymbolCategory if category in groups}


def symbol_report(diff: StageDiff) -> SymbolReport:
    """The symbols as every renderer groups them (see :class:`SymbolReport`)."""
    application = [change for change in diff.symbols if not change.symbol.test]
    return SymbolReport(
        moments=[describe_symbol(change) for change in application if change.category in MOMENTS],
        modules=by_module([change for change in application if change.category not in MOMENTS]),
        tests=by_module([change for change in diff.symbols if change.symbol.test]),
    )


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
