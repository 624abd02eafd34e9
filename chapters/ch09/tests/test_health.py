from neodyme import __version__


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
