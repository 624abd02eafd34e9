"""The verify battery's own logic: which sections apply, how results add up, the table."""

from shared.verify.plan import ChapterPlan, verified_chapters
from shared.verify.results import (
    ChapterResult,
    SectionResult,
    all_passed,
    load_results,
    render_defences,
    render_notes,
    render_table,
)


def test_sections_start_at_their_chapters():
    assert ChapterPlan(3).sections == ("fuzz",)
    assert ChapterPlan(7).sections == ("fuzz", "attacks")
    assert ChapterPlan(10).sections == ("fuzz", "attacks", "faults")
    assert [plan.name for plan in verified_chapters(["ch12", "ch01", "ch02", "ch03"])] == [
        "ch03",
        "ch12",
    ]


def test_a_side_track_is_verified_as_its_chapter_plus_what_it_adds():
    [chapter, track] = verified_chapters(["ch12-graph", "ch12"])

    assert (track.name, track.number, track.track) == ("ch12-graph", 12, "graph")
    assert track.sections == chapter.sections
    assert track.api_prefix == chapter.api_prefix
    assert track.defences[: len(chapter.defences)] == chapter.defences
    assert track.defences[len(chapter.defences) :] == ("cycles, depth bombs and other users' ids",)
    assert ChapterPlan.named("ch07") == ChapterPlan(7)


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


def test_defences_start_at_their_chapters():
    assert ChapterPlan(6).defences == ()
    assert "refresh-token theft" in ChapterPlan(7).defences
    assert "forwarded headers through the proxy" not in ChapterPlan(9).defences
    assert "forwarded headers through the proxy" in ChapterPlan(10).defences


def test_a_defence_not_tried_on_postgresql_fails_the_chapter(tmp_path):
    plan = ChapterPlan(7)
    sections = {name: SectionResult(tried=2, passed=2) for name in plan.sections}
    tried = {name: SectionResult(tried=1, passed=1) for name in plan.defences}
    untried = dict(tried)
    del untried["races"]

    on_sqlite = ChapterResult("ch07", database="sqlite", sections=sections, defences=untried)
    on_postgres = ChapterResult("ch07", database="postgresql", sections=sections, defences=untried)
    complete = ChapterResult("ch07", database="postgresql", sections=sections, defences=tried)

    assert on_sqlite.ok(plan)
    assert on_postgres.missing(plan) == ["races"]
    assert not on_postgres.ok(plan)
    assert complete.ok(plan)


def test_the_defence_table_counts_each_class_per_chapter(tmp_path):
    plans = [ChapterPlan(7), ChapterPlan(10)]
    races = SectionResult(tried=3, passed=2, failed=1)
    theft = SectionResult(tried=2, passed=2)
    ChapterResult("ch07", defences={"races": races, "refresh-token theft": theft}).write(tmp_path)

    table = render_defences(load_results(tmp_path, plans), plans)

    rows = {line.split("|")[1].strip(): line for line in table.splitlines()}
    assert "2 / 3 (1 FAILED)" in rows["races"]
    assert "2 / 2" in rows["refresh-token theft"]
    assert "not run" in rows["refresh-token theft"]  # ch10 left no result
    assert rows["forwarded headers through the proxy"].split("|")[2].strip() == "-"


def test_the_defence_table_has_a_row_for_what_a_side_track_adds(tmp_path):
    plans = [ChapterPlan(12), ChapterPlan.named("ch12-graph")]
    graph = "cycles, depth bombs and other users' ids"
    ChapterResult("ch12-graph", defences={graph: SectionResult(tried=4, passed=4)}).write(tmp_path)

    table = render_defences(load_results(tmp_path, plans), plans)

    rows = {line.split("|")[1].strip(): line for line in table.splitlines()}
    assert [cell.strip() for cell in rows[graph].split("|")[2:4]] == ["-", "4 / 4"]
