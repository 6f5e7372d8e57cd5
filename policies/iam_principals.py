"""The CrossGuard rule ``iam-privilege-escalation``: each identity a stack declares, with all the policies it
holds.

An identity's power is the union of its policies, so the rule gathers them per identity before
:mod:`iam_documents.iam_analysis` judges them:

* a permission set: its inline policy and the AWS managed policies attached to it (customer-managed
  ones live in the member accounts, out of the stack's sight);
* an IAM role, user or group: its inline policies (on the role itself or as separate ``RolePolicy``
  ... resources) and the managed policies attached to it, by ARN on the resource or through
  attachment resources; a customer-managed ``aws:iam/policy:Policy`` of the stack is read from the
  stack, an AWS managed one from the table in ``aws_managed_policies.json``;
* a customer-managed policy of the stack, on its own too: it can be attached anywhere.

A policy whose owner is not in the stack (an existing role named by a ``RolePolicy``) is judged
alone. Risks a permission set may keep are accepted by name in the rule's ``acceptedRisks`` setting
(permission set name -> risk names), which the driver derives from the org stack file's
``identityCenter.permissionSets[].acceptedRisks``; nothing else can accept a risk.

A stack rule sees the stack as the engine plans it, so the driver's preview stops a new path before
anything is applied.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from iam_documents import iam_analysis

PERMISSION_SET = "aws:ssoadmin/permissionSet:PermissionSet"
PERMISSION_SET_INLINE_POLICY = "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy"
PERMISSION_SET_MANAGED_POLICY = "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment"
POLICY = "aws:iam/policy:Policy"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
# kind -> (identity type, inline policy type, attachment type); the property naming the identity is `kind`.
IDENTITIES = {
    "role": (
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    ),
    "user": (
        "aws:iam/user:User",
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    ),
    "group": (
        "aws:iam/group:Group",
        "aws:iam/groupPolicy:GroupPolicy",
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    ),
}
ACCEPT_KEY = "landing-zone:identityCenter.permissionSets[].acceptedRisks"
# A role's accepted risks are keyed "role:<name>" in the same setting; the driver derives only the cicd
# stack's deploy roles' (AdminEquivalent, bounded by their permissions boundary: components/cicd_stack.py).
ROLE_ACCEPT_PREFIX = "role:"
# A group's, "group:<name>": the driver derives only the org stack's break-glass group (AdminEquivalent on
# purpose; the break-glass-mfa-required rule holds it to MFA: policies/rules/break_glass.py).
GROUP_ACCEPT_PREFIX = "group:"
SHOWN_PATHS = 6

# (resource, property, types the property refers to, keys of theirs it may hold) -> referred resources
Referenced = Callable[[PolicyResource, str, Sequence[str], Sequence[str]], list[PolicyResource]]


@dataclass
class Holder:
    """One identity, or one policy judged alone, and the documents it holds."""

    kind: str
    name: str
    urn: str
    documents: list[Mapping[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # documents that cannot be read


def _known(props: Any, key: str) -> Any:
    try:
        return props.get(key)
    except UnknownValueError:
        return None


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_plain(item) for item in value]
    return value


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str | bytes) else [value]


def _read(holder: Holder, value: Any, where: str) -> None:
    """Add a policy document given as JSON text (or already parsed); unknown values are skipped."""
    if value is None:
        return
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            holder.problems.append(f"{where} is not valid JSON ({error.msg})")
            return
    if isinstance(value, Mapping):
        holder.documents.append(_plain(value))
    else:
        holder.problems.append(f"{where} is not a JSON policy document")


def _attach(holder: Holder, arn: Any, policies: Mapping[str, PolicyResource]) -> None:
    """A managed policy by ARN: the stack's own customer-managed policy, or one of the AWS table."""
    if not isinstance(arn, str):
        return
    if arn in policies:
        _read(holder, _known(policies[arn].props, "policy"), f"policy '{policies[arn].name}'")
        return
    document = iam_analysis.managed_policy_document(arn)
    if document is not None:
        holder.documents.append(document)


def _name(resource: PolicyResource) -> str:
    name = _known(resource.props, "name")
    return name if isinstance(name, str) and name else resource.name


