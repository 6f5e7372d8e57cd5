"""CognitoIdp: the environment's identity provider in its identity (IdP) account.

A Cognito user pool (e-mail sign-in, TOTP-only MFA required, group ``Users``), the app client of the
single-page frontend (public client, authorization code grant) and the hosted UI prefix domain. The
provider of the identity account reaches the children through the component's ``providers`` option.

The frontend URL is an input (a plain string or an Output, e.g. the Amplify app's default domain) so the
frontend can be created first and the client registered with its URL, without a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.settings.environment import CognitoSettings, domain_prefix_problem, redirect_url_problem

USERS_GROUP = "Users"
OAUTH_FLOWS = ["code"]
OAUTH_SCOPES = ["phone", "email", "openid", "profile", "aws.cognito.signin.user.admin"]
# SRP for the hosted UI's own sign-in, refresh for the SPA; never plain user/password auth.
EXPLICIT_AUTH_FLOWS = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
# Standard string attributes as Cognito reports them back; spelling the constraints out keeps a refresh
# from showing a diff on the schema (which Cognito cannot change after creation anyway).
_STANDARD_STRING = aws.cognito.UserPoolSchemaStringAttributeConstraintsArgs(min_length="0", max_length="2048")
REQUIRED_ATTRIBUTES = ("email", "name")
HOSTED_UI_VERSION = 1  # the classic hosted UI; version 2 (managed login) needs a branding resource


def issuer_url(region: str, user_pool_id: str) -> str:
    """The JWT issuer of a user pool, as API authorizers and OIDC clients expect it."""
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"


def hosted_ui_url(region: str, domain_prefix: str) -> str:
    return f"https://{domain_prefix}.auth.{region}.amazoncognito.com"


def redirect_urls(configured: Iterable[str], frontend_url: str | None) -> list[str]:
    """The configured URLs, then the frontend URL; each once, in that order."""
    urls = [*configured, *([frontend_url] if frontend_url else [])]
    return list(dict.fromkeys(urls))


@dataclass(frozen=True)
class CognitoIdpArgs:
    settings: CognitoSettings
    environment: str
    region: str
    # The environment's frontend URL, registered as a callback and sign-out URL (None: config URLs only).
    frontend_url: pulumi.Input[str] | None = None
    production: bool = False
    deletion_protection: bool = False
    protect: bool | None = None  # Pulumi protect on the pool; None: the same as deletion_protection
    # The hosted UI's prefix when it is only known at deploy time (derived from the IdP account id);
    # None: ``settings.domain_prefix``.
    domain_prefix: pulumi.Input[str] | None = None


class CognitoIdp(pulumi.ComponentResource):
    """User pool, web client and hosted UI domain of one environment."""

    user_pool: aws.cognito.UserPool
    users_group: aws.cognito.UserGroup
    client: aws.cognito.UserPoolClient
    domain: aws.cognito.UserPoolDomain
    user_pool_id: pulumi.Output[str]
    user_pool_client_id: pulumi.Output[str]
    issuer_url: pulumi.Output[str]
    hosted_ui_url: pulumi.Output[str]

    def __init__(self, name: str, args: CognitoIdpArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("landingzone:identity:CognitoIdp", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)

        self.user_pool = self._user_pool(name, args)
        self.users_group = aws.cognito.UserGroup(
            f"{name}-users",
            name=USERS_GROUP,
            description=f"Users of the Tasks Service ({args.environment})",
            user_pool_id=self.user_pool.id,
            opts=child,
        )

        https_only = args.production
        frontend = (
            pulumi.Output.from_input(args.frontend_url).apply(
                lambda url: _checked_frontend_url(name, url, https_only=https_only)
            )
            if args.frontend_url is not None
            else pulumi.Output.from_input(None)
        )
        self.client = aws.cognito.UserPoolClient(
            f"{name}-web-client",
            name=f"{name}-web",
            user_pool_id=self.user_pool.id,
            generate_secret=False,
            allowed_oauth_flows_user_pool_client=True,
            allowed_oauth_flows=OAUTH_FLOWS,
            allowed_oauth_scopes=OAUTH_SCOPES,
            supported_identity_providers=["COGNITO"],
            callback_urls=frontend.apply(lambda url: redirect_urls(settings.callback_urls, url)),
            logout_urls=frontend.apply(lambda url: redirect_urls(settings.logout_urls, url)),
            explicit_auth_flows=EXPLICIT_AUTH_FLOWS,
            prevent_user_existence_errors="ENABLED",
            enable_token_revocation=True,
            access_token_validity=settings.access_token_validity_minutes,
            id_token_validity=settings.id_token_validity_minutes,
            refresh_token_validity=settings.refresh_token_validity_days,
            token_validity_units=aws.cognito.UserPoolClientTokenValidityUnitsArgs(
                access_token="minutes", id_token="minutes", refresh_token="days"
            ),
            opts=child,
        )
        self.domain = aws.cognito.UserPoolDomain(
            f"{name}-domain",
            domain=_domain_prefix(name, args),
            user_pool_id=self.user_pool.id,
            managed_login_version=HOSTED_UI_VERSION,
            opts=child,
        )

        region = args.region
        self.user_pool_id = self.user_pool.id
        self.user_pool_client_id = self.client.id
        self.issuer_url = self.user_pool.id.apply(lambda pool_id: issuer_url(region, pool_id))
        self.hosted_ui_url = self.domain.domain.apply(lambda prefix: hosted_ui_url(region, prefix))
        self.register_outputs(
            {
                "user_pool_id": self.user_pool_id,
                "user_pool_client_id": self.user_pool_client_id,
                "issuer_url": self.issuer_url,
                "hosted_ui_url": self.hosted_ui_url,
            }
        )

    def _user_pool(self, name: str, args: CognitoIdpArgs) -> aws.cognito.UserPool:
        settings = args.settings
        policy = settings.password_policy
        return aws.cognito.UserPool(
            f"{name}-user-pool",
            name=settings.user_pool_name or f"tasks-{args.environment}-users",
            username_attributes=["email"],
            username_configuration=aws.cognito.UserPoolUsernameConfigurationArgs(case_sensitive=False),
            auto_verified_attributes=["email"],
            user_attribute_update_settings=aws.cognito.UserPoolUserAttributeUpdateSettingsArgs(
                attributes_require_verification_before_updates=["email"]
            ),
            verification_message_template=aws.cognito.UserPoolVerificationMessageTemplateArgs(
                default_email_option="CONFIRM_WITH_CODE"
            ),
            schemas=_required_attributes(REQUIRED_ATTRIBUTES),
            mfa_configuration="ON",
            software_token_mfa_configuration=aws.cognito.UserPoolSoftwareTokenMfaConfigurationArgs(enabled=True),
            password_policy=aws.cognito.UserPoolPasswordPolicyArgs(
                minimum_length=policy.minimum_length,
                require_lowercase=policy.require_lowercase,
                require_uppercase=policy.require_uppercase,
                require_numbers=policy.require_numbers,
                require_symbols=policy.require_symbols,
                temporary_password_validity_days=policy.temporary_password_validity_days,
            ),
            account_recovery_setting=aws.cognito.UserPoolAccountRecoverySettingArgs(
                recovery_mechanisms=[
                    aws.cognito.UserPoolAccountRecoverySettingRecoveryMechanismArgs(
                        name="verified_email", priority=1
                    )
                ]
            ),
            admin_create_user_config=aws.cognito.UserPoolAdminCreateUserConfigArgs(
                allow_admin_create_user_only=not settings.allow_self_sign_up
            ),
            deletion_protection="ACTIVE" if args.deletion_protection else "INACTIVE",
            # Production users live here: Pulumi refuses to delete the pool, as AWS does.
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.deletion_protection if args.protect is None else args.protect
            ),
        )


def _required_attributes(names: Sequence[str]) -> list[aws.cognito.UserPoolSchemaArgs]:
    return [
        aws.cognito.UserPoolSchemaArgs(
            name=attribute,
            attribute_data_type="String",
            required=True,
            mutable=True,
            developer_only_attribute=False,
            string_attribute_constraints=_STANDARD_STRING,
        )
        for attribute in names
    ]


def _domain_prefix(name: str, args: CognitoIdpArgs) -> pulumi.Input[str]:
    if args.domain_prefix is None:
        if args.settings.domain_prefix is None:
            raise ValueError(f"CognitoIdp {name}: no domain prefix (settings.domain_prefix or domain_prefix)")
        return args.settings.domain_prefix

    def checked(prefix: str) -> str:
        problem = domain_prefix_problem(prefix)
        if problem:
            raise pulumi.RunError(f"CognitoIdp {name}: domain prefix '{prefix}' {problem}")
        return prefix

    return pulumi.Output.from_input(args.domain_prefix).apply(checked)


def _checked_frontend_url(name: str, url: str | None, *, https_only: bool) -> str | None:
    """Validate a frontend URL that is only known at deploy time (one-line error, no traceback)."""
    if url is None:
        return None
    problem = redirect_url_problem(url, https_only=https_only)
    if problem:
        raise pulumi.RunError(f"CognitoIdp {name}: frontend URL: {problem}")
    return url
