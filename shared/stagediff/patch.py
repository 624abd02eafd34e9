"""Make hunks from a change and apply them to another copy of the same code.

A hunk is applied only where its whole pre-image (the removed lines and the unchanged context
around them) occurs exactly in the target; when that text occurs more than once, the occurrence
nearest to where the hunk sat in the original wins, so code that later chapters pushed further
down a file is still found. There is no fuzz on the context: a hunk whose surroundings differ is
a conflict for a person to look at, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

from shared.stagediff.files import CONTEXT_LINES, hunk_header


class Outcome(StrEnum):
    """What happened to a hunk, a file or a whole chapter."""

    APPLIED = "applied"
    ALREADY_THERE = "already there"
    NOT_APPLICABLE = "not applicable"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class Hunk:
    """One changed region: the lines before and after, with their context."""

    old_start: int  # 0-based line of the pre-image in the original file
    before: tuple[str, ...]
    after: tuple[str, ...]
    removed: tuple[str, ...]
    context: tuple[str, ...]
    text: tuple[str, ...]  # the hunk as a unified diff, for reports


@dataclass(frozen=True)
class PatchResult:
    outcome: Outcome
    lines: list[str]
    hunks: list[tuple[Hunk, Outcome]]


def key(line: str) -> str:
    """Lines match whatever their line ending."""
    return line.rstrip("\r\n")


def make_hunks(old: list[str], new: list[str], context: int = CONTEXT_LINES) -> list[Hunk]:
    """The hunks that turn ``old`` into ``new`` (lines with their endings)."""
    hunks = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        before: list[str] = []
        after: list[str] = []
        removed: list[str] = []
        kept: list[str] = []
        text = [hunk_header(group)]
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                before += old[i1:i2]
                after += new[j1:j2]
                kept += old[i1:i2]
                text += [" " + key(line) for line in old[i1:i2]]
                continue
            before += old[i1:i2]
            after += new[j1:j2]
            removed += old[i1:i2]
            text += ["-" + key(line) for line in old[i1:i2]]
            text += ["+" + key(line) for line in new[j1:j2]]
        hunks.append(
            Hunk(group[0][1], tuple(before), tuple(after), tuple(removed), tuple(kept), tuple(text))
        )
    return hunks


def locate(lines: list[str], block: tuple[str, ...], expected: int) -> int | None:
    """Where ``block`` occurs in ``lines``, the occurrence nearest ``expected`` first."""
    if not block:
        return None
    wanted = [key(line) for line in block]
    keys = [key(line) for line in lines]
    starts = [
        start
        for start in range(len(keys) - len(wanted) + 1)
        if keys[start] == wanted[0] and keys[start : start + len(wanted)] == wanted
    ]
    return min(starts, key=lambda start: (abs(start - expected), start), default=None)


def code_is_gone(lines: list[str], hunk: Hunk) -> bool:
    """Whether none of the lines the hunk changes (or, for a pure insertion, the lines it is
    inserted between) is left anywhere in ``lines``: the change has nothing to apply to."""
    present = {key(line).strip() for line in lines}
    anchors = [key(line).strip() for line in hunk.removed or hunk.context]
    return not any(anchor and anchor in present for anchor in anchors)


def apply_hunks(lines: list[str], hunks: list[Hunk]) -> PatchResult:
    """Apply every hunk to ``lines``, or report why not.

    The file outcome is "applied" only when every hunk either applies or is already there;
    a file whose hunks are all "not applicable" is not applicable; anything else (a hunk that
    conflicts, or one whose code is gone while others apply) is a conflict, and then the lines
    come back unchanged.
    """
    outcomes: list[tuple[Hunk, Outcome]] = []
    placements: list[tuple[int, Hunk]] = []
    offset = 0
    end_of_previous = 0
    for hunk in hunks:
        expected = hunk.old_start + offset
        at_before = locate(lines, hunk.before, expected)
        at_after = locate(lines, hunk.after, expected)
        if at_before is not None and (
            at_after is None or abs(at_before - expected) <= abs(at_after - expected)
        ):
            if at_before < end_of_previous:
                outcomes.append((hunk, Outcome.CONFLICT))
                continue
            placements.append((at_before, hunk))
            outcomes.append((hunk, Outcome.APPLIED))
            offset = at_before - hunk.old_start
            end_of_previous = at_before + len(hunk.before)
        elif at_after is not None:
            outcomes.append((hunk, Outcome.ALREADY_THERE))
            offset = at_after - hunk.old_start
            end_of_previous = at_after + len(hunk.after)
        elif code_is_gone(lines, hunk):
            outcomes.append((hunk, Outcome.NOT_APPLICABLE))
        else:
            outcomes.append((hunk, Outcome.CONFLICT))

    seen = {outcome for _, outcome in outcomes}
    if seen == {Outcome.NOT_APPLICABLE}:
        return PatchResult(Outcome.NOT_APPLICABLE, lines, outcomes)
    if Outcome.CONFLICT in seen or Outcome.NOT_APPLICABLE in seen:
        # Half a fix is worse than none: a hunk whose code is gone while others apply conflicts.
        outcomes = [
            (hunk, Outcome.CONFLICT if outcome is Outcome.NOT_APPLICABLE else outcome)
            for hunk, outcome in outcomes
        ]
        return PatchResult(Outcome.CONFLICT, lines, outcomes)
    if Outcome.APPLIED not in seen:
        return PatchResult(Outcome.ALREADY_THERE, lines, outcomes)
    patched = list(lines)
    for start, hunk in reversed(placements):
        patched[start : start + len(hunk.before)] = hunk.after
    return PatchResult(Outcome.APPLIED, patched, outcomes)
