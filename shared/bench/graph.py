"""Recursive SQL on PostgreSQL against Cypher on a Bolt server, on one generated graph.

The graph side track answers "what blocks this todo, transitively?" from either database. This
measures both answers to the same questions, on the same machine, in one run: the track's own
query code on each side (``BlockerRepository.transitive`` and ``Graph.transitive_blockers``),
so the figures are the app's, not a hand-tuned query's. "What can I do next?" is a one-step
question; it is measured too (the app's SQL against the equivalent Cypher), because it is the
question where the graph is least likely to help.

Run inside the track's environment (``nox -s bench -- --graph`` builds it and calls this):
``python -m shared.bench.graph --admin-url URL --track DIR --output DIR``. What only that
environment has (SQLAlchemy, the track's ``neodyme``) is imported where it is used, so the
tooling's tests can import the rest.

The graph (one user, ``TODOS`` todos): a chain of 10 and a chain of 50 blockers, a tree of
fan-out 3 and depth 7 (3,280 todos), a lattice two todos wide and 12 deep (25 todos, 4,096
paths from its top to its bottom), and the rest in short random chains, as a real list would
be. Every question is asked ``CALLS`` times per side and round, sides alternating, ``ROUNDS``
rounds; each call's latency is kept and the medians are compared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

from shared.bench.postgres import plain_dsn, with_database
from shared.bolt import USER, BoltServer, bolt_server

TODOS = 10_000
CHAINS = (10, 50)
FAN_OUT, TREE_DEPTH = 3, 7
LATTICE_WIDTH, LATTICE_DEPTH = 2, 12
"""A lattice: each todo blocked by every todo of the next layer, so the number of *paths*
doubles with each layer while the number of todos grows by two."""
CALLS = 30
ROUNDS = 5
WARMUP_CALLS = 5
SEED = 20261206
PASSWORD = "bench-graph-password"
NEXT_CYPHER = (
    "MATCH (t:Todo {user_id: $user_id}) WHERE t.completed = false "
    "AND NOT EXISTS { MATCH (t)-[:BLOCKED_BY]->(b:Todo) WHERE b.completed = false } "
    "RETURN t.id AS id"
)
"""The todos that are next, as the graph would answer it (the app asks SQL)."""


@dataclass(frozen=True)
class Question:
    name: str
    sql: Callable[[], Awaitable[list]]
    cypher: Callable[[], Awaitable[list]]


def generated_graph(first_id: int) -> tuple[list[tuple[int, int]], dict[str, tuple[int, int]]]:
    """The blocker edges ``(todo, blocker)`` over ids ``first_id …``, and each question's
    ``(todo, depth)``: the chains' and the tree's roots."""
    rng = random.Random(SEED)
    edges: list[tuple[int, int]] = []
    roots: dict[str, tuple[int, int]] = {}
    next_id = first_id
    for length in CHAINS:
        chain = list(range(next_id, next_id + length + 1))
        edges += list(pairwise(chain))
        roots[f"chain of {length}"] = (chain[0], length)
        next_id += length + 1
    level = [next_id]
    tree_root, next_id = next_id, next_id + 1
    for _ in range(TREE_DEPTH):
        children = []
        for parent in level:
            for _ in range(FAN_OUT):
                edges.append((parent, next_id))
                children.append(next_id)
                next_id += 1
        level = children
    roots[f"tree, fan-out {FAN_OUT}, depth {TREE_DEPTH}"] = (tree_root, TREE_DEPTH)
    level, lattice_root = [next_id], next_id
    next_id += 1
    for _ in range(LATTICE_DEPTH):
        layer = list(range(next_id, next_id + LATTICE_WIDTH))
        edges += [(todo, blocker) for todo in level for blocker in layer]
        level, next_id = layer, next_id + LATTICE_WIDTH
    roots[f"lattice, width {LATTICE_WIDTH}, depth {LATTICE_DEPTH}"] = (lattice_root, LATTICE_DEPTH)
    rest = list(range(next_id, first_id + TODOS))
    for todo, blocker in pairwise(rest):
        if rng.random() < 0.5:
            edges.append((todo, blocker))
    return edges, roots


async def seed(url: str) -> tuple[int, dict[str, tuple[int, int]], int]:
    """One user with ``TODOS`` todos (a fifth of them completed) and the generated blockers."""
    from sqlalchemy import insert, text
    from sqlalchemy.ext.asyncio import create_async_engine

    from neodyme.models.blocker import TodoBlocker
    from neodyme.models.todo import Todo
    from neodyme.models.user import User

    engine = create_async_engine(url)
    rng = random.Random(SEED)
    try:
        async with engine.begin() as connection:
            user_id = (
                await connection.execute(
                    insert(User).returning(User.id),
                    {"email": "graph@example.com", "full_name": "Graph", "hashed_password": "-"},
                )
            ).scalar_one()
            now = datetime.now(UTC)
            rows = [
                {
                    "title": f"todo {index}",
                    "user_id": user_id,
                    "completed": rng.random() < 0.2,
                    "created_at": now,
                    "updated_at": now,
                }
                for index in range(TODOS)
            ]
            await connection.execute(insert(Todo), rows)
            first_id = (await connection.execute(text("SELECT min(id) FROM todo"))).scalar_one()
            edges, roots = generated_graph(first_id)
            await connection.execute(
                insert(TodoBlocker), [{"todo_id": a, "blocker_id": b} for a, b in edges]
            )
            await connection.execute(text("ANALYZE"))
        return user_id, roots, len(edges)
    finally:
        await engine.dispose()


def migrate(track: Path, url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=track,
        env={**os.environ, "NEODYME_DATABASE_URL": url},
        check=True,
        capture_output=True,
    )


async def timed_calls(call: Callable[[], Awaitable[list]], count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        await call()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
    }


async def measure(url: str, bolt: BoltServer, user_id: int, roots: dict) -> dict:
    from sqlalchemy import text

    from neodyme.core.database import create_engine, create_sessionmaker
    from neodyme.graph.client import Graph
    from neodyme.repositories.blocker import BlockerRepository
    from neodyme.services.projection import rebuild

    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    graph = Graph(bolt.url, (USER, bolt.password), bolt.database, 30.0)
    try:
        started = time.perf_counter()
        projected = await rebuild(sessionmaker, graph)
        rebuild_seconds = time.perf_counter() - started

        async def sql_blockers(todo: int, depth: int) -> list:
            async with sessionmaker() as session:
                return await BlockerRepository(session).transitive(todo, depth)

        async def sql_next() -> list:
            async with sessionmaker() as session:
                rows = await BlockerRepository(session).next_page(user_id, TODOS, None)
                return sorted(row.id for row in rows)

        async def cypher_next() -> list:
            return sorted(row["id"] for row in await graph.read(NEXT_CYPHER, user_id=user_id))

        questions = [
            Question(
                f"blockers: {name}",
                lambda todo=todo, depth=depth: sql_blockers(todo, depth),
                lambda todo=todo, depth=depth: graph.transitive_blockers(todo, depth),
            )
            for name, (todo, depth) in roots.items()
        ]
        questions.append(
            Question("next: every open todo with no open blocker", sql_next, cypher_next)
        )
        results = []
        for question in questions:
            sql_answer, cypher_answer = await question.sql(), await question.cypher()
            if sql_answer != cypher_answer:
                raise SystemExit(f"bench: SQL and Cypher disagree on {question.name!r}")
            sides: dict[str, list[float]] = {"sql": [], "cypher": []}
            for call in (question.sql, question.cypher):
                await timed_calls(call, WARMUP_CALLS)
            for _ in range(ROUNDS):
                for side, call in (("sql", question.sql), ("cypher", question.cypher)):
                    sides[side] += await timed_calls(call, CALLS)
            sql, cypher = summary(sides["sql"]), summary(sides["cypher"])
            results.append(
                {
                    "question": question.name,
                    "rows": len(sql_answer),
                    "sql": sql,
                    "cypher": cypher,
                    "sql_over_cypher": round(sql["median_ms"] / cypher["median_ms"], 2),
                }
            )
            print(
                f"bench: {question.name}: {len(sql_answer)} rows, SQL {sql['median_ms']} ms, "
                f"Cypher {cypher['median_ms']} ms (medians)",
                flush=True,
            )
        async with sessionmaker() as session:
            server = (await session.execute(text("SHOW server_version"))).scalar_one()
        return {
            "postgresql": f"PostgreSQL {server}",
            "questions": results,
            "projection": {
                "todos": projected.todos,
                "blockers": projected.blockers,
                "rebuild_seconds": round(rebuild_seconds, 2),
                "graph_server_rss_mib": round(bolt.rss_mib(), 1),
            },
        }
    finally:
        await graph.close()
        await engine.dispose()


def render_markdown(results: dict) -> str:
    graph, projection = results["graph"], results["projection"]
    lines = [
        f"Measured {results['measured']} with `nox -s bench -- --graph` on the graph side track: "
        f"its own queries, recursive SQL on PostgreSQL against Cypher on its Bolt server, on one "
        f"generated graph of {graph['todos']:,} todos and {graph['blockers']:,} blockers; "
        f"{results['method']}.",
        "",
        f"Machine: {results['machine']}; {results['versions']}. Load average (1 min): "
        f"{results['load'][0]} at the start, {results['load'][1]} at the end.",
        "",
        "| question | rows | recursive SQL, PostgreSQL (median / p95 ms) "
        "| Cypher, Bolt server (median / p95 ms) | SQL ÷ Cypher |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in results["questions"]:
        sql, cypher = row["sql"], row["cypher"]
        lines.append(
            f"| {row['question']} | {row['rows']:,} | {sql['median_ms']} / {sql['p95_ms']} "
            f"| {cypher['median_ms']} / {cypher['p95_ms']} | {row['sql_over_cypher']} |"
        )
    lines += [
        "",
        f"Projecting everything (`graph rebuild`): {projection['rebuild_seconds']} s. "
        f"The graph server's memory afterwards: {projection['graph_server_rss_mib']} MiB.",
        "",
    ]
    return "\n".join(lines)


def versions() -> str:
    """The versions that decide the figures: the servers' and the drivers'."""
    from importlib.metadata import version

    names = ("neo4j", "arcadedb-embedded", "sqlalchemy", "asyncpg")
    return ", ".join(f"{name} {version(name)}" for name in names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.bench.graph", description=__doc__)
    parser.add_argument("--admin-url", required=True, help="a PostgreSQL administrator's URL")
    parser.add_argument("--track", type=Path, required=True, help="the track's folder")
    parser.add_argument("--output", type=Path, required=True, help="where results go")
    parser.add_argument("--note", default="", help="a remark stored with the results")
    args = parser.parse_args(argv)
    from shared.bench.pgadmin import main as pgadmin

    started, load_at_start = datetime.now(UTC), round(os.getloadavg()[0], 2)
    name = f"neodyme_bench_graph_{uuid.uuid4().hex[:8]}"
    url = with_database(args.admin_url, name)
    asyncio.run(pgadmin(plain_dsn(args.admin_url), "create", name))
    try:
        migrate(args.track, url)
        user_id, roots, blockers = asyncio.run(seed(url))
        with (
            tempfile.TemporaryDirectory(prefix="bench-graph-") as folder,
            bolt_server(args.track, Path(folder), PASSWORD) as bolt,
        ):
            measured = asyncio.run(measure(url, bolt, user_id, roots))
    finally:
        asyncio.run(pgadmin(plain_dsn(args.admin_url), "drop", name))
    results = {
        "measured": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}, {measured.pop('postgresql')}",
        "versions": versions(),
        "load": [load_at_start, round(os.getloadavg()[0], 2)],
        "method": f"{CALLS} calls per side and round, sides alternating, {ROUNDS} rounds, "
        f"after {WARMUP_CALLS} warm-up calls; one connection each, one call at a time",
        "note": args.note,
        "graph": {"todos": TODOS, "blockers": blockers},
        **measured,
    }
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    markdown = render_markdown(results)
    (args.output / "results.md").write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
