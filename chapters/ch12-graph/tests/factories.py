"""Test data: valid payloads with unique values, so that a test spells out only what it checks.

``user_payload(full_name="")`` reads as "a valid sign-up, except for the name"; every other
field is valid and every email is new, so tests never collide with each other's users.
"""

from itertools import count

PASSWORD = "correct horse battery"

_serial = count(1)


def user_payload(**overrides: object) -> dict:
    """A valid ``POST /users`` body."""
    n = next(_serial)
    return {
        "email": f"user{n}@example.com",
        "full_name": f"User {n}",
        "password": PASSWORD,
        **overrides,
    }


def todo_payload(**overrides: object) -> dict:
    """A valid ``POST /todos`` body."""
    return {"title": f"Todo {next(_serial)}", **overrides}
