"""What the site-level tests read from the book: its pages' shape, prose and listings.

Every chapter page has the shape issue 17 gives it: an opening figure, focused listings,
*What you learned* and a *Reference* section at the end, in the order of ``SECTIONS``. A side
track's page (``ch12-graph``) is a chapter page too, whose step starts from its own chapter.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

from shared.chapters import REPOSITORY_ROOT, discover_snapshots

SNAPSHOTS = {snapshot.name: snapshot for snapshot in discover_snapshots(REPOSITORY_ROOT)}
CHAPTER_PAGES = tuple(SNAPSHOTS)
"""The pages of the chapters, then of the side tracks."""
WORD_BUDGET = 6000
LISTING_BUDGET = 60

SECTIONS = [
    "Building Blocks",
    "Problem",
    "Pain point",
    "Theory",
    "Solution",
    "Neodyme code",
    "Hands-on",
    "Production Impact",
    "Refactoring Moments",
    "Exercises",
    "What you learned",
    "Reference",
]
"""The sections of a chapter page: it looks back first and ends with the summary and the
reference a reader comes back to."""

WORD = re.compile(r"[\w'’-]+")


class ProseText(HTMLParser):
    """The words a reader reads in an article: no code, no generated Refactoring Moments."""

    SKIPPED = frozenset({"pre", "script", "style", "svg"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.words: list[str] = []
        self.skipping = 0
        self.in_article = False
        self.in_moments = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "article":
            self.in_article = True
        if tag == "h2":
            self.in_moments = attributes.get("id") == "refactoring-moments"
        if tag in self.SKIPPED:
            self.skipping += 1

    def handle_endtag(self, tag):
        if tag in self.SKIPPED and self.skipping:
            self.skipping -= 1
        if tag == "article":
            self.in_article = False

    def handle_data(self, data):
        if self.in_article and not self.skipping and not self.in_moments:
            self.words += WORD.findall(data)


def prose_words(page_html: str) -> int:
    """How many words of prose a built page has (code and the generated diff excluded)."""
    parser = ProseText()
    parser.feed(page_html)
    return len(parser.words)


def headings(page_html: str, level: int = 2) -> list[str]:
    """The text of the page's headings of one level, in order, permalink signs removed."""
    found = re.findall(rf"<h{level}[^>]*>(.*?)</h{level}>", page_html, flags=re.DOTALL)
    return [html.unescape(re.sub(r"<[^>]+>", "", text)).rstrip("¶").strip() for text in found]


def chapter_page(site: Path, chapter: str) -> str:
    return (site / "chapters" / chapter / "index.html").read_text()
