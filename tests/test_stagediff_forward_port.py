"""Forward-porting: a change made in one chapter, carried into the later chapters with git."""

import subprocess
from pathlib import Path

import pytest

from shared.stagediff import forward_port
from shared.stagediff.cli import forward_port_main
from shared.stagediff.patch import Outcome, apply_hunks, make_hunks

ORIGINAL = [
    "import os\n",
    "\n",
    "\n",
    "def load(name):\n",
    "    path = os.path.join('data', name)\n",
    "    with open(path) as file:\n",
    "        return file.read()\n",
    "\n",
    "\n",
    "def save(name, text):\n",
    "    path = os.path.join('data', name)\n",
    "    with open(path, 'w') as file:\n",
    "        file.write(text)\n",
]
FIXED = [
    line.replace("open(path)", "open(path, encoding='utf-8')").replace(
        "open(path, 'w')", "open(path, 'w', encoding='utf-8')"
    )
    for line in ORIGINAL
]


def lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


# The hunks themselves -------------------------------------------------------------------------


def test_hunks_apply_where_later_code_pushed_them_down():
    later = ["# A header a later chapter added.\n", "import sys\n", *ORIGINAL, "\n", "x = 1\n"]

    result = apply_hunks(later, make_hunks(ORIGINAL, FIXED))

    assert result.outcome is Outcome.APPLIED
    assert result.lines == [*later[:2], *FIXED, "\n", "x = 1\n"]


def test_a_change_already_made_is_already_there():
    result = apply_hunks(list(FIXED), make_hunks(ORIGINAL, FIXED))

    assert result.outcome is Outcome.ALREADY_THERE
    assert result.lines == FIXED


def test_code_that_is_gone_is_not_applicable():
    elsewhere = lines("def unrelated():\n    return 42\n")

    result = apply_hunks(elsewhere, make_hunks(ORIGINAL, FIXED))

    assert result.outcome is Outcome.NOT_APPLICABLE


def test_a_hunk_whose_changed_lines_differ_is_a_conflict_and_nothing_changes():
    later = [line.replace("open(path) as file", "open(path) as handle") for line in ORIGINAL]

    result = apply_hunks(later, make_hunks(ORIGINAL, FIXED))

    assert result.outcome is Outcome.CONFLICT
    assert result.lines == later
    assert {place.outcome for place in result.hunks} == {Outcome.CONFLICT}


def test_a_changed_context_line_is_fuzz_and_the_target_keeps_it():
    # The line right above each changed line differs, as ch12's cache.invalidate differs from
    # ch05's session.commit: the fix still belongs there.
    later = [line.replace("'data'", "DATA") for line in ORIGINAL]

    result = apply_hunks(later, make_hunks(ORIGINAL, FIXED))

    assert result.outcome is Outcome.APPLIED
    assert result.lines == [line.replace("'data'", "DATA") for line in FIXED]
    assert {(place.outcome, place.fuzz) for place in result.hunks} == {(Outcome.APPLIED, 2)}


def test_more_differing_context_than_the_fuzz_allows_is_a_conflict():
    later = [line.replace("'data'", "DATA").replace("load(name)", "load(key)") for line in ORIGINAL]

    result = apply_hunks(later, make_hunks(ORIGINAL, FIXED))

    assert result.outcome is Outcome.CONFLICT
    assert result.lines == later


def test_a_hunk_lands_at_an_offset_and_says_where():
    later = lines("# header\n") * 5 + ORIGINAL

    result = apply_hunks(later, make_hunks(ORIGINAL, FIXED))

    assert result.outcome is Outcome.APPLIED
    assert [(place.start, place.fuzz) for place in result.hunks] == [(5 + 2, 0)]


def test_half_a_fix_is_a_conflict():
    # save() is gone in the later file, load() is still there.
    later = ORIGINAL[:8]

    result = apply_hunks(later, make_hunks(ORIGINAL, FIXED))

    assert result.outcome is Outcome.CONFLICT
    assert result.lines == later


def test_the_occurrence_nearest_the_original_position_is_patched():
    block = lines("a\nb\nc\nd\ne\nf\ng\n")
    changed = lines("a\nb\nc\nD\ne\nf\ng\n")
    later = block + lines("middle\n") * 30 + block

    result = apply_hunks(later, make_hunks(block, changed))

    assert result.lines == changed + lines("middle\n") * 30 + block


