"""Turn a command-line argument into a stage directory: a chapter name or any directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shared.chapters import CHAPTER_NAME, Chapter, discover_chapters


class BadArgument(Exception):
    """An argument names no chapter and no directory; the message says which."""


@dataclass(frozen=True)
class Stage:
    label: str
    path: Path


def chapters_under(root: Path) -> list[Chapter]:
    return discover_chapters(root) if (root / "chapters").is_dir() else []


def resolve_stage(argument: str, root: Path) -> Stage:
    """``ch04`` is ``chapters/ch04`` under ``root``; anything else must be a directory."""
    for chapter in chapters_under(root):
        if chapter.name == argument:
            return Stage(chapter.name, chapter.path)
    path = Path(argument)
    if path.is_dir():
        return Stage(argument.rstrip("/") or argument, path)
    if CHAPTER_NAME.match(argument):
        names = ", ".join(chapter.name for chapter in chapters_under(root)) or "none"
        raise BadArgument(f"unknown chapter {argument!r} (chapters: {names})")
    raise BadArgument(f"no such directory: {argument!r}")


def resolve_chapter(argument: str, root: Path) -> tuple[Chapter, list[Chapter]]:
    """A chapter by name, and the chapters after it."""
    chapters = chapters_under(root)
    for index, chapter in enumerate(chapters):
        if chapter.name == argument:
            return chapter, chapters[index + 1 :]
    names = ", ".join(chapter.name for chapter in chapters) or "none"
    raise BadArgument(f"unknown chapter {argument!r} (chapters: {names})")
