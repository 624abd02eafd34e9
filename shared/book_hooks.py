"""mkdocs hook: every chapter page's Refactoring Moments come from the stage diff.

A chapter page holds the placeholder below under its "Refactoring Moments" heading; at build
time the placeholder becomes the stage diff between the chapter before and this one, so the
book can never drift from the code.
"""

import re
from pathlib import Path

from shared.chapters import REPOSITORY_ROOT
from shared.stagediff import markdown_report

PLACEHOLDER = "<!-- refactoring-moments -->"
CHAPTER_PAGE = re.compile(r"(?:^|/)chapters/ch(\d{2})\.md$")


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
        f"Generated from the code when the book is built; `nox -s diff -- {old.name} {new.name}` "
        "prints the same report in a terminal, and `--format html` as a page of its own."
    )
    return f"{intro}\n\n{markdown_report(old, new, heading_level=3)}"


def on_page_markdown(markdown: str, page, **kwargs) -> str:
    match = CHAPTER_PAGE.search(page.file.src_uri)
    if match is None or PLACEHOLDER not in markdown:
        return markdown
    return markdown.replace(PLACEHOLDER, refactoring_moments(int(match[1])))
