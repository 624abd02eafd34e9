"""Symbol-level comparison: which functions, classes and methods were added, moved or changed.

Every function and class in a module is a symbol: top-level ones, methods (``Class.method``) and
functions defined inside functions (``create_app.<locals>.health``, Python's own ``__qualname__``
spelling), because route handlers often start life inside an app factory.

Symbols are compared on a normalised dump of their syntax tree, so formatting and comments never
count. Docstrings do count: a changed docstring makes a symbol "changed", and the detail says
when the docstring is all that changed. A symbol's fingerprint covers its own code only, not the
functions and classes defined inside it: those are symbols of their own, so a class does not show
as changed because one of its methods did.

How an old symbol is paired with a new one is :mod:`shared.stagediff.pairing`'s business.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from enum import StrEnum

from shared.stagediff.tree import StageFile

DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# Fields that never change what code does: expression context follows from the syntax, and
# ``kind`` only records a ``u""`` prefix.
IGNORED_FIELDS = frozenset({"ctx", "kind", "type_comment"})
TOKEN = re.compile(r"\w+|[^\w\s]")
# Below this many tokens (``return await session.get(User, user_id)`` has 12) two symbols are
# too small to say that one became the other by likeness alone.
MIN_TOKENS = 12


class SymbolKind(StrEnum):
    FUNCTION = "function"
    METHOD = "method"
    CLASS = "class"


class SymbolCategory(StrEnum):
    """What happened to a symbol; reports list the categories in this order."""

    MOVED = "moved"
    MOVED_AND_CHANGED = "moved and changed"
    RENAMED = "renamed"
    RENAMED_AND_CHANGED = "renamed and changed"
    EXTRACTED = "extracted"
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
    tokens: tuple[str, ...]  # the code, docstring left out (a class's with its methods)

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
    def test(self) -> bool:
        """Whether the symbol belongs to the tests rather than to the application."""
        return is_test_path(self.path)

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


def is_test_path(path: str) -> bool:
    """``tests/…``, ``test_*.py``, ``*_test.py`` and ``conftest.py`` are the tests."""
    *folders, name = path.split("/")
    return (
        "tests" in folders
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


@dataclass(frozen=True)
class SymbolChange:
    """What happened to one symbol; ``similarity`` is the confidence of a pairing made by
    likeness, ``members`` the unchanged methods that followed a renamed class."""

    category: SymbolCategory
    old: Symbol | None
    new: Symbol | None
    similarity: float | None = None
    members: int = 0

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
        if self.category is SymbolCategory.EXTRACTED:  # old is where it came from, not itself
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
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
    lines: list[str],
    *,
    start: int | None = None,
    nested: bool = False,
) -> tuple[str, ...]:
    """The symbol's own body lines from ``start`` (its first statement), stripped, without
    those of definitions nested in it unless ``nested``.

    The ``def`` line is left out: two same-named symbols share it, which says nothing about
    whether one became the other.
    """
    start, end = start or node.body[0].lineno, node.end_lineno or node.lineno
    skipped = set()
    for child in ast.walk(node):
        if not nested and child is not node and isinstance(child, DEFINITIONS):
            first = min([child.lineno, *(decorator.lineno for decorator in child.decorator_list)])
            skipped.update(range(first, (child.end_lineno or child.lineno) + 1))
    return tuple(
        lines[number - 1].strip()
        for number in range(start, end + 1)
        if number not in skipped and lines[number - 1].strip()
    )


def code_tokens(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, lines: list[str]
) -> tuple[str, ...]:
    """The words and punctuation of the symbol's code, docstring left out: what likeness is
    measured on. A class is its methods too: renamed, it is recognised by them."""
    code = body_without_docstring(node)
    if not code:
        return ()
    first = min([code[0].lineno, *(d.lineno for d in getattr(code[0], "decorator_list", []))])
    own = body_lines(node, lines, start=first, nested=isinstance(node, ast.ClassDef))
    return tuple(token for line in own for token in TOKEN.findall(line))


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
                tokens=code_tokens(statement, lines),
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
                    tokens=first.tokens + symbol.tokens,
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
