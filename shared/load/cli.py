"""``nox -s load [-- options]`` (or ``python -m shared.load``): measure, record, print.

The full run writes ``benchmarks/load/results.json`` and ``results.md``; ``--quick`` is a smoke
of under a minute (one worker, two small steps) that writes ``build/load-quick/`` instead.
"""

import argparse
import json
import sys
from pathlib import Path

from shared.bench.cli import write_results
from shared.bench.errors import BenchmarkError
from shared.bench.postgres import admin_url_from_environment
from shared.chapters import REPOSITORY_ROOT, latest_chapter
from shared.load.report import render_markdown
from shared.load.run import Options, run
from shared.load.steps import Plan

FULL = {
    "first": 25,
    "ceiling": 3200,
    "refinements": 2,
    "window": 30,
    "settle": 5,
    "workers": [1, 2],
}
QUICK = {"first": 5, "ceiling": 10, "refinements": 0, "window": 5, "settle": 1, "workers": [1]}
RESULTS_DIR = REPOSITORY_ROOT / "benchmarks" / "load"
QUICK_RESULTS_DIR = REPOSITORY_ROOT / "build" / "load-quick"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="nox -s load --", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run of under a minute")
    parser.add_argument("--workers", type=int, action="append", help="server workers (repeatable)")
    parser.add_argument("--limit-ms", type=float, default=200, help="p95 limit (default 200)")
    parser.add_argument("--first", type=int, help="users in the first step (default 25)")
    parser.add_argument("--ceiling", type=int, help="never more users than this (default 3200)")
    parser.add_argument("--refinements", type=int, help="steps between held and failed (2)")
    parser.add_argument("--window", type=float, help="seconds measured per step (default 30)")
    parser.add_argument("--settle", type=float, help="seconds after a ramp, unmeasured (5)")
    parser.add_argument("--spawn-rate", type=float, default=20, help="new users a second (20)")
    parser.add_argument("--todos", type=int, default=30, help="todos seeded per account (30)")
    parser.add_argument("--admin-url", default=admin_url_from_environment(), help="PostgreSQL")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="Redis for the app")
    parser.add_argument("--output", type=Path, help="where results.json and results.md go")
    parser.add_argument("--note", help="a remark stored with the results (e.g. the conditions)")
    parser.add_argument("--render", type=Path, metavar="JSON", help="only print a results file")
    return parser.parse_args(argv)


def build_options(args: argparse.Namespace) -> Options:
    defaults = QUICK if args.quick else FULL

    def chosen(name: str):
        value = getattr(args, name)
        return defaults[name] if value is None else value

    return Options(
        chapter=latest_chapter(REPOSITORY_ROOT),
        workers=chosen("workers"),
        plan=Plan(chosen("first"), chosen("ceiling"), chosen("refinements")),
        limit_ms=args.limit_ms,
        window_s=chosen("window"),
        settle_s=chosen("settle"),
        spawn_rate=args.spawn_rate,
        todos_per_account=args.todos,
        admin_url=args.admin_url,
        redis_url=args.redis_url,
        envs_dir=REPOSITORY_ROOT / ".nox" / "load-envs",
        log_dir=REPOSITORY_ROOT / "build" / "load-logs",
        quick=args.quick,
        note=args.note,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.render:
            print(render_markdown(json.loads(args.render.read_text())))
            return 0
        results = run(build_options(args))
    except (BenchmarkError, OSError, ValueError) as exc:
        print(f"load: error: {exc}", file=sys.stderr)
        return 1
    output = args.output or (QUICK_RESULTS_DIR if args.quick else RESULTS_DIR)
    print(write_results(results, output, render=render_markdown))
    print(f"load: results in {output}; the run took {results['wall_time_s']} s")
    return 0
