"""PostgreSQL and Redis as managed services, in the isolated subnets, open to the app only.

The smallest sizes that make sense for a first production: one database instance (no standby in
a second zone) and one Redis node. Both grow by changing a size here, not the app.
"""

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_rds as rds
from constructs import Construct

DATA_SUBNETS = ec2.SubnetType.PRIVATE_ISOLATED
# A minor version cfn-lint does not flag as deprecated (RDS stops creating old ones); RDS
# applies newer minor versions itself in the maintenance window.
POSTGRES = rds.PostgresEngineVersion.VER_17_9
DATABASE_NAME = "neodyme"
DATABASE_USER = "neodyme"
REDIS_PORT = 6379


class Database(Construct):
    """RDS PostgreSQL; its password is generated into Secrets Manager, never written anywhere."""

    def __init__(self, scope: Construct, construct_id: str, *, vpc: ec2.IVpc) -> None:
        super().__init__(scope, construct_id)
        self.instance = rds.DatabaseInstance(
            self,
            "Postgres",
            engine=rds.DatabaseInstanceEngine.postgres(version=POSTGRES),
            instance_type=ec2.InstanceType.of(
                ec2.InstanceClass.BURSTABLE4_GRAVITON, ec2.InstanceSize.MICRO
            ),
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=DATA_SUBNETS),
            database_name=DATABASE_NAME,
            # CDK's generated password leaves out the characters that would need escaping in
            # a URL (@ : / ? # % and others): the container puts it into one (see container.py).
            credentials=rds.Credentials.from_generated_secret(DATABASE_USER),
            allocated_storage=20,
            storage_type=rds.StorageType.GP3,
            storage_encrypted=True,
            backup_retention=Duration.days(7),
            # `cdk destroy` keeps a final snapshot of the data instead of deleting it.
            removal_policy=RemovalPolicy.SNAPSHOT,
        )
        self.secret = self.instance.secret
        self.connections = self.instance.connections


class Cache(Construct):
    """ElastiCache Redis: the shared cache and the login limiter's counters, nothing durable."""

    def __init__(self, scope: Construct, construct_id: str, *, vpc: ec2.IVpc) -> None:
        super().__init__(scope, construct_id)
        security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Redis: reachable from the app only",
            allow_all_outbound=False,
        )
        subnets = elasticache.CfnSubnetGroup(
            self,
            "Subnets",
            description="Neodyme's Redis: the isolated subnets",
            subnet_ids=vpc.select_subnets(subnet_type=DATA_SUBNETS).subnet_ids,
        )
        cluster = elasticache.CfnCacheCluster(
            self,
            "Redis",
            engine="redis",
            engine_version="7.1",
            cache_node_type="cache.t4g.micro",
            num_cache_nodes=1,
            cache_subnet_group_name=subnets.ref,
            vpc_security_group_ids=[security_group.security_group_id],
        )
        self.connections = ec2.Connections(
            security_groups=[security_group], default_port=ec2.Port.tcp(REDIS_PORT)
        )
        self.url = f"redis://{cluster.attr_redis_endpoint_address}:{REDIS_PORT}/0"
