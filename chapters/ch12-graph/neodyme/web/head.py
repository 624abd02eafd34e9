"""``HEAD``: the answer a ``GET`` would get, without its body (RFC 9110, section 9.3.2).

FastAPI routes a ``GET`` endpoint for ``GET`` alone, so ``HEAD`` was a 405 whose ``Allow``
header listed ``GET, HEAD``. Every ``GET`` resource must answer ``HEAD`` (a link checker or a
cache asks whether it exists, how big it is, when it changed), with the very same headers.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadMiddleware:
    """Run a ``HEAD`` request as a ``GET``, and drop the body on its way out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        # The scope itself, not a copy: the router records the route it picks there, for the
        # middleware outside this one to read. Once answered, the request is a HEAD again.
        scope["method"] = "GET"
        try:
            await self.app(scope, receive, send_without_body)
        finally:
            scope["method"] = "HEAD"
