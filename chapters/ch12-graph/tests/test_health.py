import asyncio
from dataclasses import replace

import httpx

from neodyme import __version__
from neodyme.core.database import create_engine
from neodyme.main import create_app
from neodyme.resources import get_resources


async def test_health_reports_ok_and_the_package_version(client):
    response = await client.get("http://test/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


async def test_health_answers_json(client):
    response = await client.get("http://test/health")

    assert response.headers["content-type"] == "application/json"


async def test_unknown_route_is_404(client):
    response = await client.get("/no-such-route")

    assert response.status_code == 404


async def test_health_rejects_other_methods(client):
    response = await client.post("http://test/health")

    assert response.status_code == 405


async def test_ready_checks_the_database(client):
    response = await client.get("http://test/health/ready")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["components"]["database"]["status"] == "ok"
    assert body["components"]["database"]["latency_ms"] >= 0
    assert "redis" not in body["components"]  # checked only when NEODYME_REDIS_URL is set
    assert "graph" not in body["components"]  # checked only when NEODYME_GRAPH_URL is set


async def test_not_ready_is_a_503_problem_when_the_database_is_unreachable(settings):
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        # Nothing listens on port 1: the readiness check's connection is refused.
        broken = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/neodyme")
        resources = replace(app.state.resources, engine=broken)
        app.dependency_overrides[get_resources] = lambda: resources
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            ready = await client.get("/health/ready")
            alive = await client.get("/health")
        await broken.dispose()

    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert ready.json()["code"] == "not_ready"
    assert ready.json()["components"]["database"]["status"] == "unavailable"
    assert alive.status_code == 200  # liveness never depends on the database


async def test_not_ready_when_the_database_is_slower_than_the_timeout(settings):
    app = create_app(settings.model_copy(update={"readiness_timeout_seconds": 0.05}))
    async with app.router.lifespan_context(app):

        class SlowEngine:
            """Connects only after the readiness timeout has run out."""

            def connect(self):
                return SlowConnection()

        class SlowConnection:
            async def __aenter__(self):
                await asyncio.sleep(1)

            async def __aexit__(self, *exc_info):
                return False

        resources = replace(app.state.resources, engine=SlowEngine())
        app.dependency_overrides[get_resources] = lambda: resources
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/health/ready")

    assert response.status_code == 503
    database = response.json()["components"]["database"]
    assert database["status"] == "unavailable"
    assert database["latency_ms"] >= 50  # it waited for the whole timeout, no longer
