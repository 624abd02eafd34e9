"""The graph projection: the outbox carries every change to the graph, which answers the same
questions as SQL, and the app serves on when the graph does not."""

import asyncio
import random
from contextlib import asynccontextmanager

import pytest
from conftest import make_settings, serve
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import create_async_engine
from test_blockers import add_todos, block, blockers_of

from neodyme.__main__ import main, rebuild_graph_command
from neodyme.core.config import get_settings
from neodyme.core.database import create_sessionmaker
from neodyme.graph import client as graph_client
from neodyme.graph import cypher
from neodyme.graph.client import create_graph
from neodyme.main import create_app
from neodyme.models.blocker import TodoBlocker
from neodyme.models.graph_outbox import GraphOutbox
from neodyme.models.todo import Todo
from neodyme.models.user import User
from neodyme.repositories.blocker import BlockerRepository
from neodyme.services import projection
from neodyme.services.projection import rebuild


@pytest.fixture
def settings(database_url, graph_settings):
    return make_settings(database_url, **graph_settings)


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
async def client(app):
    async with serve(app) as client:
        yield client


def graph_state(graph_server) -> tuple[set, set]:
    """Every todo node ``(id, user_id, completed)`` and every edge ``(todo, blocker)``."""
    todos = graph_server.run(
        "MATCH (t:Todo) RETURN t.id AS id, t.user_id AS user_id, t.completed AS completed"
    )
    edges = graph_server.run(
        "MATCH (a:Todo)-[:BLOCKED_BY]->(b:Todo) RETURN a.id AS todo_id, b.id AS blocker_id"
    )
    return (
        {(todo["id"], todo["user_id"], todo["completed"]) for todo in todos},
        {(edge["todo_id"], edge["blocker_id"]) for edge in edges},
    )


async def database_state(database_url: str) -> tuple[set, set]:
    """The same, as the database holds it: what the graph must end up equal to."""
    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        todos = await connection.execute(select(Todo.id, Todo.user_id, Todo.completed))
        edges = await connection.execute(select(TodoBlocker.todo_id, TodoBlocker.blocker_id))
        state = ({tuple(row) for row in todos}, {tuple(row) for row in edges})
    await engine.dispose()
    return state


async def outbox_kinds(database_url: str) -> list[str]:
    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        kinds = (await connection.scalars(select(GraphOutbox.kind).order_by(GraphOutbox.id))).all()
    await engine.dispose()
    return list(kinds)


async def eventually(condition) -> None:
    """Poll ``condition`` (async) until it holds; fail if it has not within 20 seconds."""
    for _ in range(400):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the condition never held")


async def drained(database_url: str) -> None:
    async def empty() -> bool:
        return await outbox_kinds(database_url) == []

    await eventually(empty)


def reads_from(app, source: str) -> float:
    registry = app.state.resources.metrics.registry
    return registry.get_sample_value("neodyme_blocker_reads_total", {"source": source}) or 0


async def some_blockers(client, account) -> list[int]:
    """a waits for b, b for c; d is completed and waits for nothing; e is deleted."""
    a, b, c, d, e = await add_todos(client, account, 5)
    await block(client, account, a, b)
    await block(client, account, b, c)
    await block(client, account, e, a)
    await client.patch(f"/todos/{d}", json={"completed": True}, headers=account.headers)
    await client.delete(f"/todos/{e}", headers=account.headers)
    return [a, b, c, d]


async def test_every_write_reaches_the_graph_after_commit(client, ada, database_url, graph_server):
    a, b, c, _ = await some_blockers(client, ada)

    await drained(database_url)

    assert graph_state(graph_server) == await database_state(database_url)
    assert graph_state(graph_server)[1] == {(a, b), (b, c)}


async def test_deleting_a_user_deletes_their_todos_from_the_graph(
    client, ada, grace, database_url, graph_server
):
    await some_blockers(client, ada)
    await some_blockers(client, grace)

    await client.delete(f"/users/{ada.user['id']}", headers=ada.headers)
    await drained(database_url)

    todos, _ = graph_state(graph_server)
    assert {user_id for _, user_id, _ in todos} == {grace.user["id"]}
    assert graph_state(graph_server) == await database_state(database_url)


