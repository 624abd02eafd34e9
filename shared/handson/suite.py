"""A page's run of its chapter's whole suite, checked against what pytest collects.

A chapter's nox session runs its whole suite, on SQLite and PostgreSQL, in every CI run. A page
that shows the same suite on SQLite would run it a second time for the same verdict, and those
runs were most of the Hands-on session's time. So a block marked ``suite`` asks pytest what the
same command would run (``--collect-only``) and checks against it everything the page shows
that collection decides: the files in their order and the number of tests in each, the
selected and deselected counts, and a summary that adds up to them. What only a real run can
show (a failure, a coverage table, the time) is not in such a block, or is masked; ``--accept``
and ``--run-suites`` run these blocks for real, which is how their output is made.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import groupby

SUITE_COMMAND = re.compile(r"^pytest\b[^|;&]*$")
# Append to the page's command: only collect, and list one node id a line (whatever -q it has).
COLLECT_ONLY = "--collect-only --verbosity=-1"
PROGRESS = re.compile(r"^(?:(?P<file>\S+\.py) )?(?P<results>[.sFEXx]+) *(?:\[ *\d+%\])?$")
HEADER = re.compile(r"^collected (\d+) items?(?: / (\d+) deselected / (\d+) selected)?$")
SUMMARY = re.compile(r"\b\d+ (?:passed|failed|skipped|deselected)\b.* in [\d.]+s")
COUNT = re.compile(r"(\d+) (passed|failed|skipped|deselected|xfailed|xpassed|errors?)\b")
COLLECTED = re.compile(r"^(\d+)(?:/(\d+))? tests? collected(?: \((\d+) deselected\))?")
DATABASES = re.compile(r"^databases: (\w+ \d+ passed(?:, \w+ \d+ passed)*)$")
# What each character of pytest's progress stands for, as its summary counts it.
OUTCOMES = {
    ".": "passed",
    "s": "skipped",
    "F": "failed",
    "E": "error",
    "x": "xfailed",
    "X": "xpassed",
}
# Lines only a real run prints. (``--durations`` is allowed: which tests are slowest varies from
# run to run, so a page masks them anyway.)
RUN_ONLY = ("coverage: platform", "short test summary info", "FAILURES")


def is_suite_command(command: str) -> bool:
    """Whether a step runs pytest alone (no pipe, no second command): collection can stand in."""
    return bool(SUITE_COMMAND.match(command.strip()))


def collected(output: list[str]) -> tuple[list[str], int]:
    """The node ids ``--collect-only --verbosity=-1`` listed, in run order, and the deselected."""
    ids = [line.strip() for line in output if "::" in line and not line.startswith(" ")]
    deselected = 0
    for line in output:
        if match := COLLECTED.match(line.strip()):
            deselected = int(match[3] or 0)
    return ids, deselected


def shown_results(shown: list[str]) -> list[tuple[str | None, str]]:
    """The page's progress lines as (file, result characters); a wrapped line joins its file's."""
    groups: list[tuple[str | None, str]] = []
    for line in shown:
        match = PROGRESS.match(line.rstrip())
        if match is None:
            continue
        if match["file"] or not groups:
            groups.append((match["file"], match["results"]))
        else:
            file, results = groups[-1]
            groups[-1] = (file, results + match["results"])
    return groups


def summary_counts(shown: list[str]) -> Counter[str] | None:
    """The counts of the page's last summary line (``281 passed, 2 skipped in 84.50s``)."""
    lines = [line for line in shown if SUMMARY.search(line)]
    if not lines:
        return None
    counts: Counter[str] = Counter()
    for number, outcome in COUNT.findall(lines[-1]):
        counts["error" if outcome.startswith("error") else outcome] += int(number)
    return counts


def problems(shown: list[str], ids: list[str], deselected: int) -> list[str]:
    """Where the page's run disagrees with the collection (no problem: an empty list)."""
    if run_only := [marker for marker in RUN_ONLY if any(marker in line for line in shown)]:
        return [f"shows what only a real run prints ({run_only[0]!r}): it cannot be a suite block"]
    groups = shown_results(shown)
    results = "".join(characters for _, characters in groups)
    found: list[str] = []
    if len(results) != len(ids):
        found.append(f"the page shows {len(results)} results; pytest collects {len(ids)} tests")
    if any(file for file, _ in groups):
        by_file = [(file, len(list(tests))) for file, tests in groupby(ids, file_of)]
        on_page = [(file, len(characters)) for file, characters in groups]
        if difference := first_difference(on_page, by_file):
            found.append(difference)
    if (counts := summary_counts(shown)) is None:
        found.append("no summary line (`N passed … in Xs`)")
    else:
        expected = Counter(OUTCOMES[result] for result in results)
        expected["deselected"] = deselected
        if +counts != +expected:
            found.append(
                f"the summary says {dict(+counts)}; its results add up to {dict(+expected)}"
            )
    for line in shown:
        if match := HEADER.match(line):
            total, dropped = int(match[1]), int(match[2] or 0)
            if (total, dropped) != (len(ids) + deselected, deselected):
                found.append(
                    f"`{line}`: pytest collects {len(ids) + deselected}, {deselected} deselected"
                )
        if match := DATABASES.match(line):
            passed = sum(int(count) for count in re.findall(r"(\d+) passed", match[1]))
            if passed > results.count("."):
                found.append(f"`{line}`: more than the {results.count('.')} tests that passed")
    return found


def file_of(node_id: str) -> str:
    return node_id.split("::", 1)[0]


def first_difference(on_page: list[tuple[str | None, int]], by_file: list[tuple[str, int]]) -> str:
    """The first file whose place or number of tests differs, in words; "" if none."""
    for position, (shown, real) in enumerate(zip(on_page, by_file, strict=False), start=1):
        if shown != real:
            return (
                f"file {position} of the run: the page shows {shown[0]} with {shown[1]} tests, "
                f"pytest collects {real[0]} with {real[1]}"
            )
    if len(on_page) != len(by_file):
        return f"the page shows {len(on_page)} files in the run, pytest collects {len(by_file)}"
    return ""
