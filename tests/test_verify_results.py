"""The verify battery's own logic: which sections apply, how results add up, the table."""

from shared.verify.plan import ChapterPlan, verified_chapters
from shared.verify.results import (
    ChapterResult,
    SectionResult,
    all_passed,
    load_results,
    render_notes,
    render_table,
)


def test_sections_start_at_their_chapters():
    assert ChapterPlan(3).sections == ("fuzz",)
    assert ChapterPlan(7).sections == ("fuzz", "attacks")
    assert ChapterPlan(10).sections == ("fuzz", "attacks", "faults")
    assert [plan.name for plan in verified_chapters([1, 2, 3, 12])] == ["ch03", "ch12"]


def test_resources_move_under_the_prefix_at_ch08():
    assert ChapterPlan(7).api_prefix == ""
    assert ChapterPlan(8).api_prefix == "/api/v1"


def test_a_section_passes_only_when_it_tried_something_and_nothing_failed():
    assert SectionResult(tried=3, passed=3).ok
    assert not SectionResult().ok
    assert not SectionResult(tried=3, passed=2, failed=1).ok
    assert SectionResult(tried=3, passed=2, skipped=1).ok


def test_a_missing_section_or_file_fails_the_summary(tmp_path):
    plans = [ChapterPlan(3), ChapterPlan(7)]
    done = ChapterResult("ch03", sections={"fuzz": SectionResult(tried=5, passed=5)})
    done.write(tmp_path)
    ChapterResult("ch07", sections={"fuzz": SectionResult(tried=5, passed=5)}).write(tmp_path)

    results = load_results(tmp_path, plans)

    assert results["ch03"] == done
    assert not all_passed(results, plans)
    table = render_table(results, plans)
    assert "ch03 PASS" in table
    assert "ch07 FAIL" in table
    assert "MISSING" in table
    assert not all_passed(load_results(tmp_path / "empty", plans[:1]), plans[:1])


def test_cors_is_checked_against_an_allow_list_from_ch08():
    assert not ChapterPlan(7).has_cors_setting
    assert ChapterPlan(8).has_cors_setting


def test_an_expected_failure_passes_but_is_named_in_the_table(tmp_path):
    plans = [ChapterPlan(7)]
    attacks = SectionResult(tried=4, passed=3, expected_failures=1)
    fuzz = SectionResult(tried=5, passed=5)
    ChapterResult("ch07", sections={"fuzz": fuzz, "attacks": attacks}).write(tmp_path)

    results = load_results(tmp_path, plans)

    assert all_passed(results, plans)
    assert "4 / 3 / 0 (1 EXPECTED FAIL)" in render_table(results, plans)
    assert not SectionResult(tried=4, passed=3).ok


def test_notes_are_listed_per_chapter(tmp_path):
    noted = ChapterResult("ch07", notes=["login timing: 1 ms"])

    assert render_notes({"ch07": noted, "ch08": None}) == "- ch07: login timing: 1 ms"
