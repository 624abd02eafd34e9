"""The battery learns optional features from the settings a chapter documents."""

from shared.verify.plan import ChapterPlan, documented_settings, verified_chapters
from shared.verify.session import start_order


def test_settings_are_read_from_assignments_not_from_comments():
    example = (
        "# Redis, shared by every process.\n"
        "#   NEODYME_REDIS_URL=redis://localhost:6379/0\n"
        "NEODYME_DEBUG=false\n"
        "  NEODYME_REDIS_URL=\n"
        "OTHER=1\n"
    )

    assert documented_settings(example) == {"NEODYME_DEBUG", "NEODYME_REDIS_URL"}


def test_a_chapter_without_the_setting_lacks_the_feature():
    assert "NEODYME_REDIS_URL" not in documented_settings("NEODYME_DEBUG=false\n")
    assert documented_settings("") == set()


def test_the_chapter_that_hashes_at_production_cost_starts_first_then_the_newest():
    plans = verified_chapters(["ch03", "ch06", "ch07", "ch08", "ch12", "ch12-graph"])

    order = [plan.name for plan in sorted(plans, key=start_order)]

    assert order == ["ch07", "ch12", "ch12-graph", "ch08", "ch06", "ch03"]
    costly = [name for name in order if ChapterPlan.named(name).hashes_at_production_cost]
    assert costly == ["ch07"]
