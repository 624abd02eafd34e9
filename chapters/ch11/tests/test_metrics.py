"""``GET /metrics``: Prometheus's text format, with labels whose values cannot run away."""

import asyncio
import re

from conftest import serve
from factories import todo_payload
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from neodyme.main import create_app
from neodyme.observability.metrics import DatabasePoolCollector


async def scrape(client) -> dict[str, list]:
    """The samples of each metric family, parsed the way Prometheus parses them."""
    response = await client.get("http://test/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    families = text_string_to_metric_families(response.text)
    return {family.name: family.samples for family in families}


def request_counts(metrics: dict) -> dict[tuple[str, str, str], float]:
    return {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for s in metrics["neodyme_http_requests"]
        if s.name == "neodyme_http_requests_total"
    }


async def test_requests_are_counted_by_route_template_not_by_path(client, ada, settings):
    todo = (await client.post("/todos", json=todo_payload(), headers=ada.headers)).json()
    await client.get(f"/todos/{todo['id']}", headers=ada.headers)
    await client.get("/todos/999999", headers=ada.headers)
    await client.get(f"/users/{ada.user['id']}", headers=ada.headers)

    counts = request_counts(await scrape(client))

    api = settings.api_prefix
    assert counts[("GET", api + "/todos/{todo_id}", "200")] == 1
    assert counts[("GET", api + "/todos/{todo_id}", "404")] == 1
    # The template as the API documents it, without the path convertor (``{user_id:digits}``).
    assert counts[("GET", api + "/users/{user_id}", "200")] == 1
    routes = {route for _, route, _ in counts}
    assert {f"{api}/todos/{todo['id']}", f"{api}/todos/999999"}.isdisjoint(routes)


async def test_a_head_request_is_counted_as_head_under_its_route(client, ada, settings):
    todo = (await client.post("/todos", json=todo_payload(), headers=ada.headers)).json()
    await client.head(f"/todos/{todo['id']}", headers=ada.headers)

    counts = request_counts(await scrape(client))

    assert counts[("HEAD", settings.api_prefix + "/todos/{todo_id}", "200")] == 1


async def test_unknown_paths_share_one_label(client):
    for number in range(5):
        await client.get(f"/scanner/probe-{number}")

    counts = request_counts(await scrape(client))

    assert counts[("GET", "unmatched", "404")] == 5
    assert not any("probe" in route for _, route, _ in counts)


async def test_the_openapi_document_and_the_docs_assets_are_not_unmatched(client):
    stylesheet = re.search(
        r'href="(/static/docs/[^"]+\.css)"', (await client.get("http://test/docs")).text
    )[1]
    await client.get(f"http://test{stylesheet}")
    await client.get("http://test/openapi.json")

    counts = request_counts(await scrape(client))

    assert counts[("GET", "/static/docs/{path}", "200")] == 1
    assert counts[("GET", "/openapi.json", "200")] == 1
    assert ("GET", "unmatched", "200") not in counts


async def test_an_invented_method_is_counted_as_other(client):
    await client.request("BREW", "http://test/health")

    counts = request_counts(await scrape(client))

    assert counts[("OTHER", "/health", "405")] == 1


async def test_latency_is_a_histogram_per_route(client):
    await client.get("http://test/health")
    await client.get("http://test/health")

    samples = (await scrape(client))["neodyme_http_request_duration_seconds"]

    count = [
        s
        for s in samples
        if s.name.endswith("_count") and s.labels == {"method": "GET", "route": "/health"}
    ]
    assert [s.value for s in count] == [2]
    assert any(s.name.endswith("_bucket") and s.labels["le"] == "+Inf" for s in samples)


async def test_requests_in_progress_go_up_and_back_to_zero(settings):
    app = create_app(settings)
    entered, release = asyncio.Event(), asyncio.Event()

    @app.get("/wait")
    async def wait():
        entered.set()
        await release.wait()

    @app.get("/fail")
    async def fail():
        raise RuntimeError("a bug")

    async with serve(app, raise_app_exceptions=False) as client:
        waiting = asyncio.create_task(client.get("http://test/wait"))
        await entered.wait()
        during = (await scrape(client))["neodyme_http_requests_in_progress"][0].value
        release.set()
        await waiting
        await client.get("http://test/fail")
        after = (await scrape(client))["neodyme_http_requests_in_progress"][0].value

    # Each scrape is itself a request in progress.
    assert (during, after) == (2, 1)


async def test_the_database_pool_is_reported_and_every_connection_went_back(client, ada):
    await client.get("/users/me", headers=ada.headers)

    metrics = await scrape(client)

    assert metrics["neodyme_db_pool_size"][0].value == 5  # SQLAlchemy's default pool size
    assert metrics["neodyme_db_pool_checked_out"][0].value == 0
    assert metrics["neodyme_db_pool_checked_in"][0].value >= 1
    assert metrics["neodyme_db_pool_overflow"][0].value == 0


def test_a_pool_without_figures_reports_nothing(tmp_path):
    pool = DatabasePoolCollector()
    assert list(pool.collect()) == []  # not started: no engine yet

    pool.engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/x.db", poolclass=NullPool)
    assert list(pool.collect()) == []


async def test_metrics_stay_out_of_the_api_schema(client):
    schema = (await client.get("http://test/openapi.json")).json()

    assert "/metrics" not in schema["paths"]


async def test_metrics_can_be_turned_off(start_app):
    async with start_app(metrics_enabled=False) as client:
        response = await client.get("http://test/metrics")

    assert response.status_code == 404


async def test_two_apps_in_one_process_keep_their_own_figures(start_app):
    async with start_app() as first:
        await first.get("http://test/health")
        async with start_app() as second:
            counts = request_counts(await scrape(second))

    assert ("GET", "/health", "200") not in counts
