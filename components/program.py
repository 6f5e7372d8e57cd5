"""The stacks' programs: compose the components for a validated config and return the stack outputs.

``__main__.py`` calls :func:`build` under the real engine; ``python -m deploy plan`` and the tests call
it under mocks (see ``deploy/simulate.py``). Config is validated before this module declares anything,
and arrives resolved (``config.resolved``: policy documents, assignments, the Tasks Service plan).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

from components import config as stack_config
from components import org_references
from components.break_glass import BreakGlass, BreakGlassArgs
from components.cicd_stack import cicd_program
from components.cognito_idp import CognitoIdp, CognitoIdpArgs
from components.config import EnvConfig, OrgConfig
from components.identity_center import IdentityCenter, IdentityCenterArgs, lookup_instance
from components.landing_zone import LandingZone, LandingZoneArgs
from components.production_accounts import check_production_accounts
from components.providers import MANAGED_BY, OrgStack, account_provider, awsx_provider, project_tags, role_arn
from components.security_stack import security_program
from components.settings import cicd_names, derived
from components.settings.cicd import CicdConfig
from components.settings.environment import AccountAccess, derived_domain_prefix
from components.settings.identity_imports import from_environ
from components.settings.security import SecurityConfig
from components.tasks_stack import declare_frontend_app, declare_tasks_service


def org_program(config: OrgConfig) -> dict[str, Any]:
    """Stack ``org``: the landing zone (and Identity Center) in the management account."""
    resolved = config.resolved  # documents and assignments, validated by stack_config.load
    # Hand-made Identity Center objects python -m deploy found for this run (none offline), checked first.
    identity_imports = from_environ(os.environ, config.identity_center, resolved.assignments)
    management = account_provider(
        "management",
        account_id=config.management_account_id,
        region=config.region,
        default_tags=project_tags(),
    )
    # Before anything else is declared: without an enabled Identity Center the program stops here.
    sso_instance = lookup_instance(management, config.identity_center.region or config.region)
    landing_zone = LandingZone(
        "landing-zone",
        LandingZoneArgs(
            organization=config.organization,
            organizational_units=config.organizational_units,
            accounts=config.accounts,
            service_control_policies=config.service_control_policies,
            scp_documents=resolved.service_control_policies,
            access_role_name=config.access_role_name,
            # Existing OUs and accounts python -m deploy found in AWS for this run only (none offline).
            adoption=derived.adoption_this_run(
                os.environ,
                config.organizational_units,
                {account.key: account.import_id for account in config.accounts},
            ),
        ),
        opts=pulumi.ResourceOptions(providers={"aws": management}),
    )
    account_ids = {key: account.id for key, account in landing_zone.accounts.items()}
    identity_center = IdentityCenter(
        "identity-center",
        IdentityCenterArgs(
            settings=config.identity_center,
            provider_region=config.region,
            instance=sso_instance,
            account_ids=account_ids,
            inline_policies=resolved.inline_policies,
            assignments=resolved.assignments,
            imports=identity_imports,
        ),
        opts=pulumi.ResourceOptions(providers={"aws": management}),
    )
    # Emergency access for when Identity Center is down, and alerts on root or break-glass sign-ins.
    break_glass = BreakGlass(
        "break-glass",
        BreakGlassArgs(settings=config.break_glass, account_id=config.management_account_id),
        opts=pulumi.ResourceOptions(providers={"aws": management}),
    )
    return {
        "management_account_id": config.management_account_id,
        # What the security stack needs: the trail's and the bucket policy's organization (o-...), and the
        # root (r-...) its S3 policy and StackSet target.
        "organization_id": landing_zone.organization.id,
        "root_id": landing_zone.root_id,
        "accounts": account_ids,
        "break_glass_alert_topic_arn": break_glass.topic.arn if break_glass.topic is not None else None,
        "account_ous": {account.key: account.ou for account in config.accounts},
        "organizational_units": {path: ou.id for path, ou in landing_zone.organizational_units.items()},
        "access_role_name": config.access_role_name,
        **_identity_center_outputs(identity_center, account_ids),
    }


def _identity_center_outputs(
    identity_center: IdentityCenter, account_ids: dict[str, pulumi.Output[str]]
) -> dict[str, Any]:
    """What the environments and ``python -m deploy profiles`` read about Identity Center."""
    assigned = dict.fromkeys((a.account_key, a.permission_set) for a in identity_center.resolved_assignments)
    return {
        "identity_center": {
            "instance_arn": identity_center.instance.arn,
            "identity_store_id": identity_center.instance.identity_store_id,
            "start_url": identity_center.start_url,
            "region": identity_center.region,
        },
        "permission_sets": {name: ps.arn for name, ps in identity_center.permission_sets.items()},
        "groups": {name: group.group_id for name, group in identity_center.groups.items()},
        # One entry per (account, permission set) someone is assigned: the AWS CLI profiles to offer.
        "sso_assignments": [
            {"account_key": key, "account_id": account_ids[key], "permission_set": permission_set}
            for key, permission_set in assigned
        ],
    }


@dataclass(frozen=True)
class EnvironmentProviders:
    """The two accounts of an environment stack; every AWS resource there uses one of these."""

    identity: aws.Provider  # the IdP account: Cognito
    workload: aws.Provider  # the workload account: the Tasks Service
    workload_awsx: awsx.Provider  # the workload account's awsx components (the VPC)
    identity_account_id: pulumi.Input[str] | None = None  # from the org stack's outputs


def environment_program(config: EnvConfig) -> dict[str, Any]:
    """Stacks ``pre`` and ``prod``: identity provider and Tasks Service in the environment's accounts."""
    source = stack_config.stack_file(pulumi.get_stack())
    # Before anything is declared: read the org stack's outputs and check every value taken from them
    # (components/org_references.py); a bad account key stops the program here with one line.
    deploy_role = ci_deploy_role(config.environment, os.environ, source)
    org = OrgStack.read(config.org_stack, source=source)
    references = org_references.resolve_config(config, org.outputs, source)
    check_production_accounts(config, org.outputs, source)  # where production's accounts sit in the org
    tasks_plan = config.resolved.tasks_service  # resolved by stack_config.load
    org.declare_reference()
    providers = environment_providers(config, org, references, deploy_role=deploy_role)

    # The Amplify app comes first: its default domain gives the frontend URL the Cognito client
    # registers (`cognito.frontendUrl` overrides it, for a custom domain in front of the branch).
    frontend = declare_frontend_app(tasks_plan, providers.workload)
    frontend_url = frontend.public_url(config.cognito.frontend_url)
    identity_provider = _identity_provider(config, providers, frontend_url)
    outputs = _identity_outputs(identity_provider)

    # --- Tasks Service ---
    # Network, ALB, Aurora, Fargate service, HTTP API and the Amplify branch on `providers.workload`;
    # the API's JWT authorizer and the branch's build variables take the issuer URL and the web client id.
    tasks = declare_tasks_service(
        tasks_plan,
        provider=providers.workload,
        awsx_provider=providers.workload_awsx,
        region=config.region,
        issuer_url=identity_provider.issuer_url,
        client_id=identity_provider.user_pool_client_id,
        frontend=frontend,
        frontend_url=frontend_url,
    )
    outputs.update(tasks.outputs)
    return outputs


