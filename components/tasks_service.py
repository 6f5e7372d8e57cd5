"""TasksService: the Tasks API on ECS Fargate (linux/ARM64) behind the ALB, with autoscaling.

Network access: the service owns the tasks' security group (``security_group``) and adds no rule to it
or any other; who may reach it and what it may reach (the ALB on the container port; HTTPS out, through
NAT or a public IP without NAT, components/network.py; the database) is the stack's table of links,
components/tasks_links.py. The ECS service waits for those rules (``network_ready``).

Start-up contract and database credentials
------------------------------------------
The container is built from the image's contract (components/tasks_image_contract.json): its port,
the plain variables ``TIME_ZONE_ID`` (the configured time zone) and ``QUARKUS_OIDC_AUTH_SERVER_URL``
(the environment's issuer), and ``HIPERIUM_CITY_TASKS_DB_CLUSTER_SECRET``, the database connection
JSON, injected whole from the project-managed secret (components/tasks_database.py) through the task
definition's ``secrets``: ECS reads it with the execution role when a task starts, so its value is
never in the task definition. The reference names the secret's version
(``<arn>:::<version-id>``, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/
secrets-envvar-secrets-manager.html; Fargate platform 1.4.0 or later): when the program writes a new
version (a new password or cluster), the task definition changes with it and ECS replaces the running
tasks, which would otherwise keep the old value until they stop.

Roles: the execution role may read exactly that secret (and decrypt it with its customer managed key,
through Secrets Manager only) and write to exactly the service's log group; it has no ECR permissions
(the image is public on Docker Hub). The task role has no permissions: the service calls no AWS API,
and it trusts ``ecs-tasks.amazonaws.com`` only for this account.

File system: the container's root file system is read-only. The directories the image writes to (its
contract's ``writablePaths``: ``/tmp``, where Vert.x keeps its file cache) are task volumes without a
host, i.e. Fargate's ephemeral storage, private to the task and gone when it stops.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.app_contract import ISSUER_URL, TASKS_IMAGE, TIME_ZONE_ID
from components.settings.tasks_service import ServicePlan

CONTAINER_NAME = "tasks-api"
HEALTH_CHECK_GRACE_SECONDS = 30  # the seed's value
SCALE_IN_COOLDOWN_SECONDS = 300
SCALE_OUT_COOLDOWN_SECONDS = 60


@dataclass(frozen=True)
class TasksServiceArgs:
    settings: ServicePlan
    region: str
    account_id: pulumi.Input[str]  # the workload account (roles trust ECS only on its behalf)
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]  # where tasks run (see Network)
    assign_public_ip: bool  # True only without NAT, tasks in public subnets
    issuer_url: pulumi.Input[str]  # the environment's Cognito issuer (QUARKUS_OIDC_AUTH_SERVER_URL)
    # The load balancer (components/tasks_load_balancer.py)
    alb_arn_suffix: pulumi.Input[str]
    target_group_arn: pulumi.Input[str]
    target_group_arn_suffix: pulumi.Input[str]
    # The database (components/tasks_database.py)
    db_secret_arn: pulumi.Input[str]  # the connection secret (JSON, see the contract)
    db_secret_version_id: pulumi.Input[str]  # the version the tasks read
    db_secret_kms_key_arn: pulumi.Input[str]  # the secret's customer managed key
    logs_key_arn: pulumi.Input[str]  # the environment's logs key (components/workload_security.py)
    # Resources the service must wait for: the listener that attaches the target group to the ALB.
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    # The security-group rules of the tasks' links (components/tasks_links.py), declared after this
    # component by the stack: tasks start only once they can pull their image and be reached.
    network_ready: pulumi.Input[Sequence[pulumi.Resource]] = field(default_factory=tuple)


class TasksService(pulumi.ComponentResource):
    """ECS cluster, task definition, Fargate service, its roles, logs, security group and scaling."""

    security_group: aws.ec2.SecurityGroup  # the tasks' group: its rules are the stack's links
    log_group: aws.cloudwatch.LogGroup
    execution_role: aws.iam.Role
    execution_policy: aws.iam.RolePolicy
    task_role: aws.iam.Role
    cluster: aws.ecs.Cluster
    task_definition: aws.ecs.TaskDefinition
    service: aws.ecs.Service
    scaling_target: aws.appautoscaling.Target
    scaling_policies: dict[str, aws.appautoscaling.Policy]

    def __init__(self, name: str, args: TasksServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("landingzone:tasks:TasksService", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-service",
            description=f"Fargate tasks of {name}: from the ALB only",
            vpc_id=args.vpc_id,
            opts=child,
        )

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/ecs/{name}",
            retention_in_days=settings.log_retention_days,
            kms_key_id=args.logs_key_arn,
            opts=child,
        )
        self.execution_role = aws.iam.Role(
            f"{name}-execution",
            description=f"ECS pulls the image, writes logs and reads the database secret for {name}",
            # ECS itself assumes the execution role to start tasks; AWS documents the confused-deputy
            # conditions for the task role only, so this trust names the service principal alone.
            assume_role_policy=_ecs_tasks_trust(args.region, None),
            opts=child,
        )
        self.execution_policy = aws.iam.RolePolicy(
            f"{name}-execution",
            role=self.execution_role.id,
            policy=pulumi.Output.json_dumps(
                execution_policy(
                    self.log_group.arn, args.db_secret_arn, args.db_secret_kms_key_arn, args.region
                )
            ),
            opts=child,
        )
        self.task_role = aws.iam.Role(
            f"{name}-task",
            description=f"Identity of the {name} containers; no permissions (the service calls no AWS API)",
            assume_role_policy=_ecs_tasks_trust(args.region, args.account_id),
            opts=child,
        )

        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[
                aws.ecs.ClusterSettingArgs(
                    name="containerInsights", value="enabled" if settings.container_insights else "disabled"
                )
            ],
            opts=child,
        )
        self.task_definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=name,
            cpu=str(settings.cpu),
            memory=str(settings.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family=TASKS_IMAGE.operating_system_family,
                cpu_architecture=TASKS_IMAGE.cpu_architecture,
            ),
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            # Scratch volumes for the paths the image writes to: no host, so Fargate ephemeral storage.
            volumes=[
                aws.ecs.TaskDefinitionVolumeArgs(name=writable.volume_name)
                for writable in TASKS_IMAGE.writable_paths
            ],
            container_definitions=pulumi.Output.all(
                issuer=args.issuer_url,
                secret_arn=args.db_secret_arn,
                secret_version_id=args.db_secret_version_id,
                log_group=self.log_group.name,
            ).apply(lambda values: json.dumps([container_definition(settings, args.region, **values)])),
            # The execution policy must exist before a task starts, or it cannot read its secret.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.execution_policy]),
        )
        self.service = aws.ecs.Service(
            f"{name}-service",
            cluster=self.cluster.arn,
            task_definition=self.task_definition.arn,
            desired_count=settings.desired_count,
            launch_type="FARGATE",
            platform_version="LATEST",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=args.subnet_ids,
                security_groups=[self.security_group.id],
                assign_public_ip=args.assign_public_ip,
            ),
            load_balancers=[
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=args.target_group_arn,
                    container_name=CONTAINER_NAME,
                    container_port=TASKS_IMAGE.container_port,
                )
            ],
            health_check_grace_period_seconds=HEALTH_CHECK_GRACE_SECONDS,
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(
                enable=True, rollback=True
            ),
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            enable_execute_command=False,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=pulumi.Output.from_input(args.network_ready).apply(
                    lambda rules: [*args.depends_on, *rules]
                ),
                # Application Auto Scaling owns the running count after creation.
                ignore_changes=["desiredCount"],
            ),
        )

        self.scaling_target = aws.appautoscaling.Target(
            f"{name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", self.cluster.name, "/", self.service.name),
            min_capacity=settings.min_count,
            max_capacity=settings.max_count,
            # With a sleep schedule its actions own min and max (components/tasks_schedule.py; "The new
            # minimum and maximum capacity", botocore application-autoscaling PutScheduledActionRequest.
            # ScalableTargetAction). A refresh reads back what the last action set (terraform-provider-aws
            # internal/service/appautoscaling/target.go, resourceTargetRead), and the next `up` would then
            # register the configured counts again (RegisterScalableTarget moves the running count into
            # them), waking a sleeping service until the next evening. Count changes apply at the next
            # morning action instead.
            opts=pulumi.ResourceOptions(
                parent=self,
                ignore_changes=["minCapacity", "maxCapacity"] if settings.schedule is not None else None,
            ),
        )
        request_label = pulumi.Output.concat(args.alb_arn_suffix, "/", args.target_group_arn_suffix)
        targets: Mapping[str, tuple[str, float, pulumi.Input[str] | None]] = {
            "cpu": ("ECSServiceAverageCPUUtilization", settings.cpu_target_percent, None),
            "memory": ("ECSServiceAverageMemoryUtilization", settings.memory_target_percent, None),
            "requests": ("ALBRequestCountPerTarget", settings.requests_per_target, request_label),
        }
        self.scaling_policies = {
            key: aws.appautoscaling.Policy(
                f"{name}-scale-{key}",
                policy_type="TargetTrackingScaling",
                service_namespace=self.scaling_target.service_namespace,
                scalable_dimension=self.scaling_target.scalable_dimension,
                resource_id=self.scaling_target.resource_id,
                target_tracking_scaling_policy_configuration=(
                    aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                        target_value=target,
                        predefined_metric_specification=(
                            aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                                predefined_metric_type=metric, resource_label=label
                            )
                        ),
                        scale_in_cooldown=SCALE_IN_COOLDOWN_SECONDS,
                        scale_out_cooldown=SCALE_OUT_COOLDOWN_SECONDS,
                    )
                ),
                opts=child,
            )
            for key, (metric, target, label) in targets.items()
        }
        self.register_outputs(
            {
                "cluster_name": self.cluster.name,
                "service_name": self.service.name,
                "log_group": self.log_group.name,
                "security_group_id": self.security_group.id,
            }
        )


def container_definition(
    settings: ServicePlan,
    region: str,
    *,
    issuer: str,
    secret_arn: str,
    secret_version_id: str,
    log_group: str,
) -> dict[str, Any]:
    """The one container of the task (ECS's JSON shape), as the image's contract asks.

    The database secret only as a ``valueFrom`` reference: ``<arn>:<json-key>:<version-stage>:<version-id>``
    with the key and stage empty, so ECS injects the whole JSON of exactly that version.
    """
    environment = TASKS_IMAGE.environment_values({TIME_ZONE_ID: settings.time_zone_id, ISSUER_URL: issuer})
    secrets = {TASKS_IMAGE.database_secret.variable: f"{secret_arn}:::{secret_version_id}"}
    return {
        "name": CONTAINER_NAME,
        "image": settings.image,
        "essential": True,
        "portMappings": [{"containerPort": TASKS_IMAGE.container_port, "protocol": "tcp", "name": "http"}],
        "environment": [{"name": key, "value": value} for key, value in environment.items()],
        "secrets": [{"name": key, "valueFrom": value} for key, value in secrets.items()],
        "readonlyRootFilesystem": True,
        "mountPoints": [
            {"sourceVolume": writable.volume_name, "containerPath": writable.path, "readOnly": False}
            for writable in TASKS_IMAGE.writable_paths
        ],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group,
                "awslogs-region": region,
                "awslogs-stream-prefix": CONTAINER_NAME,
            },
        },
    }


def execution_policy(
    log_group_arn: pulumi.Input[str],
    secret_arn: pulumi.Input[str],
    secret_key_arn: pulumi.Input[str],
    region: str,
) -> dict[str, Any]:
    """What ECS itself needs to start a task: write its log streams, read and decrypt its database secret."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteServiceLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": pulumi.Output.concat(log_group_arn, ":log-stream:*"),
            },
            {
                "Sid": "ReadDatabaseSecret",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": secret_arn,
            },
            {
                "Sid": "DecryptDatabaseSecret",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": secret_key_arn,
                # Only as Secrets Manager decrypts the secret for GetSecretValue, never directly.
                "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
            },
        ],
    }


def _ecs_tasks_trust(region: str, account_id: pulumi.Input[str] | None) -> pulumi.Output[str]:
    """Trust ECS tasks; with an account, only when acting for it (confused-deputy guard)."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": "ecs-tasks.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    if account_id is not None:
        statement["Condition"] = {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {"aws:SourceArn": pulumi.Output.concat("arn:aws:ecs:", region, ":", account_id, ":*")},
        }
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [statement]})
