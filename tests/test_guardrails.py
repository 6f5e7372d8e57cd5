"""The CrossGuard guardrails: each rule on passing and failing inputs, the offline runner and its config,
the whole programs (zero violations, and one injected fault per rule caught by that rule), and the pack
as the Pulumi engine talks to it (the analyzer's gRPC interface, in a subprocess)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from components import config as stack_config
from deploy import policy_config
from deploy.simulate import RecordedResource, Recording
from iam_documents import documents
from policies import guardrails as g
from policies.rules.security import BUCKET_ENCRYPTION, BUCKET_VERSIONING, GUARDDUTY_ORG_CONFIG, TRAIL
from tests.configs import FIXTURE_STACKS, security_org_config, security_values, stack_values
from tests.conftest import run_stack
from tests.conftest import set_props as _set  # the faults below are written _set(...)

ROOT = Path(__file__).resolve().parent.parent
OPTS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
PINNED = PolicyProviderResource(
    g.AWS_PROVIDER,
    {"region": "us-east-1", "allowedAccountIds": '["222222222222"]'},
    "urn:pulumi:pre::landing-zone::pulumi:providers:aws::workload",
    "workload",
)


def resource(
    type_: str,
    name: str,
    props: dict[str, Any],
    *,
    stack: str = "pre",
    provider: PolicyProviderResource | None = PINNED,
    parent: PolicyResource | None = None,
    deps: dict[str, list[PolicyResource]] | None = None,
) -> PolicyResource:
    urn = f"urn:pulumi:{stack}::landing-zone::{type_}::{name}"
    return PolicyResource(type_, props, urn, name, OPTS, provider, parent, [], deps or {})


def messages(rule: str, type_: str, props: dict[str, Any], **kwargs: Any) -> list[str]:
    return g.check_resource(rule, type_, props, **kwargs)


def scp(document: dict[str, Any]) -> dict[str, Any]:
    return {"type": g.SCP_TYPE, "content": documents.minify(document)}


QUARANTINE = json.loads((documents.SCP_DIR / "quarantine.json").read_text())
DENY_LIST = json.loads((documents.SCP_DIR / "guardrails.json").read_text())


# ------------------------------------------------------------------------------------------------
# Resource rules, one by one
# ------------------------------------------------------------------------------------------------

ARM_TASK = {"runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}}


@pytest.mark.parametrize(
    ("type_", "props", "problem"),
    [
        (g.TASK_DEFINITION, ARM_TASK, None),
        (g.TASK_DEFINITION, {"runtimePlatform": {"cpuArchitecture": "X86_64"}}, "'X86_64'"),
        (g.TASK_DEFINITION, {"family": "tasks"}, "unset (X86_64)"),
        (g.AWSX_FARGATE_SERVICE, {"taskDefinitionArgs": ARM_TASK}, None),
        (
            g.AWSX_FARGATE_SERVICE,
            {"taskDefinitionArgs": {"container": {}}},
            "taskDefinitionArgs.runtimePlatform",
        ),
        (g.AWSX_FARGATE_SERVICE, {"taskDefinition": "arn:aws:ecs:td/x:1"}, None),  # checked on its own
        ("awsx:ecs:FargateTaskDefinition", {"runtimePlatform": {"cpuArchitecture": "X86_64"}}, "ARM64"),
    ],
)
def test_ecs_tasks_run_on_arm64(type_: str, props: dict[str, Any], problem: str | None) -> None:
    found = messages("ecs-tasks-arm64", type_, props)
    assert found == [] if problem is None else any(problem in m for m in found), found


AURORA = {
    "engine": "aurora-postgresql",
    "engineMode": "provisioned",
    "serverlessv2ScalingConfiguration": {"minCapacity": 0.5, "maxCapacity": 8},
    "storageEncrypted": True,
    "manageMasterUserPassword": True,
    "deletionProtection": True,
    "skipFinalSnapshot": False,
    "finalSnapshotIdentifier": "tasks-prod-final",
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({}, None),
        ({"engine": "postgres", "storageEncrypted": False}, None),  # Multi-AZ DB cluster: not Aurora
        ({"serverlessv2ScalingConfiguration": None}, "serverlessv2ScalingConfiguration"),
        ({"engineMode": "serverless"}, "engineMode"),
        ({"storageEncrypted": False}, "storageEncrypted"),
        ({"storageEncrypted": None}, "storageEncrypted"),
        ({"manageMasterUserPassword": None}, "no master password"),
        ({"manageMasterUserPassword": None, "masterPassword": "generated0000000"}, None),
        ({"masterPassword": "generated0000000"}, "masterPassword is set: RDS accepts only one"),
        ({"masterPasswordWo": "generated0000000"}, "masterPasswordWo is set: RDS accepts only one"),
    ],
)
def test_aurora_baseline(change: dict[str, Any], problem: str | None) -> None:
    props = {k: v for k, v in {**AURORA, **change}.items() if v is not None}
    found = messages("aurora-serverless-v2-baseline", g.RDS_CLUSTER, props)
    assert found == [] if problem is None else any(problem in m for m in found), found


@pytest.mark.parametrize(
    ("props", "problem"),
    [
        ({"mfaConfiguration": "ON", "softwareTokenMfaConfiguration": {"enabled": True}}, None),
        ({"mfaConfiguration": "OPTIONAL", "softwareTokenMfaConfiguration": {"enabled": True}}, "'OPTIONAL'"),
        ({"softwareTokenMfaConfiguration": {"enabled": True}}, "unset (OFF)"),
        ({"mfaConfiguration": "ON", "softwareTokenMfaConfiguration": {"enabled": False}}, "TOTP"),
        ({"mfaConfiguration": "ON", "smsConfiguration": {"snsCallerArn": "arn"}}, "TOTP"),
    ],
)
def test_cognito_requires_totp_mfa(props: dict[str, Any], problem: str | None) -> None:
    found = messages("cognito-mfa-totp", g.USER_POOL, props)
    assert found == [] if problem is None else any(problem in m for m in found), found


def test_scp_documents_of_the_project_pass() -> None:
    for document in (DENY_LIST, QUARANTINE):
        assert messages("scp-document-valid", g.ORG_POLICY, scp(document)) == []


@pytest.mark.parametrize(
    ("props", "problem"),
    [
        ({"content": "{not json"}, "not valid JSON"),
        (
            scp(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}
            ),
            '"Effect" must be "Allow" or "Deny"',
        ),
        (scp({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}), '"Version"'),
        (
            scp(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}],
                }
            ),
            "Principal is not allowed",
        ),
        (
            scp(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Deny", "Action": "ec2:LaunchRocket", "Resource": "*"}],
                }
            ),
            "unknown IAM action(s) ec2:LaunchRocket",
        ),
        ({"type": g.SCP_TYPE, "content": json.dumps(DENY_LIST, indent=8)}, "over the limit of 5120"),
    ],
)
def test_scp_documents_are_checked(props: dict[str, Any], problem: str) -> None:
    found = messages("scp-document-valid", g.ORG_POLICY, props)
    assert any(problem in m for m in found), found


def test_scp_size_counts_the_string_as_sent_and_the_limit_is_configurable() -> None:
    pretty = {"type": g.SCP_TYPE, "content": json.dumps(DENY_LIST, indent=8)}
    [message] = messages("scp-document-valid", g.ORG_POLICY, pretty)
    assert f"minified it would be {len(documents.minify(DENY_LIST))}" in message
    assert messages("scp-document-valid", g.ORG_POLICY, pretty, config={"maxDocumentChars": 20_000}) == []
    minified = scp(DENY_LIST)
    assert messages("scp-document-valid", g.ORG_POLICY, minified, config={"maxDocumentChars": 1000})


def test_other_organization_policy_types_are_not_scps() -> None:
    tag_policy = {"type": "TAG_POLICY", "content": '{"tags": {}}'}
    assert messages("scp-document-valid", g.ORG_POLICY, tag_policy) == []
    untyped = {"content": '{"Statement": []}'}  # the provider's default type is SERVICE_CONTROL_POLICY
    assert messages("scp-document-valid", g.ORG_POLICY, untyped)


@pytest.mark.parametrize(
    ("duration", "problem"),
    [
        (None, None),
        ("PT8H", None),
        ("PT12H", None),
        ("PT1H30M", None),
        ("PT13H", "longer than PT12H"),
        ("PT12H1M", "longer than PT12H"),
        ("PT30M", "shorter than PT1H"),
        ("8 hours", "not an ISO 8601 duration"),
    ],
)
def test_permission_set_session_duration(duration: str | None, problem: str | None) -> None:
    props = {"name": "ps"} if duration is None else {"name": "ps", "sessionDuration": duration}
    found = messages("permission-set-session-duration", g.PERMISSION_SET, props)
    assert found == [] if problem is None else any(problem in m for m in found), found


def test_the_longest_session_is_configurable() -> None:
    eight_hours = {"sessionDuration": "PT8H"}
    shorter = {"maxSessionDuration": "PT4H"}
    found = messages("permission-set-session-duration", g.PERMISSION_SET, eight_hours, config=shorter)
    assert found == ["sessionDuration PT8H is longer than PT4H"]


ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@pytest.mark.parametrize(("days", "ok"), [(14, True), (1, True), (None, False), (0, False)])
def test_log_groups_have_retention(days: int | None, ok: bool) -> None:
    props = {"name": "/ecs/tasks"} if days is None else {"name": "/ecs/tasks", "retentionInDays": days}
    assert (messages("log-group-retention", g.LOG_GROUP, props) == []) is ok


@pytest.mark.parametrize(
    ("type_", "props", "ok"),
    [
        ("aws:lb/loadBalancer:LoadBalancer", {"dropInvalidHeaderFields": True}, True),
        ("aws:lb/loadBalancer:LoadBalancer", {"loadBalancerType": "application"}, False),
        ("aws:alb/loadBalancer:LoadBalancer", {"dropInvalidHeaderFields": False}, False),
        ("aws:lb/loadBalancer:LoadBalancer", {"loadBalancerType": "network"}, True),
    ],
)
def test_application_load_balancers_drop_invalid_headers(type_: str, props: dict[str, Any], ok: bool) -> None:
    assert (messages("alb-drop-invalid-headers", type_, props) == []) is ok


def test_resource_rules_ignore_other_types() -> None:
    assert messages("cognito-mfa-totp", g.RDS_CLUSTER, {}) == []


# ------------------------------------------------------------------------------------------------
# Stack rules, one by one
# ------------------------------------------------------------------------------------------------


def organization(
    quarantine: dict[str, Any] | None = QUARANTINE,
    target: str = "Suspended",
) -> list[PolicyResource]:
    org = resource(g.ORGANIZATION, "org", {"id": "o-example"}, stack="org")
    ous = [
        resource(g.ORGANIZATIONAL_UNIT, f"ou-{n.lower()}", {"id": f"ou-{n.lower()}", "name": n}, stack="org")
        for n in ("Workloads", "Suspended")
    ]
    found: list[PolicyResource] = [org, *ous]
    deny_list = resource(g.ORG_POLICY, "deny-list", {"id": "p-deny", **scp(DENY_LIST)}, stack="org")
    found += [
        deny_list,
        resource(
            g.ORG_POLICY_ATTACHMENT,
            "deny-list-workloads",
            {"policyId": "p-deny", "targetId": "ou-workloads"},
            stack="org",
        ),
    ]
    if quarantine is not None:
        found += [
            resource(g.ORG_POLICY, "quarantine", {"id": "p-quarantine", **scp(quarantine)}, stack="org"),
            resource(
                g.ORG_POLICY_ATTACHMENT,
                "quarantine-attachment",
                {"policyId": "p-quarantine", "targetId": f"ou-{target.lower()}"},
                stack="org",
            ),
        ]
    return found


def quarantine_with(**statement: Any) -> dict[str, Any]:
    base = dict(QUARANTINE["Statement"][0])
    base.update(statement)
    return {"Version": "2012-10-17", "Statement": [{k: v for k, v in base.items() if v is not None}]}


def test_suspended_ou_holds_the_quarantine() -> None:
    assert g.check_stack("suspended-ou-quarantined", organization(), stack="org") == []


@pytest.mark.parametrize(
    ("resources", "problem"),
    [
        (organization(quarantine=None), "has no SCP attached"),
        (organization(target="Workloads"), "has no SCP attached"),
        (organization(quarantine=DENY_LIST), "has no SCP attached"),
        (organization(quarantine=quarantine_with(Condition=None)), "has no SCP attached"),  # no exemption
        (organization(quarantine=quarantine_with(Action="s3:*")), "has no SCP attached"),
        (
            organization(
                quarantine=quarantine_with(
                    Condition={"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}
                )
            ),
            "has no SCP attached",
        ),
        (
            organization(
                quarantine=quarantine_with(
                    Condition={
                        "ArnNotLike": {
                            "aws:PrincipalArn": "arn:aws:iam::*:role/OrganizationAccountAccessRole"
                        },
                        "StringEquals": {"aws:RequestedRegion": "us-east-1"},
                    }
                )
            ),
            "has no SCP attached",
        ),
        ([r for r in organization() if r.name != "ou-suspended"], "no OU named 'Suspended'"),
    ],
)
def test_suspended_ou_without_a_real_quarantine_is_caught(
    resources: list[PolicyResource], problem: str
) -> None:
    findings = g.check_stack("suspended-ou-quarantined", resources, stack="org")
    assert findings and problem in findings[0][0], findings


def test_quarantine_rule_names_and_role_are_configurable() -> None:
    assert g.check_stack(
        "suspended-ou-quarantined", organization(), stack="org", config={"accessRoleName": "LandingZoneAdmin"}
    )
    assert g.check_stack("suspended-ou-quarantined", [resource(g.USER_POOL, "pool", {})]) == []


def test_quarantine_is_found_through_property_dependencies_during_preview() -> None:
    """In a preview, ids of new resources are unknown; the engine's property dependencies still link them."""
    org = organization()
    unknown = {"policyId": UNKNOWN_STRING_VALUE, "targetId": UNKNOWN_STRING_VALUE}
    by_name = {r.name: r for r in org}
    attachment = resource(
        g.ORG_POLICY_ATTACHMENT,
        "quarantine-attachment",
        unknown_checking_proxy(unknown),
        stack="org",
        deps={"policyId": [by_name["quarantine"]], "targetId": [by_name["ou-suspended"]]},
    )
    resources = [r for r in org if r.name != "quarantine-attachment"] + [attachment]
    assert g.check_stack("suspended-ou-quarantined", resources, stack="org") == []


