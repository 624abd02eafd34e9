"""The deploy workflow: valid, keyless, and pointing at files that exist.

The workflow lives in the chapter as ``.github/workflows/deploy.yml`` and runs in a repository
whose root is the chapter's folder, so every path it names is checked from there.
"""

import re
import subprocess
from pathlib import Path

import pytest
import yaml

CHAPTER = Path(__file__).resolve().parents[3]
WORKFLOW = CHAPTER / ".github" / "workflows" / "deploy.yml"
MIGRATE = CHAPTER / "deploy" / "aws" / "scripts" / "migrate.sh"
DEPLOY_PATH = re.compile(r"deploy/aws/[\w./-]+")


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_aws_trusts_the_job_through_oidc_with_no_stored_keys(workflow):
    logins = [s for s in steps(workflow) if "configure-aws-credentials" in s.get("uses", "")]

    assert workflow["permissions"]["id-token"] == "write"
    assert len(logins) == len(workflow["jobs"])
    for login in logins:
        assert login["with"]["role-to-assume"]
        assert not {"aws-access-key-id", "aws-secret-access-key"} & set(login["with"])
    assert "secrets." not in WORKFLOW.read_text()


def test_every_path_the_jobs_name_exists(workflow):
    named = [
        path
        for step in steps(workflow)
        for path in DEPLOY_PATH.findall(
            step.get("run", "") + " " + step.get("working-directory", "")
        )
    ]

    assert named
    assert [path for path in named if not (CHAPTER / path).exists()] == []
    assert (CHAPTER / "Dockerfile").is_file()  # `docker build .` from the repository root


def test_the_migration_runs_before_the_deploy(workflow):
    job = workflow["jobs"]["deploy"]
    runs = [step.get("run", "") for step in job["steps"]]
    migrate = next(i for i, run in enumerate(runs) if "scripts/migrate.sh" in run)
    deploy = next(i for i, run in enumerate(runs) if "cdk@2 deploy" in run)

    assert job["needs"] == "image"
    assert migrate < deploy


def test_the_workflow_is_valid_against_the_github_workflow_schema():
    """actionlint would check more, but its PyPI package downloads the program when it builds."""
    result = subprocess.run(
        ["check-jsonschema", "--builtin-schema", "vendor.github-workflows", WORKFLOW],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_migration_script_is_executable_and_shellcheck_finds_nothing():
    result = subprocess.run(["shellcheck", MIGRATE], capture_output=True, text=True)

    assert MIGRATE.stat().st_mode & 0o111
    assert result.returncode == 0, result.stdout + result.stderr
