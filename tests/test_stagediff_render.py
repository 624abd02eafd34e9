"""The three renderings: Markdown for the book, a self-contained HTML page, terminal text."""

import os
import re
import shutil
import subprocess

import markdown
import pytest
from conftest import write

from shared.chapters import REPOSITORY_ROOT
from shared.stagediff import compare, render_html, render_markdown, render_text

CHAPTERS = REPOSITORY_ROOT / "chapters"
# A src or href that fetches something from elsewhere (in-page "#anchors" are fine).
REMOTE_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture
def diff(tmp_path):
    old = write(
        tmp_path / "v1",
        {
            "pyproject.toml": '[project]\ndependencies = ["fastapi"]\n',
            "main.py": (
                "def create_app():\n    def health():\n        return 'ok'\n\n    return health\n"
            ),
            "README.md": "# v1\n\n```bash\nrun it\n```\n",
        },
    )
    new = write(
        tmp_path / "v2",
        {
            "pyproject.toml": '[project]\ndependencies = ["fastapi", "pydantic-settings>=2.7"]\n',
            "main.py": "def create_app():\n    return health\n",
            "routes/health.py": "def health():\n    return 'ok'\n",
            "README.md": "# v2\n\n```bash\nrun it twice\n```\n",
            '<odd> "name".py': "x = 1\n",
        },
    )
    return compare(old, new)


def test_markdown_has_the_refactoring_moments_summary_then_the_diffs(diff):
    markdown = render_markdown(diff)

    headings = re.findall(r"^### (.+)$", markdown, flags=re.MULTILINE)
    assert headings == ["Files", "Symbols", "Dependencies", "Migrations", "Full diff"]
    assert "| added | `routes/health.py` | +2 |" in markdown
    assert "**Moved** (1)" in markdown
    assert "`main.py (create_app.<locals>.health)` → `routes/health.py`" in markdown
    assert "| added | dependencies | `pydantic-settings>=2.7` |" in markdown
    assert '??? note "routes/health.py (added, +2)"' in markdown
    assert "    ```diff" in markdown


def test_markdown_fences_outlast_the_fences_inside_the_diff(diff):
    markdown = render_markdown(diff, collapsible=False)

    assert "````diff\n--- v1/README.md\n+++ v2/README.md" in markdown
    assert " ```bash" in markdown
    assert "???" not in markdown


def test_markdown_heading_level_is_chosen_by_the_page(diff):
    assert "\n#### Symbols\n" in render_markdown(diff, heading_level=4)


def test_the_markdown_of_two_real_chapters_names_their_moments():
    markdown = render_markdown(compare(CHAPTERS / "ch02", CHAPTERS / "ch03"))

    assert markdown.startswith("Refactoring moments from `ch02` to `ch03`.")
    assert "**Moved and changed**" in markdown


def test_stat_keeps_only_the_files(diff):
    for report in (render_markdown(diff, stat=True), render_html(diff, stat=True)):
        assert "Files" in report
        assert "Symbols" not in report and "Dependencies" not in report


def test_html_is_one_self_contained_page(diff):
    html = render_html(diff)

    assert html.startswith("<!DOCTYPE html>")
    assert REMOTE_REFERENCE.search(html) is None
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert "url(" not in html
    assert '<section id="files">' in html and '<section id="symbols">' in html
    assert html.index('id="symbols"') < html.index('id="diffs"')
    assert 'class="sxs"' in html  # side by side
    assert '<span class="k">def</span>' in html  # Pygments highlighting
    assert ".code .k {" in html  # and its stylesheet, embedded


def test_html_escapes_names_and_code(diff):
    html = render_html(diff)

    assert "&lt;odd&gt; &quot;name&quot;.py" in html
    assert '<odd> "name"' not in html


def test_html_of_real_chapters_has_no_remote_reference():
    html = render_html(compare(CHAPTERS / "ch01", CHAPTERS / "ch08"))

    assert REMOTE_REFERENCE.search(html) is None


