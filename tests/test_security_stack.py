"""The security stack: its config checks, the org references it resolves before declaring anything, the
three providers (which account each is pinned to, which role it assumes), what each component is given,
and the driver's handling (order, readiness wait, help, destroy).

The four components are written apart (components/log_archive.py, org_trail.py, security_services.py,
account_baseline.py); these tests assert what the stack's composition decides, not their resources.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components import config, security_stack
from components.settings.security import bucket_name_problem, default_bucket_name
from deploy import readiness
from deploy.cli import build_parser
from deploy.orchestrator import SKIPPED, Orchestrator
from deploy.security_check import check_security_readers
from deploy.simulate import RecordedResource, Recording, simulate
from deploy.stack_checks import WARNING, StackContext
from deploy.stacks import SECURITY_LAYER, discover
from policies.aws_service_rules import MEMBER_RULES
from tests.configs import FIXTURE_STACKS, SECURITY_FIXTURE, security_org_config, security_values
from tests.conftest import _org_outputs
from tests.test_deploy_automation import FakePulumiCommand, runner
from tests.test_deploy_orchestrator import FakeRunner

SOURCE = "Pulumi.security.yaml"
ORG_REF = "organization/landing-zone/org"
ACCESS_ROLE = "OrganizationAccountAccessRole"


@pytest.fixture(scope="module")
def org_outputs() -> dict[str, Any]:
    import copy
    import json

    return copy.deepcopy(dict(_org_outputs(json.dumps(security_org_config(), sort_keys=True))))


def error_of(**security: Any) -> str:
    raw = security_values()
    raw["security"] = _merge(raw["security"], security)
    with pytest.raises(config.ConfigError) as raised:
        config.load("security", raw)
    return str(raised.value)


def _merge(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in change.items():
        merged[key] = _merge(base.get(key, {}), value) if isinstance(value, dict) else value
    return merged


class Captured:
    """The Args each component got, and the opts, in the order the program declared them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, pulumi.ResourceOptions | None, Any]] = []

    def args(self, kind: str) -> Any:
        [found] = [args for name, args, _, _ in self.calls if name == kind]
        return found

    def instance(self, kind: str) -> Any:
        [found] = [component for name, _, _, component in self.calls if name == kind]
        return found


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[Captured]:
    record = Captured()
    for kind in ("LogArchive", "OrganizationTrail", "SecurityServices", "AccountBaseline"):
        original = getattr(security_stack, kind)

        def make(original: Any = original, kind: str = kind) -> Any:
            def build(name: str, args: Any, opts: pulumi.ResourceOptions | None = None) -> Any:
                component = original(name, args, opts)
                record.calls.append((kind, args, opts, component))
                return component
            return build

        monkeypatch.setattr(security_stack, kind, make())
    yield record


def run(org_outputs: dict[str, Any], raw: dict[str, Any] | None = None,
        recording: Recording | None = None) -> Recording:
    values = security_values() if raw is None else raw
    settings = config.load("security", values)
    from components import program

    return simulate("security", lambda: program.build(settings), raw_config=values,
                    stack_outputs={ORG_REF: org_outputs}, recording=recording)


def provider_of(recording: Recording, name: str) -> RecordedResource:
    [found] = [r for r in recording.resources if r.is_provider and r.name == name]
    return found


# --- config: one line naming file and key -------------------------------------------------------------


