"""Error tracking with Sentry: optional, and off unless ``NEODYME_SENTRY_DSN`` is set.

A log line says an error happened; an error tracker groups the same error across thousands of
occurrences, shows its traceback with local variables, and says when it first appeared and in
which release. ``sentry-sdk`` is an optional extra (``pip install "neodyme[sentry]"``), so an
installation that does not use it carries none of it.

Sentry is wired through the standard library's ``logging`` only: every record at ERROR, such
as the one the 500 handler writes with its traceback, becomes an event. That integration is
named, with its level, rather than left to the defaults, which sentry-sdk 3 changed: it sends
no event for a log record unless told from which level. The framework integrations that would
patch FastAPI and Starlette stay off: the events are exactly the errors the log shows, and
nothing changes how a request is served. Sentry's defaults send no personal data (IP addresses,
cookies, request bodies); each event is tagged with the request id, the route and the user id,
the keys that lead back to the logs.
"""

import logging
from typing import Any

from neodyme import __version__
from neodyme.core.config import ConfigurationError, Settings
from neodyme.observability.context import current_request


def configure_error_tracking(settings: Settings) -> None:
    """Start Sentry when a DSN is configured; fail in one line if the extra is not installed."""
    if settings.sentry_dsn is None:
        return
    try:
        import sentry_sdk
        from sentry_sdk.integrations.logging import LoggingIntegration
    except ImportError:
        raise ConfigurationError(
            "NEODYME_SENTRY_DSN is set but sentry-sdk is not installed: "
            'pip install "neodyme[sentry]"'
        ) from None
    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=settings.environment,
        release=f"neodyme@{__version__}",
        auto_enabling_integrations=False,
        integrations=[LoggingIntegration(event_level=logging.ERROR)],
        before_send=tag_with_request,
    )


def tag_with_request(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Tag an event with the request it happened in: search the logs for the same id."""
    if context := current_request():
        tags = event.setdefault("tags", {})
        tags["request_id"] = context.request_id
        tags["route"] = context.route
        if context.user_id is not None:
            event.setdefault("user", {})["id"] = str(context.user_id)
    return event
