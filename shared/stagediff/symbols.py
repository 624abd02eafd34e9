"""Symbol-level comparison: which functions, classes and methods were added, moved or changed.

Every function and class in a module is a symbol: top-level ones, methods (``Class.method``) and
functions defined inside functions (``create_app.<locals>.health``, Python's own ``__qualname__``
spelling), because route handlers often start life inside an app factory.

Symbols are compared on a normalised dump of their syntax tree, so formatting and comments never
count. Docstrings do count: a changed docstring makes a symbol "changed", and the detail says
when the docstring is all that changed. A symbol's fingerprint covers its own code only, not the
functions and classes defined inside it: those are symbols of their own, so a class does not show
as changed because one of its methods did.

Pairing an old symbol with a new one, in order:

1. same file (or the file it was renamed to) and same qualified name: unchanged, changed, or,
   when the file was renamed, moved / moved and changed;
2. same name and identical code elsewhere: moved;
3. identical code under another name, unique on both sides and not trivial: renamed;
4. same name elsewhere with different code: moved and changed, when the name is unpaired only
   once on each side and both belong to the same class (or both to none), or else when their
   body lines are at least ``threshold`` similar;
5. whatever is left: removed or added.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

from shared.stagediff.files import DEFAULT_SIMILARITY
from shared.stagediff.tree import StageFile

DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# Fields that never change what code does: expression context follows from the syntax, and
# ``kind`` only records a ``u""`` prefix.
IGNORED_FIELDS = frozenset({"ctx", "kind", "type_comment"})


class SymbolKind(StrEnum):
    FUNCTION = "function"
    METHOD = "method"
    CLASS = "class"


class SymbolCategory(StrEnum):
    """What happened to a symbol; reports list the categories in this order."""

    MOVED = "moved"
    MOVED_AND_CHANGED = "moved and changed"
    RENAMED = "renamed"
    CHANGED = "changed"
    ADDED = "added"
    REMOVED = "removed"


@dataclass(frozen=True)
class Symbol:
    """A function, method or class, with the normalised parts it is compared on."""

    path: str
    qualname: str
    kind: SymbolKind
    lineno: int
    signature: str
    docstring: str | None
    body: str
    body_lines: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    @property
    def owner(self) -> str | None:
        """The class a method belongs to (``None`` for functions and classes)."""
        if self.kind is not SymbolKind.METHOD:
            return None
        return self.qualname.rsplit(".", 2)[-2]

    @property
    def fingerprint(self) -> tuple[str, str | None, str]:
        return (self.signature, self.docstring, self.body)

    @property
    def trivial(self) -> bool:
        """No docstring and a body of nothing but ``pass`` or ``...``: too common to say that
        two such symbols are one."""
        return self.docstring is None and self.body in (
            "[]",
            "[Pass()]",
            "[Expr(Constant(Ellipsis))]",
        )

    def compatible(self, other: Symbol) -> bool:
        """Whether ``other`` could be this symbol: a class stays a class, a function may become
        a method and back."""
        return (self.kind is SymbolKind.CLASS) == (other.kind is SymbolKind.CLASS)


@dataclass(frozen=True)
class SymbolChange:
    category: SymbolCategory
    old: Symbol | None
    new: Symbol | None

    @property
    def symbol(self) -> Symbol:
        """The symbol as it is in the newer stage (the older one for a removed symbol)."""
        symbol = self.new or self.old
        assert symbol is not None, "a change has at least one side"
        return symbol

    @property
    def detail(self) -> str:
        """What changed in a changed symbol: signature, body, or only its docstring."""
        if self.old is None or self.new is None or self.old.fingerprint == self.new.fingerprint:
            return ""
        parts = [
            part
            for part, differs in (
                ("signature", self.old.signature != self.new.signature),
                ("body", self.old.body != self.new.body),
            )
            if differs
        ]
        return " and ".join(parts) if parts else "docstring only"


def dump(value: object) -> str:
    """A compact ``ast.dump`` without positions, ignored fields and nested definitions."""
    if isinstance(value, ast.AST):
        fields = ",".join(
            dump(field) for name, field in ast.iter_fields(value) if name not in IGNORED_FIELDS
        )
        return f"{type(value).__name__}({fields})"
    if isinstance(value, list):
        return (
            "[" + ",".join(dump(item) for item in value if not isinstance(item, DEFINITIONS)) + "]"
        )
    return repr(value)


def signature_of(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> str:
    parts: list[object] = [type(node).__name__, node.decorator_list]
    if isinstance(node, ast.ClassDef):
        parts += [node.bases, node.keywords]
    else:
        parts += [node.args, node.returns]
    parts.append(getattr(node, "type_params", []))  # Python 3.12 generics
    return "|".join(dump(part) for part in parts)


def body_without_docstring(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list:
    if ast.get_docstring(node, clean=False) is not None:
        return node.body[1:]
    return node.body


def body_lines(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, lines: list[str]
) -> tuple[str, ...]:
    """The symbol's own body lines, stripped, without those of definitions nested in it.

    The ``def`` line is left out: two same-named symbols share it, which says nothing about
    whether one became the other.
    """
    start, end = node.body[0].lineno, node.end_lineno or node.lineno
    nested = set()
    for child in ast.walk(node):
        if child is not node and isinstance(child, DEFINITIONS):
            first = min([child.lineno, *(decorator.lineno for decorator in child.decorator_list)])
            nested.update(range(first, (child.end_lineno or child.lineno) + 1))
    return tuple(
        lines[number - 1].strip()
        for number in range(start, end + 1)
        if number not in nested and lines[number - 1].strip()
    )


def statement_blocks(statement: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The statement lists inside a compound statement (``if``, ``try``, ``with``, ``match`` …)."""
    for _, value in ast.iter_fields(statement):
        if not isinstance(value, list):
            continue
        statements = [item for item in value if isinstance(item, ast.stmt)]
        if statements:
            yield statements
        for item in value:
            if isinstance(item, ast.excepthandler | ast.match_case):
                yield item.body


