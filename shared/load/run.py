"""One load run: for each worker count, a fresh database, Redis prefix and server; then clean up.

Everything the run creates is removed whatever happens: the server is stopped, its Redis keys
(under a prefix of its own) deleted, its database dropped. Only the results stay.
"""

import importlib.metadata
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from shared.bench.apps import BCRYPT_ROUNDS, chapter_app, chapter_settings
from shared.bench.envs import Environment, chapter_environment
from shared.bench.errors import BenchmarkError
from shared.bench.machine import LIBRARIES, cpu_model, load_average, read_cpuinfo, utc_now
from shared.bench.postgres import DatabaseServer, plain_dsn
from shared.bench.servers import Server
from shared.chapters import REPOSITORY_ROOT, Chapter
from shared.load.capacity import THINK_TIME_S, Assumptions, plan
from shared.load.steps import Plan, first_failure_above, ladder, sustained

DATASTORE = Path(__file__).with_name("datastore.py")
SEEDED_COST = 4
"""bcrypt cost of the seeded accounts' hash; the server hashes at 12 (``datastore.py`` says why)."""


@dataclass(frozen=True)
class Options:
    chapter: Chapter
    workers: list[int]
    plan: Plan
    limit_ms: float
    window_s: float
    settle_s: float
    spawn_rate: float
    todos_per_account: int
    admin_url: str
    redis_url: str
    envs_dir: Path
    log_dir: Path
    quick: bool = False
    note: str | None = None

    @property
    def driver_timeout_s(self) -> float:
        """Far more than the steps can take: a driver that hangs is stopped, not waited for."""
        steps = len(ladder(self.plan)) + self.plan.refinements
        ramp = self.plan.ceiling / self.spawn_rate
        return 2 * (steps * (self.window_s + self.settle_s) + 2 * ramp) + 120


def log(message: str) -> None:
    print(f"load: {message}", flush=True)


def datastore(environment: Environment, *arguments: str, password: str = "") -> None:
    """Run ``datastore.py`` with the app's environment; a failure stops the run with its reason."""
    completed = subprocess.run(
        [environment.python, str(DATASTORE), *arguments],
        env={**os.environ, "LOADTEST_PASSWORD": password},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise BenchmarkError(f"datastore.py {arguments[0]}: {last}")


def drive(server: Server, options: Options, password: str) -> list[dict]:
    """The locust driver against ``server``, in its own process; the steps it measured."""
    with tempfile.TemporaryDirectory(prefix="loadh-") as scratch:
        output = Path(scratch) / "steps.json"
        command = [sys.executable, "-m", "shared.load.drive", "--host", server.base_url]
        command += ["--server-pid", str(server.process.pid), "--output", str(output)]
        command += ["--limit-ms", str(options.limit_ms), "--first", str(options.plan.first)]
        command += ["--ceiling", str(options.plan.ceiling)]
        command += ["--refinements", str(options.plan.refinements)]
        command += ["--window", str(options.window_s), "--settle", str(options.settle_s)]
        command += ["--spawn-rate", str(options.spawn_rate)]
        env = {
            **os.environ,
            "LOADTEST_PASSWORD": password,
            "LOADTEST_ACCOUNTS": str(options.plan.ceiling),
        }
        try:
            completed = subprocess.run(
                command, cwd=REPOSITORY_ROOT, env=env, timeout=options.driver_timeout_s
            )
        except subprocess.TimeoutExpired:
            raise BenchmarkError(
                f"the locust driver ran over {options.driver_timeout_s:.0f} s"
            ) from None
        if completed.returncode != 0 or not output.is_file():
            raise BenchmarkError(f"the locust driver failed (exit status {completed.returncode})")
        return json.loads(output.read_text())


def measure_workers(
    options: Options, environment: Environment, database: DatabaseServer, workers: int
) -> dict:
    """The steps for ch12 with ``workers`` workers, on a database and Redis prefix of its own."""
    load_at_start = load_average()
    database_url = database.create_database(f"load-{workers}w")
    prefix = f"neodyme-load-{secrets.token_hex(4)}:"
    password = secrets.token_urlsafe(18)
    settings = chapter_settings(database_url, secrets.token_urlsafe(48), workers)
    settings |= {"NEODYME_REDIS_URL": options.redis_url, "NEODYME_REDIS_KEY_PREFIX": prefix}
    key = f"load-{options.chapter.name}-{workers}-workers"
    server = Server(chapter_app(key, options.chapter, environment, settings), options.log_dir)
    try:
        log(f"{workers} worker(s): starting {options.chapter.name} (log: {server.log_path})")
        server.start()
        accounts, todos = options.plan.ceiling, options.todos_per_account
        log(f"{workers} worker(s): seeding {accounts} accounts with {todos} todos each")
        seeding = [plain_dsn(database_url), str(accounts), str(todos), str(SEEDED_COST)]
        datastore(environment, "seed", *seeding, password=password)
        steps = drive(server, options, password)
    finally:
        server.stop()
        datastore(environment, "clear-redis", options.redis_url, prefix)
        database.drop_all()
    best = sustained(steps)
    return {
        "workers": workers,
        "steps": steps,
        "sustained": best,
        "saturated": first_failure_above(steps, best["users"] if best else 0),
        "load_average": {"start": load_at_start, "end": load_average()},
    }


def describe_machine(environment: Environment, database: DatabaseServer) -> dict:
    return {
        "cores": os.cpu_count(),
        "cpu": cpu_model(read_cpuinfo()),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgresql": database.version(),
        "locust": importlib.metadata.version("locust"),
        "libraries": environment.versions(LIBRARIES),
    }


def best_run(runs: list[dict]) -> dict | None:
    """The worker count that sustained the most requests per second."""
    held = [run for run in runs if run["sustained"]]
    return max(held, key=lambda run: run["sustained"]["requests_per_s"]) if held else None


def run(options: Options) -> dict:
    started, load_at_start = time.monotonic(), load_average()
    measured_at = utc_now()
    environment = chapter_environment(options.envs_dir, options.chapter)
    database = DatabaseServer(options.admin_url, environment)
    machine = describe_machine(environment, database)
    runs = [measure_workers(options, environment, database, n) for n in options.workers]
    best = best_run(runs)
    capacity = None
    if best:
        ceiling = best["sustained"]
        capacity = plan(ceiling["requests_per_s"], ceiling["users"], Assumptions())
        capacity["workers"] = best["workers"]
    return {
        "measured_at": measured_at,
        "wall_time_s": round(time.monotonic() - started),
        "quick": options.quick,
        "note": options.note,
        "machine": machine,
        "load_average": {"start": load_at_start, "end": load_average()},
        "settings": {
            "chapter": options.chapter.name,
            "limit_ms": options.limit_ms,
            "first_users": options.plan.first,
            "ceiling_users": options.plan.ceiling,
            "refinements": options.plan.refinements,
            "window_s": options.window_s,
            "settle_s": options.settle_s,
            "spawn_rate": options.spawn_rate,
            "think_time_s": list(THINK_TIME_S),
            "accounts": options.plan.ceiling,
            "todos_per_account": options.todos_per_account,
            "server_bcrypt_cost": BCRYPT_ROUNDS,
            "seeded_bcrypt_cost": SEEDED_COST,
        },
        "runs": runs,
        "capacity": capacity,
    }
