"""Typed, validated stack configuration.

Every stack file (``Pulumi.<stack>.yaml``) is turned into one frozen object before any resource is
declared: ``OrgConfig`` for the ``org`` stack, ``EnvConfig`` for an environment stack. Problems are
reported as a ``ConfigError`` whose message is one line naming the stack file and the key, e.g.::

    Pulumi.org.yaml: landing-zone:accounts[2].email: 'ops@' is not a valid e-mail address

The same loader serves ``pulumi up`` (values read through ``pulumi.Config``), the offline
``python -m deploy plan`` and the tests (values read straight from the stack file).
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from policies import documents

PROJECT = "landing-zone"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
ORG_STACK = "org"

ACCOUNT_ID = r"^\d{12}$"
# Pragmatic e-mail check: one @, no spaces, a dotted domain. AWS rejects the rest anyway.
EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def _email(value: str) -> str:
    if not EMAIL.match(value):
        raise ValueError(f"'{value}' is not a valid e-mail address")
    return value


Email = Annotated[str, AfterValidator(_email)]
OU_NAME = re.compile(r"^[\w .+=,@-]{1,128}$")
MAX_OU_DEPTH = 5


class ConfigError(Exception):
    """A stack config value is invalid. ``str()`` is the one-line message shown to the user."""

    def __init__(self, source: str, key: str, message: str) -> None:
        self.source = source
        self.key = key
        self.message = message
        super().__init__(f"{source}: {key}: {message}")


class Model(BaseModel):
    """Base of every config object: camelCase keys in YAML, unknown keys rejected, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


# --------------------------------------------------------------------------------------------
# Landing zone (stack org)
# --------------------------------------------------------------------------------------------

DEFAULT_OUS = (
    "Security",
    "Sandbox",
    "Deployments",
    "Deployments/SDLC",
    "Deployments/Prod",
    "Workloads",
    "Workloads/SDLC",
    "Workloads/Prod",
    "Suspended",
)


PolicyType = Literal[
    "SERVICE_CONTROL_POLICY",
    "RESOURCE_CONTROL_POLICY",
    "TAG_POLICY",
    "BACKUP_POLICY",
    "AISERVICES_OPT_OUT_POLICY",
    "CHATBOT_POLICY",
    "DECLARATIVE_POLICY_EC2",
]


class OrganizationSettings(Model):
    """The AWS Organization itself. ``import_id`` adopts an existing organization (``o-...``).

    Both lists are managed exactly: a service or policy type enabled in AWS but missing here is disabled
    on the next ``up``. When adopting an organization, list what it has enabled now.
    """

    import_id: str | None = Field(default=None, pattern=r"^o-[a-z0-9]{10,32}$")
    aws_service_access_principals: tuple[str, ...] = ("sso.amazonaws.com",)
    enabled_policy_types: tuple[PolicyType, ...] = ("SERVICE_CONTROL_POLICY",)


class BudgetSettings(Model):
    """A monthly cost budget (spend cap alert) for one member account."""

    monthly_limit_usd: Decimal = Field(gt=0)
    notify: tuple[Email, ...] = Field(min_length=1)


class SuspensionSettings(Model):
    """Who moved an account to Suspended, when and why; written to the account's tags."""

    by: str = Field(min_length=1)
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    reason: str = Field(min_length=1)


class AccountSettings(Model):
    """A member account. ``key`` is the stable name other stacks and config refer to."""

    key: str = Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")
    name: str = Field(min_length=1, max_length=50)
    email: Email
    ou: str
    tags: dict[str, str] = Field(default_factory=dict)
    close_on_deletion: bool = False
    import_id: str | None = Field(default=None, pattern=ACCOUNT_ID)
    budget: BudgetSettings | None = None
    suspension: SuspensionSettings | None = None


class ScpSettings(Model):
    """A service control policy: a JSON file under policies/scp and the OU paths it is attached to."""

    name: str = Field(pattern=r"^[\w+=,.@-]{1,128}$")
    description: str = ""
    file: str
    targets: tuple[str, ...] = ()


class ScpLimits(Model):
    """AWS quotas checked before deploy; raise them here if your organization's quotas are higher."""

    max_document_chars: int = Field(default=5120, gt=0)
    max_policies_per_target: int = Field(default=5, gt=0)


def default_scps() -> tuple[ScpSettings, ...]:
    return (
        ScpSettings(
            name="landing-zone-guardrails",
            description="Deny list of services for the organization.",
            file="guardrails.json",
            targets=("Security", "Sandbox", "Deployments", "Workloads"),
        ),
        ScpSettings(
            name="landing-zone-quarantine",
            description="Quarantine: denies everything except the organization access role.",
            file="quarantine.json",
            targets=("Suspended",),
        ),
    )


# --- Identity Center (stack org) -------------------------------------------------------------
# The IdentityCenter settings are defined in this section.

PERMISSION_SET_NAME = r"^[\w+=,.@-]{1,32}$"
IAM_NAME = r"^[\w+=,.@-]{1,128}$"
IAM_PATH = r"^/([\w+=,.@-]+/)*$"
AWS_MANAGED_POLICY_ARN = r"^arn:aws[a-z-]*:iam::aws:policy/([\w+=,.@-]+/)*[\w+=,.@-]+$"
SESSION_DURATION = re.compile(r"^PT(?:(\d{1,2})H)?(?:(\d{1,3})M)?$")
SESSION_MINUTES = (60, 12 * 60)
INLINE_POLICY_MAX_CHARS = 32768
SEED_GROUP = "hiperium-sso-provisioners-group"
SEED_PERMISSION_SET = "hiperium-sso-provisioners-ps"


class IdentityUserSettings(Model):
    """A user of the Identity Center identity store. No invitation e-mail is sent for API-made users."""

    user_name: str = Field(pattern=IAM_NAME)
    given_name: str = Field(min_length=1, max_length=1024)
    family_name: str = Field(min_length=1, max_length=1024)
    display_name: str | None = Field(default=None, min_length=1, max_length=1024)
    email: Email
    locale: str | None = Field(default=None, min_length=1, max_length=32)
    timezone: str | None = Field(default=None, min_length=1, max_length=64)


