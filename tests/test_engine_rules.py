"""Engine rules the mock runtime skips (deploy/engine_rules.py): the shipped stacks pass; recordings with
one registration changed the way a real mistake would change it are caught, each with its own finding."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components import config, network
from deploy import engine_rules, plan
from deploy.engine_rules import DisabledProviders
from deploy.engine_rules import engine_rules as check
from deploy.simulate import Recording, simulate
from deploy.stack_checks import ERROR, WARNING, Finding, StackContext, all_checks
from tests.configs import FIXTURE_STACKS, stack_file_config
from tests.conftest import run_env_stack, run_stack

VPC = "awsx:ec2:Vpc"
ACCOUNT = "aws:organizations/account:Account"
CALLER_IDENTITY = "aws:index/getCallerIdentity:getCallerIdentity"
ALL_DISABLED = DisabledProviders(frozenset({"*"}))


@pytest.fixture(scope="module")
def shipped() -> dict[str, tuple[Recording, dict[str, Any]]]:
    """Each shipped stack's recording and stack-file config, recorded once for this module."""
    recordings = {"org": run_stack("org"), "pre": run_env_stack("pre"), "prod": run_env_stack("prod")}
    return {stack: (rec, stack_file_config(stack)) for stack, rec in recordings.items()}


def findings_of(
    shipped: Mapping[str, tuple[Recording, dict[str, Any]]],
    stack: str,
    change: Callable[[Recording], None] | None = None,
    file_config: Mapping[str, Any] | None = None,
) -> list[Finding]:
    """Run the check on a copy of the stack's recording, changed by ``change``."""
    recording, shipped_config = shipped[stack]
    recording = copy.deepcopy(recording)
    if change is not None:
        change(recording)
    source = config.stack_file(stack)
    context = StackContext(stack, source, shipped_config if file_config is None else file_config, None,
                           recording)
    return check(context)


def only_error(findings: list[Finding]) -> Finding:
    assert [f.severity for f in findings] == [ERROR], findings
    return findings[0]


def provider_urn(recording: Recording, package: str, name: str) -> str:
    return recording.one(f"pulumi:providers:{package}", name).urn


# --- the shipped stacks ------------------------------------------------------------------------


def test_the_engine_rules_run_in_plan() -> None:
    assert engine_rules.engine_rules in all_checks()


@pytest.mark.parametrize("stack", ["org", "pre", "prod"])
def test_shipped_stacks_break_no_engine_rule(shipped: Any, stack: str) -> None:
    recording, file_config = shipped[stack]
    assert file_config[engine_rules.DISABLE_DEFAULT_PROVIDERS] == ["*"]
    assert findings_of(shipped, stack) == []
    # The rules did look at something: every cloud resource and invoke of the stack was replayed.
    assert recording.custom_resources and recording.invokes


@pytest.mark.parametrize("stack", ["pre", "prod"])
def test_the_vpc_gets_its_own_awsx_provider_and_the_workload_aws_provider(shipped: Any, stack: str) -> None:
    recording, _ = shipped[stack]
    vpc = recording.one(VPC)
    awsx_provider = recording.by_urn(str(vpc.provider))
    assert (awsx_provider.type, awsx_provider.name) == ("pulumi:providers:awsx", "workload")
    assert vpc.providers == {"aws": provider_urn(recording, "aws", "workload"), "awsx": awsx_provider.urn}


# --- default providers (defect 1: the awsx VPC) --------------------------------------------------


def test_a_vpc_without_its_awsx_provider_is_refused(shipped: Any) -> None:
    def drop_awsx(recording: Recording) -> None:
        vpc = recording.one(VPC)
        vpc.provider = None
        del vpc.providers["awsx"]

    finding = only_error(findings_of(shipped, "pre", drop_awsx))
    assert finding.where == "pre-network-vpc (awsx:ec2:Vpc)"
    assert "the engine refuses this remote component: Default provider for 'awsx' disabled" in finding.message


