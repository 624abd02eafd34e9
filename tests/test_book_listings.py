"""Focused listings: one part of a real file, found by name, highlighted and annotated by text."""

import textwrap

import pytest
from conftest import write

from shared.book_listings import ListingError, excerpt, focus_listings

MODULE = textwrap.dedent(
    '''\
    """A module."""

    import os

    LIMIT = 100
    """At most this many."""


    # Read once, at import.
    @decorated
    def first(value):
        return value + 1


    def second():
        return os.environ["X"]


    class Service:
        """A service."""

        def run(self):
            total = first(1)
            return total

        def stop(self):
            pass
    '''
)
INI = "[alembic]\nscript_location = alembic\n\n[loggers]\nkeys = root\n"


@pytest.fixture
def root(tmp_path):
    return write(tmp_path, {"app/module.py": MODULE, "app/alembic.ini": INI})


def page(fence_options: str, names: str, after: str = "") -> str:
    return f'Text.\n\n```python {fence_options}\n--8<-- "app/module.py::{names}"\n```\n{after}'


def test_a_function_comes_with_its_decorator_and_the_comment_above(root):
    part = excerpt("app/module.py", "first", root)

    assert part.lines == [
        "# Read once, at import.",
        "@decorated",
        "def first(value):",
        "    return value + 1",
    ]
    assert part.ranges == [(9, 12)]
    assert part.where() == "lines 9–12 of 27"


def test_a_method_is_named_through_its_class_and_shown_dedented(root):
    part = excerpt("app/module.py", "Service.run", root)

    assert part.lines == ["def run(self):", "    total = first(1)", "    return total"]


def test_an_assignment_at_module_level_can_be_named(root):
    part = excerpt("app/module.py", "LIMIT", root)

    assert part.lines == ["LIMIT = 100", '"""At most this many."""']


def test_two_parts_apart_are_one_listing_with_the_gap_shown(root):
    part = excerpt("app/module.py", "LIMIT,second", root)

    assert part.lines[:2] == ["LIMIT = 100", '"""At most this many."""']
    assert "# ..." in part.lines
    assert part.lines[-1] == '    return os.environ["X"]'
    assert part.where() == "lines 5–6, 15–16 of 27"


def test_neighbours_make_one_range(root):
    part = excerpt("app/module.py", "Service.run,Service.stop", root)

    assert part.ranges == [(22, 27)]
    assert part.lines[-1] == "    pass"


def test_an_ini_section_runs_to_the_next_header(root):
    part = excerpt("app/alembic.ini", "[alembic]", root)

    assert part.lines == ["[alembic]", "script_location = alembic"]


def test_a_name_the_file_does_not_have_stops_the_build(root):
    with pytest.raises(ListingError, match=r"has no 'Service\.start'"):
        excerpt("app/module.py", "Service.start", root)
    with pytest.raises(ListingError, match="does not exist"):
        excerpt("app/missing.py", "first", root)


def test_the_listing_gets_the_lines_a_title_and_the_whole_file_below(root):
    markdown = focus_listings(page("", "second"), root=root)

    assert '```python title="app/module.py, lines 15–16 of 27"' in markdown
    assert "def second():\n    return os.environ" in markdown
    assert '??? quote "The whole file: `app/module.py` (27 lines)"' in markdown
    assert '    --8<-- "app/module.py"' in markdown
    assert "::second" not in markdown


def test_several_parts_of_one_file_get_the_whole_file_once_under_the_last(root):
    markdown = focus_listings(page("", "first") + page("", "second"), root=root)

    assert markdown.count("??? quote") == 1
    assert markdown.index("def second") < markdown.index("??? quote")


def test_highlights_are_found_by_their_text(root):
    markdown = focus_listings(page('hl="return total; total = "', "Service.run"), root=root)

    assert '```python hl_lines="2 3"' in markdown


def test_a_highlight_the_code_no_longer_has_stops_the_build(root):
    with pytest.raises(ListingError, match="no line of the listing contains 'gone'"):
        focus_listings(page('hl="gone"', "Service.run"), root=root)


def test_line_numbers_are_refused_because_they_drift(root):
    with pytest.raises(ListingError, match="not hl_lines"):
        focus_listings(page('hl_lines="2"', "Service.run"), root=root)


def test_annotations_mark_their_lines_and_keep_their_list_under_the_listing(root):
    after = "\n1. Why one.\n2. Why the total.\n\nMore text.\n"
    markdown = focus_listings(page('annotate="first(1); return"', "Service.run", after), root=root)

    assert "    total = first(1)  # (1)!\n    return total  # (2)!" in markdown
    listing_end = markdown.index("2. Why the total.")
    assert listing_end < markdown.index("??? quote") < markdown.index("More text.")


def test_a_listing_inside_a_tab_keeps_its_indent(root):
    markdown = '=== "Tab"\n\n    ```python\n    --8<-- "app/module.py::second"\n    ```\n'

    focused = focus_listings(markdown, root=root)

    assert "\n    def second():\n        return os.environ" in focused
    assert '\n    ??? quote "The whole file' in focused


def test_a_whole_file_can_be_annotated_too_and_has_nothing_collapsed_under_it(root):
    markdown = '```ini annotate="script_location"\n--8<-- "app/alembic.ini"\n```\n\n1. Why.\n'

    focused = focus_listings(markdown, root=root)

    assert '```ini title="app/alembic.ini"\n[alembic]\nscript_location = alembic  # (1)!' in focused
    assert "??? quote" not in focused


def test_whole_file_includes_are_left_to_snippets(root):
    markdown = '```python\n--8<-- "app/module.py"\n```\n'

    assert focus_listings(markdown, root=root) == markdown
