"""Turn a command-line argument into a stage directory: a snapshot's name or any directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shared.chapters import CHAPTER_NAME, TRACK_NAME, Chapter, discover_snapshots


class BadArgument(Exception):
    """An argument names no chapter and no directory; the message says which."""


@dataclass(frozen=True)
class Stage:
    label: str
    path: Path


def chapters_under(root: Path) -> list[Chapter]:
    """The chapters, then the side tracks, under ``root``."""
    return discover_snapshots(root) if (root / "chapters").is_dir() else []


def resolve_stage(argument: str, root: Path) -> Stage:
    """``ch04`` is ``chapters/ch04`` under ``root`` (``ch12-graph`` a side track); anything
    else must be a directory."""
    for chapter in chapters_under(root):
        if chapter.name == argument:
            return Stage(chapter.name, chapter.path)
    path = Path(argument)
    if path.is_dir():
        return Stage(argument.rstrip("/") or argument, path)
    if CHAPTER_NAME.match(argument) or TRACK_NAME.match(argument):
        names = ", ".join(chapter.name for chapter in chapters_under(root)) or "none"
        raise BadArgument(f"unknown chapter {argument!r} (chapters: {names})")
    raise BadArgument(f"no such directory: {argument!r}")


def resolve_chapter(argument: str, root: Path) -> tuple[Chapter, list[Chapter]]:
    """A snapshot by name, and the snapshots that inherited its code: the chapters after it,
    then each side track that starts from it or from a later chapter (none after a track)."""
    chapters = chapters_under(root)
    for chapter in chapters:
        if chapter.name == argument:
            if chapter.track:
                return chapter, []
            return chapter, [
                later
                for later in chapters
                if later.number > chapter.number or (later.track and later.number == chapter.number)
            ]
    names = ", ".join(chapter.name for chapter in chapters) or "none"
    raise BadArgument(f"unknown chapter {argument!r} (chapters: {names})")
