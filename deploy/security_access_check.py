"""``plan``'s cross-check of the security stack against the org's SCPs: may the access role do its work?

The security stack reaches log-archive and security-tooling through the org's access role
(``accessRoleName``), and both accounts sit in OU Security, where the org attaches SCPs (by default the
deny-list ``guardrails.json``). An SCP binds every IAM user and role of a member account, only
service-linked roles excepted (Organizations User Guide, orgs_manage_policies_scps.html), and a Deny in any
SCP on the account's OU or above refuses the call (same guide, orgs_manage_policies_scps_evaluation.html).
The mocks accept every call, so this check evaluates, for the
access role in each of the two accounts, the calls the security stack makes there against each Deny
statement that applies: an error names the SCP in the org stack file.

The shipped deny list exempts ``OrganizationAccountAccessRole`` from its GuardDuty and CloudTrail
statements; with another ``accessRoleName`` the security stack's GuardDuty detector (CreateDetector,
TagResource) would be refused in security-tooling at ``up``. Statements with other condition keys, a
``NotAction`` or specific resources are not evaluated here (left to AWS).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

from components import config as stack_config
from components.settings.base import PROJECT
from components.settings.landing_zone import in_ou
from components.settings.security import SecurityConfig
from deploy.security_check import security_and_org
from deploy.stack_checks import ERROR, Finding, StackContext
from iam_documents import documents
from iam_documents.access_role import (
    PRINCIPAL_EXEMPTION_OPERATORS,
    exempts_role,
    is_principal_arn_key,
    principal_exemptions,
)

CHECK = "security access"
# What the security stack calls through the access role (components/log_archive.py,
# components/security_services.py; Service Authorization Reference for the action names), per account.
LOG_ARCHIVE_ACTIONS = (
    "s3:CreateBucket", "s3:PutBucketPolicy", "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration",
    "s3:PutBucketPublicAccessBlock", "s3:PutEncryptionConfiguration", "s3:PutBucketOwnershipControls",
    "s3:PutBucketTagging", "kms:CreateKey", "kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:TagResource",
)
GUARD_DUTY_ACTIONS = (
    "guardduty:CreateDetector", "guardduty:TagResource", "guardduty:GetDetector",
    "guardduty:UpdateOrganizationConfiguration",
)
SECURITY_HUB_ACTIONS = (
    "securityhub:CreateFindingAggregator", "securityhub:UpdateOrganizationConfiguration",
    "securityhub:CreateConfigurationPolicy", "securityhub:StartConfigurationPolicyAssociation",
)
ACCESS_ANALYZER_ACTIONS = ("access-analyzer:CreateAnalyzer",)
CONFIG_AGGREGATOR_ACTIONS = ("iam:CreateRole", "iam:AttachRolePolicy", "config:PutConfigurationAggregator")


def tooling_actions(settings: SecurityConfig) -> tuple[str, ...]:
    """The calls in security-tooling, for the services the stack turns on."""
    tooling = settings.tooling
    parts = ((tooling.guard_duty, GUARD_DUTY_ACTIONS), (tooling.security_hub, SECURITY_HUB_ACTIONS),
             (tooling.access_analyzer, ACCESS_ANALYZER_ACTIONS),
             (tooling.aws_config, CONFIG_AGGREGATOR_ACTIONS))
    return tuple(action for on, actions in parts if on for action in actions)


def _matches(patterns: Any, action: str) -> bool:
    """Action names and their wildcards are not case-sensitive (IAM User Guide, reference_policies_elements
    _action.html)."""
    return any(fnmatchcase(action.lower(), str(p).lower()) for p in documents.as_list(patterns))


def _evaluable(statement: Mapping[str, Any]) -> bool:
    """A Deny on ``Action`` over every resource, conditioned at most on principal exemptions."""
    if statement.get("Effect") != "Deny" or "Action" not in statement:
        return False
    if documents.as_list(statement.get("Resource", "*")) != ["*"]:
        return False
    condition = statement.get("Condition") or {}
    if not isinstance(condition, Mapping):
        return False
    return all(operator in PRINCIPAL_EXEMPTION_OPERATORS and isinstance(clause, Mapping)
               and all(is_principal_arn_key(key) for key in clause)
               for operator, clause in condition.items())


def denied_actions(document: Mapping[str, Any], role_name: str, actions: Sequence[str]
                   ) -> list[tuple[str, list[str]]]:
    """(statement Sid, the actions it refuses the role) for each evaluable Deny that binds the role."""
    refused: list[tuple[str, list[str]]] = []
    for index, statement in enumerate(documents.statements(document)):
        if not _evaluable(statement):
            continue
        if any(exempts_role(pattern, role_name) for pattern in principal_exemptions(statement)):
            continue
        hit = [action for action in actions if _matches(statement["Action"], action)]
        if hit:
            refused.append((str(statement.get("Sid") or f"Statement[{index}]"), hit))
    return refused


def check_security_access_role(context: StackContext) -> list[Finding]:
    loaded = security_and_org(context)
    if loaded is None:
        return []
    settings, org = loaded
    org_stack = settings.org_stack.split("/")[-1]
    scps = org.resolved.service_control_policies  # loaded and validated with the org's config
    ous = {account.key: account.ou for account in org.accounts}
    work = ((settings.log_archive.account, LOG_ARCHIVE_ACTIONS),
            (settings.tooling.account, tooling_actions(settings)))
    findings: list[Finding] = []
    for index, scp in enumerate(org.service_control_policies):
        for account, actions in work:
            targets = [t for t in scp.targets if account in ous and in_ou(ous[account], t)]
            if not targets or not actions:
                continue
            for sid, hit in denied_actions(scps[scp.name].document, org.access_role_name, actions):
                findings.append(Finding(
                    CHECK, ERROR,
                    f"{stack_config.stack_file(org_stack)}: {PROJECT}:serviceControlPolicies[{index}].file",
                    f"iam_documents/scp/{scp.file} (statement {sid}, on OU '{targets[0]}') denies "
                    f"{', '.join(hit)} to the access role '{org.access_role_name}' in '{account}', "
                    f"through which the {context.stack} stack makes these calls: AWS would refuse them at "
                    "up; exempt that role (aws:PrincipalArn) in the statement",
                ))
    return findings
