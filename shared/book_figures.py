"""mkdocs hook: the book's figures are drawn from text when the book is built.

Diagrams
    Each ``docs/figures/NAME.dot`` is a Graphviz graph. At build time it becomes
    ``figures/NAME.svg`` in the site (the ``.dot`` source is not published), and a page shows it
    as an ordinary image, ``![...](../figures/NAME.svg)``, which the strict build checks like any
    other link. The house style (fonts, colours, arrow shapes) is added here, once, so a ``.dot``
    file holds only what the figure says.

Charts
    ``figures/benchmarks.svg`` is drawn from ``benchmarks/results.json`` (what ``nox -s bench``
    committed): one bar per scenario, its ratio of medians, and its target.
    ``figures/load.svg`` is drawn from ``benchmarks/load/results.json`` (what ``nox -s load``
    committed): p95 against concurrent users, one line per worker count, and the limit. The SVG
    is written here, without a plotting library: a chart is a few shapes and labels, and the
    book's build stays a few small packages.

Why Graphviz: ``dot`` lays out a graph in a few milliseconds, as a plain program with no browser
and no network (Mermaid's command-line renderer drives a headless Chromium through Node.js, a
second or more per figure and a few hundred megabytes of packages). It is one Debian package,
``graphviz``, which ``.ci/run`` installs; without it the build stops and says so.
"""

from __future__ import annotations

import html
import json
import math
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
LOAD_RESULTS = REPOSITORY_ROOT / "benchmarks" / "load" / "results.json"
LOAD_CHART = f"{FIGURES}/load.svg"
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


# --- the load chart -----------------------------------------------------------------------------

LINE_COLOURS = ("#3949ab", "#ef6c00", "#00838f")
LOAD_CAP = 4
"""The p95 axis stops at this many times the limit; a step above it sits on the top edge,
labelled with its value, so that one overloaded step does not flatten all the others."""


def load_chart(results: dict) -> str:
    """p95 (linear) against concurrent users (doubling, so a log scale), a line per run.

    A dot is filled when its step held (p95 within the limit, no failed request) and hollow
    when it did not; the dashed line is the limit.
    """
    limit = results["settings"]["limit_ms"]
    runs = [run for run in results["runs"] if run["steps"]]
    steps = [step for run in runs for step in run["steps"]]
    users = [step["users"] for step in steps]
    low, high = math.log2(min(users)), math.log2(max(users))
    span = max(high - low, 1)
    top_ms = min(max(step["p95_ms"] for step in steps), LOAD_CAP * limit)
    top_ms = max(top_ms, limit) * 1.1
    width, height, left, right, top, bottom = 720, 380, 64, 24, 40, 64
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(count: int) -> float:
        return left + plot_w * (math.log2(count) - low) / span

    def y(ms: float) -> float:
        return top + plot_h * (1 - min(ms, top_ms) / top_ms)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="13">',
        f"<title>Load test: p95 against users, {html.escape(results['settings']['chapter'])}"
        "</title>",
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="22" font-size="14" font-weight="bold" fill="{INK}">'
        "p95 response time (ms) against concurrent simulated users</text>",
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="{INK}"/>',
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{INK}"/>',
        f'<line x1="{left}" x2="{left + plot_w}" y1="{y(limit):.1f}" y2="{y(limit):.1f}" '
        f'stroke="{RED}" stroke-width="1.5" stroke-dasharray="6 4"/>',
        f'<text x="{left + plot_w}" y="{y(limit) - 6:.1f}" text-anchor="end" fill="{RED}">'
        f"limit: p95 {limit:.0f} ms</text>",
        f'<text x="{left + plot_w / 2}" y="{height - 12}" text-anchor="middle" fill="{INK}">'
        "concurrent users (a log scale: each doubling is one stride)</text>",
    ]
    for multiple in range(int(top_ms // limit) + 1):  # 0, the limit, twice the limit …
        tick = multiple * limit
        parts.append(
            f'<text x="{left - 8}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="{INK}">'
            f"{tick:,.0f}</text>"
        )
    for count in sorted(set(users)):
        parts.append(
            f'<text x="{x(count):.1f}" y="{top + plot_h + 20}" text-anchor="middle" '
            f'fill="{INK}">{count:,}</text>'
        )
    for index, run in enumerate(runs):
        colour = LINE_COLOURS[index % len(LINE_COLOURS)]
        ordered = sorted(run["steps"], key=lambda step: step["users"])
        points = " ".join(f"{x(s['users']):.1f},{y(s['p95_ms']):.1f}" for s in ordered)
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        for step in ordered:
            fill = colour if step["held"] else "white"
            parts.append(
                f'<circle cx="{x(step["users"]):.1f}" cy="{y(step["p95_ms"]):.1f}" r="5" '
                f'fill="{fill}" stroke="{colour}" stroke-width="2"><title>{step["users"]:,} users: '
                f"p95 {step['p95_ms']:,.0f} ms, {step['requests_per_s']:,.1f} req/s, "
                f"{step['failures']:,} failed</title></circle>"
            )
            if step["p95_ms"] > top_ms:
                parts.append(
                    f'<text x="{x(step["users"]) - 8:.1f}" y="{top + 4}" text-anchor="end" '
                    f'fill="{colour}">{step["p95_ms"]:,.0f} ms</text>'
                )
        workers = f"{run['workers']} worker{'s' if run['workers'] > 1 else ''}"
        legend_y = top + 18 + 20 * index
        parts += [
            f'<line x1="{left + 16}" x2="{left + 40}" y1="{legend_y - 4}" y2="{legend_y - 4}" '
            f'stroke="{colour}" stroke-width="2"/>',
            f'<text x="{left + 46}" y="{legend_y}" fill="{INK}">{workers}</text>',
        ]
    parts += [
        f'<text x="{left + 16}" y="{top + 18 + 20 * len(runs)}" fill="{INK}">'
        "filled: the step held; hollow: it did not</text>",
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


# --- mkdocs events ------------------------------------------------------------------------------


def on_files(files: Files, config, **kwargs) -> Files:
    """Swap every ``figures/*.dot`` for the SVG it draws; add the benchmark and load charts."""
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
    if LOAD_RESULTS.is_file():
        chart = load_chart(json.loads(LOAD_RESULTS.read_text()))
        files.append(File.generated(config, LOAD_CHART, content=chart))
    return files
