"""The Tasks Service in the pre and prod stacks, from their stack files (org outputs behind the reference)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from components import config
from components.settings.tasks_service import (
    ApiSettings,
    DatabaseSettings,
    FrontendSettings,
    LoadBalancerSettings,
    NetworkSettings,
    ServiceSettings,
)
from deploy.simulate import Recording
from tests.configs import stack_values
from tests.conftest import ROOT, recorded_org_outputs, run_env_stack
from tests.tasks_support import EGRESS, INGRESS, PROVIDER, SG, rule_view

WORKLOAD_ACCOUNT = {"pre": "sandbox", "prod": "workloads-prod"}
IDP_TYPES = ("aws:cognito/",)
EXPORTS = {
    "api_url", "alb_dns_name", "frontend_url", "db_cluster_endpoint", "db_secret_arn", "service_log_group",
    "ecs_cluster_name", "ecs_service_name", "target_group_arn", "db_cluster_identifier",
}
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
ECS_CLUSTER = "aws:ecs/cluster:Cluster"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
CLUSTER = "aws:rds/cluster:Cluster"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
SCALING_TARGET = "aws:appautoscaling/target:Target"
AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer"
INTEGRATION = "aws:apigatewayv2/integration:Integration"
VPC_LINK = "aws:apigatewayv2/vpcLink:VpcLink"
API = "aws:apigatewayv2/api:Api"
APP = "aws:amplify/app:App"
BRANCH = "aws:amplify/branch:Branch"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
LB = "aws:lb/loadBalancer:LoadBalancer"
VPC = "awsx:ec2:Vpc"


@pytest.fixture(scope="module")
def pre() -> Recording:
    return run_env_stack("pre")


@pytest.fixture(scope="module")
def prod() -> Recording:
    return run_env_stack("prod")


def _recording(name: str, request: pytest.FixtureRequest) -> Recording:
    return request.getfixturevalue(name)


def raw(stack: str, **sections: dict[str, Any]) -> dict[str, Any]:
    """The stack file's values with some Tasks Service keys merged over."""
    values = stack_values(stack)
    for key, changes in sections.items():
        values[key] = {**values.get(key, {}), **changes}
    return values


def _container(recording: Recording) -> dict[str, Any]:
    (container,) = json.loads(recording.one(TASK_DEFINITION).inputs["containerDefinitions"])
    return container


# --- accounts and exports ----------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["pre", "prod"])
def test_everything_of_the_service_is_in_the_workload_account(
    stack: str, request: pytest.FixtureRequest
) -> None:
    recording = _recording(stack, request)
    workload = str(recorded_org_outputs()["accounts"][WORKLOAD_ACCOUNT[stack]])
    providers = {p.urn: p for p in recording.of_type(PROVIDER)}
    for resource in recording.resources:
        if resource.is_provider or resource.type.startswith(IDP_TYPES):
            continue
        if resource.type.startswith("random:"):  # the database password: state only, its own provider
            random_provider = recording.provider_of(resource)
            assert random_provider is not None and random_provider.type == "pulumi:providers:random"
            continue
        if resource.custom:
            provider = recording.provider_of(resource)
        elif resource.remote:
            provider = providers[resource.providers["aws"]]
        else:
            continue
        assert provider is not None, f"{resource.type} {resource.name} uses the default provider"
        assert provider.name == "workload", (resource.type, resource.name)
        assert provider.provider_setting("allowedAccountIds") == [workload]


