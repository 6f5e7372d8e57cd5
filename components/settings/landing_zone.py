"""Settings of the landing zone (stack ``org``): the organization, OUs, member accounts, budgets, SCPs."""

from __future__ import annotations

import copy
import datetime
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, Field, field_validator

from components.settings.base import (
    ACCOUNT_ID,
    ACCOUNT_KEY,
    POLICY_FILE,
    PROJECT,
    ConfigError,
    Email,
    Model,
    Tags,
)
from components.settings.derived import (
    ACCOUNT_EMAIL_LENGTH,
    EMAIL_PATTERN,
    DerivedValue,
    email_from_pattern,
    missing_email,
)

OU_NAME = re.compile(r"^[\w .+=,@-]{1,128}$")
MAX_OU_DEPTH = 5
IDENTITY_CENTER_PRINCIPAL = "sso.amazonaws.com"  # trusted access Identity Center needs
# Trusted access the security stack relies on (issue 13). Each principal is the one AWS Organizations
# User Guide "AWS services that you can use with AWS Organizations" names for the service
# (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_integrate_services_list.html and each
# service's page, services-that-can-integrate-<service>.html). The services enable their own access
# when the security stack registers a delegated administrator (GuardDuty, Security Hub, Access Analyzer,
# Config) or CloudFormation activates organization access for StackSets (ActivateOrganizationsAccess
# adds member.org.stacksets.cloudformation.amazonaws.com; EnableAWSServiceAccess alone does not satisfy
# StackSets: pepperize/cdk-organizations#1718). The org stack's list is managed exactly, so it must hold
# them too, or its next `up` would disable that access again.
SECURITY_STACK_PRINCIPALS = (
    "cloudtrail.amazonaws.com",  # the organization trail
    "guardduty.amazonaws.com",
    "securityhub.amazonaws.com",
    "access-analyzer.amazonaws.com",
    "member.org.stacksets.cloudformation.amazonaws.com",  # service-managed StackSets (EBS baseline)
    "config.amazonaws.com",  # AWS Config's organization aggregator (tooling.awsConfig)
    "config-multiaccountsetup.amazonaws.com",  # AWS Config's organization rules and conformance packs
)
# The S3 organization policy of the security stack's baseline (S3 Block Public Access on the root).
S3_POLICY_TYPE: Final = "S3_POLICY"

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
    "S3_POLICY",
]


class OrganizationSettings(Model):
    """The AWS Organization itself. ``import_id`` adopts an existing organization (``o-...``).

    Both lists are managed exactly: a service or policy type enabled in AWS but missing here is disabled
    on the next ``up``. When adopting an organization, list what it has enabled now. A list set in the
    stack file must keep Identity Center's and the security stack's principals (components/config.py).
    """

    import_id: str | None = Field(default=None, pattern=r"^o-[a-z0-9]{10,32}$")
    aws_service_access_principals: tuple[str, ...] = (IDENTITY_CENTER_PRINCIPAL, *SECURITY_STACK_PRINCIPALS)
    # Policy types: botocore's organizations model, shape PolicyType (S3_POLICY among its enum values).
    enabled_policy_types: tuple[PolicyType, ...] = ("SERVICE_CONTROL_POLICY", S3_POLICY_TYPE)


def check_trusted_access(organization: OrganizationSettings, source: str) -> None:
    """The organization's lists, when the stack file sets them, keep what the other stacks rely on.

    Both lists are managed exactly, so a principal or policy type left out is disabled on the next ``up``:
    Identity Center (managed by this stack) would lose its trusted access; the security stack's delegated
    services would lose theirs, and disabling S3_POLICY detaches the S3 organization policy of its
    baseline. So leaving one out is refused here rather than added silently: the file shows what is on.
    """
    key = f"{PROJECT}:organization.awsServiceAccessPrincipals"
    principals = organization.aws_service_access_principals
    if IDENTITY_CENTER_PRINCIPAL not in principals:
        raise ConfigError(
            source, key,
            f"must include {IDENTITY_CENTER_PRINCIPAL}: Identity Center needs the organization's trusted"
            " access",
        )
    missing = [principal for principal in SECURITY_STACK_PRINCIPALS if principal not in principals]
    if missing:
        raise ConfigError(
            source, key,
            f"must include {', '.join(missing)}: the security stack's services need the organization's"
            " trusted access (the list is managed exactly; one left out is disabled on the next up)",
        )
    if S3_POLICY_TYPE not in organization.enabled_policy_types:
        raise ConfigError(
            source, f"{PROJECT}:organization.enabledPolicyTypes",
            f"must include {S3_POLICY_TYPE}: the security stack's baseline attaches an S3 organization policy"
            " to the root (disabling the type detaches it)",
        )


