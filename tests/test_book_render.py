"""The built book renders in a real browser: pages with their navigation and their code.

The book is built strictly into a temporary folder, then headless Chromium (Debian's package,
which ``.ci/run`` installs) loads the home page and a chapter page, runs the theme's scripts,
and hands back the resulting DOM and a screenshot. Screenshots are kept in ``site/screenshots``
(ignored by git) as evidence of what a reader sees.
"""

import re
import shutil
import subprocess

import pytest

from shared.chapters import REPOSITORY_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = REPOSITORY_ROOT / "site" / "screenshots"
CHAPTER_LINK = re.compile(r'href="[^"]*chapters/ch(\d\d)/"')


@pytest.fixture(scope="module")
def site(book_site):
    return book_site


def chromium(*arguments: str) -> str:
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *arguments],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    return result.stdout


def render(page, screenshot_name: str) -> str:
    """The page's DOM after its scripts ran; a screenshot of its top saved on the way."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    url = page.as_uri()
    chromium("--window-size=1280,1600", f"--screenshot={SCREENSHOTS / screenshot_name}", url)
    assert (SCREENSHOTS / screenshot_name).stat().st_size > 10_000
    return chromium("--virtual-time-budget=5000", "--dump-dom", url)


def test_the_home_page_renders_with_the_books_navigation(site, chapters):
    dom = render(site / "index.html", "home.png")

    assert 'class="md-nav' in dom
    linked = set(CHAPTER_LINK.findall(dom))
    assert {f"{chapter.number:02d}" for chapter in chapters if chapter.number <= 10} <= linked
    assert "The learning journey" in dom
    assert '<code class="language-bash"' in dom or 'class="language-bash' in dom


def test_a_chapter_page_renders_its_code_and_its_sections(site):
    dom = render(site / "chapters" / "ch07" / "index.html", "ch07.png")

    code_blocks = re.findall(r'<div class="[^"]*highlight', dom)
    assert len(code_blocks) > 20
    assert "class PasswordHasher" in re.sub(r"<[^>]+>", "", dom)  # an included listing, rendered
    assert 'id="hands-on"' in dom
    assert 'class="md-nav' in dom
    assert 'class="js-focus-visible js"' in dom  # the theme's scripts ran