@pytest.mark.parametrize("stack", ["pre", "prod"])
def test_stack_exports_the_service_endpoints(stack: str, request: pytest.FixtureRequest) -> None:
    recording = _recording(stack, request)
    outputs = recording.outputs
    assert set(outputs) >= EXPORTS
    assert outputs["api_url"] == recording.one(API).outputs["apiEndpoint"]
    # The driver's smoke check probes liveness through the API: the ALB is internal by default.
    assert outputs["health_url"] == outputs["api_url"] + "/q/health/live"
    assert outputs["alb_dns_name"] == recording.one(LB).outputs["dnsName"]
    assert outputs["db_cluster_endpoint"] == recording.one(CLUSTER).outputs["endpoint"]
    # The project-managed connection secret (its ARN only), not RDS's managed master secret.
    assert outputs["db_secret_arn"] == recording.one(SECRET).outputs["arn"]
    assert "masterUserSecrets" not in recording.one(CLUSTER).outputs
    # What `deploy logs` and `deploy status` read: the service's own log group, cluster, service, target
    # group and database cluster.
    assert outputs["service_log_group"] == f"/ecs/{stack}-tasks"
    assert outputs["service_log_group"] in {g.outputs["name"] for g in recording.of_type(LOG_GROUP)}
    assert outputs["ecs_cluster_name"] == recording.one(ECS_CLUSTER).outputs["name"]
    assert outputs["ecs_service_name"] == recording.one(SERVICE).outputs["name"]
    assert outputs["target_group_arn"] == recording.one(TARGET_GROUP).outputs["arn"]
    assert outputs["db_cluster_identifier"] == recording.one(CLUSTER).outputs["clusterIdentifier"]
    domain = recording.one(APP).outputs["defaultDomain"]
    assert outputs["frontend_url"] == f"https://{stack}.{domain}/"


# --- service -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["pre", "prod"])
def test_service_runs_arm64_with_the_issuer_and_the_secret_by_reference(
    stack: str, request: pytest.FixtureRequest
) -> None:
    recording = _recording(stack, request)
    task = recording.one(TASK_DEFINITION).inputs
    assert task["runtimePlatform"] == {"operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"}
    container = _container(recording)
    environment = {item["name"]: item["value"] for item in container["environment"]}
    assert environment == {
        "QUARKUS_OIDC_AUTH_SERVER_URL": recording.outputs["issuer_url"], "TIME_ZONE_ID": "-05:00"
    }
    version = recording.one(SECRET_VERSION).outputs["versionId"]
    assert container["secrets"] == [
        {"name": "HIPERIUM_CITY_TASKS_DB_CLUSTER_SECRET",
         "valueFrom": f"{recording.outputs['db_secret_arn']}:::{version}"}
    ]
    # The execution role (ECS reads the secret with it at task start) may read that secret and no other.
    execution = recording.one("aws:iam/rolePolicy:RolePolicy", f"{recording.stack}-tasks-execution")
    policy = json.loads(execution.inputs["policy"])
    secret_grants = [
        (s["Action"], s["Resource"]) for s in policy["Statement"] if "secretsmanager" in str(s["Action"])
    ]
    assert secret_grants == [("secretsmanager:GetSecretValue", recording.outputs["db_secret_arn"])]
    assert not any(s["Resource"] == "*" for s in policy["Statement"])


def test_pre_without_nat_runs_tasks_in_public_subnets_reachable_only_from_the_alb(pre: Recording) -> None:
    vpc = pre.one(VPC)
    assert vpc.inputs["natGateways"] == {"strategy": "None"}
    network = pre.one(SERVICE).inputs["networkConfiguration"]
    assert network["subnets"] == vpc.outputs["publicSubnetIds"]
    assert network["assignPublicIp"] is True
    # The tasks' group: in only from the ALB; out only HTTPS and the database.
    rules = {rule for rule in rule_view(pre) if "pre-tasks-service" in rule[1]}
    assert rules == {
        ("in", "pre-tasks-service", "pre-tasks-alb", 8080, 8080),
        ("out", "pre-tasks-service", "0.0.0.0/0", 443, 443),
        ("out", "pre-tasks-service", "pre-tasks-db", 5432, 5432),
    }


def test_prod_with_nat_per_az_runs_tasks_in_private_subnets(prod: Recording) -> None:
    vpc = prod.one(VPC)
    assert vpc.inputs["natGateways"] == {"strategy": "OnePerAz"}
    network = prod.one(SERVICE).inputs["networkConfiguration"]
    assert network["subnets"] == vpc.outputs["privateSubnetIds"]
    assert network["assignPublicIp"] is False


