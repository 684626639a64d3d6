"""The demo estate's history between collections: what Larkspur Pay's team changed, and when.

Each step is made through boto3 against moto (behind the CloudTrail-keeping proxy, so CloudTrail
records it as it happens); tests/demo/record.py runs each step at its moment on the recorder's clock.
"""

from __future__ import annotations

from typing import Any

from estate import ACCOUNT, REGIONS

# (step, the collection it precedes (0: the first), days before that collection, what the team did)
HISTORY = (
    ("backfill-start", 0, 12, "a one-off settlement backfill runs privileged as an ECS service"),
    ("backfill-end", 0, 10, "the backfill is deleted and its revision deregistered: gone before any collection"),
    ("privileged-api", 1, 6, "a debugging revision of payments-api, privileged, is registered as the next to deploy"),
    ("fixed-api", 2, 4, "a corrected revision replaces it and the privileged one is deregistered"),
)


def _api_container(region: str, *, privileged: bool) -> dict[str, Any]:
    registry = f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com"
    return {
        "name": "api",
        "image": f"{registry}/payments/api@sha256:{'a' * 64}",
        "essential": True,
        "user": "10001",
        "readonlyRootFilesystem": True,
        "privileged": privileged,
        "linuxParameters": {"capabilities": {"drop": ["ALL"]}},
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": "/ecs/payments-api", "awslogs-region": region},
        },
        "environment": [{"name": "LOG_LEVEL", "value": "debug" if privileged else "info"}],
        "secrets": [{"name": "DB_PASSWORD", "valueFrom": f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:db"}],
    }


def change(session: Any, endpoint: str, step: str) -> None:
    """One step of the estate's history (see ``HISTORY``), made by the team's deploy identity."""
    region = REGIONS[0]
    ecs = session.client("ecs", region_name=region, endpoint_url=endpoint)
    fargate = {"networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "512", "memory": "1024"}
    if step == "backfill-start":
        ecs.register_task_definition(
            family="settlement-backfill",
            containerDefinitions=[
                {
                    "name": "backfill",
                    "image": f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/payments/ledger:latest",
                    "essential": True,
                    "privileged": True,
                    "logConfiguration": {
                        "logDriver": "awslogs",
                        "options": {"awslogs-group": "/ecs/payments-ledger", "awslogs-region": region},
                    },
                }
            ],
            **{**fargate, "requiresCompatibilities": ["EC2"], "networkMode": "bridge"},
        )
        ecs.create_service(
            cluster="payments-prod",
            serviceName="settlement-backfill",
            taskDefinition="settlement-backfill:1",
            desiredCount=1,
        )
    elif step == "backfill-end":
        ecs.delete_service(cluster="payments-prod", service="settlement-backfill", force=True)
        ecs.deregister_task_definition(taskDefinition="settlement-backfill:1")
    elif step == "privileged-api":
        ecs.register_task_definition(
            family="payments-api",
            taskRoleArn=f"arn:aws:iam::{ACCOUNT}:role/payments-api-task",
            containerDefinitions=[_api_container(region, privileged=True)],
            **fargate,
        )
    elif step == "fixed-api":
        ecs.register_task_definition(
            family="payments-api",
            taskRoleArn=f"arn:aws:iam::{ACCOUNT}:role/payments-api-task",
            containerDefinitions=[_api_container(region, privileged=False)],
            **fargate,
        )
        ecs.deregister_task_definition(taskDefinition="payments-api:2")
    else:
        raise ValueError(step)
