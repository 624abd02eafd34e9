"""Every chapter is a complete, installable snapshot with the files SPEC §1 asks of it."""

import re

from shared.chapters import Chapter

ALWAYS = ["pyproject.toml", "README.md", "neodyme/__init__.py", "neodyme/main.py", "tests"]
FROM_CHAPTER = {
    4: ["alembic.ini", "alembic/env.py", "alembic/versions"],
    8: [".env.example"],
    10: ["Dockerfile", "docker-compose.yml", ".dockerignore"],
}


def required_files(chapter: Chapter) -> list[str]:
    files = list(ALWAYS)
    for first, names in FROM_CHAPTER.items():
        if chapter.number >= first:
            files += names
    return files


def test_chapters_are_numbered_from_01_without_gaps(chapters):
    assert [chapter.number for chapter in chapters] == list(range(1, len(chapters) + 1))


def test_chapter_has_the_required_files(snapshot):
    missing = [name for name in required_files(snapshot) if not (snapshot.path / name).exists()]

    assert missing == []


def test_chapter_is_the_neodyme_distribution_at_its_chapter_version(snapshot):
    project = snapshot.project()

    assert project["name"] == "neodyme"
    assert project["version"] == snapshot.expected_version
    assert project["requires-python"] == ">=3.11"
    assert "test" in project["optional-dependencies"]


def test_chapter_versions_follow_the_chapter_numbers(chapters):
    versions = [chapter.project()["version"] for chapter in chapters]

    assert versions == [f"0.{number}.0" for number in range(1, len(chapters) + 1)]


def test_chapter_readme_says_how_to_install_run_and_test_it(snapshot):
    readme = (snapshot.path / "README.md").read_text()

    title = (
        f"# Chapter {snapshot.number}, side track"
        if snapshot.track
        else f"# Chapter {snapshot.number}"
    )
    assert readme.startswith(title)
    assert 'pip install -e ".[test]"' in readme
    assert "uvicorn neodyme.main:app" in readme
    assert "pytest" in readme
    if snapshot.has_migrations:
        assert "alembic upgrade head" in readme


def test_async_database_chapters_declare_greenlet_through_the_asyncio_extra(snapshot):
    dependencies = snapshot.dependencies()
    sqlalchemy = [d for d in dependencies if re.match(r"sqlalchemy\b", d, re.IGNORECASE)]

    if snapshot.uses_database:
        assert sqlalchemy and all(d.lower().startswith("sqlalchemy[asyncio]") for d in sqlalchemy)