@pytest.mark.parametrize(("change", "expected"), [
    ({"logArchive": {"retentionDays": 89}},
     f"{SOURCE}: landing-zone:security.logArchive.retentionDays: 89 is below 90 days"),
    ({"logArchive": {"retentionDays": 200, "transitionDays": 200}},
     f"{SOURCE}: landing-zone:security.logArchive.transitionDays: 200 is not below retentionDays (200)"),
    ({"logArchive": {"transitionDays": -1}},
     f"{SOURCE}: landing-zone:security.logArchive.transitionDays: Input should be greater than or equal"),
    ({"logArchive": {"bucketName": "Org_Trail"}},
     f"{SOURCE}: landing-zone:security.logArchive.bucketName: 'Org_Trail' is not a valid S3 bucket name"),
    ({"logArchive": {"bucketName": "192.168.5.4"}},
     f"{SOURCE}: landing-zone:security.logArchive.bucketName: '192.168.5.4' is formatted as an IP address"),
    ({"logArchive": {"trailName": "org--trail"}},
     f"{SOURCE}: landing-zone:security.logArchive.trailName: 'org--trail' is not a CloudTrail trail name"),
    ({"logArchive": {"readerPermissionSets": []}},
     f"{SOURCE}: landing-zone:security.logArchive.readerPermissionSets: lists no permission set"),
    ({"tooling": {"account": "log-archive"}},
     f"{SOURCE}: landing-zone:security.tooling.account: 'log-archive' is the log-archive account too"),
    ({"baseline": {"regions": ["us-east-1", "US-West-2"]}},
     f"{SOURCE}: landing-zone:security.baseline.regions[1]: 'US-West-2' is not an AWS region name"),
    ({"baseline": {"regions": ["us-east-1", "us-east-1"]}},
     f"{SOURCE}: landing-zone:security.baseline.regions: lists 'us-east-1' twice"),
    ({"baseline": {"regions": []}},
     f"{SOURCE}: landing-zone:security.baseline.regions: lists no region"),
])
def test_bad_security_config_is_one_line_naming_file_and_key(change: dict[str, Any], expected: str) -> None:
    message = error_of(**change)
    assert message.startswith(expected) and "\n" not in message


@pytest.mark.parametrize("region", ["af-south-1", "ap-east-1", "me-central-1", "mx-central-1"])
def test_security_hub_refuses_an_opt_in_region_as_its_home_region(region: str) -> None:
    values = {**security_values(), "region": region}
    with pytest.raises(config.ConfigError) as raised:
        config.load("security", values)
    assert str(raised.value).startswith(
        f"{SOURCE}: landing-zone:region: '{region}' is an opt-in Region (disabled by default), and Security "
        "Hub's home Region")
    # Without Security Hub there is no home Region to refuse; a Region enabled by default always loads.
    tooling = {**values["security"].get("tooling", {}), "securityHub": False}
    security = {**values["security"], "tooling": tooling}
    assert isinstance(config.load("security", {**values, "security": security}), config.SecurityConfig)
    assert isinstance(config.load("security", {**values, "region": "eu-north-1"}), config.SecurityConfig)


def test_the_frozen_security_file_loads_as_the_security_stack_with_its_values() -> None:
    settings = config.load("security", security_values())
    assert isinstance(settings, config.SecurityConfig)
    assert (settings.log_archive.retention_days, settings.log_archive.transition_days) == (365, 90)
    assert settings.tooling.aws_config is False and settings.tooling.security_hub is True
    assert settings.regions == ("us-east-1",)
    defaults = config.load("security", {"orgStack": ORG_REF, "region": "eu-west-1", "security": {}})
    assert isinstance(defaults, config.SecurityConfig)
    assert defaults.regions == ("eu-west-1",)  # the baseline defaults to the stack's region
    assert defaults.log_archive.reader_permission_sets == ("security-auditors-ps",)


@pytest.mark.parametrize("name", [
    "ab", "a" * 64, "-abc", "abc-", "a..b", "xn--abc", "sthree-logs", "amzn-s3-demo-x", "logs-s3alias",
    "logs--ol-s3", "logs--x-s3", "Logs", "log_s", "192.168.5.4",
    "landing-zone-org-trail-123456789012-us-east-1",
])
def test_the_bucket_name_check_agrees_with_the_policy_packs_create_bucket_rule(name: str) -> None:
    [rule] = MEMBER_RULES["s3:CreateBucket.Bucket"]
    assert rule.pattern is not None
    pack_accepts = re.fullmatch(rule.pattern, name) is not None
    if name == "192.168.5.4":  # the IP form S3 refuses, which the pack's pattern does not see
        assert bucket_name_problem(name) is not None
    else:
        assert (bucket_name_problem(name) is None) is pack_accepts


