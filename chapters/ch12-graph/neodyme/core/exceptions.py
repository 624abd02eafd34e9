"""Every error Neodyme raises on purpose, under one base class.

Each class carries an HTTP status, a short human title and a stable machine-readable ``code``
that clients can branch on. ``neodyme.web.problems`` turns any of them into an RFC 9457
problem response, so routes and repositories raise domain errors and never build responses.
"""

from typing import ClassVar


class NeodymeError(Exception):
    """The base of the hierarchy; on its own it means "something went wrong on our side"."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal Server Error"
    code: ClassVar[str] = "internal_error"
    default_detail: ClassVar[str] = "An unexpected error occurred. It has been logged."

    def __init__(
        self, detail: str | None = None, headers: dict[str, str] | None = None, **extra: object
    ) -> None:
        self.detail = detail or self.default_detail
        self.headers = headers
        self.extra = extra  # more members for the problem body, e.g. a failing component
        super().__init__(self.detail)


class BadRequestError(NeodymeError):
    status = 400
    title = "Bad Request"
    code = "bad_request"
    default_detail = "The request cannot be carried out as sent."


class UnauthorizedError(NeodymeError):
    """401: the caller has not proven who they are. Always asks for a bearer token."""

    status = 401
    title = "Unauthorized"
    code = "not_authenticated"
    default_detail = "Authentication is required."

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class ForbiddenError(NeodymeError):
    status = 403
    title = "Forbidden"
    code = "forbidden"
    default_detail = "You are not allowed to do this."


class NotFoundError(NeodymeError):
    status = 404
    title = "Not Found"
    code = "not_found"
    default_detail = "The resource does not exist."


class ConflictError(NeodymeError):
    status = 409
    title = "Conflict"
    code = "conflict"
    default_detail = "The request conflicts with the current state of the resource."


class TooManyRequestsError(NeodymeError):
    """429, with ``Retry-After``: the number of seconds to wait before trying again."""

    status = 429
    title = "Too Many Requests"
    code = "too_many_requests"
    default_detail = "Too many attempts. Try again later."

    def __init__(self, retry_after: int) -> None:
        super().__init__(headers={"Retry-After": str(retry_after)})


class ServiceUnavailableError(NeodymeError):
    status = 503
    title = "Service Unavailable"
    code = "service_unavailable"
    default_detail = "The service is temporarily unavailable. Try again later."


class InvalidCredentialsError(UnauthorizedError):
    """A wrong password and an unknown email are the same error, so neither can be told apart."""

    code = "invalid_credentials"
    default_detail = "Incorrect email or password."


class InvalidTokenError(UnauthorizedError):
    code = "invalid_token"
    default_detail = "The token is invalid or has expired."


class WrongCurrentPasswordError(ForbiddenError):
    """The caller is signed in, but may change the password only by proving they know it."""

    code = "wrong_current_password"
    default_detail = "The current password is not correct."


class UserNotFoundError(NotFoundError):
    code = "user_not_found"
    default_detail = "User not found"


class TodoNotFoundError(NotFoundError):
    code = "todo_not_found"
    default_detail = "Todo not found"


class BlockerNotFoundError(NotFoundError):
    code = "blocker_not_found"
    default_detail = "This todo is not blocked by that one"


class BlockerCycleError(ConflictError):
    """The blocker would close a cycle: ``cycle`` names it, from the todo back to itself."""

    code = "blocker_cycle"

    def __init__(self, cycle: list[int]) -> None:
        path = " -> ".join(str(todo_id) for todo_id in cycle)
        super().__init__(f"The blocker would close a cycle: {path}", cycle=cycle)


class EmailTakenError(ConflictError):
    code = "email_taken"
    default_detail = "A user with this email already exists"


class NotReadyError(ServiceUnavailableError):
    code = "not_ready"
    default_detail = "The service cannot serve requests yet: a dependency is not answering."


class DatabaseUnavailableError(ServiceUnavailableError):
    code = "database_unavailable"
    default_detail = "The database cannot be reached. Try again later."


class InvalidCursorError(BadRequestError):
    code = "invalid_cursor"
    default_detail = "The cursor is not one this API handed out. Start again without it."
