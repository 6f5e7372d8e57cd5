"""The CI/CD names every side agrees on: the CI roles in the Deployments accounts (the cicd stack creates
them), the deploy roles in each environment's accounts, what assuming a deploy role must send, and the
state backend's defaults.

One definition, used by the cicd stack (trust policies), the environment stacks' providers, the driver's
readiness wait, ``python -m deploy bootstrap`` (the state bucket's and key's policies) and the GitHub
workflow (.github/workflows/deploy.yml names the same variables).
Bottom of the settings layer: it imports nothing but the project's name.
"""

from __future__ import annotations

import re

from components.settings.base import PROJECT

# Prefix of the CI and deploy role names (the project's name).
ROLE_PREFIX = PROJECT

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

# Set by CI (the workflow's deploy jobs) to make the environment stacks' providers assume the deploy role
# of that name in each target account instead of the organization's access role. Unset: a person's run,
# with OrganizationAccountAccessRole (or the profile / roleName the stack file names).
DEPLOY_ROLE_ENV = "LANDING_ZONE_DEPLOY_ROLE_NAME"

# IAM role names: up to 64 characters of [\w+=,.@-] (IAM API Reference, CreateRole, RoleName).
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_DEPLOY_ROLE = re.compile(rf"^{re.escape(PROJECT)}-deploy-(?P<environment>[a-z0-9-]+)$")


def ci_role_name(environment: str, prefix: str = ROLE_PREFIX) -> str:
    """The CI role of ``environment`` in its Deployments account (OIDC-federated, assumed by the CI)."""
    return f"{prefix}-ci-{environment}"


def deploy_role_name(environment: str, prefix: str = ROLE_PREFIX) -> str:
    """The deploy role of ``environment`` in each of its target accounts; it trusts only that
    environment's CI role."""
    return f"{prefix}-deploy-{environment}"


def ci_role_arn_pattern(prefix: str = ROLE_PREFIX) -> str:
    """Every CI role of the project in any account, for ``aws:PrincipalArn`` (StringLike)."""
    return f"arn:aws:iam::*:role/{ci_role_name('*', prefix)}"


def state_bucket_name(account_id: str, region: str) -> str:
    return STATE_BUCKET_PATTERN.format(account_id=account_id, region=region)


def deploy_external_id(environment: str) -> str:
    """The ``sts:ExternalId`` the deploy role's trust policy requires, one per environment.

    Not a secret: it makes a caller name the environment it means to deploy, so a CI role that could
    assume several roles cannot be steered into another environment's (the confused-deputy guard AWS
    describes in "Access to AWS accounts owned by third parties", IAM User Guide:
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html).
    2 to 1224 characters of [\\w+=,.@:/-] (STS API Reference, AssumeRole, ExternalId).
    """
    return f"{PROJECT}-{environment}"


def deploy_session_name(environment: str) -> str:
    """RoleSessionName of the providers' sessions in the deploy roles (2-64 chars of [\\w+=,.@-])."""
    return f"{PROJECT}-{environment}"


def deploy_role_environment(role_name: str) -> str | None:
    """The environment whose deploy role ``role_name`` is, or None for any other role."""
    match = _DEPLOY_ROLE.match(role_name)
    return match.group("environment") if match else None


def external_id_for_role(role_name: str) -> str | None:
    """The ExternalId an AssumeRole of ``role_name`` must send: a deploy role's, else none."""
    environment = deploy_role_environment(role_name)
    return deploy_external_id(environment) if environment else None


def is_role_name(value: str) -> bool:
    return bool(_ROLE_NAME.match(value))
