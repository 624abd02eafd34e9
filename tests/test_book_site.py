"""The built book, page by page: the shape issue 17 gives a chapter page, checked on the site.

The book is built once (the ``book_site`` fixture) and read as a reader's browser gets it: every
chapter page (``book_pages.CHAPTER_PAGES``), every figure the book has; each chapter's download
is checked in ``test_book_downloads.py``.
"""

import re

import pytest
from book_browser import pages_as_rendered, require_program
from book_pages import (
    CHAPTER_PAGES,
    LISTING_BUDGET,
    SNAPSHOTS,
    WORD_BUDGET,
    chapter_page,
    headings,
    prose_words,
)

FIGURE_IMAGE = re.compile(r'<figure[^>]*>\s*<img[^>]+src="(?P<src>[^"]*figures/[^"]+)"')
LISTING = re.compile(
    r'<div class="language-(?P<language>[\w-]+) highlight">(?:<span class="filename">'
    r"(?P<title>[^<]*)</span>)?<pre>(?P<body>.*?)</pre>",
    flags=re.DOTALL,
)
SOURCE_LANGUAGES = {"python", "toml", "ini", "mako", "yaml", "dockerfile", "nginx"}


def every_chapter_page(test):
    return pytest.mark.parametrize("name", CHAPTER_PAGES)(test)


def without_collapsed_blocks(page_html: str) -> str:
    """The page without its ``<details>`` blocks: the whole files a reader opens on demand."""
    return re.sub(r"<details.*?</details>", "", page_html, flags=re.DOTALL)


def listings(page_html: str) -> list[tuple[str, str, int]]:
    """(language, title, line count) of every source listing the page shows open."""
    return [
        (m["language"], m["title"] or "", m["body"].count('<span id="__span-'))
        for m in LISTING.finditer(without_collapsed_blocks(page_html))
        if m["language"] in SOURCE_LANGUAGES
    ]


def pages_with_figures(site) -> list[str]:
    return sorted(
        str(page.parent.relative_to(site)) + "/"
        for page in site.rglob("index.html")
        if FIGURE_IMAGE.search(page.read_text())
    )


@pytest.fixture(scope="module")
def desktop(book_site):
    """Every page with a figure, and every chapter page, at 1280 pixels."""
    require_program("chromium", "chromium", "the book is checked in a real browser")
    pages = sorted({*pages_with_figures(book_site), *(f"chapters/{c}/" for c in CHAPTER_PAGES)})
    return pages_as_rendered(book_site, pages, width=1280)


@pytest.fixture(scope="module")
def phone(book_site):
    """The chapter pages at 390 pixels, a phone held upright."""
    require_program("chromium", "chromium", "the book is checked in a real browser")
    return pages_as_rendered(book_site, [f"chapters/{c}/" for c in CHAPTER_PAGES], width=390)


# --- page shape -------------------------------------------------------------------------------


@every_chapter_page
def test_the_page_opens_with_a_figure_before_its_first_section(book_site, name):
    page = chapter_page(book_site, name)

    figure = FIGURE_IMAGE.search(page)
    assert figure, f"{name} has no figure"
    assert figure.start() < page.index("<h2"), f"{name} does not open with its figure"


@every_chapter_page
def test_the_page_ends_with_what_you_learned_and_a_reference_table(book_site, name):
    page = chapter_page(book_site, name)

    assert headings(page)[-2:] == ["What you learned", "Reference"]
    reference = page[page.index('id="reference"') :]
    rows = re.findall(r"<tr>", reference[: reference.index("</table>")])
    assert len(rows) >= 6, f"{name}'s Reference table has {len(rows) - 1} rows"


