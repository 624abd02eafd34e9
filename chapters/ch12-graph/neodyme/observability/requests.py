"""One middleware that makes every request traceable: an id, a log record, metrics.

For each HTTP request it

- takes the client's ``X-Request-ID`` if it is well-formed, or makes one up, and echoes it on
  the response, so a user's bug report, the log records and the error tracker share one key;
- opens the ``RequestContext`` that every log record of the request carries;
- when the response is done, writes one ``request`` record (status, duration, database
  queries) and a ``slow_request`` warning above the threshold, and updates the metrics.

It is plain ASGI, like ``SecurityHeadersMiddleware``, and is added last so that it runs first:
its timing includes every other middleware, and CORS answers get an id too.
"""

import logging
import re
import secrets
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from neodyme.observability.context import RequestContext, start_request
from neodyme.observability.metrics import Metrics

REQUEST_ID_HEADER = "X-Request-ID"
# An id is copied into logs, headers and error reports: only short, harmless strings qualify.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

logger = logging.getLogger("neodyme.requests")


def request_id_from(scope: Scope) -> str:
    """The caller's ``X-Request-ID`` when it is well-formed, else a new random one.

    A new id is 32 random hex digits: unique enough to find one request among millions.
    """
    received = Headers(scope=scope).get(REQUEST_ID_HEADER)
    if received is not None and VALID_REQUEST_ID.fullmatch(received):
        return received
    return secrets.token_hex(16)


class RequestObservabilityMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics, slow_request_ms: float) -> None:
        self.app = app
        self.metrics = metrics
        self.slow_request_ms = slow_request_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        context = RequestContext(request_id_from(scope), scope)
        start_request(context)
        status = 500  # what the client gets if the app fails before it starts a response

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = context.request_id
            await send(message)

        started = time.perf_counter()
        self.metrics.in_progress.inc()
        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            seconds = time.perf_counter() - started
            self.metrics.in_progress.dec()
            self.metrics.observe(context.method, context.route, status, seconds)
            self.log(context, status, seconds)

    def log(self, context: RequestContext, status: int, seconds: float) -> None:
        slow = seconds * 1000 >= self.slow_request_ms
        if not (slow or logger.isEnabledFor(logging.INFO)):
            return  # nothing would be written: skip building the record's fields
        fields = {
            "path": context.path,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "query_count": context.query_count,
            "query_ms": round(context.query_seconds * 1000, 2),
        }
        logger.info("request", extra=fields)
        if slow:
            logger.warning("slow_request", extra={**fields, "threshold_ms": self.slow_request_ms})