# --- the org references: checked before anything is declared -------------------------------------------


def _refused(org_outputs: dict[str, Any], raw: dict[str, Any] | None = None) -> tuple[str, Recording]:
    recording = Recording(stack="security")
    with pytest.raises(config.ConfigError) as raised:
        run(org_outputs, raw, recording)
    return str(raised.value), recording


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda o: o["accounts"].pop("log-archive"),
     f"{SOURCE}: landing-zone:security.logArchive.account: unknown account key 'log-archive'"),
    (lambda o: o["accounts"].pop("security-tooling"),
     f"{SOURCE}: landing-zone:security.tooling.account: unknown account key 'security-tooling'"),
    (lambda o: o["account_ous"].update({"log-archive": "Workloads/Prod"}),
     f"{SOURCE}: landing-zone:security.logArchive.account: 'log-archive' sits in OU 'Workloads/Prod', "
     "not in Security"),
    (lambda o: o["accounts"].update({"security-tooling": o["management_account_id"]}),
     f"{SOURCE}: landing-zone:security.tooling.account: 'security-tooling' is the management account"),
    (lambda o: o.pop("organization_id"),
     f"{SOURCE}: landing-zone:orgStack: the {ORG_REF} stack exports no organization_id"),
    (lambda o: o.pop("root_id"), f"{SOURCE}: landing-zone:orgStack: the {ORG_REF} stack exports no root_id"),
    (lambda o: o["permission_sets"].pop("security-auditors-ps"),
     f"{SOURCE}: landing-zone:security.logArchive.readerPermissionSets[0]: 'security-auditors-ps' is no "
     "permission set of the"),
])
def test_a_bad_org_reference_stops_the_program_before_anything_is_declared(
    org_outputs: dict[str, Any], edit: Any, expected: str
) -> None:
    import copy

    outputs = copy.deepcopy(org_outputs)
    edit(outputs)
    message, recording = _refused(outputs)
    assert message.startswith(expected) and "\n" not in message
    assert [r for r in recording.resources if r.type != "pulumi:pulumi:Stack"] == []


# --- providers, components, order, outputs -------------------------------------------------------------


def test_each_provider_is_pinned_to_its_account_and_only_the_members_assume_the_access_role(
    org_outputs: dict[str, Any], captured: Captured
) -> None:
    recording = run(org_outputs)
    ids = org_outputs["accounts"]
    expected = {
        "security-management": (org_outputs["management_account_id"], None),
        "security-log-archive": (ids["log-archive"], f"arn:aws:iam::{ids['log-archive']}:role/{ACCESS_ROLE}"),
        "security-tooling": (ids["security-tooling"],
                             f"arn:aws:iam::{ids['security-tooling']}:role/{ACCESS_ROLE}"),
    }
    providers = [r for r in recording.resources if r.is_provider and r.type == "pulumi:providers:aws"]
    assert sorted(p.name for p in providers) == sorted(expected)
    for name, (account_id, role) in expected.items():
        provider = provider_of(recording, name)
        assert provider.provider_setting("allowedAccountIds") == [account_id]
        roles = provider.provider_setting("assumeRoles") or []
        assert [r["roleArn"] for r in roles] == ([role] if role else [])
        assert provider.provider_setting("region") == "us-east-1"


