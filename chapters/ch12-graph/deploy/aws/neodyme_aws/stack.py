"""The whole deployment as one stack: network, data, secrets, app, migration, outputs.

Context values choose what it deploys (``cdk deploy -c imageTag=TAG -c ...``):

- ``imageTag`` (required): the tag of the image in the ECR repository;
- ``repository``: the ECR repository's name, ``neodyme`` unless given;
- ``certificateArn``: an ACM certificate for HTTPS; without it the load balancer speaks HTTP.

Nothing is looked up in an AWS account while synthesizing: the stack is environment-agnostic,
so ``cdk synth`` and the tests work offline.
"""

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from neodyme_aws.container import app_container
from neodyme_aws.data import Cache, Database
from neodyme_aws.network import create_network, public_cidrs
from neodyme_aws.service import APP_SUBNETS, AppService, MigrationTask


class NeodymeStack(Stack):
    """Everything chapter 12 runs on, in one account and region."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        vpc = create_network(self)
        database = Database(self, "Database", vpc=vpc)
        cache = Cache(self, "Cache", vpc=vpc)
        secret_key = secretsmanager.Secret(
            self,
            "SecretKey",
            description="NEODYME_SECRET_KEY: signs the app's tokens",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
        )
        container = app_container(
            self,
            image=self.image(),
            database=database,
            cache=cache,
            secret_key=secret_key,
            trusted_proxies=public_cidrs(vpc),
        )
        cluster = ecs.Cluster(self, "Cluster", vpc=vpc)
        app = AppService(
            self,
            "App",
            cluster=cluster,
            container=container,
            certificate_arn=self.node.try_get_context("certificateArn"),
        )
        migration = MigrationTask(self, "Migration", container=container)
        for reachable in (database, cache):
            reachable.connections.allow_default_port_from(app.service)

        CfnOutput(self, "LoadBalancerDns", value=app.load_balancer.load_balancer_dns_name)
        # What scripts/migrate.sh needs to run the migration where the replicas run.
        outputs = {
            "ClusterName": cluster.cluster_name,
            "MigrationTaskDefinition": migration.task_definition.task_definition_arn,
            "AppSubnets": ",".join(vpc.select_subnets(subnet_type=APP_SUBNETS).subnet_ids),
            "AppSecurityGroup": app.service.connections.security_groups[0].security_group_id,
        }
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)

    def image(self) -> ecs.ContainerImage:
        """The app's image in ECR, chosen by context: the deploy workflow pushed it there."""
        tag = self.node.try_get_context("imageTag")
        if not tag:
            raise ValueError("say which image to deploy: cdk deploy -c imageTag=TAG")
        name = self.node.try_get_context("repository") or "neodyme"
        repository = ecr.Repository.from_repository_name(self, "Repository", name)
        return ecs.ContainerImage.from_ecr_repository(repository, tag)
