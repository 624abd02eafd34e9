"""Chapter discovery: what the nox sessions, the invariants and the CI matrix are built from."""

from shared.chapters import REPOSITORY_ROOT, discover_chapters, latest_chapter


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


def test_readme_lists_every_chapter(chapters):
    readme = (REPOSITORY_ROOT / "README.md").read_text()

    missing = [chapter.name for chapter in chapters if f"[{chapter.name}]" not in readme]
    assert missing == []