class IdentityGroupSettings(Model):
    """A group of the identity store; ``members`` are user names (the group memberships)."""

    name: str = Field(pattern=r"^[\w+=,.@ -]{1,128}$")
    description: str | None = Field(default=None, min_length=1, max_length=1024)
    members: tuple[str, ...] = ()


class PolicyReferenceSettings(Model):
    """A customer-managed IAM policy that must exist, by name and path, in every assigned account."""

    name: str = Field(pattern=IAM_NAME)
    path: str = Field(default="/", pattern=IAM_PATH)


class PermissionsBoundarySettings(Model):
    """Exactly one of an AWS-managed policy ARN or a customer-managed policy reference."""

    managed_policy_arn: str | None = Field(default=None, pattern=AWS_MANAGED_POLICY_ARN)
    customer_managed_policy: PolicyReferenceSettings | None = None


class PermissionSetSettings(Model):
    """A permission set: the role Identity Center provisions in each account it is assigned to."""

    name: str = Field(pattern=PERMISSION_SET_NAME)
    description: str | None = Field(default=None, min_length=1, max_length=700)
    session_duration: str = "PT1H"
    relay_state: str | None = Field(default=None, pattern=r"^https?://\S+$", max_length=240)
    inline_policy: str | None = Field(default=None, pattern=r"^[\w.-]+\.json$")  # policies/permission_sets/
    managed_policies: tuple[str, ...] = ()
    customer_managed_policies: tuple[PolicyReferenceSettings, ...] = ()
    permissions_boundary: PermissionsBoundarySettings | None = None
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("session_duration")
    @classmethod
    def _session(cls, value: str) -> str:
        match = SESSION_DURATION.match(value)
        if not match or not any(match.groups()):
            raise ValueError(f"'{value}' is not an ISO-8601 duration such as PT8H or PT1H30M")
        minutes = int(match.group(1) or 0) * 60 + int(match.group(2) or 0)
        low, high = SESSION_MINUTES
        if not low <= minutes <= high:
            raise ValueError(f"'{value}' is outside PT1H to PT12H")
        return value

    @field_validator("managed_policies")
    @classmethod
    def _managed(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for arn in value:
            if not re.match(AWS_MANAGED_POLICY_ARN, arn):
                raise ValueError(f"'{arn}' is not an AWS-managed policy ARN (arn:aws:iam::aws:policy/...)")
        return value


class AssignmentSettings(Model):
    """Give a group or a user a permission set on accounts chosen by key, by OU path, or all of them.

    ``ous`` selects the accounts in each OU and the OUs below it; ``allAccounts`` every member account.
    Accounts in the Suspended OU are skipped by those two and are an error when named in ``accounts``.
    """

    permission_set: str
    group: str | None = None
    user: str | None = None
    accounts: tuple[str, ...] = ()
    ous: tuple[str, ...] = ()
    all_accounts: bool = False


def default_users() -> tuple[IdentityUserSettings, ...]:
    return (
        IdentityUserSettings(
            user_name="sandbox",
            given_name="User",
            family_name="Sandbox",
            display_name="Sandbox User",
            email="aws-sso-sandbox@example.com",
            locale="EN",
            timezone="America/Guayaquil",
        ),
    )


def default_groups() -> tuple[IdentityGroupSettings, ...]:
    return (
        IdentityGroupSettings(
            name=SEED_GROUP,
            description="Contains all the users that can provision infra for Hiperium Project.",
            members=("sandbox",),
        ),
    )


def default_permission_sets() -> tuple[PermissionSetSettings, ...]:
    return (
        PermissionSetSettings(
            name=SEED_PERMISSION_SET,
            description="Permission-set for Hiperium provisioners",
            session_duration="PT8H",
            relay_state="https://us-east-1.console.aws.amazon.com/console/home",
            inline_policy="provisioners.json",
        ),
    )


def default_assignments() -> tuple[AssignmentSettings, ...]:
    return (AssignmentSettings(permission_set=SEED_PERMISSION_SET, group=SEED_GROUP, all_accounts=True),)


class IdentityCenterSettings(Model):
    """Identity Center users, groups, permission sets and assignments (see components/identity_center).

    The defaults are the seed's: the provisioners group with the ``sandbox`` user in it, and the
    provisioners permission set assigned to that group on every member account outside Suspended.
    """

    region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")  # default: the stack's
    start_url: str | None = Field(default=None, pattern=r"^https://\S+$")
    users: tuple[IdentityUserSettings, ...] = Field(default_factory=default_users)
    groups: tuple[IdentityGroupSettings, ...] = Field(default_factory=default_groups)
    permission_sets: tuple[PermissionSetSettings, ...] = Field(default_factory=default_permission_sets)
    assignments: tuple[AssignmentSettings, ...] = Field(default_factory=default_assignments)
    # IAM's default quota of managed policies per role (AWS and customer managed together); raise it
    # here (up to 20) only after raising the quota in IAM.
    max_managed_policies: int = Field(default=10, gt=0, le=20)


@dataclass(frozen=True)
class ResolvedAssignment:
    """One account assignment: a principal gets a permission set on one member account."""

    permission_set: str
    principal_type: Literal["GROUP", "USER"]
    principal: str  # group name or user name
    account_key: str


def in_ou(ou: str, path: str) -> bool:
    """True when OU path ``ou`` is ``path`` or nested below it."""
    return ou == path or ou.startswith(path + "/")


def check_identity_center(config: OrgConfig, source: str) -> None:
    """Cross-field checks of ``identityCenter``; each raises ConfigError naming the offending key."""
    settings = config.identity_center
    base = f"{PROJECT}:identityCenter"

    users: set[str] = set()
    for index, user in enumerate(settings.users):
        if user.user_name in users:
            raise ConfigError(source, f"{base}.users[{index}].userName", f"duplicate user '{user.user_name}'")
        users.add(user.user_name)

    groups: set[str] = set()
    for index, group in enumerate(settings.groups):
        where = f"{base}.groups[{index}]"
        if group.name in groups:
            raise ConfigError(source, f"{where}.name", f"duplicate group '{group.name}'")
        groups.add(group.name)
        members: set[str] = set()
        for member_index, member in enumerate(group.members):
            if member not in users:
                raise ConfigError(
                    source,
                    f"{where}.members[{member_index}]",
                    f"unknown user '{member}' (not in identityCenter.users)",
                )
            if member in members:
                raise ConfigError(source, f"{where}.members[{member_index}]", f"duplicate member '{member}'")
            members.add(member)

    names: set[str] = set()
    for index, permission_set in enumerate(settings.permission_sets):
        where = f"{base}.permissionSets[{index}]"
        if permission_set.name in names:
            raise ConfigError(source, f"{where}.name", f"duplicate permission set '{permission_set.name}'")
        names.add(permission_set.name)
        for arn in _duplicates(permission_set.managed_policies):
            raise ConfigError(source, f"{where}.managedPolicies", f"duplicate policy '{arn}'")
        references = [f"{ref.path}{ref.name}" for ref in permission_set.customer_managed_policies]
        for reference in _duplicates(references):
            raise ConfigError(source, f"{where}.customerManagedPolicies", f"duplicate policy '{reference}'")
        count = len(permission_set.managed_policies) + len(permission_set.customer_managed_policies)
        if count > settings.max_managed_policies:
            raise ConfigError(
                source,
                f"{where}.managedPolicies",
                f"{count} managed policies (AWS and customer managed); the limit is "
                f"{settings.max_managed_policies} (identityCenter.maxManagedPolicies)",
            )
        boundary = permission_set.permissions_boundary
        if boundary is not None and (boundary.managed_policy_arn is None) == (
            boundary.customer_managed_policy is None
        ):
            raise ConfigError(
                source,
                f"{where}.permissionsBoundary",
                "needs exactly one of managedPolicyArn or customerManagedPolicy",
            )

    resolve_assignments(config, source)
    load_permission_set_policies(config, source)


def resolve_assignments(config: OrgConfig, source: str | None = None) -> list[ResolvedAssignment]:
    """The account assignments the config asks for, one per (principal, permission set, account).

    Never targets the management account or an account in the Suspended OU: naming either is an error,
    and OU and all-account selections skip the Suspended OU.
    """
    source = source or stack_file(ORG_STACK)
    settings = config.identity_center
    base = f"{PROJECT}:identityCenter.assignments"
    accounts = {account.key: account for account in config.accounts}
    ous = set(config.organizational_units)
    suspended = config.suspended_ou
    users = {user.user_name for user in settings.users}
    groups = {group.name for group in settings.groups}
    permission_sets = {permission_set.name for permission_set in settings.permission_sets}

    resolved: dict[ResolvedAssignment, None] = {}  # ordered and without duplicates
    for index, assignment in enumerate(settings.assignments):
        where = f"{base}[{index}]"
        if assignment.permission_set not in permission_sets:
            raise ConfigError(
                source, f"{where}.permissionSet", f"unknown permission set '{assignment.permission_set}'"
            )
        principal_type: Literal["GROUP", "USER"]
        if (assignment.group is None) == (assignment.user is None):
            raise ConfigError(source, where, "needs exactly one of group or user")
        if assignment.group is not None:
            principal_type, principal = "GROUP", assignment.group
            if principal not in groups:
                raise ConfigError(source, f"{where}.group", f"unknown group '{principal}'")
        else:
            assert assignment.user is not None
            principal_type, principal = "USER", assignment.user
            if principal not in users:
                raise ConfigError(source, f"{where}.user", f"unknown user '{principal}'")
        if not (assignment.accounts or assignment.ous or assignment.all_accounts):
            raise ConfigError(source, where, "selects no account: set accounts, ous or allAccounts")

        keys: list[str] = []
        for key_index, key in enumerate(assignment.accounts):
            at = f"{where}.accounts[{key_index}]"
            if key == config.management_account_id:
                raise ConfigError(source, at, "is the management account; it is never an assignment target")
            account = accounts.get(key)
            if account is None:
                raise ConfigError(source, at, f"unknown account key '{key}' (not in landing-zone:accounts)")
            if in_ou(account.ou, suspended):
                raise ConfigError(
                    source, at, f"account '{key}' is in the Suspended OU '{suspended}'; it is never a target"
                )
            keys.append(key)
        for ou_index, path in enumerate(assignment.ous):
            at = f"{where}.ous[{ou_index}]"
            if path not in ous:
                raise ConfigError(source, at, f"unknown OU path '{path}'")
            if in_ou(path, suspended):
                raise ConfigError(
                    source, at, f"'{path}' is the Suspended OU '{suspended}'; it is never a target"
                )
            keys.extend(a.key for a in config.accounts if in_ou(a.ou, path) and not in_ou(a.ou, suspended))
        if assignment.all_accounts:
            keys.extend(a.key for a in config.accounts if not in_ou(a.ou, suspended))

        for key in keys:
            resolved[ResolvedAssignment(assignment.permission_set, principal_type, principal, key)] = None
    return list(resolved)


def load_permission_set_policies(
    config: OrgConfig, source: str | None = None
) -> dict[str, documents.PolicyDocument]:
    """Each permission set's inline policy (name -> validated document), as an identity-based policy."""
    source = source or stack_file(ORG_STACK)
    loaded: dict[str, documents.PolicyDocument] = {}
    for index, permission_set in enumerate(config.identity_center.permission_sets):
        if permission_set.inline_policy is None:
            continue
        try:
            loaded[permission_set.name] = documents.load(
                documents.PERMISSION_SET_DIR / permission_set.inline_policy,
                "identity",
                max_chars=INLINE_POLICY_MAX_CHARS,
            )
        except documents.PolicyDocumentError as error:
            raise ConfigError(
                source, f"{PROJECT}:identityCenter.permissionSets[{index}].inlinePolicy", str(error)
            ) from None
    return loaded


# --- Org stack --------------------------------------------------------------------------------


class OrgConfig(Model):
    """Configuration of the ``org`` stack (management account)."""

    management_account_id: str = Field(pattern=ACCOUNT_ID)
    region: str = "us-east-1"
    access_role_name: str = Field(default="OrganizationAccountAccessRole", pattern=r"^[\w+=,.@-]{1,64}$")
    organization: OrganizationSettings = OrganizationSettings()
    organizational_units: tuple[str, ...] = DEFAULT_OUS
    suspended_ou: str = "Suspended"
    accounts: tuple[AccountSettings, ...] = ()
    service_control_policies: tuple[ScpSettings, ...] = Field(default_factory=default_scps)
    scp_limits: ScpLimits = ScpLimits()
    # Accounts in the organization, the management account included: AWS's default quota is 10.
    account_quota: int = Field(default=10, ge=1)
    identity_center: IdentityCenterSettings = IdentityCenterSettings()


# --------------------------------------------------------------------------------------------
# Environment stacks (pre, prod)
# --------------------------------------------------------------------------------------------


ACCOUNT_KEY = r"^[a-z][a-z0-9-]{0,39}$"
ROLE_NAME = r"^[\w+=,.@-]{1,64}$"
REGION = r"^[a-z]{2}(-[a-z]+)+-\d$"
# The org accounts an environment uses when its stack file does not name them (the seed's layout:
# the pre-production IdP in IdP-Pre with the service in Sandbox; prod in its own IdP and workload accounts).
DEFAULT_ENVIRONMENT_ACCOUNTS = {"pre": ("idp-pre", "sandbox"), "prod": ("idp-prod", "workloads-prod")}
PRODUCTION_ENVIRONMENTS = ("prod",)
# Tags every provider of an environment stack sets itself; `tags` in the stack file cannot override them.
RESERVED_TAGS = ("project", "environment", "managed-by")
# Hosts for which Cognito (and this project) accept a plain-http redirect URL, outside production.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")
# Cognito prefix domains: lowercase letters, digits and inner hyphens; these words are reserved by AWS.
DOMAIN_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
DOMAIN_PREFIX_RESERVED = ("aws", "amazon", "cognito")


def redirect_url_problem(url: str, *, https_only: bool) -> str | None:
    """Why ``url`` cannot be an OAuth redirect (callback or sign-out) URL of the app client, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"'{url}' is not an absolute http(s) URL"
    if parts.fragment:
        return f"'{url}' has a fragment (#...), which OAuth redirect URLs must not have"
    if parts.scheme == "http":
        if https_only:
            return f"'{url}' is not https; production accepts only https redirect URLs"
        if parts.hostname not in LOOPBACK_HOSTS:
            return f"'{url}' is not https; plain http is accepted only for localhost"
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
    domain_prefix: str
    callback_urls: tuple[str, ...] = ()
    logout_urls: tuple[str, ...] = ()
    # Provisional: the environment's frontend URL until the Amplify app of the environment provides it.
    frontend_url: str | None = None
    allow_self_sign_up: bool = True
    password_policy: PasswordPolicySettings = PasswordPolicySettings()
    deletion_protection: bool | None = None  # default: on in production
    access_token_validity_minutes: int = Field(default=60, ge=5, le=1440)
    id_token_validity_minutes: int = Field(default=60, ge=5, le=1440)
    refresh_token_validity_days: int = Field(default=30, ge=1, le=3650)

    @field_validator("domain_prefix")
    @classmethod
    def _domain_prefix(cls, value: str) -> str:
        if not DOMAIN_PREFIX.match(value):
            raise ValueError(
                f"'{value}' is not a valid Cognito domain prefix"
                " (1-63 lowercase letters, digits and inner hyphens)"
            )
        for word in DOMAIN_PREFIX_RESERVED:
            if word in value:
                raise ValueError(f"'{value}' contains '{word}', which Cognito reserves")
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
            raise ValueError(problem)
        return value


# --- Tasks Service ---------------------------------------------------------------------------
# Keys `network`, `service`, `loadBalancer`, `database`, `api` and `frontend` of an environment stack.
# Values that differ by environment default to None here; `tasks_service_plan` resolves them for a
# production or non-production environment, checks what spans keys, and returns a `TasksServicePlan`
# of concrete values that the components take.

NatMode = Literal["none", "single", "per-az"]
LoadBalancerMode = Literal["private", "public"]
DatabaseCredentials = Literal["cluster-secret", "datasource-env"]

DEFAULT_TASKS_IMAGE = "hiperium/hiperium-city-tasks-api:1.5.0-arm64"
# Fargate's task sizes (FACTS.md section 6): cpu units -> allowed memory in MiB.
FARGATE_TASK_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
}
# Retention periods CloudWatch Logs accepts, in days.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                      2557, 2922, 3288, 3653)
# Aurora PostgreSQL: first minor version of each major that runs Serverless v2, and that can scale to
# 0 ACU (auto-pause). Majors above the last listed one support both.
SERVERLESS_V2_SINCE = {13: 6, 14: 3, 15: 2, 16: 1}
AUTO_PAUSE_SINCE = {13: 15, 14: 12, 15: 7, 16: 3}
# A version known to exist and to support auto-pause; check `aws rds describe-db-engine-versions
# --engine aurora-postgresql` for newer ones in your region.
DEFAULT_AURORA_POSTGRES_VERSION = "16.6"
MAX_ACU = Decimal(256)
AUTO_PAUSE_SECONDS = (300, 86_400)
CIDR_PREFIXES = (16, 22)  # /22 still leaves /26 public subnets, more than an ALB's minimum of /27
HTTP_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "*")
CERTIFICATE_ARN = r"^arn:aws[\w-]*:acm:[a-z0-9-]+:\d{12}:certificate/[\w-]+$"
HOST_NAME = r"^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
ORIGIN = re.compile(r"^https?://[^/\s?#]+$")


class NetworkSettings(Model):
    """The environment's VPC: two AZs of public, private and isolated subnets."""

    cidr_block: str = "10.0.0.0/16"
    # none: no NAT gateway; tasks run in public subnets with a public IP (see components/network.py).
    nat_gateways: NatMode | None = None  # default: per-az in production, none elsewhere

    @field_validator("cidr_block")
    @classmethod
    def _cidr(cls, value: str) -> str:
        import ipaddress

        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as error:
            raise ValueError(f"'{value}' is not an IPv4 network in CIDR notation ({error})") from None
        low, high = CIDR_PREFIXES
        if not low <= network.prefixlen <= high:
            raise ValueError(f"'{value}' must be a /{low} to /{high} network")
        if not network.is_private:
            raise ValueError(f"'{value}' is not a private (RFC 1918) range")
        return value


class ServiceSettings(Model):
    """The Fargate service and its task (FACTS.md section 5 for the defaults)."""

    image: str = Field(default=DEFAULT_TASKS_IMAGE, pattern=r"^[\w.\-/:@]+$")
    container_port: int = Field(default=8080, ge=1, le=65535)
    cpu: int = 256
    memory: int = 512
    min_count: int | None = Field(default=None, ge=1)  # default: 2 in production, 1 elsewhere
    max_count: int | None = Field(default=None, ge=1)  # default: 6 in production, 2 elsewhere
    desired_count: int | None = Field(default=None, ge=1)  # default: min_count
    cpu_target_percent: int = Field(default=70, ge=10, le=95)
    memory_target_percent: int = Field(default=80, ge=10, le=95)
    requests_per_target: int = Field(default=1000, ge=1)
    health_check_path: str = Field(default="/q/health/live", pattern=r"^/\S*$")
    time_zone_id: str = Field(default="-05:00", pattern=r"^[\w/+:-]{1,64}$")
    log_retention_days: int | None = None  # default: 90 in production, 14 elsewhere
    container_insights: bool | None = None  # default: on in production
    # cluster-secret: the RDS-managed secret as HIPERIUM_CITY_TASKS_DB_CLUSTER_SECRET (see README);
    # datasource-env: Quarkus' own QUARKUS_DATASOURCE_* variables, the password still from the secret.
    database_credentials: DatabaseCredentials = "cluster-secret"

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int | None) -> int | None:
        if value is not None and value not in LOG_RETENTION_DAYS:
            raise ValueError(f"{value} is not a CloudWatch Logs retention period ({LOG_RETENTION_DAYS})")
        return value


