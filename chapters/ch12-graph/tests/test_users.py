import re
from datetime import UTC, datetime, timedelta

import pytest
from factories import PASSWORD
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

ADA = {"email": "ada@example.com", "full_name": "Ada Lovelace", "password": PASSWORD}
PUBLIC_FIELDS = {"id", "email", "full_name", "created_at", "is_active", "is_superuser"}


async def test_sign_up_returns_the_public_user_without_the_password(client):
    response = await client.post("/users", json=ADA)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == PUBLIC_FIELDS
    assert (body["email"], body["full_name"], body["is_active"], body["is_superuser"]) == (
        "ada@example.com",
        "Ada Lovelace",
        True,
        False,
    )
    assert PASSWORD not in response.text


async def test_the_password_is_stored_as_a_bcrypt_hash(client, database_url):
    await client.post("/users", json=ADA)

    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        stored = (await connection.execute(text('SELECT hashed_password FROM "user"'))).scalar()
    await engine.dispose()

    assert stored.startswith("$2b$") and PASSWORD not in stored


async def test_created_at_is_a_recent_utc_timestamp(sign_up):
    user = await sign_up("ada@example.com")

    created_at = datetime.fromisoformat(user["created_at"])
    assert created_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - created_at) < timedelta(minutes=5)


async def test_email_is_lower_cased_and_name_is_stripped(sign_up):
    user = await sign_up("Ada.Lovelace@Example.COM", full_name="  Ada  ")

    assert (user["email"], user["full_name"]) == ("ada.lovelace@example.com", "Ada")


@pytest.mark.parametrize(
    "password",
    ["12345678", "x" * 72, "é" * 36, "🔐" * 18],
    ids=["8-chars", "72-ascii", "72-bytes-of-2-byte-chars", "72-bytes-of-4-byte-chars"],
)
async def test_passwords_from_8_characters_to_72_bytes_are_accepted(client, log_in, password):
    response = await client.post("/users", json={**ADA, "password": password})

    assert response.status_code == 201
    assert (await log_in(ADA["email"], password)).status_code == 200


@pytest.mark.parametrize(
    "password",
    ["1234567", "x" * 73, "é" * 37, "🔐" * 19, ""],
    ids=["7-chars", "73-ascii", "74-bytes-in-37-chars", "76-bytes-in-19-chars", "empty"],
)
async def test_passwords_too_short_or_over_72_bytes_are_a_422(client, admin, password):
    response = await client.post("/users", json={**ADA, "password": password})

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["errors"]] == [["body", "password"]]
    users = await client.get("/users", headers=admin.headers)
    assert [user["email"] for user in users.json()] == ["admin@example.com"]


@pytest.mark.parametrize(
    "password",
    ["tab\tinside", "nul\x00inside", "escape\x1binside", "next\x85line", "csi\x9b2Jinside"],
    ids=["tab", "nul", "escape", "c1-next-line", "c1-terminal-escape"],
)
async def test_a_password_with_a_control_character_is_a_422_as_the_login_form_refuses_it(
    client, password
):
    response = await client.post("/users", json={**ADA, "password": password})

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["errors"]] == [["body", "password"]]
    assert (await client.post("/users", json=ADA)).status_code == 201  # nothing was stored


@pytest.mark.parametrize("email", ["ada@example.com", "ADA@EXAMPLE.COM", "Ada@Example.com"])
async def test_duplicate_email_in_any_case_is_a_409(client, sign_up, email):
    await sign_up("ada@example.com")

    response = await client.post("/users", json={**ADA, "email": email})

    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"full_name": "Ada", "password": PASSWORD}, "email"),
        ({**ADA, "email": "not-an-email"}, "email"),
        ({**ADA, "full_name": ""}, "full_name"),
        ({**ADA, "full_name": "x" * 101}, "full_name"),
        ({**ADA, "full_name": "Ada\x00Lovelace"}, "full_name"),
        ({**ADA, "full_name": "Ada\x85Lovelace"}, "full_name"),  # C1: next line
        ({**ADA, "full_name": "Ada\x9b2JLovelace"}, "full_name"),  # C1: a terminal escape
        ({"email": "ada@example.com", "full_name": "Ada"}, "password"),
        ({**ADA, "password": 12345678}, "password"),
        ({**ADA, "is_superuser": True}, "is_superuser"),
        ({**ADA, "hashed_password": "$2b$04$x"}, "hashed_password"),
    ],
)
async def test_invalid_sign_up_is_a_422_naming_the_field(client, body, field):
    response = await client.post("/users", json=body)

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["errors"]] == [["body", field]]


