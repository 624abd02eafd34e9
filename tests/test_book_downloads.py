"""Every chapter's code, and every side track's, is a download of exactly its tracked files,
linked from its page."""

import io
import subprocess
import zipfile

from conftest import write

from shared.book_downloads import archive_name, chapter_archive, tracked_files
from shared.chapters import REPOSITORY_ROOT


def test_each_chapter_page_links_an_archive_of_exactly_its_tracked_files(book_site, snapshot):
    chapter = snapshot
    archive = book_site / "downloads" / archive_name(chapter.name)
    page = (book_site / "chapters" / chapter.name / "index.html").read_text()
    tracked = tracked_files(f"chapters/{chapter.name}")

    with zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
        for name in names:
            original = REPOSITORY_ROOT / "chapters" / name
            assert zipped.read(name) == original.read_bytes(), f"{name} differs from the file"

    assert sorted(names) == [name.removeprefix("chapters/") for name in tracked]
    assert f'href="../../downloads/{archive_name(chapter.name)}"' in page


def test_the_archive_holds_the_tracked_files_only(tmp_path):
    write(tmp_path, {"chapters/ch01/app.py": "x = 1\n", "chapters/ch01/run.sh": "echo\n"})
    (tmp_path / "chapters/ch01/run.sh").chmod(0o755)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "chapters"], cwd=tmp_path, check=True)
    write(tmp_path, {"chapters/ch01/neodyme.db": "", "chapters/ch01/.venv/bin/python": ""})

    content, count = chapter_archive("ch01", tmp_path)

    zipped = zipfile.ZipFile(io.BytesIO(content))
    assert zipped.namelist() == ["ch01/app.py", "ch01/run.sh"]
    assert count == 2
    assert zipped.getinfo("ch01/run.sh").external_attr >> 16 & 0o777 == 0o755


def test_building_twice_gives_the_same_bytes():
    assert chapter_archive("ch01")[0] == chapter_archive("ch01")[0]


def test_a_side_tracks_page_says_its_code_is_the_tracks(book_site):
    page = (book_site / "chapters" / "ch12-graph" / "index.html").read_text()

    assert "This side track’s code" in page or "This side track's code" in page
    assert f'href="../../downloads/{archive_name("ch12-graph")}"' in page
