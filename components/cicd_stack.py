"""Stack ``cicd``: keyless CI identities in the Deployments accounts and deploy roles in the targets.

Run by a person with management credentials after ``org`` (the readiness wait first), through the org's
access role in each account; every resource goes through a provider pinned to its account's id.

- Each CI account gets one IAM OIDC provider for the CI's issuer (IAM holds one provider per URL and
  account, so environments sharing a CI account share it) and, per environment, the CI role
  ``landing-zone-ci-<env>``: web identities of that provider, ``aud`` and ``sub`` pinned.
- Each target account of an environment gets the deploy role ``landing-zone-deploy-<env>``, which trusts
  only that environment's CI role, with the environment's ``sts:ExternalId``.

Why a boundary and not permissions derived from the stack's resource types: the environment stack creates
its own IAM roles and policies (ECS task roles, flow-log roles, KMS key policies), so a derived list would
hold ``iam:CreateRole``/``iam:PutRolePolicy``/``iam:PassRole`` anyway and be no tighter where it matters,
while every new resource type would break CI until the list followed. The deploy role gets
AdministratorAccess bounded by a permissions boundary that denies what no deploy needs and what would
widen the role: identity admin (users, access keys, groups, identity providers), ``organizations:*``,
``account:*``, and changing the role itself or its boundary (iam_documents/cicd.py ``deploy_boundary``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from components.providers import OrgStack, account_provider, member_account_id, project_tags, role_arn
from components.settings.base import PROJECT, stack_file
from components.settings.cicd import KEY, CicdConfig
from components.settings.cicd_names import (
    ci_role_name,
    deploy_external_id,
    deploy_role_name,
    state_bucket_name,
)
from iam_documents import cicd as documents
from iam_documents.access_role import ORGANIZATION_ACCESS_ROLE
from iam_documents.access_role import role_arn as plain_role_arn

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


def boundary_name(environment: str) -> str:
    return f"{deploy_role_name(environment)}-boundary"


def resolve_accounts(config: CicdConfig, outputs: Mapping[str, Any], source: str) -> dict[str, str]:
    """Account key -> id for every account the stack uses; ConfigError on a key the org does not export."""
    used: list[tuple[str, str]] = []
    for index, environment in enumerate(config.environments):
        where = f"{KEY}.environments[{index}]"
        used.append((f"{where}.ciAccount", environment.ci_account))
        used += [(f"{where}.targets[{i}]", target) for i, target in enumerate(environment.targets)]
    used.append((f"{KEY}.stateBackend.account", config.ci.state_backend.account))
    return {account: member_account_id(outputs, account, key=key, source=source, org_stack=config.org_stack)
            for key, account in used}


def cicd_program(config: CicdConfig) -> dict[str, Any]:
    source = stack_file(pulumi.get_stack())
    org = OrgStack.read(config.org_stack, source=source)
    account_ids = resolve_accounts(config, org.outputs, source)  # before anything is declared
    access_role = str(org.outputs.get("access_role_name") or ORGANIZATION_ACCESS_ROLE)
    org.declare_reference()
    tags = project_tags(config.tags)
    providers = {
        key: account_provider(
            f"cicd-{key}", account_id=org.value("accounts", account_id), region=config.region,
            role_arn=role_arn(org.value("accounts", account_id), access_role),
            session_name=f"{PROJECT}-cicd", default_tags=tags,
        )
        for key, account_id in account_ids.items()
        if any(key == e.ci_account or key in e.targets for e in config.environments)
    }
    issuer = config.ci.provider.issuer
    oidc_providers = {
        key: aws.iam.OpenIdConnectProvider(
            f"ci-oidc-{key}", url=issuer, client_id_lists=[config.ci.provider.audience],
            thumbprint_lists=list(config.ci.provider.thumbprints) or None,
            opts=pulumi.ResourceOptions(provider=providers[key]),
        )
        for key in dict.fromkeys(e.ci_account for e in config.environments)
    }
    backend = config.ci.state_backend
    state_account = account_ids[backend.account]
    state_region = backend.region or config.region
    bucket = backend.bucket_name or state_bucket_name(state_account, state_region)
    outputs: dict[str, Any] = {"ci_roles": {}, "deploy_roles": {}, "oidc_providers": {}}
    for environment in config.environments:
        ci_account = account_ids[environment.ci_account]
        ci_arn = plain_role_arn(ci_account, ci_role_name(environment.name))
        deploy_arns = {t: plain_role_arn(account_ids[t], deploy_role_name(environment.name))
                       for t in environment.targets}
        ci_role = aws.iam.Role(
            f"ci-{environment.name}",
            name=ci_role_name(environment.name),
            description=f"CI of {environment.name}: OIDC web identities of {documents.issuer_key(issuer)}",
            assume_role_policy=json.dumps(documents.ci_trust_policy(
                documents.oidc_provider_arn(ci_account, issuer), issuer, config.ci.provider.audience,
                environment.subjects)),
            max_session_duration=3600,
            opts=pulumi.ResourceOptions(provider=providers[environment.ci_account],
                                        depends_on=[oidc_providers[environment.ci_account]]),
        )
        aws.iam.RolePolicy(
            f"ci-{environment.name}-permissions",
            role=ci_role.name,
            policy=json.dumps(documents.ci_permissions(
                list(deploy_arns.values()), bucket=bucket, key_account_id=state_account,
                key_region=state_region,
                key_alias=backend.key_alias)),
            opts=pulumi.ResourceOptions(provider=providers[environment.ci_account], parent=ci_role),
        )
        for target, deploy_arn in deploy_arns.items():
            _deploy_role(environment.name, target, account_ids[target], deploy_arn, ci_arn, ci_role,
                         providers[target])
        outputs["ci_roles"][environment.name] = ci_arn
        outputs["deploy_roles"][environment.name] = deploy_arns
        outputs["oidc_providers"][environment.ci_account] = documents.oidc_provider_arn(ci_account, issuer)
    outputs["state_bucket"] = bucket
    return outputs


def _deploy_role(environment: str, target: str, account_id: str, deploy_arn: str, ci_arn: str,
                 ci_role: aws.iam.Role, provider: aws.Provider) -> aws.iam.Role:
    """The deploy role of ``environment`` in ``target``, bounded, trusting only its CI role.

    It depends on the CI role: IAM refuses a trust policy naming a role that does not exist yet
    ("Invalid principal in policy"; IAM User Guide, reference_policies_elements_principal.html, roles)."""
    boundary_arn = f"arn:aws:iam::{account_id}:policy/{boundary_name(environment)}"
    boundary = aws.iam.Policy(
        f"deploy-{environment}-{target}-boundary",
        name=boundary_name(environment),
        description=f"Caps {deploy_role_name(environment)}: no identity admin, organization, self change",
        policy=json.dumps(documents.deploy_boundary(deploy_arn, boundary_arn)),
        opts=pulumi.ResourceOptions(provider=provider),
    )
    role = aws.iam.Role(
        f"deploy-{environment}-{target}",
        name=deploy_role_name(environment),
        description=f"Deploys {environment} from CI; assumed only by {ci_role_name(environment)}",
        assume_role_policy=json.dumps(documents.deploy_trust_policy(ci_arn, deploy_external_id(environment))),
        permissions_boundary=boundary.arn,
        opts=pulumi.ResourceOptions(provider=provider, depends_on=[ci_role]),
    )
    aws.iam.RolePolicyAttachment(
        f"deploy-{environment}-{target}-administrator", role=role.name, policy_arn=ADMINISTRATOR_ACCESS,
        opts=pulumi.ResourceOptions(provider=provider, parent=role),
    )
    return role
