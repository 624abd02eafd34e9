"""How long each nox session took, as one table when ``nox`` exits.

nox reports each session's time rounded to minutes, scattered through a long log. The table
puts every session of the run in one place, in seconds, so a session that got slower is visible
in every CI log. The noxfile wraps each session function with :meth:`SessionTimes.timed`.
"""

from __future__ import annotations

import atexit
import functools
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

import nox.sessions


@dataclass
class SessionTime:
    name: str
    seconds: float
    outcome: str


def outcome_of(error: BaseException | None) -> str:
    """``success``, ``skipped``, ``interrupted`` or ``failed``, as nox would report the session."""
    if error is None:
        return "success"
    if isinstance(error, nox.sessions._SessionSkip):
        return "skipped"
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    return "failed"


@dataclass
class SessionTimes:
    rows: list[SessionTime] = field(default_factory=list)
    clock: Callable[[], float] = time.monotonic

    def timed(self, function: Callable[[nox.Session], None]) -> Callable[[nox.Session], None]:
        """``function``, recording its wall time and outcome under the session's name."""

        @functools.wraps(function)
        def run(session: nox.Session) -> None:
            started = self.clock()
            error: BaseException | None = None
            try:
                function(session)
            except BaseException as exc:
                error = exc
                raise
            finally:
                seconds = self.clock() - started
                self.rows.append(SessionTime(session.name, seconds, outcome_of(error)))

        return run

    def table(self) -> str:
        width = max([len("session"), *(len(row.name) for row in self.rows)])
        lines = [f"{'session':<{width}}  {'result':<11}  {'seconds':>8}"]
        lines += [
            f"{row.name:<{width}}  {row.outcome:<11}  {row.seconds:>8.1f}" for row in self.rows
        ]
        total = sum(row.seconds for row in self.rows)
        lines.append(f"{'total':<{width}}  {'':<11}  {total:>8.1f}")
        return "\n".join(lines)

    def print_at_exit(self, stream: TextIO | None = None) -> None:
        """Print the table when the nox process ends, after nox's own summary."""

        def show() -> None:
            if self.rows:
                print(f"\nSession times (wall clock):\n{self.table()}", file=stream or sys.stderr)

        atexit.register(show)
