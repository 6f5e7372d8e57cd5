"""The access documents of the shared state: the KMS key policy and the S3 bucket policy.

Who may use the state: the CI roles (``<prefix>-ci-<environment>``, components/settings/cicd_names.py) in
the Deployments accounts, the provisioners through their Identity Center roles, and the management
account's principals (the stacks that run with management credentials keep their state there too). All
are matched on ``aws:PrincipalArn`` rather than named as principals: a policy naming a role that does not
exist yet is refused by S3 and KMS ("Invalid principal"), and the CI roles come from another stack, later.
Every grant
also requires ``aws:PrincipalOrgID``: a fixed value of that key keeps the bucket policy non-public, so
S3's BlockPublicPolicy accepts it
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html, "The
meaning of public"), and no account outside the organization matches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from components.settings.cicd_names import ROLE_PREFIX, STATE_DATA_ACTIONS, STATE_KEY_ACTIONS, ci_role_name

# Identity Center roles live under this path, named AWSReservedSSO_<permission set>_<random suffix>; outside
# us-east-1 the path carries the region too, hence the wildcard before the name
# (https://docs.aws.amazon.com/singlesignon/latest/userguide/referencingpermissionsets.html).
SSO_ROLE_PATTERN = "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_{permission_set}_*"



def ci_principals(ci_account_ids: Sequence[str], prefix: str = ROLE_PREFIX) -> list[str]:
    """The CI roles of every environment in the Deployments accounts (any account when none is known)."""
    accounts = list(ci_account_ids) or ["*"]
    return [f"arn:aws:iam::{account}:role/{ci_role_name('*', prefix)}" for account in accounts]


def provisioner_principals(permission_sets: Iterable[str]) -> list[str]:
    return [SSO_ROLE_PATTERN.format(permission_set=name) for name in permission_sets]


def management_principals(management_account_id: str) -> list[str]:
    """Whoever runs the stacks from the management account: ``org``, ``cicd`` and ``security`` need its
    credentials (the driver refuses others for ``org``), and those same credentials reach the S3 backend
    and the KMS key, so the team's explicit deny would lock these stacks' state away from them. Not a
    widening: the management account reaches the state account through the organization's access role
    anyway (how bootstrap itself works)."""
    return [f"arn:aws:iam::{management_account_id}:*"]


def key_policy(account_id: str, principals: Sequence[str], org_id: str) -> dict[str, Any]:
    """The account root administers the key (so IAM policies of the account apply, as in KMS's default
    key policy: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html); the team
    uses it."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersKey",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "TeamUsesKey",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": list(STATE_KEY_ACTIONS),
                "Resource": "*",
                "Condition": _team_condition(principals, org_id),
            },
        ],
    }


def bucket_policy(bucket: str, principals: Sequence[str], org_id: str) -> dict[str, Any]:
    """Deny every request without TLS; deny the state's objects to anyone but the team; allow the team."""
    arns = [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                # https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": arns,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                # Identity policies of the account (admins' s3:*) grant nothing on the state's objects.
                "Sid": "DenyStateToOthers",
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(STATE_DATA_ACTIONS),
                "Resource": arns,
                "Condition": {"ArnNotLike": {"aws:PrincipalArn": list(principals)}},
            },
            {
                "Sid": "AllowStateToTeam",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": list(STATE_DATA_ACTIONS),
                "Resource": arns,
                "Condition": _team_condition(principals, org_id),
            },
        ],
    }


def _team_condition(principals: Sequence[str], org_id: str) -> dict[str, Any]:
    return {"ArnLike": {"aws:PrincipalArn": list(principals)}, "StringEquals": {"aws:PrincipalOrgID": org_id}}


def same_policy(stored: str | None, wanted: dict[str, Any]) -> bool:
    """True when a policy AWS returned says what ``wanted`` says (a one-item list equals its item; order of
    list items does not matter)."""
    if not stored:
        return False
    try:
        return _normal(json.loads(stored)) == _normal(wanted)
    except ValueError:
        return False


def _normal(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _normal(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [_normal(item) for item in value]
        if len(items) == 1:
            return items[0]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return value
