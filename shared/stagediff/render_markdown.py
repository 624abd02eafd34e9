"""The Markdown report that the book's *Refactoring Moments* sections are made of.

It is written for MkDocs Material: collapsible diffs use ``??? note`` (``pymdownx.details``);
with ``collapsible=False`` every diff is a plain fenced ``diff`` block that any Markdown reader
shows.
"""

from __future__ import annotations

import re

from shared.stagediff.describe import (
    ModuleSymbols,
    SymbolLine,
    by_category,
    file_counts,
    file_name,
    files_summary,
    requirement,
    similarity_note,
    symbol_report,
)
from shared.stagediff.files import unified_diff
from shared.stagediff.report import StageDiff


def code(text: str) -> str:
    """Inline code that survives backticks in ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def escape_inline(text: str) -> str:
    """Plain text that Markdown shows as written: ``__init__.py`` would otherwise be bold."""
    return re.sub(r"([\\`*_\[\]])", r"\\\1", text)


def cell(text: str) -> str:
    """Table cell content: a ``|`` would end the cell."""
    return text.replace("|", "\\|")


def arrows(text: str) -> str:
    """Each side of ``a → b`` as inline code: ``a`` → ``b``."""
    return " → ".join(code(part) for part in text.split(" → "))


def files_section(diff: StageDiff, heading: str, table: bool = True) -> list[str]:
    lines = [f"{heading} Files", "", files_summary(diff) + "."]
    if diff.files.changes and table:
        lines += ["", "| change | file | lines |", "|---|---|---|"]
        for change in diff.files.changes:
            name = cell(arrows(file_name(change))) + similarity_note(change)
            lines.append(f"| {change.status.value} | {name} | {file_counts(change)} |")
    return lines


def moment(entry: SymbolLine) -> str:
    kind = f" ({entry.kind})" if "→" in entry.kind else ""
    detail = f" — {entry.detail}" if entry.detail else ""
    return f"- {arrows(entry.name)}{kind}: {arrows(entry.where)}{detail}"


def module_names(module: ModuleSymbols) -> str:
    """``added: `a`, `b` (signature); removed: `c```: a module's symbols, one line."""
    parts = []
    for category, entries in by_category(module.lines).items():
        names = [code(e.name) + (f" ({e.detail})" if e.detail else "") for e in entries]
        parts.append(f"{category.value}: {', '.join(names)}")
    return "; ".join(parts)


def symbols_section(
    diff: StageDiff, heading: str, collapsible: bool, named: bool = True
) -> list[str]:
    """Moves, renames and extractions one a line (they have a from and a to); the application's
    other changes one line per module (``named``: with their names, folded when the stages are
    far apart; else counted); then the tests, counted per file."""
    lines = [f"{heading} Symbols", ""]
    report = symbol_report(diff)
    if report.empty:
        return [*lines, "No function, class or method changed."]
    for category, entries in by_category(report.moments).items():
        lines += [f"**{category.value.capitalize()}** ({len(entries)})", ""]
        lines += [moment(entry) for entry in entries]
        lines.append("")
    if report.modules:
        lines += ["**Other changes, by module**", ""]
        for module in report.modules:
            if not named:
                lines.append(f"- {code(module.path)} — {module.summary}")
            elif report.distant and collapsible:
                title = escape_inline(f"{module.path} — {module.summary}".replace('"', "'"))
                lines += [f'??? note "{title}"', "", f"    {module_names(module)}", ""]
            else:
                lines.append(f"- {code(module.path)} — {module_names(module)}")
        lines.append("")
    if report.tests:
        lines += ["**Tests**", ""]
        lines += [f"- {code(module.path)} — {module.summary}" for module in report.tests]
        lines.append("")
    return lines[:-1]


