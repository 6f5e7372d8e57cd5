"""TasksService: arm64 Fargate task and service, secret wiring, roles, network rules, autoscaling."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import config
from components.tasks_service import TasksService, TasksServiceArgs
from deploy.simulate import Recording
from iam_documents import documents
from tests.tasks_support import (
    DATA_KEY,
    LOGS_KEY,
    SG,
    assert_all_on_provider,
    opts,
    plan,
    rule_view,
    run_with_provider,
)

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
CLUSTER = "aws:ecs/cluster:Cluster"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
SG_TYPE = "aws:ec2/securityGroup:SecurityGroup"

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1"
SECRET = "arn:aws:secretsmanager:us-east-1:222222222222:secret:pre-tasks-db-connection-AbCdEf"
SECRET_VERSION_ID = "8d3b8e43-2b6d-4c1c-9d6e-0f4b1b2a3c4d"
ACCOUNT = "222222222222"


def _run(
    raw: dict[str, Any] | None = None, *, production: bool = False, public_ip: bool = False
) -> Recording:
    environment = "prod" if production else "pre"
    settings = plan(raw, environment=environment, production=production).service

    def program(provider):
        service = TasksService(
            f"{environment}-tasks",
            TasksServiceArgs(
                settings=settings,
                region="us-east-1",
                account_id=ACCOUNT,
                vpc_id="vpc-1",
                subnet_ids=["subnet-a", "subnet-b"],
                assign_public_ip=public_ip,
                issuer_url=ISSUER,
                alb_arn_suffix="app/pre-tasks-alb/0123456789abcdef",
                target_group_arn="arn:aws:elasticloadbalancing:us-east-1:222222222222:targetgroup/tg/1",
                target_group_arn_suffix="targetgroup/pre-tasks-tg/fedcba9876543210",
                db_secret_arn=SECRET,
                db_secret_version_id=SECRET_VERSION_ID,
                db_secret_kms_key_arn=DATA_KEY,
                logs_key_arn=LOGS_KEY,
            ),
            opts(provider),
        )
        return {"cluster": service.cluster.name}

    return run_with_provider(program, stack=environment)


def _container(recording: Recording) -> dict[str, Any]:
    definitions = json.loads(recording.one(TASK_DEFINITION).inputs["containerDefinitions"])
    assert len(definitions) == 1
    return definitions[0]


def test_task_runs_on_fargate_linux_arm64_with_the_configured_size() -> None:
    task = _run().one(TASK_DEFINITION).inputs
    assert task["runtimePlatform"] == {"operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"}
    assert task["requiresCompatibilities"] == ["FARGATE"]
    assert task["networkMode"] == "awsvpc"
    assert (task["cpu"], task["memory"]) == ("256", "512")


def test_container_has_the_seed_image_port_and_environment() -> None:
    container = _container(_run({"service": {"timeZoneId": "America/Guayaquil"}}))
    assert container["image"] == "hiperium/hiperium-city-tasks-api:1.5.0-arm64"
    assert container["portMappings"] == [{"containerPort": 8080, "protocol": "tcp", "name": "http"}]
    environment = {item["name"]: item["value"] for item in container["environment"]}
    # Exactly the variables the image reads besides its secret (Main.java), with their values.
    assert environment == {"TIME_ZONE_ID": "America/Guayaquil", "QUARKUS_OIDC_AUTH_SERVER_URL": ISSUER}


def test_database_secret_is_injected_whole_by_reference_to_its_version() -> None:
    container = _container(_run())
    # <arn>:<json-key>:<version-stage>:<version-id>: the whole JSON of exactly the version the program
    # wrote, so a new version changes the task definition and ECS replaces the running tasks.
    assert container["secrets"] == [
        {"name": "HIPERIUM_CITY_TASKS_DB_CLUSTER_SECRET", "valueFrom": f"{SECRET}:::{SECRET_VERSION_ID}"}
    ]
    names = {item["name"] for item in container["environment"]}
    assert "HIPERIUM_CITY_TASKS_DB_CLUSTER_SECRET" not in names
    assert all(SECRET not in str(item["value"]) for item in container["environment"])


def test_the_service_no_longer_offers_credential_modes_the_image_cannot_use() -> None:
    with pytest.raises(config.ConfigError) as error:
        plan({"service": {"databaseCredentials": "datasource-env"}})
    assert "landing-zone:service.databaseCredentials: unknown key" in str(error.value)


def test_logs_go_to_the_services_log_group_with_retention() -> None:
    recording = _run()
    group = recording.one(LOG_GROUP)
    assert group.inputs["retentionInDays"] == 14
    options = _container(recording)["logConfiguration"]["options"]
    assert options["awslogs-group"] == group.inputs["name"] == "/ecs/pre-tasks"
    assert options["awslogs-region"] == "us-east-1"
    assert _run(production=True).one(LOG_GROUP).inputs["retentionInDays"] == 90


def test_execution_role_reads_exactly_the_secret_and_writes_exactly_its_logs() -> None:
    recording = _run()
    roles = {role.name: role for role in recording.of_type(ROLE)}
    execution, task = roles["pre-tasks-execution"], roles["pre-tasks-task"]
    task_definition = recording.one(TASK_DEFINITION).inputs
    assert task_definition["executionRoleArn"] == execution.outputs["arn"]
    assert task_definition["taskRoleArn"] == task.outputs["arn"]

    (policy,) = recording.of_type(ROLE_POLICY)
    assert policy.inputs["role"] == execution.id
    document = json.loads(policy.inputs["policy"])
    assert documents.grammar_errors(document, "identity") == []
    assert documents.unknown_actions(document) == []
    grants = {
        (tuple(documents.as_list(s["Action"])), s["Resource"], json.dumps(s.get("Condition"), sort_keys=True))
        for s in document["Statement"]
    }
    log_group = recording.one(LOG_GROUP).outputs["arn"]
    # The secret's customer managed key, only as Secrets Manager decrypts it for GetSecretValue.
    through_secrets_manager = {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}
    assert grants == {
        (("logs:CreateLogStream", "logs:PutLogEvents"), f"{log_group}:log-stream:*", "null"),
        (("secretsmanager:GetSecretValue",), SECRET, "null"),
        (("kms:Decrypt",), DATA_KEY, json.dumps(through_secrets_manager, sort_keys=True)),
    }
    # No managed policies (AmazonECSTaskExecutionRolePolicy would grant ECR on *), nothing for the task role.
    assert recording.of_type(ATTACHMENT) == []
    assert all(p.inputs["role"] != task.id for p in recording.of_type(ROLE_POLICY))


def test_roles_trust_ecs_tasks_and_the_task_role_only_for_the_workload_account() -> None:
    recording = _run()
    trusts = {r.name: json.loads(r.inputs["assumeRolePolicy"])["Statement"] for r in recording.of_type(ROLE)}
    assert set(trusts) == {"pre-tasks-execution", "pre-tasks-task"}
    for (statement,) in trusts.values():
        assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert statement["Action"] == "sts:AssumeRole"
    (task,) = trusts["pre-tasks-task"]
    assert task["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert task["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:*"}
    # ECS starts tasks with the execution role; its trust carries no conditions AWS does not document.
    assert "Condition" not in trusts["pre-tasks-execution"][0]


def test_service_rolls_back_failed_deployments_and_runs_in_the_given_subnets() -> None:
    recording = _run()
    service = recording.one(SERVICE)
    inputs = service.inputs
    assert inputs["launchType"] == "FARGATE"
    assert inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert inputs["desiredCount"] == 1
    assert inputs["healthCheckGracePeriodSeconds"] == 30
    tasks_group = recording.one(SG, "pre-tasks-service")
    assert inputs["networkConfiguration"] == {
        "subnets": ["subnet-a", "subnet-b"], "securityGroups": [tasks_group.id], "assignPublicIp": False
    }
    assert inputs["loadBalancers"] == [
        {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:222222222222:targetgroup/tg/1",
         "containerName": "tasks-api", "containerPort": 8080}
    ]
    assert inputs["cluster"] == recording.one(CLUSTER).outputs["arn"]
    assert inputs["taskDefinition"] == recording.one(TASK_DEFINITION).outputs["arn"]
    assert service.ignore_changes == ["desiredCount"]  # autoscaling owns the count
    assert_all_on_provider(recording)


def test_without_nat_the_tasks_get_a_public_ip() -> None:
    service = _run(public_ip=True).one(SERVICE)
    assert service.inputs["networkConfiguration"]["assignPublicIp"] is True


def test_container_insights_on_in_prod_only() -> None:
    def insights(recording: Recording) -> str:
        (setting,) = recording.one(CLUSTER).inputs["settings"]
        assert setting["name"] == "containerInsights"
        return setting["value"]

    assert insights(_run()) == "disabled"
    assert insights(_run(production=True)) == "enabled"


def test_the_service_owns_its_group_and_writes_no_rule_to_any_group() -> None:
    # Its links are the stack's table (tests/test_tasks_links.py), not the component's.
    recording = _run()
    group = recording.one(SG_TYPE, "pre-tasks-service")
    assert recording.one(SERVICE).inputs["networkConfiguration"]["securityGroups"] == [group.id]
    assert rule_view(recording) == set()


@pytest.mark.parametrize(
    ("production", "counts"), [(False, (1, 2)), (True, (2, 6))]
)
def test_autoscaling_tracks_cpu_memory_and_requests_per_target(
    production: bool, counts: tuple[int, int]
) -> None:
    recording = _run(production=production)
    target = recording.one(SCALING_TARGET).inputs
    assert (target["minCapacity"], target["maxCapacity"]) == counts
    assert target["scalableDimension"] == "ecs:service:DesiredCount"
    service = recording.one(SERVICE)
    cluster = recording.one(CLUSTER)
    assert target["resourceId"] == f"service/{cluster.outputs['name']}/{service.outputs['name']}"
    assert recording.one(SERVICE).inputs["desiredCount"] == counts[0]
    policies = {}
    for policy in recording.of_type(SCALING_POLICY):
        assert policy.inputs["policyType"] == "TargetTrackingScaling"
        assert policy.inputs["resourceId"] == target["resourceId"]
        config = policy.inputs["targetTrackingScalingPolicyConfiguration"]
        metric = config["predefinedMetricSpecification"]
        policies[metric["predefinedMetricType"]] = (config["targetValue"], metric.get("resourceLabel"))
    assert policies == {
        "ECSServiceAverageCPUUtilization": (70, None),
        "ECSServiceAverageMemoryUtilization": (80, None),
        "ALBRequestCountPerTarget": (
            1000, "app/pre-tasks-alb/0123456789abcdef/targetgroup/pre-tasks-tg/fedcba9876543210"
        ),
    }
