"""mkdocs hook: every chapter page's Refactoring Moments come from the stage diff.

A chapter page holds the placeholder below under its "Refactoring Moments" heading; at build
time the placeholder becomes the stage diff between the chapter before and this one, so the
book can never drift from the code. The section names what moved, changed and was extracted;
the diff of every line is the tool's HTML report, which the build writes as a page of its own
(``diffs/chNN-chMM.html``, one per pair of neighbouring chapters, and the whole way from the
first chapter to the last) and the section links.
"""

import functools
import re
from itertools import pairwise
from pathlib import Path

from mkdocs.structure.files import File, Files

from shared.chapters import REPOSITORY_ROOT, discover_chapters
from shared.stagediff import StageDiff, compare, render_html, render_markdown

PLACEHOLDER = "<!-- refactoring-moments -->"
CHAPTER_PAGE = re.compile(r"(?:^|/)chapters/ch(\d{2})\.md$")
DIFFS = "diffs"


def report_uri(old: str, new: str) -> str:
    """Where the full stage diff of ``old`` → ``new`` is in the site."""
    return f"{DIFFS}/{old}-{new}.html"


@functools.cache
def stage_diff(old: Path, new: Path) -> StageDiff:
    """Each pair is compared once per build: its page section and its report share it."""
    return compare(old, new)


def refactoring_moments(number: int, root: Path = REPOSITORY_ROOT) -> str:
    """The Markdown for chapter ``number``'s Refactoring Moments section."""
    if number == 1:
        return (
            "This is the first stage: there is nothing before it to compare with. From chapter 2 "
            "on, this section is generated from the code by the stage diff, when the book is built."
        )
    old = root / "chapters" / f"ch{number - 1:02d}"
    new = root / "chapters" / f"ch{number:02d}"
    intro = (
        f"Generated from the code when the book is built. Every changed line is in "
        f"[the full stage diff]({'../' + report_uri(old.name, new.name)}), file by file; "
        f"`nox -s diff -- {old.name} {new.name}` prints the same report in a terminal."
    )
    report = render_markdown(stage_diff(old, new), heading_level=3, full_diff=False)
    return f"{intro}\n\n{report}"


def report_pairs(root: Path = REPOSITORY_ROOT) -> list[tuple[Path, Path]]:
    """Every pair of neighbouring chapters, and the first chapter with the last."""
    chapters = [chapter.path for chapter in discover_chapters(root)]
    return [*pairwise(chapters), (chapters[0], chapters[-1])]


def on_files(files: Files, config, **kwargs) -> Files:
    """Add the HTML report of every pair in ``report_pairs`` to the site."""
    for old, new in report_pairs():
        report = render_html(stage_diff(old, new))
        files.append(File.generated(config, report_uri(old.name, new.name), content=report))
    return files


def on_page_markdown(markdown: str, page, **kwargs) -> str:
    match = CHAPTER_PAGE.search(page.file.src_uri)
    if match is None or PLACEHOLDER not in markdown:
        return markdown
    return markdown.replace(PLACEHOLDER, refactoring_moments(int(match[1])))
