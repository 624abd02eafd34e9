"""A page runs again after a run of it was stopped half-way: what that run created goes first."""

from shared.chapters import REPOSITORY_ROOT
from shared.handson.extract import extract_blocks
from shared.handson.leftovers import undoing

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


def test_the_pages_that_create_something_in_the_services_are_the_ones_undone():
    creating = {}
    for page in sorted(PAGES.glob("*.md")):
        for block in extract_blocks(page.read_text(), whole_page=True):
            for command in block.commands:
                if undo := undoing(command.text):
                    creating.setdefault(page.name, set()).add(undo.split()[0])

    assert creating == {"ch10.md": {"psql"}, "ch12.md": {"dropdb", "redis-cli"}}
