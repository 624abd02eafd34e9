"""A page runs again after a run of it was stopped half-way: what that run created goes first."""

import stat

from shared.chapters import REPOSITORY_ROOT
from shared.handson.extract import extract_blocks
from shared.handson.leftovers import undoing
from shared.handson.runner import PortLocks, Report, run_blocks
from tests.test_handson_runner import make_terminal

PAGES = REPOSITORY_ROOT / "docs" / "chapters"


def test_each_way_a_page_creates_something_has_its_undoing():
    assert undoing("createdb -h 127.0.0.1 -U postgres neodyme_handson_ch12") == (
        "dropdb --if-exists --force -h 127.0.0.1 -U postgres neodyme_handson_ch12"
    )
    assert undoing("psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE neodyme_ch10'") == (
        "psql -h 127.0.0.1 -U postgres -c 'DROP DATABASE IF EXISTS neodyme_ch10 WITH (FORCE)'"
    )
    assert undoing("redis-cli --scan --pattern 'neodyme-handson-ch12:*' | wc -l") == (
        "redis-cli --scan --pattern 'neodyme-handson-ch12:*' | xargs -r redis-cli del"
    )
    assert undoing("psql -h 127.0.0.1 -U postgres -c 'DROP DATABASE neodyme_ch10'") is None
    assert undoing("curl -s localhost:8000/health") is None


def test_the_pages_that_create_databases_are_the_ones_undone():
    creating = {}
    for page in sorted(PAGES.glob("*.md")):
        for block in extract_blocks(page.read_text(), whole_page=True):
            for command in block.commands:
                if undo := undoing(command.text):
                    creating.setdefault(page.name, set()).add(undo.split()[0])

    assert creating == {"ch10.md": {"psql"}, "ch12.md": {"dropdb", "redis-cli"}}


# A stand-in createdb that fails as PostgreSQL does when the database is there already, and
# its dropdb. The "database" is a file next to the reader's terminal.
FAKE_CREATEDB = """#!/bin/sh
name=$(eval echo \\${$#})
[ -e "$DATABASES/$name" ] && echo "createdb: error: database \\"$name\\" already exists" && exit 1
touch "$DATABASES/$name"
"""
FAKE_DROPDB = """#!/bin/sh
name=$(eval echo \\${$#})
rm -f "$DATABASES/$name"
"""
PAGE = """
```console
$ createdb -h 127.0.0.1 -U postgres neodyme_page
$ ls "$DATABASES"
neodyme_page
```

```console
$ dropdb -h 127.0.0.1 -U postgres neodyme_page
```
"""


def test_a_database_left_by_a_stopped_run_is_dropped_before_the_page_runs_again(tmp_path):
    terminal = make_terminal(tmp_path)
    for name, script in {"createdb": FAKE_CREATEDB, "dropdb": FAKE_DROPDB}.items():
        program = tmp_path / "bin" / name
        program.write_text(script)
        program.chmod(program.stat().st_mode | stat.S_IEXEC)
    databases = tmp_path / "databases"
    databases.mkdir()
    (databases / "neodyme_page").touch()  # the stopped run got as far as its createdb
    terminal.run(f"export DATABASES={databases}")
    report = Report(page="fixture.md")

    run_blocks(terminal, extract_blocks(PAGE, True), report, "fixture.md", PortLocks())

    assert report.failures == []
    assert report.executed == 3
    assert list(databases.iterdir()) == []