@pytest.mark.parametrize("stack", ["pre", "prod"])
def test_who_can_reach_what(stack: str, request: pytest.FixtureRequest) -> None:
    recording = _recording(stack, request)
    assert rule_view(recording) == {
        ("out", f"{stack}-tasks-api-vpc-link", f"{stack}-tasks-alb", 80, 80),
        ("in", f"{stack}-tasks-alb", f"{stack}-tasks-api-vpc-link", 80, 80),
        ("out", f"{stack}-tasks-alb", f"{stack}-tasks-service", 8080, 8080),
        ("in", f"{stack}-tasks-service", f"{stack}-tasks-alb", 8080, 8080),
        ("out", f"{stack}-tasks-service", "0.0.0.0/0", 443, 443),
        ("out", f"{stack}-tasks-service", f"{stack}-tasks-db", 5432, 5432),
        ("in", f"{stack}-tasks-db", f"{stack}-tasks-service", 5432, 5432),
    }
    # No security group carries inline rules that would escape this view.
    for group in recording.of_type(SG):
        assert "ingress" not in group.inputs and "egress" not in group.inputs
    assert len(recording.of_type(INGRESS)) + len(recording.of_type(EGRESS)) == 7


@pytest.mark.parametrize(("stack", "counts"), [("pre", (1, 2)), ("prod", (2, 6))])
def test_autoscaling_range(stack: str, counts: tuple[int, int], request: pytest.FixtureRequest) -> None:
    recording = _recording(stack, request)
    target = recording.one(SCALING_TARGET).inputs
    assert (target["minCapacity"], target["maxCapacity"]) == counts
    assert len(recording.of_type("aws:appautoscaling/policy:Policy")) == 3


# --- database ------------------------------------------------------------------------------------


def test_pre_database_pauses_and_can_be_deleted(pre: Recording) -> None:
    cluster = pre.one(CLUSTER)
    assert cluster.inputs["serverlessv2ScalingConfiguration"] == {
        "minCapacity": 0.0, "maxCapacity": 4.0, "secondsUntilAutoPause": 600
    }
    assert cluster.inputs["deletionProtection"] is False and cluster.inputs["skipFinalSnapshot"] is True
    assert [i.name for i in pre.of_type(INSTANCE)] == ["pre-tasks-db-writer"]
    assert not cluster.protect


def test_prod_database_is_protected_with_a_reader(prod: Recording) -> None:
    cluster = prod.one(CLUSTER)
    assert cluster.inputs["serverlessv2ScalingConfiguration"] == {"minCapacity": 0.5, "maxCapacity": 8.0}
    assert cluster.inputs["deletionProtection"] is True
    assert cluster.inputs["skipFinalSnapshot"] is False
    assert cluster.inputs["backupRetentionPeriod"] == 14
    assert cluster.protect
    instances = prod.of_type(INSTANCE)
    assert sorted(i.name for i in instances) == ["prod-tasks-db-reader", "prod-tasks-db-writer"]
    assert all(i.inputs["instanceClass"] == "db.serverless" and i.protect for i in instances)
    # The password and the secret holding it are kept like the database they open.
    assert prod.one("random:index/randomPassword:RandomPassword").protect
    assert prod.one(SECRET).protect and prod.one(SECRET).inputs["recoveryWindowInDays"] == 30


# --- API and frontend ------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["pre", "prod"])
def test_authorizer_trusts_the_environments_pool_and_web_client(
    stack: str, request: pytest.FixtureRequest
) -> None:
    recording = _recording(stack, request)
    jwt = recording.one(AUTHORIZER).inputs["jwtConfiguration"]
    assert jwt == {
        "issuer": recording.outputs["issuer_url"],
        "audiences": [recording.outputs["user_pool_client_id"]],
    }
    assert recording.one(CLIENT).id == recording.outputs["user_pool_client_id"]


@pytest.mark.parametrize("stack", ["pre", "prod"])
def test_private_mode_goes_through_the_vpc_link_to_the_internal_alb(
    stack: str, request: pytest.FixtureRequest
) -> None:
    recording = _recording(stack, request)
    assert recording.one(LB).inputs["internal"] is True
    integration = recording.one(INTEGRATION).inputs
    assert integration["connectionType"] == "VPC_LINK"
    assert integration["connectionId"] == recording.one(VPC_LINK).id
    assert integration["integrationUri"] == recording.one("aws:lb/listener:Listener").outputs["arn"]


def test_public_mode_from_config() -> None:
    recording = run_env_stack("pre", raw("pre", loadBalancer={"mode": "public"}))
    assert recording.one(LB).inputs["internal"] is False
    assert recording.of_type(VPC_LINK) == []
    integration = recording.one(INTEGRATION).inputs
    assert integration["integrationUri"] == f"http://{recording.outputs['alb_dns_name']}"
    assert ("in", "pre-tasks-alb", "0.0.0.0/0", 80, 80) in rule_view(recording)