def network(
    *,
    internal: bool = False,
    listener_port: int | None = 443,
    group_ingress: list[dict[str, Any]] | None = None,
    extra: list[PolicyResource] | None = None,
) -> list[PolicyResource]:
    alb_group = resource(g.SECURITY_GROUP, "alb-sg", {"id": "sg-alb", "ingress": group_ingress or []})
    service_group = resource(g.SECURITY_GROUP, "service-sg", {"id": "sg-service", "ingress": []})
    alb = resource(
        "aws:lb/loadBalancer:LoadBalancer",
        "alb",
        {
            "id": "alb",
            "arn": "arn:alb",
            "internal": internal,
            "securityGroups": ["sg-alb"],
            "subnets": ["subnet-a", "subnet-b"],
            "dropInvalidHeaderFields": True,
        },
    )
    found = [alb_group, service_group, alb]
    if listener_port is not None:
        found.append(
            resource(
                "aws:lb/listener:Listener", "https", {"loadBalancerArn": "arn:alb", "port": listener_port}
            )
        )
    return found + (extra or [])


def open_rule(
    port: int, group: str = "sg-alb", cidr: str = "0.0.0.0/0", protocol: str = "tcp"
) -> PolicyResource:
    return resource(
        g.SECURITY_GROUP_INGRESS_RULE,
        f"open-{port}-{group}",
        {
            "securityGroupId": group,
            "ipProtocol": protocol,
            "fromPort": port,
            "toPort": port,
            ("cidrIpv6" if ":" in cidr else "cidrIpv4"): cidr,
        },
    )


