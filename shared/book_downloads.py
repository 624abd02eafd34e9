"""mkdocs hook: every chapter's code as a download, linked from the top of its page.

At build time each ``chapters/chNN`` becomes ``downloads/neodyme-chNN.zip`` in the site: exactly
the files git tracks in that folder (``git ls-files``), as they are in the working tree, under
one folder ``chNN/``. Nothing else goes in: no virtual environment, no database, no cache. The
archive is reproducible: entries in path order, with a fixed date, so building twice gives the
same bytes.

Each chapter page gets a line under its title that links its archive; the pages' Markdown
does not have to carry it. A side track (``chapters/ch12-graph``) is downloaded the same way,
from its own page.
"""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from shared.chapters import REPOSITORY_ROOT, discover_snapshots

DOWNLOADS = "downloads"
CHAPTER_PAGE = re.compile(r"^chapters/(?P<name>ch\d{2}(?:-(?P<track>[a-z]+))?)\.md$")
FIXED_DATE = (2026, 1, 1, 0, 0, 0)


def archive_name(chapter: str) -> str:
    return f"neodyme-{chapter}.zip"


def tracked_files(folder: str, root: Path = REPOSITORY_ROOT) -> list[str]:
    """The files git tracks under ``folder`` (relative to ``root``), in path order."""
    try:
        result = subprocess.run(
            ["git", "ls-files", "-z", "--", folder],
            cwd=root,
            capture_output=True,
            check=True,
            timeout=60,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        raise PluginError(
            "The chapter downloads are the files git tracks, and `git ls-files` failed: build "
            f"the book from a git clone of the repository, with git installed ({error})"
        ) from error
    return sorted(name for name in result.stdout.decode().split("\0") if name)


def chapter_archive(chapter: str, root: Path = REPOSITORY_ROOT) -> tuple[bytes, int]:
    """The zip of ``chapters/<chapter>``'s tracked files under ``<chapter>/``; its file count."""
    folder = f"chapters/{chapter}"
    files = [name for name in tracked_files(folder, root) if (root / name).is_file()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in files:
            path = root / name
            entry = zipfile.ZipInfo(f"{chapter}/{name.removeprefix(folder + '/')}", FIXED_DATE)
            entry.external_attr = (path.stat().st_mode & 0o777 | 0o100000) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes())
    return buffer.getvalue(), len(files)


FILE_COUNTS: dict[str, int] = {}


def on_files(files: Files, config, **kwargs) -> Files:
    for chapter in discover_snapshots():
        content, count = chapter_archive(chapter.name)
        FILE_COUNTS[chapter.name] = count
        uri = f"{DOWNLOADS}/{archive_name(chapter.name)}"
        files.append(File.generated(config, uri, content=content))
    return files


def download_line(chapter: str, track: bool = False) -> str:
    count = FILE_COUNTS.get(chapter)
    files = f", {count} files" if count else ""
    whose = "This side track's" if track else "This chapter's"
    return (
        f'<p class="chapter-download" markdown>{whose} code: '
        f"[{archive_name(chapter)}](../{DOWNLOADS}/{archive_name(chapter)}){files}, the folder "
        f"`chapters/{chapter}/` of the repository ([how to run it](../index.md#get-the-code)).</p>"
    )


def on_page_markdown(markdown: str, page, **kwargs) -> str:
    match = CHAPTER_PAGE.match(page.file.src_uri)
    if match is None:
        return markdown
    lines = markdown.split("\n")
    title = next((i for i, line in enumerate(lines) if line.startswith("# ")), None)
    if title is None:
        return markdown
    lines[title + 1 : title + 1] = ["", download_line(match["name"], bool(match["track"])), ""]
    return "\n".join(lines)