def test_each_component_gets_its_accounts_provider_and_the_resolved_args(
    org_outputs: dict[str, Any], captured: Captured
) -> None:
    recording = run(org_outputs)
    ids = org_outputs["accounts"]
    log_id = ids["log-archive"]
    log_args = captured.args("LogArchive")
    assert (log_args.account_id, log_args.management_account_id, log_args.organization_id) == (
        log_id, org_outputs["management_account_id"], org_outputs["organization_id"])
    assert log_args.bucket_name == default_bucket_name(log_id, "us-east-1")
    assert log_args.bucket_name == f"landing-zone-org-trail-{log_id}-us-east-1"
    assert (log_args.trail_name, log_args.retention_days, log_args.transition_days) == (
        "landing-zone-org-trail", 365, 90)
    assert list(log_args.reader_role_patterns) == [
        f"arn:aws:iam::{log_id}:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_security-auditors-ps_*"]
    assert log_args.config_delivery is False
    log_archive = captured.instance("LogArchive")
    trail_args = captured.args("OrganizationTrail")
    assert trail_args.name == "landing-zone-org-trail"
    assert list(trail_args.ready) == [log_archive.bucket_policy, log_archive.key]
    services = captured.args("SecurityServices")
    assert (services.tooling_account_id, services.root_id, services.region) == (
        ids["security-tooling"], org_outputs["root_id"], "us-east-1")
    assert (services.guard_duty, services.security_hub, services.access_analyzer, services.aws_config) == (
        True, True, True, False)
    assert (services.management._name, services.tooling._name) == ("security-management", "security-tooling")
    assert list(services.linked_regions) == []  # the home region only
    baseline = captured.args("AccountBaseline")
    assert (baseline.root_id, list(baseline.regions)) == (org_outputs["root_id"], ["us-east-1"])
    assert (baseline.s3_block_public_access, baseline.ebs_encryption_by_default) == (True, True)
    assert baseline.aws_config is False  # no recorders unless tooling.awsConfig
    components = {r.name: r for r in recording.resources if r.type.startswith("landingzone:security:")}
    provider_urn = {p.name: p.urn for p in recording.resources if p.is_provider}
    assert components["log-archive"].providers["aws"].startswith(provider_urn["security-log-archive"])
    assert components["org-trail"].providers["aws"].startswith(provider_urn["security-management"])
    assert components["account-baseline"].providers["aws"].startswith(provider_urn["security-management"])


def test_config_switches_reach_the_components(org_outputs: dict[str, Any], captured: Captured) -> None:
    raw = security_values()
    raw["security"] = _merge(raw["security"], {
        "logArchive": {"bucketName": "acme-org-trail", "transitionDays": None, "retentionDays": 730},
        "tooling": {"guardDuty": False, "awsConfig": True},
        "baseline": {"regions": ["us-east-1", "eu-west-1"], "ebsEncryptionByDefault": False},
    })
    recording = run(org_outputs, raw)
    log_args = captured.args("LogArchive")
    assert (log_args.bucket_name, log_args.transition_days, log_args.retention_days) == (
        "acme-org-trail", None, 730)
    assert log_args.config_delivery is True  # AWS Config delivers into the log archive when it is on
    services = captured.args("SecurityServices")
    assert (services.guard_duty, services.aws_config) == (False, True)
    assert list(services.linked_regions) == ["eu-west-1"]  # Security Hub and the aggregator cover it too
    baseline = captured.args("AccountBaseline")
    assert (list(baseline.regions), baseline.ebs_encryption_by_default) == (["us-east-1", "eu-west-1"], False)
    # The recorders deliver into the log archive, once its bucket policy and key exist.
    log_archive = captured.instance("LogArchive")
    assert (baseline.aws_config, baseline.home_region) == (True, "us-east-1")
    assert baseline.log_archive_bucket_name is log_archive.bucket_name
    assert baseline.log_archive_key_arn is log_archive.key_arn
    assert list(baseline.log_archive_ready) == [log_archive.bucket_policy, log_archive.key]
    assert recording.outputs["guardduty_detector_id"] is None
    assert recording.outputs["log_archive_bucket"] == "acme-org-trail"


