"""Pair each old symbol with the new symbol it became, and say what happened to it.

In order:

1. same file (or the file it was renamed to) and same qualified name: unchanged, changed, or,
   when the file was renamed, moved / moved and changed;
2. same name and identical code elsewhere: moved;
3. identical code under another name, unique on both sides and not trivial: renamed;
4. a class under another name whose code (its methods included) is at least ``threshold``
   alike: renamed and changed;
5. same name elsewhere with different code: moved and changed, when the name is unpaired only
   once on each side and both belong to the same class (or both to none, or to a class renamed
   in step 3 or 4), or else when their body lines are at least ``threshold`` similar;
6. a function or method under another name whose code is at least ``threshold`` alike, token by
   token (``session.commit()`` in a function is ``self.session.commit()`` in a method): renamed
   and changed, wherever it went and whether or not it became a method, except that a method
   does not go to another class (unless its class was renamed to that one);
7. a new function that a changed one now calls, made of code that one lost: extracted from it;
8. whatever is left: removed or added.

Likeness (steps 4, 6 and 7) is looked for within the application or within the tests, never
across, and never between symbols too small to tell apart; its figure is the report's confidence.
Last, the methods of a renamed class follow it: unchanged ones are counted on the class's line,
changed ones are "changed" under the class's new name, not "moved" from one class to another.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from difflib import SequenceMatcher

from shared.stagediff.files import DEFAULT_SIMILARITY
from shared.stagediff.symbols import (
    MIN_TOKENS,
    TOKEN,
    Symbol,
    SymbolCategory,
    SymbolChange,
    SymbolKind,
)


def line_similarity(old: Symbol, new: Symbol) -> float:
    return SequenceMatcher(None, old.body_lines, new.body_lines, autojunk=False).ratio()


def likeness(old: tuple[str, ...], new: tuple[str, ...], threshold: float) -> float | None:
    """How alike two token sequences are (0–1), or ``None`` below ``threshold``."""
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    # The cheap upper bounds rule most pairs out before the real ratio is computed.
    if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
        return None
    ratio = matcher.ratio()
    return ratio if ratio >= threshold else None


def comparable(old: Symbol, new: Symbol) -> bool:
    """Whether likeness may pair the two: same side (application or tests), big enough."""
    return (
        old.compatible(new)
        and old.test == new.test
        and min(len(old.tokens), len(new.tokens)) >= MIN_TOKENS
    )


def lost_tokens(change: SymbolChange) -> tuple[str, ...]:
    """The tokens of the lines a changed symbol's body lost."""
    assert change.old is not None and change.new is not None
    old, new = change.old.body_lines, change.new.body_lines
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    lost = [
        line
        for tag, i1, i2, _, _ in matcher.get_opcodes()
        if tag in ("delete", "replace")
        for line in old[i1:i2]
    ]
    return tuple(token for line in lost for token in TOKEN.findall(line))


def taken(lost: tuple[str, ...], new: Symbol) -> tuple[float, tuple[str, ...]]:
    """The share of ``new``'s code found, in order, among the ``lost`` tokens, and the lost
    tokens left once those are taken."""
    matcher = SequenceMatcher(None, lost, new.tokens, autojunk=False)
    blocks = matcher.get_matching_blocks()
    used = {index for block in blocks for index in range(block.a, block.a + block.size)}
    left = tuple(token for index, token in enumerate(lost) if index not in used)
    return sum(block.size for block in blocks) / len(new.tokens), left


def calls(caller: Symbol, callee: Symbol) -> bool:
    """Whether ``caller``'s code names ``callee`` (``users.create(data)`` names ``create``)."""
    return callee.name in caller.tokens