class LoadBalancerSettings(Model):
    """The ALB: `private` (internal, reached only through the HTTP API's VPC link) or `public`."""

    mode: LoadBalancerMode = "private"
    certificate_arn: str | None = Field(default=None, pattern=CERTIFICATE_ARN)
    domain_name: str | None = Field(default=None, max_length=253, pattern=HOST_NAME)  # on the certificate
    deletion_protection: bool | None = None  # default: on in production
    idle_timeout_seconds: int = Field(default=60, ge=1, le=4000)


class DatabaseSettings(Model):
    """Aurora Serverless v2 PostgreSQL."""

    engine_version: str = Field(default=DEFAULT_AURORA_POSTGRES_VERSION, pattern=r"^\d+\.\d+$")
    min_capacity: Decimal | None = None  # ACU; default: 0.5 in production, 0 (auto-pause) elsewhere
    max_capacity: Decimal | None = None  # ACU; default: 8
    seconds_until_auto_pause: int | None = Field(default=None, ge=AUTO_PAUSE_SECONDS[0],
                                                 le=AUTO_PAUSE_SECONDS[1])  # default: 300
    reader_instance: bool | None = None  # default: in production
    backup_retention_days: int | None = Field(default=None, ge=1, le=35)  # default: 14 prod, 1 elsewhere
    deletion_protection: bool | None = None  # default and only value in production: on
    final_snapshot: bool | None = None  # default and only value in production: on
    database_name: str = Field(default="HiperiumCityTasksDB", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
    master_username: str = Field(default="postgres", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,15}$")

    @field_validator("min_capacity", "max_capacity")
    @classmethod
    def _acu(cls, value: Decimal | None) -> Decimal | None:
        if value is None:
            return value
        if value != 0 and not (Decimal("0.5") <= value <= MAX_ACU and value % Decimal("0.5") == 0):
            raise ValueError(f"{value} ACU is out of range: 0, or 0.5 to {MAX_ACU} in steps of 0.5")
        return value


class ApiSettings(Model):
    """The HTTP API in front of the service (CORS values from FACTS.md section 5)."""

    cors_allow_headers: tuple[str, ...] = ("Content-Type", "Authorization", "Accept")
    cors_allow_methods: tuple[str, ...] = ("GET", "POST", "PUT", "DELETE")
    cors_max_age: int = Field(default=172_800, ge=0)
    additional_cors_origins: tuple[str, ...] = ()  # e.g. http://localhost:8100 for local development
    access_log_retention_days: int = 7
    throttling_burst_limit: int = Field(default=200, ge=0, le=5000)
    throttling_rate_limit: float = Field(default=100, ge=0, le=10000)

    @field_validator("cors_allow_methods")
    @classmethod
    def _methods(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for method in value:
            if method not in HTTP_METHODS:
                raise ValueError(f"'{method}' is not one of {', '.join(HTTP_METHODS)}")
        return value

    @field_validator("additional_cors_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if not ORIGIN.match(origin):
                raise ValueError(f"'{origin}' is not an origin (scheme://host[:port], no path or slash)")
        return value

    @field_validator("access_log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"{value} is not a CloudWatch Logs retention period ({LOG_RETENTION_DAYS})")
        return value


class FrontendSettings(Model):
    """Amplify Hosting app and the environment's branch (build settings from FACTS.md section 5)."""

    app_name: str = Field(default="HiperiumCityTasksPWA", min_length=1, max_length=255, pattern=r"^[\w .-]+$")
    # Without a repository the app is deployed manually (zip upload / `aws amplify start-deployment`).
    repository: str | None = Field(default=None, pattern=r"^https://[^\s]+$")
    # Name or ARN of a Secrets Manager secret in the workload account holding the GitHub access token.
    access_token_secret: str | None = Field(default=None, max_length=2048, pattern=r"^[\w/+=.@:-]+$")
    app_root: str = Field(default="src/hiperium-city-tasks-pwa", pattern=r"^[\w./-]+$")
    artifacts_dir: str = Field(default="www", pattern=r"^[\w./-]+$")
    build_command: str | None = None  # default: npm run build-<branch>
    scopes: tuple[str, ...] = ("phone", "email", "openid", "profile")


class NetworkPlan(Model):
    cidr_block: str
    nat_gateways: NatMode


class ServicePlan(Model):
    image: str
    container_port: int
    cpu: int
    memory: int
    min_count: int
    max_count: int
    desired_count: int
    cpu_target_percent: int
    memory_target_percent: int
    requests_per_target: int
    health_check_path: str
    time_zone_id: str
    log_retention_days: int
    container_insights: bool
    database_credentials: DatabaseCredentials


class LoadBalancerPlan(Model):
    mode: LoadBalancerMode
    certificate_arn: str | None
    domain_name: str | None
    deletion_protection: bool
    idle_timeout_seconds: int


class DatabasePlan(Model):
    engine_version: str
    min_capacity: float
    max_capacity: float
    seconds_until_auto_pause: int | None  # set only when min_capacity is 0
    reader_instance: bool
    backup_retention_days: int
    deletion_protection: bool
    final_snapshot: bool
    database_name: str
    master_username: str
    protect: bool  # Pulumi `protect` on the cluster and its instances (production)


class ApiPlan(Model):
    cors_allow_headers: tuple[str, ...]
    cors_allow_methods: tuple[str, ...]
    cors_max_age: int
    additional_cors_origins: tuple[str, ...]
    access_log_retention_days: int
    throttling_burst_limit: int
    throttling_rate_limit: float


class FrontendPlan(Model):
    app_name: str
    branch: str
    production: bool
    repository: str | None
    access_token_secret: str | None
    app_root: str
    artifacts_dir: str
    build_command: str
    scopes: tuple[str, ...]


class TasksServicePlan(Model):
    """Every Tasks Service setting of one environment, defaults resolved and cross-checked."""

    environment: str
    production: bool
    network: NetworkPlan
    service: ServicePlan
    load_balancer: LoadBalancerPlan
    database: DatabasePlan
    api: ApiPlan
    frontend: FrontendPlan


def _version(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def _engine_supports(version: tuple[int, int], since: Mapping[int, int]) -> bool:
    major, minor = version
    if major > max(since):
        return True
    return major in since and minor >= since[major]


def resolve_tasks_service(
    *,
    environment: str,
    production: bool,
    source: str,
    network: NetworkSettings,
    service: ServiceSettings,
    load_balancer: LoadBalancerSettings,
    database: DatabaseSettings,
    api: ApiSettings,
    frontend: FrontendSettings,
) -> TasksServicePlan:
    """Resolve the environment defaults and check what spans keys; errors name the stack file and key."""

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(source, f"{PROJECT}:{key}", message)

    allowed = FARGATE_TASK_SIZES.get(service.cpu)
    if allowed is None:
        raise fail("service.cpu", f"{service.cpu} is not a Fargate cpu value ({sorted(FARGATE_TASK_SIZES)})")
    if service.memory not in allowed:
        raise fail(
            "service.memory",
            f"{service.memory} MiB is not allowed with cpu {service.cpu} on Fargate"
            f" ({allowed[0]}-{allowed[-1]} MiB{' in 1024 MiB steps' if len(allowed) > 3 else ''})",
        )
    min_count = service.min_count or (2 if production else 1)
    max_count = service.max_count or max(min_count, 6 if production else 2)
    if min_count > max_count:
        raise fail("service.minCount", f"{min_count} is above service.maxCount ({max_count})")
    desired_count = service.desired_count or min_count
    if not min_count <= desired_count <= max_count:
        raise fail(
            "service.desiredCount", f"{desired_count} is outside minCount-maxCount ({min_count}-{max_count})"
        )

    if (load_balancer.certificate_arn is None) != (load_balancer.domain_name is None):
        missing = "domainName" if load_balancer.domain_name is None else "certificateArn"
        raise fail(
            f"loadBalancer.{missing}",
            "is required together with loadBalancer.certificateArn/domainName (the HTTPS listener's"
            " certificate and the host name API Gateway verifies it against)",
        )

    version = _version(database.engine_version)
    if not _engine_supports(version, SERVERLESS_V2_SINCE):
        raise fail(
            "database.engineVersion",
            f"aurora-postgresql {database.engine_version} does not run Serverless v2"
            " (13.6, 14.3, 15.2, 16.1 or newer)",
        )
    min_acu = database.min_capacity if database.min_capacity is not None else Decimal(
        "0.5" if production else "0"
    )
    max_acu = database.max_capacity if database.max_capacity is not None else Decimal(8)
    if max_acu < 1:
        raise fail("database.maxCapacity", f"{max_acu} ACU is too low: the maximum must be at least 1 ACU")
    if min_acu > max_acu:
        raise fail("database.minCapacity", f"{min_acu} ACU is above database.maxCapacity ({max_acu} ACU)")
    if min_acu == 0 and not _engine_supports(version, AUTO_PAUSE_SINCE):
        raise fail(
            "database.minCapacity",
            f"0 ACU (auto-pause) needs aurora-postgresql 13.15, 14.12, 15.7, 16.3 or newer;"
            f" database.engineVersion is {database.engine_version}",
        )
    if min_acu != 0 and database.seconds_until_auto_pause is not None:
        raise fail("database.secondsUntilAutoPause", "applies only when database.minCapacity is 0")
    if production and database.deletion_protection is False:
        raise fail("database.deletionProtection", "cannot be turned off in a production environment")
    if production and database.final_snapshot is False:
        raise fail("database.finalSnapshot", "cannot be turned off in a production environment")

    if frontend.access_token_secret is not None and frontend.repository is None:
        raise fail("frontend.accessTokenSecret", "needs frontend.repository (the repository it opens)")

    return TasksServicePlan(
        environment=environment,
        production=production,
        network=NetworkPlan(
            cidr_block=network.cidr_block,
            nat_gateways=network.nat_gateways or ("per-az" if production else "none"),
        ),
        service=ServicePlan(
            **service.model_dump(
                exclude={"min_count", "max_count", "desired_count", "log_retention_days",
                         "container_insights"}
            ),
            min_count=min_count,
            max_count=max_count,
            desired_count=desired_count,
            log_retention_days=service.log_retention_days or (90 if production else 14),
            container_insights=(
                service.container_insights if service.container_insights is not None else production
            ),
        ),
        load_balancer=LoadBalancerPlan(
            **load_balancer.model_dump(exclude={"deletion_protection"}),
            deletion_protection=(
                load_balancer.deletion_protection if load_balancer.deletion_protection is not None
                else production
            ),
        ),
        database=DatabasePlan(
            engine_version=database.engine_version,
            min_capacity=float(min_acu),
            max_capacity=float(max_acu),
            seconds_until_auto_pause=(
                (database.seconds_until_auto_pause or AUTO_PAUSE_SECONDS[0]) if min_acu == 0 else None
            ),
            reader_instance=database.reader_instance if database.reader_instance is not None else production,
            backup_retention_days=database.backup_retention_days or (14 if production else 1),
            deletion_protection=(
                database.deletion_protection if database.deletion_protection is not None else production
            ),
            final_snapshot=database.final_snapshot if database.final_snapshot is not None else production,
            database_name=database.database_name,
            master_username=database.master_username,
            protect=production,
        ),
        api=ApiPlan(**api.model_dump()),
        frontend=FrontendPlan(
            **frontend.model_dump(exclude={"build_command"}),
            branch=environment,
            production=production,
            build_command=frontend.build_command or f"npm run build-{environment}",
        ),
    )


def tasks_service_plan(config: EnvConfig, source: str) -> TasksServicePlan:
    """The Tasks Service settings of an environment stack, resolved; errors name ``source`` and the key."""
    return resolve_tasks_service(
        environment=config.environment,
        production=config.is_production,
        source=source,
        network=config.network,
        service=config.service,
        load_balancer=config.load_balancer,
        database=config.database,
        api=config.api,
        frontend=config.frontend,
    )


class EnvConfig(Model):
    """Configuration of an environment stack (``pre``, ``prod``)."""

    environment: str = Field(pattern=r"^[a-z][a-z0-9-]{0,15}$")
    org_stack: str = Field(pattern=r"^[\w.-]+(/[\w.-]+){0,2}$")
    region: str = Field(default="us-east-1", pattern=REGION)
    production: bool | None = None  # default: environment is one of PRODUCTION_ENVIRONMENTS
    identity_account: AccountAccess
    workload_account: AccountAccess
    tags: dict[str, str] = Field(default_factory=dict)
    cognito: CognitoSettings
    # Tasks Service (see its section above; resolved by `tasks_service_plan`)
    network: NetworkSettings = NetworkSettings()
    service: ServiceSettings = ServiceSettings()
    load_balancer: LoadBalancerSettings = LoadBalancerSettings()
    database: DatabaseSettings = DatabaseSettings()
    api: ApiSettings = ApiSettings()
    frontend: FrontendSettings = FrontendSettings()

    @model_validator(mode="before")
    @classmethod
    def _default_accounts(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        defaults = DEFAULT_ENVIRONMENT_ACCOUNTS.get(str(data.get("environment")))
        if defaults is None:
            return data
        data = dict(data)
        for (alias, field), key in zip(
            (("identityAccount", "identity_account"), ("workloadAccount", "workload_account")),
            defaults,
            strict=True,
        ):
            if alias not in data and field not in data:
                data[alias] = key
        return data

    @field_validator("identity_account", "workload_account", mode="before")
    @classmethod
    def _account_key(cls, value: Any) -> Any:
        return {"key": value} if isinstance(value, str) else value

    @property
    def is_production(self) -> bool:
        return self.production if self.production is not None else self.environment in PRODUCTION_ENVIRONMENTS

    @property
    def user_pool_deletion_protection(self) -> bool:
        protection = self.cognito.deletion_protection
        return protection if protection is not None else self.is_production


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def stack_file(stack: str) -> str:
    return f"Pulumi.{stack}.yaml"


def load(stack: str, raw: Mapping[str, Any], source: str | None = None) -> OrgConfig | EnvConfig:
    """Validate raw config values (keys without the project namespace) for a stack.

    Raises ConfigError with a one-line message naming ``source`` (default: the stack file) and the key.
    """
    source = source or stack_file(stack)
    model: type[OrgConfig] | type[EnvConfig] = OrgConfig if stack == ORG_STACK else EnvConfig
    try:
        config = model.model_validate(dict(raw))
    except ValidationError as error:
        first = error.errors()[0]
        raise ConfigError(source, _key(first["loc"]), _message(first)) from None
    if isinstance(config, OrgConfig):
        check_org(config, source)
    else:
        check_env(config, source)
    return config


def _key(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return f"{PROJECT}:{path}"


def _message(error: Mapping[str, Any]) -> str:
    if error["type"] == "missing":
        return "is required"
    if error["type"] == "extra_forbidden":
        return "unknown key (check the spelling against Pulumi.yaml)"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def read_stack_file(stack: str, root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """Raw values of this project's namespace from ``Pulumi.<stack>.yaml`` (other namespaces dropped)."""
    path = root / stack_file(stack)
    if not path.is_file():
        raise ConfigError(stack_file(stack), "config", f"stack file not found in {root}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ConfigError(stack_file(stack), "config", f"invalid YAML: {error}".splitlines()[0]) from None
    values = data.get("config") or {}
    if not isinstance(values, dict):
        raise ConfigError(stack_file(stack), "config", "must be a mapping of keys to values")
    prefix = f"{PROJECT}:"
    return {key[len(prefix) :]: value for key, value in values.items() if key.startswith(prefix)}


def load_stack_file(stack: str, root: Path = PROJECT_ROOT) -> OrgConfig | EnvConfig:
    return load(stack, read_stack_file(stack, root))


def read_pulumi_config() -> dict[str, Any]:
    """Raw values of this project's namespace as the Pulumi engine passes them to the program."""
    from pulumi.runtime.config import CONFIG, get_config_env

    prefix = f"{PROJECT}:"
    values: dict[str, Any] = {}
    for key, value in {**get_config_env(), **CONFIG.get()}.items():
        if key.startswith(prefix):
            values[key[len(prefix) :]] = _decode(value)
    return values


def _decode(value: Any) -> Any:
    """Structured config arrives as JSON text; scalars stay strings (pydantic coerces them)."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def config_env(stack: str, raw: Mapping[str, Any]) -> dict[str, str]:
    """The engine's view of raw values (``project:key`` -> string), e.g. for mocks' set_all_config."""
    return {
        f"{PROJECT}:{key}": value if isinstance(value, str) else json.dumps(value)
        for key, value in raw.items()
    }


# --------------------------------------------------------------------------------------------
# Cross-field checks
# --------------------------------------------------------------------------------------------


def _duplicates(values: Iterable[str]) -> list[str]:
    return [value for value, count in Counter(values).items() if count > 1]


def check_org(config: OrgConfig, source: str) -> None:
    """Checks that span several keys; each raises ConfigError naming the offending key."""
    key = f"{PROJECT}:organizationalUnits"
    ous = set()
    for index, path in enumerate(config.organizational_units):
        where = f"{key}[{index}]"
        parts = path.split("/")
        if not all(OU_NAME.match(part) for part in parts):
            raise ConfigError(source, where, f"'{path}' is not a valid OU path (names separated by '/')")
        if len(parts) > MAX_OU_DEPTH:
            raise ConfigError(
                source, where, f"'{path}' is nested {len(parts)} levels deep; AWS allows {MAX_OU_DEPTH}"
            )
        parent = "/".join(parts[:-1])
        if parent and parent not in ous:
            raise ConfigError(source, where, f"parent OU '{parent}' must be listed before '{path}'")
        if path in ous:
            raise ConfigError(source, where, f"duplicate OU path '{path}'")
        ous.add(path)
    if config.suspended_ou not in ous:
        raise ConfigError(source, f"{PROJECT}:suspendedOu", f"unknown OU path '{config.suspended_ou}'")

    key = f"{PROJECT}:accounts"
    keys: set[str] = set()
    emails: set[str] = set()
    for index, account in enumerate(config.accounts):
        where = f"{key}[{index}]"
        if account.key in keys:
            raise ConfigError(source, f"{where}.key", f"duplicate account key '{account.key}'")
        if account.email.lower() in emails:
            raise ConfigError(source, f"{where}.email", f"duplicate e-mail '{account.email}'")
        if account.ou not in ous:
            raise ConfigError(source, f"{where}.ou", f"unknown OU path '{account.ou}'")
        if account.ou == config.suspended_ou and account.suspension is None:
            raise ConfigError(
                source,
                f"{where}.suspension",
                "is required for an account in the Suspended OU (by, date, reason)",
            )
        if account.import_id == config.management_account_id:
            raise ConfigError(source, f"{where}.importId", "is the management account, not a member")
        keys.add(account.key)
        emails.add(account.email.lower())

    if len(config.accounts) + 1 > config.account_quota:
        raise ConfigError(
            source,
            f"{PROJECT}:accounts",
            f"{len(config.accounts)} member accounts and the management account exceed the organization's"
            f" account quota of {config.account_quota} (raise it with AWS, then set accountQuota)",
        )

    key = f"{PROJECT}:serviceControlPolicies"
    if config.service_control_policies and "SERVICE_CONTROL_POLICY" not in (
        config.organization.enabled_policy_types
    ):
        raise ConfigError(
            source,
            f"{PROJECT}:organization.enabledPolicyTypes",
            "must include SERVICE_CONTROL_POLICY while serviceControlPolicies are configured",
        )
    for index, scp in enumerate(config.service_control_policies):
        for target_index, target in enumerate(scp.targets):
            if target not in ous:
                raise ConfigError(
                    source, f"{key}[{index}].targets[{target_index}]", f"unknown OU path '{target}'"
                )
    for name in _duplicates(scp.name for scp in config.service_control_policies):
        raise ConfigError(source, key, f"duplicate policy name '{name}'")
    attached = Counter(target for scp in config.service_control_policies for target in scp.targets)
    limit = config.scp_limits.max_policies_per_target
    for target, count in attached.items():
        # FullAWSAccess stays attached to every target and counts toward the quota.
        if count + 1 > limit:
            raise ConfigError(
                source,
                key,
                f"OU '{target}' would hold {count + 1} SCPs with FullAWSAccess; the limit is {limit}",
            )
    check_quarantine_exemption(config, load_scps(config, source), source)
    check_identity_center(config, source)


_PRINCIPAL_EXEMPTIONS = ("ArnNotLike", "ArnNotEquals", "StringNotLike", "StringNotEquals")


def check_quarantine_exemption(
    config: OrgConfig, scps: Mapping[str, documents.PolicyDocument], source: str
) -> None:
    """An SCP on the Suspended OU that exempts principals by ARN must exempt the access role.

    Otherwise a changed ``accessRoleName`` would lock the automation out of the accounts it has to
    clean up and close.
    """
    access_role = f"arn:aws:iam::123456789012:role/{config.access_role_name}"
    for index, scp in enumerate(config.service_control_policies):
        if config.suspended_ou not in scp.targets:
            continue
        exemptions = [
            pattern
            for statement in documents.statements(scps[scp.name].document)
            for operator, condition in (statement.get("Condition") or {}).items()
            if operator in _PRINCIPAL_EXEMPTIONS
            for pattern in documents.as_list(condition.get("aws:PrincipalArn"))
        ]
        if exemptions and not any(fnmatch.fnmatchcase(access_role, p) for p in exemptions):
            raise ConfigError(
                source,
                f"{PROJECT}:serviceControlPolicies[{index}].file",
                f"policies/scp/{scp.file} exempts {', '.join(exemptions)} but not the access role"
                f" '{config.access_role_name}' (accessRoleName) on the Suspended OU",
            )


def load_scps(config: OrgConfig, source: str) -> dict[str, documents.PolicyDocument]:
    """Each configured SCP file, validated; errors name the stack file, the key and the policy file."""
    loaded: dict[str, documents.PolicyDocument] = {}
    for index, scp in enumerate(config.service_control_policies):
        try:
            loaded[scp.name] = documents.load(
                documents.SCP_DIR / scp.file, "scp", max_chars=config.scp_limits.max_document_chars
            )
        except documents.PolicyDocumentError as error:
            raise ConfigError(source, f"{PROJECT}:serviceControlPolicies[{index}].file", str(error)) from None
    return loaded


def check_env(config: EnvConfig, source: str) -> None:
    """Cross-field checks of an environment stack."""
    for tag in config.tags:
        if tag in RESERVED_TAGS:
            raise ConfigError(source, f"{PROJECT}:tags.{tag}", "is set by the program on every resource")
    cognito = f"{PROJECT}:cognito"
    if config.is_production:
        urls = [(f"callbackUrls[{i}]", url) for i, url in enumerate(config.cognito.callback_urls)]
        urls += [(f"logoutUrls[{i}]", url) for i, url in enumerate(config.cognito.logout_urls)]
        for where, url in urls:
            problem = redirect_url_problem(url, https_only=True)
            if problem:
                raise ConfigError(source, f"{cognito}.{where}", problem)
        if config.cognito.deletion_protection is False:
            raise ConfigError(
                source, f"{cognito}.deletionProtection", "cannot be turned off in a production environment"
            )
    tasks_service_plan(config, source)