def dependencies_section(diff: StageDiff, heading: str) -> list[str]:
    lines = [f"{heading} Dependencies", ""]
    if not diff.dependencies:
        return [*lines, "No dependency added, removed or re-pinned."]
    lines += ["| change | group | requirement |", "|---|---|---|"]
    for change in diff.dependencies:
        lines.append(
            f"| {change.status.value} | {change.group} | {cell(arrows(requirement(change)))} |"
        )
    return lines


def migrations_section(diff: StageDiff, heading: str) -> list[str]:
    lines = [f"{heading} Migrations", ""]
    migrations = diff.migrations
    if not migrations.changes:
        return [*lines, "No migration added or removed."]
    for change in migrations.changes:
        revision = change.revision
        message = f" — {revision.message}" if revision.message else ""
        lines.append(
            f"- {change.status.value} {code(revision.revision)}{message} ({code(revision.path)})"
        )
    if migrations.old_heads != migrations.new_heads:
        old = ", ".join(code(head) for head in migrations.old_heads) or "none"
        new = ", ".join(code(head) for head in migrations.new_heads) or "none"
        lines += ["", f"Head: {old} → {new}."]
    return lines


def fenced(body: list[str], language: str) -> list[str]:
    """A fenced block whose fence is longer than any backtick run inside it."""
    longest = max((len(run) for line in body for run in re.findall(r"`{3,}", line)), default=2)
    fence = "`" * (longest + 1)
    return [f"{fence}{language}", *body, fence]


def diff_section(diff: StageDiff, heading: str, collapsible: bool) -> list[str]:
    lines = [f"{heading} Full diff"]
    for change in diff.files.changes:
        body = unified_diff(change, diff.old_label, diff.new_label)
        counts = file_counts(change)
        title = f"{file_name(change)} ({change.status.value}{', ' + counts if counts else ''})"
        title += similarity_note(change)
        if collapsible:
            title = escape_inline(title.replace('"', "'"))
            lines += ["", f'??? note "{title}"', ""]
            lines += [f"    {line}".rstrip() for line in fenced(body, "diff")]
        else:
            lines += ["", f"{code(file_name(change))} ({change.status.value})", ""]
            lines += fenced(body, "diff")
    return lines


def render_markdown(
    diff: StageDiff,
    *,
    stat: bool = False,
    heading_level: int = 3,
    collapsible: bool = True,
    brief: bool = False,
) -> str:
    """The "Refactoring moments" summary, then the unified diff of every file.

    ``heading_level`` is the level of the section headings (Files, Symbols, …), so the report
    fits under whatever heading the page gives it. ``brief`` is the book's form: the file
    counts without the file table, each module's changes counted rather than named, and no
    diff; the book links the HTML report for the rest (inlined, it made a chapter's section
    longer than the chapter).
    """
    heading = "#" * heading_level
    intro = f"Refactoring moments from {code(diff.old_label)} to {code(diff.new_label)}."
    sections = [[intro], files_section(diff, heading, table=not brief)]
    if not stat:
        sections += [
            symbols_section(diff, heading, collapsible, named=not brief),
            dependencies_section(diff, heading),
            migrations_section(diff, heading),
        ]
        if diff.unparsable:
            skipped = ", ".join(code(path) for path in diff.unparsable)
            sections.append([f"Not parsed (syntax errors): {skipped}."])
        if diff.files.changes and not brief:
            sections.append(diff_section(diff, heading, collapsible))
    return "\n\n".join("\n".join(section) for section in sections) + "\n"


def moment_table(entries: list[SymbolLine]) -> str:
    """The stage diff's own lines for one moment a page describes, as a small table."""
    lines = ["| change | symbol | where | detail |", "|---|---|---|---|"]
    for entry in entries:
        kind = f" ({entry.kind})" if "→" in entry.kind else ""
        lines.append(
            f"| {entry.category.value}{kind} | {cell(arrows(entry.name))} "
            f"| {cell(arrows(entry.where))} | {cell(entry.detail)} |"
        )
    return "\n".join(lines)
