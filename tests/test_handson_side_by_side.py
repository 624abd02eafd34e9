"""Pages run side by side, but two pages never hold the same port at once."""

import threading
from pathlib import Path

import pytest

from shared.handson.__main__ import (
    default_pages,
    find_page,
    main,
    run_side_by_side,
    start_order,
)
from shared.handson.extract import extract_blocks
from shared.handson.runner import PortLocks, Report, listening_ports


def ports(page: str) -> set[int]:
    return listening_ports(extract_blocks(page, whole_page=True))


def test_a_page_holds_the_ports_its_servers_and_requests_name():
    page = (
        "```console\n$ uvicorn neodyme.main:app --reload\n```\n"
        "```console\n$ curl -s http://127.0.0.1:8004/health\n```\n"
        "```console\n$ NEODYME_PORT=8011 python -m neodyme serve\n```\n"
    )

    assert ports(page) == {8000, 8004, 8011}  # uvicorn without --port takes 8000


def test_the_shared_services_and_skipped_blocks_hold_no_port():
    page = (
        "```console\n$ psql -h 127.0.0.1 -p 5432 -c 'select 1'\n```\n"
        '<!-- handson: skip="needs a Docker engine" -->\n'
        "```console\n$ curl -s http://127.0.0.1:9000/\n```\n"
    )

    assert ports(page) == set()


def test_every_chapter_page_that_starts_a_server_holds_its_port():
    held = {
        page.name: listening_ports(extract_blocks(page.read_text())) for page in default_pages()
    }

    assert 8000 in held["ch01.md"] and 8412 in held["ch12.md"]


def test_a_side_tracks_page_runs_with_the_chapters():
    pages = [page.name for page in default_pages()]

    assert pages.index("ch12-graph.md") > pages.index("ch12.md")


def test_a_port_is_held_by_one_page_at_a_time():
    locks = PortLocks()

    class Open:  # a terminal that is still running
        closed = threading.Lock()

    locks.acquire({8000}, Open())
    second = threading.Thread(target=locks.acquire, args=({8000, 8004}, Open()))
    second.start()
    second.join(timeout=1)
    assert second.is_alive()  # waiting for 8000
    locks.acquire({8011}, Open())  # another port is free

    locks.release({8000})
    second.join(timeout=5)

    assert not second.is_alive()
    assert locks.held == {8004, 8000, 8011}


def test_pages_run_side_by_side_and_each_report_comes_back(tmp_path):
    pages = []
    for name, body in [
        ("a.md", "```console\n$ uvicorn app\n```\n"),
        ("b.md", "```console\n$ echo no server\n```\n"),
        ("c.md", "```console\n$ uvicorn app\n```\n"),
    ]:
        (tmp_path / name).write_text(f"<!-- handson-page: chapter=ch01 -->\n{body}")
        pages.append(tmp_path / name)
    # Pages without a server go first: b.md and a.md start together, or neither gets past this.
    together = threading.Barrier(2, timeout=30)

    def run_one(page: Path, locks: PortLocks) -> Report:
        if page.name != "c.md":
            together.wait()
        return Report(page=page.name)

    finished = dict(run_side_by_side(pages, 2, run_one))

    assert sorted(report.page for report in finished.values()) == ["a.md", "b.md", "c.md"]


def test_a_page_is_named_by_its_path_or_its_name():
    by_name = [find_page(name) for name in ("ch06", "ch12-graph", "appendix-c")]

    assert [page.name for page in by_name] == ["ch06.md", "ch12-graph.md", "appendix-c.md"]
    assert find_page("docs/chapters/ch06.md") == by_name[0]


def test_an_unknown_page_is_one_line_naming_the_pages_there_are(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["ch99"])

    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert exit.value.code == 2
    assert "no page 'ch99'" in error
    assert "ch06" in error


def test_failed_steps_are_recapped_for_the_end_of_the_log(monkeypatch, tmp_path):
    failed = Report(
        "chapters/ch06.md", failures=["--- ch06.md:784:1 $ pytest (page)\n+++ (this run)"]
    )
    passed = Report("chapters/ch05.md")
    monkeypatch.setattr(
        "shared.handson.__main__.run_side_by_side",
        lambda pages, jobs, run_one: [
            (page, report) for page, report in zip(pages, [failed, passed], strict=True)
        ],
    )
    recap = tmp_path / "recap.txt"
    monkeypatch.setenv("NEODYME_SESSION_RECAP", str(recap))

    assert main(["ch06", "ch05"]) == 1

    assert recap.read_text().splitlines() == [
        "chapters/ch06.md: FAILED --- ch06.md:784:1 $ pytest (page)",
        "  +++ (this run)",
    ]


def test_the_pages_that_run_their_tests_most_start_first(tmp_path):
    bodies = {
        "server.md": "```console\n$ uvicorn app\n```\n",
        "quiet.md": "```console\n$ echo no server\n```\n",
        "tests.md": "```console\n$ pytest -q\n$ NEODYME_X=1 pytest --lf\n```\n",
        "collected.md": "<!-- handson: suite -->\n```console\n$ pytest\n```\n",
    }
    pages = []
    for name, body in bodies.items():
        (tmp_path / name).write_text(f"<!-- handson-page: chapter=ch01 -->\n{body}")
        pages.append(tmp_path / name)

    order = [page.name for page in start_order(pages)]

    assert order == ["tests.md", "quiet.md", "collected.md", "server.md"]


def test_the_page_that_runs_its_suite_most_starts_first_in_the_book():
    assert start_order(default_pages())[0].name == "ch09.md"
