"""Log records as JSON, one object a line, each carrying the request it belongs to.

A log aggregator (Loki, Elasticsearch, CloudWatch, ...) can index a JSON line field by field:
"every record of request 3f2a...", "every slow request on this route", "every error of user 42"
become queries instead of ``grep`` guesses. Three parts, all from the standard library:

- ``RequestContextFilter`` stamps each record with the current request's fields;
- ``JsonFormatter`` (or ``TextFormatter``, for a developer's terminal) writes the record;
- ``configure_logging`` puts one handler with both on the root logger, so Neodyme's loggers,
  uvicorn's and SQLAlchemy's all come out in the same shape.
"""

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from neodyme.core.config import Settings
from neodyme.observability.context import current_request

# Every attribute a plain LogRecord has; anything else on a record came from ``extra=``.
# uvicorn adds ``color_message``, a copy of the message with terminal colour codes: left out.
STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "color_message",
}
CONTEXT_FIELDS = ("request_id", "method", "route", "user_id")
HANDLER_NAME = "neodyme"
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class RequestContextFilter(logging.Filter):
    """Adds the current request's id, method, route and user to every record (keeps them all)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if context := current_request():
            record.request_id = context.request_id
            record.method = context.method
            record.route = context.route
            if context.user_id is not None:
                record.user_id = context.user_id
        return True


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields beyond the standard ones: the request's first, then those from ``extra=``."""
    fields = {key: value for key, value in vars(record).items() if key not in STANDARD_ATTRIBUTES}
    return {key: fields.pop(key) for key in CONTEXT_FIELDS if key in fields} | fields


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line; a traceback is one string field."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
            **extra_fields(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # default=str: an odd value in ``extra=`` must not make the log call itself fail.
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: event key=value ...``, easier on the eyes in a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-8s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{key}={value}" for key, value in extra_fields(record).items())
        return f"{super().formatMessage(record)} {fields}".rstrip()


def make_handler(log_format: str, stream: TextIO | None = None) -> logging.Handler:
    """A handler writing to ``stream`` (standard error) in ``log_format``, request fields added."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestContextFilter())
    return handler


def configure_logging(settings: Settings) -> None:
    """Send every logger's records through one Neodyme handler on the root logger.

    Called by ``create_app`` and by the command line; calling it again replaces the handler
    it installed before and leaves any other handler alone (pytest's, for one).

    uvicorn's loggers are taken over too. ``python -m neodyme serve`` starts uvicorn with
    ``log_config=None``, but ``uvicorn neodyme.main:app`` has already given them plain-text
    handlers of its own by the time it imports the app, and an access log that would repeat
    each request the app logs itself.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.name == HANDLER_NAME]:
        root.removeHandler(handler)
        handler.close()
    handler = make_handler(settings.log_format)
    handler.name = HANDLER_NAME
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in UVICORN_LOGGERS:
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
        uvicorn_logger.setLevel(logging.NOTSET)
    # One record per request: the app's ``request`` record says more than an access-log line.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
