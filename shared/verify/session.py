"""``nox -s verify``: each chapter in its own virtual environment, then one summary table.

Every chapter installs the same package, ``neodyme``, so the chapters cannot share an
environment: each gets ``.nox/verify-chNN`` with the chapter, schemathesis and pytest.

The chapters are independent (each has its own database, server port and Redis key prefix), so
several run at once, one per core up to ``NEODYME_VERIFY_JOBS`` (default 4). Each chapter's
output goes to ``.nox/verify-logs/chNN.log`` and is printed whole when the chapter finishes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import nox

from shared.chapters import Chapter
from shared.recap import junit_failures, write_recap
from shared.verify.plan import ChapterPlan, verified_chapters
from shared.verify.results import (
    all_passed,
    load_results,
    render_defences,
    render_notes,
    render_table,
)

BATTERY_TOOLS = ["schemathesis>=4.32,<5", "pytest>=8.3", "httpx>=0.28"]
PYTEST_FAILED = 1
"""pytest's exit code when tests failed: the table reports those; other codes stop the run."""
DEFAULT_JOBS = 4


def select(session: nox.Session, chapters: list[Chapter]) -> list[tuple[ChapterPlan, Chapter]]:
    by_name = {chapter.name: chapter for chapter in chapters}
    plans = verified_chapters(list(by_name))
    if session.posargs:
        unknown = set(session.posargs) - {plan.name for plan in plans}
        if unknown:
            session.error(f"not verified: {', '.join(sorted(unknown))}")
        plans = [plan for plan in plans if plan.name in session.posargs]
    return [(plan, by_name[plan.name]) for plan in plans]


def jobs() -> int:
    """How many chapters run at once: one per core, at most ``NEODYME_VERIFY_JOBS``."""
    limit = int(os.environ.get("NEODYME_VERIFY_JOBS", DEFAULT_JOBS))
    return max(1, min(limit, os.cpu_count() or 1))


def verify_chapter(root: Path, plan: ChapterPlan, chapter: Chapter, log: Path) -> str | None:
    """Install and run the battery for one chapter, its output to ``log`` (and its cases to a
    JUnit report beside it).

    ``None`` when the battery ran (failed cases are the table's business), else what broke.
    """
    venv = root / ".nox" / f"verify-{plan.name}"
    python = venv / "bin" / "python"
    commands = [
        ["uv", "venv", "--quiet", "--allow-existing", str(venv)],
        ["uv", "pip", "install", "--quiet", "--python", str(python),
         "-e", f"{chapter.path}[test]", *BATTERY_TOOLS],
        [str(python), "-m", "pytest", f"--junitxml={log.with_suffix('.xml')}",
         "-c", str(root / "shared" / "verify" / "battery" / "pytest.ini"),
         str(root / "shared" / "verify" / "battery")],
    ]  # fmt: skip
    env = {
        **os.environ,
        "NEODYME_VERIFY_CHAPTER": plan.name,
        "NEODYME_VERIFY_CHAPTER_DIR": str(chapter.path),
        "NEODYME_VERIFY_RESULTS": str(root / ".nox" / "verify-results"),
    }
    with log.open("w") as output:
        for command in commands:
            output.write(f"$ {' '.join(command)}\n")
            output.flush()
            status = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT, env=env)
            ran = status.returncode == 0 or (
                command is commands[-1] and status.returncode == PYTEST_FAILED
            )
            if not ran:
                return f"`{' '.join(command[:3])} …` exited {status.returncode}"
    return None


def start_order(plan: ChapterPlan) -> tuple[bool, int, str]:
    """Longest first, so that the short ones fill the end: the chapter that hashes passwords at
    production cost, then the newest (their batteries are the largest)."""
    return (not plan.hashes_at_production_cost, -plan.number, plan.track)


def timed(function, *args):
    """``function(*args)`` and the seconds it took."""
    started = time.monotonic()
    return function(*args), time.monotonic() - started


def run_battery(session: nox.Session, chapters: list[Chapter], root: Path) -> None:
    selected = select(session, chapters)
    results_dir = root / ".nox" / "verify-results"
    logs = root / ".nox" / "verify-logs"
    shutil.rmtree(results_dir, ignore_errors=True)
    logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    workers = jobs()
    session.log(f"verify: {len(selected)} chapters, {workers} at a time; logs in {logs}")
    broken = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        runs = {
            pool.submit(timed, verify_chapter, root, plan, chapter, logs / f"{plan.name}.log"): plan
            for plan, chapter in sorted(selected, key=lambda pair: start_order(pair[0]))
        }
        for run in as_completed(runs):
            plan = runs[run]
            failure, seconds = run.result()
            print((logs / f"{plan.name}.log").read_text(), flush=True)
            session.log(f"verify: {plan.name} took {seconds:.0f} s (install included)")
            if failure:
                broken.append(f"{plan.name}: {failure}")
    plans = [plan for plan, _ in selected]
    results = load_results(results_dir, plans)
    print(render_table(results, plans), flush=True)
    if defences := render_defences(results, plans):
        print(f"\n{defences}", flush=True)
    if notes := render_notes(results):
        print(f"\nNotes:\n{notes}", flush=True)
    session.log(f"verify: {len(plans)} chapters in {time.monotonic() - started:.0f} s")
    if broken or not all_passed(results, plans):
        cases = [line for plan in plans for line in junit_failures(logs / f"{plan.name}.xml")]
        write_recap([*broken, *cases] or ["a chapter left a section out: see the verify table"])
    if broken:
        session.error(f"verify: the battery could not run: {'; '.join(broken)}")
    if not all_passed(results, plans):
        session.error("verify: a chapter failed or left a section out (see the table above)")