@pytest.mark.parametrize("stack", ["pre", "prod"])
def test_frontend_url_is_a_cognito_callback_and_the_branch_gets_its_variables(
    stack: str, request: pytest.FixtureRequest
) -> None:
    recording = _recording(stack, request)
    url = recording.outputs["frontend_url"]
    client = recording.one(CLIENT).inputs
    assert url in client["callbackUrls"] and url in client["logoutUrls"]
    branch = recording.one(BRANCH).inputs
    assert branch["branchName"] == stack
    assert branch["appId"] == recording.one(APP).id
    variables = branch["environmentVariables"]
    assert variables["PWA_API_URL"] == recording.outputs["api_url"]
    assert variables["PWA_OIDC_ISSUER"] == recording.outputs["issuer_url"]
    assert variables["PWA_OIDC_CLIENT_ID"] == recording.outputs["user_pool_client_id"]
    assert variables["PWA_OIDC_REDIRECT_URI"] == url
    cors = recording.one(API).inputs["corsConfiguration"]
    assert cors["allowOrigins"][0] == url.rstrip("/")


def test_pre_also_allows_the_development_server_origin(pre: Recording) -> None:
    assert pre.one(API).inputs["corsConfiguration"]["allowOrigins"][1:] == ["http://localhost:8100"]


