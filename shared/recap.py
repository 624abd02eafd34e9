"""A failed session's few lines on why it failed, repeated at the end of ``nox``'s output.

The session runner (:mod:`shared.session_times`) names a file in ``NEODYME_SESSION_RECAP`` for
each session; the tools a session runs (pytest reports, the Hands-on runner, the verify battery)
write to it. Plain Python, no nox: the tools run in environments of their own.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from pathlib import Path

RECAP = "NEODYME_SESSION_RECAP"


def write_recap(lines: Iterable[str]) -> None:
    """Say in a few lines why this session failed, for the end of the log (outside nox: no-op)."""
    if path := os.environ.get(RECAP):
        with open(path, "a") as recap:
            recap.writelines(f"{line}\n" for line in lines)


def junit_failures(report: Path) -> list[str]:
    """The failed and errored tests of a pytest JUnit XML report, one line each."""
    try:
        cases = ElementTree.parse(report).iter("testcase")
    except (OSError, ElementTree.ParseError):  # none written, or cut short by a killed run
        return []
    lines = []
    for case in cases:
        for problem in (*case.iter("failure"), *case.iter("error")):
            message = (problem.get("message") or "").strip().splitlines()
            first = message[0][:160] if message else ""
            kind = "ERROR" if problem.tag == "error" else "FAILED"
            lines.append(f"{kind} {case.get('classname')}::{case.get('name')} - {first}")
    return lines
