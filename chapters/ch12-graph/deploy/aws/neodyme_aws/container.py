"""What every container of the app is given: the image, its settings, its secrets, its logs.

The replicas and the one-off migration task run the same image with the same configuration;
only the command differs. Secrets reach the container as environment variables that ECS reads
from Secrets Manager when the task starts: the template holds where they are, never their value.
"""

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from neodyme_aws.data import DATABASE_NAME, DATABASE_USER, Cache, Database

APP_PORT = 8000
GRACEFUL_SHUTDOWN_SECONDS = 30
"""``NEODYME_GRACEFUL_SHUTDOWN_SECONDS``: the app's default, which a test compares with its code."""
POOL_SIZE = 10
"""Connections per replica: four replicas of 10 stay well below the smallest database's limit."""


def with_database_url(command: str) -> list[str]:
    """``python -m neodyme COMMAND``, with ``NEODYME_DATABASE_URL`` made from its parts first.

    The app reads the database as one URL, and the password inside it is a secret: ECS can
    inject the password alone, so a shell puts the URL together and then ``exec``s Python,
    which stays the process that receives ECS's ``SIGTERM``.
    """
    url = (
        "postgresql+asyncpg://$DATABASE_USER:$DATABASE_PASSWORD"
        "@$DATABASE_HOST:$DATABASE_PORT/$DATABASE_NAME"
    )
    return ["sh", "-c", f'export NEODYME_DATABASE_URL="{url}" && exec python -m neodyme {command}']


@dataclass(frozen=True)
class AppContainer:
    """The parts of a container definition that the replicas and the migration share."""

    image: ecs.ContainerImage
    environment: dict[str, str]
    secrets: dict[str, ecs.Secret]
    logging: ecs.LogDriver

    def add_to(
        self, task_definition: ecs.TaskDefinition, name: str, command: str, **options
    ) -> ecs.ContainerDefinition:
        """This container in ``task_definition``, running ``python -m neodyme COMMAND``."""
        return task_definition.add_container(
            name,
            image=self.image,
            command=with_database_url(command),
            environment=self.environment,
            secrets=self.secrets,
            logging=self.logging,
            **options,
        )


def app_container(
    scope: Construct,
    *,
    image: ecs.ContainerImage,
    database: Database,
    cache: Cache,
    secret_key: secretsmanager.ISecret,
    trusted_proxies: str,
) -> AppContainer:
    """The image configured for this stack: its database, Redis, secret key and log group."""
    log_group = logs.LogGroup(
        scope,
        "Logs",
        retention=logs.RetentionDays.ONE_MONTH,
        removal_policy=RemovalPolicy.DESTROY,
    )
    return AppContainer(
        image=image,
        environment={
            "NEODYME_ENVIRONMENT": "production",
            "NEODYME_FORWARDED_ALLOW_IPS": trusted_proxies,
            "NEODYME_GRACEFUL_SHUTDOWN_SECONDS": str(GRACEFUL_SHUTDOWN_SECONDS),
            "NEODYME_POOL_SIZE": str(POOL_SIZE),
            "NEODYME_REDIS_URL": cache.url,
            "DATABASE_HOST": database.instance.db_instance_endpoint_address,
            "DATABASE_PORT": database.instance.db_instance_endpoint_port,
            "DATABASE_NAME": DATABASE_NAME,
            "DATABASE_USER": DATABASE_USER,
        },
        secrets={
            "NEODYME_SECRET_KEY": ecs.Secret.from_secrets_manager(secret_key),
            "DATABASE_PASSWORD": ecs.Secret.from_secrets_manager(database.secret, "password"),
        },
        # The app already writes one JSON object a line; CloudWatch Logs Insights reads its
        # fields (request_id, status, route) without any parsing rule.
        logging=ecs.LogDrivers.aws_logs(stream_prefix="neodyme", log_group=log_group),
    )
