"""Find the snapshots under ``chapters/`` and read what they declare.

Two kinds live there: the twelve chapters (``ch01`` … ``ch12``), each the one before plus its
lesson, and side tracks (``ch12-graph``): a lesson that starts from a chapter without becoming
the next one, so the book stays twelve chapters.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
CHAPTER_NAME = re.compile(r"^ch(\d{2})$")
TRACK_NAME = re.compile(r"^ch(\d{2})-([a-z]+)$")


@dataclass(frozen=True)
class Chapter:
    """One stage of the application: ``chapters/chNN``, or a side track ``chapters/chNN-topic``."""

    name: str
    number: int
    path: Path
    track: str = ""
    """The side track's topic (``graph`` for ``ch12-graph``); empty for a chapter."""

    @property
    def base(self) -> str:
        """The stage this one starts from: the previous chapter, or a track's own chapter."""
        return f"ch{self.number:02d}" if self.track else f"ch{self.number - 1:02d}"

    @property
    def expected_version(self) -> str:
        """The version the stage must carry: ch05 -> 0.5.0, ch12-graph -> 0.12.0+graph."""
        version = f"0.{self.number}.0"
        return f"{version}+{self.track}" if self.track else version

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


def discover_tracks(root: Path = REPOSITORY_ROOT) -> list[Chapter]:
    """Every side track ``chapters/chNN-topic`` that holds a ``pyproject.toml``, by name."""
    tracks = []
    for path in (root / "chapters").iterdir():
        match = TRACK_NAME.match(path.name)
        if match and (path / "pyproject.toml").is_file():
            tracks.append(Chapter(path.name, int(match[1]), path, track=match[2]))
    return sorted(tracks, key=lambda track: track.name)


def discover_snapshots(root: Path = REPOSITORY_ROOT) -> list[Chapter]:
    """The chapters, then the side tracks: every snapshot a reader can install and run."""
    return discover_chapters(root) + discover_tracks(root)


def latest_chapter(root: Path = REPOSITORY_ROOT) -> Chapter:
    """The newest chapter: the finished app as far as the book has got."""
    return discover_chapters(root)[-1]
