"""The deny-list SCP on the Security OU lets the security stack work and still stops everyone else.

The security stack reaches log-archive and security-tooling through the organization access role
(OrganizationAccountAccessRole), and the guardrails SCP is attached to the Security OU. So the
GuardDuty statement exempts that role (the detector and organization configuration are made through
it), and so does the CloudTrail statement; every other statement still binds it, and every other role is
still denied GuardDuty and CloudTrail changes. Evaluated on the document the org program sends, with
the smallest SCP evaluator these statements need (below).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from typing import Any

import pytest

from deploy.simulate import Recording
from iam_documents.access_role import is_principal_arn_key, role_arn
from tests.test_landing_zone import ATTACHMENT, OU, POLICY

GUARDRAILS = "landing-zone-scp-landing-zone-guardrails"
# IAM User Guide, "Condition operators" (reference_policies_elements_condition_operators.html): ArnLike
# and ArnNotLike match ARNs with * and ? wildcards, case-sensitively.
ARN_OPERATORS = {"ArnLike": True, "ArnNotLike": False}


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _matches_action(patterns: Any, action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in _as_list(patterns))


def _condition_holds(condition: Mapping[str, Mapping[str, Any]], principal_arn: str) -> bool:
    for operator, block in condition.items():
        if operator not in ARN_OPERATORS:
            raise NotImplementedError(f"condition operator {operator} is not evaluated here")
        for key, patterns in block.items():
            assert is_principal_arn_key(key), key
            matched = any(fnmatch.fnmatchcase(principal_arn, str(p)) for p in _as_list(patterns))
            if matched != ARN_OPERATORS[operator]:
                return False
    return True


def scp_allows(document: Mapping[str, Any], action: str, principal_arn: str) -> bool:
    """Organizations' SCP evaluation for one principal and action (Organizations User Guide, "SCP
    evaluation"): some Allow statement must match and no Deny statement may apply."""
    allowed = False
    for statement in document["Statement"]:
        if not _matches_action(statement.get("Action", []), action):
            continue
        if not _condition_holds(statement.get("Condition", {}), principal_arn):
            continue
        if statement["Effect"] == "Deny":
            return False
        allowed = True
    return allowed


def security_ou_guardrails(recording: Recording) -> dict[str, Any]:
    policy = recording.one(POLICY, GUARDRAILS)
    security = next(ou for ou in recording.of_type(OU) if ou.inputs["name"] == "Security")
    assert any(a.inputs["policyId"] == policy.id and a.inputs["targetId"] == security.id
               for a in recording.of_type(ATTACHMENT)), "the guardrails SCP is on the Security OU"
    document: dict[str, Any] = json.loads(policy.inputs["content"])
    return document


# What the security stack does in its two accounts through the access role (docs: the contract of
# issue 13): GuardDuty's detector and organization configuration, Security Hub, Access Analyzer, AWS
# Config's aggregator in security-tooling; the log bucket and its key in log-archive.
SECURITY_STACK_ACTIONS = {
    "security-tooling": [
        "guardduty:CreateDetector", "guardduty:UpdateDetector", "guardduty:TagResource",
        "guardduty:UpdateOrganizationConfiguration", "guardduty:CreateMembers",
        "securityhub:EnableSecurityHub", "securityhub:UpdateOrganizationConfiguration",
        "securityhub:CreateConfigurationPolicy", "securityhub:StartConfigurationPolicyAssociation",
        "access-analyzer:CreateAnalyzer", "config:PutConfigurationAggregator",
    ],
    "log-archive": [
        "s3:CreateBucket", "s3:PutBucketPolicy", "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration",
        "s3:PutBucketPublicAccessBlock", "s3:PutEncryptionConfiguration", "kms:CreateKey", "kms:PutKeyPolicy",
    ],
}
GUARDED = [
    "guardduty:CreateDetector", "guardduty:DeleteDetector", "guardduty:UpdateDetector",
    "guardduty:DisassociateFromMasterAccount", "cloudtrail:StopLogging", "cloudtrail:DeleteTrail",
    "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors", "cloudtrail:PutInsightSelectors",
]


