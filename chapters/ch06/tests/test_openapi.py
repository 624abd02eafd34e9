from neodyme import __version__
from neodyme.main import app


async def test_openapi_describes_the_api(client):
    response = await client.get("/openapi.json")

    assert response.status_code == 200
    info = response.json()["info"]
    assert info["title"] == "Neodyme"
    assert info["version"] == __version__
    assert "Neodyme" in info["description"]


async def test_openapi_documents_the_health_tag_and_response(client):
    schema = (await client.get("/openapi.json")).json()

    assert [tag["name"] for tag in schema["tags"]] == ["health", "users", "todos"]
    operation = schema["paths"]["/health"]["get"]
    assert operation["tags"] == ["health"]
    response_schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert response_schema == {"$ref": "#/components/schemas/HealthStatus"}
    assert set(schema["components"]["schemas"]["HealthStatus"]["required"]) == {"status", "version"}


async def test_interactive_docs_are_served(client):
    for path in ("/docs", "/redoc"):
        response = await client.get(path)

        assert response.status_code == 200
        assert "text/html" in response.headers["content-type"]
        assert "/openapi.json" in response.text


def test_module_exposes_an_app_for_uvicorn():
    assert app.title == "Neodyme"


async def test_openapi_documents_the_user_schemas(client):
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]

    assert set(schemas["UserPublic"]["properties"]) == {
        "id",
        "email",
        "full_name",
        "created_at",
        "is_active",
    }
    assert schemas["UserCreate"]["additionalProperties"] is False
    full_name = schemas["UserCreate"]["properties"]["full_name"]
    assert (full_name["minLength"], full_name["maxLength"]) == (1, 100)


async def test_openapi_documents_each_error_as_the_problem_the_app_sends(client):
    schema = (await client.get("/openapi.json")).json()

    responses = schema["paths"]["/users/{user_id}"]["patch"]["responses"]
    assert set(responses) == {"200", "400", "404", "409", "422", "503"}
    not_found = responses["404"]["content"]
    assert not_found == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    invalid = responses["422"]["content"]["application/problem+json"]["schema"]
    assert invalid == {"$ref": "#/components/schemas/ValidationProblem"}
    components = schema["components"]["schemas"]
    assert set(components["Problem"]["required"]) == {
        "type", "title", "status", "detail", "instance", "code"
    }  # fmt: skip
    assert "errors" in components["ValidationProblem"]["required"]
    assert "HTTPValidationError" not in components


async def test_openapi_documents_the_problems_each_todo_route_answers(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    todos, todo = paths["/users/{user_id}/todos"], paths["/users/{user_id}/todos/{todo_id}"]

    assert set(todos["post"]["responses"]) == {"201", "400", "404", "422", "503"}
    assert set(todos["get"]["responses"]) == {"200", "404", "422", "503"}
    assert set(todo["get"]["responses"]) == {"200", "404", "422", "503"}
    assert set(todo["patch"]["responses"]) == {"200", "400", "404", "422", "503"}
    assert set(todo["delete"]["responses"]) == {"204", "404", "422", "503"}


async def test_a_wrong_method_is_a_405_problem_listing_every_method_of_the_path(client):
    response = await client.put("/users/1", json={})

    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["allow"] == "DELETE, GET, HEAD, PATCH"