def module_symbols(path: str, source: str) -> list[Symbol]:
    """Every symbol defined in one module's source (raises ``SyntaxError`` for invalid code)."""
    lines = source.splitlines()
    symbols: dict[str, Symbol] = {}

    def visit(statements: list[ast.stmt], prefix: str, in_class: bool) -> None:
        for statement in statements:
            if not isinstance(statement, DEFINITIONS):
                for block in statement_blocks(statement):
                    visit(block, prefix, in_class)
                continue
            qualname = prefix + statement.name
            if isinstance(statement, ast.ClassDef):
                kind = SymbolKind.CLASS
            else:
                kind = SymbolKind.METHOD if in_class else SymbolKind.FUNCTION
            symbol = Symbol(
                path=path,
                qualname=qualname,
                kind=kind,
                lineno=statement.lineno,
                signature=signature_of(statement),
                docstring=ast.get_docstring(statement),
                body=dump(body_without_docstring(statement)),
                body_lines=body_lines(statement, lines),
            )
            if qualname in symbols:
                # A redefinition (a property setter, an overload): one symbol made of all of them.
                first = symbols[qualname]
                symbol = Symbol(
                    path=path,
                    qualname=qualname,
                    kind=kind,
                    lineno=first.lineno,
                    signature=first.signature + "||" + symbol.signature,
                    docstring=first.docstring,
                    body=first.body + "||" + symbol.body,
                    body_lines=first.body_lines + symbol.body_lines,
                )
            symbols[qualname] = symbol
            if isinstance(statement, ast.ClassDef):
                visit(statement.body, qualname + ".", in_class=True)
            else:
                visit(statement.body, qualname + ".<locals>.", in_class=False)

    visit(ast.parse(source, filename=path).body, "", in_class=False)
    return list(symbols.values())


@dataclass(frozen=True)
class SymbolTable:
    symbols: list[Symbol]
    unparsable: list[str]


def collect_symbols(files: dict[str, StageFile], skip: Collection[str] = ()) -> SymbolTable:
    """The symbols of every Python file in a stage, except the paths in ``skip``."""
    symbols, unparsable = [], []
    for path, file in files.items():
        if not path.endswith(".py") or path in skip or file.text is None:
            continue
        try:
            symbols += module_symbols(path, file.text)
        except SyntaxError:
            unparsable.append(path)
    return SymbolTable(symbols, unparsable)


def line_similarity(old: Symbol, new: Symbol) -> float:
    return SequenceMatcher(None, old.body_lines, new.body_lines, autojunk=False).ratio()


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
    new_left = list(new_at.values())

    def pair(old: Symbol, new: Symbol, category: SymbolCategory) -> None:
        old_left.remove(old)
        new_left.remove(new)
        changes.append(SymbolChange(category, old, new))

    # Moved unchanged: same name, same code. A candidate with the same qualified name goes first.
    for old in list(old_left):
        candidates = [
            new
            for new in new_left
            if new.name == old.name and new.fingerprint == old.fingerprint and old.compatible(new)
        ]
        if candidates:
            candidates.sort(key=lambda new: (new.qualname != old.qualname, new.path))
            pair(old, candidates[0], SymbolCategory.MOVED)

    # Renamed: the same code under a new name, where that code occurs once on each side.
    old_codes = Counter(symbol.fingerprint for symbol in old_left)
    new_codes = Counter(symbol.fingerprint for symbol in new_left)
    for old in list(old_left):
        if old.trivial or old_codes[old.fingerprint] != 1 or new_codes[old.fingerprint] != 1:
            continue
        new = next(new for new in new_left if new.fingerprint == old.fingerprint)
        if old.compatible(new):
            pair(old, new, SymbolCategory.RENAMED)

    # Moved and changed: the same name elsewhere.
    old_names = Counter(symbol.name for symbol in old_left)
    new_names = Counter(symbol.name for symbol in new_left)
    candidates = []
    for old in old_left:
        for new in new_left:
            if new.name != old.name or not old.compatible(new):
                continue
            score = line_similarity(old, new)
            unique = old_names[old.name] == 1 and new_names[new.name] == 1
            if (unique and old.owner == new.owner) or score >= threshold:
                candidates.append(
                    (-score, old.path, old.qualname, new.path, new.qualname, old, new)
                )
    candidates.sort(key=lambda candidate: candidate[:5])
    for *_, old, new in candidates:
        if old in old_left and new in new_left:
            pair(old, new, SymbolCategory.MOVED_AND_CHANGED)

    changes += [SymbolChange(SymbolCategory.REMOVED, old, None) for old in old_left]
    changes += [SymbolChange(SymbolCategory.ADDED, None, new) for new in new_left]
    order = list(SymbolCategory)
    changes.sort(
        key=lambda change: (
            order.index(change.category),
            change.symbol.path,
            change.symbol.lineno,
        )
    )
    return changes
