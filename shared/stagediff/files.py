"""File-level comparison of two stages: added, removed, renamed and changed files.

Renames are found the way ``git diff -M`` finds them: a removed file and an added file whose
contents are similar enough (a line-based ``difflib`` ratio at or above a threshold) are one file
that moved. Empty files are never paired, since any two of them are "identical".
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum
from functools import cached_property
from pathlib import PurePosixPath

from shared.stagediff.tree import StageFile

DEFAULT_SIMILARITY = 0.5
CONTEXT_LINES = 3

Opcode = tuple[str, int, int, int, int]


class FileStatus(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    RENAMED = "renamed"
    CHANGED = "changed"


@dataclass(frozen=True)
class FileChange:
    """One file that differs between the stages; ``old`` or ``new`` is ``None`` when absent."""

    status: FileStatus
    old: StageFile | None
    new: StageFile | None
    similarity: float | None = None

    @property
    def path(self) -> str:
        """The path the file has in the newer stage (the older one for a removed file)."""
        side = self.new or self.old
        assert side is not None, "a change has at least one side"
        return side.path

    @property
    def old_lines(self) -> list[str]:
        return self.old.lines if self.old else []

    @property
    def new_lines(self) -> list[str]:
        return self.new.lines if self.new else []

    @property
    def binary(self) -> bool:
        return any(side is not None and side.text is None for side in (self.old, self.new))

    @cached_property
    def matcher(self) -> SequenceMatcher[str]:
        # autojunk would treat frequent lines (blank ones, closing brackets) as junk and give
        # needlessly scattered hunks.
        return SequenceMatcher(None, self.old_lines, self.new_lines, autojunk=False)

    @property
    def opcodes(self) -> list[Opcode]:
        return [] if self.binary else self.matcher.get_opcodes()

    @property
    def added(self) -> int:
        return sum(j2 - j1 for tag, _, _, j1, j2 in self.opcodes if tag in ("insert", "replace"))

    @property
    def removed(self) -> int:
        return sum(i2 - i1 for tag, i1, i2, _, _ in self.opcodes if tag in ("delete", "replace"))

    def groups(self, context: int = CONTEXT_LINES) -> list[list[Opcode]]:
        """The changed regions with ``context`` lines around each, as ``difflib`` groups them."""
        if self.binary or not any(tag != "equal" for tag, *_ in self.opcodes):
            return []
        return list(self.matcher.get_grouped_opcodes(context))


@dataclass(frozen=True)
class FileDiff:
    changes: list[FileChange]
    unchanged: int

    @property
    def renames(self) -> dict[str, str]:
        """Old path -> new path of every renamed file."""
        return {
            change.old.path: change.new.path
            for change in self.changes
            if change.status is FileStatus.RENAMED and change.old and change.new
        }

    def count(self, status: FileStatus) -> int:
        return sum(change.status is status for change in self.changes)


def similarity(old: StageFile, new: StageFile, threshold: float) -> float | None:
    """How alike two files are (0–1), or ``None`` when they cannot reach ``threshold``."""
    if old.data == new.data:
        return 1.0
    if old.text is None or new.text is None:
        return None
    matcher = SequenceMatcher(None, old.lines, new.lines, autojunk=False)
    # The cheap upper bounds rule most pairs out before the real ratio is computed.
    if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
        return None
    ratio = matcher.ratio()
    return ratio if ratio >= threshold else None


def pair_renames(
    removed: list[StageFile], added: list[StageFile], threshold: float
) -> list[tuple[StageFile, StageFile, float]]:
    """Pair removed with added files, most similar first; each file is used at most once."""
    candidates = []
    for old in removed:
        if not old.data.strip():
            continue
        for new in added:
            if not new.data.strip():
                continue
            score = similarity(old, new, threshold)
            if score is not None:
                same_name = PurePosixPath(old.path).name == PurePosixPath(new.path).name
                candidates.append((-score, not same_name, old.path, new.path, old, new))
    candidates.sort(key=lambda candidate: candidate[:4])
    pairs, taken_old, taken_new = [], set(), set()
    for negative_score, _, old_path, new_path, old, new in candidates:
        if old_path not in taken_old and new_path not in taken_new:
            taken_old.add(old_path)
            taken_new.add(new_path)
            pairs.append((old, new, -negative_score))
    return pairs


def diff_files(
    old_tree: dict[str, StageFile],
    new_tree: dict[str, StageFile],
    threshold: float = DEFAULT_SIMILARITY,
) -> FileDiff:
    """Compare two trees read by :func:`shared.stagediff.tree.read_tree`."""
    changes = []
    unchanged = 0
    for path in old_tree.keys() & new_tree.keys():
        if old_tree[path].data == new_tree[path].data:
            unchanged += 1
        else:
            changes.append(FileChange(FileStatus.CHANGED, old_tree[path], new_tree[path]))
    removed = [old_tree[path] for path in sorted(old_tree.keys() - new_tree.keys())]
    added = [new_tree[path] for path in sorted(new_tree.keys() - old_tree.keys())]
    for old, new, score in pair_renames(removed, added, threshold):
        changes.append(FileChange(FileStatus.RENAMED, old, new, score))
        removed.remove(old)
        added.remove(new)
    changes += [FileChange(FileStatus.REMOVED, old, None) for old in removed]
    changes += [FileChange(FileStatus.ADDED, None, new) for new in added]
    changes.sort(key=lambda change: change.path)
    return FileDiff(changes, unchanged)


def hunk_header(group: list[Opcode]) -> str:
    """``@@ -start,count +start,count @@`` for one group of opcodes, as ``diff -u`` writes it."""
    old_start, old_end = group[0][1], group[-1][2]
    new_start, new_end = group[0][3], group[-1][4]

    def span(start: int, end: int) -> str:
        count = end - start
        first = start + 1 if count else start
        return f"{first},{count}" if count != 1 else f"{first}"

    return f"@@ -{span(old_start, old_end)} +{span(new_start, new_end)} @@"


def unified_diff(
    change: FileChange, old_label: str, new_label: str, context: int = CONTEXT_LINES
) -> list[str]:
    """The change as ``git diff`` would print it, one string per line without line endings."""
    old_name = f"{old_label}/{change.old.path}" if change.old else "/dev/null"
    new_name = f"{new_label}/{change.new.path}" if change.new else "/dev/null"
    lines = []
    if change.status is FileStatus.RENAMED and change.old and change.new:
        lines += [
            f"similarity index {round((change.similarity or 0) * 100)}%",
            f"rename from {change.old.path}",
            f"rename to {change.new.path}",
        ]
    if change.binary:
        return [*lines, f"Binary files {old_name} and {new_name} differ"]
    groups = change.groups(context)
    if not groups:
        empty = change.status in (FileStatus.ADDED, FileStatus.REMOVED)
        return [*lines, f"(empty file {change.status.value})"] if empty else lines
    lines += [f"--- {old_name}", f"+++ {new_name}"]
    old_lines, new_lines = change.old_lines, change.new_lines

    def emit(prefix: str, line: str) -> None:
        lines.append(prefix + line.rstrip("\r\n"))
        if not line.endswith("\n"):
            lines.append("\\ No newline at end of file")

    for group in groups:
        lines.append(hunk_header(group))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for line in old_lines[i1:i2]:
                    emit(" ", line)
                continue
            for line in old_lines[i1:i2]:
                emit("-", line)
            for line in new_lines[j1:j2]:
                emit("+", line)
    return lines
