"""Appendix B: its settings reference is generated from the code; its checklist cites real tests."""

import ast
import re
from types import SimpleNamespace

import yaml

from shared.book_settings import (
    PAGE,
    PLACEHOLDER,
    Variable,
    first_chapters,
    on_page_markdown,
    parse_env_example,
    production_rules,
    settings_reference,
    settings_table,
)
from shared.chapters import REPOSITORY_ROOT, discover_chapters, discover_snapshots

APPENDIX = REPOSITORY_ROOT / "docs" / PAGE
CITED_TEST = re.compile(r"`(?P<path>[\w./-]+/test_\w+\.py)::(?P<name>test_\w+)`")

ENV_EXAMPLE = """\
# A header about the whole file.

# Token lifetimes.
NEODYME_ACCESS=15
NEODYME_REFRESH=7
# The database. For example:
#   NEODYME_URL=postgresql+asyncpg://host/db
NEODYME_URL=sqlite+aiosqlite:///./x.db

NEODYME_BARE=
"""

CONFIG = """
LIMIT = 32


class Settings:
    def check(self):
        if self.production:
            raise ValueError(f"NEODYME_KEY must have {LIMIT} bytes in production (make one)")
        raise ValueError("NEODYME_DEBUG must be false")
        raise ValueError("no variable named here")


class Other:
    def check(self):
        raise ValueError("NEODYME_ELSEWHERE must not be read")
"""


def page(src_uri: str) -> SimpleNamespace:
    return SimpleNamespace(file=SimpleNamespace(src_uri=src_uri))


def test_a_comment_covers_the_run_of_variables_below_it_and_a_blank_line_ends_it():
    variables = parse_env_example(ENV_EXAMPLE)

    assert variables == [
        Variable("NEODYME_ACCESS", "15", "Token lifetimes."),
        Variable("NEODYME_REFRESH", "7", "Token lifetimes."),
        Variable(
            "NEODYME_URL",
            "sqlite+aiosqlite:///./x.db",
            "The database. For example: `NEODYME_URL=postgresql+asyncpg://host/db`",
        ),
        Variable("NEODYME_BARE", "", ""),
    ]


def test_a_line_that_is_neither_comment_nor_variable_is_refused():
    try:
        parse_env_example("export NEODYME_X=1\n")
    except ValueError as error:
        assert "export NEODYME_X=1" in str(error)
    else:
        raise AssertionError("the line was accepted")


def test_production_rules_are_read_from_the_messages_settings_raises():
    assert production_rules(CONFIG) == {
        "NEODYME_KEY": "must have 32 bytes in production",
        "NEODYME_DEBUG": "must be false",
    }


def test_the_finished_chapter_enforces_the_secret_key_debug_and_bcrypt_cost():
    config = REPOSITORY_ROOT / "chapters" / "ch12" / "neodyme" / "core" / "config.py"

    rules = production_rules(config.read_text())

    assert set(rules) == {"NEODYME_SECRET_KEY", "NEODYME_DEBUG", "NEODYME_BCRYPT_ROUNDS"}
    assert "at least 32 bytes" in rules["NEODYME_SECRET_KEY"]
    assert "at least 12" in rules["NEODYME_BCRYPT_ROUNDS"]


def test_a_variable_is_dated_by_the_first_chapter_that_lists_or_reads_it(tmp_path):
    for name, files in {
        "ch02": {"neodyme/db.py": 'URL = os.environ.get("NEODYME_URL")\n'},
        "ch03": {"neodyme/db.py": '"""Mentions NEODYME_LATE in prose only."""\n'},
        "ch08": {"neodyme/db.py": "", ".env.example": "NEODYME_URL=x\nNEODYME_LATE=y\n"},
    }.items():
        chapter = tmp_path / "chapters" / name
        (chapter / "neodyme").mkdir(parents=True)
        (chapter / "pyproject.toml").write_text('[project]\nname = "neodyme"\n')
        for relative, text in files.items():
            (chapter / relative).write_text(text)

    assert first_chapters(discover_chapters(tmp_path)) == {
        "NEODYME_URL": "ch02",
        "NEODYME_LATE": "ch08",
    }


def test_the_real_chapters_date_the_variables_as_the_specification_does():
    since = first_chapters(discover_chapters())

    assert since["NEODYME_DATABASE_URL"] == "ch02"
    assert since["NEODYME_SECRET_KEY"] == "ch07"
    assert since["NEODYME_ENVIRONMENT"] == "ch08"
    assert since["NEODYME_REDIS_URL"] == "ch12"


def test_the_table_has_one_row_per_variable_with_its_rule_and_escaped_cells():
    variables = [
        Variable("NEODYME_KEY", "", "Signs tokens."),
        Variable("NEODYME_MODE", "a|b", "Either a | b."),
    ]

    table = settings_table(
        variables, {"NEODYME_KEY": "ch07", "NEODYME_MODE": "ch08"}, {"NEODYME_KEY": "must be set"}
    )

    assert table.splitlines()[2:] == [
        "| `NEODYME_KEY` | *(empty)* | ch07 | **must be set** | Signs tokens. |",
        "| `NEODYME_MODE` | `a\\|b` | ch08 |  | Either a \\| b. |",
    ]


def env_example_names(path) -> list[str]:
    return re.findall(r"^(NEODYME_\w+)=", (path / ".env.example").read_text(), flags=re.MULTILINE)


def test_the_reference_lists_every_variable_of_the_newest_chapter_first():
    names = env_example_names(discover_chapters()[-1].path)

    reference = settings_reference()

    rows = [line for line in reference.splitlines() if line.startswith("| `NEODYME_")]
    assert [row.split("`")[1] for row in rows][: len(names)] == names
    assert f"({len(names)} variables)" in reference


def test_every_variable_a_chapter_or_side_track_lists_has_one_row():
    names = {
        name
        for snapshot in discover_snapshots()
        if (snapshot.path / ".env.example").is_file()
        for name in env_example_names(snapshot.path)
    }

    rows = [line for line in settings_reference().splitlines() if line.startswith("| `NEODYME_")]

    listed = [row.split("`")[1] for row in rows]
    assert sorted(listed) == sorted(names)


def test_a_side_tracks_own_settings_are_dated_by_the_track():
    reference = settings_reference().splitlines()
    rows = [line for line in reference if line.startswith("| `NEODYME_GRAPH_URL` |")]

    assert len(rows) == 1
    assert "| ch12-graph |" in rows[0]


def test_the_placeholder_becomes_the_table_on_the_appendix_only():
    markdown = f"# Appendix B\n\n{PLACEHOLDER}\n"

    built = on_page_markdown(markdown, page(PAGE))

    assert PLACEHOLDER not in built
    assert "| `NEODYME_SECRET_KEY` |" in built
    assert on_page_markdown(markdown, page("appendix-c.md")) == markdown


def test_the_appendix_holds_the_placeholder_and_the_book_runs_the_hook():
    config = yaml.load((REPOSITORY_ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)

    assert APPENDIX.read_text().count(PLACEHOLDER) == 1
    assert "shared/book_settings.py" in config["hooks"]
    assert PAGE in str(config["nav"])


def test_every_test_the_security_checklist_cites_exists():
    cited = CITED_TEST.findall(APPENDIX.read_text())

    missing = []
    for path, name in cited:
        source = REPOSITORY_ROOT / path
        defined = set()
        if source.is_file():
            defined = {
                node.name
                for node in ast.parse(source.read_text()).body
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            }
        if name not in defined:
            missing.append(f"{path}::{name}")
    assert len(cited) >= 30
    assert missing == []