def test_public_listener_ports_may_be_open() -> None:
    assert (
        g.check_stack("no-public-ingress", network(extra=[open_rule(443), open_rule(443, cidr="::/0")])) == []
    )
    inline = [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}]
    assert g.check_stack("no-public-ingress", network(group_ingress=inline)) == []
    rule = resource(
        g.SECURITY_GROUP_RULE,
        "legacy",
        {
            "type": "ingress",
            "securityGroupId": "sg-alb",
            "protocol": "tcp",
            "fromPort": 443.0,
            "toPort": 443.0,
            "cidrBlocks": ["0.0.0.0/0"],
        },
    )
    assert g.check_stack("no-public-ingress", network(extra=[rule])) == []


@pytest.mark.parametrize(
    ("resources", "problem"),
    [
        (network(extra=[open_rule(22)]), "admits 0.0.0.0/0 on port 22"),
        (network(extra=[open_rule(443, protocol="-1")]), "on all ports"),
        (network(extra=[open_rule(80)]), "only TCP [443]"),  # no listener on 80
        (network(internal=True, extra=[open_rule(443)]), "fronts no internet-facing"),
        (network(extra=[open_rule(443, group="sg-service")]), "fronts no internet-facing"),
        (network(extra=[open_rule(5432, cidr="::/0", group="sg-service")]), "admits ::/0 on port 5432"),
        (network(listener_port=8080, extra=[open_rule(8080)]), "fronts no internet-facing"),  # not in 80/443
        (
            network(
                group_ingress=[
                    {
                        "protocol": "tcp",
                        "fromPort": 0,
                        "toPort": 65535,
                        "cidrBlocks": ["10.0.0.0/8", "0.0.0.0/0"],
                    }
                ]
            ),
            "ports 0-65535",
        ),
        (network(extra=[open_rule(443, group="sg-elsewhere")]), "not in this stack"),
        (
            network(
                extra=[
                    resource(
                        g.SECURITY_GROUP_RULE,
                        "r",
                        {
                            "type": "ingress",
                            "securityGroupId": "sg-alb",
                            "protocol": "-1",
                            "fromPort": 0,
                            "toPort": 0,
                            "cidrBlocks": ["0.0.0.0/0"],
                        },
                    )
                ]
            ),
            "all ports",
        ),
    ],
)
def test_open_ingress_elsewhere_is_caught(resources: list[PolicyResource], problem: str) -> None:
    findings = g.check_stack("no-public-ingress", resources)
    assert len(findings) == 1 and problem in findings[0][0], findings
    assert findings[0][1] is not None  # the resource at fault is named


