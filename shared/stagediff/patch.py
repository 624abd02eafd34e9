"""Make hunks from a change and apply them to another copy of the same code.

A hunk applies where its changed lines occur exactly in the target and its context lines match
too, or all but ``FUZZ`` of them, as ``patch`` allows: a later chapter may have rewritten the line
above a docstring, and the docstring's fix still belongs there. Where that text occurs more than
once, the occurrence with the fewest differing context lines wins, then the one nearest to where
the hunk sat in the original, so code that later chapters pushed further down a file is still
found. The target keeps its own context lines; only the changed lines are replaced. A hunk that
fits nowhere is a conflict for a person to look at, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

from shared.stagediff.files import CONTEXT_LINES, hunk_header

# How many context lines of a hunk may differ in the target, as ``patch --fuzz=2``.
FUZZ = 2


class Outcome(StrEnum):
    """What happened to a hunk, a file or a whole chapter."""

    APPLIED = "applied"
    ALREADY_THERE = "already there"
    NOT_APPLICABLE = "not applicable"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class Segment:
    """A run of a hunk: context lines (``old == new``) or a change (``changed``)."""

    old: tuple[str, ...]
    new: tuple[str, ...]
    changed: bool


@dataclass(frozen=True)
class Hunk:
    """One changed region: its segments, context and changes in order."""

    old_start: int  # 0-based line of the pre-image in the original file
    segments: tuple[Segment, ...]
    text: tuple[str, ...]  # the hunk as a unified diff, for reports

    @property
    def before(self) -> tuple[str, ...]:
        return tuple(line for segment in self.segments for line in segment.old)

    @property
    def after(self) -> tuple[str, ...]:
        return tuple(line for segment in self.segments for line in segment.new)

    @property
    def removed(self) -> tuple[str, ...]:
        return tuple(line for segment in self.segments if segment.changed for line in segment.old)

    @property
    def context(self) -> tuple[str, ...]:
        return tuple(
            line for segment in self.segments if not segment.changed for line in segment.old
        )

    @property
    def header(self) -> str:
        return self.text[0]


@dataclass(frozen=True)
class Placement:
    """Where a hunk applied (or was found already there): 0-based line, and the context lines
    that differed there."""

    hunk: Hunk
    outcome: Outcome
    start: int | None = None
    fuzz: int = 0


@dataclass(frozen=True)
class PatchResult:
    outcome: Outcome
    lines: list[str]
    hunks: list[Placement]


def key(line: str) -> str:
    """Lines match whatever their line ending."""
    return line.rstrip("\r\n")


def make_hunks(old: list[str], new: list[str], context: int = CONTEXT_LINES) -> list[Hunk]:
    """The hunks that turn ``old`` into ``new`` (lines with their endings)."""
    hunks = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        segments = []
        text = [hunk_header(group)]
        for tag, i1, i2, j1, j2 in group:
            segments.append(Segment(tuple(old[i1:i2]), tuple(new[j1:j2]), tag != "equal"))
            if tag == "equal":
                text += [" " + key(line) for line in old[i1:i2]]
            else:
                text += ["-" + key(line) for line in old[i1:i2]]
                text += ["+" + key(line) for line in new[j1:j2]]
        hunks.append(Hunk(group[0][1], tuple(segments), tuple(text)))
    return hunks


def mismatches(keys: list[str], start: int, block: list[tuple[str, bool]]) -> int | None:
    """How many context lines of ``block`` differ at ``start``; ``None`` if a changed line does,
    or if more than ``FUZZ`` context lines do."""
    differing = 0
    for offset, (wanted, changed) in enumerate(block):
        if keys[start + offset] == wanted:
            continue
        if changed:
            return None
        differing += 1
        if differing > FUZZ:
            return None
    return differing


def locate(lines: list[str], hunk: Hunk, side: str, expected: int) -> tuple[int, int] | None:
    """Where the hunk's ``"old"`` or ``"new"`` side fits in ``lines``: (start, fuzz), the fewest
    differing context lines first, then the nearest to ``expected``."""
    block = [
        (key(line), segment.changed) for segment in hunk.segments for line in getattr(segment, side)
    ]
    if not block:
        return None
    context = sum(not changed for _, changed in block)
    # With no changed line on this side (a pure insertion's "old"), the context is all there is
    # to go by: it must match in full. Otherwise fewer context lines may differ than match.
    allowed = min(FUZZ, context // 2) if context < len(block) else 0
    keys = [key(line) for line in lines]
    found = []
    for start in range(len(keys) - len(block) + 1):
        fuzz = mismatches(keys, start, block)
        if fuzz is not None and fuzz <= allowed:
            found.append((fuzz, abs(start - expected), start))
    if not found:
        return None
    fuzz, _, start = min(found)
    return start, fuzz


def code_is_gone(lines: list[str], hunk: Hunk) -> bool:
    """Whether none of the lines the hunk changes (or, for a pure insertion, the lines it is
    inserted between) is left anywhere in ``lines``: the change has nothing to apply to."""
    present = {key(line).strip() for line in lines}
    anchors = [key(line).strip() for line in hunk.removed or hunk.context]
    return not any(anchor and anchor in present for anchor in anchors)


def rank(found: tuple[int, int], expected: int) -> tuple[int, int]:
    """A place found by :func:`locate`: fewer differing context lines first, then nearer."""
    start, fuzz = found
    return fuzz, abs(start - expected)


def patched_lines(target: list[str], start: int, hunk: Hunk) -> list[str]:
    """The hunk's post-image at ``start``, with the target's own context lines kept."""
    result, at = [], start
    for segment in hunk.segments:
        result += segment.new if segment.changed else target[at : at + len(segment.old)]
        at += len(segment.old)
    return result


def apply_hunks(lines: list[str], hunks: list[Hunk]) -> PatchResult:
    """Apply every hunk to ``lines``, or report why not.

    The file outcome is "applied" only when every hunk either applies or is already there;
    a file whose hunks are all "not applicable" is not applicable; anything else (a hunk that
    conflicts, or one whose code is gone while others apply) is a conflict, and then the lines
    come back unchanged.
    """
    placements: list[Placement] = []
    offset = 0
    end_of_previous = 0
    for hunk in hunks:
        expected = hunk.old_start + offset
        before = locate(lines, hunk, "old", expected)
        after = locate(lines, hunk, "new", expected)
        if before is not None and (
            after is None or rank(before, expected) <= rank(after, expected)
        ):
            start, fuzz = before
            if start < end_of_previous:
                placements.append(Placement(hunk, Outcome.CONFLICT))
                continue
            placements.append(Placement(hunk, Outcome.APPLIED, start, fuzz))
            offset = start - hunk.old_start
            end_of_previous = start + len(hunk.before)
        elif after is not None:
            start, fuzz = after
            placements.append(Placement(hunk, Outcome.ALREADY_THERE, start, fuzz))
            offset = start - hunk.old_start
            end_of_previous = start + len(hunk.after)
        elif code_is_gone(lines, hunk):
            placements.append(Placement(hunk, Outcome.NOT_APPLICABLE))
        else:
            placements.append(Placement(hunk, Outcome.CONFLICT))

    seen = {placement.outcome for placement in placements}
    if seen == {Outcome.NOT_APPLICABLE}:
        return PatchResult(Outcome.NOT_APPLICABLE, lines, placements)
    if Outcome.CONFLICT in seen or Outcome.NOT_APPLICABLE in seen:
        # Half a fix is worse than none: a hunk whose code is gone while others apply conflicts.
        placements = [
            Placement(placement.hunk, Outcome.CONFLICT)
            if placement.outcome is Outcome.NOT_APPLICABLE
            else placement
            for placement in placements
        ]
        return PatchResult(Outcome.CONFLICT, lines, placements)
    if Outcome.APPLIED not in seen:
        return PatchResult(Outcome.ALREADY_THERE, lines, placements)
    patched = list(lines)
    for placement in reversed(placements):
        if placement.outcome is Outcome.APPLIED and placement.start is not None:
            start, hunk = placement.start, placement.hunk
            patched[start : start + len(hunk.before)] = patched_lines(lines, start, hunk)
    return PatchResult(Outcome.APPLIED, patched, placements)
