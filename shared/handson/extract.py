"""Read the steps of a page: its console and bash blocks, and the markers above them.

A marker is an HTML comment on the line just above a fence (it is invisible in the rendered
book, visible to anyone editing the page)::

    <!-- handson: skip="needs a Docker engine" -->

Options, several may share one comment:

``skip="reason"``
    Not executed; counted, with its reason, in the runner's report.
``setup="what the runner does instead"``
    The reader's install block: the runner has already done its equivalent (a fresh copy of
    the chapter, a virtual environment with the chapter installed, activated).
``from-root``
    The block starts in the repository root: the reader opened a new terminal there, or the
    text says to go there.
``server-log``
    The lines before the block's first ``$`` are the server's output, checked against the log
    of the server started last; with ``$`` commands in the block, the reader is back at the
    prompt, so the runner waits for the server to exit first.
``stop-server``
    The reader stops the server (Ctrl+C) before this block.
``unordered``
    The server-log lines may appear in any order (several processes write them).
``mask="regex"``
    Mask what the regular expression matches, in this block only, on both sides.
``suite``
    The block's ``pytest`` step runs the chapter's whole suite, which the chapter's own nox
    session runs anyway: it is checked against what pytest collects (files, counts, summary;
    ``shared.handson.suite``) instead of run, unless the runner is given ``--run-suites`` or
    ``--accept``.
``eventually``
    The block reads what a server writes just after it has answered (its log): a step whose
    output does not match the page yet runs again, for up to half a minute, as a reader's pause
    would let it. Such a block may only read: no ``curl``, no server.
``needs="program ..."``
    Programs the block runs beyond Python, curl and the shell (``jq``, ``sqlite3``, ``psql``,
    ``redis-cli``), ``postgresql`` for a server on 127.0.0.1:5432 and ``redis`` for one on
    127.0.0.1:6379. When one is missing the block is not executed, with the reason in the
    report; where services are required (``NEODYME_REQUIRE_SERVICES=1``, as in CI), that is
    a failure instead.

A page other than a chapter page (an appendix) is executed only if it names its chapter once,
anywhere: ``<!-- handson-page: chapter=ch10 -->``; then every block of the page is a step. A
page that compares with other chapters names them too, ``<!-- handson-page: also=ch04 -->``:
they are copied and installed next to it, as the reader's earlier chapters would be.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+) *(?P<lang>[\w+-]*)")
MARKER = re.compile(r"^\s*<!--\s*handson:(?P<options>.*?)-->\s*$")
PAGE_MARKER = re.compile(r"^\s*<!--\s*handson-page:(?P<options>.*?)-->\s*$", re.MULTILINE)
INCLUDE = re.compile(r'^\s*--8<--\s+"')
PROMPT = "$ "
CONTINUATION = "> "
KNOWN_OPTIONS = {
    "skip",
    "setup",
    "from-root",
    "server-log",
    "stop-server",
    "unordered",
    "mask",
    "needs",
    "suite",
    "eventually",
}


class MarkerError(ValueError):
    """A marker the runner does not understand: a typo must not silently change a run."""


@dataclass
class Command:
    """One ``$`` line (with its ``\\`` continuations) and the output the page shows for it."""

    text: str
    expected: list[str]
    line: int


@dataclass
class Block:
    """One fenced console or bash block of the page, with the options of its marker."""

    language: str
    line: int
    options: dict[str, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    script: str = ""

    @property
    def step_count(self) -> int:
        """Commands the reader types: each ``$`` line, or a whole bash block."""
        return len(self.commands) if self.language == "console" else 1


def parse_options(text: str, line: int) -> dict[str, str]:
    options = {}
    for word in shlex.split(text):
        name, _, value = word.partition("=")
        if name not in KNOWN_OPTIONS:
            raise MarkerError(f"line {line}: unknown handson option {name!r}")
        options[name] = value
    return options


def page_options(text: str) -> dict[str, str]:
    """The page-level marker's options (``chapter=chNN``), or {} when there is none."""
    match = PAGE_MARKER.search(text)
    if match is None:
        return {}
    return dict(word.partition("=")[::2] for word in shlex.split(match["options"]))


def hands_on_section(text: str) -> tuple[int, list[str]]:
    """The first line number and the lines of the ``## Hands-on`` section."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "## Hands-on"), None)
    if start is None:
        return 1, lines
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return start + 1, lines[start:end]


def split_console(body: list[str], first_line: int) -> tuple[list[str], list[Command]]:
    """Split a console block into leading output lines and commands with their output."""
    log: list[str] = []
    commands: list[Command] = []
    index = 0
    while index < len(body):
        line = body[index]
        if line.startswith(PROMPT) or line == "$":
            text = line[len(PROMPT) :]
            start = index
            while index + 1 < len(body) and (
                text.endswith("\\") or body[index + 1].startswith(CONTINUATION)
            ):
                index += 1
                following = body[index]
                text += "\n" + following.removeprefix(CONTINUATION)
            commands.append(Command(text=text, expected=[], line=first_line + start))
        elif commands:
            commands[-1].expected.append(line)
        else:
            log.append(line)
        index += 1
    return log, commands


def extract_blocks(text: str, whole_page: bool = False) -> list[Block]:
    """Every console and bash block of the Hands-on section (of the page, if ``whole_page``)."""
    offset, lines = (1, text.splitlines()) if whole_page else hands_on_section(text)
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        indent, fence, language = len(match["indent"]), match["fence"], match["lang"].lower()
        body_start = index + 1
        end = body_start
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        body = [line[indent:] for line in lines[body_start:end]]
        if language in {"console", "bash"}:
            blocks.append(make_block(language, body, lines, index, offset))
        index = end + 1
    return blocks


def make_block(language: str, body: list[str], lines: list[str], fence: int, offset: int):
    above = fence - 1
    while above >= 0 and not lines[above].strip():
        above -= 1
    marker = MARKER.match(lines[above]) if above >= 0 else None
    line = offset + fence
    options = parse_options(marker["options"], line) if marker else {}
    block = Block(language=language, line=line, options=options)
    if language == "console":
        block.log, block.commands = split_console(body, line + 1)
    else:
        block.script = "\n".join(body)
    return block


def count_included_listings(text: str) -> int:
    """Listings included from the chapter's real files (``--8<--`` lines)."""
    return sum(1 for line in text.splitlines() if INCLUDE.match(line))


def replace_outputs(text: str, outputs: dict[int, list[str]]) -> str:
    """``text`` with the output shown under each ``$`` line (by line number) replaced."""
    lines = text.split("\n")
    for number in sorted(outputs, reverse=True):
        command = lines[number - 1]
        indent = command[: len(command) - len(command.lstrip(" "))]

        def body(index: int, indent: str = indent) -> str:
            return lines[index][len(indent) :]

        end = number  # the first line after the command and its continuations (0-based)
        while body(end - 1).endswith("\\") or body(end).startswith(CONTINUATION):
            end += 1
        stop = end
        while not (body(stop).startswith(PROMPT) or body(stop) == "$" or FENCE.match(lines[stop])):
            stop += 1
        lines[end:stop] = [(indent + line).rstrip() for line in outputs[number]]
    return "\n".join(lines)