def test_egress_and_private_ingress_are_not_this_rules_business() -> None:
    egress = resource(
        g.SECURITY_GROUP_RULE,
        "egress",
        {"type": "egress", "securityGroupId": "sg-service", "protocol": "-1", "cidrBlocks": ["0.0.0.0/0"]},
    )
    private = open_rule(5432, group="sg-service", cidr="10.0.0.0/16")
    assert g.check_stack("no-public-ingress", network(extra=[egress, private])) == []
    assert g.check_stack(
        "no-public-ingress", network(extra=[open_rule(8443)]), config={"publicPorts": [8443]}
    )  # a port with no listener stays closed


def test_public_ports_are_configurable() -> None:
    resources = network(listener_port=8443, extra=[open_rule(8443)])
    assert g.check_stack("no-public-ingress", resources)
    assert g.check_stack("no-public-ingress", resources, config={"publicPorts": [8443]}) == []


def test_explicit_pinned_providers() -> None:
    pool = resource(g.USER_POOL, "pool", {})
    assert g.check_stack("explicit-account-providers", [pool]) == []
    default = PolicyProviderResource(
        g.AWS_PROVIDER,
        {"region": "us-east-1"},
        "urn:pulumi:pre::landing-zone::pulumi:providers:aws::default_7_51_1",
        "default_7_51_1",
    )
    unpinned = PolicyProviderResource(
        g.AWS_PROVIDER,
        {"region": "us-east-1"},
        "urn:pulumi:pre::landing-zone::pulumi:providers:aws::loose",
        "loose",
    )
    empty = PolicyProviderResource(
        g.AWS_PROVIDER,
        {"allowedAccountIds": "[]"},
        "urn:pulumi:pre::landing-zone::pulumi:providers:aws::empty",
        "empty",
    )
    cases = {
        "default AWS provider": resource(g.USER_POOL, "a", {}, provider=default),
        "default AWS provider,": resource(g.USER_POOL, "b", {}, provider=None),
        "sets no allowedAccountIds": resource(g.USER_POOL, "c", {}, provider=unpinned),
        "sets no allowedAccountIds.": resource(g.USER_POOL, "d", {}, provider=empty),
    }
    for expected, bad in cases.items():
        findings = g.check_stack("explicit-account-providers", [pool, bad])
        assert [urn for _m, urn in findings] == [bad.urn]
        assert expected.rstrip(",.") in findings[0][0]
    component = resource("awsx:ec2:Vpc", "vpc", {}, provider=None)
    assert g.check_stack("explicit-account-providers", [component]) == []
    assert (
        g.check_stack(
            "explicit-account-providers",
            [cases["sets no allowedAccountIds"]],
            config={"exemptStacks": ["pre"]},
        )
        == []
    )


def test_allowed_regions() -> None:
    pool = resource(g.USER_POOL, "pool", {})
    assert g.check_stack("allowed-regions", [pool]) == []
    elsewhere = PolicyProviderResource(
        g.AWS_PROVIDER,
        {"region": "eu-west-1", "allowedAccountIds": '["2"]'},
        "urn:pulumi:pre::landing-zone::pulumi:providers:aws::eu",
        "eu",
    )
    [(message, urn)] = g.check_stack(
        "allowed-regions", [resource(g.USER_POOL, "eu-pool", {}, provider=elsewhere)]
    )
    assert "eu-west-1" in message and str(urn).endswith("::eu-pool")
    assert (
        g.check_stack(
            "allowed-regions",
            [resource(g.USER_POOL, "eu-pool", {}, provider=elsewhere)],
            config={"allowedRegions": ["us-east-1", "eu-west-1"]},
        )
        == []
    )
    no_region = resource(g.AWS_PROVIDER, "ambient", {"allowedAccountIds": '["2"]'}, provider=None)
    [(message, _urn)] = g.check_stack("allowed-regions", [no_region])
    assert "sets no region" in message


# ------------------------------------------------------------------------------------------------
# Idle cost
# ------------------------------------------------------------------------------------------------

PRICES = g.load_prices()
HOURS = PRICES["hoursPerMonth"]


def priced_environment(
    *, nat_gateways: int = 1, min_acu: float = 0.5, tasks: int = 2
) -> list[PolicyResource]:
    vpc = resource(
        g.AWSX_VPC, "vpc", {"natGateways": {"strategy": "OnePerAz"}, "numberOfAvailabilityZones": 2}
    )
    nats = [
        resource(g.NAT_GATEWAY, f"nat-{i}", {"connectivityType": "public"}, parent=vpc)
        for i in range(nat_gateways)
    ]
    eips = [resource(g.ELASTIC_IP, f"eip-{i}", {"domain": "vpc"}, parent=vpc) for i in range(nat_gateways)]
    return [
        vpc,
        *nats,
        *eips,
        *network(),
        resource(
            g.RDS_CLUSTER,
            "db",
            {
                "id": "tasks-db",
                "clusterIdentifier": "tasks-db",
                **AURORA,
                "serverlessv2ScalingConfiguration": {"minCapacity": min_acu, "maxCapacity": 8},
            },
        ),
        resource(
            g.RDS_CLUSTER_INSTANCE,
            "db-writer",
            {"clusterIdentifier": "tasks-db", "instanceClass": "db.serverless"},
        ),
        resource(g.TASK_DEFINITION, "task", {"arn": "arn:td:1", "cpu": "256", "memory": "512", **ARM_TASK}),
        resource(
            g.ECS_SERVICE,
            "service",
            {"name": "tasks", "taskDefinition": "arn:td:1", "desiredCount": 1, "launchType": "FARGATE"},
        ),
        resource(
            g.AUTOSCALING_TARGET,
            "scaling",
            {
                "resourceId": "service/cluster/tasks",
                "minCapacity": tasks,
                "scalableDimension": "ecs:service:DesiredCount",
            },
        ),
    ]


def test_idle_cost_estimate_adds_up_the_price_table() -> None:
    hourly = PRICES["hourly"]
    estimate = g.estimate_idle_cost(priced_environment())
    expected = HOURS * (
        hourly["natGateway"]
        + hourly["loadBalancer"]
        + 0.5 * hourly["auroraServerlessV2Acu"]
        + 2 * (0.25 * hourly["fargateArm64Vcpu"] + 0.5 * hourly["fargateArm64Gb"])
        + 3 * hourly["publicIpv4Address"]  # the NAT gateway's address, and one per ALB subnet
    )
    assert estimate.total == pytest.approx(expected, abs=0.02)
    items = {line.item: line.quantity for line in estimate.lines}
    assert items == {
        "NAT gateways": 1,
        "load balancers": 1,
        "Aurora Serverless v2 minimum": 0.5,
        "Fargate arm64 vCPU": 0.5,
        "Fargate arm64 memory": 1.0,
        "public IPv4 addresses": 3,
    }


