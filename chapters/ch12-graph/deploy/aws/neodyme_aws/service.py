"""The app on ECS Fargate behind an Application Load Balancer, and its one-off migration task.

The load balancer sends traffic only to replicas whose ``/health/ready`` answers 200; ECS
restarts a container whose ``/health`` stops answering. A deployment whose new tasks never get
healthy is rolled back by ECS's deployment circuit breaker.
"""

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

from neodyme_aws.container import APP_PORT, GRACEFUL_SHUTDOWN_SECONDS, AppContainer

APP_SUBNETS = ec2.SubnetType.PRIVATE_WITH_EGRESS
MIN_TASKS = 2
MAX_TASKS = 4
REQUESTS_PER_TASK_PER_MINUTE = 3000
"""Scale out above this; a starting point to replace with what your own load test measures."""
LIVENESS = [
    "CMD",
    "python",
    "-c",
    "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)",
]


def fargate_task(scope: Construct, construct_id: str) -> ecs.FargateTaskDefinition:
    """Half a vCPU and 1 GiB: bcrypt (12 rounds) makes a sign-in cost a noticeable CPU slice."""
    return ecs.FargateTaskDefinition(
        scope,
        construct_id,
        cpu=512,
        memory_limit_mib=1024,
        runtime_platform=ecs.RuntimePlatform(
            cpu_architecture=ecs.CpuArchitecture.X86_64,
            operating_system_family=ecs.OperatingSystemFamily.LINUX,
        ),
    )


class AppService(Construct):
    """The replicas, the load balancer in front of them and the rules that scale them."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: ecs.Cluster,
        container: AppContainer,
        certificate_arn: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.service = self.replicas(cluster, container)
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self, "LoadBalancer", vpc=cluster.vpc, internet_facing=True
        )
        target_group = self.listener(certificate_arn).add_targets(
            "App",
            port=APP_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[self.service],
            health_check=elbv2.HealthCheck(
                path="/health/ready",
                healthy_http_codes="200",
                interval=Duration.seconds(15),
                healthy_threshold_count=2,
                unhealthy_threshold_count=3,
            ),
            # A replica on its way out gets no new requests; the load balancer gives those in
            # flight as long as the app's own drain would, then ECS sends it SIGTERM.
            deregistration_delay=Duration.seconds(GRACEFUL_SHUTDOWN_SECONDS),
        )
        scaling = self.service.auto_scale_task_count(min_capacity=MIN_TASKS, max_capacity=MAX_TASKS)
        scaling.scale_on_cpu_utilization("Cpu", target_utilization_percent=60)
        scaling.scale_on_request_count(
            "Requests",
            requests_per_target=REQUESTS_PER_TASK_PER_MINUTE,
            target_group=target_group,
        )

    def replicas(self, cluster: ecs.Cluster, container: AppContainer) -> ecs.FargateService:
        """``python -m neodyme serve`` in the private subnets, replaced one by one on deploy."""
        task_definition = fargate_task(self, "Task")
        container.add_to(
            task_definition,
            "app",
            "serve",
            port_mappings=[ecs.PortMapping(container_port=APP_PORT)],
            # ECS acts on the task definition's health check, not the image's HEALTHCHECK.
            health_check=ecs.HealthCheck(
                command=LIVENESS,
                interval=Duration.seconds(10),
                timeout=Duration.seconds(3),
                start_period=Duration.seconds(30),
                retries=3,
            ),
            # After SIGTERM the app drains for GRACEFUL_SHUTDOWN_SECONDS; ECS waits longer
            # than that before it sends SIGKILL.
            stop_timeout=Duration.seconds(GRACEFUL_SHUTDOWN_SECONDS + 10),
        )
        return ecs.FargateService(
            self,
            "Service",
            cluster=cluster,
            task_definition=task_definition,
            vpc_subnets=ec2.SubnetSelection(subnet_type=APP_SUBNETS),
            # New tasks start before old ones stop; if they never get healthy, ECS stops
            # the deployment and goes back to the last one that worked.
            min_healthy_percent=100,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            health_check_grace_period=Duration.seconds(60),
        )

    def listener(self, certificate_arn: str | None) -> elbv2.ApplicationListener:
        """HTTPS on 443 (and a redirect from 80) with a certificate; plain HTTP on 80 without."""
        if certificate_arn is None:
            return self.load_balancer.add_listener("Http", port=80)
        self.load_balancer.add_redirect(source_port=80, target_port=443)
        return self.load_balancer.add_listener(
            "Https",
            port=443,
            certificates=[elbv2.ListenerCertificate.from_arn(certificate_arn)],
        )


class MigrationTask(Construct):
    """``python -m neodyme prestart`` as a task of its own, run once before each deploy."""

    def __init__(self, scope: Construct, construct_id: str, *, container: AppContainer) -> None:
        super().__init__(scope, construct_id)
        self.task_definition = fargate_task(self, "Task")
        container.add_to(self.task_definition, "migrate", "prestart")
