"""The stack synthesized once, in this process: no AWS account, no network, no Docker."""

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from neodyme_aws.stack import NeodymeStack


def synthesize(**context: str) -> Template:
    app = cdk.App(context={"imageTag": "test", **context})
    return Template.from_stack(NeodymeStack(app, "Neodyme"))


@pytest.fixture(scope="session")
def template() -> Template:
    return synthesize()


@pytest.fixture(scope="session")
def resources(template: Template) -> dict[str, dict]:
    """Every resource of the template by logical id, as CloudFormation gets it."""
    return template.to_json()["Resources"]