# The command, on a git repository of chapters --------------------------------------------------


def git(repository: Path, *arguments: str) -> str:
    result = subprocess.run(
        [
            "git",
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.invalid",
            "-c",
            "commit.gpgsign=false",
            *arguments,
        ],
        cwd=repository,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def add_chapter(root: Path, name: str, files: dict[str, str]) -> None:
    folder = root / "chapters" / name
    files = {"pyproject.toml": f'[project]\nname = "neodyme"\nversion = "0.{name[2:]}"\n', **files}
    for path, text in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text)


@pytest.fixture
def repository(tmp_path) -> Path:
    """ch01 has the bug; ch02 moved it down; ch03 fixed it already; ch04 has no such file;
    ch05 rewrote the very lines the fix changes."""
    original = "".join(ORIGINAL)
    add_chapter(tmp_path, "ch01", {"app/files.py": original, "README.md": "# One\n"})
    add_chapter(tmp_path, "ch02", {"app/files.py": "import sys\n\n" + original + "\nX = 1\n"})
    add_chapter(tmp_path, "ch03", {"app/files.py": "".join(FIXED)})
    add_chapter(tmp_path, "ch04", {"app/other.py": "print('hi')\n"})
    add_chapter(
        tmp_path,
        "ch05",
        {"app/files.py": original.replace("open(path) as file", "open(path) as handle")},
    )
    git(tmp_path, "init", "--quiet")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "--quiet", "-m", "chapters")
    (tmp_path / "chapters/ch01/app/files.py").write_text("".join(FIXED))
    return tmp_path


def chapter_file(repository: Path, chapter: str, path: str = "app/files.py") -> str:
    return (repository / "chapters" / chapter / path).read_text()


def snapshot(repository: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(repository)): path.read_bytes()
        for path in sorted((repository / "chapters").rglob("*"))
        if path.is_file()
    }


def test_forward_port_reports_each_chapter_and_writes_only_what_applies(repository, capsys):
    before = chapter_file(repository, "ch05")

    code = forward_port_main(["ch01", "--root", str(repository)])

    out = capsys.readouterr().out
    assert code == 1  # ch05 conflicts
    assert "ch02: applied" in out
    assert "ch03: already there" in out
    assert "ch04: not applicable" in out
    assert "ch05: conflict" in out
    assert "-    with open(path) as file:" in out  # the conflicting hunk is shown
    assert "applied at app/files.py:5" in out  # two lines further down in ch02
    assert chapter_file(repository, "ch02") == "import sys\n\n" + "".join(FIXED) + "\nX = 1\n"
    assert chapter_file(repository, "ch05") == before  # a conflicted file is never written
    assert not (repository / "chapters/ch04/app/files.py").exists()


def test_a_second_run_finds_the_change_already_there(repository, capsys):
    forward_port_main(["ch01", "--root", str(repository)])
    capsys.readouterr()

    forward_port_main(["ch01", "--root", str(repository)])

    assert "ch02: already there" in capsys.readouterr().out


def test_dry_run_writes_nothing(repository, capsys):
    before = snapshot(repository)

    forward_port_main(["ch01", "--root", str(repository), "--dry-run"])

    out = capsys.readouterr().out
    assert "ch02: would apply" in out and "Dry run: nothing was written." in out
    assert "app/files.py  would apply" in out
    assert "applied" not in out
    assert snapshot(repository) == before


def test_added_and_deleted_files_are_carried_too(repository, capsys):
    (repository / "chapters/ch01/app/files.py").write_text("".join(ORIGINAL))  # no edit there
    (repository / "chapters/ch01/app/new.py").write_text("NEW = True\n")
    (repository / "chapters/ch01/README.md").unlink()
    add_chapter(repository, "ch02", {"README.md": "# One\n"})
    add_chapter(repository, "ch03", {"app/new.py": "NEW = False\n"})

    forward_port_main(["ch01", "--root", str(repository)])

    out = capsys.readouterr().out
    assert "ch02: applied" in out
    assert chapter_file(repository, "ch02", "app/new.py") == "NEW = True\n"
    assert not (repository / "chapters/ch02/README.md").exists()
    assert "ch03: conflict" in out and "exists with other content" in out
    assert chapter_file(repository, "ch03", "app/new.py") == "NEW = False\n"
    assert "ch04: applied" in out  # created there too


