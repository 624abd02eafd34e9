"""mkdocs hook: focused listings, the part of a real file the prose is talking about.

A whole file is included as before, ``--8<-- "chapters/ch03/neodyme/main.py"`` (with ``hl``
or ``annotate``, below, this hook includes it). To show one part of it, name the part after
``::``::

    ```python hl="status_code=201" annotate="session.commit()"
    --8<-- "chapters/ch03/neodyme/routes/users.py::create_user"
    ```

    1. The word the annotated line needs.

What can be named
    In a Python file, a function, a class or an assignment at module level, or a method as
    ``Class.method``; the listing runs from its decorators (and the comment lines right above
    them) to its last line. Several names, ``::a,b``, make one listing; a gap between them is
    shown as ``# ...``. In an INI or TOML file, a section by its header: ``::[alembic]``.

Highlights and annotations
    ``hl="text; other text"`` highlights the first line of the listing that contains each text,
    ``annotate="text; ..."`` puts the theme's code annotation ``(1)``, ``(2)``, ... at the end
    of the first line containing each text, for the numbered list right below the listing.
    Both are found by their text, not by line numbers, so they move with the code; a text the
    listing no longer contains stops the build.

The whole file
    Under a focused listing, a collapsed block holds the whole file, one click away (under the
    last one, when a page shows several parts of one file).

Nothing is added to the chapters' code: no markers for readers to wonder about, nothing in the
stage diffs. The code shown is read from the file when the book is built, so it cannot drift.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from mkdocs.exceptions import PluginError

from shared.chapters import REPOSITORY_ROOT

FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+) *(?P<lang>[\w+-]*)(?P<options>.*)$")
INCLUDE = re.compile(r'^(?P<indent> *)--8<--\s+"(?P<path>[^":]+)(?:::(?P<names>[^"]+))?"\s*$')
OPTION = re.compile(r"""\b(?P<key>hl|annotate|hl_lines)=(?P<quote>["'])(?P<value>.*?)(?P=quote)""")
ANNOTATION_ITEM = re.compile(r"^\d+\. ")
COMMENT = {"python": "#", "toml": "#", "ini": "#", "yaml": "#", "bash": "#"}
GAP = "..."


@dataclass(frozen=True)
class Excerpt:
    """The lines of a file that a focused listing shows, and where they come from."""

    path: str
    lines: list[str]
    ranges: list[tuple[int, int]]  # 1-based, inclusive, in file order
    total: int

    def where(self) -> str:
        spans = ", ".join(f"{a}–{b}" if a != b else str(a) for a, b in self.ranges)
        return f"line{'s' if len(self.lines) > 1 else ''} {spans} of {self.total}"


class ListingError(PluginError):
    """A focused listing that names something its file does not have."""


# --- finding the part -----------------------------------------------------------------------


def python_span(tree: ast.Module, lines: list[str], dotted: str, path: str) -> tuple[int, int]:
    """First and last line of a function, class or assignment, decorators and comments included."""
    scope: list[ast.stmt] = tree.body
    node, end = None, 0
    for part in dotted.split("."):
        index = next((i for i, n in enumerate(scope) if part in defined_names(n)), None)
        if index is None:
            raise ListingError(f"{path} has no {dotted!r} (looked for {part!r})")
        node, end = scope[index], scope[index].end_lineno
        following = scope[index + 1] if index + 1 < len(scope) else None
        if isinstance(node, ast.Assign | ast.AnnAssign) and is_docstring(following):
            end = following.end_lineno  # an attribute docstring belongs to its assignment
        scope = getattr(node, "body", [])
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    indent = len(lines[start - 1]) - len(lines[start - 1].lstrip())
    while start > 1 and lines[start - 2].strip().startswith("#"):
        above = lines[start - 2]
        if len(above) - len(above.lstrip()) != indent:
            break
        start -= 1
    return start, end


def is_docstring(node: ast.stmt | None) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def defined_names(node: ast.stmt) -> set[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Assign):
        return {target.id for target in node.targets if isinstance(target, ast.Name)}
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return {node.target.id}
    return set()


def section_span(lines: list[str], header: str, path: str) -> tuple[int, int]:
    """First and last line of an INI or TOML section, without the blank lines that end it."""
    try:
        start = next(i for i, line in enumerate(lines, 1) if line.strip() == header)
    except StopIteration:
        raise ListingError(f"{path} has no section {header}") from None
    end = next(
        (i - 1 for i in range(start + 1, len(lines) + 1) if lines[i - 1].startswith("[")),
        len(lines),
    )
    while end > start and not lines[end - 1].strip():
        end -= 1
    return start, end


def excerpt(path: str, names: str, root: Path = REPOSITORY_ROOT) -> Excerpt:
    """The part of ``path`` (relative to ``root``) that ``names`` (``a,b`` or ``[section]``) are."""
    file = root / path
    if not file.is_file():
        raise ListingError(f"a focused listing includes {path}, which does not exist")
    text = file.read_text()
    lines = text.splitlines()
    wanted = [name.strip() for name in names.split(",")]
    if path.endswith(".py"):
        tree = ast.parse(text, filename=path)
        spans = [python_span(tree, lines, name, path) for name in wanted]
    else:
        spans = [section_span(lines, name, path) for name in wanted]
    spans.sort()
    shown: list[str] = []
    ranges: list[tuple[int, int]] = []
    for start, end in spans:
        if ranges and any(line.strip() for line in lines[ranges[-1][1] : start - 1]):
            indent = lines[start - 1][: len(lines[start - 1]) - len(lines[start - 1].lstrip())]
            shown += ["", f"{indent}# {GAP}", ""]
        elif ranges:  # only blank lines between: one range
            shown += lines[ranges[-1][1] : end]
            ranges[-1] = (ranges[-1][0], end)
            continue
        shown += lines[start - 1 : end]
        ranges.append((start, end))
    return Excerpt(path, textwrap.dedent("\n".join(shown)).split("\n"), ranges, len(lines))


def whole(path: str, root: Path = REPOSITORY_ROOT) -> Excerpt:
    """All of ``path``: a whole-file listing that highlights or annotates lines."""
    file = root / path
    if not file.is_file():
        raise ListingError(f"a listing includes {path}, which does not exist")
    lines = file.read_text().splitlines()
    return Excerpt(path, lines, [(1, len(lines))], len(lines))


# --- highlights and annotations ---------------------------------------------------------------


def split_patterns(value: str) -> list[str]:
    return [pattern.strip() for pattern in value.split(";") if pattern.strip()]


def line_with(lines: list[str], pattern: str, where: str) -> int:
    """The 1-based number of the first line containing ``pattern``."""
    for number, line in enumerate(lines, 1):
        if pattern in line:
            return number
    raise ListingError(f"{where}: no line of the listing contains {pattern!r}")


def annotate(lines: list[str], patterns: list[str], comment: str, where: str) -> list[str]:
    annotated = list(lines)
    for index, pattern in enumerate(patterns, 1):
        number = line_with(lines, pattern, where)
        annotated[number - 1] = f"{annotated[number - 1]}  {comment} ({index})!"
    return annotated


# --- rewriting the page -----------------------------------------------------------------------


def end_of_annotations(lines: list[str], start: int, indent: str) -> int:
    """The index of the first line after the numbered list that starts at or after ``start``."""

    def in_list(line: str) -> bool:
        return bool(ANNOTATION_ITEM.match(line.removeprefix(indent))) or line.startswith(
            indent + "    "
        )

    end, i = start, start
    while i < len(lines):
        if in_list(lines[i]):
            end = i = i + 1
        elif not lines[i].strip():
            i += 1
        else:
            break
    return end


def whole_file_block(path: str, language: str, total: int, indent: str) -> list[str]:
    return [
        "",
        f'{indent}??? quote "The whole file: `{path}` ({total} lines)"',
        "",
        f"{indent}    ```{language}",
        f'{indent}    --8<-- "{path}"',
        f"{indent}    ```",
        "",
    ]


def focus_listings(markdown: str, page_name: str = "page", root: Path = REPOSITORY_ROOT) -> str:
    """The page with every focused listing replaced by its lines (see the module docstring)."""
    lines = markdown.split("\n")
    # The whole file goes under the last focused listing of it on the page.
    focused_later = Counter(
        m["path"] for line in lines if (m := INCLUDE.match(line)) and m["names"]
    )
    out: list[str] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        close = i + 2
        body = lines[i + 1] if i + 1 < len(lines) else ""
        focused = INCLUDE.match(body) if opening else None
        if not (
            opening
            and focused
            and (focused["names"] or OPTION.search(opening["options"]))
            and close < len(lines)
            and lines[close].strip() == opening["fence"]
        ):
            out.append(lines[i])
            i += 1
            continue
        indent, language = opening["indent"], opening["lang"] or "text"
        path, names = focused["path"], focused["names"]
        where = f"{page_name}, {path}" + (f"::{names}" if names else "")
        part = excerpt(path, names, root) if names else whole(path, root)
        options = {m["key"]: m["value"] for m in OPTION.finditer(opening["options"])}
        if "hl_lines" in options:
            raise ListingError(f'{where}: mark lines by their text, hl="...", not hl_lines')
        rest = OPTION.sub("", opening["options"]).strip()
        code = part.lines
        if "annotate" in options:
            code = annotate(code, split_patterns(options["annotate"]), COMMENT[language], where)
        header = [f"{indent}{opening['fence']}{language}"]
        if "hl" in options:
            numbers = [line_with(part.lines, p, where) for p in split_patterns(options["hl"])]
            header.append(f'hl_lines="{" ".join(map(str, sorted(set(numbers))))}"')
        if "title=" not in rest:
            header.append(f'title="{path}, {part.where()}"' if names else f'title="{path}"')
        if rest:
            header.append(rest)
        out.append(" ".join(header))
        out += [f"{indent}{line}" if line else "" for line in code]
        out.append(lines[close])
        i = close + 1
        if "annotate" in options:  # the annotations' list belongs right under the listing
            end = end_of_annotations(lines, i, indent)
            out += lines[i:end]
            i = end
        if names:
            focused_later[path] -= 1
            if not focused_later[path]:
                out += whole_file_block(path, language, part.total, indent)
    return "\n".join(out)


def on_page_markdown(markdown: str, page, **kwargs) -> str:
    if "--8<--" not in markdown:
        return markdown
    return focus_listings(markdown, page.file.src_uri)
