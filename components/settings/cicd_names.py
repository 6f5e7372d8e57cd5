"""The CI/CD names both sides agree on: the CI roles in the Deployments accounts (the cicd stack creates
them), the deploy roles in each environment's accounts, and what assuming a deploy role must send.

One definition, used by the cicd stack (trust policies), the environment stacks' providers, the driver's
readiness wait and the GitHub workflow (.github/workflows/deploy.yml names the same variables).
Bottom of the settings layer: it imports nothing but the project's name.
"""

from __future__ import annotations

import re

from components.settings.base import PROJECT

# Set by CI (the workflow's deploy jobs) to make the environment stacks' providers assume the deploy role
# of that name in each target account instead of the organization's access role. Unset: a person's run,
# with OrganizationAccountAccessRole (or the profile / roleName the stack file names).
DEPLOY_ROLE_ENV = "LANDING_ZONE_DEPLOY_ROLE_NAME"

# IAM role names: up to 64 characters of [\w+=,.@-] (IAM API Reference, CreateRole, RoleName).
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_DEPLOY_ROLE = re.compile(rf"^{re.escape(PROJECT)}-deploy-(?P<environment>[a-z0-9-]+)$")


def ci_role_name(environment: str) -> str:
    """The CI role of ``environment`` in its Deployments account (OIDC-federated, assumed by the CI)."""
    return f"{PROJECT}-ci-{environment}"


def deploy_role_name(environment: str) -> str:
    """The deploy role of ``environment`` in each of its target accounts; it trusts only that
    environment's CI role."""
    return f"{PROJECT}-deploy-{environment}"


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
