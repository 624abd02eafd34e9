"""What is known about the request being served, wherever the code that wants it runs.

A log call deep in a repository cannot be handed the request id, the route and the user as
arguments without threading them through every function. A ``ContextVar`` carries them
instead: asyncio gives each task its own copy of the context, and uvicorn serves each request
in its own task, so two requests never see each other's values.

The middleware creates one ``RequestContext`` per request; code further in fills it in (the
auth dependency the user, the SQLAlchemy events the query figures), and the log records and
problem bodies read it. It is one mutable object on purpose: a value set in a ``ContextVar``
by a dependency would stay inside that dependency's own context, a field set on a shared
object does not.
"""

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.routing import Mount, Route


@dataclass
class RequestContext:
    request_id: str
    scope: dict[str, Any] = field(repr=False)
    user_id: int | None = None
    query_count: int = 0
    query_seconds: float = 0.0
    _route: object = field(default=None, init=False, repr=False)
    _route_template: str | None = field(default=None, init=False, repr=False)

    @property
    def method(self) -> str:
        return self.scope["method"]

    @property
    def path(self) -> str:
        return self.scope["path"]

    @property
    def route(self) -> str | None:
        """The path template of the route serving the request: ``/api/v1/todos/{todo_id}``.

        ``None`` until the router has picked a route, and for a path that matches none. FastAPI's
        router records only its API routes; a path a plain route or a mount serves gets that
        route's template (``unrouted_template``).
        """
        route = self.scope.get("route")
        if route is None:
            return unrouted_template(self.scope["app"].routes, self.path)
        if route is not self._route:  # worked out once per request, when the router picks
            self._route = route
            templates = self.scope["app"].state.route_templates
            self._route_template = templates.get(id(route), getattr(route, "path", None))
        return self._route_template


def route_templates(app: Any) -> dict[int, str]:
    """The full path template of each of ``app``'s routes, by ``id(route)``.

    The router puts the route it picked in the ASGI scope, but a route included with a prefix
    (``include_router(router, prefix="/api/v1")``) only knows its own part of the path
    (``/todos/{todo_id}``); FastAPI's ``iter_route_contexts`` has each route's full path.
    Walking every route on every request would cost more than the rest of the request's
    bookkeeping, so ``create_app`` lists them once, with its routes all in place. A route
    defines ``==`` and so cannot be a dictionary key itself; its ``id`` can, and stays valid
    as long as the app keeps the route.
    """
    return {
        id(context.original_route): context.path_format
        for context in iter_route_contexts(app.routes)
    }


def unrouted_template(routes: list, path: str) -> str | None:
    """The template of the plain route or mount that serves ``path``, if one does.

    FastAPI's router records the route it picked only for its own API routes. The OpenAPI
    document is a plain Starlette route and the documentation's assets are a mount
    (``/static/docs/{path}``): without this, their requests would count as unmatched.
    """
    for candidate in routes:
        if isinstance(candidate, Mount) and path.startswith(candidate.path + "/"):
            return candidate.path + "/{path}"
        if isinstance(candidate, Route) and candidate.path_regex.fullmatch(path):
            return candidate.path_format
    return None


_current: ContextVar[RequestContext | None] = ContextVar("neodyme_request", default=None)


def current_request() -> RequestContext | None:
    """The request being served, or ``None`` outside a request (start-up, the command line)."""
    return _current.get()


def start_request(context: RequestContext) -> None:
    """Make ``context`` the current request for the rest of this task.

    It is deliberately never reset: Starlette answers an unhandled error (500) outside every
    middleware, after ours has returned, and that log record and problem body still need the
    request id. The next request runs in a new task and starts from a fresh context.
    """
    _current.set(context)


def set_current_user(user_id: int) -> None:
    """Record who is calling, for the log records written from now on."""
    if context := current_request():
        context.user_id = user_id
