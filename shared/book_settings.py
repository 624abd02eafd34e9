"""mkdocs hook: Appendix B's settings reference is generated from the chapters, never pasted.

The appendix page holds the placeholder below; at build time it becomes one table of every
variable in the newest chapter's ``.env.example``: its default, what its comment says, the
chapter that introduced it, and the rule production enforces on it, if any.

- *Since*: the first chapter whose ``.env.example`` lists the variable, or whose code reads it
  by name. Before chapter 8 a chapter reads its few variables with ``os.environ``, so a string
  literal such as ``"NEODYME_DATABASE_URL"`` in ``neodyme/`` counts.
- *Production*: the messages ``Settings``' validators raise in ``neodyme/core/config.py``. Each
  starts with the variable it is about (that is what makes the start-up error readable), so the
  rule is read from the code that enforces it rather than kept in a list that could drift.
"""

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from shared.chapters import REPOSITORY_ROOT, Chapter, discover_chapters, discover_tracks

PLACEHOLDER = "<!-- settings-reference -->"
PAGE = "appendix-b.md"
VARIABLE = re.compile(r"NEODYME_[A-Z0-9_]+")
ASSIGNMENT = re.compile(r"^(?P<name>NEODYME_[A-Z0-9_]+)=(?P<value>.*)$")
EXAMPLE_INDENT = "  "
"""A comment line indented further than ``# `` is an example or a command: shown as code."""


@dataclass(frozen=True)
class Variable:
    """One ``NAME=default`` line of an ``.env.example`` and the comment above it."""

    name: str
    default: str
    comment: str


def comment_text(lines: list[str]) -> str:
    """The comment lines above a variable as one Markdown sentence; examples become code."""
    parts = []
    for line in lines:
        text = line.removeprefix("#").removeprefix(" ")
        if text.startswith(EXAMPLE_INDENT):
            parts.append(f"`{text.strip()}`")
        elif text.strip():
            parts.append(text.strip())
    return " ".join(parts)


def parse_env_example(text: str) -> list[Variable]:
    """Every variable of an ``.env.example``, in file order.

    A comment describes the run of variables right below it (``# Token lifetimes.`` covers
    both lifetimes); a blank line ends both the comment and the run.
    """
    variables: list[Variable] = []
    comment: list[str] = []
    run_comment = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            comment, run_comment = [], ""
        elif stripped.startswith("#"):
            comment.append(stripped)
        elif match := ASSIGNMENT.match(stripped):
            if comment:
                run_comment, comment = comment_text(comment), []
            variables.append(Variable(match["name"], match["value"].strip(), run_comment))
        else:
            raise ValueError(f"not a comment or a NEODYME_ variable: {line!r}")
    return variables


def names_read_in_code(chapter: Chapter) -> set[str]:
    """The ``NEODYME_*`` names a chapter's application code spells out as string literals."""
    names = set()
    for path in sorted((chapter.path / "neodyme").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
            if is_text and VARIABLE.fullmatch(node.value):
                names.add(node.value)
    return names


def names_in_env_example(chapter: Chapter) -> set[str]:
    path = chapter.path / ".env.example"
    if not path.is_file():
        return set()
    return {variable.name for variable in parse_env_example(path.read_text())}


def first_chapters(chapters: list[Chapter]) -> dict[str, str]:
    """Each variable's first chapter, from the ``.env.example`` files and the code."""
    first: dict[str, str] = {}
    for chapter in chapters:
        for name in names_in_env_example(chapter) | names_read_in_code(chapter):
            first.setdefault(name, chapter.name)
    return first


def module_constants(tree: ast.Module) -> dict[str, object]:
    """``NAME = literal`` at the top of a module, for the f-strings of the messages."""
    constants = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = node.value.value
    return constants


def message_text(node: ast.expr, constants: dict[str, object]) -> str | None:
    """A string or f-string literal with its ``{CONSTANT}`` fields filled in; None otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if not isinstance(node, ast.JoinedStr):
        return None
    text = []
    for part in node.values:
        if isinstance(part, ast.Constant):
            text.append(str(part.value))
        elif isinstance(part, ast.FormattedValue) and isinstance(part.value, ast.Name):
            text.append(str(constants[part.value.id]))
        else:
            return None
    return "".join(text)


def production_rules(config_source: str) -> dict[str, str]:
    """Variable -> the rule ``Settings`` enforces on it, from the messages its checks raise.

    A trailing parenthesis (a hint such as the command that makes a key) is left out.
    """
    tree = ast.parse(config_source)
    constants = module_constants(tree)
    settings = next(
        node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Settings"
    )
    rules = {}
    for node in ast.walk(settings):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        if not node.exc.args:
            continue
        message = message_text(node.exc.args[0], constants)
        if message and (match := re.match(r"(NEODYME_[A-Z0-9_]+) (.+)", message)):
            rules[match[1]] = re.sub(r"\s*\(.*\)$", "", match[2])
    return rules


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|")


def settings_table(variables: list[Variable], since: dict[str, str], rules: dict[str, str]) -> str:
    rows = [
        "| variable | default | since | production | what it does |",
        "|---|---|---|---|---|",
    ]
    for variable in variables:
        default = f"`{variable.default}`" if variable.default else "*(empty)*"
        rule = f"**{rules[variable.name]}**" if variable.name in rules else ""
        rows.append(
            f"| `{variable.name}` | {cell(default)} | {since[variable.name]} "
            f"| {cell(rule)} | {cell(variable.comment)} |"
        )
    return "\n".join(rows)


def settings_reference(root: Path = REPOSITORY_ROOT) -> str:
    """The Markdown that replaces the placeholder: a note on its sources, then the table."""
    chapters = discover_chapters(root)
    newest = chapters[-1]
    variables = parse_env_example((newest.path / ".env.example").read_text())
    config = newest.path / "neodyme" / "core" / "config.py"
    rules = production_rules(config.read_text())
    intro = (
        f"Generated when the book is built, from `chapters/{newest.name}/.env.example` "
        f"({len(variables)} variables), the earlier chapters (where each first appears) and "
        f"the checks in `chapters/{newest.name}/neodyme/core/config.py` (the *production* "
        "column: a configuration that breaks one of these rules refuses to start)."
    )
    sections = [intro, settings_table(variables, first_chapters(chapters), rules)]
    known = {variable.name for variable in variables}
    for track in discover_tracks(root):
        sections += track_settings(track, known)
    return "\n\n".join(sections)


def track_settings(track: Chapter, known: set[str]) -> list[str]:
    """The paragraph and table of the settings a side track adds to its chapter's, if any."""
    variables = [
        variable
        for variable in parse_env_example((track.path / ".env.example").read_text())
        if variable.name not in known
    ]
    if not variables:
        return []
    rules = production_rules((track.path / "neodyme" / "core" / "config.py").read_text())
    intro = (
        f"The side track `{track.name}` adds {len(variables)} settings to chapter "
        f"{track.number}'s, from `chapters/{track.name}/.env.example`:"
    )
    since = {variable.name: track.name for variable in variables}
    return [intro, settings_table(variables, since, rules)]


def on_page_markdown(markdown: str, page, **kwargs) -> str:
    if page.file.src_uri != PAGE or PLACEHOLDER not in markdown:
        return markdown
    return markdown.replace(PLACEHOLDER, settings_reference())
