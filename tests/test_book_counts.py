"""Counts in the book that no executed step prints agree with the code and with the steps.

``nox -s handson`` checks what each executed step prints against a real run. Two kinds of
figures escape it: the PostgreSQL runs a page shows without executing them (the chapter's own
nox session runs that suite in CI), and counts written in prose ("sixty-two tests use a
database", "all six migrations"). Both are checked here: against the page's executed SQLite run
(whose output the Hands-on runner checks) and against the chapter's files. A count in prose that
is not worth this check is better left out of the prose.
"""

import re
from dataclasses import dataclass, field

import pytest

from shared.chapters import REPOSITORY_ROOT, discover_snapshots
from shared.handson.extract import extract_blocks

PAGES = REPOSITORY_ROOT / "docs" / "chapters"
WORDS = [
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"),
    *("eighteen", "nineteen"),
]
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70}
PROGRESS = re.compile(r"^(?:tests/\S+ )?([.FEsx]+) +\[ *\d+%\]$")


def number(text: str) -> int:
    """``62``, ``sixty-two`` or ``Sixty-two`` as an int."""
    text = text.lower()
    if text.isdigit():
        return int(text)
    if text in WORDS:
        return WORDS.index(text)
    tens, _, ones = text.partition("-")
    return TENS[tens] + (WORDS.index(ones) if ones else 0)


@dataclass
class SuiteRun:
    """What a page's executed ``pytest`` on SQLite shows."""

    total: int
    database: int
    files: dict[str, int] = field(default_factory=dict)

    @property
    def no_database(self) -> int:
        return self.total - self.database


def migrations(chapter: str) -> int:
    return len(list((REPOSITORY_ROOT / "chapters" / chapter / "alembic" / "versions").glob("*.py")))


def executed_output(chapter: str, command: str) -> list[str]:
    """What the page shows the first executed ``command`` printing (the runner checks it)."""
    for block in extract_blocks((PAGES / f"{chapter}.md").read_text()):
        for step in block.commands:
            if step.text == command and "skip" not in block.options:
                return step.expected
    raise AssertionError(f"{chapter}.md does not run {command!r}")


def sqlite_run(page: str) -> SuiteRun:
    """The figures of the page's executed ``$ pytest``: the whole suite, on SQLite."""
    output = executed_output(page.removesuffix(".md"), "pytest")
    text = "\n".join(output)
    files: dict[str, int] = {}
    for line in output:
        if match := re.match(r"^tests/(\S+) ([.]+)", line):
            files[match[1]] = files.get(match[1], 0) + len(match[2])
        elif files and (match := PROGRESS.match(line)):
            files[list(files)[-1]] += len(match[1])
    return SuiteRun(
        total=int(re.search(r"collected (\d+) items", text)[1]),
        database=int(re.search(r"^databases: sqlite (\d+) passed", text, re.M)[1]),
        files=files,
    )


def postgresql_runs(page: str) -> list[list[str]]:
    """The outputs of the page's PostgreSQL runs of the suite, shown but not executed."""
    return [
        command.expected
        for block in extract_blocks((PAGES / page).read_text())
        if "skip" in block.options
        for command in block.commands
        if "NEODYME_TEST_POSTGRES_URL=" in command.text and command.text.endswith("pytest -q")
    ]


PAGES_WITH_BOTH_RUNS = [
    stage.name + ".md" for stage in discover_snapshots() if postgresql_runs(stage.name + ".md")
]


COVERAGE_ROW = re.compile(r"^(?P<name>\S+\.py|TOTAL) +(?P<stmts>\d+) +\d+ +(?P<branches>\d+) ")


def measured(output: list[str]) -> dict[str, tuple[int, int]]:
    """A coverage table's statements and branches, by file (and ``TOTAL``)."""
    return {
        match["name"]: (int(match["stmts"]), int(match["branches"]))
        for line in output
        if (match := COVERAGE_ROW.match(line))
    }


@pytest.mark.parametrize("page", PAGES_WITH_BOTH_RUNS)
def test_the_postgresql_runs_coverage_table_measures_the_same_code(page):
    """Both runs measure one chapter's code: the same statements and branches in each file the
    two tables list, and in total. A table left from older code shows other figures."""
    sqlite = measured(executed_output(page.removesuffix(".md"), "pytest"))
    [output] = postgresql_runs(page)
    postgresql = measured(output)

    both = sqlite.keys() & postgresql.keys()
    assert {name: postgresql[name] for name in both} == {name: sqlite[name] for name in both}
    assert ("TOTAL" in sqlite) == ("TOTAL" in postgresql)