def test_idle_cost_of_an_awsx_vpc_comes_from_its_inputs_when_its_children_are_not_visible() -> None:
    """Under mocks an awsx VPC is one opaque resource; under the engine its NAT gateways are counted."""
    without_children = [
        r for r in priced_environment() if r.resource_type not in (g.NAT_GATEWAY, g.ELASTIC_IP)
    ]
    items = {line.item: line.quantity for line in g.estimate_idle_cost(without_children).lines}
    assert items["NAT gateways"] == 2 and items["public IPv4 addresses"] == 4
    single = [r for r in without_children if r.resource_type != g.AWSX_VPC] + [
        resource(g.AWSX_VPC, "vpc", {"natGateways": {"strategy": "None"}})
    ]
    assert "NAT gateways" not in {line.item for line in g.estimate_idle_cost(single).lines}


def test_auto_paused_aurora_and_scaled_to_zero_cost_nothing_idle() -> None:
    items = {line.item for line in g.estimate_idle_cost(priced_environment(min_acu=0, tasks=0)).lines}
    assert not items & {"Aurora Serverless v2 minimum", "Fargate arm64 vCPU", "Fargate arm64 memory"}


def test_idle_cost_is_advisory_over_the_threshold() -> None:
    about_140 = priced_environment()  # 1 NAT, 1 ALB, 0.5 ACU, 2 small tasks, 3 addresses
    assert 100 < g.estimate_idle_cost(about_140).total < 150
    [(message, urn)] = g.check_stack("idle-cost-estimate", about_140, stack="pre")
    assert urn is None and "over the threshold of $50.00/month" in message and "NAT gateways 1" in message
    assert g.check_stack("idle-cost-estimate", about_140, stack="prod") == []  # production: $300
    [(message, _urn)] = g.check_stack(
        "idle-cost-estimate", priced_environment(nat_gateways=3, min_acu=4), stack="prod"
    )
    assert "over the threshold of $300.00/month" in message and "NAT gateways 3" in message
    assert (
        g.check_stack("idle-cost-estimate", about_140, stack="pre", config={"monthlyThresholdUsd": 150}) == []
    )
    assert g.check_stack(
        "idle-cost-estimate",
        about_140,
        stack="live",
        config={"productionStacks": ["live"], "productionMonthlyThresholdUsd": 100},
    )
    assert g.RULES_BY_NAME["idle-cost-estimate"].enforcement.value == "advisory"


# ------------------------------------------------------------------------------------------------
# The pack's policies and config
# ------------------------------------------------------------------------------------------------


def test_policies_are_built_from_the_rules_with_config_schemas() -> None:
    assert [policy.name for policy in g.POLICIES] == [rule.name for rule in g.RULES]
    assert len(set(g.RULES_BY_NAME)) == len(g.RULES)
    for policy, rule in zip(g.POLICIES, g.RULES, strict=True):
        if rule.config:
            assert policy.config_schema is not None
            assert all("default" in schema for schema in policy.config_schema.properties.values())
    kinds = {type(p).__name__ for p in g.POLICIES}
    assert kinds == {"ResourceValidationPolicy", "StackValidationPolicy"}


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"no-such-policy": {}}, "unknown policy 'no-such-policy'"),
        ({"scp-document-valid": {"maxChars": 1}}, "scp-document-valid.maxChars: unknown setting"),
        ({"scp-document-valid": {"maxDocumentChars": "big"}}, "expected integer"),
        ({"scp-document-valid": {"checkActions": 1}}, "expected boolean"),
        ({"scp-document-valid": "sometimes"}, "enforcement level 'sometimes'"),
        ({"allowed-regions": ["us-east-1"]}, "must be an enforcement level or an object"),
    ],
)
def test_bad_policy_config_is_one_line(config: dict[str, Any], problem: str) -> None:
    with pytest.raises(g.GuardrailConfigError) as error:
        g.resolve_config(config)
    assert problem in str(error.value) and "\n" not in str(error.value)


# ------------------------------------------------------------------------------------------------
# The whole programs, recorded under mocks
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recordings() -> dict[str, Recording]:
    """org, and each environment stack whose file exists, fed the org stack's outputs (the frozen copies:
    the rules are under test here, once per module)."""
    org_recording = run_stack("org")
    found = {"org": org_recording}
    for stack in ("cicd", "pre", "prod"):
        if not (FIXTURE_STACKS / stack_config.stack_file(stack)).is_file():
            continue
        raw = stack_values(stack)
        found[stack] = run_stack(stack, stack_outputs={raw["orgStack"]: org_recording.outputs})
    # The security stack's real program on its frozen file (tests/fixtures/security), reading the frozen
    # org with the log readers' permission set (tests/configs.py security_org_config).
    security = security_values()
    security_org = run_stack("org", security_org_config())
    found["security"] = run_stack("security", security,
                                  stack_outputs={security["orgStack"]: security_org.outputs})
    return found


ENV_STACKS = ("pre", "prod")
# The policy config plan and the driver derive from the stack files (the org file's accepted IAM risks).
DERIVED = policy_config.derive(FIXTURE_STACKS)


def derived(config: dict[str, Any]) -> dict[str, Any]:
    return policy_config.merge(DERIVED, config)


def recording_of(recordings: dict[str, Recording], stack: str) -> Recording:
    if stack not in recordings:
        pytest.fail(f"Pulumi.{stack}.yaml is missing: the environment stacks are part of the contract")
    return recordings[stack]


@pytest.mark.parametrize("stack", ["org", "cicd", *ENV_STACKS])
def test_the_real_programs_have_no_violations(recordings: dict[str, Recording], stack: str) -> None:
    violations = g.check_recording(recording_of(recordings, stack), DERIVED)
    assert violations == [], "\n".join(map(str, violations))


