"""The command lines: ``neodyme-diff`` and ``neodyme-forward-port``.

Exit codes: 0 success; 2 bad arguments (unknown chapter, missing directory, bad option), with
one line on stderr; ``neodyme-forward-port`` exits 1 when a chapter has a conflict.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import NoReturn

from shared.chapters import REPOSITORY_ROOT, Chapter
from shared.stagediff.files import DEFAULT_SIMILARITY
from shared.stagediff.forward_port import (
    GitError,
    forward_port,
    render_results,
    uncommitted_edits,
)
from shared.stagediff.patch import Outcome
from shared.stagediff.render_html import render_html
from shared.stagediff.render_markdown import render_markdown
from shared.stagediff.render_text import render_text
from shared.stagediff.report import compare
from shared.stagediff.resolve import BadArgument, resolve_chapter, resolve_stage

BAD_ARGUMENTS = 2


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr, not the whole usage text."""

    def error(self, message: str) -> NoReturn:
        self.exit(BAD_ARGUMENTS, f"{self.prog}: {message}\n")


def fraction(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number from 0 to 1")
    return number


def add_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root",
        type=Path,
        default=REPOSITORY_ROOT,
        help="the monorepo whose chapters/ folder chapter names refer to (default: this one)",
    )


def fail(prog: str, message: object) -> int:
    print(f"{prog}: {message}", file=sys.stderr)
    return BAD_ARGUMENTS


def write_stdout(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # `neodyme-diff ch01 ch08 | head`: the reader has seen enough; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def main(argv: list[str] | None = None) -> int:
    """``neodyme-diff A B``: the refactoring moments between two stages."""
    parser = Parser(
        prog="neodyme-diff",
        description="Compare two stages: chapter names (ch04) or any two directories.",
    )
    parser.add_argument("old", help="the earlier stage: a chapter name or a directory")
    parser.add_argument("new", help="the later stage: a chapter name or a directory")
    parser.add_argument("--format", choices=["text", "markdown", "html"], default="text")
    parser.add_argument("--output", type=Path, help="write the report here instead of stdout")
    parser.add_argument(
        "--html", type=Path, metavar="PATH", help="the HTML page, written here (--format html)"
    )
    parser.add_argument("--stat", action="store_true", help="only the file-level summary")
    parser.add_argument(
        "--untracked",
        action="store_true",
        help="in a git work tree, also compare files git neither tracks nor ignores",
    )
    parser.add_argument(
        "--similarity",
        type=fraction,
        default=DEFAULT_SIMILARITY,
        help="how alike (0-1) a removed and an added file must be to count as a rename "
        f"(default {DEFAULT_SIMILARITY})",
    )
    add_root(parser)
    args = parser.parse_args(argv)
    if args.html is not None:
        args.format, args.output = "html", args.html
    try:
        old = resolve_stage(args.old, args.root)
        new = resolve_stage(args.new, args.root)
    except BadArgument as error:
        return fail(parser.prog, error)

    diff = compare(
        old.path,
        new.path,
        similarity=args.similarity,
        old_label=old.label,
        new_label=new.label,
        untracked=args.untracked,
    )
    if args.format == "html":
        report = render_html(diff, stat=args.stat)
    elif args.format == "markdown":
        report = render_markdown(diff, stat=args.stat)
    else:
        colour = args.output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        report = render_text(diff, colour=colour, stat=args.stat)

    if args.output is None:
        write_stdout(report)
        return 0
    try:
        args.output.write_text(report, encoding="utf-8")
    except OSError as error:
        return fail(parser.prog, f"cannot write {args.output}: {error.strerror}")
    return 0


def forward_port_main(argv: list[str] | None = None) -> int:
    """``neodyme-forward-port chNN``: carry chNN's uncommitted change into later chapters."""
    parser = Parser(
        prog="neodyme-forward-port",
        description="Apply a chapter's uncommitted change to every later chapter with the same "
        "code; report each as applied, already there, not applicable or conflict.",
    )
    parser.add_argument("chapter", help="the chapter the change was made in, e.g. ch05")
    parser.add_argument(
        "--paths",
        nargs="+",
        metavar="PATH",
        help="carry only these files or folders (relative to the chapter, or paths to them)",
    )
    parser.add_argument(
        "--through",
        metavar="CHAPTER",
        help="the last chapter to carry the change into (default: every later chapter)",
    )
    parser.add_argument("--dry-run", action="store_true", help="report, but write nothing")
    add_root(parser)
    args = parser.parse_args(argv)
    try:
        chapter, later = resolve_chapter(args.chapter, args.root)
        if args.through:
            later = chapters_through(later, args.through)
        paths = [chapter_relative(path, chapter.path) for path in args.paths or []]
        edits = uncommitted_edits(chapter.path, paths or None)
        if not edits and paths and uncommitted_edits(chapter.path):
            print(f"{chapter.name}'s change has no hunk under {', '.join(paths)}.")
            return 0
    except (BadArgument, GitError) as error:
        return fail(parser.prog, error)
    if not edits:
        print(f"{chapter.name} has no uncommitted change to carry forward.")
        return 0
    results = forward_port(edits, later, dry_run=args.dry_run)
    write_stdout(render_results(chapter.name, edits, results, dry_run=args.dry_run))
    return 1 if any(result.outcome is Outcome.CONFLICT for result in results) else 0


def chapters_through(later: list[Chapter], last: str) -> list[Chapter]:
    """The chapters of ``later`` up to and including the one named ``last``."""
    names = [chapter.name for chapter in later]
    if last not in names:
        raise BadArgument(f"--through {last!r} is not a later chapter (later: {', '.join(names)})")
    return later[: names.index(last) + 1]


def chapter_relative(argument: str, chapter: Path) -> str:
    """``neodyme/x.py`` (from the chapter), ``chapters/ch05/neodyme/x.py`` (from where the
    command runs) and an absolute path all name the same file of the chapter."""
    root = chapter.resolve()
    for candidate in ((Path.cwd() / argument).resolve(), (root / argument).resolve()):
        if candidate.is_relative_to(root):
            return candidate.relative_to(root).as_posix()
    raise BadArgument(f"{argument!r} is not inside {chapter.name}")
