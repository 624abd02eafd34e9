"""The battery learns optional features from the settings a chapter documents."""

from shared.verify.plan import documented_settings


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