def test_the_real_programs_are_what_the_rules_look_at(recordings: dict[str, Recording]) -> None:
    """Zero violations means something only if the rules' resources are there."""
    org = recordings["org"]
    for type_ in (
        g.ORG_POLICY,
        g.ORG_POLICY_ATTACHMENT,
        g.ORGANIZATIONAL_UNIT,
        g.PERMISSION_SET,
        g.PERMISSION_SET_INLINE_POLICY,
    ):
        assert org.of_type(type_), type_
    for stack in ENV_STACKS:
        environment = recording_of(recordings, stack)
        for type_ in (
            g.USER_POOL,
            g.TASK_DEFINITION,
            g.RDS_CLUSTER,
            g.RDS_CLUSTER_INSTANCE,
            g.SECURITY_GROUP,
            g.SECURITY_GROUP_INGRESS_RULE,
            g.LOG_GROUP,
            "aws:lb/loadBalancer:LoadBalancer",
            "aws:lb/listener:Listener",
            g.ECS_SERVICE,
            g.AWS_PROVIDER,
        ):
            assert environment.of_type(type_), f"{stack}: {type_}"
    # the cost estimate sees what an environment runs while idle
    prod = g.estimate_recording_cost(recordings["prod"])
    assert {"load balancers", "Aurora Serverless v2 minimum", "Fargate arm64 vCPU"} <= {
        line.item for line in prod.lines
    }


Fault = Callable[[Recording], None]


def _edit(
    recording: Recording, type_: str, change: Callable[[dict[str, Any]], None], name: str | None = None
) -> RecordedResource:
    """Apply ``change`` to the inputs and the recorded state of the first resource of ``type_``."""
    targets = [r for r in recording.of_type(type_) if name is None or name in r.name]
    if not targets:
        pytest.fail(f"the {recording.stack} program declares no {type_}: the fault has nothing to go into")
    target = targets[0]
    change(target.inputs)
    change(target.outputs)
    return target


