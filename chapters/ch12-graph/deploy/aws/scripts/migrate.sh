#!/usr/bin/env bash
# Run the migrations once, with the new image, before the new replicas start:
#   deploy/aws/scripts/migrate.sh STACK IMAGE_TAG
# It registers a copy of the stack's migration task definition with the new image tag, runs it
# in the replicas' subnets and security group, waits for it to stop and fails unless it exited 0.
# Needs the AWS CLI and jq, and credentials that may run ECS tasks (the deploy role).
set -euo pipefail

stack=$1
tag=$2

output() {  # one of the stack's outputs, by name
    aws cloudformation describe-stacks --stack-name "$stack" --output text \
        --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue"
}

if ! aws cloudformation describe-stacks --stack-name "$stack" >/dev/null 2>&1; then
    echo "No stack $stack yet: this first deploy creates the database, empty;"
    echo "the first replicas' own prestart migrates it."
    exit 0
fi

current=$(aws ecs describe-task-definition --task-definition "$(output MigrationTaskDefinition)" \
    --query taskDefinition)
image=$(jq -r '.containerDefinitions[0].image' <<<"$current")
new_image="${image%:*}:$tag"
# Only the fields register-task-definition accepts, with the image replaced.
definition=$(jq --arg image "$new_image" '
    {family, taskRoleArn, executionRoleArn, networkMode, requiresCompatibilities, cpu, memory,
     runtimePlatform, containerDefinitions: (.containerDefinitions | map(.image = $image))}
    | with_entries(select(.value != null))' <<<"$current")
task_definition=$(aws ecs register-task-definition --cli-input-json "$definition" \
    --query taskDefinition.taskDefinitionArn --output text)

echo "Migrating with $new_image ($task_definition)"
cluster=$(output ClusterName)
network="awsvpcConfiguration={subnets=[$(output AppSubnets)],securityGroups=[$(output AppSecurityGroup)],assignPublicIp=DISABLED}"
task=$(aws ecs run-task --cluster "$cluster" --task-definition "$task_definition" \
    --launch-type FARGATE --network-configuration "$network" \
    --query 'tasks[0].taskArn' --output text)
aws ecs wait tasks-stopped --cluster "$cluster" --tasks "$task"

result=$(aws ecs describe-tasks --cluster "$cluster" --tasks "$task" \
    --query 'tasks[0].{exit: containers[0].exitCode, reason: stoppedReason}')
if [ "$(jq -r .exit <<<"$result")" != 0 ]; then
    echo "The migration failed: $(jq -r .reason <<<"$result"); its logs are in CloudWatch (stream prefix neodyme/migrate)." >&2
    exit 1
fi
echo "Migrated."
