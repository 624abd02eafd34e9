"""Error responses as RFC 9457 problem details (``application/problem+json``).

Every error leaves the API in the same shape, whoever raised it: our own ``NeodymeError``
hierarchy, FastAPI's request validation, Starlette's 404 and 405, or a bug (500).
"""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import RouteContext, iter_route_contexts
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException
from starlette.routing import Match

from neodyme.core.exceptions import NeodymeError
from neodyme.observability.context import current_request
from neodyme.observability.requests import REQUEST_ID_HEADER

logger = logging.getLogger("neodyme.errors")


PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


class Problem(BaseModel):
    """An error as this API sends it (RFC 9457), for the OpenAPI document."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    request_id: str | None = None


class FieldError(BaseModel):
    loc: list[str | int]
    message: str
    type: str


class ValidationProblem(Problem):
    """A 422: the problem, and what is wrong with each field."""

    errors: list[FieldError]


MAX_REPORTED_ERRORS = 20
"""A 422 lists at most this many errors: enough to fix a request by, too few to amplify one."""

PROBLEM_DESCRIPTIONS = {
    400: (
        "The request cannot be carried out as sent, e.g. its body cannot be parsed or its"
        " cursor is not one this API handed out."
    ),
    401: "No valid bearer token.",
    403: "The token's user may not do this (or gave a wrong `current_password`).",
    404: "There is no such resource.",
    409: "The email address is taken, or the blocker would close a cycle (see `cycle`).",
    413: "The request body is larger than the API accepts.",
    422: "The request is not valid: see `errors`.",
    429: "Too many failed logins: wait `Retry-After` seconds.",
    503: "The database is not answering.",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses=``: each error status, documented as the problem body it sends.

    Without them the OpenAPI document would list only the success and FastAPI's default 422
    (as ``application/json`` with a body we never send), and clients could not know the rest.
    """
    return {
        status: {
            "description": PROBLEM_DESCRIPTIONS[status],
            "content": {
                PROBLEM_MEDIA_TYPE: {
                    "schema": {
                        "$ref": "#/components/schemas/"
                        + ("ValidationProblem" if status == 422 else "Problem")
                    }
                }
            },
        }
        for status in statuses
    }


def document_problems(app: FastAPI) -> None:
    """Put ``Problem`` and ``ValidationProblem`` in the components that ``responses=`` name."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _, definitions = models_json_schema(
                [(Problem, "serialization"), (ValidationProblem, "serialization")],
                ref_template="#/components/schemas/{model}",
            )
            generate()["components"]["schemas"].update(definitions["$defs"])
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def routes_of_path(request: Request) -> list[RouteContext]:
    """The routes that serve the request's path, whatever their method, matched as the router does.

    ``iter_route_contexts`` lists the routes of included routers too, each with its full path.
    """
    return [
        route
        for route in iter_route_contexts(request.app.routes)
        if route.matches(request.scope)[0] is not Match.NONE
    ]


def documented_paths(request: Request) -> list[dict[str, Any]]:
    """The OpenAPI document's entries for the request's path: its operations, by method."""
    paths = request.app.openapi()["paths"]
    templates = {route.path_format for route in routes_of_path(request)}
    return [paths[template] for template in templates if template in paths]


def allowed_methods(request: Request) -> str:
    """Every method of the request's path, for the ``Allow`` header of a 405 (RFC 9110).

    FastAPI makes one route per method, and its 405 names only the methods of the route whose
    path matched first: ``Allow: GET`` for ``/users/1``, which also takes PATCH and DELETE.
    So ask every route whose path matches for its methods.
    """
    methods = {method for route in routes_of_path(request) for method in route.methods or ()}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def problem(
    request: Request,
    status: int,
    code: str,
    detail: str,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    """A problem response; ``type`` is a stable URN built from the machine ``code``.

    ``request_id`` is the id in the response's ``X-Request-ID``: a user who quotes it in a bug
    report leads straight to the request's log records.
    """
    context = current_request()
    body = {
        "type": f"urn:neodyme:problem:{code}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
        "request_id": context.request_id if context else None,
        **extra,
    }
    return ProblemResponse(body, status_code=status, headers=headers)


def problem_from_error(request: Request, exc: NeodymeError) -> ProblemResponse:
    return problem(
        request, exc.status, exc.code, exc.detail, title=exc.title, headers=exc.headers, **exc.extra
    )


async def handle_neodyme_error(request: Request, exc: NeodymeError) -> ProblemResponse:
    if exc.status >= 500:
        logger.warning("%s on %s %s: %r", exc.code, request.method, request.url.path, exc.__cause__)
    return problem_from_error(request, exc)


async def handle_http_exception(request: Request, exc: HTTPException) -> ProblemResponse:
    """Starlette's own errors: an unknown route (404), a wrong method (405), ..."""
    phrase = HTTPStatus(exc.status_code).phrase
    code = phrase.lower().replace(" ", "_").replace("-", "_")
    headers = exc.headers
    if exc.status_code == 405 and (allow := allowed_methods(request)):
        headers = {**(headers or {}), "Allow": allow}
    return problem(request, exc.status_code, code, str(exc.detail), headers=headers)


