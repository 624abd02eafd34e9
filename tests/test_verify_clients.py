"""The battery's HTTP clients give up idle connections before the served app closes them.

uvicorn closes a connection idle for 5 s; httpx keeps one for 5 s too. A request sent on a
connection in the instant the server closes it fails with ``httpx.ReadError`` although the app did
nothing wrong, so a battery case would fail at random. Every client therefore takes
``client_limits()`` (or a transport that does).
"""

import ast
from pathlib import Path

import pytest

from shared.chapters import REPOSITORY_ROOT

BATTERY = REPOSITORY_ROOT / "shared" / "verify" / "battery"
CLIENTS = {"Client", "AsyncClient", "HTTPTransport", "AsyncHTTPTransport"}


def httpx_clients(tree: ast.AST) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "httpx"
        and node.func.attr in CLIENTS
    ]


def drops_idle_connections_early(call: ast.Call) -> bool:
    keywords = {keyword.arg: keyword.value for keyword in call.keywords}
    limits = keywords.get("limits")
    if isinstance(limits, ast.Call) and getattr(limits.func, "id", None) == "client_limits":
        return True
    return "transport" in keywords  # the transport is checked where it is made


@pytest.mark.parametrize("module", sorted(BATTERY.glob("*.py")), ids=lambda path: path.name)
def test_every_client_of_the_served_app_drops_idle_connections_early(module: Path) -> None:
    calls = httpx_clients(ast.parse(module.read_text()))

    unsafe = [
        f"{module.name}:{call.lineno}" for call in calls if not drops_idle_connections_early(call)
    ]

    assert unsafe == []


def test_the_check_finds_a_client_left_with_httpx_defaults() -> None:
    tree = ast.parse("httpx.Client(base_url=url, timeout=30)\nhttpx.Client(limits=client_limits())")

    assert [drops_idle_connections_early(call) for call in httpx_clients(tree)] == [False, True]
