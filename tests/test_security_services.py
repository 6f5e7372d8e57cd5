"""Delegated security services (stack ``security``): which account each resource is created in, the
order AWS needs (registration before what uses it, GuardDuty's detector before its delegation),
auto-enable for all members, Security Hub's central configuration with FSBP only on the root, the
organization analyzer, the Config aggregator only when on, each flag removing its resources, and what a
``destroy`` keeps. The component runs under the mock runtime with two pinned providers, as the security
stack's program gives it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from components.providers import account_provider, role_arn
from components.security_services import SecurityServices, SecurityServicesArgs, fsbp_standard_arn
from deploy.security_services_check import check_security_hub_needs_config
from deploy.simulate import RecordedResource, Recording, simulate
from deploy.stack_checks import WARNING, StackContext

MANAGEMENT = "111111111111"
TOOLING = "444444444444"
ROOT_ID = "r-ab12"
REGION = "us-east-1"
COMPONENT = "landingzone:security:SecurityServices"

DETECTOR = "aws:guardduty/detector:Detector"
GD_ADMIN = "aws:guardduty/organizationAdminAccount:OrganizationAdminAccount"
GD_ORG = "aws:guardduty/organizationConfiguration:OrganizationConfiguration"
SH_ADMIN = "aws:securityhub/organizationAdminAccount:OrganizationAdminAccount"
SH_AGGREGATOR = "aws:securityhub/findingAggregator:FindingAggregator"
SH_ORG = "aws:securityhub/organizationConfiguration:OrganizationConfiguration"
SH_POLICY = "aws:securityhub/configurationPolicy:ConfigurationPolicy"
SH_ASSOCIATION = "aws:securityhub/configurationPolicyAssociation:ConfigurationPolicyAssociation"
SH_ACCOUNT = "aws:securityhub/account:Account"
DELEGATED_ADMIN = "aws:organizations/delegatedAdministrator:DelegatedAdministrator"
ANALYZER = "aws:accessanalyzer/analyzer:Analyzer"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
AGGREGATOR = "aws:cfg/configurationAggregator:ConfigurationAggregator"

GUARD_DUTY_TYPES = {DETECTOR, GD_ADMIN, GD_ORG}
SECURITY_HUB_TYPES = {SH_ADMIN, SH_AGGREGATOR, SH_ORG, SH_POLICY, SH_ASSOCIATION}
ANALYZER_TYPES = {ANALYZER}  # plus its DelegatedAdministrator, told apart by service principal
CONFIG_TYPES = {ROLE, ATTACHMENT, AGGREGATOR}


def run(**overrides: Any) -> Recording:
    flags: dict[str, Any] = {"guard_duty": True, "security_hub": True, "access_analyzer": True,
                             "aws_config": True, **overrides}

    def program() -> Mapping[str, Any]:
        management = account_provider("security-management", account_id=MANAGEMENT, region=REGION)
        tooling = account_provider(
            "security-tooling", account_id=TOOLING, region=REGION,
            role_arn=role_arn(TOOLING, "OrganizationAccountAccessRole"),
        )
        SecurityServices("security", SecurityServicesArgs(
            tooling_account_id=TOOLING, region=REGION, root_id=ROOT_ID,
            management=management, tooling=tooling, **flags,
        ))
        return {}

    return simulate("security", program)


@pytest.fixture(scope="module")
def everything() -> Recording:
    return run()


def account_of(recording: Recording, resource: RecordedResource) -> str:
    provider = recording.provider_of(resource)
    assert provider is not None, f"{resource.name} would use the default provider"
    accounts = provider.provider_setting("allowedAccountIds")
    assert isinstance(accounts, list) and len(accounts) == 1, resource.name
    return str(accounts[0])


def services(recording: Recording) -> list[RecordedResource]:
    return [r for r in recording.custom_resources if r.type != COMPONENT]


def registration(recording: Recording, principal: str) -> RecordedResource:
    [resource] = [r for r in recording.of_type(DELEGATED_ADMIN) if r.inputs["servicePrincipal"] == principal]
    return resource


def depends_on(resource: RecordedResource, prerequisite: RecordedResource) -> bool:
    return prerequisite.urn in resource.dependencies and prerequisite.sequence < resource.sequence


# --- placement --------------------------------------------------------------------------------------


def test_registrations_run_in_the_management_account_and_the_rest_in_security_tooling(
    everything: Recording,
) -> None:
    registrations = {GD_ADMIN, SH_ADMIN, DELEGATED_ADMIN}
    placed = {(r.type, account_of(everything, r)) for r in services(everything)}
    assert placed == {(t, MANAGEMENT) for t in registrations} | {
        (t, TOOLING) for t in GUARD_DUTY_TYPES | SECURITY_HUB_TYPES | ANALYZER_TYPES | CONFIG_TYPES
        if t not in registrations
    }
    for resource in services(everything):
        assert resource.parent == everything.one(COMPONENT).urn, resource.name
    # Each registration names security-tooling.
    for resource in everything.of_type(GD_ADMIN) + everything.of_type(SH_ADMIN):
        assert resource.inputs["adminAccountId"] == TOOLING
    assert {r.inputs["accountId"] for r in everything.of_type(DELEGATED_ADMIN)} == {TOOLING}


# --- GuardDuty --------------------------------------------------------------------------------------


def test_guard_duty_auto_enables_every_member_from_the_tooling_detector(everything: Recording) -> None:
    detector, organization = everything.one(DETECTOR), everything.one(GD_ORG)
    assert detector.inputs["enable"] is True
    assert organization.inputs["autoEnableOrganizationMembers"] == "ALL"
    assert organization.inputs["detectorId"] == detector.id
    assert "datasources" not in organization.inputs  # deprecated block: protection plans stay default
    assert account_of(everything, organization) == account_of(everything, detector) == TOOLING


def test_the_detector_exists_before_the_delegation_which_precedes_the_organization_configuration(
    everything: Recording,
) -> None:
    detector, admin, organization = (everything.one(t) for t in (DETECTOR, GD_ADMIN, GD_ORG))
    assert depends_on(admin, detector)
    assert depends_on(organization, admin) and depends_on(organization, detector)


# --- Security Hub -----------------------------------------------------------------------------------


def test_security_hub_is_centrally_configured_with_fsbp_only_on_the_root(everything: Recording) -> None:
    organization = everything.one(SH_ORG)
    assert organization.inputs["organizationConfiguration"] == {"configurationType": "CENTRAL"}
    assert organization.inputs["autoEnable"] is False and organization.inputs["autoEnableStandards"] == "NONE"
    policy = everything.one(SH_POLICY).inputs["configurationPolicy"]
    assert policy["serviceEnabled"] is True
    assert policy["enabledStandardArns"] == [
        "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0"
    ]
    assert policy["securityControlsConfiguration"] == {"disabledControlIdentifiers": []}
    association = everything.one(SH_ASSOCIATION)
    assert association.inputs == {**association.inputs, "targetId": ROOT_ID,
                                  "policyId": everything.one(SH_POLICY).id}
    assert everything.one(SH_AGGREGATOR).inputs["linkingMode"] == "NO_REGIONS"
    # The delegation enables Security Hub in both accounts' place: enabling it again would conflict.
    assert everything.of_type(SH_ACCOUNT) == []


def test_security_hub_steps_follow_each_other(everything: Recording) -> None:
    admin, aggregator, organization, policy, association = (
        everything.one(t) for t in (SH_ADMIN, SH_AGGREGATOR, SH_ORG, SH_POLICY, SH_ASSOCIATION)
    )
    assert depends_on(aggregator, admin)
    assert depends_on(organization, aggregator)
    assert depends_on(policy, organization)
    assert depends_on(association, policy)


def test_linked_regions_extend_security_hub_and_the_config_aggregator() -> None:
    def program() -> Mapping[str, Any]:
        provider = account_provider("p", account_id=TOOLING, region=REGION)
        SecurityServices("security", SecurityServicesArgs(
            tooling_account_id=TOOLING, region=REGION, root_id=ROOT_ID, guard_duty=False,
            security_hub=True, access_analyzer=False, aws_config=True, management=provider,
            tooling=provider, linked_regions=["eu-west-1", REGION, "us-west-2"],
        ))
        return {}

    recording = simulate("security", program)
    aggregator = recording.one(SH_AGGREGATOR).inputs
    assert aggregator["linkingMode"] == "SPECIFIED_REGIONS"
    assert aggregator["specifiedRegions"] == ["eu-west-1", "us-west-2"]  # the home Region is not linked
    source = recording.one(AGGREGATOR).inputs["organizationAggregationSource"]
    assert source["regions"] == [REGION, "eu-west-1", "us-west-2"] and source["allRegions"] is False


def test_fsbp_arn_names_the_region() -> None:
    assert fsbp_standard_arn("eu-central-1") == (
        "arn:aws:securityhub:eu-central-1::standards/aws-foundational-security-best-practices/v/1.0.0"
    )


# --- Access Analyzer and AWS Config ------------------------------------------------------------------


def test_the_organization_analyzer_follows_its_registration(everything: Recording) -> None:
    admin = registration(everything, "access-analyzer.amazonaws.com")
    analyzer = everything.one(ANALYZER)
    assert analyzer.inputs["type"] == "ORGANIZATION"
    assert depends_on(analyzer, admin)


def test_the_config_aggregator_covers_the_organization_through_its_role(everything: Recording) -> None:
    admin = registration(everything, "config.amazonaws.com")
    role, attachment, aggregator = (everything.one(t) for t in (ROLE, ATTACHMENT, AGGREGATOR))
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "config.amazonaws.com"}]
    assert attachment.inputs["policyArn"] == (
        "arn:aws:iam::aws:policy/service-role/AWSConfigRoleForOrganizations"
    )
    assert attachment.inputs["role"] == role.inputs["name"]
    source = aggregator.inputs["organizationAggregationSource"]
    assert source["roleArn"] == role.outputs["arn"] and source["regions"] == [REGION]
    assert depends_on(aggregator, admin) and depends_on(aggregator, attachment)
    # Only the aggregator's principal: rules and conformance packs (config-multiaccountsetup) are not used.
    principals = sorted(r.inputs["servicePrincipal"] for r in everything.of_type(DELEGATED_ADMIN))
    assert principals == ["access-analyzer.amazonaws.com", "config.amazonaws.com"]


# --- switches and protection -------------------------------------------------------------------------


def kinds(recording: Recording) -> set[str]:
    """Resource types, with a delegated administrator told apart by its service principal."""
    return {f"{r.type}:{r.inputs['servicePrincipal']}" if r.type == DELEGATED_ADMIN else r.type
            for r in services(recording)}


ANALYZER_KINDS = ANALYZER_TYPES | {f"{DELEGATED_ADMIN}:access-analyzer.amazonaws.com"}
CONFIG_KINDS = CONFIG_TYPES | {f"{DELEGATED_ADMIN}:config.amazonaws.com"}


@pytest.mark.parametrize(("flag", "removed"), [
    ("guard_duty", GUARD_DUTY_TYPES),
    ("security_hub", SECURITY_HUB_TYPES),
    ("access_analyzer", ANALYZER_KINDS),
    ("aws_config", CONFIG_KINDS),
])
def test_each_flag_off_removes_exactly_its_resources(everything: Recording, flag: str, removed: set[str]
                                                     ) -> None:
    assert removed <= kinds(everything)
    assert kinds(run(**{flag: False})) == kinds(everything) - removed


def test_everything_off_declares_nothing() -> None:
    assert services(run(guard_duty=False, security_hub=False, access_analyzer=False, aws_config=False)) == []


def test_registrations_detector_analyzer_and_service_switches_survive_a_destroy(
    everything: Recording,
) -> None:
    kept = {r.name for r in services(everything) if r.protect}
    assert kept == {
        "security-guardduty-detector", "security-guardduty-admin",
        "security-securityhub-admin", "security-securityhub-home-region", "security-securityhub-organization",
        "security-access-analyzer-admin", "security-access-analyzer",
        "security-config-admin", "security-config-aggregator",
    }
    for resource in services(everything):
        assert resource.retain_on_delete is resource.protect, resource.name


# --- the plan's warning ------------------------------------------------------------------------------


def context(tooling: Mapping[str, Any] | None, *, valid: bool = True) -> StackContext:
    file_config: dict[str, Any] = {"landing-zone:deployOrder": 5}
    if tooling is not None:
        file_config["landing-zone:security"] = {"tooling": dict(tooling)}
    return StackContext(stack="security", source="Pulumi.security.yaml", file_config=file_config,
                        settings=object() if valid else None, recording=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(("tooling", "warned"), [
    ({}, True),  # the defaults: Security Hub on, Config off
    ({"securityHub": True, "awsConfig": False}, True),
    ({"securityHub": True, "awsConfig": True}, False),
    ({"securityHub": False}, False),
    (None, False),  # not a security stack
])
def test_plan_warns_when_security_hub_runs_without_config(tooling: Mapping[str, Any] | None, warned: bool
                                                          ) -> None:
    findings = check_security_hub_needs_config(context(tooling))
    assert [(f.severity, f.where) for f in findings] == (
        [(WARNING, "Pulumi.security.yaml: landing-zone:security.tooling.awsConfig")] if warned else []
    )


def test_the_component_exposes_the_same_flag() -> None:
    flags: list[bool] = []

    def program() -> Mapping[str, Any]:
        provider = account_provider("p", account_id=TOOLING, region=REGION)
        for hub, config in ((True, False), (True, True), (False, False)):
            services_ = SecurityServices(f"s-{hub}-{config}", SecurityServicesArgs(
                tooling_account_id=TOOLING, region=REGION, root_id=ROOT_ID, guard_duty=False,
                security_hub=hub, access_analyzer=False, aws_config=config, management=provider,
                tooling=provider,
            ))
            flags.append(services_.controls_without_config)
        return {}

    simulate("security", program)
    assert flags == [True, False, False]
    assert check_security_hub_needs_config(context({}, valid=False)) == []
