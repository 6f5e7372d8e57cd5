"""The security stack's guardrails (org-trail-required, log-bucket-protected, guardduty-auto-enable), one
fault at a time on a recorded stack of the contract's shape (tests/security_fixture.py), and its lines in
the idle cost estimate: each line's arithmetic from prices.json, the total, and what config changes."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from deploy import policy_config
from deploy.simulate import RecordedResource, Recording
from policies import guardrails as g
from policies.cost_security import DAYS_PER_MONTH
from policies.rules import security as s
from tests.configs import FIXTURE_STACKS, stack_values
from tests.conftest import set_props
from tests.security_fixture import Shape, security_recording

ROOT = Path(__file__).resolve().parent.parent
PRICES = json.loads((ROOT / "policies" / "prices.json").read_text())
SECURITY_RULES = ("org-trail-required", "log-bucket-protected", "guardduty-auto-enable")


@pytest.fixture(scope="module")
def shipped() -> Recording:
    return security_recording()


def findings(recording: Recording, rule: str) -> list[tuple[str, str | None]]:
    return g.check_stack(rule, g.stack_resources(recording), stack="security")


def one(recording: Recording, type_: str) -> RecordedResource:
    [found] = recording.of_type(type_)
    return found


def edit(recording: Recording, type_: str, change: Callable[[dict[str, Any]], None]) -> RecordedResource:
    target = one(recording, type_)
    change(target.inputs)
    change(target.outputs)
    return target


def remove(recording: Recording, type_: str) -> None:
    recording.resources = [r for r in recording.resources if r.type != type_]


def faulty(shipped: Recording, type_: str, change: Callable[[dict[str, Any]], None]) -> tuple[Recording, str]:
    copied = copy.deepcopy(shipped)
    return copied, edit(copied, type_, change).urn


def test_the_contracts_shape_passes_every_rule_of_the_pack(shipped: Recording) -> None:
    config = policy_config.derive(FIXTURE_STACKS)
    assert g.check_recording(shipped, config) == []
    kinds = {r.type for r in shipped.resources}
    assert {s.LOG_ARCHIVE, s.TRAIL, s.PUBLIC_ACCESS_BLOCK, s.GUARDDUTY_ORG_CONFIG, s.GUARDDUTY_ADMIN} <= kinds


# --- org-trail-required ---------------------------------------------------------------------------


@pytest.mark.parametrize(("fault", "expected"), [
    ({"isMultiRegionTrail": False}, "is not multi-region"),
    ({"isMultiRegionTrail": None}, "is not multi-region"),
    ({"enableLogFileValidation": False}, "does not validate its log files"),
    ({"includeGlobalServiceEvents": False}, "leaves out global service events"),
    ({"enableLogging": False}, "is not logging"),
    ({"kmsKeyId": None}, "has no kmsKeyId"),
])
def test_each_missing_trail_flag_fails_naming_the_trail(shipped: Recording, fault: dict[str, Any],
                                                         expected: str) -> None:
    recording, urn = faulty(shipped, s.TRAIL, set_props(**fault))
    [(message, at)] = findings(recording, "org-trail-required")
    assert message.startswith("organization trail 'org-trail' ") and expected in message
    assert at == urn


def test_provider_defaults_of_global_events_and_logging_are_accepted(shipped: Recording) -> None:
    """pulumi_aws cloudtrail/trail.py: includeGlobalServiceEvents and enableLogging default to true."""
    recording, _ = faulty(shipped, s.TRAIL, set_props(includeGlobalServiceEvents=None, enableLogging=None))
    assert findings(recording, "org-trail-required") == []


def test_a_log_archive_without_an_organization_trail_fails(shipped: Recording) -> None:
    recording, _ = faulty(shipped, s.TRAIL, set_props(isOrganizationTrail=False))
    [(message, at)] = findings(recording, "org-trail-required")
    assert "log archive 'log-archive'" in message and "no organization trail" in message
    assert at == one(recording, s.LOG_ARCHIVE).urn
    remove(recording, s.TRAIL)
    assert [m for m, _ in findings(recording, "org-trail-required")] == [message]


def test_a_lone_account_trail_fails_and_a_stack_without_either_passes(shipped: Recording) -> None:
    recording, urn = faulty(shipped, s.TRAIL, set_props(isOrganizationTrail=None))
    remove(recording, s.LOG_ARCHIVE)
    [(message, at)] = findings(recording, "org-trail-required")
    assert "the trail 'org-trail'" in message and at == urn
    remove(recording, s.TRAIL)
    assert findings(recording, "org-trail-required") == []


OPTS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def test_a_key_the_engine_does_not_know_yet_is_not_judged(shipped: Recording) -> None:
    """During a preview the key's ARN is unknown: not a missing key."""
    trail = one(shipped, s.TRAIL)
    props = {**trail.inputs, "kmsKeyId": UNKNOWN_STRING_VALUE}
    resource = PolicyResource(s.TRAIL, unknown_checking_proxy(props), trail.urn, trail.name, OPTS, None, None,
                              [], {})
    assert g.check_stack("org-trail-required", [resource], stack="security") == []
    missing = PolicyResource(s.TRAIL, unknown_checking_proxy({**props, "kmsKeyId": None}), trail.urn,
                             trail.name, OPTS, None, None, [], {})
    assert len(g.check_stack("org-trail-required", [missing], stack="security")) == 1