def test_the_old_network_code_would_have_been_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect 1 as shipped before: the VPC had only providers={"aws": ...} (through its parent)."""
    monkeypatch.setattr(network, "vpc_options", lambda parent, awsx_provider, aws_provider:
                        pulumi.ResourceOptions(parent=parent))
    recording = run_env_stack("pre")
    vpc = recording.one(VPC)
    assert vpc.provider is None and set(vpc.providers) == {"aws"}  # what the SDK sent then
    context = StackContext("pre", "Pulumi.pre.yaml", stack_file_config("pre"), None, recording)
    finding = only_error(check(context))
    assert "Default provider for 'awsx' disabled. 'awsx:ec2:Vpc' must use an explicit provider" in (
        finding.message
    )


def test_plan_fails_when_the_vpc_loses_its_awsx_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network, "vpc_options", lambda parent, awsx_provider, aws_provider:
                        pulumi.ResourceOptions(parent=parent, providers={"aws": aws_provider}))
    report = plan.run_plan(["pre"], root=FIXTURE_STACKS, policies=False)
    pre = next(p for p in report.plans if p.stack == "pre")
    assert not report.ok and not pre.ok
    # The account check still places the VPC in the workload account: it is the engine rule that fails.
    assert all(c.ok for c in pre.checks if c.name == "explicit providers")
    assert [f.where for f in pre.findings if f.is_error] == ["pre-network-vpc (awsx:ec2:Vpc)"]
    assert "plan FAILED" in plan.render_summary(report)


def test_a_vpc_without_the_aws_provider_for_its_children_is_refused(shipped: Any) -> None:
    def drop_from_vpc(recording: Recording) -> None:
        del recording.one(VPC).providers["aws"]

    def drop_from_vpc_and_parent(recording: Recording) -> None:
        drop_from_vpc(recording)
        del recording.one("landingzone:network:Network").providers["aws"]

    # The engine adds the parent component's entries to a component's map (resmon.RegisterResource) ...
    assert findings_of(shipped, "pre", drop_from_vpc) == []
    # ... so the children lack the aws provider only when neither has it.
    finding = only_error(findings_of(shipped, "pre", drop_from_vpc_and_parent))
    assert finding.where == "pre-network-vpc (awsx:ec2:Vpc)"
    assert "the engine refuses its children" in finding.message
    assert "Default provider for 'aws' disabled" in finding.message


def test_a_custom_resource_without_a_provider_is_refused(shipped: Any) -> None:
    def drop_from_account(recording: Recording) -> None:
        recording.one(ACCOUNT, "landing-zone-account-sandbox").provider = None

    # The engine falls back on the parent component's providers map (resmon.resolveProvider) ...
    assert findings_of(shipped, "org", drop_from_account) == []

    def drop(recording: Recording) -> None:
        drop_from_account(recording)
        recording.one("landingzone:organization:LandingZone").providers.clear()

    # ... and refuses the resource when that has none either.
    finding = only_error(findings_of(shipped, "org", drop))
    assert finding.where == "landing-zone-account-sandbox (aws:organizations/account:Account)"
    assert "Default provider for 'aws' disabled. 'aws:organizations/account:Account' must use" in (
        finding.message
    )


def test_an_invoke_without_a_provider_is_refused(shipped: Any) -> None:
    def drop(recording: Recording) -> None:
        index = [token for token, _ in recording.invokes].index(CALLER_IDENTITY)
        recording.invoke_providers[index] = None

    finding = only_error(findings_of(shipped, "pre", drop))
    assert finding.where == f"{CALLER_IDENTITY} (invoke)"
    assert f"Invoke: Default provider for 'aws' disabled. '{CALLER_IDENTITY}' must use" in finding.message


def test_only_the_listed_packages_need_explicit_providers(shipped: Any) -> None:
    def drop_awsx(recording: Recording) -> None:
        vpc = recording.one(VPC)
        vpc.provider = None
        del vpc.providers["awsx"]

    _, file_config = shipped["pre"]
    only_aws = {**file_config, engine_rules.DISABLE_DEFAULT_PROVIDERS: ["aws"]}
    assert findings_of(shipped, "pre", drop_awsx, only_aws) == []
    only_awsx = {**file_config, engine_rules.DISABLE_DEFAULT_PROVIDERS: [" awsx "]}
    assert "'awsx' disabled" in only_error(findings_of(shipped, "pre", drop_awsx, only_awsx)).message
    as_json_text = {**file_config, engine_rules.DISABLE_DEFAULT_PROVIDERS: '["*"]'}
    assert "'awsx' disabled" in only_error(findings_of(shipped, "pre", drop_awsx, as_json_text)).message


# --- the setting itself ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "where", "words"),
    [
        ("*", "Pulumi.pre.yaml: pulumi:disable-default-providers", "must be a list of package names"),
        ({"aws": True}, "Pulumi.pre.yaml: pulumi:disable-default-providers", "must be a list"),
        (["aws", 3], "Pulumi.pre.yaml: pulumi:disable-default-providers[1]", "must be a string"),
    ],
)
def test_a_setting_the_engine_cannot_read_is_an_error(
    shipped: Any, value: Any, where: str, words: str
) -> None:
    _, file_config = shipped["pre"]
    changed = {**file_config, engine_rules.DISABLE_DEFAULT_PROVIDERS: value}
    finding = only_error(findings_of(shipped, "pre", None, changed))
    assert finding.where == where and words in finding.message


def test_without_the_setting_plan_warns(shipped: Any) -> None:
    _, file_config = shipped["org"]
    without = {k: v for k, v in file_config.items() if k != engine_rules.DISABLE_DEFAULT_PROVIDERS}
    [finding] = findings_of(shipped, "org", None, without)
    assert finding.severity == WARNING
    assert finding.where == "Pulumi.org.yaml: pulumi:disable-default-providers"


# --- provider references ---------------------------------------------------------------------------


def test_a_provider_of_another_package_is_refused(shipped: Any) -> None:
    def swap(recording: Recording) -> None:
        recording.one("aws:ecs/cluster:Cluster").provider = provider_urn(recording, "awsx", "workload")

    finding = only_error(findings_of(shipped, "pre", swap))
    assert finding.where.endswith("(aws:ecs/cluster:Cluster)")
    assert "its provider is a 'awsx' provider, not one of package 'aws'" in finding.message


def test_an_invoke_sent_to_a_provider_of_another_package_fails(shipped: Any) -> None:
    def swap(recording: Recording) -> None:
        index = [token for token, _ in recording.invokes].index(CALLER_IDENTITY)
        recording.invoke_providers[index] = provider_urn(recording, "awsx", "workload")

    finding = only_error(findings_of(shipped, "pre", swap))
    assert finding.where == f"{CALLER_IDENTITY} (invoke)"
    assert f"'awsx' provider, which has no function {CALLER_IDENTITY}" in finding.message


def test_a_providers_map_entry_of_another_package_is_refused(shipped: Any) -> None:
    def swap(recording: Recording) -> None:
        recording.one(VPC).providers["aws"] = provider_urn(recording, "awsx", "workload")

    finding = only_error(findings_of(shipped, "pre", swap))
    assert finding.where == "pre-network-vpc (awsx:ec2:Vpc)"
    assert finding.message.startswith("providers['aws'] is a 'awsx' provider")


def test_a_provider_that_is_never_registered_is_unknown(shipped: Any) -> None:
    def ghost(recording: Recording) -> None:
        cluster = recording.one("aws:ecs/cluster:Cluster")
        cluster.provider = str(cluster.provider).replace("::workload", "::ghost")

    assert "unknown provider" in only_error(findings_of(shipped, "pre", ghost)).message


def test_a_provider_registered_after_its_resource_is_unknown_then(shipped: Any) -> None:
    def late(recording: Recording) -> None:
        recording.one("pulumi:providers:aws", "management").sequence = 10_000

    findings = findings_of(shipped, "org", late)
    assert findings and all("unknown provider" in f.message for f in findings)
    custom = {f"{r.name} ({r.type})" for r in shipped["org"][0].custom_resources}
    assert custom <= {f.where for f in findings}


def test_a_provider_reference_to_a_resource_that_is_no_provider_is_refused(shipped: Any) -> None:
    def wrong(recording: Recording) -> None:
        recording.one(ACCOUNT, "landing-zone-account-sandbox").provider = recording.one(
            "aws:organizations/organization:Organization"
        ).urn

    finding = only_error(findings_of(shipped, "org", wrong))
    assert "bad provider reference" in finding.message


# --- URNs, parents, dependencies, type tokens ------------------------------------------------------


def test_a_duplicate_urn_is_refused(shipped: Any) -> None:
    def duplicate(recording: Recording) -> None:
        twin = copy.deepcopy(recording.one(ACCOUNT, "landing-zone-account-sandbox"))
        twin.sequence = 10_000
        recording.resources.append(twin)

    finding = only_error(findings_of(shipped, "org", duplicate))
    assert finding.where == "landing-zone-account-sandbox (aws:organizations/account:Account)"
    assert finding.message.startswith(
        "the engine stops the update: Duplicate resource URN 'urn:pulumi:org::landing-zone::"
        "landingzone:organization:LandingZone$aws:organizations/account:Account::landing-zone-account-sandbox'"
    )


def _declared_twice(parent_of_second: str) -> Recording:
    """A program that declares two buckets named "logs" (the mock accepts both)."""

    def program() -> dict[str, Any]:
        provider = aws.Provider("main", region="us-east-1", allowed_account_ids=["123456789012"])
        outer = pulumi.ComponentResource("test:index:Outer", "outer")
        first = pulumi.ComponentResource("test:index:Holder", "a")
        second = pulumi.ComponentResource(
            "test:index:Holder", "b", opts=pulumi.ResourceOptions(parent=outer if parent_of_second else None)
        )
        for holder in (first, second):
            aws.s3.Bucket("logs", opts=pulumi.ResourceOptions(parent=holder, provider=provider))
        return {}

    return simulate("pre", program)


def test_the_recording_shows_a_duplicate_urn_the_mock_monitor_accepts() -> None:
    recording = _declared_twice(parent_of_second="")
    buckets = recording.of_type("aws:s3/bucket:Bucket")
    assert len(buckets) == 2 and buckets[0].urn == buckets[1].urn
    [finding] = engine_rules.registration_findings(recording, ALL_DISABLED)
    assert "Duplicate resource URN" in finding.message and finding.where == "logs (aws:s3/bucket:Bucket)"


def test_urns_hold_the_parents_whole_type_chain_as_the_engine_builds_them() -> None:
    """Same name, type and parent type, different grandparents: the mock's URNs collide, the engine's not."""
    recording = _declared_twice(parent_of_second="outer")
    buckets = recording.of_type("aws:s3/bucket:Bucket")
    assert buckets[0].urn == buckets[1].urn  # the mock keeps only the parent's own type
    assert engine_rules.registration_findings(recording, ALL_DISABLED) == []


def test_a_parent_that_is_not_registered_first_is_refused(shipped: Any) -> None:
    def orphan(recording: Recording) -> None:
        recording.one("landingzone:organization:LandingZone").sequence = 10_000

    findings = findings_of(shipped, "org", orphan)
    assert findings and all("could not find parent resource" in f.message for f in findings)
    assert all("is registered after it" in f.message for f in findings)


def test_a_dependency_registered_later_breaks_the_snapshot(shipped: Any) -> None:
    def forward(recording: Recording) -> None:
        organization = recording.one("aws:organizations/organization:Organization")
        organization.dependencies.append(recording.one(ACCOUNT, "landing-zone-account-sandbox").urn)

    finding = only_error(findings_of(shipped, "org", forward))
    assert finding.where.startswith("landing-zone-organization ")
    assert "VerifyIntegrity" in finding.message


def test_a_custom_type_that_is_no_type_token_is_refused(shipped: Any) -> None:
    def bad(recording: Recording) -> None:
        recording.one("aws:ecs/cluster:Cluster").type = "aws:ecs-cluster"

    assert "is not a type token" in only_error(findings_of(shipped, "pre", bad)).message


def test_an_import_on_a_component_is_dropped_by_the_engine(shipped: Any) -> None:
    def misplaced(recording: Recording) -> None:
        recording.one("landingzone:organization:LandingZone").import_id = "o-exampleorg1"

    finding = only_error(findings_of(shipped, "org", misplaced))
    assert finding.where == "landing-zone (landingzone:organization:LandingZone)"
    assert "ignores import 'o-exampleorg1' on a component" in finding.message


# --- ignoreChanges and reads -----------------------------------------------------------------------


def test_ignore_changes_must_name_inputs_of_the_type(shipped: Any) -> None:
    recording, _ = shipped["org"]
    assert recording.one(ACCOUNT, "landing-zone-account-sandbox").ignore_changes == [
        "roleName", "iamUserAccessToBilling"
    ]

    def typo(recording: Recording) -> None:
        recording.one(ACCOUNT, "landing-zone-account-sandbox").ignore_changes = ["role_name", "tags.owner"]

    finding = only_error(findings_of(shipped, "org", typo))
    assert finding.message.startswith("ignoreChanges 'role_name' names no input of " + ACCOUNT)
    assert "roleName" in finding.message


def test_a_read_resource_needs_an_explicit_provider_too() -> None:
    def program(with_provider: bool) -> Callable[[], dict[str, Any]]:
        def run() -> dict[str, Any]:
            provider = aws.Provider("main", region="us-east-1")
            opts = pulumi.ResourceOptions(provider=provider) if with_provider else None
            aws.ec2.Vpc.get("existing", "vpc-0123", opts=opts)
            return {}

        return run

    without = simulate("pre", program(False))
    assert [r.type for r in without.reads] == ["aws:ec2/vpc:Vpc"] and without.resources[0].is_provider
    [finding] = engine_rules.registration_findings(without, ALL_DISABLED)
    assert finding.where == "existing (aws:ec2/vpc:Vpc)" and "Default provider for 'aws'" in finding.message
    assert engine_rules.registration_findings(simulate("pre", program(True)), ALL_DISABLED) == []



# --- aliases ----------------------------------------------------------------------------------------

INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def test_the_shipped_environments_alias_only_urns_no_resource_holds(shipped: Any) -> None:
    recording, _ = shipped["pre"]
    assert any(resource.aliases for resource in recording.resources)  # the moved Tasks links
    assert findings_of(shipped, "pre") == []


def test_an_alias_naming_another_resources_urn_is_refused(shipped: Any) -> None:
    group_urn: list[str] = []

    def claim(recording: Recording) -> None:
        group_urn.append(recording.one("aws:ec2/securityGroup:SecurityGroup", "pre-tasks-db").urn)
        recording.one(INGRESS_RULE, "pre-tasks-db-from-tasks").aliases.append(group_urn[0])

    finding = only_error(findings_of(shipped, "pre", claim))
    assert finding.where == f"pre-tasks-db-from-tasks ({INGRESS_RULE})"
    assert "Duplicate resource alias" in finding.message
    assert finding.message.endswith(f"conflicting with {group_urn[0]} (step_generator.go generateSteps)")


def test_an_alias_two_resources_claim_is_refused(shipped: Any) -> None:
    def claim_twice(recording: Recording) -> None:
        moved = recording.one(EGRESS_RULE, "pre-tasks-alb-to-tasks")
        recording.one(EGRESS_RULE, "pre-tasks-tasks-to-db").aliases.append(moved.aliases[0])

    finding = only_error(findings_of(shipped, "pre", claim_twice))
    # The one registered second is refused (registrations are asynchronous: either may come first).
    names = ("pre-tasks-tasks-to-db", "pre-tasks-alb-to-tasks")
    assert finding.where in {f"{name} ({EGRESS_RULE})" for name in names}
    assert "Duplicate resource alias" in finding.message
