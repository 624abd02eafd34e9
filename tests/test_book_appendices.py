"""Appendices A and C deliver what issue 17 asks of them, read from the built book.

Appendix A annotates the finished codebase: a figure of its layers, and each design decision as
a record in four parts (context, choice, alternatives, consequence). Appendix C lists the errors
a reader meets, each with its cause and fix, and each reproduced: by a console block that
``nox -s handson`` runs, or by a chapter's test that the page names and that exists.
"""

import ast
import json
import re

import pytest
from book_pages import WORD_BUDGET, headings, prose_words

from shared.chapters import REPOSITORY_ROOT
from shared.handson.extract import page_options

DOCS = REPOSITORY_ROOT / "docs"
RECORD_PARTS = ["Context.", "Choice.", "Alternatives.", "Consequence."]
ERROR_PARTS = ["Cause.", "Fix."]
MIN_ERRORS = 15
RECORDS = range(8, 13)
CITED_TEST = re.compile(r"[Cc]hapter (\d+)'s\s+`(tests/[\w/]+\.py)::(\w+)`")
FIGURE = re.compile(r'<figure[^>]*>\s*<img[^>]+src="(?P<src>[^"]*figures/[^"]+\.svg)"')


def built(site, name: str) -> str:
    return (site / name / "index.html").read_text()


def sections(page_html: str, level: int) -> list[tuple[str, str]]:
    """(heading, body up to the next heading of this level or above) for each heading."""
    pieces = re.split(rf"(<h[1-{level}][^>]*>.*?</h[1-{level}]>)", page_html, flags=re.DOTALL)
    found = []
    for heading, body in zip(pieces[1::2], pieces[2::2], strict=True):
        if heading.startswith(f"<h{level}"):
            found.append((headings(heading, level)[0], body))
    return found


def bold_leads(body: str) -> list[str]:
    """The bold words that open the section's paragraphs (``**Cause.**`` and the like)."""
    return re.findall(r"<p><strong>([^<]+)</strong>", body)


def markdown_sections(text: str) -> list[tuple[str, str]]:
    """(heading, text) of each ``###`` section of a Markdown page."""
    pieces = re.split(r"(?m)^(#{1,3} .*)$", text)
    return [
        (heading.lstrip("# "), body)
        for heading, body in zip(pieces[1::2], pieces[2::2], strict=True)
        if heading.startswith("### ")
    ]


def error_sections(text: str) -> list[tuple[str, str]]:
    return [(h, body) for h, body in markdown_sections(text) if all(p in body for p in ERROR_PARTS)]


def test_appendix_a_opens_with_the_architecture_figure_and_shows_the_benchmark_chart(book_site):
    page = built(book_site, "appendix-a")
    figures = [match["src"] for match in FIGURE.finditer(page)]

    assert figures[0].endswith("figures/appendix-a-architecture.svg")
    assert any(src.endswith("figures/benchmarks.svg") for src in figures)
    for src in figures:
        assert (book_site / "appendix-a" / src).resolve().stat().st_size > 1000


def test_appendix_a_has_its_decision_records_each_in_four_parts(book_site):
    page = built(book_site, "appendix-a")
    records = [(title, body) for title, body in sections(page, 3) if title.startswith("ADR ")]

    assert len(records) in RECORDS
    for title, body in records:
        leads = [lead for lead in bold_leads(body) if lead in RECORD_PARTS]
        assert leads == RECORD_PARTS, title


def test_appendix_c_has_at_least_fifteen_errors_each_with_cause_and_fix(book_site):
    page = built(book_site, "appendix-c")
    errors = [
        title
        for title, body in sections(page, 3)
        if all(part in bold_leads(body) for part in ERROR_PARTS)
    ]

    assert len(errors) >= MIN_ERRORS, errors


def test_each_error_is_reproduced_by_a_step_or_by_a_test_it_names():
    text = (DOCS / "appendix-c.md").read_text()

    unproved = [
        heading
        for heading, body in error_sections(text)
        if "```console" not in body and not CITED_TEST.search(body)
    ]
    assert unproved == []


def test_every_test_appendix_c_names_exists_in_its_chapter():
    cited = CITED_TEST.findall((DOCS / "appendix-c.md").read_text())

    missing = []
    for number, path, name in cited:
        source = REPOSITORY_ROOT / "chapters" / f"ch{int(number):02d}" / path
        defined = set()
        if source.is_file():
            defined = {
                node.name
                for node in ast.walk(ast.parse(source.read_text()))
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            }
        if name not in defined:
            missing.append(f"chapter {number}: {path}::{name}")
    assert len(cited) >= 10
    assert missing == []


def test_appendix_c_runs_in_the_chapters_it_uses():
    options = page_options((DOCS / "appendix-c.md").read_text())

    assert options["chapter"] == "ch07"
    assert "ch12" in options["also"].split(",")


@pytest.mark.parametrize(
    "name", ["appendix-a", "appendix-a-load", "appendix-c", "learning-journey"]
)
def test_the_page_fits_the_word_budget(book_site, name):
    words = prose_words(built(book_site, name))

    assert words <= WORD_BUDGET, f"{name}: {words} words of prose"


def test_the_learning_journey_promises_no_user_count_and_nothing_the_book_lacks():
    text = (DOCS / "learning-journey.md").read_text()

    for promise in ("Neo4j", "graph database"):
        assert promise not in text or "(chapters/ch12-graph.md)" in text, (
            "a graph database is promised only with the side track that teaches it"
        )
    assert "AWS" not in text or "(appendix-b.md)" in text, "AWS is promised only with Appendix B"
    assert "10,000 users" not in text or "(appendix-a-load.md)" in text, (
        "a user count is promised only with the load test that measures it"
    )


def test_the_graph_pages_conclusion_agrees_with_the_committed_measurement():
    """The side track says which database answered faster; the benchmark's results must agree."""
    results = json.loads((REPOSITORY_ROOT / "benchmarks/graph/results.json").read_text())
    page = (DOCS / "chapters" / "ch12-graph.md").read_text()
    ratios = [question["sql_over_cypher"] for question in results["questions"]]

    assert '--8<-- "benchmarks/graph/results.md"' in page
    if all(ratio < 1 for ratio in ratios):
        assert "recursive SQL on PostgreSQL answered every question faster" in page
        assert "There is no crossover in this range" in page
    else:
        assert "answered every question faster" not in page, "the page's conclusion is stale"
