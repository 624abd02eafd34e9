"""The stage diff: the refactoring moments between two stages of the application.

``compare`` reads two stage directories into a :class:`StageDiff` and the ``render_*``
functions draw it::

    from shared.stagediff import compare, render_markdown
    render_markdown(compare(Path("chapters/ch04"), Path("chapters/ch05")))
"""

from __future__ import annotations

from shared.stagediff.files import DEFAULT_SIMILARITY
from shared.stagediff.render_html import render_html
from shared.stagediff.render_markdown import render_markdown
from shared.stagediff.render_text import render_text
from shared.stagediff.report import StageDiff, compare

__all__ = [
    "DEFAULT_SIMILARITY",
    "StageDiff",
    "compare",
    "render_html",
    "render_markdown",
    "render_text",
]
