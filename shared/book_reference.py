"""mkdocs hook: Appendix A's codebase reference is generated from the finished chapter's code.

The appendix page holds the placeholder below; at build time it becomes one table per package
of the newest chapter: each module, its job (the first line of its docstring), the classes and
functions it defines, and the chapter in which the module first appeared. A module without a
docstring shows as such, so the reference can only be improved in the code itself.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

from shared.chapters import REPOSITORY_ROOT, Chapter, discover_chapters

PLACEHOLDER = "<!-- codebase-reference -->"
PAGE = "appendix-a.md"


@dataclass(frozen=True)
class Module:
    path: str
    job: str
    defines: list[str]
    since: str
    lines: int


def summary(tree: ast.Module) -> str:
    docstring = ast.get_docstring(tree)
    if not docstring:
        return "*(no docstring)*"
    return docstring.split("\n\n")[0].replace("\n", " ")


def top_level_names(tree: ast.Module) -> list[str]:
    """Public classes and functions, in source order."""
    kinds = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return [
        node.name for node in tree.body if isinstance(node, kinds) and not node.name.startswith("_")
    ]


def first_chapter_with(relative: str, chapters: list[Chapter]) -> str:
    return next(chapter.name for chapter in chapters if (chapter.path / relative).is_file())


def modules(chapters: list[Chapter], folder: str) -> list[Module]:
    """Every Python module under ``folder`` of the newest chapter, in path order."""
    newest = chapters[-1]
    found = []
    for path in sorted((newest.path / folder).rglob("*.py")):
        relative = path.relative_to(newest.path).as_posix()
        source = path.read_text()
        tree = ast.parse(source)
        if not source.strip():
            continue
        found.append(
            Module(
                path=relative,
                job=summary(tree),
                defines=top_level_names(tree),
                since=first_chapter_with(relative, chapters),
                lines=len(source.splitlines()),
            )
        )
    return found


def table(found: list[Module]) -> str:
    rows = ["| module | its job | defines | since | lines |", "|---|---|---|---|---|"]
    for module in found:
        defines = ", ".join(f"`{name}`" for name in module.defines) or "–"
        job = module.job.replace("|", "\\|")
        rows.append(f"| `{module.path}` | {job} | {defines} | {module.since} | {module.lines} |")
    return "\n".join(rows)


def codebase_reference(root: Path = REPOSITORY_ROOT) -> str:
    """The Markdown that replaces the placeholder: the application, then its tests."""
    chapters = discover_chapters(root)
    newest = chapters[-1]
    application = modules(chapters, "neodyme")
    tests = modules(chapters, "tests")
    total = sum(module.lines for module in application)
    return "\n\n".join(
        [
            f"Generated from `chapters/{newest.name}` when the book is built: "
            f"{len(application)} application modules ({total} lines) and "
            f"{len(tests)} test modules. *Since* names the chapter in which a file first appeared.",
            "### The application package",
            table(application),
            "### The tests",
            table(tests),
        ]
    )


def on_page_markdown(markdown: str, page, **kwargs) -> str:
    if page.file.src_uri != PAGE or PLACEHOLDER not in markdown:
        return markdown
    return markdown.replace(PLACEHOLDER, codebase_reference())