@pytest.mark.parametrize("account", sorted(SECURITY_STACK_ACTIONS))
def test_the_access_role_may_do_what_the_security_stack_needs(org_recording: Recording, account: str) -> None:
    document = security_ou_guardrails(org_recording)
    account_id = str(org_recording.outputs["accounts"][account])
    access_role = role_arn(account_id, str(org_recording.outputs["access_role_name"]))
    for action in SECURITY_STACK_ACTIONS[account]:
        assert scp_allows(document, action, access_role), action


@pytest.mark.parametrize("role", ["AWSReservedSSO_hiperium-sso-provisioners-ps_0123456789abcdef",
                                  "AWSReservedSSO_security-auditors-ps_0123456789abcdef", "deploy"])
def test_every_other_role_is_still_denied_guardduty_and_cloudtrail_changes(
    org_recording: Recording, role: str
) -> None:
    document = security_ou_guardrails(org_recording)
    for account in ("security-tooling", "log-archive", "idp-prod"):
        principal = role_arn(str(org_recording.outputs["accounts"][account]), role)
        for action in GUARDED:
            assert not scp_allows(document, action, principal), (account, role, action)


def test_only_the_statements_the_security_stack_needs_exempt_the_access_role(
    org_recording: Recording,
) -> None:
    document = security_ou_guardrails(org_recording)
    exempted = {s["Sid"] for s in document["Statement"] if "ArnNotLike" in s.get("Condition", {})}
    assert exempted == {"DenyGuardDutyChanges", "DenyCloudTrailChanges"}
    access_role = role_arn(str(org_recording.outputs["accounts"]["security-tooling"]),
                           "OrganizationAccountAccessRole")
    # The rest of the deny list binds the access role as before.
    for action in ("organizations:LeaveOrganization", "config:StopConfigurationRecorder",
                   "config:DeleteConfigRule", "cloudwatch:DeleteAlarms", "ec2:CreateVpcPeeringConnection"):
        assert not scp_allows(document, action, access_role), action


def test_the_evaluator_refuses_a_condition_it_does_not_evaluate() -> None:
    statement = {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"k": "true"}}}
    with pytest.raises(NotImplementedError):
        scp_allows({"Statement": [statement]}, "s3:GetObject", "arn:aws:iam::123456789012:role/x")


# AWS Config recording (components/templates/config_recorder.yaml), deployed in every member by the
# StackSet's execution role ``stacksets-exec-<id>`` (a role of the account, not service-linked: SCPs bind
# it). Creating and updating the recorder, channel and role are not denied; deleting or stopping them is,
# for that role as for every other: removing the StackSet needs the deny lifted first (docs/security.md,
# "Account baseline").
CONFIG_RECORDING_CREATE = [
    "iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:PassRole", "iam:GetRole",
    "config:PutConfigurationRecorder", "config:PutDeliveryChannel", "config:StartConfigurationRecorder",
    "config:DescribeConfigurationRecorders", "config:DescribeDeliveryChannels",
]
CONFIG_RECORDING_REMOVE = [
    "config:StopConfigurationRecorder", "config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel",
]


@pytest.mark.parametrize("account", ["security-tooling", "log-archive", "idp-prod"])
def test_the_stack_set_execution_role_may_create_config_recording_but_never_stop_it(
    org_recording: Recording, account: str
) -> None:
    document = security_ou_guardrails(org_recording)
    execution_role = role_arn(str(org_recording.outputs["accounts"][account]), "stacksets-exec-0123abcd")
    for action in CONFIG_RECORDING_CREATE:
        assert scp_allows(document, action, execution_role), action
    for action in CONFIG_RECORDING_REMOVE:
        assert not scp_allows(document, action, execution_role), action
        # Nor may the recorder's own role or an account administrator.
        for other in ("landing-zone-config-recorder-us-east-1", "OrganizationAccountAccessRole"):
            principal = role_arn(str(org_recording.outputs["accounts"][account]), other)
            assert not scp_allows(document, action, principal), (other, action)