def test_paths_limit_the_change(repository, capsys):
    (repository / "chapters/ch01/README.md").write_text("# One, fixed\n")
    add_chapter(repository, "ch02", {"README.md": "# One\n"})

    code = forward_port_main(
        ["ch01", "--root", str(repository), "--paths", "README.md", "--dry-run"]
    )

    out = capsys.readouterr().out
    assert code == 0
    assert "(README.md)" in out and "app/files.py" not in out
    assert "ch02: would apply" in out


def test_paths_that_match_nothing_say_so(repository, capsys):
    code = forward_port_main(["ch01", "--root", str(repository), "--paths", "README.md"])

    assert code == 0
    assert capsys.readouterr().out == "ch01's change has no hunk under README.md.\n"


def test_a_chapter_without_changes_says_so(repository, capsys):
    assert forward_port_main(["ch02", "--root", str(repository)]) == 0

    assert "ch02 has no uncommitted change" in capsys.readouterr().out


def test_an_unknown_chapter_is_a_bad_argument(repository, capsys):
    assert forward_port_main(["ch42", "--root", str(repository)]) == 2

    err = capsys.readouterr().err
    assert err.startswith("neodyme-forward-port: unknown chapter 'ch42'")
    assert err.count("\n") == 1


def test_outside_a_git_repository_is_a_bad_argument(tmp_path, capsys):
    add_chapter(tmp_path, "ch01", {})
    add_chapter(tmp_path, "ch02", {})

    assert forward_port_main(["ch01", "--root", str(tmp_path)]) == 2

    assert "not a git repository" in capsys.readouterr().err


def test_a_git_error_says_what_went_wrong_not_the_detail_after_it(tmp_path, monkeypatch):
    # Where the search for a repository ends at a mount point (a tmpfs), git adds a line.
    stderr = (
        b"fatal: not a git repository (or any parent up to mount point /dev/shm)\n"
        b"Stopping at filesystem boundary (GIT_DISCOVERY_ACROSS_FILESYSTEM not set).\n"
    )
    monkeypatch.setattr(
        subprocess,
        "run",
        lambda *args, **kwargs: subprocess.CompletedProcess(args, 128, b"", stderr),
    )

    with pytest.raises(forward_port.GitError, match=r"^fatal: not a git repository"):
        forward_port.git(tmp_path, "rev-parse", "--show-toplevel")


def test_through_stops_at_the_named_chapter(repository, capsys):
    before = chapter_file(repository, "ch05")

    code = forward_port_main(["ch01", "--root", str(repository), "--through", "ch03"])

    out = capsys.readouterr().out
    assert code == 0
    assert "ch02: applied" in out and "ch03: already there" in out
    assert "ch04" not in out and "ch05" not in out
    assert chapter_file(repository, "ch05") == before


def test_through_an_earlier_chapter_is_a_bad_argument(repository, capsys):
    assert forward_port_main(["ch02", "--root", str(repository), "--through", "ch01"]) == 2

    assert "--through 'ch01' is not a later chapter" in capsys.readouterr().err


def test_a_fix_reaches_the_side_tracks_that_inherited_it_too(tmp_path, capsys):
    original = "".join(ORIGINAL)
    for name in ("ch01", "ch02", "ch02-graph", "ch01-extra"):
        add_chapter(tmp_path, name, {"app/files.py": original})
    git(tmp_path, "init", "--quiet")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "--quiet", "-m", "chapters")
    (tmp_path / "chapters/ch02/app/files.py").write_text("".join(FIXED))

    assert forward_port_main(["ch02", "--root", str(tmp_path)]) == 0

    out = capsys.readouterr().out
    assert "ch02-graph: applied" in out
    assert "ch01" not in out  # neither the chapter before nor a track that starts from it
    assert chapter_file(tmp_path, "ch02-graph") == "".join(FIXED)
    assert chapter_file(tmp_path, "ch01-extra") == original
