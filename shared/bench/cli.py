"""``nox -s bench [-- options]`` (or ``python -m shared.bench``): run, record, print the table."""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from shared.bench.envs import ensure_environment
from shared.bench.errors import BenchmarkError
from shared.bench.markdown import render_markdown
from shared.bench.postgres import admin_url_from_environment
from shared.bench.revision import chapter_at
from shared.bench.runner import Benchmark, Options
from shared.bench.scenarios import (
    CACHE_SETTING,
    MIN_CHAPTER,
    TARGET_CHAPTER,
    against_scenarios,
    all_scenarios,
    has_cache,
)
from shared.bench.wrk import Load
from shared.chapters import REPOSITORY_ROOT, discover_chapters, discover_tracks

FULL = {"rounds": 5, "duration": 10, "warmup": 3, "todos": 300}
QUICK = {"rounds": 2, "duration": 1, "warmup": 1, "todos": 100}
"""wrk takes whole seconds only."""
RESULTS_DIR = REPOSITORY_ROOT / "benchmarks"
QUICK_RESULTS_DIR = REPOSITORY_ROOT / "build" / "bench-quick"
"""A smoke run never overwrites the committed results unless ``--output`` says so."""
AGAINST_DIR = REPOSITORY_ROOT / "build" / "bench-against"
"""``--against``: the chapters exported from other revisions, and the results (unless
``--output``); a comparison with the past is a check, not the book's figures."""


def positive(text: str) -> int:
    """An argparse type: a whole number above zero (wrk takes whole seconds too)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a whole number above zero, not {text}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="nox -s bench --", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run of about a minute")
    parser.add_argument(
        "--scenario", action="append", metavar="NAME", help="run only this one (repeatable)"
    )
    parser.add_argument("--list", action="store_true", help="list the scenarios and stop")
    parser.add_argument(
        "--graph",
        action="store_true",
        help="only the graph side track's question: recursive SQL against Cypher "
        "(results in benchmarks/graph)",
    )
    parser.add_argument("--chapter", help="the chapter under test (default: the newest)")
    parser.add_argument(
        "--against",
        metavar="REV",
        help="compare the chapter with itself at git revision REV instead (the same requests on "
        "both sides; below 0.95 a change cost more than 5 %%)",
    )
    parser.add_argument("--rounds", type=positive, help="A/B rounds per scenario (default 5)")
    parser.add_argument("--duration", type=positive, help="seconds per side and round (default 10)")
    parser.add_argument("--warmup", type=positive, help="discarded seconds per side (default 3)")
    parser.add_argument("--connections", type=positive, default=16, help="wrk connections")
    parser.add_argument("--todos", type=positive, help="todos seeded per app (default 300)")
    parser.add_argument(
        "--admin-url",
        default=admin_url_from_environment(),
        help=("PostgreSQL admin URL (default: $NEODYME_TEST_POSTGRES_URL or the local server)"),
    )
    parser.add_argument(
        "--redis-url",
        help="Redis for the chapters that can use it; each app gets its own logical database, "
        "counting up from this URL's",
    )
    parser.add_argument("--output", type=Path, help="where results.json and results.md go")
    parser.add_argument("--note", help="a remark stored with the results (e.g. the conditions)")
    parser.add_argument(
        "--render", type=Path, metavar="JSON", help="only print the Markdown of a results file"
    )
    return parser.parse_args(argv)


def build_options(args: argparse.Namespace) -> Options:
    chapters = {chapter.name: chapter for chapter in discover_chapters()}
    subject = chapters.get(args.chapter) if args.chapter else list(chapters.values())[-1]
    if subject is None or subject.number < MIN_CHAPTER:
        eligible = ", ".join(name for name, c in chapters.items() if c.number >= MIN_CHAPTER)
        raise BenchmarkError(f"--chapter must be one of {eligible}")
    previous = chapters.get(f"ch{subject.number - 1:02d}")
    if subject.name == TARGET_CHAPTER and not has_cache(subject):
        print(
            f"bench: warning: {subject.name} declares no {CACHE_SETTING} in .env.example, "
            "so the cache scenarios are left out",
            file=sys.stderr,
        )
    if args.against:
        previous = chapter_at(args.against, subject, AGAINST_DIR)
        scenarios = against_scenarios(subject, previous)
    else:
        scenarios = all_scenarios(subject, previous)
    available = {scenario.name: scenario for scenario in scenarios}
    unknown = sorted(set(args.scenario or []) - set(available))
    if unknown:
        raise BenchmarkError(
            f"no scenario {', '.join(unknown)} for {subject.name}; "
            f"choose from {', '.join(available)}"
        )
    defaults = QUICK if args.quick else FULL
    return Options(
        subject=subject,
        previous=previous,
        scenarios=[s for s in available.values() if not args.scenario or s.name in args.scenario],
        rounds=args.rounds or defaults["rounds"],
        load=Load(duration_s=args.duration or defaults["duration"], connections=args.connections),
        warmup_s=defaults["warmup"] if args.warmup is None else args.warmup,
        todos=args.todos or defaults["todos"],
        admin_url=args.admin_url,
        redis_url=args.redis_url,
        envs_dir=REPOSITORY_ROOT / ".nox" / "bench-envs",
        log_dir=REPOSITORY_ROOT / "build" / "bench-logs",
        quick=args.quick,
        note=args.note,
    )


def default_output(args: argparse.Namespace) -> Path:
    if args.against:
        return AGAINST_DIR
    return QUICK_RESULTS_DIR if args.quick else RESULTS_DIR


def read_results(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BenchmarkError(f"cannot read results from {path}: {exc}") from None


def write_results(results: dict, directory: Path, render=render_markdown) -> str:
    """``results.json`` and the ``results.md`` that ``render`` makes of it; that Markdown."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "results.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    )
    markdown = render(results)
    (directory / "results.md").write_text(markdown)
    return markdown


def run_graph_benchmark(args: argparse.Namespace) -> int:
    """``shared.bench.graph`` inside the graph track's own environment (its test extra brings
    the Bolt server); results in ``benchmarks/graph`` unless ``--output`` says otherwise."""
    tracks = {track.track: track for track in discover_tracks()}
    if "graph" not in tracks:
        raise BenchmarkError("there is no graph side track (chapters/ch12-graph)")
    track = tracks["graph"]
    environment = ensure_environment(
        REPOSITORY_ROOT / ".nox" / "bench-envs" / track.name,
        (track.path / "pyproject.toml").read_text(),
        ["-e", f"{track.path}[test]"],
    )
    output = args.output or RESULTS_DIR / "graph"
    command = [environment.python, "-m", "shared.bench.graph", "--admin-url", args.admin_url]
    command += ["--track", str(track.path), "--output", str(output), "--note", args.note or ""]
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY_ROOT)}
    return subprocess.run(command, env=env, cwd=REPOSITORY_ROOT, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.render:
            print(render_markdown(read_results(args.render)))
            return 0
        if args.graph:
            if args.against:
                raise BenchmarkError("--against compares a chapter's requests, not --graph")
            return run_graph_benchmark(args)
        options = build_options(args)
        if args.list:
            for scenario in options.scenarios:
                print(f"{scenario.name:16} {scenario.a.label}  vs  {scenario.b.label}")
            return 0
        results = Benchmark(options).run()
    except BenchmarkError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    output = args.output or default_output(args)
    print(write_results(results, output))
    print(f"bench: results in {output}")
    return 0
