"""How long each nox session took, and why a session failed, as one table when ``nox`` exits.

nox reports each session's time rounded to minutes, scattered through a long log. The table
puts every session of the run in one place, in seconds, so a session that got slower is visible
in every CI log. The noxfile wraps each session function with :meth:`SessionTimes.timed`.

A failure is reported where it happened, often thousands of lines before the end, and a CI
system that keeps only a log's head and tail loses it. So a failed session may leave a few lines
saying why (:func:`shared.recap.write_recap`), and they follow the table.
"""

from __future__ import annotations

import atexit
import functools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import nox.sessions

from shared.recap import RECAP

RECAP_LINES = 40  # at most this many lines of a recap follow the table


@dataclass
class SessionTime:
    name: str
    seconds: float
    outcome: str
    recap: str = ""


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
            descriptor, recap = tempfile.mkstemp(prefix="neodyme-recap-", suffix=".txt")
            os.close(descriptor)
            os.environ[RECAP] = recap
            try:
                function(session)
            except BaseException as exc:
                error = exc
                raise
            finally:
                seconds = self.clock() - started
                del os.environ[RECAP]
                outcome = outcome_of(error)
                text = Path(recap).read_text().strip() if outcome == "failed" else ""
                Path(recap).unlink()
                self.rows.append(SessionTime(session.name, seconds, outcome, text))

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

    def recaps(self) -> str:
        """What each failed session said about its failure, a block each."""
        blocks = []
        for row in self.rows:
            if row.recap:
                lines = row.recap.splitlines()
                if len(lines) > RECAP_LINES:
                    lines = [*lines[:RECAP_LINES], f"… {len(lines) - RECAP_LINES} more lines"]
                blocks.append(f"Why {row.name} failed:\n" + "\n".join(lines))
        return "\n\n".join(blocks)

    def print_at_exit(self, stream: TextIO | None = None) -> None:
        """Print the table when the nox process ends, after nox's own summary."""

        def show() -> None:
            if self.rows:
                print(f"\nSession times (wall clock):\n{self.table()}", file=stream or sys.stderr)
            if recaps := self.recaps():
                print(f"\n{recaps}", file=stream or sys.stderr)

        atexit.register(show)
