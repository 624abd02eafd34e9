"""Chapters whose lesson is a refactor must not change behaviour."""

from shared.chapters import REPOSITORY_ROOT

CHAPTERS = REPOSITORY_ROOT / "chapters"


def test_ch05_runs_ch04s_api_tests_unchanged():
    """ch05 moves data access into a repository; ch04's API tests, byte for byte, still pass."""
    before = (CHAPTERS / "ch04" / "tests" / "test_users.py").read_text()
    after = (CHAPTERS / "ch05" / "tests" / "test_users.py").read_text()

    assert after == before
