"""``neodyme-diff``: arguments, exit codes, formats, output file and colour."""

import os
import pty
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import write

from shared.chapters import REPOSITORY_ROOT
from shared.stagediff.cli import main

RUN_CLI = "import sys; from shared.stagediff.cli import main; sys.exit(main(sys.argv[1:]))"


def run_cli(*arguments: str, **options) -> subprocess.CompletedProcess:
    """The command as a user runs it: a process of its own, exit code and all."""
    return subprocess.run(
        [sys.executable, "-c", RUN_CLI, *arguments],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        **options,
    )


@pytest.fixture
def stages(tmp_path) -> tuple[Path, Path]:
    old = write(tmp_path / "old", {"app.py": "def greet():\n    return 'hi'\n"})
    new = write(
        tmp_path / "new",
        {"app.py": "", "words.py": "def greet():\n    return 'hi'\n", "neodyme.db": "x"},
    )
    return old, new


def test_the_console_scripts_are_declared():
    with (REPOSITORY_ROOT / "pyproject.toml").open("rb") as file:
        project = tomllib.load(file)["project"]

    assert project["scripts"] == {
        "neodyme-diff": "shared.stagediff.cli:main",
        "neodyme-forward-port": "shared.stagediff.cli:forward_port_main",
    }
    assert any(requirement.startswith("pygments") for requirement in project["dependencies"])


def test_two_directories_give_a_text_report(stages, capsys):
    old, new = stages

    assert main([str(old), str(new)]) == 0

    out = capsys.readouterr().out
    assert out.startswith(f"Stage diff: {old} → {new}")
    assert "moved" in out and "app.py → words.py" in out
    assert "neodyme.db" not in out
    assert "\033[" not in out  # captured, not a terminal: no colour


def test_chapter_names_resolve_through_the_chapters_folder(tmp_path, capsys):
    for name in ("ch01", "ch02"):
        write(tmp_path / "chapters" / name, {"pyproject.toml": f'[project]\nname = "{name}"\n'})

    assert main(["ch01", "ch02", "--root", str(tmp_path)]) == 0

    out = capsys.readouterr().out
    assert out.startswith("Stage diff: ch01 → ch02")
    assert "pyproject.toml" in out


def test_a_side_track_resolves_by_its_name(tmp_path, capsys):
    for name in ("ch01", "ch01-graph"):
        write(tmp_path / "chapters" / name, {"pyproject.toml": f'[project]\nname = "{name}"\n'})

    assert main(["ch01", "ch01-graph", "--root", str(tmp_path)]) == 0

    assert capsys.readouterr().out.startswith("Stage diff: ch01 → ch01-graph")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["ch99", "ch01"], "neodyme-diff: unknown chapter 'ch99'"),
        (["ch01", "/no/such/directory"], "neodyme-diff: no such directory: '/no/such/directory'"),
        (["ch01"], "neodyme-diff: the following arguments are required: new"),
        (["ch01", "ch02", "--format", "pdf"], "neodyme-diff: argument --format: invalid choice"),
        (["ch01", "ch02", "--similarity", "2"], "'2' is not a number from 0 to 1"),
    ],
    ids=["unknown-chapter", "missing-directory", "one-stage", "bad-format", "bad-similarity"],
)
def test_bad_arguments_exit_2_with_one_line_on_stderr(arguments, message):
    result = run_cli(*arguments)

    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert result.stdout == ""


def test_stat_prints_only_the_file_summary(stages, capsys):
    old, new = stages

    assert main([str(old), str(new), "--stat"]) == 0

    out = capsys.readouterr().out
    assert "Files: 1 added, 0 removed, 0 renamed, 1 changed" in out
    assert "Symbols" not in out and "@@" not in out


def test_output_writes_a_file_and_nothing_to_stdout(stages, tmp_path, capsys):
    old, new = stages
    target = tmp_path / "report.md"

    assert main([str(old), str(new), "--format", "markdown", "--output", str(target)]) == 0

    assert capsys.readouterr().out == ""
    assert target.read_text().startswith("Refactoring moments from ")


def test_an_unwritable_output_is_a_bad_argument(stages, tmp_path):
    old, new = stages

    result = run_cli(str(old), str(new), "--output", str(tmp_path / "missing" / "report.txt"))

    assert result.returncode == 2
    assert "cannot write" in result.stderr


def test_html_format(stages, capsys):
    old, new = stages

    assert main([str(old), str(new), "--format", "html"]) == 0

    assert capsys.readouterr().out.startswith("<!DOCTYPE html>")


def test_html_path_is_the_page_written_there(stages, tmp_path, capsys):
    old, new = stages
    target = tmp_path / "diff.html"

    assert main([str(old), str(new), "--html", str(target)]) == 0

    assert capsys.readouterr().out == ""
    assert target.read_text().startswith("<!DOCTYPE html>")


def run_on_a_terminal(arguments: list[str], environment: dict[str, str]) -> str:
    """Run the command with stdout on a pseudo-terminal, as in an interactive shell."""
    controller, terminal = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-c", RUN_CLI, *arguments],
        cwd=REPOSITORY_ROOT,
        stdout=terminal,
        stderr=subprocess.DEVNULL,
        env=environment,
    ) as process:
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the process is done writing
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    os.close(controller)
    return b"".join(chunks).decode()


def test_colour_on_a_terminal_unless_no_color_is_set(stages):
    old, new = stages
    environment = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}

    coloured = run_on_a_terminal([str(old), str(new)], environment)
    plain = run_on_a_terminal([str(old), str(new)], {**environment, "NO_COLOR": "1"})

    assert "\033[32m" in coloured and "Stage diff" in coloured
    assert "\033[" not in plain and "Stage diff" in plain