async def test_the_outbox_row_is_written_in_the_writes_own_transaction(
    app, client, ada, database_url
):
    await app.state.resources.projector.stop()
    todo, blocker = await add_todos(client, ada, 2)
    await block(client, ada, todo, blocker)
    written = await outbox_kinds(database_url)

    refused = [
        await block(client, ada, blocker, todo),  # a cycle: 409
        await client.delete(f"/todos/{blocker}/blockers/{todo}", headers=ada.headers),  # 404
    ]

    assert written == ["todo_saved", "todo_saved", "blocker_added"]
    assert [response.status_code for response in refused] == [409, 404]
    assert await outbox_kinds(database_url) == written


async def test_a_crash_between_commit_and_projection_is_repaired_at_the_next_start(
    app, client, ada, settings, database_url, graph_server
):
    await app.state.resources.projector.stop()  # the process dies before its worker runs
    await some_blockers(client, ada)
    assert graph_state(graph_server) == (set(), set())

    async with serve(create_app(settings)):  # the next start drains what was left
        await drained(database_url)

    assert graph_state(graph_server) == await database_state(database_url)


async def test_a_batch_applied_twice_leaves_the_graph_as_once(
    app, client, ada, database_url, graph_server, monkeypatch
):
    """The graph accepted the batch but the process died before deleting its rows."""
    projector = app.state.resources.projector
    await projector.stop()  # from here on this test drains by hand
    await some_blockers(client, ada)

    async def crash(self, rows):
        raise asyncio.CancelledError

    with monkeypatch.context() as patched:
        patched.setattr(projection.OutboxRepository, "remove", crash)
        with pytest.raises(asyncio.CancelledError):
            await projector.drain()
    once = graph_state(graph_server)
    assert once == await database_state(database_url)
    assert len(await outbox_kinds(database_url)) == 10

    assert await projector.drain() == 10

    assert graph_state(graph_server) == once
    edges = graph_server.run("MATCH (:Todo)-[r:BLOCKED_BY]->(:Todo) RETURN count(r) AS n")
    assert edges == [{"n": 2}]


async def test_blockers_are_read_from_the_graph_once_it_holds_the_users_writes(
    app, client, ada, database_url
):
    await app.state.resources.projector.stop()
    a, b, c, _ = await some_blockers(client, ada)

    pending = await blockers_of(client, ada, a)  # the graph is behind: SQL answers
    assert reads_from(app, "sql") == 1
    await app.state.resources.projector.drain()
    caught_up = await blockers_of(client, ada, a)

    assert pending == caught_up == [(b, 1), (c, 2)]
    assert reads_from(app, "graph") == 1


