"""The run: environments, databases and servers up; scenarios in alternating rounds; all down.

Every app runs for the whole benchmark (idle servers cost next to nothing), so a scenario's
rounds go A, B, A, B … without restarts, after one discarded warm-up of each side.
"""

import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from shared.bench.apps import (
    BCRYPT_ROUNDS,
    bare_app,
    chapter_app,
    chapter_settings,
    declares_setting,
    raw_asyncpg_app,
)
from shared.bench.envs import Environment, chapter_environment, reference_environment
from shared.bench.machine import LIBRARIES, describe_machine, load_average, utc_now
from shared.bench.measurement import Measurement
from shared.bench.postgres import DatabaseServer
from shared.bench.probe import LatencyProbe
from shared.bench.results import ScenarioResult
from shared.bench.scenarios import CACHE_OFF, Scenario, Side, has_cache
from shared.bench.seed import FORM, Seeded, seed
from shared.bench.servers import AppSpec, Server
from shared.bench.wrk import Load, run_wrk, wrk_path
from shared.chapters import Chapter

REFERENCE_APPS = ("bare", "asyncpg")
LOGIN_MIN_DURATION_S = 5

HASH_TIMER = """
import statistics, sys, time
import bcrypt
salt = bcrypt.gensalt(int(sys.argv[1]))
times = []
for _ in range(3):
    start = time.perf_counter()
    bcrypt.hashpw(b"benchmark password", salt)
    times.append(time.perf_counter() - start)
print(statistics.median(times))
"""
"""The time of one bcrypt hash at the configured cost (a login checks one), in seconds."""


def with_redis_database(url: str, offset: int) -> str:
    """``url`` with its logical database number (default 0) moved up by ``offset``."""
    parts = urlsplit(url)
    number = int(parts.path.strip("/") or 0) + offset
    return urlunsplit(parts._replace(path=f"/{number}"))


@dataclass(frozen=True)
class Options:
    subject: Chapter
    previous: Chapter | None
    """What the subject is compared with: the chapter before it, or (``--against``) the subject
    as it was at another revision."""
    scenarios: list[Scenario]
    rounds: int
    load: Load
    warmup_s: int
    todos: int
    admin_url: str
    redis_url: str | None
    envs_dir: Path
    log_dir: Path
    quick: bool = False
    note: str | None = None

    @property
    def login_load(self) -> Load:
        """Two logins in flight per core keep every core hashing.

        wrk counts only the requests that finish within the run, so a run loses about half a
        login latency's worth of logins per connection: a relative error of roughly
        latency / (2 × duration). Few connections keep the latency, and so the error, small,
        and the storm runs twice as long as the other measurements.
        """
        return replace(
            self.load,
            connections=2 * (os.cpu_count() or 1),
            duration_s=max(2 * self.load.duration_s, LOGIN_MIN_DURATION_S),
        )


