"""Helpers of the Tasks Service tests (tests/test_tasks_*.py): plans from raw config, a pinned
workload provider, and questions about the recorded security-group rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from components import config
from components.settings.tasks_service import (
    ApiSettings,
    DatabaseSettings,
    FrontendSettings,
    LoadBalancerSettings,
    NetworkSettings,
    ServiceSettings,
    TasksServicePlan,
    resolve_tasks_service,
)
from deploy.simulate import RecordedResource, Recording, simulate

WORKLOAD_ACCOUNT = "222222222222"
REGION = "us-east-1"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
PROVIDER = "pulumi:providers:aws"
# The environment's customer managed keys (components/workload_security.py), as ARNs the components take.
LOGS_KEY = f"arn:aws:kms:{REGION}:{WORKLOAD_ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
DATA_KEY = f"arn:aws:kms:{REGION}:{WORKLOAD_ACCOUNT}:key/66666666-7777-8888-9999-000000000000"


def plan(
    raw: Mapping[str, Any] | None = None, *, environment: str = "pre", production: bool = False
) -> TasksServicePlan:
    """Resolve Tasks Service settings given as a stack file would (camelCase keys per top-level key)."""
    raw = raw or {}
    source = config.stack_file(environment)
    models: dict[str, type[config.Model]] = {
        "network": NetworkSettings,
        "service": ServiceSettings,
        "loadBalancer": LoadBalancerSettings,
        "database": DatabaseSettings,
        "api": ApiSettings,
        "frontend": FrontendSettings,
    }
    settings: dict[str, Any] = {}
    for key, model in models.items():
        try:
            settings[key] = model.model_validate(raw.get(key, {}))
        except Exception as error:  # pydantic ValidationError -> the project's one-line error
            first = error.errors()[0]  # type: ignore[attr-defined]
            raise config.ConfigError(
                source, config._key((key, *first["loc"])), config._message(first)
            ) from None
    return resolve_tasks_service(
        environment=environment,
        production=production,
        source=source,
        network=settings["network"],
        service=settings["service"],
        load_balancer=settings["loadBalancer"],
        database=settings["database"],
        api=settings["api"],
        frontend=settings["frontend"],
    )


def run_with_provider(
    program: Callable[[aws.Provider], Mapping[str, Any]], *, stack: str = "pre"
) -> Recording:
    """Run ``program`` under mocks with an explicit workload provider pinned to one account."""

    def main() -> Mapping[str, Any]:
        provider = aws.Provider("workload", region=REGION, allowed_account_ids=[WORKLOAD_ACCOUNT])
        return program(provider)

    return simulate(stack, main)


def opts(provider: aws.Provider) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(providers={"aws": provider})


def assert_all_on_provider(recording: Recording, account: str = WORKLOAD_ACCOUNT) -> None:
    """Every AWS resource (and every awsx component) uses an explicit provider pinned to ``account``."""
    for resource in recording.resources:
        if resource.is_provider:
            continue
        if resource.custom:
            provider = recording.provider_of(resource)
            assert provider is not None, f"{resource.type} {resource.name} uses the default provider"
            if resource.type.startswith("random:"):  # lives in the state only: no account to pin
                assert provider.type == "pulumi:providers:random", (resource.type, resource.name)
                continue
        elif resource.remote:
            urn = resource.providers.get("aws")
            assert urn, f"remote component {resource.type} {resource.name} gets no aws provider"
            provider = recording.by_urn(urn)
        else:
            continue
        assert provider.provider_setting("allowedAccountIds") == [account], (resource.type, resource.name)


def sg_names(recording: Recording) -> dict[str, str]:
    """Security group id -> resource name."""
    return {sg.id: sg.name for sg in recording.of_type(SG)}


def rule_view(recording: Recording) -> set[tuple[str, str, str, int, int]]:
    """Every rule as (direction, group, peer, from port, to port); groups and peers by resource name."""
    names = sg_names(recording)
    view = set()
    for direction, type_ in (("in", INGRESS), ("out", EGRESS)):
        for rule in recording.of_type(type_):
            inputs = rule.inputs
            peer = inputs.get("referencedSecurityGroupId")
            peer_name = names.get(peer, peer) if peer else inputs.get("cidrIpv4") or inputs.get("cidrIpv6")
            view.add(
                (direction, names.get(inputs["securityGroupId"], inputs["securityGroupId"]), str(peer_name),
                 int(inputs["fromPort"]), int(inputs["toPort"]))
            )
    return view


def by_name(recording: Recording, type_: str, name: str) -> RecordedResource:
    return recording.one(type_, name)
