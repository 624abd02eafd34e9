"""Appendix A's codebase reference is generated from the newest chapter's code."""

from pathlib import Path

import yaml

from shared.book_reference import PAGE, PLACEHOLDER, codebase_reference
from shared.chapters import REPOSITORY_ROOT, latest_chapter


def add_chapter(root: Path, name: str, files: dict[str, str]) -> None:
    chapter = root / "chapters" / name
    (chapter / "tests").mkdir(parents=True)
    (chapter / "pyproject.toml").write_text('[project]\nname = "neodyme"\n')
    for relative, text in files.items():
        (chapter / relative).parent.mkdir(parents=True, exist_ok=True)
        (chapter / relative).write_text(text)


def test_each_module_is_listed_with_its_job_definitions_and_first_chapter(tmp_path):
    add_chapter(tmp_path, "ch01", {"neodyme/main.py": '"""The app.\n\nMore."""\ndef run(): ...\n'})
    add_chapter(
        tmp_path,
        "ch02",
        {
            "neodyme/main.py": '"""The app."""\ndef run(): ...\ndef _hidden(): ...\n',
            "neodyme/models.py": "class User: ...\n",
            "neodyme/__init__.py": "",
        },
    )

    reference = codebase_reference(tmp_path)

    assert "Generated from `chapters/ch02`" in reference
    assert "| `neodyme/main.py` | The app. | `run` | ch01 | 3 |" in reference
    assert "| `neodyme/models.py` | *(no docstring)* | `User` | ch02 | 1 |" in reference
    assert "_hidden" not in reference
    assert "neodyme/__init__.py" not in reference  # an empty file says nothing


def test_the_appendix_holds_the_placeholder_and_is_in_the_nav():
    assert PLACEHOLDER in (REPOSITORY_ROOT / "docs" / PAGE).read_text()
    config = yaml.safe_load((REPOSITORY_ROOT / "mkdocs.yml").read_text())
    assert "shared/book_reference.py" in config["hooks"]
    assert PAGE in str(config["nav"])


def test_every_application_module_of_the_newest_chapter_is_in_the_reference():
    newest = latest_chapter()
    reference = codebase_reference()

    for path in (newest.path / "neodyme").rglob("*.py"):
        if path.read_text().strip():
            assert f"`{path.relative_to(newest.path).as_posix()}`" in reference