def wrong_kind_of_body(error: dict[str, Any]) -> bool:
    """Whether the error says the body is missing, unreadable, not an object, or lacks a field."""
    location = error["loc"]
    return location[0] == "body" and (
        len(location) == 1 or error["type"] in {"missing", "json_invalid"}
    )


def expected_body(request: Request) -> str | None:
    """What the request's endpoint takes as its body, in words, from the OpenAPI document."""
    method = request.method.lower()
    operations = [path[method] for path in documented_paths(request) if method in path]
    bodies = [
        operation["requestBody"]["content"]
        for operation in operations
        if "requestBody" in operation
    ]
    if not bodies:
        return None
    media_type, content = next(iter(bodies[0].items()))
    kind = "a form" if media_type.endswith("form-urlencoded") else "a JSON object"
    fields = [f"`{name}`" for name in component(request, content["schema"]).get("required", [])]
    listed = " and ".join(", ".join(fields).rsplit(", ", 1))  # `a`, `b` and `c`
    return f"{kind} ({media_type})" + (f" with {listed}" if fields else "")


def component(request: Request, schema: dict[str, Any]) -> dict[str, Any]:
    """``schema``, or the schema its ``$ref`` names (a model's) in the OpenAPI components."""
    components = request.app.openapi()["components"]["schemas"]
    return components.get(schema.get("$ref", "").rpartition("/")[2], schema)


async def handle_validation_error(request: Request, exc: RequestValidationError) -> ProblemResponse:
    """422 with one entry per invalid field, including a body that is not even JSON.

    A body that is missing, or of another kind than the endpoint reads (JSON sent where a form
    is expected, say), is also said in words: "field required" alone does not tell the client
    what to send. At most ``MAX_REPORTED_ERRORS`` are listed, and ``detail`` says how many
    there were: a small request must not buy a huge answer.
    """
    found = exc.errors()
    errors = [
        {"loc": list(error["loc"]), "message": error["msg"], "type": error["type"]}
        for error in found[:MAX_REPORTED_ERRORS]
    ]
    detail = "The request is not valid: see errors."
    if len(found) > len(errors):
        detail = f"The request is not valid: see errors (the first {len(errors)} of {len(found)})."
    if any(wrong_kind_of_body(error) for error in found) and (expected := expected_body(request)):
        detail += f" This endpoint takes {expected}."
    return problem(request, 422, "validation_error", detail, errors=errors)


async def handle_unexpected_error(request: Request, exc: Exception) -> ProblemResponse:
    """A bug: log everything, tell the client nothing it could use against us."""
    logger.error("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    response = problem_from_error(request, NeodymeError())
    # Starlette answers this one outside every middleware, SecurityHeadersMiddleware included.
    response.headers["X-Content-Type-Options"] = "nosniff"
    if context := current_request():  # the id the request's log records carry
        response.headers[REQUEST_ID_HEADER] = context.request_id
    return response


def add_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NeodymeError, handle_neodyme_error)
    app.add_exception_handler(HTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(Exception, handle_unexpected_error)
    document_problems(app)
