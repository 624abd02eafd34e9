"""One self-contained HTML page: summary on top, then every file side by side.

Everything the page needs is inside it: the stylesheet (Pygments' classes included) is embedded,
there is no script, and nothing is loaded from anywhere, so the file can be mailed to a class or
opened on a machine with no network.
"""

from __future__ import annotations

from functools import cache
from html import escape

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_for_filename
from pygments.util import ClassNotFound

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
from shared.stagediff.files import CONTEXT_LINES, FileChange, FileStatus, hunk_header
from shared.stagediff.report import StageDiff
from shared.stagediff.symbols import is_test_path

PYGMENTS_STYLE = "default"
PAGE_STYLE = """
:root { color-scheme: light; --border: #d0d7de; --muted: #57606a; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328;
       margin: 0 auto; padding: 1rem 2rem 4rem; max-width: 1600px; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h1 code { font-size: inherit; }
h2 { font-size: 1.25rem; border-bottom: 1px solid var(--border); padding-bottom: .2rem;
     margin-top: 2rem; }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; }
code, .code, .numbers { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
       font-size: 13px; }
p.summary { color: var(--muted); margin-top: 0; }
table.list { border-collapse: collapse; }
table.list td, table.list th { padding: .15rem .8rem .15rem 0; text-align: left;
       vertical-align: top; }
.status { font-weight: 600; white-space: nowrap; }
.status-added, .status-re-pinned { color: #1a7f37; }
.status-removed { color: #cf222e; }
.status-changed, .status-edited { color: #9a6700; }
.status-moved, .status-moved-and-changed, .status-renamed { color: #0969da; }
.detail, .counts { color: var(--muted); white-space: nowrap; }
details.file { border: 1px solid var(--border); border-radius: 6px; margin: 1rem 0; }
details.file > summary { cursor: pointer; padding: .4rem .8rem; background: #f6f8fa;
       border-bottom: 1px solid var(--border); font-weight: 600; }
details.file > p { margin: .6rem .8rem; color: var(--muted); }
details.module > summary { cursor: pointer; margin: .2rem 0; }
details.module > table { margin: 0 0 .5rem 1.2rem; }
table.sxs { width: 100%; border-collapse: collapse; table-layout: fixed; }
table.sxs col.numbers { width: 3.5em; }
table.sxs td { padding: 0 .4rem; vertical-align: top; }
table.sxs td.numbers { color: var(--muted); text-align: right; user-select: none; }
table.sxs td.code { white-space: pre-wrap; overflow-wrap: anywhere; }
table.sxs td.removed { background: #ffebe9; }
table.sxs td.removed.numbers { background: #ffd7d5; }
table.sxs td.added { background: #e6ffec; }
table.sxs td.added.numbers { background: #ccffd8; }
table.sxs td.empty { background: #f6f8fa; }
table.sxs tr.hunk td { background: #ddf4ff; color: var(--muted); padding: .1rem .6rem; }
"""


@cache
def lexer_for(path: str) -> Lexer:
    # stripnl would drop leading blank lines and shift every line number after them.
    try:
        return get_lexer_for_filename(path, stripnl=False)
    except ClassNotFound:
        return TextLexer(stripnl=False)


def highlighted_lines(path: str, lines: list[str]) -> list[str]:
    """Each line as HTML with Pygments' spans, closed on the line they open on."""
    if not lines:
        return []
    source = "".join(line.rstrip("\r\n") + "\n" for line in lines)
    html = highlight(source, lexer_for(path), HtmlFormatter(nowrap=True))
    return html.split("\n")[: len(lines)]


def status_cell(status: str, tag: str = "td") -> str:
    css = "status-" + status.replace(" ", "-")
    return f'<{tag} class="status {css}">{escape(status)}</{tag}>'


def shown(change: FileChange, distant: bool) -> bool:
    """Whether the page shows the file side by side. Far-apart stages show only the
    application's changed files: a whole new file or test says little side by side, and all of
    them made ch01 → ch12 a 2.5 MB page."""
    if not distant:
        return True
    return change.status in (FileStatus.CHANGED, FileStatus.RENAMED) and not is_test_path(
        change.path
    )


