"""The CDK app: ``cdk deploy -c imageTag=TAG`` (cdk.json runs this file) deploys the stack."""

import aws_cdk as cdk
from neodyme_aws.stack import NeodymeStack

app = cdk.App()
NeodymeStack(app, "Neodyme", description="Neodyme (chapter 12) on ECS Fargate")
app.synth()