async def email_pattern(client) -> str:
    schemas = (await client.get("http://test/openapi.json")).json()["components"]["schemas"]
    return schemas["UserCreate"]["properties"]["email"]["pattern"]


@pytest.mark.parametrize(
    "domain", ["mail.test", "MAIL.TEST", "localhost", "x.invalid", "home.local", "in-addr.arpa"]
)
async def test_a_special_use_domain_is_refused_as_the_schema_says(client, domain):
    email = f"ada@{domain}"

    response = await client.post("/users", json={**ADA, "email": email})

    assert response.status_code == 422
    assert re.search(await email_pattern(client), email) is None


@pytest.mark.parametrize("domain", ["example.com", "test.example.org", "localhost.example.net"])
async def test_an_ordinary_domain_signs_up_as_the_schema_says(client, domain):
    email = f"ada@{domain}"

    response = await client.post("/users", json={**ADA, "email": email})

    assert response.status_code == 201
    assert re.search(await email_pattern(client), email) is not None


async def test_me_is_the_signed_in_user(client, ada):
    response = await client.get("/users/me", headers=ada.headers)

    assert response.status_code == 200
    assert response.json() == ada.user


async def test_update_me_changes_only_the_fields_sent(client, ada):
    response = await client.patch(
        "/users/me", json={"full_name": "Countess Ada"}, headers=ada.headers
    )

    assert response.status_code == 200
    assert response.json() == {**ada.user, "full_name": "Countess Ada"}


async def test_changing_my_password_needs_the_current_one(client, ada, log_in):
    response = await client.patch(
        "/users/me", json={"password": "a new password"}, headers=ada.headers
    )

    assert response.status_code == 403
    assert response.json()["code"] == "wrong_current_password"
    assert (await log_in("ada@example.com")).status_code == 200


async def test_a_wrong_current_password_changes_nothing(client, ada, log_in):
    body = {"password": "a new password", "current_password": "not my password"}

    response = await client.patch("/users/me", json=body, headers=ada.headers)

    assert response.status_code == 403
    assert (await log_in("ada@example.com", "a new password")).status_code == 401


async def test_changing_my_password_swaps_it_and_revokes_every_refresh_token(client, ada, log_in):
    body = {"password": "a new password", "current_password": PASSWORD}

    response = await client.patch("/users/me", json=body, headers=ada.headers)

    assert response.status_code == 200
    assert (await log_in("ada@example.com")).status_code == 401
    assert (await log_in("ada@example.com", "a new password")).status_code == 200
    refresh = {"refresh_token": ada.tokens["refresh_token"]}
    assert (await client.post("/auth/refresh", json=refresh)).status_code == 401


async def test_a_user_reads_and_changes_only_their_own_account(client, ada, grace):
    own = await client.get(f"/users/{ada.user['id']}", headers=ada.headers)
    other = await client.get(f"/users/{grace.user['id']}", headers=ada.headers)
    change = await client.patch(
        f"/users/{grace.user['id']}", json={"full_name": "Hacked"}, headers=ada.headers
    )
    delete = await client.delete(f"/users/{grace.user['id']}", headers=ada.headers)

    assert own.status_code == 200
    assert [other.status_code, change.status_code, delete.status_code] == [403, 403, 403]
    assert (await client.get("/users/me", headers=grace.headers)).json() == grace.user


async def test_asking_for_an_unknown_user_is_403_not_404_for_a_regular_user(client, ada):
    """Otherwise the status would reveal which ids exist."""
    response = await client.get("/users/4242", headers=ada.headers)

    assert response.status_code == 403


async def test_only_superusers_list_users(client, ada, admin):
    refused = await client.get("/users", headers=ada.headers)
    listed = await client.get("/users", headers=admin.headers)

    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert [user["email"] for user in listed.json()] == ["ada@example.com", "admin@example.com"]


