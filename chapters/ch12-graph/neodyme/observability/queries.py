"""How many SQL statements each request runs, and how long the database took for them.

A page that is slow because it runs 200 queries (the "N+1" pattern) and one that is slow
because one query scans a large table look the same from outside. The request log record says
which: SQLAlchemy announces every statement it sends to the driver with the
``before_cursor_execute`` and ``after_cursor_execute`` events, and these listeners add each one
to the current request's ``RequestContext``.

SQLAlchemy's async engine runs the driver calls in greenlets that share the caller's context,
so ``current_request()`` finds the request from inside the listeners too.
"""

import time

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from neodyme.observability.context import current_request

STARTED = "neodyme_statement_started"


def count_queries(engine: AsyncEngine) -> None:
    """Count every statement ``engine`` runs during a request, and time the ones that finish."""
    event.listen(engine.sync_engine, "before_cursor_execute", before_statement)
    event.listen(engine.sync_engine, "after_cursor_execute", after_statement)


def before_statement(connection, cursor, statement, parameters, context, executemany) -> None:
    if request := current_request():
        request.query_count += 1
        # One connection runs one statement at a time, so one start time per connection will do.
        connection.info[STARTED] = time.perf_counter()


def after_statement(connection, cursor, statement, parameters, context, executemany) -> None:
    request = current_request()
    started = connection.info.pop(STARTED, None)
    if request and started is not None:
        request.query_seconds += time.perf_counter() - started
