"""``python -m shared.handson [PAGE ...]``: run the Hands-on steps of book pages.

Without arguments: every chapter page whose chapter folder exists (a side track's page,
``chapters/ch12-graph.md``, too), and every other page that names its chapter with
``<!-- handson-page: chapter=chNN -->``. Prints one line of figures per
page (the closing note's numbers), the steps not executed with their reasons, and a diff for
each step whose output differs from the page; exits 1 if any step failed. With ``--accept``, a
failed command whose whole output the page shows (no ``…``, no ``mask``, not a server's startup)
gets this run's output written into the page instead: the git diff is then the thing to review.
A step that runs the chapter's whole suite (a ``suite`` block) is checked against what pytest
collects, unless ``--run-suites`` or ``--accept`` runs it.
Interrupted (Ctrl+C, SIGTERM, SIGHUP), it still stops the servers and the shells of the pages
it was running.

Pages run side by side, up to ``--jobs`` at a time (default: one per core, at most four), except
pages whose servers listen on the same port: those take turns. Each page prints its lines when
it has finished.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from functools import partial
from pathlib import Path

from shared.chapters import REPOSITORY_ROOT, discover_snapshots
from shared.handson.extract import (
    Block,
    count_included_listings,
    extract_blocks,
    page_options,
    replace_outputs,
)
from shared.handson.runner import (
    PortLocks,
    Report,
    close_all_terminals,
    listening_ports,
    run_page,
)
from shared.recap import write_recap

DOCS = REPOSITORY_ROOT / "docs"

# A step that runs the chapter's tests, perhaps after a variable or two.
PYTEST_STEP = re.compile(r"^(\w+=\S+ )*pytest\b")

# Lines of each failed step (its title and the start of its diff) repeated after nox's table.
FAILURE_RECAP_LINES = 12


def chapter_of(page: Path) -> tuple[Path | None, bool]:
    """The chapter folder a page runs against, and whether the whole page is steps."""
    text = page.read_text()
    if page.parent.name == "chapters" and page.stem.startswith("ch"):
        return REPOSITORY_ROOT / "chapters" / page.stem, False
    name = page_options(text).get("chapter")
    return (REPOSITORY_ROOT / "chapters" / name, True) if name else (None, True)


def default_pages() -> list[Path]:
    pages = [DOCS / "chapters" / f"{snapshot.name}.md" for snapshot in discover_snapshots()]
    pages = [page for page in pages if page.is_file()]
    pages += [page for page in sorted(DOCS.glob("*.md")) if chapter_of(page)[0] is not None]
    return [page for page in pages if (chapter_of(page)[0] / "pyproject.toml").is_file()]


def find_page(name: str) -> Path:
    """A page by path, or by name: ``ch06`` and ``ch12-graph`` (chapter pages), ``appendix-c``."""
    candidates = [Path(name), DOCS / "chapters" / f"{name}.md", DOCS / f"{name}.md"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    known = ", ".join(page.stem for page in default_pages())
    raise argparse.ArgumentTypeError(f"no page {name!r}; the pages with steps: {known}")


def blocks_of(page: Path) -> list[Block]:
    return extract_blocks(page.read_text(), chapter_of(page)[1])


def pytest_steps(blocks: list[Block]) -> int:
    """How many of the page's steps run its chapter's tests (a suite block's are collected)."""
    executed = [block for block in blocks if not {"skip", "suite"} & block.options.keys()]
    return sum(bool(PYTEST_STEP.match(c.text)) for block in executed for c in block.commands)


def start_order(pages: list[Path]) -> list[Path]:
    """The pages that run their tests most first: they take longest, and a long page started
    last would run alone at the end. Then the pages that start no server, as they never wait."""

    def weight(page: Path) -> tuple[int, bool]:
        blocks = blocks_of(page)
        return -pytest_steps(blocks), bool(listening_ports(blocks))

    return sorted(pages, key=weight)


def run(
    page: Path, ports: PortLocks | None = None, keep: Path | None = None, run_suites: bool = False
) -> Report:
    chapter, whole_page = chapter_of(page)
    if chapter is None:
        raise SystemExit(f"{page}: not a chapter page, and no <!-- handson-page: chapter=chNN -->")
    text = page.read_text()
    name = str(page.relative_to(DOCS)) if page.is_relative_to(DOCS) else page.name
    report = Report(page=name, included_listings=count_included_listings(text))
    also = page_options(text).get("also", "")
    others = [REPOSITORY_ROOT / "chapters" / name for name in also.split(",") if name]
    blocks = extract_blocks(text, whole_page)
    return run_page(page, blocks, chapter, report, keep, others, ports, run_suites)


def run_side_by_side(
    pages: list[Path], jobs: int, run_one: Callable[[Path, PortLocks], Report]
) -> Iterator[tuple[Path, Report]]:
    """Each page with its report, as they finish, at most ``jobs`` at once.

    Pages whose servers share a port take turns on it (``PortLocks``); they start in
    ``start_order``.
    """
    ports = PortLocks()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        running = {pool.submit(run_one, page, ports): page for page in start_order(pages)}
        try:
            for future in as_completed(running):
                yield running[future], future.result()
        except BaseException:
            for future in running:
                future.cancel()
            close_all_terminals()  # the pages' own threads then fail fast and end
            raise


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def stop_on_signal(number: int, frame: object) -> None:
    """SIGTERM (CI's timeout, ``kill``) unwinds like Ctrl+C: the servers a page started stop."""
    raise SystemExit(128 + number)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGHUP, stop_on_signal)
    parser = argparse.ArgumentParser(prog="python -m shared.handson", description=__doc__)
    parser.add_argument(
        "pages", nargs="*", type=find_page, help="pages to run, e.g. ch06 (default: all)"
    )
    parser.add_argument("--keep", type=Path, help="keep each run's folder under this directory")
    parser.add_argument(
        "--jobs",
        type=int,
        default=default_jobs(),
        help="pages run at once (default: one per core, at most 4)",
    )
    parser.add_argument(
        "--accept",
        action="store_true",
        help="write what failed commands really printed into the page (then review git diff); "
        "implies --run-suites",
    )
    parser.add_argument(
        "--run-suites",
        action="store_true",
        help="run the whole-suite steps (blocks marked suite) instead of checking them against "
        "pytest's collection",
    )
    args = parser.parse_args(argv)
    pages = args.pages or default_pages()
    started = time.monotonic()
    reports = []
    run_one = partial(run, keep=args.keep, run_suites=args.run_suites or args.accept)
    for page, report in run_side_by_side(pages, args.jobs, run_one):
        reports.append(report)
        print(report.summary(), flush=True)
        for count, reason in report.not_executed:
            print(f"  not executed ({count}): {reason}")
        for failure in report.failures:
            print("  FAILED " + failure.replace("\n", "\n  "), flush=True)
        if args.accept and report.outputs:
            page.write_text(replace_outputs(page.read_text(), report.outputs))
            print(
                f"  accepted {len(report.outputs)} outputs into {page}: review them with git diff"
            )
    failed = sum(len(report.failures) for report in reports)
    print(f"{len(reports)} pages, {failed} failed steps, {time.monotonic() - started:.1f}s")
    write_recap(
        f"{report.page}: FAILED {line}" if number == 0 else f"  {line}"
        for report in reports
        for failure in report.failures
        for number, line in enumerate(failure.splitlines()[:FAILURE_RECAP_LINES])
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