def files_section(diff: StageDiff, distant: bool) -> list[str]:
    parts = [
        '<section id="files">',
        "<h2>Files</h2>",
        f'<p class="summary">{files_summary(diff)}</p>',
    ]
    if diff.files.changes:
        parts.append('<table class="list">')
        for index, change in enumerate(diff.files.changes):
            name = f"<code>{escape(file_name(change))}</code>"
            if shown(change, distant):
                name = f'<a href="#file-{index}">{name}</a>'
            parts.append(
                f"<tr>{status_cell(change.status.value)}"
                f"<td>{name}{escape(similarity_note(change))}</td>"
                f'<td class="counts">{escape(file_counts(change))}</td></tr>'
            )
        parts.append("</table>")
    parts.append("</section>")
    return parts


def symbol_rows(entries: list[SymbolLine], category: bool = False) -> list[str]:
    rows = ['<table class="list">']
    for entry in entries:
        status = status_cell(entry.category.value) if category else ""
        rows.append(
            f"<tr>{status}<td><code>{escape(entry.name)}</code></td>"
            f'<td class="detail">{escape(entry.kind)}</td>'
            f"<td><code>{escape(entry.where)}</code></td>"
            f'<td class="detail">{escape(entry.detail)}</td></tr>'
        )
    rows.append("</table>")
    return rows


def module_details(module: ModuleSymbols, folded: bool) -> list[str]:
    """One module: its counts as the summary, its symbols inside."""
    return [
        f'<details class="module"{"" if folded else " open"}>',
        f"<summary><code>{escape(module.path)}</code> "
        f'<span class="counts">{escape(module.summary)}</span></summary>',
        *symbol_rows(module.lines, category=True),
        "</details>",
    ]


def symbols_section(diff: StageDiff) -> list[str]:
    """The application's moments by category, its other changes by module (folded when the
    stages are far apart), then the tests per file, always folded."""
    parts = ['<section id="symbols">', "<h2>Symbols</h2>"]
    report = symbol_report(diff)
    if report.empty:
        parts.append("<p>No function, class or method changed.</p>")
    for category, entries in by_category(report.moments).items():
        css = "status-" + category.value.replace(" ", "-")
        title = f"{category.value.capitalize()} ({len(entries)})"
        parts += [f'<h3 class="{css}">{escape(title)}</h3>', *symbol_rows(entries)]
    if report.modules:
        parts.append("<h3>Other changes, by module</h3>")
        for module in report.modules:
            parts += module_details(module, folded=report.distant)
    if report.tests:
        parts.append('<h3 id="tests">Tests</h3>')
        for module in report.tests:
            parts += module_details(module, folded=True)
    parts.append("</section>")
    return parts


def dependencies_section(diff: StageDiff) -> list[str]:
    parts = ['<section id="dependencies">', "<h2>Dependencies</h2>"]
    if not diff.dependencies:
        parts.append("<p>No dependency added, removed or re-pinned.</p>")
    else:
        parts.append('<table class="list">')
        for change in diff.dependencies:
            parts.append(
                f"<tr>{status_cell(change.status.value)}<td>{escape(change.group)}</td>"
                f"<td><code>{escape(requirement(change))}</code></td></tr>"
            )
        parts.append("</table>")
    parts.append("</section>")
    return parts


def migrations_section(diff: StageDiff) -> list[str]:
    migrations = diff.migrations
    parts = ['<section id="migrations">', "<h2>Migrations</h2>"]
    if not migrations.changes:
        parts.append("<p>No migration added or removed.</p>")
    else:
        parts.append('<table class="list">')
        for change in migrations.changes:
            revision = change.revision
            parts.append(
                f"<tr>{status_cell(change.status.value)}"
                f"<td><code>{escape(revision.revision)}</code></td>"
                f"<td>{escape(revision.message)}</td>"
                f"<td><code>{escape(revision.path)}</code></td></tr>"
            )
        parts.append("</table>")
    if migrations.old_heads != migrations.new_heads:
        old = ", ".join(migrations.old_heads) or "none"
        new = ", ".join(migrations.new_heads) or "none"
        parts.append(f"<p>Head: <code>{escape(old)}</code> → <code>{escape(new)}</code></p>")
    parts.append("</section>")
    return parts


