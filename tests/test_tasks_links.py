"""Who may reach whom (components/tasks_links.py): each component owns its group, the stack's one table
declares the links, the rules follow the table, and docs/configuration.md shows the same table."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pulumi_awsx as awsx
import pytest

from components import config
from components.tasks_links import LINKS, Link, RuleSpec, document_rows
from components.tasks_stack import declare_frontend_app, declare_tasks_service
from deploy.simulate import RecordedResource, Recording
from tests.tasks_support import EGRESS, INGRESS, SG, plan, rule_view, run_with_provider

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1"
CLIENT_ID = "4example0client0id00000000"
CERTIFICATE = "arn:aws:acm:us-east-1:222222222222:certificate/0a1b2c3d-1111-2222-3333-444455556666"
FIXTURE = Path(__file__).parent / "fixtures" / "tasks_links_old_urns.json"
# Each peer's group, and the component that owns it, in an environment named "pre".
GROUPS = {
    "vpc_link": ("pre-tasks-api-vpc-link", "landingzone:tasks:TasksApi"),
    "alb": ("pre-tasks-alb", "landingzone:tasks:TasksLoadBalancer"),
    "tasks": ("pre-tasks-service", "landingzone:tasks:TasksService"),
    "database": ("pre-tasks-db", "landingzone:tasks:TasksDatabase"),
}


def _run(raw: dict[str, Any] | None = None, *, environment: str = "pre", links: tuple[Link, ...] = LINKS
         ) -> Recording:
    resolved = plan(raw, environment=environment, production=environment == "prod")

    def program(provider):
        frontend = declare_frontend_app(resolved, provider)
        deployment = declare_tasks_service(
            resolved, provider=provider, awsx_provider=awsx.Provider("workload"), region="us-east-1",
            issuer_url=ISSUER, client_id=CLIENT_ID, frontend=frontend, links=links,
        )
        return deployment.outputs

    return run_with_provider(program, stack=environment)


def _rules(recording: Recording) -> list[RecordedResource]:
    return recording.of_type(INGRESS) + recording.of_type(EGRESS)


def _parent_type(recording: Recording, resource: RecordedResource) -> str:
    assert resource.parent is not None
    return recording.by_urn(resource.parent).type


def test_each_component_owns_one_group_with_no_inline_rules() -> None:
    recording = _run()
    groups = {group.name: _parent_type(recording, group) for group in recording.of_type(SG)}
    assert groups == dict(GROUPS.values())
    for group in recording.of_type(SG):
        assert "ingress" not in group.inputs and "egress" not in group.inputs


@pytest.mark.parametrize("mode", ["private", "public"])
def test_every_link_of_the_table_is_a_rule_on_the_targets_group_naming_the_sources(mode: str) -> None:
    recording = _run({"loadBalancer": {"mode": mode}})
    groups = {group.name: group.id for group in recording.of_type(SG)}
    expected: set[tuple[str, str, str, int, int]] = set()
    ports = {"listener": [80], "listener_ports": [80], "container": [8080], "database": [5432],
             "https": [443]}
    for link in LINKS:
        if link.when not in (None, mode):
            continue
        source = GROUPS[link.source][0] if link.source != "internet" else "0.0.0.0/0"
        target = GROUPS[link.target][0] if link.target != "internet" else "0.0.0.0/0"
        for port in ports[link.port]:
            if link.ingress:
                expected.add(("in", target, source, port, port))
            if link.egress:
                expected.add(("out", source, target, port, port))
    assert rule_view(recording) == expected
    # Wired to the resources, not only to matching names: every peer is a group of this stack.
    for rule in _rules(recording):
        assert rule.inputs["securityGroupId"] in groups.values()
        assert rule.inputs.get("referencedSecurityGroupId", groups["pre-tasks-alb"]) in groups.values()
        assert rule.inputs["ipProtocol"] == "tcp"


def test_no_component_writes_to_another_components_group() -> None:
    recording = _run()
    owner = {group.id: group.parent for group in recording.of_type(SG)}
    rules = _rules(recording)
    assert len(rules) == 7
    for rule in rules:
        # Each rule lives under the component whose group it changes.
        assert rule.parent == owner[rule.inputs["securityGroupId"]], rule.name


def test_the_old_rules_keep_their_names_and_inputs() -> None:
    recording = _run()
    by_name = {rule.name: rule for rule in _rules(recording)}
    assert by_name["pre-tasks-db-from-tasks"].inputs["description"] == (
        "PostgreSQL from the service tasks only"
    )
    assert by_name["pre-tasks-tasks-to-https"].inputs["cidrIpv4"] == "0.0.0.0/0"
    assert "referencedSecurityGroupId" not in by_name["pre-tasks-tasks-to-https"].inputs
    assert by_name["pre-tasks-api-alb-from-vpc-link"].inputs["description"] == (
        "Requests from the HTTP API VPC link only"
    )


def test_public_mode_opens_the_alb_to_the_internet_on_its_listener_ports() -> None:
    recording = _run({"loadBalancer": {"mode": "public"}})
    alb_group = recording.one(SG, "pre-tasks-alb")
    rules = recording.of_type(INGRESS)
    internet = [r for r in rules if r.inputs.get("cidrIpv4")]
    assert [(r.inputs["fromPort"], r.inputs["toPort"], r.inputs["cidrIpv4"]) for r in internet] == [
        (80, 80, "0.0.0.0/0")
    ]
    assert all(r.inputs["securityGroupId"] == alb_group.id for r in internet)
    raw = {"loadBalancer": {"mode": "public", "certificateArn": CERTIFICATE, "domainName": "api.example.com"}}
    with_tls = _run(raw).of_type(INGRESS)
    assert sorted(r.inputs["fromPort"] for r in with_tls if r.inputs.get("cidrIpv4")) == [80, 443]


def test_private_mode_with_https_links_the_vpc_link_on_443() -> None:
    raw = {"loadBalancer": {"certificateArn": CERTIFICATE, "domainName": "api.example.com"}}
    rules = rule_view(_run(raw))
    assert {rule[3] for rule in rules if "pre-tasks-api-vpc-link" in rule[1:3]} == {443}


def test_the_service_and_the_integration_wait_for_the_rules_of_their_links() -> None:
    recording = _run()
    rules = {rule.name: rule.urn for rule in _rules(recording)}
    service = recording.one("aws:ecs/service:Service")
    tasks_rules = {"pre-tasks-alb-to-tasks", "pre-tasks-tasks-from-alb", "pre-tasks-tasks-to-https",
                   "pre-tasks-tasks-to-db", "pre-tasks-db-from-tasks"}
    assert {rules[name] for name in tasks_rules} <= set(service.dependencies)
    integration = recording.one("aws:apigatewayv2/integration:Integration")
    link_rules = {rules["pre-tasks-api-vpc-link-to-alb"], rules["pre-tasks-api-alb-from-vpc-link"]}
    assert link_rules <= set(integration.dependencies)
    assert not (set(rules.values()) - link_rules) & set(integration.dependencies)


def test_changing_the_table_changes_the_rules() -> None:
    database_link = next(link for link in LINKS if link.target == "database")
    alb_to_database = replace(
        database_link, source="alb",
        egress=RuleSpec("tasks-alb-to-db", "ALB to the database"),
        ingress=RuleSpec("tasks-db-from-alb", "PostgreSQL from the ALB"),
    )
    without_internet = (*(link for link in LINKS if link.target != "internet"), alb_to_database)
    rules = rule_view(_run(links=without_internet))
    assert ("out", "pre-tasks-service", "0.0.0.0/0", 443, 443) not in rules
    assert {("out", "pre-tasks-alb", "pre-tasks-db", 5432, 5432),
            ("in", "pre-tasks-db", "pre-tasks-alb", 5432, 5432)} <= rules


def test_a_link_to_a_group_the_mode_lacks_is_refused() -> None:
    vpc_link_always = tuple(replace(link, when=None) if link.source == "vpc_link" else link for link in LINKS)
    with pytest.raises(ValueError, match="no security group for vpc_link in public mode"):
        _run({"loadBalancer": {"mode": "public"}}, links=vpc_link_always)


def test_moved_rules_alias_the_urns_the_old_layout_declared() -> None:
    old = set(json.loads(FIXTURE.read_text(encoding="utf-8"))["urns"])
    for environment in ("pre", "prod"):
        rules = _rules(_run(environment=environment))
        aliases = [alias for rule in rules for alias in rule.aliases]
        assert len(aliases) == 3 and set(aliases) <= old
        # Every rule the old layout declared is still declared, under its URN or through an alias.
        known = {rule.urn for rule in rules} | set(aliases)
        assert {urn for urn in old if f"urn:pulumi:{environment}::" in urn} <= known
        # A moved rule keeps its name and type: only its parent changed.
        for rule in rules:
            for alias in rule.aliases:
                assert alias.endswith(f"::{rule.name}") and rule.type in alias
                assert alias.startswith(f"urn:pulumi:{environment}::{config.PROJECT}::")


def _documented_links() -> list[tuple[str, ...]]:
    text = (config.PROJECT_ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    section = text[text.index("**Who can reach what.**"):]
    table = re.search(r"^\| from \| to \| port \| when \| why \|\n\|[-|]+\|\n((?:\|.*\|\n)+)", section, re.M)
    assert table is not None, "docs/configuration.md: the 'Who can reach what' table is missing"
    return [tuple(cell.strip() for cell in row.strip().strip("|").split("|"))
            for row in table.group(1).splitlines()]


def test_the_documented_table_is_the_stacks_table() -> None:
    assert _documented_links() == document_rows()