@pytest.mark.parametrize("page", PAGES_WITH_BOTH_RUNS)
def test_the_postgresql_run_a_page_shows_is_the_sqlite_run_plus_each_database_test_again(page):
    """Tests skipped on SQLite alone (they need a server) run on SQLite too once PostgreSQL is
    configured; tests that make an SQLite file of their own run once, counted as SQLite."""
    sqlite = sqlite_run(page)
    [output] = postgresql_runs(page)
    text = "\n".join(output)
    dots = sum(len(match[1]) for line in output if (match := PROGRESS.match(line)))
    shown = "\n".join(executed_output(page.removesuffix(".md"), "pytest"))
    skipped = int(match[1]) if (match := re.search(r"(\d+) skipped", shown)) else 0
    counts = re.search(r"^databases: sqlite (\d+) passed, postgresql (\d+) passed$", text, re.M)

    assert counts, text
    on_sqlite, on_postgresql = int(counts[1]), int(counts[2])
    both = on_sqlite + on_postgresql + sqlite.no_database - skipped
    assert on_sqlite == sqlite.database + skipped
    assert on_postgresql <= on_sqlite
    assert re.search(rf"^{both} passed in ", text, re.M), text
    if not any(line.strip() in {"…", "..."} for line in output):  # the page shows every line
        assert dots == both


def total(chapter: str) -> int:
    return sqlite_run(f"{chapter}.md").total


def database(chapter: str) -> int:
    return sqlite_run(f"{chapter}.md").database


def no_database(chapter: str) -> int:
    return sqlite_run(f"{chapter}.md").no_database


def in_file(chapter: str, name: str) -> int:
    return sqlite_run(f"{chapter}.md").files[name]


def coverage(chapter: str, module: str) -> tuple[int, str]:
    """A module's line of the coverage report in the page's executed run: (percent, missing)."""
    for line in executed_output(chapter, "pytest"):
        if line.startswith(f"neodyme/{module} "):
            percent, _, missing = line.partition("%")
            return int(percent.split()[-1]), missing.strip()
    return 100, ""  # the report leaves out the files it covers completely


# (page, a sentence's pattern with one count in it, what the count must be)
PROSE_COUNTS = [
    ("ch02.md", r"(\S+) tests use a database; one only", lambda: database("ch02")),
    ("ch04.md", r"The (\w+) migrations\. The first", lambda: migrations("ch04")),
    ("ch04.md", r"(\S+) tests use a database\.", lambda: database("ch04")),
    ("ch04.md", r"The other (\w+) check that", lambda: no_database("ch04")),
    ("ch05.md", r"Chapter 5 has chapter 4's (\w+) migrations", lambda: migrations("ch04")),
    (
        "ch05.md",
        r"chapter 4's \w+ migrations and (\w+) more",
        lambda: migrations("ch05") - migrations("ch04"),
    ),
    (
        "ch07.md",
        r"### The schema: (\w+) migrations",
        lambda: migrations("ch07") - migrations("ch06"),
    ),
    ("ch07.md", r"now through (\w+) migrations", lambda: migrations("ch07")),
    ("ch07.md", r"all (\w+) migrations", lambda: migrations("ch07")),
    ("ch07.md", r"only the last (\w+) run", lambda: migrations("ch07") - migrations("ch06")),
    (
        "ch07.md",
        r"(\w+) tests need no database",
        lambda: no_database("ch07") - int(printed("ch07", "pytest", r"(\d+) skipped")),
    ),
    (
        "ch08.md",
        r"The (\d+) tests of `test_config.py`",
        lambda: len(printed("ch08", "pytest", r"(?m)^tests/test_config.py (\.+) ")),
    ),
    (
        "ch08.md",
        r"makes (\d+) of the \d+\.",
        lambda: no_database("ch08") - int(printed("ch08", "pytest", r"(\d+) skipped")),
    ),
    ("ch08.md", r"makes \d+ of the (\d+)\.", lambda: total("ch08")),
    ("ch09.md", r"runs the (\w+) migrations on it", lambda: migrations("ch08")),
    ("ch09.md", r"`databases: sqlite (\d+) passed` counts", lambda: database("ch09")),
    (
        "ch09.md",
        r"All (\d+) repository tests",
        lambda: len(printed("ch09", "pytest", r"(?m)^tests/test_database.py (\.+) ")),
    ),
    (
        "ch09.md",
        r"(\d+) tests: \d+ on SQLite",
        lambda: int(
            re.search(r"^(\d+) passed in ", "\n".join(*postgresql_runs("ch09.md")), re.M)[1]
        ),
    ),
    (
        "ch09.md",
        r"\d+ tests: (\d+) on SQLite",
        lambda: int(re.search(r"sqlite (\d+) passed,", "\n".join(*postgresql_runs("ch09.md")))[1]),
    ),
    (
        "ch09.md",
        r"(\d+) on PostgreSQL \(",
        lambda: int(
            re.search(r"postgresql (\d+) passed", "\n".join(*postgresql_runs("ch09.md")))[1]
        ),
    ),
    (
        "ch09.md",
        r"and the (\d+) that need none",
        lambda: no_database("ch09") - int(printed("ch09", "pytest", r"(\d+) skipped")),
    ),
    ("ch09.md", r"\((\w+) more tests? than chapter 8's\)", lambda: total("ch09") - total("ch08")),
    ("ch09.md", r"`__main__.py` at (\d+) %", lambda: coverage("ch09", "__main__.py")[0]),
    ("ch09.md", r"`neodyme/__main__.py` shows (\d+) %", lambda: coverage("ch09", "__main__.py")[0]),
]