def _account_email(value: str) -> str:
    low, high = ACCOUNT_EMAIL_LENGTH
    if not low <= len(value) <= high:
        raise ValueError(f"'{value}' has {len(value)} characters; AWS accepts {low} to {high}")
    return value


# CreateAccount takes 6 to 64 characters (botocore organizations model, shape Email).
AccountEmail = Annotated[Email, AfterValidator(_account_email)]


class BudgetSettings(Model):
    """A monthly cost budget (spend cap alert) for one member account."""

    monthly_limit_usd: Decimal = Field(gt=0)
    # Each notification e-mails them all: "up to 10 email subscribers" (botocore budgets model, documentation
    # of NotificationWithSubscribers; its Subscribers list allows 11 only with one SNS subscriber).
    notify: tuple[Email, ...] = Field(min_length=1, max_length=10)


class SuspensionSettings(Model):
    """Who moved an account to Suspended, when and why; written to the account's tags."""

    by: str = Field(min_length=1)
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    reason: str = Field(min_length=1)

    @field_validator("date")
    @classmethod
    def _real_date(cls, value: str) -> str:
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"'{value}' is not a calendar date (YYYY-MM-DD)") from None
        return value


class AccountSettings(Model):
    """A member account. ``key`` is the stable name other stacks and config refer to."""

    key: str = Field(pattern=ACCOUNT_KEY)
    name: str = Field(min_length=1, max_length=50)
    email: AccountEmail  # from emailPattern when not set (derive_account_emails)
    ou: str
    tags: Tags = Field(default_factory=dict)
    close_on_deletion: bool = False
    import_id: str | None = Field(default=None, pattern=ACCOUNT_ID)
    budget: BudgetSettings | None = None
    suspension: SuspensionSettings | None = None


class ScpSettings(Model):
    """A service control policy: a JSON file under iam_documents/scp and the OU paths it is attached to."""

    name: str = Field(pattern=r"^[\w+=,.@-]{1,128}$")
    description: str = ""
    file: str = Field(pattern=POLICY_FILE)  # in iam_documents/scp/
    targets: tuple[str, ...] = ()


class ScpLimits(Model):
    """AWS quotas checked before deploy. Both are fixed by AWS (not adjustable), so config can only
    lower them: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
    """

    max_document_chars: int = Field(default=5120, gt=0, le=5120)
    max_policies_per_target: int = Field(default=5, gt=0, le=5)


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


def in_ou(ou: str, path: str) -> bool:
    """True when OU path ``ou`` is ``path`` or nested below it."""
    return ou == path or ou.startswith(path + "/")


# The ``{key}`` of the budget recipients' address when ``emailPattern`` derives it.
BUDGET_RECIPIENT_KEY = "billing"


def derive_account_emails(
    raw: Mapping[str, Any], pattern: str | None, source: str
) -> tuple[dict[str, Any], list[DerivedValue]]:
    """Fill each account's ``email`` (``{key}`` = the account key) and each budget's ``notify``
    (``{key}`` = ``billing``) from ``emailPattern`` where the stack file leaves them out.

    Works on the raw values before validation; entries that are not mappings are left for validation
    to report.
    """
    accounts = raw.get("accounts")
    if not isinstance(accounts, list):
        return dict(raw), []
    derived: list[DerivedValue] = []
    filled: list[Any] = []
    for index, account in enumerate(accounts):
        if not isinstance(account, Mapping):
            filled.append(account)
            continue
        account = copy.deepcopy(dict(account))
        where = f"{PROJECT}:accounts[{index}]"
        key = account.get("key")
        if "email" not in account and isinstance(key, str):
            if pattern is None:
                raise missing_email(source, f"{where}.email")
            account["email"] = email_from_pattern(
                pattern, key, source=source, config_key=f"{where}.email", length=ACCOUNT_EMAIL_LENGTH
            )
            derived.append(DerivedValue(f"{where}.email", account["email"], EMAIL_PATTERN))
        budget = account.get("budget")
        if isinstance(budget, dict) and "notify" not in budget:
            if pattern is None:
                raise missing_email(source, f"{where}.budget.notify")
            address = email_from_pattern(
                pattern, BUDGET_RECIPIENT_KEY, source=source, config_key=f"{where}.budget.notify"
            )
            budget["notify"] = [address]
            derived.append(DerivedValue(f"{where}.budget.notify", address, EMAIL_PATTERN))
        filled.append(account)
    return {**raw, "accounts": filled}, derived