def test_the_log_archive_comes_before_its_trail_and_each_provider_before_its_component(
    org_outputs: dict[str, Any], captured: Captured
) -> None:
    recording = run(org_outputs)
    assert [kind for kind, *_ in captured.calls] == [
        "LogArchive", "OrganizationTrail", "SecurityServices", "AccountBaseline"]
    providers = {p.urn: p for p in recording.resources if p.is_provider}
    components = [r for r in recording.resources if r.type.startswith("landingzone:security:")]
    for component in components:
        for urn in component.providers.values():
            provider = next(p for u, p in providers.items() if urn.startswith(u))
            assert provider.sequence < component.sequence, component.name


def test_the_outputs_name_the_accounts_bucket_key_and_trail(org_outputs: dict[str, Any]) -> None:
    outputs = run(org_outputs).outputs
    ids = org_outputs["accounts"]
    assert outputs["log_archive_account_id"] == ids["log-archive"]
    assert outputs["tooling_account_id"] == ids["security-tooling"]
    assert outputs["log_archive_bucket"] == default_bucket_name(ids["log-archive"], "us-east-1")
    # The mocks give every KMS key the same account (deploy/mock_outputs.py); the key's account is its
    # provider's, asserted in tests/test_log_archive.py.
    assert outputs["log_archive_key_arn"].startswith("arn:aws:kms:us-east-1:")
    assert outputs["trail_arn"].endswith(":trail/landing-zone-org-trail")
    assert outputs["guardduty_detector_id"] is not None
    assert outputs["baseline_regions"] == ["us-east-1"]


