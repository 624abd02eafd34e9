"""The book shows only code that exists: every Python listing is included from a chapter file."""

import re

import pytest
import yaml
from book_pages import SECTIONS
from mkdocs.exceptions import PluginError

from shared.book_hooks import (
    PLACEHOLDER,
    moment_evidence,
    on_page_markdown,
    refactoring_moments,
    report_pairs,
)
from shared.chapters import REPOSITORY_ROOT, discover_tracks

DOCS = REPOSITORY_ROOT / "docs"
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+) *(?P<lang>[\w+-]*)[^\n]*$")
INCLUDE = re.compile(r'^\s*--8<--\s+"(?P<path>[^"]+)"\s*$')


def fenced_blocks(text: str) -> list[tuple[str, list[str]]]:
    """(language, lines) of every fenced code block in a Markdown text."""
    blocks, current, closing = [], None, None
    for line in text.splitlines():
        if current is None:
            match = FENCE.match(line)
            if match:
                current, closing = (match["lang"].lower(), []), match["fence"]
        elif line.strip() == closing:
            blocks.append(current)
            current = None
        else:
            current[1].append(line)
    return blocks


def pages() -> list:
    return sorted(DOCS.rglob("*.md"))


def test_fenced_blocks_finds_language_and_body():
    text = "intro\n```python\nprint(1)\n```\n\n~~~bash\nls\n~~~\n"

    assert fenced_blocks(text) == [("python", ["print(1)"]), ("bash", ["ls"])]


@pytest.mark.parametrize("page", pages(), ids=lambda page: str(page.relative_to(DOCS)))
def test_python_listings_are_includes_of_real_files(page):
    pasted = [
        body
        for language, body in fenced_blocks(page.read_text())
        if language in {"python", "py", "toml", "ini", "mako"}
        and not all(INCLUDE.match(line) for line in body if line.strip())
    ]

    assert pasted == [], f"{page.name} pastes code instead of including it"


@pytest.mark.parametrize("page", pages(), ids=lambda page: str(page.relative_to(DOCS)))
def test_included_files_exist(page):
    for _, body in fenced_blocks(page.read_text()):
        for line in body:
            if match := INCLUDE.match(line):
                path = match["path"].split(":")[0]
                assert (REPOSITORY_ROOT / path).is_file(), f"{page.name} includes missing {path}"


def test_every_chapter_and_side_track_has_a_page_in_the_books_shape(snapshot):
    page = DOCS / "chapters" / f"{snapshot.name}.md"
    headings = re.findall(r"^## (.+?)\s*$", page.read_text(), flags=re.MULTILINE)
    assert [heading for heading in headings if heading in SECTIONS] == SECTIONS


def test_every_chapter_page_is_in_the_navigation(chapters):
    config = yaml.load((REPOSITORY_ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    in_nav = re.findall(r"chapters/(ch\d\d)\.md", str(config["nav"]))

    assert in_nav == [chapter.name for chapter in chapters]


def test_a_side_track_is_in_the_navigation_after_the_chapters_without_a_number(chapters):
    config = yaml.load((REPOSITORY_ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    [section] = [entry["Chapters"] for entry in config["nav"] if "Chapters" in entry]
    pages = [(title, page) for entry in section for title, page in entry.items()]
    tracks = [(title, page) for title, page in pages if re.search(r"ch\d\d-[a-z]+\.md$", page)]

    assert [page for _, page in pages[: len(chapters)]] == [
        f"chapters/{chapter.name}.md" for chapter in chapters
    ]
    assert [page for _, page in tracks] == [
        f"chapters/{track.name}.md" for track in discover_tracks()
    ]
    assert all(title.startswith("Side track: ") for title, _ in tracks)
    assert not any(re.match(r"\d", title) for title, _ in tracks)


def test_snippets_refuse_missing_files():
    config = yaml.load((REPOSITORY_ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    extensions = {
        name: options
        for entry in config["markdown_extensions"]
        for name, options in (entry.items() if isinstance(entry, dict) else [(entry, {})])
    }

    assert config["strict"] == "true"
    assert extensions["pymdownx.snippets"]["check_paths"] == "true"


def test_every_chapter_page_has_generated_refactoring_moments(snapshot):
    page = (DOCS / "chapters" / f"{snapshot.name}.md").read_text()

    assert PLACEHOLDER in page


def test_refactoring_moments_are_the_stage_diff_of_the_chapter_before():
    moments = refactoring_moments("ch05")

    assert "nox -s diff -- ch04 ch05" in moments
    assert "UserRepository" in moments
    assert "neodyme/repositories/user.py" in moments


def test_refactoring_moments_link_the_full_diff_instead_of_inlining_it():
    moments = refactoring_moments("ch07")

    assert "[the full stage diff](../diffs/ch06-ch07.html)" in moments
    assert "Full diff" not in moments
    assert "```diff" not in moments


def test_a_full_report_is_built_for_each_neighbouring_pair_and_for_the_whole_way():
    pairs = [(old.name, new.name) for old, new in report_pairs()]

    assert pairs[:2] == [("ch01", "ch02"), ("ch02", "ch03")]
    assert pairs[10:12] == [("ch11", "ch12"), ("ch01", "ch12")]
    assert pairs[12:] == [(track.base, track.name) for track in discover_tracks()]


def test_a_side_tracks_moments_are_the_stage_diff_from_the_chapter_it_starts_from():
    moments = refactoring_moments("ch12-graph")

    assert "nox -s diff -- ch12 ch12-graph" in moments
    assert "[the full stage diff](../diffs/ch12-ch12-graph.html)" in moments


def test_a_side_tracks_page_is_read_as_a_chapter_page_by_the_hook():
    class Page:
        class file:
            src_uri = "chapters/ch12-graph.md"

    markdown = on_page_markdown(f"# Title\n\n{PLACEHOLDER}\n", Page)

    assert "nox -s diff -- ch12 ch12-graph" in markdown


def test_a_moment_a_side_track_does_not_report_names_its_own_stage_diff():
    with pytest.raises(PluginError, match="nox -s diff -- ch12 ch12-graph"):
        moment_evidence("ch12-graph", "a_function_no_chapter_has")


def test_a_moment_the_page_tells_shows_the_stage_diffs_own_line_for_it():
    evidence = moment_evidence("ch05", "commit_or_409 -> UserRepository._commit")

    assert "renamed and changed (function → method)" in evidence
    assert "`neodyme/routes/users.py` → `neodyme/repositories/user.py`" in evidence


def test_a_moment_can_be_a_change_in_the_tests():
    evidence = moment_evidence("ch09", "todo_payload")

    assert "`tests/test_todos.py (add_todo)` → `tests/factories.py`" in evidence


def test_a_moment_the_stage_diff_does_not_report_stops_the_build():
    with pytest.raises(PluginError, match="nox -s diff -- ch04 ch05"):
        moment_evidence("ch05", "a_function_no_chapter_has")


def test_the_first_chapter_has_nothing_to_compare_with():
    assert "first stage" in refactoring_moments("ch01")
