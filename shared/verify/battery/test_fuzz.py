"""Schema fuzzing: schemathesis against the chapter's own OpenAPI, every check, every phase.

The served app is fuzzed through the schemathesis command line, which runs all four phases
(explicit examples, boundary coverage, random fuzzing and the stateful phase that chains
operations through the links it infers, e.g. ``POST /users`` then ``GET /users/{id}``).
A fixed seed keeps CI reproducible; ``NEODYME_VERIFY_MAX_EXAMPLES`` trades depth for time.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.verify.battery.conftest import record_cases
from shared.verify.battery.server import Server
from shared.verify.plan import ChapterPlan

SEED = 20_260_101
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
MAX_EXAMPLES = int(os.environ.get("NEODYME_VERIFY_MAX_EXAMPLES", "40"))


def schemathesis_command(server: Server, report: Path) -> list[str]:
    return [
        str(Path(sys.executable).with_name("schemathesis")),
        "run", f"{server.url}/openapi.json",
        "--checks", "all",
        "--seed", str(SEED),
        "--max-examples", str(MAX_EXAMPLES),
        "--workers", "1",
        "--generation-database", "none",
        "--no-color",
        "--report", "json", "--report-json-path", str(report),
    ]  # fmt: skip


def test_the_api_honours_its_own_schema(
    server: Server, plan: ChapterPlan, tmp_path: Path, request
) -> None:
    # The server's own settings, so that the hooks' ``create-superuser`` reaches its database.
    env = {**server.env, "SCHEMATHESIS_HOOKS": str(HOOKS)}
    if plan.has_auth:  # every case is sent as a signed-in superuser, made by the hooks
        env["NEODYME_VERIFY_API_URL"] = server.url + plan.api_prefix
    report = tmp_path / "schemathesis.json"
    run = subprocess.run(
        schemathesis_command(server, report),
        capture_output=True,
        text=True,
        cwd=tmp_path,  # schemathesis keeps a cache folder in its working directory
        env=env,
    )
    if not report.is_file():
        pytest.fail(f"schemathesis did not run:\n{run.stdout[-5000:]}\n{run.stderr[-5000:]}")
    summary = json.loads(report.read_text())
    cases = summary["test_cases"]
    record_cases("fuzz", request.node.nodeid, cases["generated"], cases["with_failures"])
    print(
        f"{plan.name} fuzz: {summary['operations']['tested']} operations, "
        f"{cases['generated']} cases, {cases['with_failures']} failing, "
        f"phases {json.dumps({k: v['status'] for k, v in summary['phases'].items()})}, "
        f"{summary['running_time']:.0f} s"
    )
    assert run.returncode == 0, run.stdout[-30000:]
    assert summary["operations"]["tested"] == summary["operations"]["selected"] > 0
    assert summary["phases"]["stateful"]["status"] != "error"