async def test_list_users_paginates_with_offset_and_limit(client, admin, sign_up):
    for n in range(3):
        await sign_up(f"user{n}@example.com")

    response = await client.get("/users", params={"offset": 1, "limit": 2}, headers=admin.headers)

    assert [user["email"] for user in response.json()] == ["user0@example.com", "user1@example.com"]


async def test_a_superuser_reads_changes_and_deletes_any_user(client, ada, admin, log_in):
    user_url = f"/users/{ada.user['id']}"

    read = await client.get(user_url, headers=admin.headers)
    changed = await client.patch(user_url, json={"password": "set by admin"}, headers=admin.headers)
    assert (await log_in("ada@example.com", "set by admin")).status_code == 200
    deleted = await client.delete(user_url, headers=admin.headers)

    assert [read.status_code, changed.status_code, deleted.status_code] == [200, 200, 204]
    assert (await client.get(user_url, headers=admin.headers)).status_code == 404
    assert (await client.get("/users/me", headers=ada.headers)).status_code == 401


async def test_deleting_a_user_deletes_their_todos(client, ada, database_url):
    await client.post("/todos", json={"title": "Write notes"}, headers=ada.headers)

    response = await client.delete(f"/users/{ada.user['id']}", headers=ada.headers)

    assert response.status_code == 204
    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        todos = (await connection.execute(text("SELECT count(*) FROM todo"))).scalar()
        tokens = (await connection.execute(text("SELECT count(*) FROM refresh_token"))).scalar()
    await engine.dispose()
    assert (todos, tokens) == (0, 0)


async def test_a_deleted_users_token_does_not_sign_in_the_next_user(client, ada, sign_up):
    await client.delete(f"/users/{ada.user['id']}", headers=ada.headers)

    grace = await sign_up("grace@example.com", "Grace Hopper")

    assert grace["id"] != ada.user["id"]  # SQLite would reuse the id without AUTOINCREMENT
    assert (await client.get("/users/me", headers=ada.headers)).status_code == 401


async def test_patch_to_a_taken_email_is_a_409_and_changes_nothing(client, ada, grace):
    response = await client.patch(
        "/users/me", json={"email": "ADA@example.com"}, headers=grace.headers
    )

    assert response.status_code == 409
    assert (await client.get("/users/me", headers=grace.headers)).json() == grace.user


@pytest.mark.parametrize(
    "body", [{"full_name": ""}, {"email": "nope"}, {"password": "short"}, {"is_superuser": True}]
)
async def test_invalid_patch_is_a_422_and_changes_nothing(client, ada, body):
    response = await client.patch("/users/me", json=body, headers=ada.headers)

    assert response.status_code == 422
    assert (await client.get("/users/me", headers=ada.headers)).json() == ada.user


@pytest.mark.parametrize("path", ["/users/me", "/users", "/users/1"])
async def test_user_endpoints_need_a_token(client, path):
    response = await client.get(path)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("user_id", ["0", str(2**31), str(10**30), "9" * 4301])
async def test_impossible_user_ids_are_rejected_with_422(client, ada, user_id):
    response = await client.get(f"/users/{user_id}", headers=ada.headers)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize("user_id", ["-1", "abc"])
async def test_a_path_that_is_not_a_number_is_no_user(client, ada, user_id):
    response = await client.get(f"/users/{user_id}", headers=ada.headers)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_sql_metacharacters_are_stored_literally(client, sign_up, admin):
    name = 'Robert\'); DROP TABLE "user";--'

    user = await sign_up("bobby@example.com", full_name=name)

    assert user["full_name"] == name
    assert len((await client.get("/users", headers=admin.headers)).json()) == 2


async def test_users_survive_a_restart(start_app):
    """The point of a database: what one app process stored, the next one reads."""
    async with start_app() as client:
        created = (await client.post("/users", json=ADA)).json()

    async with start_app() as client:
        response = await client.post(
            "/auth/token", data={"username": ADA["email"], "password": PASSWORD}
        )

    assert response.status_code == 200
    assert created["email"] == ADA["email"]


async def test_me_is_never_taken_for_an_id(client, ada):
    response = await client.delete("/users/me", headers=ada.headers)

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, PATCH"
    assert (await client.get("/users/me", headers=ada.headers)).status_code == 200
