"""``nox -s verify``: each chapter in its own virtual environment, then one summary table.

Every chapter installs the same package, ``neodyme``, so the chapters cannot share an
environment: each gets ``.nox/verify-chNN`` with the chapter, schemathesis and pytest.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import nox

from shared.chapters import Chapter
from shared.verify.plan import ChapterPlan, verified_chapters
from shared.verify.results import all_passed, load_results, render_notes, render_table

BATTERY_TOOLS = ["schemathesis>=4.32,<5", "pytest>=8.3", "httpx>=0.28"]
PYTEST_FAILED = 1
"""pytest's exit code when tests failed: the table reports those; other codes stop the run."""


def select(session: nox.Session, chapters: list[Chapter]) -> list[tuple[ChapterPlan, Chapter]]:
    by_number = {chapter.number: chapter for chapter in chapters}
    plans = verified_chapters(list(by_number))
    if session.posargs:
        unknown = set(session.posargs) - {plan.name for plan in plans}
        if unknown:
            session.error(f"not verified: {', '.join(sorted(unknown))}")
        plans = [plan for plan in plans if plan.name in session.posargs]
    return [(plan, by_number[plan.number]) for plan in plans]


def verify_chapter(session: nox.Session, root: Path, plan: ChapterPlan, chapter: Chapter) -> None:
    venv = root / ".nox" / f"verify-{plan.name}"
    python = venv / "bin" / "python"
    started = time.monotonic()
    session.run("uv", "venv", "--quiet", "--allow-existing", str(venv), external=True)
    session.run(
        "uv", "pip", "install", "--quiet", "--python", str(python),
        "-e", f"{chapter.path}[test]", *BATTERY_TOOLS,
        external=True,
    )  # fmt: skip
    session.run(
        str(python), "-m", "pytest",
        "-c", str(root / "shared" / "verify" / "battery" / "pytest.ini"),
        str(root / "shared" / "verify" / "battery"),
        external=True,
        success_codes=[0, PYTEST_FAILED],
        env={
            "NEODYME_VERIFY_CHAPTER": plan.name,
            "NEODYME_VERIFY_CHAPTER_DIR": str(chapter.path),
            "NEODYME_VERIFY_RESULTS": str(root / ".nox" / "verify-results"),
        },
    )  # fmt: skip
    session.log(f"verify: {plan.name} took {time.monotonic() - started:.0f} s (install included)")


def run_battery(session: nox.Session, chapters: list[Chapter], root: Path) -> None:
    selected = select(session, chapters)
    results_dir = root / ".nox" / "verify-results"
    shutil.rmtree(results_dir, ignore_errors=True)
    started = time.monotonic()
    for plan, chapter in selected:
        verify_chapter(session, root, plan, chapter)
    plans = [plan for plan, _ in selected]
    results = load_results(results_dir, plans)
    print(render_table(results, plans), flush=True)
    if notes := render_notes(results):
        print(f"\nNotes:\n{notes}", flush=True)
    session.log(f"verify: {len(plans)} chapters in {time.monotonic() - started:.0f} s")
    if not all_passed(results, plans):
        session.error("verify: a chapter failed or left a section out (see the table above)")
