"""mkdocs hook: the book's figures are drawn from text when the book is built.

Diagrams
    Each ``docs/figures/NAME.dot`` is a Graphviz graph. At build time it becomes
    ``figures/NAME.svg`` in the site (the ``.dot`` source is not published), and a page shows it
    as an ordinary image, ``![...](../figures/NAME.svg)``, which the strict build checks like any
    other link. The house style (fonts, colours, arrow shapes) is added here, once, so a ``.dot``
    file holds only what the figure says.

Charts
    ``figures/benchmarks.svg`` is drawn from ``benchmarks/results.json`` (what ``nox -s bench``
    committed): one bar per scenario, its ratio of medians, and its target. The SVG is written
    here, without a plotting library: a bar chart is a few rectangles and labels, and the book's
    build stays a few small packages.

Why Graphviz: ``dot`` lays out a graph in a few milliseconds, as a plain program with no browser
and no network (Mermaid's command-line renderer drives a headless Chromium through Node.js, a
second or more per figure and a few hundred megabytes of packages). It is one Debian package,
``graphviz``, which ``.ci/run`` installs; without it the build stops and says so.
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from shared.chapters import REPOSITORY_ROOT

FIGURES = "figures"
RESULTS = REPOSITORY_ROOT / "benchmarks" / "results.json"
CHART = f"{FIGURES}/benchmarks.svg"
FONT = "Helvetica,Arial,sans-serif"

HOUSE_STYLE = f"""
  graph [fontname="{FONT}", fontsize=13, bgcolor="white", pad=0.2, nodesep=0.35, ranksep=0.45];
  node [fontname="{FONT}", fontsize=13, shape=box, style="rounded,filled", color="#3949ab",
        fillcolor="#e8eaf6", fontcolor="#1a1a2e", margin="0.16,0.08", penwidth=1.2];
  edge [fontname="{FONT}", fontsize=11, color="#455a64", fontcolor="#37474f", arrowsize=0.7,
        penwidth=1.1];
"""


def dot_program() -> str:
    program = shutil.which("dot")
    if program is None:
        raise PluginError(
            "Graphviz's `dot` is not installed: the book's figures are drawn with it "
            "(docs/figures/*.dot). Install Debian's graphviz package "
            "(sudo apt-get install graphviz); .ci/run installs it in CI."
        )
    return program


def with_house_style(source: str) -> str:
    """The graph with the book's default attributes right after its opening brace.

    Attributes the graph sets itself come later in the text, so they win.
    """
    brace = source.index("{")
    return source[: brace + 1] + HOUSE_STYLE + source[brace + 1 :]


def render_dot(source: str, name: str = "figure") -> str:
    """The SVG Graphviz draws for ``source``; a syntax error fails with the file's name."""
    result = subprocess.run(
        [dot_program(), "-Tsvg"],
        input=with_house_style(source),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise PluginError(f"dot could not draw {name}: {result.stderr.strip()}")
    svg = result.stdout
    return svg[svg.index("<svg") :]  # no XML prologue or DOCTYPE: the file is served as is


# --- the benchmark chart ------------------------------------------------------------------------

GREEN, RED, GREY, INK, FAINT = "#2e7d32", "#c62828", "#78909c", "#1a1a2e", "#b0bec5"


def benchmark_chart(results: dict) -> str:
    """One horizontal bar per scenario: A's median over B's, with its target when it has one.

    The scale is linear from 0; a dashed line marks 1 (A as fast as B) and a black tick each
    scenario's target. A bar is green when the target is met, red when it is not, grey when
    the scenario only measures and has no target.
    """
    scenarios = results["scenarios"]
    width, left, right, top, row = 720, 16, 70, 44, 58
    targets = [(s.get("target") or {}).get("minimum_ratio") or 0 for s in scenarios]
    largest = max([1.0, *(s["ratio"] for s in scenarios), *targets])
    scale_max = largest * 1.08
    plot = width - left - right
    height = top + row * len(scenarios) + 48

    def x(value: float) -> float:
        return left + plot * value / scale_max

    axis_y = top + row * len(scenarios) + 4
    one = x(1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="13">',
        f"<title>Benchmarks: ratio of medians, {html.escape(results['settings']['subject'])}"
        "</title>",
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="20" font-size="14" font-weight="bold" fill="{INK}">'
        "A's median over B's (higher is better for A)</text>",
        # The line at 1 goes first, so bars and labels are drawn over it.
        f'<line x1="{one:.1f}" x2="{one:.1f}" y1="{top}" y2="{axis_y}" stroke="{FAINT}" '
        'stroke-width="1.5" stroke-dasharray="5 4"/>',
        f'<text x="{one:.1f}" y="{axis_y + 16}" text-anchor="middle" fill="{INK}">'
        "1 = as fast as B</text>",
    ]
    for index, (scenario, target) in enumerate(zip(scenarios, targets, strict=True)):
        y = top + index * row
        met = scenario.get("met")
        colour = GREY if met is None else GREEN if met else RED
        title = scenario["title"].replace("`", "")
        verdict = "" if met is None else " (target met)" if met else " (target missed)"
        parts.append(
            f'<text x="{left}" y="{y + 12}" fill="{INK}">{html.escape(title)}'
            f'<tspan fill="{colour}">{verdict}</tspan></text>'
        )
        bar_end = x(scenario["ratio"])
        parts.append(
            f'<rect x="{left}" y="{y + 20}" width="{bar_end - left:.1f}" height="20" rx="3" '
            f'fill="{colour}"/>'
        )
        if target:
            parts.append(
                f'<line x1="{x(target):.1f}" x2="{x(target):.1f}" y1="{y + 15}" y2="{y + 45}" '
                f'stroke="{INK}" stroke-width="3"><title>target {target}</title></line>'
            )
        label_x = max(bar_end, x(target) if target else 0) + 7
        parts.append(
            f'<text x="{label_x:.1f}" y="{y + 35}" font-weight="bold" fill="{INK}">'
            f"{scenario['ratio']:.2f}</text>"
        )
    parts += [
        f'<line x1="{left + 8}" x2="{left + 8}" y1="{axis_y + 20}" y2="{axis_y + 38}" '
        f'stroke="{INK}" stroke-width="3"/>',
        f'<text x="{left + 20}" y="{axis_y + 34}" fill="{INK}">'
        "target: the ratio the chapter aims for</text>",
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


# --- mkdocs events ------------------------------------------------------------------------------


def on_files(files: Files, config, **kwargs) -> Files:
    """Swap every ``figures/*.dot`` for the SVG it draws; add the benchmark chart."""
    sources = [file for file in files if file.src_uri.startswith(f"{FIGURES}/")]
    graphs = [file for file in sources if file.src_uri.endswith(".dot")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        drawn = pool.map(
            lambda file: render_dot(Path(file.abs_src_path).read_text(), file.src_uri), graphs
        )
        for file, svg in zip(graphs, drawn, strict=True):
            files.remove(file)
            svg_uri = file.src_uri.removesuffix(".dot") + ".svg"
            files.append(File.generated(config, svg_uri, content=svg))
    if RESULTS.is_file():
        chart = benchmark_chart(json.loads(RESULTS.read_text()))
        files.append(File.generated(config, CHART, content=chart))
    return files