class Benchmark:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.environments: dict[str, Environment] = {}
        self.servers: dict[str, Server] = {}
        self.seeds: dict[str, Seeded] = {}
        self.started = time.monotonic()

    def log(self, message: str) -> None:
        print(f"bench [{time.monotonic() - self.started:4.0f} s]: {message}", flush=True)

    @property
    def subject_environment(self) -> Environment:
        return self.environments[self.options.subject.name]

    def chapter_variants(self) -> dict[str, tuple[Chapter, int, dict[str, str]]]:
        """App key -> (chapter, workers, extra settings)."""
        variants = {}
        for chapter in filter(None, (self.options.subject, self.options.previous)):
            cache_off = CACHE_OFF if has_cache(chapter) else {}
            variants |= {
                chapter.name: (chapter, 1, {}),
                f"{chapter.name}-2-workers": (chapter, 2, cache_off),
                f"{chapter.name}-cache-off": (chapter, 1, cache_off),
            }
        return variants

    def run(self) -> dict:
        wrk_path()  # no wrk, no benchmark: say so before building anything
        started, load_before = utc_now(), load_average()
        needed = set().union(*(scenario.apps for scenario in self.options.scenarios))
        variants = self.chapter_variants()
        # The raw asyncpg app reads the subject's database: the subject always runs.
        keys = [key for key in variants if key in needed or key == self.options.subject.name]
        self.prepare_environments({variants[key][0] for key in keys}, needed)
        database = DatabaseServer(self.options.admin_url, self.subject_environment)
        try:
            # Migrating and seeding wait on the network half the time: start the apps together.
            with ThreadPoolExecutor() as pool:
                starts = [
                    pool.submit(self.start_chapter, key, *variants[key], database, index)
                    for index, key in enumerate(keys)
                ]
                for start in starts:
                    start.result()
            self.start_references(needed)
            results = [self.run_scenario(scenario) for scenario in self.options.scenarios]
        finally:
            for server in self.servers.values():
                server.stop()
            database.drop_all()
        return self.results(started, load_before, database.version(), results)

    def prepare_environments(self, chapters: set[Chapter], needed: set[str]) -> None:
        for chapter in sorted(chapters, key=lambda chapter: chapter.number):
            self.environments[chapter.name] = chapter_environment(self.options.envs_dir, chapter)
        if needed & set(REFERENCE_APPS):
            self.environments["reference"] = reference_environment(
                self.options.envs_dir, self.subject_environment
            )

    def start_chapter(
        self,
        key: str,
        chapter: Chapter,
        workers: int,
        extra: dict[str, str],
        database: DatabaseServer,
        index: int,
    ) -> None:
        settings = chapter_settings(
            database.create_database(key), secrets.token_urlsafe(48), workers
        )
        settings.update(extra)
        if self.options.redis_url and declares_setting(chapter, "NEODYME_REDIS_URL"):
            # Every app has its own data, so each gets a logical Redis database of its own.
            settings["NEODYME_REDIS_URL"] = with_redis_database(self.options.redis_url, index)
        spec = chapter_app(key, chapter, self.environments[chapter.name], settings)
        self.start(spec)
        self.log(f"seeding {key} with {self.options.todos} todos")
        self.seeds[key] = seed(self.servers[key].port, self.options.todos)

    def start_references(self, needed: set[str]) -> None:
        reference = self.environments.get("reference")
        subject = self.options.subject.name
        if "bare" in needed:
            self.start(bare_app(reference))
        if "asyncpg" in needed:
            database_url = self.servers[subject].spec.env["NEODYME_DATABASE_URL"]
            self.start(raw_asyncpg_app(reference, database_url))
        for key in REFERENCE_APPS:
            self.seeds[key] = self.seeds[subject]  # they serve the subject's data

    def start(self, spec: AppSpec) -> None:
        self.log(f"starting {spec.label}")
        server = Server(spec, self.options.log_dir)
        self.servers[spec.key] = server
        server.start()

    def run_scenario(self, scenario: Scenario) -> ScenarioResult:
        rounds = self.options.rounds
        self.log(f"{scenario.name}: warming up")
        self.warm_up(scenario.a)
        self.warm_up(scenario.b)
        a_rounds, b_rounds = [], []
        for number in range(1, rounds + 1):
            a_rounds.append(self.measure(scenario.a))
            b_rounds.append(self.measure(scenario.b))
            self.log(
                f"{scenario.name} round {number}/{rounds}: "
                f"A {a_rounds[-1].value:,.1f}, B {b_rounds[-1].value:,.1f} {scenario.unit}"
            )
        return ScenarioResult(
            name=scenario.name,
            title=scenario.title,
            subject=self.options.subject.name,
            a_label=scenario.a.label,
            b_label=scenario.b.label,
            unit=scenario.unit,
            a_rounds=a_rounds,
            b_rounds=b_rounds,
            target=scenario.target,
        )

    def target(self, side: Side) -> tuple[str, dict[str, str]]:
        """The URL and headers of a side's request."""
        server, seeded = self.servers[side.app], self.seeds[side.app]
        url = server.base_url + side.path.format(user_id=seeded.user_id)
        headers = {"Authorization": f"Bearer {seeded.access_token}"} if side.authenticated else {}
        return url, headers

    def warm_up(self, side: Side) -> None:
        """One discarded run, so first-request costs fall outside the rounds.

        Nothing to warm in bcrypt: the storm and the ceiling start cold.
        """
        if side.path is not None and not side.login:
            url, headers = self.target(side)
            run_wrk(
                url, replace(self.options.load, duration_s=self.options.warmup_s), headers=headers
            )

    def measure(self, side: Side) -> Measurement:
        if side.path is None:
            return self.bcrypt_ceiling()
        url, headers = self.target(side)
        if not side.login:
            return run_wrk(url, self.options.load, headers=headers)
        headers["Content-Type"] = FORM
        body = self.seeds[side.app].login_form
        with LatencyProbe(self.servers[side.app].port) as probe:
            storm = run_wrk(url, self.options.login_load, method="POST", body=body, headers=headers)
        return replace(storm, extra={"health_p99_ms": probe.p99_ms()})

    def bcrypt_ceiling(self) -> Measurement:
        """Logins per second bcrypt allows: every core hashing all the time."""
        seconds = float(self.subject_environment.run_python(HASH_TIMER, str(BCRYPT_ROUNDS)))
        cores = os.cpu_count() or 1
        return Measurement(value=cores / seconds, extra={"hash_ms": seconds * 1000})

    def results(
        self,
        started: str,
        load_before: list[float],
        postgresql: str,
        results: list[ScenarioResult],
    ) -> dict:
        options = self.options
        environments = {
            name: environment.versions(LIBRARIES) for name, environment in self.environments.items()
        }
        return {
            "date": started,
            "finished": utc_now(),
            "quick": options.quick,
            "note": options.note,
            "settings": {
                "subject": options.subject.name,
                "rounds": options.rounds,
                "duration_s": options.load.duration_s,
                "warmup_s": options.warmup_s,
                "connections": options.load.connections,
                "login_connections": options.login_load.connections,
                "login_duration_s": options.login_load.duration_s,
                "threads": options.load.threads,
                "todos": options.todos,
                "bcrypt_rounds": BCRYPT_ROUNDS,
                "redis": bool(options.redis_url),
            },
            "load_average": {"start": load_before, "end": load_average()},
            "machine": describe_machine(
                environments[options.subject.name], environments, postgresql
            ),
            "scenarios": [result.to_json() for result in results],
        }