def ci_deploy_role(environment: str, environ: Mapping[str, str], source: str) -> str | None:
    """The deploy role CI names in ``LANDING_ZONE_DEPLOY_ROLE_NAME``, checked; None for a person's run.

    Refused: a value that is no IAM role name, and another environment's deploy role (a prod job must
    never reach pre's accounts, nor the other way round).
    """
    name = environ.get(cicd_names.DEPLOY_ROLE_ENV, "").strip()
    if not name:
        return None
    key = f"{cicd_names.DEPLOY_ROLE_ENV} (environment variable)"
    if not cicd_names.is_role_name(name):
        raise stack_config.ConfigError(source, key, f"'{name}' is not an IAM role name")
    other = cicd_names.deploy_role_environment(name)
    if other is not None and other != environment:
        raise stack_config.ConfigError(
            source, key, f"'{name}' is the deploy role of environment '{other}', not of '{environment}'"
            f" (expected {cicd_names.deploy_role_name(environment)})",
        )
    return name


def environment_providers(
    config: EnvConfig,
    org: OrgStack,
    references: org_references.OrgReferences,
    *,
    deploy_role: str | None = None,
) -> EnvironmentProviders:
    """One provider per account of the environment, pinned to the id the org stack exports for it.

    With ``deploy_role`` (CI), both providers assume that role in their account, sending the ExternalId
    its trust policy requires; the stack file's ``roleName``/``profile`` are for people and not used.
    """
    identity_account_id = org.value("accounts", references.identity.account_id)

    def provider(name: str, access: AccountAccess, account: org_references.OrgAccount) -> aws.Provider:
        if deploy_role is not None:
            return _deploy_role_provider(config, name, account, org, deploy_role)
        return _environment_provider(config, name, access, account, org)

    return EnvironmentProviders(
        identity=provider("identity", config.identity_account, references.identity),
        workload=provider("workload", config.workload_account, references.workload),
        workload_awsx=awsx_provider("workload"),
        identity_account_id=identity_account_id,
    )