def printed(chapter: str, command: str, pattern: str) -> str:
    """The part of what an executed ``command`` printed that ``pattern``'s group matches."""
    return re.search(pattern, "\n".join(executed_output(chapter, command)))[1]


def prose(page: str) -> str:
    """The page's text with every line break a space: a sentence may wrap anywhere."""
    return " ".join((PAGES / page).read_text().split())


# (page, a sentence's pattern with a figure in it, the figure an executed step printed)
PROSE_FIGURES = [
    (
        "ch09.md",
        r"The run passes, at ([\d.]+) %",
        lambda: printed(
            "ch09",
            "pytest -q --ignore=tests/test_database.py | tail -2",
            r"Total coverage: ([\d.]+)%",
        ),
    ),
    (
        "ch09.md",
        r"the total falls to ([\d.]+) %",
        lambda: printed(
            "ch09",
            'pytest -q -k "not test_users and not test_todos and not test_auth and not test_races"',
            r"Total coverage: ([\d.]+)%",
        ),
    ),
]

# (page, a sentence's pattern naming lines of the coverage report, the module they are in)
PROSE_LINES = [
    ("ch09.md", r"`main.py` (\S+) is the one-line exit", "main.py"),
    ("ch09.md", r"`problems.py` `(\S+)`: a branch never taken", "web/problems.py"),
    ("ch09.md", r"`rate_limit.py` `(\S+)`:", "core/rate_limit.py"),
    ("ch09.md", r"`security.py` (\S+):", "core/security.py"),
    ("ch09.md", r"`services/auth.py` (\d+):", "services/auth.py"),
    ("ch09.md", r"`middleware.py` (\S+) and", "web/middleware.py"),
    ("ch09.md", r"`middleware.py` \S+ and (\S+):", "web/middleware.py"),
]


@pytest.mark.parametrize(
    ("page", "pattern", "expected"),
    PROSE_COUNTS,
    ids=[f"{page}:{pattern}" for page, pattern, _ in PROSE_COUNTS],
)
def test_a_count_in_prose_is_the_count_in_the_code(page, pattern, expected):
    found = re.findall(pattern, prose(page))

    assert found, f"{page} no longer says {pattern!r}: update PROSE_COUNTS with the page"
    assert [number(word) for word in found] == [expected()] * len(found)


@pytest.mark.parametrize(
    ("page", "pattern", "module"),
    PROSE_LINES,
    ids=[f"{page}:{pattern}" for page, pattern, _ in PROSE_LINES],
)
def test_lines_the_prose_says_are_unmeasured_are_in_the_coverage_report(page, pattern, module):
    report = coverage(page.removesuffix(".md"), module)[1]

    [lines] = re.findall(pattern, prose(page))

    assert lines in [part.strip() for part in report.split(",")], report


@pytest.mark.parametrize(
    ("page", "pattern", "expected"),
    PROSE_FIGURES,
    ids=[f"{page}:{pattern}" for page, pattern, _ in PROSE_FIGURES],
)
def test_a_figure_in_prose_is_the_one_the_step_printed(page, pattern, expected):
    assert re.findall(pattern, prose(page)) == [expected()]


def test_the_number_words_read_as_numbers():
    assert [number(word) for word in ("62", "Sixty-two", "twelve", "thirty", "Five")] == [
        62,
        62,
        12,
        30,
        5,
    ]


def test_every_page_with_a_postgresql_run_is_checked():
    shown = {
        path.name
        for path in PAGES.glob("ch*.md")
        if "NEODYME_TEST_POSTGRES_URL=postgresql+asyncpg" in path.read_text()
        and re.search(r"pytest -q\n", path.read_text())
    }

    assert shown == set(PAGES_WITH_BOTH_RUNS)
