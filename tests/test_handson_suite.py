"""A page's whole-suite run is held to what pytest collects: files, counts and the summary."""

import pytest

from shared.handson.suite import collected, is_suite_command, problems

COLLECTION = [
    "tests/test_auth.py::test_login[sqlite]",
    "tests/test_auth.py::test_refresh[sqlite]",
    "tests/test_auth.py::test_logout[sqlite]",
    "tests/test_outages.py::test_postgres_goes_away",
    "tests/test_outages.py::test_sqlite_is_locked[sqlite]",
    "tests/test_security.py::test_hash",
    "",
    "databases: sqlite 0 passed",
    "6 tests collected in 0.41s",
]
PAGE = [
    "============================= test session starts ==============================",
    "platform linux -- Python 3.11.7, pytest-9.2.0, pluggy-1.7.0",
    "collected 6 items",
    "",
    "tests/test_auth.py ...                                                   [ 50%]",
    "tests/test_outages.py s.                                                 [ 83%]",
    "tests/test_security.py .                                                 [100%]",
    "",
    "databases: sqlite 4 passed",
    "========================= 5 passed, 1 skipped in 2.50s =========================",
]


def check(page: list[str], collection: list[str] = COLLECTION) -> list[str]:
    return problems(page, *collected(collection))


def test_a_page_that_agrees_with_the_collection_has_no_problem():
    assert check(PAGE) == []


def test_a_test_added_since_the_page_was_written_is_found():
    collection = [*COLLECTION[:3], "tests/test_auth.py::test_new[sqlite]", *COLLECTION[3:]]
    collection[-1] = "7 tests collected in 0.41s"

    found = check(PAGE, collection)

    assert "the page shows 6 results; pytest collects 7 tests" in found
    assert (
        "file 1 of the run: the page shows tests/test_auth.py with 3 tests, "
        "pytest collects tests/test_auth.py with 4" in found
    )
    assert "`collected 6 items`: pytest collects 7, 0 deselected" in found


def test_a_summary_that_does_not_add_up_is_found():
    page = [line.replace("5 passed", "6 passed") for line in PAGE]

    assert check(page) == [
        "the summary says {'passed': 6, 'skipped': 1}; "
        "its results add up to {'passed': 5, 'skipped': 1}"
    ]


def test_a_page_without_file_names_and_with_deselected_tests():
    """``pytest -q -k …``: progress lines without files, and a summary that counts the rest."""
    collection = [*COLLECTION[:3], "", "3/6 tests collected (3 deselected) in 0.30s"]
    page = [
        "...                                                                      [100%]",
        "databases: sqlite 3 passed",
        "3 passed, 3 deselected in 0.80s",
    ]

    assert check(page, collection) == []
    assert check([*page[:2], "3 passed in 0.80s"], collection) == [
        "the summary says {'passed': 3}; its results add up to {'passed': 3, 'deselected': 3}"
    ]


def test_more_passes_on_the_databases_than_tests_that_passed_is_found():
    page = [line.replace("sqlite 4 passed", "sqlite 9 passed") for line in PAGE]

    assert check(page) == ["`databases: sqlite 9 passed`: more than the 5 tests that passed"]


@pytest.mark.parametrize(
    "line",
    [
        "_______________ coverage: platform linux, python 3.11.7-final-0 ________________",
        "=========================== short test summary info ============================",
    ],
)
def test_what_only_a_real_run_prints_cannot_be_checked_by_collection(line):
    [problem] = check([*PAGE, line])

    assert problem.startswith("shows what only a real run prints")


@pytest.mark.parametrize(
    ("command", "alone"),
    [
        ("pytest", True),
        ("pytest -q --no-cov --durations=5", True),
        ("pytest -q | tail -2", False),
        ("pytest; echo $?", False),
        ("NEODYME_TEST_POSTGRES_URL=x pytest -q", False),
        ("python -m pytest", False),
    ],
)
def test_only_a_plain_pytest_step_stands_for_the_suite(command, alone):
    assert is_suite_command(command) is alone
