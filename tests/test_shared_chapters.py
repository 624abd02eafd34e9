"""Chapter discovery: what the nox sessions, the invariants and the CI matrix are built from."""

from shared.chapters import (
    REPOSITORY_ROOT,
    discover_chapters,
    discover_snapshots,
    discover_tracks,
    latest_chapter,
)


def make_chapter(root, name, dependencies=()):
    folder = root / "chapters" / name
    folder.mkdir(parents=True)
    listed = ", ".join(f'"{dependency}"' for dependency in dependencies)
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "neodyme"\nversion = "0.0.0"\ndependencies = [{listed}]\n'
    )
    return folder


def test_discovers_chapter_folders_in_numeric_order(tmp_path):
    for name in ("ch10", "ch02", "ch01"):
        make_chapter(tmp_path, name)

    assert [chapter.name for chapter in discover_chapters(tmp_path)] == ["ch01", "ch02", "ch10"]


def test_ignores_folders_that_are_not_chapters(tmp_path):
    make_chapter(tmp_path, "ch01")
    (tmp_path / "chapters" / "ch02").mkdir()
    (tmp_path / "chapters" / "notes").mkdir()
    make_chapter(tmp_path, "ch3")

    assert [chapter.name for chapter in discover_chapters(tmp_path)] == ["ch01"]


def test_latest_chapter_is_the_highest_number(tmp_path):
    make_chapter(tmp_path, "ch01")
    make_chapter(tmp_path, "ch12")

    assert latest_chapter(tmp_path).number == 12


def test_expected_version_follows_the_number(tmp_path):
    make_chapter(tmp_path, "ch05")

    assert discover_chapters(tmp_path)[0].expected_version == "0.5.0"


def test_a_chapter_with_an_async_driver_uses_a_database(tmp_path):
    make_chapter(tmp_path, "ch01", ["fastapi"])
    make_chapter(tmp_path, "ch02", ["fastapi", "aiosqlite>=0.21"])

    assert [chapter.uses_database for chapter in discover_chapters(tmp_path)] == [False, True]


def test_the_repository_has_chapters():
    assert discover_chapters(REPOSITORY_ROOT)[0].name == "ch01"


def test_readme_lists_every_chapter_and_side_track():
    readme = (REPOSITORY_ROOT / "README.md").read_text()

    snapshots = discover_snapshots(REPOSITORY_ROOT)
    missing = [snapshot.name for snapshot in snapshots if f"[{snapshot.name}]" not in readme]
    assert missing == []


def test_a_side_track_is_not_a_chapter_but_a_snapshot_that_starts_from_one(tmp_path):
    for name in ("ch12", "ch11", "ch12-graph", "ch12-Graph", "ch12-"):
        make_chapter(tmp_path, name)

    [track] = discover_tracks(tmp_path)

    assert [chapter.name for chapter in discover_chapters(tmp_path)] == ["ch11", "ch12"]
    assert (track.name, track.number, track.track, track.base) == (
        "ch12-graph",
        12,
        "graph",
        "ch12",
    )
    assert track.expected_version == "0.12.0+graph"
    assert [each.name for each in discover_snapshots(tmp_path)] == ["ch11", "ch12", "ch12-graph"]
    assert latest_chapter(tmp_path).name == "ch12"


def test_a_chapter_starts_from_the_one_before_it(tmp_path):
    make_chapter(tmp_path, "ch05")

    assert discover_chapters(tmp_path)[0].base == "ch04"
