"""Carry a change made in one chapter into every later chapter that has the same code.

The change is what ``git`` sees as uncommitted in the chapter's folder: each file's content at
``HEAD`` against the working tree (untracked files count as added). Each later chapter gets the
change file by file, at the same path inside the chapter:

- a modified text file is patched hunk by hunk (:mod:`shared.stagediff.patch`);
- an added file is created where the path is free;
- a deleted file is deleted where it still has the content the change deleted;
- a binary file is replaced where it still has the old content.

A file that conflicts is never written; with ``dry_run`` nothing is.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from shared.chapters import Chapter
from shared.stagediff.patch import Hunk, Outcome, Placement, apply_hunks, make_hunks
from shared.stagediff.tree import is_noise_directory, is_noise_file


class GitError(Exception):
    """git could not tell what changed (not a repository, no commit yet, …)."""


@dataclass(frozen=True)
class FileEdit:
    """One file of the change, relative to the chapter; ``None`` means the file is absent."""

    path: str
    before: bytes | None
    after: bytes | None


@dataclass(frozen=True)
class FileResult:
    path: str
    outcome: Outcome
    reason: str = ""
    conflicts: list[Hunk] = field(default_factory=list)
    placements: list[Placement] = field(default_factory=list)


@dataclass(frozen=True)
class ChapterResult:
    chapter: str
    files: list[FileResult]

    @property
    def outcome(self) -> Outcome:
        """Conflict if any file conflicts; applied if any applied; already there if the change
        is in every file it applies to; not applicable if it applies to none."""
        outcomes = {result.outcome for result in self.files}
        for outcome in (Outcome.CONFLICT, Outcome.APPLIED, Outcome.ALREADY_THERE):
            if outcome in outcomes:
                return outcome
        return Outcome.NOT_APPLICABLE


def git(repository: Path, *arguments: str) -> bytes:
    result = subprocess.run(
        ["git", "--literal-pathspecs", *arguments], cwd=repository, capture_output=True
    )
    if result.returncode != 0:
        lines = result.stderr.decode(errors="replace").strip().splitlines()
        # git's "fatal:" line says what went wrong; what follows it, if anything, is a detail
        # ("Stopping at filesystem boundary ..." when the search for a repository ends at a mount).
        fatal = [line for line in lines if line.startswith("fatal: ")]
        raise GitError((fatal or lines or [f"git {arguments[0]} failed"])[-1])
    return result.stdout


def is_noise(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return is_noise_file(parts[-1]) or any(is_noise_directory(part) for part in parts[:-1])


def uncommitted_edits(chapter: Path, paths: list[str] | None = None) -> list[FileEdit]:
    """The chapter's uncommitted change, limited to ``paths`` (relative to the chapter)."""
    top = Path(git(chapter, "rev-parse", "--show-toplevel").decode().strip())
    git(top, "rev-parse", "--verify", "--quiet", "HEAD")
    prefix = chapter.resolve().relative_to(top.resolve()).as_posix()
    pathspecs = [f"{prefix}/{path}" for path in paths] if paths else [prefix]
    changed = git(top, "diff", "HEAD", "--name-only", "--no-renames", "-z", "--", *pathspecs)
    untracked = git(top, "ls-files", "--others", "--exclude-standard", "-z", "--", *pathspecs)
    names = sorted({name for name in (changed + untracked).decode().split("\0") if name})
    edits = []
    for name in names:
        relative = PurePosixPath(name).relative_to(prefix).as_posix()
        if is_noise(relative):
            continue
        try:
            before: bytes | None = git(top, "show", f"HEAD:{name}")
        except GitError:
            before = None
        working = top / name
        after = working.read_bytes() if working.is_file() else None
        if before != after:
            edits.append(FileEdit(relative, before, after))
    return edits


