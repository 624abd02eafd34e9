"""The network: public subnets for the load balancer, private ones for the app and the data.

Only the load balancer has an address on the internet. The app's tasks sit in private subnets
with a way *out* (a NAT gateway: they pull the image and read secrets from AWS's endpoints); the
database and Redis sit in isolated subnets, with no route to the internet in either direction.
"""

from aws_cdk import aws_ec2 as ec2
from constructs import Construct


def create_network(scope: Construct) -> ec2.Vpc:
    """A VPC over two availability zones, so that losing one zone leaves the app running."""
    return ec2.Vpc(
        scope,
        "Network",
        ip_addresses=ec2.IpAddresses.cidr("10.0.0.0/16"),
        max_azs=2,
        # One NAT gateway, not one per zone: a zone outage then cuts the app's way out (image
        # pulls, new tasks) until it is back, for half the price. Set 2 when that matters.
        nat_gateways=1,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
            ec2.SubnetConfiguration(
                name="app", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=24
            ),
            ec2.SubnetConfiguration(
                name="data", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
            ),
        ],
    )


def public_cidrs(vpc: ec2.Vpc) -> str:
    """The public subnets' address ranges, comma-separated: where the load balancer lives.

    The app trusts ``X-Forwarded-For`` from these addresses only
    (``NEODYME_FORWARDED_ALLOW_IPS``): the load balancer's nodes get their addresses there.
    """
    return ",".join(subnet.ipv4_cidr_block for subnet in vpc.public_subnets)
