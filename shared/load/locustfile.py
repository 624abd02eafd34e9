"""One person using the todo API: log in, then list, page, create, complete, refresh, pausing.

Run by ``nox -s load`` (see ``drive.py``), or on its own against a server you started:

    LOADTEST_PASSWORD=... locust -f shared/load/locustfile.py --headless -u 50 -r 10 -t 1m \\
        --host http://127.0.0.1:8000

Each simulated user logs in as one of the accounts ``datastore.py seed`` created (emails
``load-1@example.com`` … ``load-N@example.com``, one password), taken in turn. Signing each one
up through the API instead would spend a bcrypt hash per user before the test could start.

Between two actions the user thinks for 1 to 5 seconds, as a person reading the page would.
Listing is what a person does most; refreshing the token happens now and then (a real client
does it every quarter of an hour, when the access token expires).
"""

import itertools
import os
import random

from locust import HttpUser, between, task

from shared.load.capacity import THINK_TIME_S

API = "/api/v1"
ACCOUNTS = int(os.environ.get("LOADTEST_ACCOUNTS", "100"))
PASSWORD = os.environ.get("LOADTEST_PASSWORD", "")
_turns = itertools.count()


def next_email() -> str:
    """The accounts in turn, starting again from the first when every one is in use."""
    return f"load-{next(_turns) % ACCOUNTS + 1}@example.com"


class TodoUser(HttpUser):
    wait_time = between(*THINK_TIME_S)

    def on_start(self) -> None:
        self.log_in()

    def log_in(self) -> None:
        """As the next account, with nothing remembered of the last one (todos, pages, token).

        locust counts a response other than 2xx as a failure, which fails the step.
        """
        self.open_todos: list[int] = []
        self.next_page: str | None = None
        self.refresh_token = ""
        form = {"username": next_email(), "password": PASSWORD}
        response = self.client.post(f"{API}/auth/token", data=form)
        if response.ok:
            self.use_tokens(response.json())

    def use_tokens(self, tokens: dict) -> None:
        self.refresh_token = tokens["refresh_token"]
        self.client.headers["Authorization"] = f"Bearer {tokens['access_token']}"

    def remember_page(self, response) -> None:
        """Keep the open todos seen, and the ``Link`` header's next page, for later tasks."""
        if response.ok:
            self.open_todos = [todo["id"] for todo in response.json() if not todo["completed"]]
            self.next_page = response.links.get("next", {}).get("url")

    @task(6)
    def list_todos(self) -> None:
        self.remember_page(self.client.get(f"{API}/todos"))

    @task(2)
    def follow_next_page(self) -> None:
        if self.next_page is None:
            self.list_todos()
        else:
            # One name for every cursor, so that locust reports them on one line.
            response = self.client.get(self.next_page, name=f"{API}/todos?cursor=…")
            self.remember_page(response)

    @task(3)
    def create_todo(self) -> None:
        todo = {"title": "Buy milk", "description": "created by the load test"}
        response = self.client.post(f"{API}/todos", json=todo)
        if response.ok:
            self.open_todos.append(response.json()["id"])

    @task(2)
    def complete_todo(self) -> None:
        if not self.open_todos:
            self.create_todo()
        else:
            todo_id = self.open_todos.pop(random.randrange(len(self.open_todos)))
            done = {"completed": True}
            self.client.patch(f"{API}/todos/{todo_id}", json=done, name=f"{API}/todos/{{id}}")

    @task(1)
    def refresh(self) -> None:
        body = {"refresh_token": self.refresh_token}
        response = self.client.post(f"{API}/auth/refresh", json=body)
        if response.ok:
            self.use_tokens(response.json())
        else:
            self.log_in()
