"""Break-glass users (IAM users under path /break-glass/) are usable only with MFA, and have no console
password set by the program.

Each such user must be a member (``aws:iam/groupMembership``) of a group whose inline policy denies every
action but MFA self-service while ``aws:MultiFactorAuthPresent`` is not true (``BoolIfExists`` ... false,
so requests with long-term credentials, where the key is absent, are denied too: IAM User Guide,
reference_policies_examples_aws_my-sec-creds-self-manage-mfa-only.html and "Condition operators",
...IfExists). The pack imports nothing from components/: the path and the self-service actions are here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource

from policies.rules.base import Context, StackFinding, _document, _is_map, _items, _known

USER = "aws:iam/user:User"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
GROUP_MEMBERSHIP = "aws:iam/groupMembership:GroupMembership"
LOGIN_PROFILE = "aws:iam/userLoginProfile:UserLoginProfile"
BREAK_GLASS_PATH = "/break-glass/"
# What a user without MFA may still do: enrol and resync an MFA device, set a first password.
MFA_SELF_SERVICE = frozenset({
    "iam:changepassword", "iam:createvirtualmfadevice", "iam:enablemfadevice", "iam:getaccountpasswordpolicy",
    "iam:getmfadevice", "iam:getuser", "iam:listmfadevices", "iam:listvirtualmfadevices",
    "iam:resyncmfadevice", "sts:getsessiontoken",
})


def denies_without_mfa(statement: Mapping[str, Any]) -> bool:
    """A Deny of everything but MFA self-service on every resource, unless the request has MFA."""
    if statement.get("Effect") != "Deny" or "Action" in statement:
        return False
    if _items(statement.get("Resource")) != ["*"]:
        return False
    kept = [str(action).lower() for action in _items(statement.get("NotAction"))]
    if not kept or any(action not in MFA_SELF_SERVICE for action in kept):
        return False
    condition: Any = statement.get("Condition")
    if not _is_map(condition) or list(condition) != ["BoolIfExists"]:
        return False
    block: Any = condition["BoolIfExists"]
    if not _is_map(block) or list(block) != ["aws:MultiFactorAuthPresent"]:
        return False
    return [str(v).lower() for v in _items(block["aws:MultiFactorAuthPresent"])] == ["false"]


def _requires_mfa(policy: PolicyResource) -> bool:
    document, error = _document(_known(policy.props, "policy"))
    if error or not _is_map(document):
        return False
    return any(_is_map(s) and denies_without_mfa(s) for s in _items(document.get("Statement")))


def break_glass_mfa(resources: Sequence[PolicyResource], ctx: Context) -> Iterator[StackFinding]:
    """Every /break-glass/ user is in a group with the MFA-deny policy, and has no login profile."""
    users = [r for r in resources if r.resource_type == USER and _known(r.props, "path") == BREAK_GLASS_PATH]
    if not users:
        return
    mfa_groups = {
        _known(p.props, "group") for p in resources if p.resource_type == GROUP_POLICY and _requires_mfa(p)
    }
    members_of_mfa_groups = {
        str(user)
        for membership in resources
        if membership.resource_type == GROUP_MEMBERSHIP and _known(membership.props, "group") in mfa_groups
        for user in _items(_known(membership.props, "users"))
    }
    profiles = {str(_known(r.props, "user")) for r in resources if r.resource_type == LOGIN_PROFILE}
    for user in users:
        name = str(_known(user.props, "name"))
        if name not in members_of_mfa_groups:
            yield (f"break-glass user '{name}' is in no group whose inline policy denies everything but MFA "
                   "self-service without aws:MultiFactorAuthPresent (BoolIfExists false)"), user.urn
        if name in profiles:
            yield (f"break-glass user '{name}' has a login profile declared: the program must not set a "
                   "console password (an administrator sets one offline)"), user.urn