def _environment_provider(
    config: EnvConfig, name: str, access: AccountAccess, account: org_references.OrgAccount, org: OrgStack
) -> aws.Provider:
    """A provider pinned to the account the org stack exports under ``access.key`` (checked)."""
    account_id = org.value("accounts", account.account_id)
    assumed_role = None
    if account.role_name is not None:
        # The org's access role unless `roleName` names another (resolved in org_references).
        role_name = (
            account.role_name if access.role_name else org.value("access_role_name", account.role_name)
        )
        assumed_role = role_arn(account_id, role_name)
    return account_provider(
        name,
        account_id=account_id,
        region=config.region,
        role_arn=assumed_role,
        profile=access.profile,
        session_name=f"{stack_config.PROJECT}-{config.environment}",
        default_tags=environment_tags(config),
    )


def _deploy_role_provider(
    config: EnvConfig, name: str, account: org_references.OrgAccount, org: OrgStack, deploy_role: str
) -> aws.Provider:
    """A provider that assumes the CI deploy role in the account (components/settings/cicd_names.py)."""
    account_id = org.value("accounts", account.account_id)
    return account_provider(
        name,
        account_id=account_id,
        region=config.region,
        role_arn=role_arn(account_id, deploy_role),
        external_id=cicd_names.external_id_for_role(deploy_role),
        session_name=cicd_names.deploy_session_name(config.environment),
        default_tags=environment_tags(config),
    )


def environment_tags(config: EnvConfig) -> dict[str, str]:
    """Default tags of every resource in the environment (the reserved keys cannot be overridden)."""
    return {
        **config.tags,
        "project": stack_config.PROJECT,
        "environment": config.environment,
        "managed-by": MANAGED_BY,
    }


def _identity_provider(
    config: EnvConfig, providers: EnvironmentProviders, frontend_url: pulumi.Input[str] | None
) -> CognitoIdp:
    # Without cognito.domainPrefix: tasks-<environment>-<IdP account id>, unique per account.
    account_id = providers.identity_account_id
    prefix = (
        pulumi.Output.from_input(account_id).apply(
            lambda value: derived_domain_prefix(config.environment, value)
        )
        if config.cognito.domain_prefix is None and account_id is not None
        else None
    )
    return CognitoIdp(
        f"{config.environment}-idp",
        CognitoIdpArgs(
            settings=config.cognito,
            environment=config.environment,
            region=config.region,
            frontend_url=frontend_url,
            production=config.is_production,
            deletion_protection=config.user_pool_deletion_protection,
            protect=config.user_pool_protect,
            domain_prefix=prefix,
        ),
        opts=pulumi.ResourceOptions(providers={"aws": providers.identity}),
    )


def _identity_outputs(identity_provider: CognitoIdp) -> dict[str, Any]:
    return {
        "user_pool_id": identity_provider.user_pool_id,
        "user_pool_client_id": identity_provider.user_pool_client_id,
        "issuer_url": identity_provider.issuer_url,
        "hosted_ui_url": identity_provider.hosted_ui_url,
    }


def build(config: stack_config.StackConfig) -> dict[str, Any]:
    if isinstance(config, OrgConfig):
        return org_program(config)
    if isinstance(config, CicdConfig):
        return cicd_program(config)
    if isinstance(config, SecurityConfig):
        return security_program(config)
    return environment_program(config)