@every_chapter_page
def test_building_blocks_look_back_at_earlier_chapters(book_site, name):
    page = chapter_page(book_site, name)
    start = page.index('id="building-blocks"')
    block = page[start : page.index("<h2", start + 1)]
    snapshot = SNAPSHOTS[name]
    # A side track stands on its own chapter too; a chapter, on the ones before it only.
    last = snapshot.number if snapshot.track else snapshot.number - 1

    linked = {int(n) for n in re.findall(r'href="\.\./ch(\d\d)/', block)}
    if snapshot.number == 1:
        assert "first chapter" in block
    else:
        assert linked, f"{name}'s Building Blocks link no earlier chapter"
        assert all(n <= last for n in linked), f"{name}'s Building Blocks look forward"


@every_chapter_page
def test_the_page_fits_the_word_budget(book_site, name):
    words = prose_words(chapter_page(book_site, name))

    assert words <= WORD_BUDGET, f"{name}: {words} words of prose"


@every_chapter_page
def test_no_listing_shown_open_is_longer_than_the_budget(book_site, name):
    long = [
        (title, lines)
        for _, title, lines in listings(chapter_page(book_site, name))
        if lines > LISTING_BUDGET
    ]

    assert long == [], f"{name} shows whole files instead of the part the prose discusses"


@every_chapter_page
def test_a_focused_listing_has_its_whole_file_one_click_away(book_site, name):
    page = chapter_page(book_site, name)
    focused = set(re.findall(r'<span class="filename">([^<,]+), lines? [^<]*</span>', page))
    collapsed = set(re.findall(r"The whole file: <code>([^<]+)</code> \(\d+ lines\)", page))

    assert focused <= collapsed


# --- in a browser -----------------------------------------------------------------------------


def test_every_figure_renders_with_its_caption(book_site, desktop):
    pages = pages_with_figures(book_site)
    assert "appendix-a/" in pages
    assert {f"chapters/{name}/" for name in CHAPTER_PAGES} <= set(pages)

    for page in pages:
        figures = desktop[page]["figures"]
        assert figures, f"{page}: no figure rendered"
        for figure in figures:
            where = f"{page} {figure['src']}"
            assert min(figure["natural"]) > 0, f"{where}: the image did not load"
            assert min(figure["shown"]) > 50, f"{where}: shown at {figure['shown']}"
            assert figure["shapes"] >= 3 and figure["labels"] >= 1, f"{where}: draws nothing"
            assert figure["alt"].strip(), f"{where}: no alternative text"
            assert figure["caption"].strip().startswith("Figure"), f"{where}: no caption"


@every_chapter_page
def test_listings_fit_the_reading_column_on_a_desktop(desktop, name):
    page = desktop[f"chapters/{name}/"]

    assert page["codes"] > 5
    assert page["overflowing"] == []


@every_chapter_page
def test_on_a_phone_the_copy_button_covers_no_first_line(phone, name):
    page = phone[f"chapters/{name}/"]

    assert page["buttons"] > 5  # the theme's scripts ran and added them
    assert page["covered"] == []


def test_on_a_phone_terminal_output_wraps_instead_of_running_off_screen(phone):
    page = phone["chapters/ch01/"]

    listings_overflowing = page["overflowing"]
    assert not any(line.startswith("$ curl") for line in listings_overflowing)


MOMENTS_WORD_BUDGET = 1500


@pytest.mark.parametrize("name", CHAPTER_PAGES[1:])
def test_refactoring_moments_name_the_moments_and_link_the_full_diff(book_site, name):
    """The section is the summary a reader can take in; every changed line is one click away."""
    page = chapter_page(book_site, name)
    section = re.search(r'<h2 id="refactoring-moments".*?(?=<h2 id=)', page, flags=re.DOTALL)
    previous = SNAPSHOTS[name].base
    report = book_site / "diffs" / f"{previous}-{name}.html"

    assert f'href="../../diffs/{previous}-{name}.html"' in section[0]
    assert len(re.findall(r"[\w'’-]+", re.sub(r"<[^>]+>", " ", section[0]))) <= MOMENTS_WORD_BUDGET
    assert f"Stage diff: <code>{previous}</code>" in report.read_text()