def holders(resources: Sequence[PolicyResource], referenced: Referenced) -> list[Holder]:
    """Every identity of the stack with the documents it holds, then each policy judged alone."""
    found: dict[str, Holder] = {}
    alone: list[Holder] = []
    by_type: dict[str, list[PolicyResource]] = {}
    for resource in resources:
        by_type.setdefault(resource.resource_type, []).append(resource)
    policies: dict[str, PolicyResource] = {}
    # A permissions boundary grants nothing, it only caps its role (IAM User Guide, "Permissions boundaries
    # for IAM entities", access_policies_boundaries.html): not judged as a grant.
    boundaries = {urn for role in by_type.get(IDENTITIES["role"][0], [])
                  for urn in (r.urn for r in referenced(role, "permissionsBoundary", [POLICY], ("arn",)))}
    for policy in by_type.get(POLICY, []):
        if policy.urn in boundaries:
            continue
        arn = _known(policy.props, "arn")
        if isinstance(arn, str):
            policies[arn] = policy
        holder = Holder("customer-managed policy", _name(policy), policy.urn)
        _read(holder, _known(policy.props, "policy"), "policy")
        alone.append(holder)

    def owner(
        resource: PolicyResource, prop: str, kind: str, types: Sequence[str], keys: Sequence[str]
    ) -> list[Holder]:
        owners = [found[r.urn] for r in referenced(resource, prop, types, keys) if r.urn in found]
        if not owners:  # an identity outside the stack: the policy is judged alone
            owners = [Holder(kind, resource.name, resource.urn)]
            alone.extend(owners)
        return owners

    for permission_set in by_type.get(PERMISSION_SET, []):
        found[permission_set.urn] = Holder("permission set", _name(permission_set), permission_set.urn)
    for inline in by_type.get(PERMISSION_SET_INLINE_POLICY, []):
        for holder in owner(
            inline, "permissionSetArn", "permission-set inline policy", [PERMISSION_SET], ("arn", "id")
        ):
            _read(holder, _known(inline.props, "inlinePolicy"), "inlinePolicy")
    for attachment in by_type.get(PERMISSION_SET_MANAGED_POLICY, []):
        for holder in owner(
            attachment,
            "permissionSetArn",
            "permission-set policy attachment",
            [PERMISSION_SET],
            ("arn", "id"),
        ):
            _attach(holder, _known(attachment.props, "managedPolicyArn"), policies)

    for kind, (identity, inline_type, attachment_type) in IDENTITIES.items():
        for resource in by_type.get(identity, []):
            holder = found[resource.urn] = Holder(kind, _name(resource), resource.urn)
            for index, entry in enumerate(_list(_known(resource.props, "inlinePolicies"))):
                if isinstance(entry, Mapping):
                    _read(holder, _known(entry, "policy"), f"inlinePolicies[{index}].policy")
            for arn in _list(_known(resource.props, "managedPolicyArns")):
                _attach(holder, arn, policies)
        for inline in by_type.get(inline_type, []):
            for holder in owner(inline, kind, f"{kind} policy", [identity], ("name", "id")):
                _read(holder, _known(inline.props, "policy"), "policy")
        for attachment in by_type.get(attachment_type, []):
            for holder in owner(attachment, kind, f"{kind} policy attachment", [identity], ("name", "id")):
                _attach(holder, _known(attachment.props, "policyArn"), policies)
    for attachment in by_type.get(POLICY_ATTACHMENT, []):
        for kind, (identity, _inline, _attachment) in IDENTITIES.items():
            for resource in referenced(attachment, f"{kind}s", [identity], ("name", "id")):
                if resource.urn in found:
                    _attach(found[resource.urn], _known(attachment.props, "policyArn"), policies)
    return [*found.values(), *alone]


def findings(
    resources: Sequence[PolicyResource], referenced: Referenced, accepted: Mapping[str, Sequence[str]]
) -> Iterator[tuple[str, str | None]]:
    """(message, URN) for each identity whose policies are admin-equivalent or open a path not accepted."""
    for holder in holders(resources, referenced):
        for problem in holder.problems:
            yield f"{holder.kind} '{holder.name}': {problem}", holder.urn
        if not holder.documents:
            continue
        analysis = iam_analysis.analyze(holder.documents)
        allowed = (accepted.get(holder.name, ()) if holder.kind == "permission set"
                   else accepted.get(ROLE_ACCEPT_PREFIX + holder.name, ()) if holder.kind == "role"
                   else accepted.get(GROUP_ACCEPT_PREFIX + holder.name, ()) if holder.kind == "group" else ())
        risks = iam_analysis.unaccepted(analysis, allowed)
        if not risks:
            continue
        how = (
            f"; narrow its policies, or accept each risk by name with a reason in {ACCEPT_KEY}"
            if holder.kind == "permission set"
            else "; narrow its policies (only permission sets may accept a risk)"
        )
        if analysis.admin_equivalent:
            yield (
                (
                    f"{holder.kind} '{holder.name}' is admin-equivalent: it is allowed every IAM permissions-"
                    f"management action on every resource, so it can grant itself anything{how}"
                ),
                holder.urn,
            )
        else:
            shown = ", ".join(risks[:SHOWN_PATHS]) + (
                f" and {len(risks) - SHOWN_PATHS} more" if len(risks) > SHOWN_PATHS else ""
            )
            yield (
                (
                    f"{holder.kind} '{holder.name}' can escalate its privileges by {len(risks)} path(s) "
                    f"not accepted (cloudsplaining): {shown}{how}"
                ),
                holder.urn,
            )