class Pairing:
    """The symbols not yet paired, and the changes found so far."""

    def __init__(
        self, changes: list[SymbolChange], old_left: list[Symbol], new_left: list[Symbol]
    ) -> None:
        self.changes = changes
        self.old_left = old_left
        self.new_left = new_left

    def pair(
        self,
        old: Symbol,
        new: Symbol,
        category: SymbolCategory,
        similarity: float | None = None,
    ) -> None:
        self.old_left.remove(old)
        self.new_left.remove(new)
        self.changes.append(SymbolChange(category, old, new, similarity))

    def moved_unchanged(self) -> None:
        """Step 2; a candidate with the same qualified name goes first."""
        for old in list(self.old_left):
            candidates = [
                new
                for new in self.new_left
                if new.name == old.name
                and new.fingerprint == old.fingerprint
                and old.compatible(new)
            ]
            if candidates:
                candidates.sort(key=lambda new: (new.qualname != old.qualname, new.path))
                self.pair(old, candidates[0], SymbolCategory.MOVED)

    def renamed_unchanged(self) -> None:
        """Step 3: the same code under a new name, where that code occurs once on each side."""
        old_codes = Counter(symbol.fingerprint for symbol in self.old_left)
        new_codes = Counter(symbol.fingerprint for symbol in self.new_left)
        for old in list(self.old_left):
            if old.trivial or old_codes[old.fingerprint] != 1 or new_codes[old.fingerprint] != 1:
                continue
            new = next(new for new in self.new_left if new.fingerprint == old.fingerprint)
            if old.compatible(new):
                self.pair(old, new, SymbolCategory.RENAMED)

    def renamed_alike(self, classes: bool, threshold: float) -> None:
        """Steps 4 (``classes``) and 6: another name, code at least ``threshold`` alike."""
        renamed = self.renamed_classes()
        candidates = []
        for old in self.old_left:
            if (old.kind is SymbolKind.CLASS) != classes:
                continue
            for new in self.new_left:
                if new.name == old.name or not comparable(old, new):
                    continue
                # A method renamed by likeness stays in its class: two look-alike methods of
                # unrelated classes are two pieces of code written to the same pattern.
                if old.owner and new.owner and renamed.get(old.owner, old.owner) != new.owner:
                    continue
                score = likeness(old.tokens, new.tokens, threshold)
                if score is not None:
                    candidates.append(
                        (-score, old.path, old.qualname, new.path, new.qualname, old, new)
                    )
        candidates.sort(key=lambda candidate: candidate[:5])
        for negative_score, *_, old, new in candidates:
            if old in self.old_left and new in self.new_left:
                self.pair(old, new, SymbolCategory.RENAMED_AND_CHANGED, -negative_score)

    def renamed_classes(self) -> dict[str, str]:
        """Old class name -> new class name, for the classes paired under another name."""
        return {
            change.old.name: change.new.name
            for change in self.changes
            if change.old and change.new and change.old.kind is SymbolKind.CLASS
        }

    def moved_and_changed(self, threshold: float) -> None:
        """Step 5: the same name elsewhere."""
        classes = self.renamed_classes()
        old_names = Counter(symbol.name for symbol in self.old_left)
        new_names = Counter(symbol.name for symbol in self.new_left)
        candidates = []
        for old in self.old_left:
            owner = classes.get(old.owner, old.owner) if old.owner else None
            for new in self.new_left:
                if new.name != old.name or not old.compatible(new):
                    continue
                score = line_similarity(old, new)
                unique = old_names[old.name] == 1 and new_names[new.name] == 1
                if (unique and owner == new.owner) or score >= threshold:
                    candidates.append(
                        (-score, old.path, old.qualname, new.path, new.qualname, old, new)
                    )
        candidates.sort(key=lambda candidate: candidate[:5])
        for *_, old, new in candidates:
            if old in self.old_left and new in self.new_left:
                self.pair(old, new, SymbolCategory.MOVED_AND_CHANGED)

    def extracted(self, threshold: float) -> None:
        """Step 7: a new function or method that a changed one now calls, made of code that
        one lost. The best matches go first, and each takes its tokens from what was lost, so
        one lost body is not claimed twice."""
        lost = {
            id(change): lost_tokens(change)
            for change in self.changes
            if change.old
            and change.new
            and change.old.kind is not SymbolKind.CLASS
            and change.old.body_lines != change.new.body_lines
        }
        sources = [change for change in self.changes if id(change) in lost]
        candidates = []
        for new in self.new_left:
            if new.kind is SymbolKind.CLASS or len(new.tokens) < MIN_TOKENS:
                continue
            for source in sources:
                assert source.new is not None
                if source.new.test == new.test and calls(source.new, new):
                    score, _ = taken(lost[id(source)], new)
                    if score >= threshold:
                        candidates.append((-score, new.path, new.qualname, source, new))
        candidates.sort(key=lambda candidate: candidate[:3])
        for *_, source, new in candidates:
            score, left = taken(lost[id(source)], new)
            if new in self.new_left and score >= threshold:
                lost[id(source)] = left
                self.new_left.remove(new)
                self.changes.append(SymbolChange(SymbolCategory.EXTRACTED, source.old, new, score))


