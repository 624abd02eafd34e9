"""``benchmarks/results.md``: the results JSON as the table Appendix A includes."""

EXTRA_LABELS = {
    "health_p99_ms": "/health p99 {:.1f} ms",
    "hash_ms": "one hash {:.0f} ms",
}

LIBRARIES_SHOWN = (
    "fastapi",
    "starlette",
    "pydantic",
    "sqlalchemy",
    "sqlmodel",
    "asyncpg",
    "uvicorn",
    "bcrypt",
)


def format_side(side: dict, unit: str) -> str:
    median = side["median"]
    parts = [f"{median['value']:,.1f} {unit}"]
    if "p50_ms" in median:
        parts.append(f"p50 {median['p50_ms']:.1f} ms")
    if "p99_ms" in median:
        parts.append(f"p99 {median['p99_ms']:.1f} ms")
    parts += [label.format(median[name]) for name, label in EXTRA_LABELS.items() if name in median]
    return ", ".join(parts)


def format_met(met: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "—"}[met]


def describe_machine(machine: dict) -> str:
    libraries = machine["libraries"]
    versions = ", ".join(
        f"{name} {libraries[name]}" for name in LIBRARIES_SHOWN if name in libraries
    )
    return (
        f"{machine['cores']} cores ({machine['cpu']}), {machine['system']}, "
        f"Python {machine['python']}, PostgreSQL {machine['postgresql']}, {machine['wrk']}; "
        f"{versions}."
    )


def render_markdown(results: dict) -> str:
    settings = results["settings"]
    lines = [
        "| Scenario | A | B | A (median) | B (median) | A / B | Target | Met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for scenario in results["scenarios"]:
        unit = scenario["unit"]
        cells = [
            scenario["title"],
            scenario["a"]["label"],
            scenario["b"]["label"],
            format_side(scenario["a"], unit),
            format_side(scenario["b"], unit),
            f"**{scenario['ratio']:.2f}**",
            scenario["target_text"] or "—",
            format_met(scenario["met"]),
        ]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    run = "a quick smoke run, " if results.get("quick") else ""
    header = [
        f"Measured {results['date']} with `nox -s bench` on {settings['subject']} ({run}"
        f"{settings['rounds']} rounds of {settings['duration_s']:g} s per side, A and B "
        f"alternating, {settings['connections']} connections): every figure is a median and "
        "every ratio is A's median over B's, from the same run.",
        "",
        f"Machine: {describe_machine(results['machine'])}",
    ]
    if "load_average" in results:
        start, end = results["load_average"]["start"][0], results["load_average"]["end"][0]
        header[-1] += f" Load average (1 min): {start:g} at the start, {end:g} at the end."
    if results.get("note"):
        header += ["", f"Note: {results['note']}"]
    return "\n".join([*header, "", *lines, ""])