# --- the driver ----------------------------------------------------------------------------------------


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The tests' stack files, the org with the two Security accounts, and the security stack."""
    import yaml

    for path in FIXTURE_STACKS.glob("Pulumi.*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    shutil.copy(SECURITY_FIXTURE / "Pulumi.security.yaml", tmp_path / "Pulumi.security.yaml")
    org_file = tmp_path / "Pulumi.org.yaml"
    data = yaml.safe_load(org_file.read_text(encoding="utf-8"))
    data["config"]["landing-zone:accounts"] = security_org_config()["accounts"]
    data["config"]["landing-zone:identityCenter"] = security_org_config()["identityCenter"]
    org_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return tmp_path


def test_the_security_stack_deploys_after_org_and_before_the_environments(root: Path) -> None:
    table = discover(root)
    spec = table.spec("security")
    assert (spec.layer, spec.needs, spec.is_environment) == (SECURITY_LAYER, ("org",), False)
    assert spec.protected
    assert table.names == ("org", "security", "cicd", "pre", "prod")
    assert "org → security's accounts accept role assumption → security → cicd" in table.describe_order()
    assert "security" in table.kept_from_destroy()
    help_text = build_parser(table).format_help()
    assert "security's accounts accept role assumption → security" in help_text


def test_plan_shows_the_security_stack_its_accounts_and_their_providers(root: Path) -> None:
    from deploy import plan

    report = plan.run_plan(["org", "security"], root=root, policies=False)
    security = next(p for p in report.plans if p.stack == "security")
    assert security.status == plan.OK and security.program_ran, security.message
    references = next(c for c in security.checks if c.name == "org references")
    org = next(p for p in report.plans if p.stack == "org").recording
    assert org is not None
    ids = org.outputs["accounts"]
    assert references.ok and references.detail == (
        f"logArchive log-archive ({ids['log-archive']}), "
        f"tooling security-tooling ({ids['security-tooling']})")
    recording = security.recording
    assert recording is not None
    pinned = {p.name: security.accounts[p.provider_setting("allowedAccountIds")[0]]
              for p in recording.resources if p.is_provider}  # the account keys plan prints
    assert pinned == {"security-management": "management", "security-log-archive": "log-archive",
                      "security-tooling": "security-tooling"}


def test_up_waits_for_the_security_accounts_before_the_security_stack(root: Path) -> None:
    events: list[tuple[str, str]] = []

    def ready(stack: str, org_outputs: Any, emit: Any) -> None:
        events.append(("ready", stack))

    Orchestrator(FakeRunner(events), stacks=discover(root), readiness=ready, emit=lambda _: None).run(
        "up", ["org", "security"])
    assert next(e for e in events if e[1] == "security") == ("ready", "security")
    assert events.index(("ready", "security")) > events.index(("up", "org"))


def test_the_readiness_wait_targets_the_two_member_accounts_not_management(
    root: Path, org_outputs: dict[str, Any]
) -> None:
    accounts = readiness.target_accounts("security", org_outputs, root)
    ids = org_outputs["accounts"]
    assert sorted(accounts) == sorted(
        (key, ids[key], f"arn:aws:iam::{ids[key]}:role/{ACCESS_ROLE}")
        for key in ("log-archive", "security-tooling"))


def test_destroy_never_selects_the_security_stack_unless_named(root: Path, tmp_path_factory: Any) -> None:
    project = tmp_path_factory.mktemp("project")
    command = FakePulumiCommand(stacks={"org", "security", "cicd", "pre", "prod"})
    orchestrator = Orchestrator(runner(project, command), stacks=discover(root), emit=lambda _: None)
    summary = orchestrator.run("destroy")
    destroyed = [argv[argv.index("--stack") + 1] for argv in command.argv("destroy")]
    assert "security" not in destroyed and destroyed
    assert {o.stack: o.result for o in summary.outcomes}["security"] == SKIPPED
    Orchestrator(runner(project, command), stacks=discover(root), emit=lambda _: None).run(
        "destroy", ["security"])
    assert [argv[argv.index("--stack") + 1] for argv in command.argv("destroy")][-1] == "security"


def _reader_findings(root: Path) -> list[tuple[str, str, str]]:
    settings = config.load_stack_file("security", root)
    context = StackContext("security", SOURCE, {}, settings, None, root)
    return [(f.severity, f.where, f.message) for f in check_security_readers(context)]


def test_plan_warns_when_no_one_can_hold_a_reader_role_in_the_log_archive(root: Path) -> None:
    import yaml

    # The root's org creates security-auditors-ps but assigns it nowhere: its role never exists (and its
    # policies do not read the logs either: the second warning, below).
    [(severity, where, message), _] = _reader_findings(root)
    assert severity == WARNING
    assert where == f"{SOURCE}: landing-zone:security.logArchive.readerPermissionSets[0]"
    assert message.startswith("'security-auditors-ps' is not assigned on account 'log-archive' in "
                              "Pulumi.org.yaml")
    org_file = root / "Pulumi.org.yaml"
    data = yaml.safe_load(org_file.read_text(encoding="utf-8"))
    identity_center = data["config"]["landing-zone:identityCenter"]
    identity_center["assignments"].append({"permissionSet": "security-auditors-ps",
                                           "group": "hiperium-sso-provisioners-group",
                                           "accounts": ["log-archive"]})
    org_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    # Assigned now, but SecurityAudit and ViewOnlyAccess alone cannot read the objects nor decrypt them.
    [(severity, where, message)] = _reader_findings(root)
    assert severity == WARNING
    assert where == f"{SOURCE}: landing-zone:security.logArchive.readerPermissionSets[0]"
    assert "does not allow s3:GetObject and kms:Decrypt on the log archive" in message
    [permission_set] = [ps for ps in identity_center["permissionSets"]
                        if ps["name"] == "security-auditors-ps"]
    permission_set["inlinePolicy"] = "security_auditors.json"
    org_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert _reader_findings(root) == []
    # A bucket name the shipped inline policy does not cover brings the warning back.
    security_file = root / "Pulumi.security.yaml"
    security = yaml.safe_load(security_file.read_text(encoding="utf-8"))
    security["config"]["landing-zone:security"].setdefault("logArchive", {})["bucketName"] = "my-org-logs"
    security_file.write_text(yaml.safe_dump(security, sort_keys=False), encoding="utf-8")
    [(_, _, message)] = _reader_findings(root)
    assert "does not allow s3:GetObject on the log archive (bucket my-org-logs)" in message
