"""Settings of an environment stack (``pre``, ``prod``) outside the Tasks Service: accounts and Cognito.

Which org accounts the environment uses and how they are reached, the Cognito user pool, app client and
hosted UI domain, and the checks of OAuth redirect URLs.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from components.settings.base import ACCOUNT_KEY, PROJECT, ROLE_NAME, ConfigError, Model
from policies.production import web_url_problem

# The org accounts an environment uses when its stack file does not name them (the seed's layout:
# the pre-production IdP in IdP-Pre with the service in Sandbox; prod in its own IdP and workload accounts).
# Which stacks are production: policies/production.py PRODUCTION_STACKS.
DEFAULT_ENVIRONMENT_ACCOUNTS = {"pre": ("idp-pre", "sandbox"), "prod": ("idp-prod", "workloads-prod")}
# Tags every provider of an environment stack sets itself; `tags` in the stack file cannot override them.
RESERVED_TAGS = ("project", "environment", "managed-by")
# Cognito prefix domains: lowercase letters, digits and inner hyphens; these words are reserved by AWS.
DOMAIN_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
DOMAIN_PREFIX_RESERVED = ("aws", "amazon", "cognito")
# Without ``cognito.domainPrefix``: the environment and the IdP account's id. Prefix domains are unique per
# region across all of AWS, and an account id belongs to one customer, so this one is free unless taken
# on purpose; the id holds only digits, so the environment name alone decides whether it is valid.
DERIVED_DOMAIN_PREFIX = "tasks-{environment}-{account_id}"


def domain_prefix_problem(value: str) -> str | None:
    """Why Cognito refuses ``value`` as a prefix domain (to follow the quoted value), or None.

    The pattern and 63-character limit are CreateUserPoolDomain's Domain (botocore cognito-idp model);
    the reserved words are in Cognito's developer guide ("Using the Amazon Cognito domain").
    """
    if not DOMAIN_PREFIX.match(value):
        return "is not a valid Cognito domain prefix (1-63 lowercase letters, digits and inner hyphens)"
    for word in DOMAIN_PREFIX_RESERVED:
        if word in value:
            return f"contains '{word}', which Cognito reserves"
    return None


def derived_domain_prefix(environment: str, account_id: str) -> str:
    return DERIVED_DOMAIN_PREFIX.format(environment=environment, account_id=account_id)


def check_derived_domain_prefix(environment: str, source: str) -> None:
    """The derived prefix is valid for any account id, or a ConfigError asks for ``cognito.domainPrefix``."""
    problem = domain_prefix_problem(derived_domain_prefix(environment, "123456789012"))
    if problem:
        shown = derived_domain_prefix(environment, "<IdP account id>")
        raise ConfigError(
            source,
            f"{PROJECT}:cognito.domainPrefix",
            f"is not set, and the derived prefix '{shown}' {problem}; set cognito.domainPrefix",
        )


def redirect_url_problem(url: str, *, https_only: bool) -> str | None:
    """Why ``url`` cannot be an OAuth redirect (callback or sign-out) URL of the app client, or None.

    CreateUserPoolClient (CallbackURLs): an absolute URI, registered (Cognito compares it exactly, so a
    '*' is never a wildcard), no fragment, https except http://localhost; production: https only.
    """
    problem = web_url_problem(url, production=https_only, what="redirect URL")
    if problem:
        return problem
    if urlsplit(url).fragment:
        return f"'{url}' has a fragment (#...), which OAuth redirect URLs must not have"
    return None


class AccountAccess(Model):
    """An account of the environment: its key in the org stack's ``accounts`` export and how to reach it.

    Default: assume the org stack's access role (``access_role_name`` export) in the account with the
    caller's credentials. ``roleName`` assumes another role instead. ``profile`` uses a named AWS
    profile (such as the seed's SSO profiles): alone, its credentials are used as they are; with
    ``roleName``, that role is assumed from them. The provider is always pinned to the account's id.
    """

    key: str = Field(pattern=ACCOUNT_KEY)
    role_name: str | None = Field(default=None, pattern=ROLE_NAME)
    profile: str | None = Field(default=None, pattern=r"^[\w.+@-]{1,64}$")

    @property
    def assumes_role(self) -> bool:
        return self.role_name is not None or self.profile is None


class PasswordPolicySettings(Model):
    """User pool password policy; the seed's minimum length (8) is the floor."""

    minimum_length: int = Field(default=8, ge=8, le=99)
    require_lowercase: bool = True
    require_uppercase: bool = True
    require_numbers: bool = True
    require_symbols: bool = True
    temporary_password_validity_days: int = Field(default=7, ge=1, le=365)


class CognitoSettings(Model):
    """The environment's Cognito user pool, web app client and hosted UI domain."""

    user_pool_name: str | None = Field(default=None, pattern=r"^[\w\s+=,.@-]{1,128}$")
    domain_prefix: str | None = None  # default: DERIVED_DOMAIN_PREFIX
    callback_urls: tuple[str, ...] = ()
    logout_urls: tuple[str, ...] = ()
    # Provisional: the environment's frontend URL until the Amplify app of the environment provides it.
    frontend_url: str | None = None
    allow_self_sign_up: bool = True
    password_policy: PasswordPolicySettings = PasswordPolicySettings()
    deletion_protection: bool | None = None  # default: off; production: on (productionOptOuts lowers it)
    access_token_validity_minutes: int = Field(default=60, ge=5, le=1440)
    id_token_validity_minutes: int = Field(default=60, ge=5, le=1440)
    refresh_token_validity_days: int = Field(default=30, ge=1, le=3650)

    @field_validator("domain_prefix")
    @classmethod
    def _domain_prefix(cls, value: str | None) -> str | None:
        problem = domain_prefix_problem(value) if value is not None else None
        if problem:
            raise ValueError(f"'{value}' {problem}")
        return value

    @field_validator("callback_urls", "logout_urls")
    @classmethod
    def _redirect_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:
            problem = redirect_url_problem(url, https_only=False)
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("frontend_url")
    @classmethod
    def _frontend_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith("https://"):
            raise ValueError(f"'{value}' is not https; the frontend is served over https only")
        problem = redirect_url_problem(value, https_only=True)
        if problem:
            raise ValueError(f"'{value}' {problem}")
        return value
