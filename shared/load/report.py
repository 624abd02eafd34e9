"""``benchmarks/load/results.md``: the results JSON as the text Appendix A includes."""

LIBRARIES_SHOWN = ("fastapi", "starlette", "sqlalchemy", "asyncpg", "uvicorn", "redis", "bcrypt")


def step_row(step: dict) -> str:
    verdict = "yes" if step["held"] else "**no**"
    return (
        f"| {step['users']:,} | {step['requests_per_s']:,.1f} | {step['p50_ms']:,.0f} "
        f"| {step['p95_ms']:,.0f} | {step['p99_ms']:,.0f} | {step['failures']:,} "
        f"| {step['server_cores']:.2f} | {step['machine_busy']:.0%} "
        f"| {step['locust_cores']:.2f} | {step['load_average_1min']:.1f} | {verdict} |"
    )


def steps_table(run: dict) -> list[str]:
    lines = [
        "| Users | req/s | p50 ms | p95 ms | p99 ms | Failed | Server CPU (cores) "
        "| Machine busy | locust CPU (cores) | Load avg | Held |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    return lines + [step_row(step) for step in sorted(run["steps"], key=lambda s: s["users"])]


def workers_text(count: int) -> str:
    return f"{count} worker{'s' if count > 1 else ''}"


def cpu_per_request_ms(step: dict) -> float:
    """Milliseconds of the server's CPU per request: the cost of the app's own work."""
    return 1000 * step["server_cores"] / step["requests_per_s"] if step["requests_per_s"] else 0.0


def starved(step: dict, workers: int) -> bool:
    """The machine was busy while the server used under half of what its workers could."""
    return step["machine_busy"] >= 0.9 and step["server_cores"] < 0.5 * workers


def run_summary(run: dict, limit_ms: float) -> str:
    workers = workers_text(run["workers"])
    best, saturated = run["sustained"], run["saturated"]
    if best is None:
        text = f"**{workers}**: no step held (p95 under {limit_ms:.0f} ms with no failure)."
    else:
        text = (
            f"**{workers}**: **{best['users']:,} concurrent users** held, at "
            f"{best['requests_per_s']:,.1f} req/s with p95 {best['p95_ms']:,.0f} ms, the server "
            f"using {best['server_cores']:.2f} cores ({cpu_per_request_ms(best):.1f} ms of CPU "
            f"per request) and the machine {best['machine_busy']:.0%} busy."
        )
    if saturated:
        reason = (
            f"{saturated['failures']:,} request{'s' if saturated['failures'] > 1 else ''} failed"
            if saturated["failures"]
            else f"p95 {saturated['p95_ms']:,.0f} ms"
        )
        text += (
            f" At {saturated['users']:,} users it saturated ({reason}): "
            f"{saturated['requests_per_s']:,.1f} req/s, server {saturated['server_cores']:.2f} "
            f"cores, machine {saturated['machine_busy']:.0%} busy."
        )
        if starved(saturated, run["workers"]):
            text += (
                " The server used under half of its workers' cores while the machine was full: "
                "the rest went to PostgreSQL, Redis, locust and whatever else was running, and "
                "the server waited for CPU rather than using up its own."
            )
    return text


def journey_table(step: dict) -> list[str]:
    """What the simulated users did in a step: each request, how often, and its p95."""
    by_name = step.get("requests_by_name") or {}
    total = sum(entry["requests"] for entry in by_name.values()) or 1
    lines = ["| Request | Count | Share | Failed | p95 ms |", "|---|---|---|---|---|"]
    for name, entry in sorted(by_name.items(), key=lambda item: -item[1]["requests"]):
        lines.append(
            f"| `{name}` | {entry['requests']:,} | {entry['requests'] / total:.0%} "
            f"| {entry['failures']:,} | {entry['p95_ms']:,.0f} |"
        )
    return lines


def cpu_cross_check(step: dict) -> str:
    """What the server's own CPU per request allows, whatever else the machine was doing."""
    per_request = cpu_per_request_ms(step)
    if not per_request:
        return ""
    return (
        f"A cross-check the machine's other work distorts less: the server spent "
        f"{per_request:.1f} ms of CPU per request, so each core the app had to itself (the "
        f"database elsewhere) could serve at most about {1000 / per_request:,.0f} req/s. Where "
        "that is far above the figure measured, the machine, not the app, set the limit."
    )


def capacity_lines(capacity: dict) -> list[str]:
    a = capacity["assumptions"]
    registered, concurrent = capacity["registered"], capacity["concurrent"]
    per_minute = a["actions_per_minute"]
    replica = f"{registered['replica_rps']:,.1f}"
    return [
        f"One replica of the size measured (this machine, {workers_text(capacity['workers'])}) "
        f"sustained **{capacity['ceiling_rps']:,.1f} req/s** with {capacity['simulated_users']:,} "
        f"simulated users, each acting {capacity['simulated_actions_per_minute']:g} times a "
        "minute. Assumptions: "
        f"{a['active_fraction']:.0%} of registered people active in the busiest minute, "
        f"{per_minute:g} actions (requests) a minute per active person, replicas run at "
        f"{a['headroom']:.0%} of the measured ceiling, at least 2 replicas.",
        "",
        f"- One replica: {capacity['ceiling_rps']:,.1f} × {a['headroom']:.0%} = "
        f"**{replica} req/s**.",
        f"- **10,000 registered people**: 10,000 × {a['active_fraction']:.0%} = "
        f"{registered['people_active']:,.0f} active; × {per_minute:g} ÷ 60 = "
        f"{registered['demand_rps']:,.1f} req/s; ÷ {replica} → "
        f"**{registered['replicas']} replicas**.",
        f"- **10,000 people at once**: 10,000 × {per_minute:g} ÷ 60 = "
        f"{concurrent['demand_rps']:,.1f} req/s; ÷ {replica} → "
        f"**{concurrent['replicas']} replicas**.",
    ]


def render_markdown(results: dict) -> str:
    settings, machine = results["settings"], results["machine"]
    libraries = machine["libraries"]
    versions = ", ".join(f"{n} {libraries[n]}" for n in LIBRARIES_SHOWN if n in libraries)
    load = results["load_average"]
    think_low, think_high = settings["think_time_s"]
    lines = [
        f"Measured {results['measured_at']} with `nox -s load` on {settings['chapter']}, served "
        "with `python -m neodyme serve` on PostgreSQL and Redis, locust on the same machine. "
        f"Each simulated user logs in once, then lists, pages, creates, completes and now and "
        f"then refreshes its token, thinking {think_low}–{think_high} s between actions. The "
        f"users double from {settings['first_users']} until a step fails (p95 over "
        f"{settings['limit_ms']:.0f} ms, or any failed request), then "
        f"{settings['refinements']} steps halve the gap; each step is measured for "
        f"{settings['window_s']:g} s after {settings['settle_s']:g} s to settle.",
        "",
        f"Machine: {machine['cores']} cores ({machine['cpu']}), {machine['system']}, Python "
        f"{machine['python']}, PostgreSQL {machine['postgresql']}, locust {machine['locust']}; "
        f"{versions}. Load average (1 min): {load['start'][0]} at the start, "
        f"{load['end'][0]} at the end.",
        "",
    ]
    if results.get("note"):
        lines += [f"Note: {results['note']}", ""]
    for run in results["runs"]:
        lines += [run_summary(run, settings["limit_ms"]), "", *steps_table(run), ""]
        if run["sustained"] and run["sustained"].get("requests_by_name"):
            lines += [
                f"The journey at {run['sustained']['users']:,} users, request by request:",
                "",
                *journey_table(run["sustained"]),
                "",
            ]
    if results["capacity"]:
        lines += [*capacity_lines(results["capacity"]), ""]
        best = next(r for r in results["runs"] if r["workers"] == results["capacity"]["workers"])
        lines += [cpu_cross_check(best["sustained"]), ""]
    return "\n".join(lines)
