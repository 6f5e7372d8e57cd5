"""The names the CI/CD pieces share: the CI roles, the deploy roles and the state backend's defaults.

One definition for the stack that creates the CI and deploy roles, for ``python -m deploy bootstrap``
(the state bucket's policy names the CI roles and the key's alias) and for the driver. Nothing here reads
config; callers pass the prefix and environment.
"""

from __future__ import annotations

# Prefix of the CI and deploy role names (the project's name).
ROLE_PREFIX = "landing-zone"

# The state backend: account the org stack's ``stateBackend`` names by default, the KMS alias, and the
# bucket name derived from the account id and region (bucket names are global: the id keeps it unique).
DEFAULT_STATE_ACCOUNT = "deployments-prod"
DEFAULT_STATE_KEY_ALIAS = "alias/pulumi-state"
STATE_BUCKET_PATTERN = "pulumi-state-{account_id}-{region}"

# What the state's users need, granted by the bucket and key policies (deploy/state_policies.py); a CI
# role's own policy grants the same on the bucket and key. Pulumi's DIY backend lists, reads, writes and
# deletes objects (gocloud.dev blob); the awskms:// secrets provider and SSE-KMS with a bucket key call
# Encrypt, Decrypt and GenerateDataKey on the key for the caller.
STATE_DATA_ACTIONS = ("s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject")
STATE_KEY_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey")


def ci_role_name(environment: str, prefix: str = ROLE_PREFIX) -> str:
    """The CI role of ``environment`` in its Deployments account: ``<prefix>-ci-<environment>``."""
    return f"{prefix}-ci-{environment}"


def deploy_role_name(environment: str, prefix: str = ROLE_PREFIX) -> str:
    """The deploy role of ``environment`` in its target accounts: ``<prefix>-deploy-<environment>``."""
    return f"{prefix}-deploy-{environment}"


def ci_role_arn_pattern(prefix: str = ROLE_PREFIX) -> str:
    """Every CI role of the project in any account, for ``aws:PrincipalArn`` (StringLike)."""
    return f"arn:aws:iam::*:role/{ci_role_name('*', prefix)}"


def state_bucket_name(account_id: str, region: str) -> str:
    return STATE_BUCKET_PATTERN.format(account_id=account_id, region=region)
