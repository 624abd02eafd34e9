"""``nox -s bench -- --against REV``: a chapter against itself at another revision."""

import subprocess
from pathlib import Path

import pytest

from shared.bench import cli
from shared.bench.errors import BenchmarkError
from shared.bench.revision import chapter_at
from shared.bench.scenarios import AGAINST_TARGET, CACHE_SETTING, against_scenarios
from shared.chapters import REPOSITORY_ROOT, Chapter

CH12 = Chapter("ch12", 12, REPOSITORY_ROOT / "chapters" / "ch12")


def chapter(tmp_path, name: str, env_example: str = "") -> Chapter:
    path = tmp_path / name
    path.mkdir()
    (path / ".env.example").write_text(env_example)
    return Chapter(name=name, number=12, path=path)


def test_both_sides_send_the_same_request_and_may_lose_at_most_five_percent(tmp_path):
    cache = f"{CACHE_SETTING}=30\n"
    subject, baseline = chapter(tmp_path, "ch12", cache), chapter(tmp_path, "ch12-at-abc", cache)

    scenarios = against_scenarios(subject, baseline)

    assert [s.name for s in scenarios] == ["health", "users-me", "users-me-cached", "todos"]
    for scenario in scenarios:
        assert scenario.a.path == scenario.b.path
        assert scenario.a.authenticated == scenario.b.authenticated
        assert scenario.a.app.removeprefix("ch12") == scenario.b.app.removeprefix("ch12-at-abc")
        assert scenario.target.minimum_ratio == AGAINST_TARGET == 0.95
    assert scenarios[1].a.app == "ch12-cache-off"  # users-me compares the database reads


def test_without_a_cache_on_both_sides_users_me_is_compared_once(tmp_path):
    subject = chapter(tmp_path, "ch12", f"{CACHE_SETTING}=30\n")

    scenarios = against_scenarios(subject, chapter(tmp_path, "ch12-at-abc"))

    assert [s.name for s in scenarios] == ["health", "users-me", "todos"]
    assert scenarios[1].a.app == "ch12"


def tracked_files(folder: str) -> set[str]:
    listing = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", "HEAD", folder],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {path.removeprefix(f"{folder}/") for path in listing}


def test_the_chapter_at_a_revision_is_its_tracked_files_then(tmp_path):
    baseline = chapter_at("HEAD", CH12, tmp_path)

    short = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPOSITORY_ROOT, capture_output=True, text=True
    ).stdout.strip()
    assert baseline.name == f"ch12-at-{short}"
    assert baseline.number == 12
    exported = {p.relative_to(baseline.path) for p in baseline.path.rglob("*")}
    tracked = {Path(name) for name in tracked_files("chapters/ch12")}
    assert exported == tracked | {folder for path in tracked for folder in path.parents} - {Path()}


def test_an_unknown_revision_or_chapter_is_one_clear_error(tmp_path):
    with pytest.raises(BenchmarkError, match="no revision 'no-such-revision'"):
        chapter_at("no-such-revision", CH12, tmp_path)
    missing = Chapter("ch99", 99, REPOSITORY_ROOT / "chapters" / "ch99")
    with pytest.raises(BenchmarkError, match="chapters/ch99 does not exist at"):
        chapter_at("HEAD", missing, tmp_path)


def test_the_option_benchmarks_against_the_revision_and_writes_outside_the_book(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(cli, "AGAINST_DIR", tmp_path)
    args = cli.parse_args(["--against", "HEAD", "--chapter", "ch11", "--scenario", "todos"])

    options = cli.build_options(args)

    assert options.previous.name.startswith("ch11-at-")
    assert options.previous.path.parent == tmp_path
    assert [s.name for s in options.scenarios] == ["todos"]
    assert cli.default_output(args) == tmp_path != cli.RESULTS_DIR


def test_the_graph_benchmark_has_no_against(capsys):
    assert cli.main(["--graph", "--against", "HEAD"]) == 1
    assert "--against compares a chapter's requests" in capsys.readouterr().err
