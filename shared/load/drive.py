"""The locust side of ``nox -s load``: step the users up, measure each step, write the steps.

``python -m shared.load.drive --host URL --server-pid PID --output FILE [options]``. It runs in
a process of its own because importing locust patches the standard library for gevent, which
the orchestrator (starting servers, waiting on subprocesses) should not live with.

Users persist from one step to the next: going from 100 to 200 users spawns 100 more, which log
in while they arrive. Statistics are reset once the step's users are all running and have
settled, so each step's figures are its steady state only: its own window, no ramp. After a
step that did not hold, every user is stopped and the next step starts afresh: users of an
overloaded step carry its backlog (and, where a request failed, a login to redo) into the next.
"""

import argparse
import json
import os
import time
from pathlib import Path

import gevent
from locust.env import Environment

from shared.load import cpu
from shared.load.locustfile import TodoUser
from shared.load.steps import Plan, held, next_users

LOOPBACK = "http://127.0.0.1:"


def measure(environment: Environment, users: int, options: argparse.Namespace) -> dict:
    """Bring the runner to ``users``, let it settle, then measure one window."""
    runner = environment.runner
    runner.start(users, spawn_rate=options.spawn_rate)
    runner.spawning_greenlet.join()
    gevent.sleep(options.settle)
    environment.stats.reset_all()
    before, started = cpu.sample(options.server_pid), time.monotonic()
    gevent.sleep(options.window)
    seconds = time.monotonic() - started
    used = cpu.usage(before, cpu.sample(options.server_pid), seconds)
    total = environment.stats.total
    step = {
        "users": users,
        "requests": total.num_requests,
        "failures": total.num_failures,
        "requests_per_s": round(total.num_requests / seconds, 1),
        "p50_ms": total.get_response_time_percentile(0.5),
        "p95_ms": total.get_response_time_percentile(0.95),
        "p99_ms": total.get_response_time_percentile(0.99),
        **used,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    step["requests_by_name"] = {
        f"{entry.method} {entry.name}": {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p95_ms": entry.get_response_time_percentile(0.95),
        }
        for entry in environment.stats.entries.values()
    }
    step["held"] = held(step["p95_ms"], step["failures"], step["requests"], options.limit_ms)
    step["errors"] = sorted({str(error.error) for error in environment.stats.errors.values()})[:5]
    return step


def run(options: argparse.Namespace) -> list[dict]:
    if not options.host.startswith(LOOPBACK):
        raise SystemExit(f"load: traffic goes to {LOOPBACK} only, not {options.host}")
    environment = Environment(user_classes=[TodoUser], host=options.host)
    environment.create_local_runner()
    plan = Plan(options.first, options.ceiling, options.refinements)
    steps: list[dict] = []
    try:
        users = next_users({}, plan)
        while users is not None:
            if steps and not steps[-1]["held"]:
                environment.runner.stop()
                gevent.sleep(options.settle)  # the server finishes what the users left
            step = measure(environment, users, options)
            steps.append(step)
            verdict = "held" if step["held"] else "did not hold"
            print(
                f"load: {users} users: {step['requests_per_s']} req/s, p95 {step['p95_ms']} ms, "
                f"{step['failures']} failed, server {step['server_cores']} cores: {verdict}",
                flush=True,
            )
            users = next_users({step["users"]: step["held"] for step in steps}, plan)
    finally:
        environment.runner.quit()
    return steps


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m shared.load.drive")
    parser.add_argument("--host", required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--limit-ms", type=float, required=True)
    parser.add_argument("--first", type=int, required=True)
    parser.add_argument("--ceiling", type=int, required=True)
    parser.add_argument("--refinements", type=int, required=True)
    parser.add_argument("--window", type=float, required=True)
    parser.add_argument("--settle", type=float, required=True)
    parser.add_argument("--spawn-rate", type=float, required=True)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    arguments.output.write_text(json.dumps(run(arguments), indent=2) + "\n")
