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

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.default_detail
        super().__init__(self.detail)


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


class ServiceUnavailableError(NeodymeError):
    status = 503
    title = "Service Unavailable"
    code = "service_unavailable"
    default_detail = "The service is temporarily unavailable. Try again later."


class UserNotFoundError(NotFoundError):
    code = "user_not_found"
    default_detail = "User not found"


class TodoNotFoundError(NotFoundError):
    code = "todo_not_found"
    default_detail = "Todo not found"


class EmailTakenError(ConflictError):
    code = "email_taken"
    default_detail = "A user with this email already exists"


class DatabaseUnavailableError(ServiceUnavailableError):
    code = "database_unavailable"
    default_detail = "The database cannot be reached. Try again later."
