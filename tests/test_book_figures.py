"""The book's figures: drawn from text at build time, and visible in a real browser."""

import json
import re

import pytest
from book_browser import require_program
from mkdocs.exceptions import PluginError

from shared import book_figures
from shared.book_figures import (
    LOAD_RESULTS,
    RESULTS,
    benchmark_chart,
    load_chart,
    render_dot,
    with_house_style,
)
from shared.chapters import REPOSITORY_ROOT

DOCS = REPOSITORY_ROOT / "docs"


@pytest.fixture
def dot():
    return require_program("dot", "graphviz", "it draws the book's figures")


def test_the_house_style_comes_first_so_a_graph_can_override_it():
    styled = with_house_style("digraph g {\n  node [shape=ellipse];\n  a -> b;\n}\n")

    assert styled.index("shape=box") < styled.index("shape=ellipse")
    assert styled.startswith("digraph g {")


def test_a_graph_becomes_an_svg_that_draws_its_nodes_and_labels(dot):
    svg = render_dot('digraph g { server -> app [label="ASGI"]; }')

    assert svg.startswith("<svg")  # no XML prologue: the file is served as it is
    assert svg.count('class="node"') == 2
    assert ">ASGI</text>" in svg


def test_a_broken_graph_stops_the_build_naming_its_file(dot):
    with pytest.raises(PluginError, match=r"figures/broken\.dot"):
        render_dot("digraph g { a -> }", "figures/broken.dot")


def test_without_graphviz_the_build_says_what_to_install(monkeypatch):
    monkeypatch.setattr(book_figures.shutil, "which", lambda program: None)

    with pytest.raises(PluginError, match=r"apt-get install graphviz"):
        render_dot("digraph g { a; }")


def test_the_benchmark_chart_has_a_bar_a_ratio_and_a_verdict_per_scenario():
    results = json.loads(RESULTS.read_text())
    svg = benchmark_chart(results)

    scenarios = results["scenarios"]
    bars = re.findall(r'<rect x="\d+" y="[\d.]+" width="([\d.]+)" height="20"', svg)
    assert len(bars) == len(scenarios)
    assert all(float(width) > 0 for width in bars)
    for scenario in scenarios:
        assert f">{scenario['ratio']:.2f}</text>" in svg
    missed = sum(1 for scenario in scenarios if scenario["met"] is False)
    assert svg.count("(target missed)") == missed
    targets = sum(1 for scenario in scenarios if scenario["target"])
    assert svg.count("<title>target ") == targets


def test_the_chart_scale_fits_the_largest_ratio():
    results = {
        "settings": {"subject": "chX"},
        "scenarios": [
            {"title": "fast", "ratio": 9.0, "met": True, "target": {"minimum_ratio": 2}},
            {"title": "slow", "ratio": 0.1, "met": None, "target": None},
        ],
    }
    svg = benchmark_chart(results)
    width = int(re.search(r'width="(\d+)"', svg)[1])
    bars = [float(w) for w in re.findall(r'<rect x="\d+" y="[\d.]+" width="([\d.]+)"', svg)]

    assert max(bars) < width
    assert bars[0] / bars[1] == pytest.approx(90, rel=0.01)


def test_every_figure_source_is_shown_on_a_page():
    pages = "\n".join(page.read_text() for page in DOCS.rglob("*.md"))
    sources = sorted((DOCS / "figures").glob("*.dot"))

    unused = [source.name for source in sources if f"figures/{source.stem}.svg" not in pages]
    assert unused == []


def load_results(steps_by_workers: dict[int, list[tuple[int, int, bool]]]) -> dict:
    """Results with, per worker count, steps of (users, p95 ms, held)."""
    runs = [
        {
            "workers": workers,
            "steps": [
                {"users": u, "p95_ms": p95, "held": ok, "requests_per_s": u / 3, "failures": 0}
                for u, p95, ok in steps
            ],
        }
        for workers, steps in steps_by_workers.items()
    ]
    return {"settings": {"chapter": "chX", "limit_ms": 200}, "runs": runs}


def test_the_load_chart_has_a_dot_per_step_filled_when_it_held():
    svg = load_chart(load_results({1: [(25, 40, True), (50, 90, True), (100, 450, False)]}))

    dots = re.findall(r'<circle [^>]*fill="([^"]+)"', svg)
    assert len(dots) == 3
    assert dots.count("white") == 1
    assert "limit: p95 200 ms" in svg
    assert svg.count("<polyline") == 1
    assert ">1 worker</text>" in svg


def test_a_step_far_over_the_limit_sits_on_the_top_edge_with_its_value():
    svg = load_chart(load_results({1: [(25, 40, True), (50, 9000, False)], 2: [(25, 30, True)]}))

    ys = [float(y) for y in re.findall(r'<circle [^>]*cy="([\d.]+)"', svg)]
    assert min(ys) >= 40  # the plot's top: the overloaded step is drawn, not off the chart
    assert ">9,000 ms</text>" in svg
    assert ">2 workers</text>" in svg


def test_the_committed_load_results_draw_a_line_per_worker_count():
    results = json.loads(LOAD_RESULTS.read_text())
    svg = load_chart(results)

    assert svg.count("<polyline") == len(results["runs"])
    assert svg.count("<circle") == sum(len(run["steps"]) for run in results["runs"])