def decode(data: bytes) -> str | None:
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def port_file(edit: FileEdit, target: Path) -> tuple[FileResult, bytes | None]:
    """What ``edit`` does to ``target``: the result and the content to write (``None``: delete).

    The content matters only when the result is "applied".
    """
    current = target.read_bytes() if target.is_file() else None
    if current is None and edit.after is None:
        return FileResult(edit.path, Outcome.NOT_APPLICABLE, "no such file"), None
    if current == edit.after:
        return FileResult(edit.path, Outcome.ALREADY_THERE), edit.after
    if edit.before is None:
        if current is None:
            return FileResult(edit.path, Outcome.APPLIED, "created"), edit.after
        return FileResult(edit.path, Outcome.CONFLICT, "exists with other content"), None
    if current is None:
        return FileResult(edit.path, Outcome.NOT_APPLICABLE, "no such file"), None
    if current == edit.before and edit.after is None:
        return FileResult(edit.path, Outcome.APPLIED, "deleted"), None
    old, new, text = (decode(data) for data in (edit.before, edit.after or b"", current))
    if old is None or new is None or text is None:
        if current == edit.before:  # a binary file, as the change found it
            return FileResult(edit.path, Outcome.APPLIED), edit.after
        return FileResult(edit.path, Outcome.CONFLICT, "differs from the original"), None
    if edit.after is None:
        return FileResult(edit.path, Outcome.CONFLICT, "differs from the original"), None
    hunks = make_hunks(old.splitlines(keepends=True), new.splitlines(keepends=True))
    result = apply_hunks(text.splitlines(keepends=True), hunks)
    conflicts = [place.hunk for place in result.hunks if place.outcome is Outcome.CONFLICT]
    applied = sum(place.outcome is Outcome.APPLIED for place in result.hunks)
    reason = ""
    if result.outcome is Outcome.APPLIED and applied < len(hunks):
        reason = f"{applied} of {len(hunks)} hunks; the others were already there"
    if conflicts:
        reason = f"{len(conflicts)} of {len(hunks)} hunks conflict"
    content = "".join(result.lines).encode("utf-8")
    placements = [] if conflicts else result.hunks
    return FileResult(edit.path, result.outcome, reason, conflicts, placements), content


def port_to_chapter(edits: list[FileEdit], chapter: Chapter, *, dry_run: bool) -> ChapterResult:
    """Apply ``edits`` to one chapter; write only the files that apply, and only for real."""
    results = []
    for edit in edits:
        target = chapter.path / edit.path
        result, content = port_file(edit, target)
        results.append(result)
        if dry_run or result.outcome is not Outcome.APPLIED:
            continue
        if content is None:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    return ChapterResult(chapter.name, results)


def forward_port(
    edits: list[FileEdit], later: list[Chapter], *, dry_run: bool = False
) -> list[ChapterResult]:
    return [port_to_chapter(edits, chapter, dry_run=dry_run) for chapter in later]


def outcome_label(outcome: Outcome, dry_run: bool) -> str:
    """``applied``, or ``would apply`` in a dry run."""
    return "would apply" if dry_run and outcome is Outcome.APPLIED else outcome.value


def landing(result: FileResult, place: Placement, dry_run: bool) -> str:
    """``@@ -5,7 +5,7 @@ applied at app/files.py:12 (fuzz 1)``: where one hunk went."""
    fuzz = f" (fuzz {place.fuzz})" if place.fuzz else ""
    where = f"{result.path}:{(place.start or 0) + 1}"
    return f"{place.hunk.header} {outcome_label(place.outcome, dry_run)} at {where}{fuzz}"


def render_results(
    source: str, edits: list[FileEdit], results: list[ChapterResult], *, dry_run: bool
) -> str:
    """The per-chapter report: where each hunk landed, and the hunks that conflict."""
    lines = [f"Forward-porting {source}'s change ({', '.join(edit.path for edit in edits)})"]
    width = max((len(edit.path) for edit in edits), default=0)
    for chapter in results:
        lines.append(f"{chapter.chapter}: {outcome_label(chapter.outcome, dry_run)}")
        for result in chapter.files:
            reason = f" ({result.reason})" if result.reason else ""
            outcome = outcome_label(result.outcome, dry_run)
            lines.append(f"  {result.path:<{width}}  {outcome}{reason}")
            lines += [
                f"      {landing(result, place, dry_run)}"
                for place in result.placements
                if place.start is not None
            ]
            for hunk in result.conflicts:
                lines += [f"      {line}" for line in hunk.text]
    if not results:
        lines.append(f"No chapter comes after {source}.")
    if dry_run:
        lines.append("Dry run: nothing was written.")
    return "\n".join(lines) + "\n"
