"""mkdocs hook: every chapter page's Refactoring Moments are backed by the stage diff.

The section's prose tells the chapter's few moments: what moved, was extracted or renamed, and
why now. Each moment carries a marker with the symbol's name as the stage diff reports it::

    <!-- moment: commit_or_409 → UserRepository._commit -->

At build time the marker becomes the stage diff's own line for that symbol, of the application
or of its tests (``->`` may be typed for ``→``), and the build stops if the stage diff reports no
such symbol: a moment the code no longer shows cannot stay in the book. The placeholder
``<!-- refactoring-moments -->`` becomes the step's every change in brief; the diff of every
line is the tool's HTML report, which the build writes as a page of its own
(``diffs/chNN-chMM.html``, one per pair of neighbouring chapters, and the whole way from the
first chapter to the last) and the section links.

A side track's page (``chapters/ch12-graph.md``) is a chapter page whose step starts from the
track's own chapter: its moments come from the stage diff ``ch12 → ch12-graph``, reported in
``diffs/ch12-ch12-graph.html``.
"""

import functools
import re
from itertools import pairwise
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from shared.chapters import (
    REPOSITORY_ROOT,
    Chapter,
    discover_chapters,
    discover_snapshots,
    discover_tracks,
)
from shared.stagediff import StageDiff, compare, render_html, render_markdown
from shared.stagediff.describe import symbol_report
from shared.stagediff.render_markdown import moment_table

PLACEHOLDER = "<!-- refactoring-moments -->"
MOMENT = re.compile(r"<!-- moment: (?P<name>.+?) -->")
CHAPTER_PAGE = re.compile(r"(?:^|/)chapters/(?P<name>ch\d{2}(?:-[a-z]+)?)\.md$")
DIFFS = "diffs"


def report_uri(old: str, new: str) -> str:
    """Where the full stage diff of ``old`` → ``new`` is in the site."""
    return f"{DIFFS}/{old}-{new}.html"


@functools.cache
def stage_diff(old: Path, new: Path) -> StageDiff:
    """Each pair is compared once per build: its page section and its report share it."""
    return compare(old, new)


def snapshot(name: str, root: Path = REPOSITORY_ROOT) -> Chapter:
    """The chapter or side track called ``name`` (``ch05``, ``ch12-graph``)."""
    for found in discover_snapshots(root):
        if found.name == name:
            return found
    raise PluginError(f"no chapter or side track {name!r} under {root / 'chapters'}")


def refactoring_moments(chapter: str, root: Path = REPOSITORY_ROOT) -> str:
    """The Markdown for the Refactoring Moments section of ``chapter``'s page."""
    if snapshot(chapter, root).name == "ch01":
        return (
            "This is the first stage: there is nothing before it to compare with. From chapter 2 "
            "on, this section is generated from the code by the stage diff, when the book is built."
        )
    old, new = stages(chapter, root)
    intro = (
        f"Generated from the code when the book is built. Every changed line is in "
        f"[the full stage diff]({'../' + report_uri(old.name, new.name)}), file by file; "
        f"`nox -s diff -- {old.name} {new.name}` prints the same report in a terminal."
    )
    report = render_markdown(stage_diff(old, new), heading_level=4, brief=True)
    return f"### Every change of the step\n\n{intro}\n\n{report}"


def stages(chapter: str, root: Path = REPOSITORY_ROOT) -> tuple[Path, Path]:
    """The stage ``chapter`` starts from and the stage itself: the chapter before a chapter,
    a side track's own chapter before the track."""
    new = snapshot(chapter, root)
    return root / "chapters" / new.base, new.path


def moment_evidence(chapter: str, name: str, root: Path = REPOSITORY_ROOT) -> str:
    """The stage diff's line(s) for the symbol ``name`` of ``chapter``'s step."""
    old, new = stages(chapter, root)
    wanted = name.replace("->", "→").strip()
    report = symbol_report(stage_diff(old, new))
    modules = [*report.modules, *report.tests]
    lines = [*report.moments, *(line for module in modules for line in module.lines)]
    found = [line for line in lines if line.name == wanted]
    if not found:
        raise PluginError(
            f"{new.name}'s page tells the moment {wanted!r}, but the stage diff "
            f"{old.name} → {new.name} reports no symbol of that name: `nox -s diff -- "
            f"{old.name} {new.name}` shows what it does report"
        )
    return moment_table(found)


def report_pairs(root: Path = REPOSITORY_ROOT) -> list[tuple[Path, Path]]:
    """Every pair of neighbouring chapters, the first chapter with the last, and each side
    track with the chapter it starts from."""
    chapters = [chapter.path for chapter in discover_chapters(root)]
    tracks = [(root / "chapters" / track.base, track.path) for track in discover_tracks(root)]
    return [*pairwise(chapters), (chapters[0], chapters[-1]), *tracks]


def on_files(files: Files, config, **kwargs) -> Files:
    """Add the HTML report of every pair in ``report_pairs`` to the site."""
    for old, new in report_pairs():
        report = render_html(stage_diff(old, new))
        files.append(File.generated(config, report_uri(old.name, new.name), content=report))
    return files


def on_page_markdown(markdown: str, page, **kwargs) -> str:
    match = CHAPTER_PAGE.search(page.file.src_uri)
    if match is None:
        return markdown
    name = match["name"]
    markdown = MOMENT.sub(lambda moment: moment_evidence(name, moment["name"]), markdown)
    return markdown.replace(PLACEHOLDER, refactoring_moments(name))
