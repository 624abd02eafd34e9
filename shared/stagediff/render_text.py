"""The terminal report: plain text, with ANSI colour when asked for (the CLI asks on a tty)."""

from __future__ import annotations

from shared.stagediff.describe import (
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

RESET = "\033[0m"
BOLD = "\033[1m"
RED = "\033[31m"
GREEN = "\033[32m"
YELLOW = "\033[33m"
CYAN = "\033[36m"

STATUS_COLOURS = {
    "added": GREEN,
    "removed": RED,
    "changed": YELLOW,
    "edited": YELLOW,
    "re-pinned": YELLOW,
}
# Longer names overflow their column rather than push every other line to the right.
NAME_WIDTH = 36
DIFF_COLOURS = {"+": GREEN, "-": RED, "@": CYAN, "\\": CYAN}


class Painter:
    """Wraps text in ANSI codes, or leaves it alone when colour is off."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def __call__(self, text: str, code: str) -> str:
        return f"{code}{text}{RESET}" if self.colour and code else text

    def status(self, text: str, status: str) -> str:
        # Moves and renames are what this tool is for: they stand out in cyan.
        return self(text, STATUS_COLOURS.get(status, CYAN))

    def heading(self, text: str) -> str:
        return self(text, BOLD)


def files_section(diff: StageDiff, paint: Painter) -> list[str]:
    lines = [paint.heading("Files") + f": {files_summary(diff)}"]
    names = {
        change.path: file_name(change) + similarity_note(change) for change in diff.files.changes
    }
    width = max(map(len, names.values()), default=0)
    for change in diff.files.changes:
        status = paint.status(f"{change.status.value:<8}", change.status.value)
        lines.append(f"  {status} {names[change.path]:<{width}}  {file_counts(change)}".rstrip())
    return lines


def symbol_lines(entries: list[SymbolLine], indent: str, category: bool = False) -> list[str]:
    lines = []
    width = min(max(len(entry.name) for entry in entries), NAME_WIDTH)
    kind_width = max(len(entry.kind) for entry in entries)
    for entry in entries:
        detail = f"  [{entry.detail}]" if entry.detail else ""
        status = f"{entry.category.value:<8}  " if category else ""
        name = f"{entry.name:<{width}}"
        lines.append(f"{indent}{status}{entry.kind:<{kind_width}}  {name}  {entry.where}{detail}")
    return lines


def symbols_section(diff: StageDiff, paint: Painter) -> list[str]:
    """The application's moments by category, its other changes by module (only counted when
    the stages are far apart), then the tests, counted per file."""
    report = symbol_report(diff)
    if report.empty:
        return [paint.heading("Symbols") + ": no function, class or method changed"]
    lines = [paint.heading("Symbols")]
    for category, entries in by_category(report.moments).items():
        lines.append("  " + paint.status(f"{category.value} ({len(entries)})", category.value))
        lines += symbol_lines(entries, "    ")
    for module in report.modules:
        lines.append(f"  {paint.heading(module.path)}: {module.summary}")
        if not report.distant:
            lines += symbol_lines(module.lines, "    ", category=True)
    if report.distant:
        lines.append(
            "  (stages far apart: one line per module; names in --html, or compare neighbours)"
        )
    if report.tests:
        lines += ["", paint.heading("Tests")]
        lines += [f"  {module.path}: {module.summary}" for module in report.tests]
    return lines


def dependencies_section(diff: StageDiff, paint: Painter) -> list[str]:
    if not diff.dependencies:
        return [paint.heading("Dependencies") + ": unchanged"]
    lines = [paint.heading("Dependencies")]
    for change in diff.dependencies:
        status = paint.status(f"{change.status.value:<9}", change.status.value)
        lines.append(f"  {status}  {change.group:<12}  {requirement(change)}")
    return lines


def migrations_section(diff: StageDiff, paint: Painter) -> list[str]:
    migrations = diff.migrations
    if not migrations.changes:
        return [paint.heading("Migrations") + ": none added or removed"]
    lines = [paint.heading("Migrations")]
    for change in migrations.changes:
        revision = change.revision
        status = paint.status(f"{change.status.value:<7}", change.status.value)
        lines.append(f"  {status}  {revision.revision}  {revision.message}  ({revision.path})")
    if migrations.old_heads != migrations.new_heads:
        old = ", ".join(migrations.old_heads) or "none"
        new = ", ".join(migrations.new_heads) or "none"
        lines.append(f"  head: {old} → {new}")
    return lines


def diff_section(diff: StageDiff, paint: Painter) -> list[str]:
    lines = [paint.heading("Diff")]
    for change in diff.files.changes:
        old_name = f"{diff.old_label}/{change.old.path}" if change.old else "/dev/null"
        new_name = f"{diff.new_label}/{change.new.path}" if change.new else "/dev/null"
        lines.append(paint.heading(f"diff {old_name} {new_name}"))
        for line in unified_diff(change, diff.old_label, diff.new_label):
            code = "" if line.startswith(("---", "+++")) else DIFF_COLOURS.get(line[:1], "")
            lines.append(paint(line, code))
    return lines


def render_text(diff: StageDiff, *, colour: bool = False, stat: bool = False) -> str:
    """The report as terminal text; ``stat`` keeps only the file summary."""
    paint = Painter(colour)
    title = paint.heading(f"Stage diff: {diff.old_label} → {diff.new_label}")
    sections = [[title], files_section(diff, paint)]
    if not stat:
        sections += [
            symbols_section(diff, paint),
            dependencies_section(diff, paint),
            migrations_section(diff, paint),
        ]
        if diff.unparsable:
            sections.append(["Not parsed (syntax errors): " + ", ".join(diff.unparsable)])
        if diff.files.changes:
            sections.append(diff_section(diff, paint))
    return "\n\n".join("\n".join(section) for section in sections) + "\n"