def _statement_change(**statement: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        document = json.loads(props["content"])
        document["Statement"][0].update(statement)
        props["content"] = documents.minify(document)

    return change


def _open_to_internet(port: int) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        props["ingress"] = [
            *props.get("ingress", []),
            {"protocol": "tcp", "fromPort": port, "toPort": port, "cidrBlocks": ["0.0.0.0/0"]},
        ]

    return change


def _unpin_provider(recording: Recording) -> RecordedResource:
    user = next(r for r in recording.resources if r.type.startswith("aws:") and r.provider)
    provider = recording.by_urn(str(user.provider))
    provider.inputs.pop("allowedAccountIds")
    provider.outputs.pop("allowedAccountIds")
    return user


def _default_provider(recording: Recording) -> RecordedResource:
    target = next(r for r in recording.resources if r.type.startswith("aws:"))
    target.provider = None
    return target


def _region(recording: Recording) -> RecordedResource:
    provider = recording.of_type(g.AWS_PROVIDER)[0]
    provider.inputs["region"] = provider.outputs["region"] = "ap-southeast-2"
    return provider


def _break_glass_user(recording: Recording) -> RecordedResource:
    return next(u for u in recording.of_type("aws:iam/user:User") if u.inputs.get("path") == "/break-glass/")


def _mfa_only_when_present(recording: Recording) -> RecordedResource:
    """The MFA deny with Bool instead of BoolIfExists: long-term credentials (no MFA key) get through."""
    def change(props: dict[str, Any]) -> None:
        document = json.loads(props["policy"])
        document["Statement"][0]["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "false"}}
        props["policy"] = documents.minify(document)

    _edit(recording, "aws:iam/groupPolicy:GroupPolicy", change, name="break-glass-require-mfa")
    return _break_glass_user(recording)


def _break_glass_user_outside_the_group(recording: Recording) -> RecordedResource:
    user = _break_glass_user(recording)
    _edit(recording, "aws:iam/groupMembership:GroupMembership",
          lambda p: p.update(users=[u for u in p["users"] if u != user.inputs["name"]]), name="break-glass")
    return user


def _detach_quarantine(recording: Recording) -> RecordedResource:
    suspended = next(
        r for r in recording.of_type(g.ORGANIZATIONAL_UNIT) if r.inputs.get("name") == "Suspended"
    )
    recording.resources = [
        r
        for r in recording.resources
        if not (r.type == g.ORG_POLICY_ATTACHMENT and r.inputs.get("targetId") == suspended.id)
    ]
    return suspended


def _expensive_database(recording: Recording) -> None:
    _edit(
        recording,
        g.RDS_CLUSTER,
        _set(serverlessv2ScalingConfiguration={"minCapacity": 64, "maxCapacity": 128}),
    )


def _aws_rejects_too(
    fault: Callable[[Recording], RecordedResource | None],
) -> Callable[[Recording], RecordedResource | None]:
    """Marks a fault that AWS's API rejects too, so rule ``aws-api-values`` reports it as well."""
    fault.aws_rejects_too = True  # type: ignore[attr-defined]
    return fault


# --- faults of the cicd stack's trust policies -----------------------------------------------------------


def _access_key(recording: Recording) -> RecordedResource:
    """An IAM user access key appended to the stack (the program declares none)."""
    role = recording.of_type("aws:iam/role:Role")[0]
    key = copy.deepcopy(role)
    key.type, key.name = "aws:iam/accessKey:AccessKey", "ci-key"
    key.urn = role.urn.replace("aws:iam/role:Role::" + role.name, "aws:iam/accessKey:AccessKey::ci-key")
    key.inputs = key.outputs = {"user": "ci"}
    recording.resources.append(key)
    return key


def _edit_trust(
    recording: Recording, name: str, change: Callable[[dict[str, Any]], None]
) -> RecordedResource:
    [role] = [r for r in recording.of_type("aws:iam/role:Role") if r.name == name]
    for props in (role.inputs, role.outputs):
        document = json.loads(props["assumeRolePolicy"])
        change(document["Statement"][0])
        props["assumeRolePolicy"] = json.dumps(document)
    return role


def _wildcard_repository(statement: dict[str, Any]) -> None:
    equal = statement["Condition"].pop("StringEquals")
    key = next(k for k in equal if k.endswith(":sub"))
    statement["Condition"] = {"StringEquals": {k: v for k, v in equal.items() if k != key},
                              "StringLike": {key: "repo:example-org/*:ref:refs/heads/main"}}


def _no_audience(statement: dict[str, Any]) -> None:
    equal = statement["Condition"]["StringEquals"]
    del equal[next(k for k in equal if k.endswith(":aud"))]


def _no_subject(statement: dict[str, Any]) -> None:
    equal = statement["Condition"]["StringEquals"]
    del equal[next(k for k in equal if k.endswith(":sub"))]


def _trust_role(role_name: str) -> Callable[[dict[str, Any]], None]:
    def change(statement: dict[str, Any]) -> None:
        account = statement["Principal"]["AWS"].split(":")[4]
        statement["Principal"]["AWS"] = f"arn:aws:iam::{account}:role/{role_name}"
    return change


def _no_external_id(statement: dict[str, Any]) -> None:
    del statement["Condition"]


def _managed_key(props: dict[str, Any]) -> None:
    props["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] = "alias/aws/s3"


_AUTO = "autoEnableOrganizationMembers"


# (rule, stack, fault): the fault edits a copy of the recording and returns the resource at fault, or
# None when the violation is the stack's as a whole.
FAULTS: list[tuple[str, str, Callable[[Recording], RecordedResource | None]]] = [
    (
        "scp-document-valid",
        "org",
        lambda r: _edit(r, g.ORG_POLICY, _statement_change(Effect="Maybe"), name="guardrails"),
    ),
    (
        "scp-document-valid",
        "org",
        _aws_rejects_too(
            lambda r: _edit(
                r,
                g.ORG_POLICY,
                lambda p: p.update(content=json.dumps(json.loads(p["content"]), indent=12)),
                name="guardrails",
            )
        ),
    ),
    ("suspended-ou-quarantined", "org", _detach_quarantine),
    ("break-glass-mfa-required", "org", _mfa_only_when_present),
    ("break-glass-mfa-required", "org", _break_glass_user_outside_the_group),
    (
        "suspended-ou-quarantined",
        "org",
        lambda r: (
            _edit(
                r,
                g.ORG_POLICY,
                _statement_change(Condition={"ArnNotLike": {"aws:PrincipalArn": "*"}}),
                name="quarantine",
            ),
            next(o for o in r.of_type(g.ORGANIZATIONAL_UNIT) if o.inputs.get("name") == "Suspended"),
        )[1],
    ),
    (
        "permission-set-session-duration",
        "org",
        _aws_rejects_too(lambda r: _edit(r, g.PERMISSION_SET, _set(sessionDuration="PT24H"))),
    ),
    (
        "aws-api-values",
        "org",
        lambda r: _edit(r, "aws:organizations/account:Account", _set(email="sandbox at example.com")),
    ),
    (
        "iam-privilege-escalation",
        "org",
        lambda r: (
            _edit(r, g.PERMISSION_SET_INLINE_POLICY, _set(inlinePolicy=json.dumps(ADMIN))),
            r.of_type(g.PERMISSION_SET)[0],  # the finding names the permission set that holds the policy
        )[1],
    ),
    ("explicit-account-providers", "org", _default_provider),
    ("allowed-regions", "org", _region),
    ("no-iam-access-keys", "cicd", _access_key),
    ("org-trail-required", "security", lambda r: _edit(r, TRAIL, _set(isMultiRegionTrail=False))),
    ("org-trail-required", "security", lambda r: _edit(r, TRAIL, _set(enableLogFileValidation=None))),
    ("log-bucket-protected", "security", lambda r: _edit(r, BUCKET_ENCRYPTION[0], _managed_key)),
    (
        "log-bucket-protected",
        "security",
        lambda r: _edit(r, BUCKET_VERSIONING[0], _set(versioningConfiguration={"status": "Suspended"})),
    ),
    ("guardduty-auto-enable", "security", lambda r: _edit(r, GUARDDUTY_ORG_CONFIG, _set(**{_AUTO: "NEW"}))),
    ("oidc-trust-pinned", "cicd", lambda r: _edit_trust(r, "ci-pre", _wildcard_repository)),
    ("oidc-trust-pinned", "cicd", lambda r: _edit_trust(r, "ci-prod", _no_audience)),
    ("oidc-trust-pinned", "cicd", lambda r: _edit_trust(r, "ci-prod", _no_subject)),
    (
        "deploy-role-trust",
        "cicd",
        lambda r: _edit_trust(r, "deploy-pre-sandbox", _trust_role("landing-zone-ci-prod")),
    ),
    ("deploy-role-trust", "cicd", lambda r: _edit_trust(r, "deploy-prod-idp-prod", _trust_role("*"))),
    ("deploy-role-trust", "cicd", lambda r: _edit_trust(r, "deploy-prod-idp-prod", _no_external_id)),
    *[
        (rule, stack, fault)
        for stack in ENV_STACKS
        for rule, fault in [
            ("cognito-mfa-totp", lambda r: _edit(r, g.USER_POOL, _set(mfaConfiguration="OPTIONAL"))),
            ("cognito-mfa-totp", lambda r: _edit(r, g.USER_POOL, _set(softwareTokenMfaConfiguration=None))),
            ("explicit-account-providers", _unpin_provider),
            ("explicit-account-providers", _default_provider),
            ("allowed-regions", _region),
            (
                "ecs-tasks-arm64",
                lambda r: _edit(r, g.TASK_DEFINITION, _set(runtimePlatform={"cpuArchitecture": "X86_64"})),
            ),
            (
                "aurora-serverless-v2-baseline",
                lambda r: _edit(r, g.RDS_CLUSTER, _set(storageEncrypted=False)),
            ),
            (
                "aurora-serverless-v2-baseline",
                lambda r: _edit(r, g.RDS_CLUSTER, _set(masterPassword=None)),
            ),
            (
                "aurora-serverless-v2-baseline",
                lambda r: _edit(r, g.RDS_CLUSTER, _set(serverlessv2ScalingConfiguration=None)),
            ),
            ("no-public-ingress", lambda r: _edit(r, g.SECURITY_GROUP, _open_to_internet(5432))),
            ("log-group-retention", lambda r: _edit(r, g.LOG_GROUP, _set(retentionInDays=None))),
            (
                "alb-drop-invalid-headers",
                lambda r: _edit(r, "aws:lb/loadBalancer:LoadBalancer", _set(dropInvalidHeaderFields=False)),
            ),
            ("idle-cost-estimate", lambda r: _expensive_database(r)),
            (
                "aws-api-values",
                lambda r: _edit(r, g.SECURITY_GROUP, _set(description="the service's tasks")),
            ),
            (
                "aws-api-values",
                lambda r: _edit(
                    r, "aws:apigatewayv2/api:Api", lambda p: p["corsConfiguration"].update(maxAge=172800)
                ),
            ),
        ]
    ],
    # More faults of this rule, one per invariant: tests/test_production_policy.py.
    ("production-invariants", "prod", lambda r: _edit(r, g.RDS_CLUSTER, _set(deletionProtection=False))),
    ("production-invariants", "prod", lambda r: _edit(r, g.RDS_CLUSTER, _set(skipFinalSnapshot=True))),
    ("production-invariants", "prod", lambda r: _edit(r, g.RDS_CLUSTER, _set(finalSnapshotIdentifier=None))),
]


def test_every_rule_has_an_injected_fault() -> None:
    assert {rule for rule, _stack, _fault in FAULTS} == set(g.RULES_BY_NAME)


@pytest.mark.parametrize(
    ("rule", "stack", "fault"),
    FAULTS,
    ids=[f"{rule}-{stack}-{i}" for i, (rule, stack, _f) in enumerate(FAULTS)],
)
def test_an_injected_fault_is_caught_by_its_rule(
    recordings: dict[str, Recording],
    rule: str,
    stack: str,
    fault: Callable[[Recording], RecordedResource | None],
) -> None:
    faulty = copy.deepcopy(recording_of(recordings, stack))
    at_fault = fault(faulty)
    violations = g.check_recording(faulty, DERIVED)
    expected = {rule, "aws-api-values"} if getattr(fault, "aws_rejects_too", False) else {rule}
    assert {v.policy for v in violations} == expected, "\n".join(map(str, violations))
    if at_fault is not None and rule != "idle-cost-estimate":
        assert at_fault.urn in {v.urn for v in violations}


def test_runner_config_levels_and_settings(recordings: dict[str, Recording]) -> None:
    faulty = copy.deepcopy(recordings["org"])
    _edit(faulty, g.PERMISSION_SET, _set(sessionDuration="PT10H"))  # AWS takes it; the rule's PT8H not
    stricter = {"maxSessionDuration": "PT8H"}
    [violation] = g.check_recording(
        faulty, derived({"permission-set-session-duration": {"enforcementLevel": "advisory", **stricter}})
    )
    assert violation.enforcement_level == "advisory" and violation.urn
    assert g.check_recording(faulty, derived({"permission-set-session-duration": "disabled"})) == []
    assert g.check_recording(faulty, DERIVED) == []  # the default maximum is AWS's, PT12H
    assert g.check_recording(faulty, {"all": "disabled"}) == []
    tight = g.check_recording(recordings["org"], derived({"scp-document-valid": {"maxDocumentChars": 100}}))
    assert {v.policy for v in tight} == {"scp-document-valid"} and len(tight) == 2


def test_the_cost_estimate_of_a_recording() -> None:
    estimate = g.estimate_recording_cost(Recording(stack="pre"))
    assert estimate.total == 0 and "nothing billed" in estimate.summary()


# ------------------------------------------------------------------------------------------------
# The pack as the engine runs it: `python __main__.py` in policies/, spoken to over gRPC
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def analyzer() -> Iterator[Any]:
    grpc = pytest.importorskip("grpc")
    from google.protobuf import struct_pb2  # noqa: F401  (imported for the stub's messages)
    from pulumi.runtime.proto import analyzer_pb2_grpc

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    process = subprocess.Popen(
        [sys.executable, "__main__.py"],
        cwd=ROOT / "policies",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode().strip()
        if not line.isdigit():
            process.kill()
            pytest.fail(
                f"the pack did not start: {line} {process.stderr.read().decode() if process.stderr else ''}"
            )
        channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.kill()
        process.wait(timeout=10)
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()


def _struct(values: dict[str, Any]) -> Any:
    from google.protobuf import struct_pb2

    message = struct_pb2.Struct()
    message.update(values)
    return message


def test_the_pack_describes_its_policies_to_the_engine(analyzer: Any) -> None:
    from google.protobuf import empty_pb2

    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == g.PACK_NAME
    assert [p.name for p in info.policies] == [rule.name for rule in g.RULES]
    scp_policy = next(p for p in info.policies if p.name == "scp-document-valid")
    assert "maxDocumentChars" in scp_policy.configSchema.properties


def test_the_engine_gets_violations_from_the_pack(analyzer: Any) -> None:
    from pulumi.runtime.proto import analyzer_pb2

    urn = "urn:pulumi:pre::landing-zone::aws:ecs/taskDefinition:TaskDefinition::tasks"
    provider = analyzer_pb2.AnalyzerProviderResource(
        type=g.AWS_PROVIDER,
        urn="urn:pulumi:pre::landing-zone::pulumi:providers:aws::workload",
        name="workload",
        properties=_struct({"region": "us-east-1", "allowedAccountIds": '["222222222222"]'}),
    )
    response = analyzer.Analyze(
        analyzer_pb2.AnalyzeRequest(
            type=g.TASK_DEFINITION,
            urn=urn,
            name="tasks",
            provider=provider,
            properties=_struct({"family": "tasks", "runtimePlatform": {"cpuArchitecture": "X86_64"}}),
        )
    )
    assert [(d.policyName, d.enforcementLevel) for d in response.diagnostics] == [
        ("ecs-tasks-arm64", analyzer_pb2.MANDATORY)
    ]
    assert "'tasks': runtimePlatform.cpuArchitecture is 'X86_64'" in response.diagnostics[0].message

    pool = analyzer_pb2.AnalyzerResource(
        type=g.USER_POOL,
        urn="urn:pulumi:pre::landing-zone::aws:cognito/userPool:UserPool::pool",
        name="pool",
        properties=_struct({"mfaConfiguration": "ON", "softwareTokenMfaConfiguration": {"enabled": True}}),
        provider=analyzer_pb2.AnalyzerProviderResource(
            type=g.AWS_PROVIDER,
            urn="urn:pulumi:pre::landing-zone::pulumi:providers:aws::default_7_51_1",
            name="default_7_51_1",
            properties=_struct({"region": "us-east-1"}),
        ),
    )
    stack = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[pool]))
    assert [d.policyName for d in stack.diagnostics] == ["explicit-account-providers"]
    assert stack.diagnostics[0].urn == pool.urn