class BoltProxy:
    """A TCP proxy in front of the Bolt server, which a test cuts and restores: an outage."""

    def __init__(self, target: str) -> None:
        self.target_host, _, port = target.removeprefix("bolt://").rpartition(":")
        self.target_port = int(port)
        self.port = 0
        self.connections: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        self.server = await asyncio.start_server(self.forward, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.server.close()
        for connection in self.connections:
            connection.close()
        self.connections.clear()

    async def forward(self, reader, writer) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(
            self.target_host, self.target_port
        )
        self.connections += [writer, upstream_writer]

        async def pipe(source, destination) -> None:
            try:
                while data := await source.read(65536):
                    destination.write(data)
                    await destination.drain()
            except OSError:
                pass
            finally:
                destination.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


@asynccontextmanager
async def graph_behind_proxy(settings, graph_settings):
    proxy = BoltProxy(graph_settings["graph_url"])
    await proxy.start()
    app = create_app(settings.model_copy(update={"graph_url": f"bolt://127.0.0.1:{proxy.port}"}))
    async with serve(app) as client:
        yield app, client, proxy
    await proxy.stop()


async def test_while_the_graph_is_down_sql_answers_and_the_outbox_catches_up_later(
    settings, graph_settings, database_url, graph_server, make_account, monkeypatch
):
    monkeypatch.setattr(projection, "FIRST_BACKOFF_SECONDS", 0.05)
    monkeypatch.setattr(graph_client, "BACKOFF_SECONDS", 0.05)
    async with graph_behind_proxy(settings, graph_settings) as (app, client, proxy):
        ada = await make_account("ada@example.com")
        a, b, c, _ = await some_blockers(client, ada)
        await drained(database_url)
        before = await blockers_of(client, ada, a)

        await proxy.stop()
        during = await blockers_of(client, ada, a)
        ready = await client.get("http://test/health/ready")
        (d,) = await add_todos(client, ada, 1)
        added = await block(client, ada, c, d)
        assert await outbox_kinds(database_url) == ["todo_saved", "blocker_added"]

        await proxy.start()
        await drained(database_url)

    assert before == during == [(b, 1), (c, 2)]
    assert reads_from(app, "graph") == 1 and reads_from(app, "sql") == 1
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert ready.json()["components"]["graph"]["status"] == "unavailable"
    assert added.status_code == 204
    assert graph_state(graph_server) == await database_state(database_url)


async def test_readiness_shows_the_graph_when_it_is_configured(client):
    response = await client.get("http://test/health/ready")

    assert response.json()["status"] == "ok"
    assert response.json()["components"]["graph"]["status"] == "ok"


async def test_graph_rebuild_projects_the_database_into_a_wrong_graph(
    client, ada, database_url, graph_settings, graph_server, capsys, monkeypatch
):
    a, _, _, d = await some_blockers(client, ada)
    await drained(database_url)
    graph_server.run("MATCH (a:Todo {id: $a})-[r:BLOCKED_BY]->() DELETE r", a=a)
    graph_server.run("MATCH (t:Todo {id: $d}) SET t.completed = false", d=d)
    graph_server.run("CREATE (:Todo {id: 999999, user_id: 1, completed: false})")
    for name, value in {"database_url": database_url, **graph_settings}.items():
        monkeypatch.setenv(f"NEODYME_{name.upper()}", value)
    get_settings.cache_clear()

    # python -m neodyme graph rebuild, twice: the second changes nothing
    assert await asyncio.to_thread(main, ["graph", "rebuild"]) == 0
    assert await asyncio.to_thread(main, ["graph", "rebuild"]) == 0
    get_settings.cache_clear()

    assert capsys.readouterr().out == "Rebuilt the graph: 4 todos, 2 blockers.\n" * 2
    assert graph_state(graph_server) == await database_state(database_url)


def test_graph_rebuild_needs_a_graph(database_url, capsys):
    assert rebuild_graph_command(make_settings(database_url)) == 1
    assert "NEODYME_GRAPH_URL is not set" in capsys.readouterr().err


@pytest.mark.parametrize("seed", [1, 2])
async def test_the_graph_and_recursive_sql_find_the_same_blockers(
    seed, settings, database_url, graph_server
):
    """On a random acyclic graph of blockers, for every todo and several depths."""
    shuffle = random.Random(seed)
    ids = list(range(1, 41))
    edges = {(a, b) for a in ids for b in ids if a < b and shuffle.random() < 0.08}
    engine = create_async_engine(database_url)
    async with engine.begin() as connection:
        user = await connection.scalar(
            insert(User)
            .values(email="r@example.com", full_name="R", hashed_password="x")
            .returning(User.id)
        )
        await connection.execute(
            insert(Todo), [{"id": i, "title": str(i), "user_id": user} for i in ids]
        )
        await connection.execute(
            insert(TodoBlocker), [{"todo_id": a, "blocker_id": b} for a, b in edges]
        )
        if engine.dialect.name == "postgresql":  # the rows above chose their ids themselves
            await connection.execute(text("SELECT setval('todo_id_seq', 100)"))
    sessionmaker = create_sessionmaker(engine)
    graph = create_graph(settings)
    await rebuild(sessionmaker, graph)

    async with sessionmaker() as session:
        for todo_id in ids:
            for depth in (1, 3, 50):
                from_sql = await BlockerRepository(session).transitive(todo_id, depth)
                from_graph = await graph.transitive_blockers(todo_id, depth)
                assert from_graph == from_sql, (todo_id, depth)
    assert len(edges) > 40
    await graph.close()
    await engine.dispose()


@pytest.mark.parametrize("depth", [0, 51, "3"])
def test_a_cypher_depth_is_a_bounded_int(depth):
    with pytest.raises(ValueError, match="depth"):
        cypher.transitive_blockers(depth)
