"""The CI/CD IAM documents: the CI roles' OIDC trust, the deploy roles' trust, what a CI role may do and
the deploy roles' permissions boundary. Data built from plain values (account ids, ARNs, names), so the
tests can assert and evaluate them exactly; the permission documents pass the same validation as the
policy files (``documents.validate``: grammar, size, known actions and condition keys).

Sources:
- OIDC trust for GitHub Actions, pinning ``<issuer host>:aud`` and ``<issuer host>:sub``: IAM User Guide,
  "Creating a role for web identity or OIDC federation", GitHub section
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html#idp_oidc_Create_GitHub)
  and "Available keys for AWS OIDC federation"
  (reference_policies_iam-condition-keys.html#condition-keys-wif):
  the key is the provider URL without ``https://``.
- Cross-account trust with ``sts:ExternalId``: IAM User Guide, "Access to AWS accounts owned by third
  parties" (id_roles_common-scenarios_third-party.html).
- KMS keys named by alias in a policy: ``kms:ResourceAliases`` (AWS KMS Developer Guide, "Use aliases to
  control access to KMS keys", alias-authorization.html); it is multivalued, hence ``ForAnyValue:``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from iam_documents.documents import VERSION, validate

WILDCARDS = ("*", "?")
# A managed policy's document may hold 6,144 characters (IAM quotas, "Managed policy size").
MANAGED_POLICY_CHARS = 6144
# All inline policies of a role together: 10,240 characters (IAM quotas, "Role policy size").
ROLE_INLINE_POLICY_CHARS = 10240


def issuer_key(issuer: str) -> str:
    """The prefix of the provider's condition keys: its URL without ``https://`` (and trailing slash)."""
    return issuer.removeprefix("https://").rstrip("/")


def oidc_provider_arn(account_id: str, issuer: str) -> str:
    return f"arn:aws:iam::{account_id}:oidc-provider/{issuer_key(issuer)}"


def has_wildcard(value: str) -> bool:
    return any(mark in value for mark in WILDCARDS)


def ci_trust_policy(provider_arn: str, issuer: str, audience: str, subjects: Sequence[str]) -> dict[str, Any]:
    """Only web identities from ``provider_arn`` whose token has audience ``audience`` and one of the
    ``subjects``. Subjects with a wildcard (after the repository) need ``StringLike``; otherwise both
    keys are compared with ``StringEquals``."""
    key = issuer_key(issuer)
    sub = list(subjects) if len(subjects) > 1 else subjects[0]
    conditions: dict[str, dict[str, Any]] = {"StringEquals": {f"{key}:aud": audience}}
    if any(has_wildcard(subject) for subject in subjects):
        conditions["StringLike"] = {f"{key}:sub": sub}
    else:
        conditions["StringEquals"][f"{key}:sub"] = sub
    return {
        "Version": VERSION,
        "Statement": [{
            "Sid": "CiWebIdentity",
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": conditions,
        }],
    }


def deploy_trust_policy(ci_role_arn: str, external_id: str) -> dict[str, Any]:
    """Only the environment's CI role, and only when it sends the environment's ExternalId."""
    return {
        "Version": VERSION,
        "Statement": [{
            "Sid": "EnvironmentCiRole",
            "Effect": "Allow",
            "Principal": {"AWS": ci_role_arn},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
        }],
    }


def ci_permissions(
    deploy_role_arns: Sequence[str], *, bucket: str, key_account_id: str, key_region: str, key_alias: str
) -> dict[str, Any]:
    """What a CI role may do: assume its own environment's deploy roles, and use the state backend."""
    return _checked({
        "Version": VERSION,
        "Statement": [
            {"Sid": "AssumeOwnDeployRoles", "Effect": "Allow", "Action": "sts:AssumeRole",
             "Resource": sorted(deploy_role_arns)},
            {"Sid": "StateBucket", "Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
             "Resource": f"arn:aws:s3:::{bucket}"},
            {"Sid": "StateObjects", "Effect": "Allow",
             "Action": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
             "Resource": f"arn:aws:s3:::{bucket}/*"},
            {"Sid": "SecretsProviderKey", "Effect": "Allow",
             "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
             "Resource": f"arn:aws:kms:{key_region}:{key_account_id}:key/*",
             "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": key_alias}}},
        ],
    }, "CI role policy", ROLE_INLINE_POLICY_CHARS)


# Identity administration a deploy role never needs: IAM users and their credentials, groups, identity
# providers; and nothing of the organization or the account's own settings.
IDENTITY_ADMIN_ACTIONS = (
    "iam:AddUserToGroup", "iam:AttachGroupPolicy", "iam:AttachUserPolicy", "iam:CreateAccessKey",
    "iam:CreateGroup", "iam:CreateLoginProfile", "iam:CreateOpenIDConnectProvider", "iam:CreateSAMLProvider",
    "iam:CreateServiceSpecificCredential", "iam:CreateUser", "iam:CreateVirtualMFADevice",
    "iam:PutGroupPolicy", "iam:PutUserPermissionsBoundary", "iam:PutUserPolicy", "iam:UpdateAccessKey",
    "iam:UpdateLoginProfile", "iam:UpdateOpenIDConnectProviderThumbprint", "iam:UpdateSAMLProvider",
    "iam:UploadSSHPublicKey", "iam:UploadSigningCertificate",
)
# What would let the role widen itself: its own trust, policies and boundary, and the boundary's versions.
SELF_CHANGE_ACTIONS = (
    "iam:AttachRolePolicy", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary", "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole", "iam:UpdateRoleDescription",
)
BOUNDARY_CHANGE_ACTIONS = (
    "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion",
)


def deploy_boundary(deploy_role_arn: str, boundary_arn: str) -> dict[str, Any]:
    """The deploy role's permissions boundary: everything except identity admin, the organization, the
    account's settings and changing the role or this boundary (the role's grant is AdministratorAccess;
    its effective permissions are the intersection)."""
    return _checked({
        "Version": VERSION,
        "Statement": [
            {"Sid": "WithinTheBoundary", "Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Sid": "NoIdentityAdmin", "Effect": "Deny", "Action": list(IDENTITY_ADMIN_ACTIONS),
             "Resource": "*"},
            {"Sid": "NoOrganizationOrAccount", "Effect": "Deny", "Action": ["account:*", "organizations:*"],
             "Resource": "*"},
            {"Sid": "NoSelfChange", "Effect": "Deny", "Action": list(SELF_CHANGE_ACTIONS),
             "Resource": deploy_role_arn},
            {"Sid": "NoBoundaryChange", "Effect": "Deny", "Action": list(BOUNDARY_CHANGE_ACTIONS),
             "Resource": boundary_arn},
        ],
    }, "deploy role boundary", MANAGED_POLICY_CHARS)


def _checked(document: dict[str, Any], source: str, max_chars: int) -> dict[str, Any]:
    validate(document, "identity", source=source, max_chars=max_chars)  # raises PolicyDocumentError
    return document