# --- validation (before anything is declared) -----------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "values", "message"),
    [
        (
            "pre",
            raw("pre", service={"cpu": 256, "memory": 4096}),
            "Pulumi.pre.yaml: landing-zone:service.memory: 4096 MiB is not allowed with cpu 256 on Fargate "
            "(512-2048 MiB)",
        ),
        (
            "prod",
            raw("prod", service={"cpu": 1024, "memory": 1024}),
            "Pulumi.prod.yaml: landing-zone:service.memory: 1024 MiB is not allowed with cpu 1024 on Fargate "
            "(2048-8192 MiB in 1024 MiB steps)",
        ),
        (
            "pre",
            raw("pre", service={"cpu": 300}),
            "Pulumi.pre.yaml: landing-zone:service.cpu: 300 is not a Fargate cpu value "
            "([256, 512, 1024, 2048, 4096, 8192, 16384])",
        ),
        (
            "pre",
            raw("pre", database={"maxCapacity": 300}),
            "Pulumi.pre.yaml: landing-zone:database.maxCapacity: 300 ACU is out of range: 0, or 0.5 to 256 "
            "in steps of 0.5",
        ),
        (
            "prod",
            raw("prod", database={"minCapacity": 0.75}),
            "Pulumi.prod.yaml: landing-zone:database.minCapacity: 0.75 ACU is out of range: 0, or 0.5 to 256 "
            "in steps of 0.5",
        ),
        (
            "prod",
            raw("prod", database={"minCapacity": 0.25}),
            "Pulumi.prod.yaml: landing-zone:database.minCapacity: 0.25 ACU is out of range: 0, or 0.5 to 256 "
            "in steps of 0.5",
        ),
        (
            "prod",
            raw("prod", database={"minCapacity": 16}),
            "Pulumi.prod.yaml: landing-zone:database.minCapacity: 16 ACU is above database.maxCapacity "
            "(8 ACU)",
        ),
        (
            "pre",
            raw("pre", database={"engineVersion": "14.4"}),
            "Pulumi.pre.yaml: landing-zone:database.minCapacity: 0 ACU (auto-pause) needs aurora-postgresql "
            "13.15, 14.12, 15.7, 16.3 or newer; database.engineVersion is 14.4",
        ),
        (
            "pre",
            raw("pre", database={"engineVersion": "16.2"}),
            "Pulumi.pre.yaml: landing-zone:database.minCapacity: 0 ACU (auto-pause) needs aurora-postgresql "
            "13.15, 14.12, 15.7, 16.3 or newer; database.engineVersion is 16.2",
        ),
        (
            "prod",
            raw("prod", database={"engineVersion": "12.9"}),
            "Pulumi.prod.yaml: landing-zone:database.engineVersion: aurora-postgresql 12.9 does not run "
            "Serverless v2 (13.6, 14.3, 15.2, 16.1 or newer)",
        ),
        (
            "pre",
            raw("pre", database={"secondsUntilAutoPause": 120}),
            "Pulumi.pre.yaml: landing-zone:database.secondsUntilAutoPause: Input should be greater than or "
            "equal to 300",
        ),
        (
            "prod",
            raw("prod", database={"secondsUntilAutoPause": 600}),
            "Pulumi.prod.yaml: landing-zone:database.secondsUntilAutoPause: applies only when "
            "database.minCapacity is 0",
        ),
        (
            "prod",
            raw("prod", database={"deletionProtection": False}),
            "Pulumi.prod.yaml: landing-zone:database.deletionProtection: cannot be turned off in a "
            "production environment; to lower it, add {resource: database.deletionProtection, reason: ...} "
            "to productionOptOuts",
        ),
        (
            "prod",
            raw("prod", database={"finalSnapshot": False}),
            "Pulumi.prod.yaml: landing-zone:database.finalSnapshot: cannot be turned off in a production "
            "environment; to lower it, add {resource: database.finalSnapshot, reason: ...} to "
            "productionOptOuts",
        ),
        (
            "prod",
            raw("prod", loadBalancer={"deletionProtection": False}),
            "Pulumi.prod.yaml: landing-zone:loadBalancer.deletionProtection: cannot be turned off in a "
            "production environment; to lower it, add {resource: loadBalancer.deletionProtection, "
            "reason: ...} to productionOptOuts",
        ),
        (
            "pre",
            raw("pre", service={"minCount": 3}),
            "Pulumi.pre.yaml: landing-zone:service.minCount: 3 is above service.maxCount (2)",
        ),
        (
            "pre",
            raw("pre", network={"natGateways": "two"}),
            "Pulumi.pre.yaml: landing-zone:network.natGateways: Input should be 'none', 'single' or 'per-az'",
        ),
        (
            "pre",
            raw("pre", network={"cidrBlock": "10.10.0.0/24"}),
            "Pulumi.pre.yaml: landing-zone:network.cidrBlock: '10.10.0.0/24' must be a /16 to /22 network",
        ),
        (
            "pre",
            raw("pre", loadBalancer={
                "mode": "public", "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc-1"
            }),
            "Pulumi.pre.yaml: landing-zone:loadBalancer.domainName: is required together with "
            "loadBalancer.certificateArn/domainName (the HTTPS listener's certificate and the host name API "
            "Gateway verifies it against)",
        ),
        (
            "pre",
            raw("pre", frontend={"accessTokenSecret": "amplify/github"}),
            "Pulumi.pre.yaml: landing-zone:frontend.accessTokenSecret: needs frontend.repository (the "
            "repository it opens)",
        ),
        (
            "pre",
            raw("pre", database={"minCapacty": 0}),
            "Pulumi.pre.yaml: landing-zone:database.minCapacty: unknown key (check the spelling against "
            "Pulumi.yaml)",
        ),
    ],
)
def test_bad_tasks_config_is_one_line_naming_file_and_key(
    stack: str, values: dict[str, Any], message: str
) -> None:
    with pytest.raises(config.ConfigError) as error:
        config.load(stack, values)
    assert str(error.value) == message


def test_minimum_zero_is_accepted_from_the_first_versions_that_pause() -> None:
    for version in ("13.15", "14.12", "15.7", "16.3", "17.4"):
        config.load("pre", raw("pre", database={"engineVersion": version}))


@pytest.mark.parametrize(
    ("key", "model"),
    [
        ("network", NetworkSettings),
        ("service", ServiceSettings),
        ("loadBalancer", LoadBalancerSettings),
        ("database", DatabaseSettings),
        ("api", ApiSettings),
        ("frontend", FrontendSettings),
    ],
)
def test_tasks_keys_and_their_fields_are_documented_in_pulumi_yaml(
    key: str, model: type[config.Model]
) -> None:
    documented = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))["template"]["config"]
    description = documented[f"landing-zone:{key}"]["description"]
    assert description.startswith("[env]")
    for name, field in model.model_fields.items():
        assert (field.alias or name) in description, f"{key}.{field.alias} is not documented"
