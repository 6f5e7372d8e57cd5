"""Typed, validated stack configuration.

Every stack file (``Pulumi.<stack>.yaml``) is turned into one frozen object before any resource is
declared: ``OrgConfig`` for the ``org`` stack, ``EnvConfig`` for an environment stack. Problems are
reported as a ``ConfigError`` whose message is one line naming the stack file and the key, e.g.::

    Pulumi.org.yaml: landing-zone:accounts[2].email: 'ops@' is not a valid e-mail address

The same loader serves ``pulumi up`` (values read through ``pulumi.Config``), the offline
``python -m deploy plan`` and the tests (values read straight from the stack file).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from policies import documents

PROJECT = "landing-zone"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
ORG_STACK = "org"

ACCOUNT_ID = r"^\d{12}$"
# Pragmatic e-mail check: one @, no spaces, a dotted domain. AWS rejects the rest anyway.
EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
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


class OrganizationSettings(Model):
    """The AWS Organization itself. ``import_id`` adopts an existing organization (``o-...``)."""

    import_id: str | None = Field(default=None, pattern=r"^o-[a-z0-9]{10,32}$")
    aws_service_access_principals: tuple[str, ...] = ("sso.amazonaws.com",)


class BudgetSettings(Model):
    """A monthly cost budget (spend cap alert) for one member account."""

    monthly_limit_usd: Decimal = Field(gt=0)
    notify: tuple[str, ...] = Field(min_length=1)

    @field_validator("notify")
    @classmethod
    def _emails(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for email in value:
            if not EMAIL.match(email):
                raise ValueError(f"'{email}' is not a valid e-mail address")
        return value


class SuspensionSettings(Model):
    """Who moved an account to Suspended, when and why; written to the account's tags."""

    by: str = Field(min_length=1)
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    reason: str = Field(min_length=1)


class AccountSettings(Model):
    """A member account. ``key`` is the stable name other stacks and config refer to."""

    key: str = Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")
    name: str = Field(min_length=1, max_length=50)
    email: str
    ou: str
    tags: dict[str, str] = Field(default_factory=dict)
    close_on_deletion: bool = False
    import_id: str | None = Field(default=None, pattern=ACCOUNT_ID)
    budget: BudgetSettings | None = None
    suspension: SuspensionSettings | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError(f"'{value}' is not a valid e-mail address")
        return value


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


class IdentityCenterSettings(Model):
    """Identity Center users, groups, permission sets and assignments (see components/identity_center)."""


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
    identity_center: IdentityCenterSettings = IdentityCenterSettings()


# --------------------------------------------------------------------------------------------
# Environment stacks (pre, prod)
# --------------------------------------------------------------------------------------------


class EnvConfig(Model):
    """Configuration of an environment stack (``pre``, ``prod``)."""

    environment: str = Field(pattern=r"^[a-z][a-z0-9-]{0,15}$")
    org_stack: str = Field(min_length=1)
    region: str = "us-east-1"


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

    key = f"{PROJECT}:serviceControlPolicies"
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
    load_scps(config, source)


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
