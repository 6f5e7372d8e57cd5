"""The composed Tasks Service (components/tasks_stack.py): who can reach what, across components."""

from __future__ import annotations

import json
from typing import Any

import pulumi_awsx as awsx

from components.tasks_stack import declare_frontend_app, declare_tasks_service
from deploy.simulate import Recording
from tests.tasks_support import assert_all_on_provider, plan, rule_view, run_with_provider

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1"
CLIENT_ID = "4example0client0id00000000"
EXPORTS = {
    "api_url", "health_url", "alb_dns_name", "frontend_url", "db_cluster_endpoint", "db_secret_arn",
    # read by `python -m deploy logs` and `status`
    "service_log_group", "ecs_cluster_name", "ecs_service_name", "target_group_arn", "db_cluster_identifier",
}


def _run(raw: dict[str, Any] | None = None) -> Recording:
    resolved = plan(raw)

    def program(provider):
        frontend = declare_frontend_app(resolved, provider)
        deployment = declare_tasks_service(
            resolved, provider=provider, awsx_provider=awsx.Provider("workload"), region="us-east-1",
            issuer_url=ISSUER, client_id=CLIENT_ID, frontend=frontend,
        )
        return deployment.outputs

    return run_with_provider(program)


def test_private_mode_chain_vpc_link_to_alb_to_tasks_to_database() -> None:
    recording = _run()
    assert rule_view(recording) == {
        ("out", "pre-tasks-api-vpc-link", "pre-tasks-alb", 80, 80),
        ("in", "pre-tasks-alb", "pre-tasks-api-vpc-link", 80, 80),
        ("out", "pre-tasks-alb", "pre-tasks-service", 8080, 8080),
        ("in", "pre-tasks-service", "pre-tasks-alb", 8080, 8080),
        ("out", "pre-tasks-service", "0.0.0.0/0", 443, 443),
        ("out", "pre-tasks-service", "pre-tasks-db", 5432, 5432),
        ("in", "pre-tasks-db", "pre-tasks-service", 5432, 5432),
    }
    assert set(recording.outputs) == EXPORTS | {"service_schedule"}  # pre sleeps by default
    assert_all_on_provider(recording)


def test_public_mode_opens_the_alb_to_the_internet_and_has_no_vpc_link() -> None:
    recording = _run({"loadBalancer": {"mode": "public"}})
    rules = rule_view(recording)
    assert ("in", "pre-tasks-alb", "0.0.0.0/0", 80, 80) in rules
    assert not any("vpc-link" in rule[1] or "vpc-link" in rule[2] for rule in rules)
    assert recording.of_type("aws:apigatewayv2/vpcLink:VpcLink") == []
    alb = recording.one("aws:lb/loadBalancer:LoadBalancer")
    integration = recording.one("aws:apigatewayv2/integration:Integration").inputs
    assert integration["integrationUri"] == f"http://{alb.outputs['dnsName']}"


def test_the_internal_alb_and_the_vpc_link_share_the_private_subnets() -> None:
    recording = _run()
    vpc = recording.one("awsx:ec2:Vpc").outputs
    alb = recording.one("aws:lb/loadBalancer:LoadBalancer").inputs
    link = recording.one("aws:apigatewayv2/vpcLink:VpcLink").inputs
    assert alb["subnets"] == link["subnetIds"] == vpc["privateSubnetIds"]
    cluster_subnets = recording.one("aws:rds/subnetGroup:SubnetGroup").inputs["subnetIds"]
    assert cluster_subnets == vpc["isolatedSubnetIds"]
    integration = recording.one("aws:apigatewayv2/integration:Integration").inputs
    listener = recording.one("aws:lb/listener:Listener")
    assert integration["integrationUri"] == listener.outputs["arn"]


def test_service_waits_for_the_listener_that_attaches_its_target_group() -> None:
    recording = _run()
    service = recording.one("aws:ecs/service:Service")
    listener = recording.one("aws:lb/listener:Listener")
    assert listener.urn in service.dependencies


def test_roles_trust_ecs_for_the_account_the_workload_provider_resolves_to() -> None:
    recording = _run()
    calls = [
        provider for (token, _), provider in zip(recording.invokes, recording.invoke_providers, strict=True)
        if token == "aws:index/getCallerIdentity:getCallerIdentity"
    ]
    assert calls and all(recording.by_urn(urn).name == "workload" for urn in calls if urn)
    assert all(calls)
    # The mocked getCallerIdentity answers the account the provider is pinned to, as the provider would.
    (pinned,) = recording.by_urn(str(calls[0])).provider_setting("allowedAccountIds")
    (task_role,) = [r for r in recording.of_type("aws:iam/role:Role") if r.name.endswith("-task")]
    (statement,) = json.loads(task_role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": pinned}
