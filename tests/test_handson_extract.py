"""The Hands-on runner reads a page's steps, and the markers that change how they run."""

import pytest

from shared.chapters import REPOSITORY_ROOT
from shared.handson.extract import (
    MarkerError,
    count_included_listings,
    extract_blocks,
    page_options,
    replace_outputs,
)

PAGE = """# Chapter

## Neodyme code

```python
--8<-- "chapters/ch01/neodyme/main.py"
```

```console
$ echo not in the Hands-on section
```

## Hands-on

<!-- handson: setup="done by the runner" -->

```bash
python3 -m venv .venv
```

```console
$ uvicorn neodyme.main:app
INFO:     Started server process [41]
$ curl -s http://127.0.0.1:8000/health \\
    -H 'Accept: application/json'
{"status":"ok"}
$ for word in a b; do
>   echo "$word"
> done
a
b
```

<!-- handson: skip="needs a Docker engine" -->

```console
$ docker compose up
$ docker compose ps
```

<!-- handson: stop-server -->

```console
INFO:     Shutting down
$ echo $?
0
```

## What you learn
"""


def test_only_the_hands_on_section_is_read():
    blocks = extract_blocks(PAGE)

    assert [block.language for block in blocks] == ["bash", "console", "console", "console"]
    assert "not in the Hands-on section" not in str(blocks)


def test_commands_keep_their_continuations_and_their_output():
    commands = extract_blocks(PAGE)[1].commands

    assert [command.text for command in commands] == [
        "uvicorn neodyme.main:app",
        "curl -s http://127.0.0.1:8000/health \\\n    -H 'Accept: application/json'",
        'for word in a b; do\n  echo "$word"\ndone',
    ]
    assert commands[0].expected == ["INFO:     Started server process [41]"]
    assert commands[2].expected == ["a", "b"]


def test_markers_above_a_fence_become_its_options():
    setup, _, docker, stop = extract_blocks(PAGE)

    assert setup.options == {"setup": "done by the runner"}
    assert docker.options == {"skip": "needs a Docker engine"}
    assert docker.step_count == 2
    assert stop.options == {"stop-server": ""}


def test_lines_before_the_first_prompt_are_the_servers_log():
    stop = extract_blocks(PAGE)[-1]

    assert stop.log == ["INFO:     Shutting down"]
    assert [command.text for command in stop.commands] == ["echo $?"]
    assert stop.commands[0].expected == ["0"]


def test_a_misspelt_marker_is_an_error_not_a_silent_change():
    page = '## Hands-on\n\n<!-- handson: skipp="typo" -->\n```console\n$ true\n```\n'

    with pytest.raises(MarkerError, match="skipp"):
        extract_blocks(page)


def test_a_page_without_hands_on_section_runs_whole_when_asked():
    page = "<!-- handson-page: chapter=ch07 also=ch04,ch05 -->\n```console\n$ true\n```\n"

    assert page_options(page) == {"chapter": "ch07", "also": "ch04,ch05"}
    assert len(extract_blocks(page, whole_page=True)) == 1


def test_included_listings_are_counted():
    assert count_included_listings(PAGE) == 1


def test_every_chapter_pages_markers_are_understood(chapter):
    page = REPOSITORY_ROOT / "docs" / "chapters" / f"{chapter.name}.md"
    if not page.is_file():
        pytest.fail(f"{chapter.name} has no page yet")
    blocks = extract_blocks(page.read_text())

    assert any("skip" not in block.options and "setup" not in block.options for block in blocks)


def test_accepted_outputs_replace_what_the_page_shows_under_their_command():
    text = "```console\n$ echo new\nold\n\n$ echo kept\nkept\n```\n"

    assert replace_outputs(text, {2: ["new", "", "lines"]}) == (
        "```console\n$ echo new\nnew\n\nlines\n$ echo kept\nkept\n```\n"
    )


def test_accepted_outputs_keep_continuations_and_indentation():
    text = "    ```console\n    $ echo a \\\n    > b\n    old\n    ```\n"

    assert replace_outputs(text, {2: ["a b"]}) == (
        "    ```console\n    $ echo a \\\n    > b\n    a b\n    ```\n"
    )
