"""The stage diff: the refactoring moments between two stages of the application.

``compare`` reads two stage directories into a :class:`StageDiff` and the ``render_*``
functions draw it; ``markdown_report`` does both in one call, for the book's build::

    from shared.stagediff import markdown_report
    markdown_report(Path("chapters/ch04"), Path("chapters/ch05"))
"""

from __future__ import annotations

from pathlib import Path

from shared.stagediff.files import DEFAULT_SIMILARITY
from shared.stagediff.render_html import render_html
from shared.stagediff.render_markdown import render_markdown
from shared.stagediff.render_text import render_text
from shared.stagediff.report import StageDiff, compare

__all__ = [
    "DEFAULT_SIMILARITY",
    "StageDiff",
    "compare",
    "markdown_report",
    "render_html",
    "render_markdown",
    "render_text",
]


def markdown_report(
    old: Path,
    new: Path,
    *,
    heading_level: int = 3,
    collapsible: bool = True,
    brief: bool = False,
) -> str:
    """The Markdown "Refactoring moments" of ``old`` → ``new`` (see :func:`render_markdown`)."""
    return render_markdown(
        compare(old, new),
        heading_level=heading_level,
        collapsible=collapsible,
        brief=brief,
    )