def side(number: int | None, html: str | None, css: str) -> str:
    """The two cells of one side of a row: line number and code, or an empty pair."""
    if number is None or html is None:
        return '<td class="numbers empty"></td><td class="code empty"></td>'
    return f'<td class="numbers {css}">{number}</td><td class="code {css}">{html}</td>'


def side_by_side(change: FileChange) -> list[str]:
    old = highlighted_lines(change.old.path, change.old_lines) if change.old else []
    new = highlighted_lines(change.new.path, change.new_lines) if change.new else []
    rows = [
        '<table class="sxs"><colgroup><col class="numbers"><col><col class="numbers"><col>'
        "</colgroup>"
    ]
    for group in change.groups(CONTEXT_LINES):
        rows.append(f'<tr class="hunk"><td colspan="4">{escape(hunk_header(group))}</td></tr>')
        for tag, i1, i2, j1, j2 in group:
            for offset in range(max(i2 - i1, j2 - j1)):
                i, j = i1 + offset, j1 + offset
                left = (i + 1, old[i]) if i < i2 else (None, None)
                right = (j + 1, new[j]) if j < j2 else (None, None)
                if tag == "equal":
                    rows.append(f"<tr>{side(*left, '')}{side(*right, '')}</tr>")
                else:
                    rows.append(f"<tr>{side(*left, 'removed')}{side(*right, 'added')}</tr>")
    rows.append("</table>")
    return rows


def file_section(change: FileChange, index: int, folded: bool) -> list[str]:
    counts = file_counts(change)
    title = f"{file_name(change)}{similarity_note(change)}"
    summary = f"{escape(title)} <span class='counts'>{change.status.value} {escape(counts)}</span>"
    opened = "" if folded else " open"
    parts = [f'<details class="file" id="file-{index}"{opened}>', f"<summary>{summary}</summary>"]
    if change.binary:
        parts.append("<p>Binary file: not shown.</p>")
    elif not change.groups(CONTEXT_LINES):
        empty = change.status in (FileStatus.ADDED, FileStatus.REMOVED)
        parts.append("<p>Empty file.</p>" if empty else "<p>Content unchanged.</p>")
    else:
        parts += side_by_side(change)
    parts.append("</details>")
    return parts


def render_html(diff: StageDiff, *, stat: bool = False) -> str:
    """The whole page; ``stat`` keeps only the file list."""
    title = f"Stage diff: {diff.old_label} → {diff.new_label}"
    pygments_css = HtmlFormatter(style=PYGMENTS_STYLE).get_style_defs(".code")
    distant = symbol_report(diff).distant
    body = [
        f"<h1>Stage diff: <code>{escape(diff.old_label)}</code> → "
        f"<code>{escape(diff.new_label)}</code></h1>",
        '<p class="summary">Refactoring moments: what moved, what changed, what is new.</p>',
        *files_section(diff, distant),
    ]
    if not stat:
        body += symbols_section(diff) + dependencies_section(diff) + migrations_section(diff)
        if diff.unparsable:
            body.append(f"<p>Not parsed (syntax errors): {escape(', '.join(diff.unparsable))}</p>")
        if diff.files.changes:
            body += ['<section id="diffs">', "<h2>Changes side by side</h2>"]
            if distant:
                body.append(
                    '<p class="summary">The stages are far apart: only the application\'s '
                    "changed files are shown; new and removed files and the tests are listed "
                    "above. Compare neighbouring stages to see them.</p>"
                )
            for index, change in enumerate(diff.files.changes):
                if shown(change, distant):
                    folded = distant or is_test_path(change.path)
                    body += file_section(change, index, folded)
            body.append("</section>")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title>",
            f"<style>{PAGE_STYLE}{pygments_css}\n</style>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )
