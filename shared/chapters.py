"""Find the chapter snapshots under ``chapters/`` and read what they declare."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
CHAPTER_NAME = re.compile(r"^ch(\d{2})$")


@dataclass(frozen=True)
class Chapter:
    """One stage of the application: ``chapters/chNN``."""

    name: str
    number: int
    path: Path

    @property
    def expected_version(self) -> str:
        """The version the chapter must carry: ch05 -> 0.5.0."""
        return f"0.{self.number}.0"

    @property
    def has_migrations(self) -> bool:
        return (self.path / "alembic.ini").is_file()

    @property
    def has_deployment(self) -> bool:
        """From chapter 10: a Dockerfile, and tests that start the server and a browser."""
        return (self.path / "Dockerfile").is_file()

    @property
    def uses_database(self) -> bool:
        """Whether the chapter stores data (it declares an async database driver)."""
        return any(dependency.startswith("aiosqlite") for dependency in self.dependencies())

    def programs(self) -> dict[str, str]:
        """Programs beyond Python that the chapter's tests drive, with what each is for."""
        programs = {}
        if self.has_deployment:
            programs["chromium"] = "renders /docs with the network cut off"
        if (self.path / "nginx.conf").is_file():
            programs["nginx"] = "runs two app processes behind it"
        return programs

    def dependencies(self) -> list[str]:
        return self.project().get("dependencies", [])

    def project(self) -> dict:
        """The ``[project]`` table of the chapter's ``pyproject.toml``."""
        with (self.path / "pyproject.toml").open("rb") as file:
            return tomllib.load(file)["project"]


def discover_chapters(root: Path = REPOSITORY_ROOT) -> list[Chapter]:
    """Every ``chapters/chNN`` folder that holds a ``pyproject.toml``, in chapter order."""
    chapters = []
    for path in (root / "chapters").iterdir():
        match = CHAPTER_NAME.match(path.name)
        if match and (path / "pyproject.toml").is_file():
            chapters.append(Chapter(name=path.name, number=int(match[1]), path=path))
    return sorted(chapters, key=lambda chapter: chapter.number)


def latest_chapter(root: Path = REPOSITORY_ROOT) -> Chapter:
    """The newest chapter: the finished app as far as the book has got."""
    return discover_chapters(root)[-1]
