"""ASGI middleware: security headers on every response, and a limit on request bodies."""

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from neodyme.web.problems import problem


class SecurityHeadersMiddleware:
    """``X-Content-Type-Options: nosniff``: browsers must trust our content type, not guess one.

    Written as plain ASGI rather than ``@app.middleware("http")``: it only touches the headers
    on their way out, so it needs neither a request object nor a copy of the body.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault("X-Content-Type-Options", "nosniff")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimitMiddleware:
    """Refuse a request body over ``max_bytes`` with a 413 problem, before the app parses it.

    Neither uvicorn nor Starlette limits bodies: without a limit, one client could make the app
    hold gigabytes in memory before validation even starts. A ``Content-Length`` over the limit
    is refused before a byte is read; a body sent without one (chunked) is read here, at most
    ``max_bytes`` of it, and handed to the app only once it is known to fit. A request with
    neither header has no body, and one with a ``Content-Length`` within the limit cannot send
    more (the server reads exactly that many bytes): both go to the app untouched, so a ``GET``
    costs this middleware one look at the headers.

    FastAPI's own ``max_body_size`` counts bytes too, but it answers a declared oversize body
    in plain text, outside this API's problem format.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if "transfer-encoding" not in headers:
            declared = headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                await self.refuse(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return

        messages: list[Message] = []
        received = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                await self.refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            """The messages read above, then whatever the client sends next (a disconnect)."""
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"The request body is larger than {self.max_bytes} bytes."
        response = problem(Request(scope), 413, "content_too_large", detail, "Content Too Large")
        await response(scope, receive, send)
