from neodyme import __version__
from neodyme.main import app


async def test_openapi_describes_the_api(client):
    response = await client.get("http://test/openapi.json")

    assert response.status_code == 200
    info = response.json()["info"]
    assert info["title"] == "Neodyme"
    assert info["version"] == __version__
    assert "Neodyme" in info["description"]


async def test_openapi_documents_the_health_tag_and_response(client):
    schema = (await client.get("http://test/openapi.json")).json()

    assert [tag["name"] for tag in schema["tags"]] == ["health", "auth", "users", "todos"]
    operation = schema["paths"]["/health"]["get"]
    assert operation["tags"] == ["health"]
    response_schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert response_schema == {"$ref": "#/components/schemas/HealthStatus"}
    assert set(schema["components"]["schemas"]["HealthStatus"]["required"]) == {"status", "version"}


async def test_interactive_docs_are_served(client):
    for path in ("/docs", "/redoc"):
        response = await client.get(f"http://test{path}")

        assert response.status_code == 200
        assert "text/html" in response.headers["content-type"]
        assert "/openapi.json" in response.text


def test_module_exposes_an_app_for_uvicorn():
    assert app.title == "Neodyme"


async def test_openapi_documents_the_user_schemas(client):
    schemas = (await client.get("http://test/openapi.json")).json()["components"]["schemas"]

    assert set(schemas["UserPublic"]["properties"]) == {
        "id",
        "email",
        "full_name",
        "created_at",
        "is_active",
        "is_superuser",
    }
    assert schemas["UserCreate"]["additionalProperties"] is False
    full_name = schemas["UserCreate"]["properties"]["full_name"]
    assert (full_name["minLength"], full_name["maxLength"]) == (1, 100)


async def test_openapi_declares_the_bearer_scheme_for_protected_operations(client, settings):
    schema = (await client.get("http://test/openapi.json")).json()
    api = settings.api_prefix

    scheme = schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert scheme["flows"]["password"]["tokenUrl"] == "api/v1/auth/token"
    assert "security" in schema["paths"][f"{api}/users/me"]["get"]
    assert "security" not in schema["paths"][f"{api}/users"]["post"]


async def test_openapi_documents_each_error_as_the_problem_the_app_sends(client, settings):
    schema = (await client.get("http://test/openapi.json")).json()

    responses = schema["paths"][f"{settings.api_prefix}/users/me"]["patch"]["responses"]
    assert set(responses) == {"200", "400", "401", "403", "404", "409", "413", "422", "429", "503"}
    forbidden = responses["403"]["content"]
    assert forbidden == {
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


async def test_openapi_states_the_password_byte_limit(client):
    schemas = (await client.get("http://test/openapi.json")).json()["components"]["schemas"]

    password = schemas["UserCreate"]["properties"]["password"]
    assert (password["maxLength"], password["x-max-bytes"]) == (72, 72)
    assert "72 bytes" in password["description"]


async def test_a_wrong_method_is_a_405_problem_listing_every_method_of_the_path(client):
    response = await client.put("/users/1", json={})

    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["allow"] == "DELETE, GET, HEAD, PATCH"


async def test_openapi_documents_the_cursor_and_its_400(client, settings):
    schema = (await client.get("http://test/openapi.json")).json()

    operation = schema["paths"][f"{settings.api_prefix}/todos"]["get"]
    assert "400" in operation["responses"]
    cursor = next(p for p in operation["parameters"] if p["name"] == "cursor")
    assert "Link" in cursor["description"]
