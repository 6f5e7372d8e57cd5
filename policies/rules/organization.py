"""Rules on the organization and identity: service control policies, the Suspended OU's quarantine,
permission-set sessions and IAM privilege escalation.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Sequence
from typing import Any

from pulumi_policy import PolicyResource

from iam_documents import documents
from iam_documents.access_role import (
    PRINCIPAL_EXEMPTION_OPERATORS,
    SAMPLE_ACCOUNT_ID,
    exempts_role,
    is_principal_arn_key,
    role_arn,
)
from policies.aws_service_rules import duration_seconds
from policies.rules.base import (
    ORG_POLICY,
    ORG_POLICY_ATTACHMENT,
    ORGANIZATION,
    ORGANIZATIONAL_UNIT,
    SCP_TYPE,
    Context,
    Props,
    StackFinding,
    StackIndex,
    _document,
    _is_map,
    _known,
)

# --- Service control policies -------------------------------------------------------------------


def _is_scp(props: Props) -> bool:
    return (props.get("type") or SCP_TYPE) == SCP_TYPE


def scp_document(resource_type: str, props: Props, ctx: Context) -> Iterator[str]:
    """SCP content: the SCP grammar, within the size limit as sent, known actions."""
    if not _is_scp(props):
        return
    content = props.get("content")
    document, error = _document(content)
    if error:
        yield f"content {error}"
        return
    for problem in documents.grammar_errors(document, "scp"):
        yield f"content: {problem}"
    limit = int(ctx.config["maxDocumentChars"])
    sent = len(content) if isinstance(content, str) else len(documents.minify(document))
    if sent > limit:
        minified = len(documents.minify(document))
        hint = f" (minified it would be {minified})" if minified < sent else ""
        yield f"content is {sent} characters as sent, over the limit of {limit}{hint}"
    if ctx.config["checkActions"] and _is_map(document):
        unknown = documents.unknown_actions(document)
        if unknown:
            yield f"content names unknown IAM action(s) {', '.join(unknown)}"


def quarantine_statement(statement: Any, access_role: str) -> bool:
    """A statement that denies every action on every resource to all but the access role."""
    if not _is_map(statement) or statement.get("Effect") != "Deny" or "NotAction" in statement:
        return False
    if "*" not in documents.as_list(statement.get("Action")):
        return False
    if "*" not in documents.as_list(statement.get("Resource")):
        return False
    condition = statement.get("Condition")
    if not _is_map(condition) or len(condition) != 1:
        return False
    operator, clause = next(iter(condition.items()))
    if not _is_map(clause) or len(clause) != 1:
        return False
    key, values = next(iter(clause.items()))
    if not is_principal_arn_key(key):
        return False
    others = (role_arn(SAMPLE_ACCOUNT_ID, "AnyOtherRole"), f"arn:aws:iam::{SAMPLE_ACCOUNT_ID}:user/anyone")
    for pattern in documents.as_list(values):
        if not isinstance(pattern, str):
            continue
        if operator not in PRINCIPAL_EXEMPTION_OPERATORS:
            return False
        if operator == "StringNotEquals":  # exact: an access role in one account only
            exempts, too_wide = False, False
        else:
            exempts = exempts_role(pattern, access_role)
            too_wide = any(fnmatch.fnmatchcase(other, pattern) for other in others)
        if exempts and not too_wide:
            return True
    return False


def suspended_quarantine(resources: Sequence[PolicyResource], ctx: Context) -> Iterator[StackFinding]:
    """The Suspended OU holds an SCP that denies everything except the organization access role."""
    ous = [r for r in resources if r.resource_type == ORGANIZATIONAL_UNIT]
    if not ous and not any(r.resource_type == ORGANIZATION for r in resources):
        return  # not an organization stack
    name, role = ctx.config["suspendedOu"], ctx.config["accessRoleName"]
    suspended = [ou for ou in ous if _known(ou.props, "name") == name]
    if not suspended:
        yield (f"the stack declares the organization but no OU named '{name}' (policy config "
               "suspendedOu names it)"), None
        return
    index = StackIndex(resources)
    for ou in suspended:
        attached = [
            policy
            for attachment in index.of_type(ORG_POLICY_ATTACHMENT)
            if ou in index.referenced(attachment, "targetId", (ORGANIZATIONAL_UNIT,))
            for policy in index.referenced(attachment, "policyId", (ORG_POLICY,))
        ]
        if not any(_quarantines(policy.props, role) for policy in attached):
            yield (f"OU '{name}' has no SCP attached that denies '*' on '*' to everyone but "
                   f"'{role}' (an aws:PrincipalArn exemption)"), ou.urn


def _quarantines(props: Props, access_role: str) -> bool:
    if not _is_scp(props):
        return False
    document, error = _document(_known(props, "content"))
    if error or not _is_map(document):
        return False
    return any(quarantine_statement(s, access_role) for s in documents.statements(document))

# --- Identity Center ---------------------------------------------------------------------------


def permission_set_session(resource_type: str, props: Props, ctx: Context) -> Iterator[str]:
    """Permission-set sessions last at most the configured maximum (AWS: PT1H to PT12H)."""
    value = props.get("sessionDuration")
    if value is None:  # AWS default: PT1H
        return
    seconds = duration_seconds(str(value))
    maximum = duration_seconds(str(ctx.config["maxSessionDuration"]))
    if seconds is None:
        yield f"sessionDuration {value!r} is not an ISO 8601 duration such as 'PT8H'"
    elif maximum is not None and seconds > maximum:
        yield f"sessionDuration {value} is longer than {ctx.config['maxSessionDuration']}"
    elif seconds < 3600:
        yield f"sessionDuration {value} is shorter than PT1H, which AWS rejects"


def iam_privilege_escalation(resources: Sequence[PolicyResource], ctx: Context) -> Iterator[StackFinding]:
    """No identity holds admin-equivalent policies or opens a privilege-escalation path, unless a
    permission set accepts that risk by name (policies/iam_principals.py, iam_documents/iam_analysis.py)."""
    from policies import iam_principals  # imports the analysis library only when the rule runs

    accepted = documents.parse_json_text(ctx.config["acceptedRisks"])
    if not _is_map(accepted):
        accepted = {}
    yield from iam_principals.findings(resources, StackIndex(resources).referenced, accepted)
