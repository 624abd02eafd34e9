"""Compare what a command printed with what the page shows, volatile parts masked.

The same small set of masks applies to every page and to both sides: what differs from one run
to the next (dates, hashes, tokens, process ids, ports, durations, measured milliseconds,
object addresses, version numbers in pytest's header) becomes a placeholder, pytest's plugins
are sorted, and everything else must match exactly. The page may also shorten what it shows
with ``…``: inside a line it stands for any text, and a line that is only ``…`` (or ``...``),
indented or not, stands for any number of lines.
"""

from __future__ import annotations

import difflib
import json
import re

PID = re.compile(r"(process \[)(\d+)(\])")
MASKS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(date: ).*GMT$", re.IGNORECASE), r"\1<DATE>"),
    (
        re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+|,\d{3})?(Z|[+-]\d\d:?\d\d)?"),
        "<TIMESTAMP>",
    ),
    (re.compile(r"\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}"), "<BCRYPT>"),
    (re.compile(r"eyJ[\w.-]*…?"), "<JWT>"),
    # The end of a token whose start a repr cut off: payload tail, dot, HS256 signature.
    (re.compile(r"[\w-]+\.[\w-]{43}(?![\w-])"), "<JWT>"),
    (re.compile(r"\b(at )0x[0-9a-f]+\b"), r"\1<ADDRESS>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<HEX>"),
    # Alembic's random revision ids: twelve hex digits, letters and digits mixed.
    (re.compile(r"(?<![0-9a-z])(?=[a-f]*\d)(?=\d*[a-f])[0-9a-f]{12}(?![0-9a-z])"), "<REVISION>"),
    (re.compile(r"\b1[5-9]\d{8}\b"), "<EPOCH>"),
    (PID, r"\1<PID>\3"),
    (re.compile(r"(\d+\.\d+\.\d+\.\d+):\d{2,5}( - \")"), r"\1:<PORT>\2"),
    (re.compile(r"\b\d+(\.\d+)?m?s\b"), "<DURATION>"),
    # Measured milliseconds in JSON logs and bodies ("duration_ms": 2.29); a configured limit
    # ("threshold_ms": 200) is a whole number and stays compared.
    (re.compile(r'("\w+_ms": ?)\d+\.\d+'), r"\1<MS>"),
    # pytest adds "(0:01:35)" to a run longer than a minute: shown or not, it is not compared.
    (re.compile(r" ?\(\d+:\d\d:\d\d\)"), ""),
]
# pytest centres its summary lines between "=" signs: the padding follows the text's length.
BANNER = re.compile(r"^=+ (.*?) =+$")
# pytest's header names the versions of Python, pytest and its plugins.
VERSIONED_LINE = re.compile(r"^(platform |plugins: )")
VERSION = re.compile(r"\d+\.\d+(\.\d+)*")
# pytest lists its plugins in the order the file system lists the installed packages (ext4 and
# tmpfs differ): which plugins, not their order, is what a reader checks.
PLUGINS = "plugins: "
ANY_LINES = {"…", "..."}


def canonical_json(line: str) -> str:
    """A line that starts with a JSON value, with its object keys sorted.

    Key order is not part of an API's contract (chapter 2 shows it changing between starts),
    so it is not part of the comparison either. Text after the value (curl's status) is kept.
    """
    if not line.startswith(("{", "[")):
        return line
    try:
        value, end = json.JSONDecoder().raw_decode(line)
    except ValueError:
        return line
    compact = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return compact + line[end:]


def mask(line: str, extra: list[re.Pattern[str]] = ()) -> str:
    """``line`` with every volatile part replaced by a placeholder."""
    line = canonical_json(line.rstrip())
    for pattern in extra:
        line = pattern.sub("<MASKED>", line)
    for pattern, replacement in MASKS:
        line = pattern.sub(replacement, line)
    line = BANNER.sub(r"== \1 ==", line)
    if VERSIONED_LINE.match(line):
        line = VERSION.sub("<V>", line)
    if line.startswith(PLUGINS):
        line = PLUGINS + ", ".join(sorted(line.removeprefix(PLUGINS).split(", ")))
    return line


def trim(lines: list[str]) -> list[str]:
    """Lines without carriage returns and without blank lines at the end."""
    lines = [line.replace("\r", "") for line in lines]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def line_pattern(expected: str) -> re.Pattern[str]:
    """An expected line as a pattern: ``…`` matches any text, the rest is literal."""
    return re.compile(".*".join(re.escape(part) for part in expected.split("…")))


def lines_match(expected: list[str], actual: list[str]) -> bool:
    """Whether the masked expected lines match the masked actual lines, with ``…`` wildcards."""
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head.strip() in ANY_LINES:
        return any(lines_match(rest, actual[start:]) for start in range(len(actual) + 1))
    return (
        bool(actual)
        and line_pattern(head).fullmatch(actual[0]) is not None
        and lines_match(rest, actual[1:])
    )


def contains_in_order(expected: list[str], actual: list[str], ordered: bool = True) -> bool:
    """Whether every expected line occurs in ``actual`` (in order, unless ``ordered`` is False)."""
    patterns = [line_pattern(line) for line in expected if line.strip() not in ANY_LINES]
    if not ordered:
        remaining = list(actual)
        for pattern in patterns:
            found = next((line for line in remaining if pattern.fullmatch(line)), None)
            if found is None:
                return False
            remaining.remove(found)
        return True
    position = 0
    for pattern in patterns:
        while position < len(actual) and not pattern.fullmatch(actual[position]):
            position += 1
        if position == len(actual):
            return False
        position += 1
    return True


def shown_pids(expected: list[str], actual: list[str]) -> dict[str, str]:
    """Process ids the page shows, mapped to the ones of this run, in order of appearance.

    A later step such as ``kill -TERM 23259`` uses the id the server printed; the runner
    replaces the page's id with the real one before running it.
    """
    shown = [match[2] for line in expected for match in PID.finditer(line)]
    real = [match[2] for line in actual for match in PID.finditer(line)]
    return dict(zip(shown, real, strict=False))


def diff(expected: list[str], actual: list[str], title: str) -> str:
    """A unified diff, page against this run, for a failure report."""
    lines = difflib.unified_diff(
        expected, actual, fromfile=f"{title} (page)", tofile=f"{title} (this run)", lineterm=""
    )
    return "\n".join(lines)
