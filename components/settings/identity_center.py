"""Settings of Identity Center (stack ``org``): users, groups, permission sets and account assignments.

Also the checks that relate them to each other and to the landing zone's accounts and OUs, and the
loading of the permission sets' inline policies.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol

from pydantic import Field, field_validator

from components.settings.base import (
    ORG_STACK,
    POLICY_FILE,
    PROJECT,
    REGION,
    ConfigError,
    Email,
    Model,
    Tags,
    duplicates,
    stack_file,
)
from components.settings.derived import EMAIL_PATTERN, DerivedValue, email_from_pattern, missing_email
from components.settings.iam_risks import AcceptedRiskSettings, check_accepted_risks, seed_accepted_risks
from components.settings.landing_zone import AccountSettings, in_ou
from iam_documents import documents
from iam_documents.iam_analysis import managed_policy_document
from policies.aws_service_rules import SESSION_SECONDS, duration_seconds

PERMISSION_SET_NAME = r"^[\w+=,.@-]{1,32}$"
IAM_NAME = r"^[\w+=,.@-]{1,128}$"
IAM_PATH = r"^/([\w+=,.@-]+/)*$"
AWS_MANAGED_POLICY_ARN = r"^arn:aws[a-z-]*:iam::aws:policy/([\w+=,.@-]+/)*[\w+=,.@-]+$"
INLINE_POLICY_MAX_CHARS = 32768
SEED_GROUP = "hiperium-sso-provisioners-group"
SEED_PERMISSION_SET = "hiperium-sso-provisioners-ps"


class IdentityUserSettings(Model):
    """A user of the Identity Center identity store. No invitation e-mail is sent for API-made users."""

    user_name: str = Field(pattern=IAM_NAME)
    given_name: str = Field(min_length=1, max_length=1024)
    family_name: str = Field(min_length=1, max_length=1024)
    display_name: str | None = Field(default=None, min_length=1, max_length=1024)
    email: Email | None = None  # from emailPattern when not set (derive_user_emails); required in the end
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
    inline_policy: str | None = Field(default=None, pattern=POLICY_FILE)  # iam_documents/permission_sets/
    managed_policies: tuple[str, ...] = ()
    customer_managed_policies: tuple[PolicyReferenceSettings, ...] = ()
    permissions_boundary: PermissionsBoundarySettings | None = None
    tags: Tags = Field(default_factory=dict)
    # Admin-equivalence or escalation paths its policies open on purpose (components/settings/iam_risks.py).
    accepted_risks: tuple[AcceptedRiskSettings, ...] = ()

    @field_validator("session_duration")
    @classmethod
    def _session(cls, value: str) -> str:
        seconds = duration_seconds(value)  # the pack's definition, with AWS's limits
        if seconds is None:
            raise ValueError(f"'{value}' is not an ISO-8601 duration such as PT8H or PT1H30M")
        low, high = SESSION_SECONDS
        if not low <= seconds <= high:
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
            accepted_risks=seed_accepted_risks(),
        ),
    )


def default_assignments() -> tuple[AssignmentSettings, ...]:
    return (AssignmentSettings(permission_set=SEED_PERMISSION_SET, group=SEED_GROUP, all_accounts=True),)


class IdentityCenterSettings(Model):
    """Identity Center users, groups, permission sets and assignments (see components/identity_center).

    The defaults are the seed's: the provisioners group with the ``sandbox`` user in it, and the
    provisioners permission set assigned to that group on every member account outside Suspended.
    """

    region: str | None = Field(default=None, pattern=REGION)  # default: the stack's
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


class OrgView(Protocol):
    """What the checks below read of ``OrgConfig`` (components/config.py, which imports this module)."""

    @property
    def management_account_id(self) -> str: ...

    @property
    def organizational_units(self) -> tuple[str, ...]: ...

    @property
    def suspended_ou(self) -> str: ...

    @property
    def accounts(self) -> tuple[AccountSettings, ...]: ...

    @property
    def identity_center(self) -> IdentityCenterSettings: ...


class ResolvedIdentityCenter(NamedTuple):
    """What :func:`check_identity_center` resolved on the way: the program declares from it."""

    assignment_origins: dict[ResolvedAssignment, int]  # each assignment -> the entry that asks for it
    inline_policies: dict[str, documents.PolicyDocument]  # permission set name -> validated document

    @property
    def assignments(self) -> tuple[ResolvedAssignment, ...]:
        return tuple(self.assignment_origins)


def check_identity_center(config: OrgView, source: str) -> ResolvedIdentityCenter:
    """Cross-field checks of ``identityCenter``; each raises ConfigError naming the offending key.

    Returns the assignments and inline policies it resolved, so that nothing resolves them again."""
    settings = config.identity_center
    base = f"{PROJECT}:identityCenter"

    users: set[str] = set()
    emails: set[str] = set()
    for index, user in enumerate(settings.users):
        if user.user_name in users:
            raise ConfigError(source, f"{base}.users[{index}].userName", f"duplicate user '{user.user_name}'")
        if user.email is None:
            raise missing_email(source, f"{base}.users[{index}].email")
        if user.email.lower() in emails:
            raise ConfigError(source, f"{base}.users[{index}].email", f"duplicate e-mail '{user.email}'")
        users.add(user.user_name)
        emails.add(user.email.lower())

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
        for arn in duplicates(permission_set.managed_policies):
            raise ConfigError(source, f"{where}.managedPolicies", f"duplicate policy '{arn}'")
        references = [f"{ref.path}{ref.name}" for ref in permission_set.customer_managed_policies]
        for reference in duplicates(references):
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

    origins = assignment_origins(config, source)
    inline_policies = load_permission_set_policies(config, source)
    for index, permission_set in enumerate(settings.permission_sets):
        # What the set holds: its inline policy and the AWS managed policies the analysis knows.
        inline = inline_policies.get(permission_set.name)
        held = [inline.document] if inline is not None else []
        held += [d for d in map(managed_policy_document, permission_set.managed_policies) if d is not None]
        check_accepted_risks(permission_set.accepted_risks, held, name=permission_set.name, source=source,
                             where=f"{base}.permissionSets[{index}]")
    return ResolvedIdentityCenter(origins, inline_policies)


def resolve_assignments(config: OrgView, source: str | None = None) -> list[ResolvedAssignment]:
    """The account assignments the config asks for, one per (principal, permission set, account).

    Never targets the management account or an account in the Suspended OU: naming either is an error,
    and OU and all-account selections skip the Suspended OU.
    """
    return list(assignment_origins(config, source))


def assignment_origins(config: OrgView, source: str | None = None) -> dict[ResolvedAssignment, int]:
    """Each resolved assignment (in order, without duplicates) -> the first ``assignments`` entry asking
    for it. Raises ConfigError as :func:`resolve_assignments` does."""
    source = source or stack_file(ORG_STACK)
    settings = config.identity_center
    base = f"{PROJECT}:identityCenter.assignments"
    accounts = {account.key: account for account in config.accounts}
    ous = set(config.organizational_units)
    suspended = config.suspended_ou
    users = {user.user_name for user in settings.users}
    groups = {group.name for group in settings.groups}
    permission_sets = {permission_set.name for permission_set in settings.permission_sets}

    resolved: dict[ResolvedAssignment, int] = {}  # ordered and without duplicates
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
            wanted = ResolvedAssignment(assignment.permission_set, principal_type, principal, key)
            resolved.setdefault(wanted, index)
    return resolved


def load_permission_set_policies(
    config: OrgView, source: str | None = None
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


# ``{key}`` of a user's address when ``emailPattern`` derives it: ``sso-<userName>``.
USER_EMAIL_KEY = "sso-{user_name}"


def derive_user_emails(
    raw: Mapping[str, Any], pattern: str | None, source: str
) -> tuple[dict[str, Any], list[DerivedValue]]:
    """Fill each Identity Center user's ``email`` from ``emailPattern`` where the stack file leaves it out.

    Without ``identityCenter.users`` the default users get theirs from the pattern too (when there is
    one). Works on the raw values before validation.
    """
    center = raw.get("identityCenter")
    if center is not None and not isinstance(center, Mapping):
        return dict(raw), []
    center = copy.deepcopy(dict(center or {}))
    if "users" not in center:
        if pattern is None:
            return dict(raw), []  # check_identity_center asks for the default users' addresses
        center["users"] = [
            user.model_dump(by_alias=True, exclude_none=True, exclude={"email"}) for user in default_users()
        ]
    users = center["users"]
    if not isinstance(users, list):
        return dict(raw), []
    derived: list[DerivedValue] = []
    for index, user in enumerate(users):
        user_name = user.get("userName") if isinstance(user, dict) else None
        if not isinstance(user_name, str) or "email" in user:
            continue
        where = f"{PROJECT}:identityCenter.users[{index}].email"
        if pattern is None:
            raise missing_email(source, where)
        user["email"] = email_from_pattern(
            pattern, USER_EMAIL_KEY.format(user_name=user_name), source=source, config_key=where
        )
        derived.append(DerivedValue(where, user["email"], EMAIL_PATTERN))
    return {**raw, "identityCenter": center}, derived