def test_text_sections(diff):
    text = render_text(diff)

    for heading in ("Files:", "Symbols", "Dependencies", "Migrations", "Diff"):
        assert f"\n{heading}" in text
    assert "moved (1)" in text
    assert "added      dependencies  pydantic-settings>=2.7" in text


def chromium() -> str:
    """Debian's chromium, or a skip (a failure where services are required)."""
    found = shutil.which("chromium")
    if found:
        return found
    reason = "Chromium is not installed (apt-get install chromium)"
    if os.environ.get("NEODYME_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}, and NEODYME_REQUIRE_SERVICES=1")
    pytest.skip(reason)


def test_the_html_renders_in_headless_chromium(tmp_path):
    browser = chromium()
    page = tmp_path / "diff.html"
    page.write_text(render_html(compare(CHAPTERS / "ch02", CHAPTERS / "ch03")))

    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )

    dom = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    assert '<section id="files">' in dom
    assert 'href="#file-' in dom and "neodyme/routes/users.py" in dom
    assert '<section id="symbols">' in dom
    assert "Moved and changed (" in dom
    assert "create_app.&lt;locals&gt;.create_user" in dom
    assert '<table class="sxs">' in dom


def test_dunder_file_names_in_collapsed_headings_are_not_bold(tmp_path):
    old = write(tmp_path / "a", {"pkg/x.py": "X = 1\n"})
    new = write(
        tmp_path / "b", {"pkg/x.py": "X = 1\n", "pkg/__init__.py": "", "pkg/__main__.py": "run()\n"}
    )

    report = render_markdown(compare(old, new))
    html = markdown.markdown(report, extensions=["pymdownx.details", "pymdownx.superfences"])

    assert '??? note "pkg/\\_\\_main\\_\\_.py (added, +1)"' in report
    assert "<summary>pkg/__main__.py (added, +1)</summary>" in html
    assert "<strong>init" not in html and "<strong>main" not in html


def test_the_application_comes_first_and_the_tests_are_counted_per_file(tmp_path):
    test_file = "def test_run():\n    assert run() == 2\n\n\ndef test_again():\n    assert run()\n"
    old = write(tmp_path / "a", {"app.py": "def run():\n    return 1\n"})
    new = write(
        tmp_path / "b", {"app.py": "def run():\n    return 2\n", "tests/test_app.py": test_file}
    )
    diff = compare(old, new)

    summary = render_text(diff).split("\nDiff")[0]
    assert summary.index("app.py: changed: 1 function") < summary.index("\nTests\n")
    assert "  tests/test_app.py: added: 2 functions" in summary
    assert "test_run" not in summary
    assert "- `app.py` — changed: `run` (body)" in render_markdown(diff)
    assert "- `tests/test_app.py` — added: 2 functions" in render_markdown(diff)
    html = render_html(diff)
    assert '<details class="module" open>\n<summary><code>app.py</code>' in html
    assert '<details class="module">\n<summary><code>tests/test_app.py</code>' in html


def test_far_apart_stages_are_summarised_per_module_and_kind(tmp_path):
    functions = "\n\n".join(f"def f{number}():\n    return {number}\n" for number in range(50))
    old = write(tmp_path / "a", {"app.py": "X = 1\n"})
    new = write(
        tmp_path / "b",
        {"app.py": "X = 1\n", "big.py": functions, "shapes.py": "class Square:\n    side = 1\n"},
    )
    diff = compare(old, new)

    summary = render_text(diff).split("\nDiff")[0]
    assert "  big.py: added: 50 functions" in summary
    assert "  shapes.py: added: 1 class" in summary
    assert "f49" not in summary
    assert '??? note "big.py — added: 50 functions"' in render_markdown(diff)
    html = render_html(diff)
    assert '<details class="module">' in html and '<details class="module" open>' not in html
