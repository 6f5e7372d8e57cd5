"""The CI/CD names every side agrees on: the CI roles in the Deployments accounts, the deploy roles in
each environment's accounts, the ExternalId a deploy role requires, and the state backend's defaults.

One definition for the cicd stack (which creates the roles), ``python -m deploy bootstrap`` (the state
bucket's policy names the CI roles) and the driver and workflow (which assume the deploy roles). Bottom of
the settings layer: it imports nothing but the project's name.
"""

from __future__ import annotations

from components.settings.base import PROJECT

# The state backend: the account the org stack's ``stateBackend`` names by default, the KMS alias of the
# secrets-provider key, and the bucket name (bucket names are global: the account id keeps it unique).
DEFAULT_STATE_ACCOUNT = "deployments-prod"
DEFAULT_STATE_KEY_ALIAS = "alias/pulumi-state"
STATE_BUCKET_PATTERN = "pulumi-state-{account_id}-{region}"


def ci_role_name(environment: str) -> str:
    """The CI role of ``environment`` in its Deployments account (assumed by the CI through OIDC)."""
    return f"{PROJECT}-ci-{environment}"


def deploy_role_name(environment: str) -> str:
    """The deploy role of ``environment`` in each of its target accounts; it trusts only that
    environment's CI role."""
    return f"{PROJECT}-deploy-{environment}"


def deploy_external_id(environment: str) -> str:
    """The ``sts:ExternalId`` a deploy role's trust policy requires: one value per environment.

    Not a secret: the caller must name the environment it means to deploy, so a CI role can never be
    steered into another environment's role (the confused-deputy guard of the IAM User Guide, "Access to
    AWS accounts owned by third parties": https://docs.aws.amazon.com/IAM/latest/UserGuide/
    id_roles_common-scenarios_third-party.html). STS accepts 2-1224 characters of [\\w+=,.@:/-].
    """
    return f"{PROJECT}-{environment}"


def state_bucket_name(account_id: str, region: str) -> str:
    return STATE_BUCKET_PATTERN.format(account_id=account_id, region=region)
