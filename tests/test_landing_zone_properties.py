"""The landing zone's resource properties that decide what AWS does, each asserted on its own config.

Written against mutation survivors (scripts/mutation_score.py): each test here failed on a mutant of
components/landing_zone.py that the other tests let through.
"""

from __future__ import annotations

import copy
from typing import Any

import pulumi_aws
import pytest

from components import config
from components.landing_zone import LandingZone
from components.settings.landing_zone import DEFAULT_OUS, SECURITY_STACK_PRINCIPALS
from deploy.simulate import Recording
from tests.conftest import run_stack
from tests.test_landing_zone import ACCOUNT, ATTACHMENT, BUDGET, ORG, OU, POLICY  # the type tokens

COMPONENT = "landingzone:organization:LandingZone"


def account_named(recording: Recording, name: str) -> Any:
    return next(a for a in recording.of_type(ACCOUNT) if a.inputs["name"] == name)


def test_budget_alerts_fire_above_a_percentage_of_the_limit(org_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(org_raw)
    raw["accounts"][0]["budget"] = {"monthlyLimitUsd": 12.5, "notify": ["a@example.com", "b@example.com"]}
    recording = run_stack("org", raw)
    (budget,) = recording.of_type(BUDGET)
    sandbox = raw["accounts"][0]["key"]
    assert budget.inputs["name"] == f"{sandbox}-monthly-spend-cap"
    assert budget.inputs["limitAmount"] == "12.5" and budget.inputs["limitUnit"] == "USD"
    # AWS Budgets: a threshold is a percentage of the limit only with thresholdType PERCENTAGE, and the
    # alert fires when spend goes over it with GREATER_THAN (botocore budgets model, Notification).
    assert sorted(
        (n["notificationType"], n["comparisonOperator"], n["threshold"], n["thresholdType"])
        for n in budget.inputs["notifications"]
    ) == [("ACTUAL", "GREATER_THAN", 80, "PERCENTAGE"), ("FORECASTED", "GREATER_THAN", 100, "PERCENTAGE")]
    for notification in budget.inputs["notifications"]:
        assert notification["subscriberEmailAddresses"] == ["a@example.com", "b@example.com"]
    assert budget.parent == recording.one(COMPONENT).urn


def test_only_accounts_with_a_budget_get_one(org_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(org_raw)
    for entry in raw["accounts"]:
        entry.pop("budget", None)
    assert run_stack("org", raw).of_type(BUDGET) == []


def test_accounts_carry_their_tags_or_none(org_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(org_raw)
    raw["accounts"][0]["tags"] = {"team": "platform"}
    raw["accounts"][1].pop("tags", None)
    recording = run_stack("org", raw)
    tagged = account_named(recording, raw["accounts"][0]["name"])
    assert tagged.inputs["tags"] == {"team": "platform"}
    untagged = account_named(recording, raw["accounts"][1]["name"])
    assert not untagged.inputs.get("tags")
    assert tagged.inputs["email"] == "aws+sandbox@example.com"
    assert tagged.parent == recording.one(COMPONENT).urn


def test_scp_description_is_sent_only_when_set(org_raw: dict[str, Any]) -> None:
    raw = {**org_raw, "serviceControlPolicies": [
        {"name": "described", "file": "guardrails.json", "description": "Deny list", "targets": ["Sandbox"]},
        {"name": "plain", "file": "guardrails.json", "targets": ["Sandbox"]},
    ]}
    recording = run_stack("org", raw)
    described = next(p for p in recording.of_type(POLICY) if p.inputs["name"] == "described")
    plain = next(p for p in recording.of_type(POLICY) if p.inputs["name"] == "plain")
    assert described.inputs["description"] == "Deny list"
    assert "description" not in plain.inputs
    component = recording.one(COMPONENT).urn
    assert described.parent == component
    for attachment in recording.of_type(ATTACHMENT):
        assert attachment.parent == component


def test_organization_sends_the_configured_policy_types_and_principals(org_raw: dict[str, Any]) -> None:
    principals = ["sso.amazonaws.com", *SECURITY_STACK_PRINCIPALS, "ram.amazonaws.com"]
    types = ["SERVICE_CONTROL_POLICY", "S3_POLICY", "TAG_POLICY"]
    raw = {**org_raw, "organization": {"awsServiceAccessPrincipals": principals, "enabledPolicyTypes": types}}
    recording = run_stack("org", raw)
    organization = recording.one(ORG)
    assert organization.parent == recording.one(COMPONENT).urn
    assert organization.inputs["awsServiceAccessPrincipals"] == principals
    assert organization.inputs["enabledPolicyTypes"] == types


def test_nested_ous_take_their_last_path_segment_as_name(org_recording: Recording) -> None:
    names = sorted(ou.inputs["name"] for ou in org_recording.of_type(OU))
    assert "SDLC" in names and not any("/" in name for name in names)
    component = org_recording.one(COMPONENT).urn
    assert all(ou.parent == component for ou in org_recording.of_type(OU))


def test_resource_names_derive_from_the_component_and_the_config_keys(org_raw: dict[str, Any]) -> None:
    ous = [*org_raw.get("organizationalUnits", DEFAULT_OUS), "Workloads/Prod/EU"]
    scps = [{"name": "deny", "file": "guardrails.json", "targets": ["Workloads/Prod/EU"]}]
    raw = {**org_raw, "organizationalUnits": ous, "serviceControlPolicies": scps}
    recording = run_stack("org", raw)
    eu = recording.one(OU, "landing-zone-ou-workloads-prod-eu")
    prod = recording.one(OU, "landing-zone-ou-workloads-prod")
    # Three levels deep: the name is the last segment, the parent the OU above it.
    assert eu.inputs["name"] == "EU" and eu.inputs["parentId"] == prod.id
    assert recording.one(ACCOUNT, "landing-zone-account-sandbox").inputs["name"] == "Sandbox"
    assert recording.one(BUDGET, "landing-zone-budget-sandbox").inputs["name"] == "sandbox-monthly-spend-cap"
    policy = recording.one(POLICY, "landing-zone-scp-deny")
    attachment = recording.one(ATTACHMENT, "landing-zone-scp-deny-workloads-prod-eu")
    assert attachment.inputs["policyId"] == policy.id and attachment.inputs["targetId"] == eu.id


def test_the_component_exposes_and_registers_what_it_declared(
    org_raw: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    registered: dict[str, Any] = {}
    zones: list[LandingZone] = []
    original = LandingZone.register_outputs

    def capture(self: LandingZone, outputs: Any) -> None:
        registered.update(outputs)
        zones.append(self)
        original(self, outputs)

    monkeypatch.setattr(LandingZone, "register_outputs", capture)
    run_stack("org", org_raw)
    keys = {entry["key"] for entry in org_raw["accounts"]}
    ous = set(org_raw.get("organizationalUnits", DEFAULT_OUS))
    assert set(registered) == {"accounts", "organizational_units"}
    assert set(registered["accounts"]) == keys and set(registered["organizational_units"]) == ous
    (zone,) = zones
    # What other components and stacks build on: every resource, under its config key.
    assert set(zone.accounts) == keys and set(zone.organizational_units) == ous
    settings = config.load("org", org_raw)
    assert isinstance(settings, config.OrgConfig)
    assert set(zone.policies) == {scp.name for scp in settings.service_control_policies}
    assert len(zone.attachments) == sum(len(scp.targets) for scp in settings.service_control_policies)
    assert all(isinstance(p, pulumi_aws.organizations.Policy) for p in zone.policies.values())
    assert all(isinstance(a, pulumi_aws.organizations.PolicyAttachment) for a in zone.attachments)
    assert set(zone.budgets) == {entry["key"] for entry in org_raw["accounts"] if entry.get("budget")}