# --- log-bucket-protected -------------------------------------------------------------------------

ENCRYPTION, VERSIONING = s.BUCKET_ENCRYPTION[0], s.BUCKET_VERSIONING[0]


def _by_default(**values: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        set_props(**values)(props["rules"][0]["applyServerSideEncryptionByDefault"])
    return change


@pytest.mark.parametrize(("type_", "change", "expected"), [
    (ENCRYPTION, _by_default(sseAlgorithm="AES256", kmsMasterKeyId=None), "'AES256', not SSE-KMS"),
    (ENCRYPTION, _by_default(kmsMasterKeyId=None), "no kmsMasterKeyId"),
    (ENCRYPTION, _by_default(kmsMasterKeyId="alias/aws/s3"), "AWS managed key 'alias/aws/s3'"),
    (ENCRYPTION, _by_default(kmsMasterKeyId="arn:aws:kms:us-east-1:333333333333:alias/aws/s3"),
     "AWS managed key"),
    (VERSIONING, set_props(versioningConfiguration={"status": "Suspended"}), "versioning 'Suspended'"),
    *[(s.PUBLIC_ACCESS_BLOCK, set_props(**{flag: False}), f"{flag} not true")
      for flag in s.PUBLIC_ACCESS_FLAGS],
])
def test_each_weakened_piece_of_the_log_bucket_fails_naming_bucket_and_piece(
    shipped: Recording, type_: str, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    recording, urn = faulty(shipped, type_, change)
    [(message, at)] = findings(recording, "log-bucket-protected")
    assert message.startswith("log bucket 'log-archive' (written to by organization trail 'org-trail')")
    assert expected in message and at == urn


@pytest.mark.parametrize(("type_", "expected"), [
    (ENCRYPTION, "has no server-side encryption configuration"),
    (VERSIONING, "is not versioned"),
    (s.PUBLIC_ACCESS_BLOCK, "has no public access block"),
])
def test_each_missing_piece_of_the_log_bucket_fails_on_the_bucket(shipped: Recording, type_: str,
                                                                   expected: str) -> None:
    recording = copy.deepcopy(shipped)
    remove(recording, type_)
    [(message, at)] = findings(recording, "log-bucket-protected")
    assert "log bucket 'log-archive'" in message and expected in message
    assert at == one(recording, "aws:s3/bucket:Bucket").urn


def test_a_trail_writing_to_a_bucket_outside_the_stack_fails(shipped: Recording) -> None:
    recording, urn = faulty(shipped, s.TRAIL, set_props(s3BucketName="someone-elses-bucket"))
    [(message, at)] = findings(recording, "log-bucket-protected")
    assert "organization trail 'org-trail'" in message and "not declared in this stack" in message
    assert at == urn


def test_the_log_archives_own_bucket_is_judged_without_a_trail(shipped: Recording) -> None:
    recording = copy.deepcopy(shipped)
    remove(recording, s.TRAIL)
    edit(recording, VERSIONING, set_props(versioningConfiguration={"status": "Suspended"}))
    [(message, _)] = findings(recording, "log-bucket-protected")
    assert message.startswith("log bucket 'log-archive' (of log archive 'log-archive')")


def test_only_the_trails_bucket_of_the_log_archive_is_judged_when_it_has_several() -> None:
    """A server-access-log bucket can only use SSE-S3: beside the trail's bucket it is not a log bucket."""
    recording = security_recording(Shape(access_log_bucket=True))
    assert findings(recording, "log-bucket-protected") == []
    remove(recording, s.TRAIL)  # no trail names one: every bucket of the archive is judged
    messages = [m for m, _ in findings(recording, "log-bucket-protected")]
    assert any(m.startswith("log bucket 'log-archive-access-logs'") and "'AES256'" in m for m in messages)


# --- guardduty-auto-enable ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["NEW", "NONE", None])
def test_auto_enable_other_than_all_fails(shipped: Recording, value: str | None) -> None:
    recording, urn = faulty(shipped, s.GUARDDUTY_ORG_CONFIG, set_props(autoEnableOrganizationMembers=value))
    [(message, at)] = findings(recording, "guardduty-auto-enable")
    assert f"'guardduty' sets autoEnableOrganizationMembers to {value!r}" in message and at == urn


def test_a_delegated_administrator_without_organization_configuration_fails(shipped: Recording) -> None:
    recording = copy.deepcopy(shipped)
    remove(recording, s.GUARDDUTY_ORG_CONFIG)
    [(message, at)] = findings(recording, "guardduty-auto-enable")
    assert "delegated administrator 'guardduty'" in message and at == one(recording, s.GUARDDUTY_ADMIN).urn
    assert findings(security_recording(Shape(guard_duty=False)), "guardduty-auto-enable") == []


# --- the idle cost of the security stack -----------------------------------------------------------

PRICE, ASSUMED = PRICES["security"], PRICES["securityAssumptions"]


def lines(recording: Recording, accounts: int | None = None) -> dict[str, g.CostLine]:
    estimate = g.estimate_recording_cost(recording, accounts)
    return {line.item: line for line in estimate.lines}


def test_each_security_line_is_its_assumed_volume_times_its_price(shipped: Recording) -> None:
    found = lines(shipped, 10)
    events = ASSUMED["managementEventsPerAccount"] / 1e6 * PRICE["guardDutyManagementEventsPerMillion"]
    guard_duty = 10 * (events + ASSUMED["flowAndDnsLogGbPerAccount"] * PRICE["guardDutyFlowAndDnsLogsPerGb"])
    assert found["GuardDuty"].monthly_usd == pytest.approx(guard_duty, abs=0.01)
    assert found["Security Hub CSPM"].monthly_usd == pytest.approx(
        10 * ASSUMED["securityHubChecksPerAccount"] * PRICE["securityHubCheck"], abs=0.01)
    assert found["CloudTrail organization trail"].monthly_usd == 0
    monthly_gb = 10 * ASSUMED["logGbPerAccount"]
    # Steady state of the lifecycle: 90 days of logs in Standard, days 90..365 in Glacier IR.
    standard, glacier = found["S3 Standard log storage"], found["S3 Glacier IR log storage"]
    assert standard.quantity == pytest.approx(monthly_gb * 90 / DAYS_PER_MONTH, abs=0.01)
    assert glacier.quantity == pytest.approx(monthly_gb * 275 / DAYS_PER_MONTH, abs=0.01)
    assert standard.monthly_usd == pytest.approx(standard.quantity * PRICE["s3StandardGbMonth"], abs=0.01)
    assert glacier.monthly_usd == pytest.approx(glacier.quantity * PRICE["s3GlacierIrGbMonth"], abs=0.01)
    assert found["KMS keys"].monthly_usd == PRICES["monthly"]["kmsKey"]
    assert "AWS Config" not in found  # off by default
    estimate = g.estimate_recording_cost(shipped, 10)
    assert estimate.total == pytest.approx(sum(line.monthly_usd for line in found.values()), abs=0.001)


def test_the_accounts_scale_the_per_account_lines(shipped: Recording) -> None:
    ten, four = lines(shipped, 10), lines(shipped, 4)
    for item in ("GuardDuty", "Security Hub CSPM"):
        assert four[item].quantity == 4 and four[item].monthly_usd == pytest.approx(
            ten[item].monthly_usd * 4 / 10, abs=0.01)
    assert lines(shipped)["GuardDuty"].quantity == 10  # the pack's default without a config: AWS's quota


def test_security_hub_off_removes_its_line_and_aws_config_on_adds_one() -> None:
    without_hub = lines(security_recording(Shape(security_hub=False)), 10)
    assert "Security Hub CSPM" not in without_hub and "GuardDuty" in without_hub
    with_config = lines(security_recording(Shape(aws_config=True)), 10)
    assert with_config["AWS Config"].monthly_usd == pytest.approx(
        10 * ASSUMED["configItemsPerAccount"] * PRICE["configItem"], abs=0.01)


def test_the_lifecycle_decides_the_storage_lines() -> None:
    no_transition = lines(security_recording(Shape(transition_days=None)), 10)
    assert "S3 Glacier IR log storage" not in no_transition
    assert no_transition["S3 Standard log storage"].quantity == pytest.approx(365 / DAYS_PER_MONTH, abs=0.01)
    longer = lines(security_recording(Shape(retention_days=730, transition_days=30)), 10)
    assert longer["S3 Glacier IR log storage"].quantity == pytest.approx(700 / DAYS_PER_MONTH, abs=0.01)


def test_the_printed_estimate_states_its_assumptions(shipped: Recording) -> None:
    text = g.estimate_recording_cost(shipped, 10).summary()
    for stated in ("GuardDuty on 10 account(s)", "100,000 CloudTrail management events", "first 30 days",
                   "1,000 security checks", "first copy of management events is free",
                   "90 days in S3 Standard", "until day 365", "128 KB"):
        assert stated in text, stated
    assert "S3 storage and requests of the ALB access logs" not in text  # the log bucket's storage is counted


def test_the_advisory_rule_prices_the_configured_accounts(shipped: Recording) -> None:
    config = {"idle-cost-estimate": {"monthlyThresholdUsd": 1, "organizationAccounts": 3}}
    [violation] = g.check_recording(shipped, config)
    assert violation.policy == "idle-cost-estimate" and "GuardDuty 3 account(s)" in violation.message


def test_the_driver_derives_the_accounts_from_the_org_stack_file() -> None:
    members = len(stack_values("org")["accounts"])
    assert policy_config.organization_accounts(FIXTURE_STACKS) == members + 1
    mine = {"idle-cost-estimate": {"organizationAccounts": 4}}
    assert policy_config.organization_accounts(FIXTURE_STACKS, mine) == 4


def test_every_security_rule_is_in_the_guardrails_doc_with_the_stacks_figure(shipped: Recording) -> None:
    text = (ROOT / "docs" / "guardrails.md").read_text()
    for rule in SECURITY_RULES:
        assert f"| `{rule}` |" in text, rule
    total = g.estimate_recording_cost(shipped, 10).total
    assert f"**${total:.2f} a month**" in text  # the figure the doc gives for 10 accounts
