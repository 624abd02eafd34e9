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
from starlette.exceptions import HTTPException

from neodyme.core.exceptions import NeodymeError

logger = logging.getLogger("neodyme.errors")


class ProblemResponse(JSONResponse):
    media_type = "application/problem+json"


def problem(
    request: Request,
    status: int,
    code: str,
    detail: str,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    """A problem response; ``type`` is a stable URN built from the machine ``code``."""
    body = {
        "type": f"urn:neodyme:problem:{code}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
        **extra,
    }
    return ProblemResponse(body, status_code=status, headers=headers)


def problem_from_error(request: Request, exc: NeodymeError) -> ProblemResponse:
    return problem(request, exc.status, exc.code, exc.detail, title=exc.title, headers=exc.headers)


async def handle_neodyme_error(request: Request, exc: NeodymeError) -> ProblemResponse:
    if exc.status >= 500:
        logger.warning("%s on %s %s: %r", exc.code, request.method, request.url.path, exc.__cause__)
    return problem_from_error(request, exc)


async def handle_http_exception(request: Request, exc: HTTPException) -> ProblemResponse:
    """Starlette's own errors: an unknown route (404), a wrong method (405), ..."""
    phrase = HTTPStatus(exc.status_code).phrase
    code = phrase.lower().replace(" ", "_").replace("-", "_")
    return problem(request, exc.status_code, code, str(exc.detail), headers=exc.headers)


async def handle_validation_error(request: Request, exc: RequestValidationError) -> ProblemResponse:
    """422 with one entry per invalid field, including a body that is not even JSON."""
    errors = [
        {"loc": list(error["loc"]), "message": error["msg"], "type": error["type"]}
        for error in exc.errors()
    ]
    return problem(
        request, 422, "validation_error", "The request is not valid: see errors.", errors=errors
    )


async def handle_unexpected_error(request: Request, exc: Exception) -> ProblemResponse:
    """A bug: log everything, tell the client nothing it could use against us."""
    logger.error("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    response = problem_from_error(request, NeodymeError())
    # Starlette answers this one outside every middleware, SecurityHeadersMiddleware included.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def add_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NeodymeError, handle_neodyme_error)
    app.add_exception_handler(HTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(Exception, handle_unexpected_error)
