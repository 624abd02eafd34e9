"""Data for the benchmark, put in through the API the way a client would."""

import http.client
import json
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from shared.bench.errors import BenchmarkError

API = "/api/v1"
EMAIL = "bench@example.com"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Seeded:
    """The benchmark user, signed up and logged in, with a few hundred todos."""

    user_id: int
    email: str
    password: str
    access_token: str

    @property
    def login_form(self) -> str:
        return login_form(self.email, self.password)


def login_form(email: str, password: str) -> str:
    """The OAuth2 password form ``POST /auth/token`` reads."""
    return urlencode({"username": email, "password": password})


class Client:
    """One keep-alive connection to a server, for the few hundred seeding requests."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def send(self, method: str, path: str, body: str, headers: dict[str, str]) -> dict:
        self.connection.request(method, path, body=body.encode(), headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        if response.status >= 300:
            raise BenchmarkError(f"seeding: {method} {path} answered {response.status}: {payload}")
        return json.loads(payload)

    def post_json(self, path: str, data: dict, token: str | None = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.send("POST", path, json.dumps(data), headers)

    def close(self) -> None:
        self.connection.close()


def seed(port: int, todos: int) -> Seeded:
    """Sign the benchmark user up, log in, and create ``todos`` todos."""
    password = secrets.token_urlsafe(18)
    client = Client(port)
    try:
        user = client.post_json(
            f"{API}/users", {"email": EMAIL, "full_name": "Bench Mark", "password": password}
        )
        headers = {"Content-Type": FORM}
        form = login_form(EMAIL, password)
        token = client.send("POST", f"{API}/auth/token", form, headers)["access_token"]
        for number in range(todos):
            client.post_json(
                f"{API}/todos",
                {"title": f"Todo {number}", "description": "seeded by the benchmark"},
                token,
            )
    finally:
        client.close()
    return Seeded(user_id=user["id"], email=EMAIL, password=password, access_token=token)