def follow_renamed_classes(changes: list[SymbolChange]) -> list[SymbolChange]:
    """A renamed class's methods follow it: unchanged ones are counted on the class's change,
    changed ones become "changed" under the new name."""
    renamed = {
        (change.old.path, change.old.qualname): change
        for change in changes
        if change.old
        and change.new
        and change.old.kind is SymbolKind.CLASS
        and change.old.qualname != change.new.qualname
    }
    members: Counter[tuple[str, str]] = Counter()
    kept = []
    for change in changes:
        old, new = change.old, change.new
        if old and new and "." in old.qualname and "." in new.qualname:
            old_parent, old_name = old.qualname.rsplit(".", 1)
            new_parent, new_name = new.qualname.rsplit(".", 1)
            owner = renamed.get((old.path, old_parent))
            if (
                owner is not None
                and owner.new is not None
                and (owner.new.path, owner.new.qualname) == (new.path, new_parent)
                and old_name == new_name
            ):
                if old.fingerprint == new.fingerprint:
                    members[(old.path, old_parent)] += 1
                    continue
                change = replace(change, category=SymbolCategory.CHANGED)
        kept.append(change)
    return [
        replace(change, members=members[(change.old.path, change.old.qualname)])
        if change.old and (change.old.path, change.old.qualname) in renamed
        else change
        for change in kept
    ]


def diff_symbols(
    old_symbols: list[Symbol],
    new_symbols: list[Symbol],
    renames: dict[str, str],
    threshold: float = DEFAULT_SIMILARITY,
) -> list[SymbolChange]:
    """Classify every symbol that differs between two stages (see the module docstring).

    ``renames`` maps each renamed file's old path to its new one: a symbol that stays in a
    renamed file has moved with it.
    """
    changes: list[SymbolChange] = []
    new_at = {(symbol.path, symbol.qualname): symbol for symbol in new_symbols}
    old_left: list[Symbol] = []
    for old in old_symbols:
        path = renames.get(old.path, old.path)
        new = new_at.pop((path, old.qualname), None)
        if new is None or not old.compatible(new):
            if new is not None:
                new_at[(path, old.qualname)] = new
            old_left.append(old)
            continue
        same = old.fingerprint == new.fingerprint
        if path != old.path:
            category = SymbolCategory.MOVED if same else SymbolCategory.MOVED_AND_CHANGED
        elif same:
            continue
        else:
            category = SymbolCategory.CHANGED
        changes.append(SymbolChange(category, old, new))

    pairing = Pairing(changes, old_left, list(new_at.values()))
    pairing.moved_unchanged()
    pairing.renamed_unchanged()
    pairing.renamed_alike(classes=True, threshold=threshold)
    pairing.moved_and_changed(threshold)
    pairing.renamed_alike(classes=False, threshold=threshold)
    pairing.extracted(threshold)

    changes = follow_renamed_classes(pairing.changes)
    changes += [SymbolChange(SymbolCategory.REMOVED, old, None) for old in pairing.old_left]
    changes += [SymbolChange(SymbolCategory.ADDED, None, new) for new in pairing.new_left]
    order = list(SymbolCategory)
    changes.sort(
        key=lambda change: (
            order.index(change.category),
            change.symbol.path,
            change.symbol.lineno,
        )
    )
    return changes
