"""Chapter 12's app on AWS, as an AWS CDK app: ``cdk deploy`` turns it into CloudFormation.

- ``network``: the VPC, three tiers of subnets over two availability zones.
- ``data``: PostgreSQL (RDS) and Redis (ElastiCache), reachable from the app only.
- ``container``: what the app's containers are given (image, settings, secrets, logs).
- ``service``: the replicas on ECS Fargate behind a load balancer, and the one-off migration.
- ``stack``: the pieces joined into one stack, with the outputs the deploy workflow reads.
"""
