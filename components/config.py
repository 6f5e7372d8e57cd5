"""Typed, validated stack configuration: the entry point of the config layer.

Every stack file (``Pulumi.<stack>.yaml``) is turned into one frozen object before any resource is
declared: ``OrgConfig`` for the ``org`` stack, ``EnvConfig`` for an environment stack. Problems are
reported as a ``ConfigError`` whose message is one line naming the stack file and the key, e.g.::

    Pulumi.org.yaml: landing-zone:accounts[2].email: 'ops@' is not a valid e-mail address

The same loader serves ``pulumi up`` (values read through ``pulumi.Config``), the offline
``python -m deploy plan`` and the tests (values read straight from the stack file).

This module holds the two top-level models, validation and the checks that span areas; reading the
stack files and the engine's config is in ``components/stack_files.py`` (re-exported here). The settings
of each area, with their defaults and their own checks, live in ``components/settings/``:

- ``base``: the project namespace, ``ConfigError``, ``Model``, field types several areas share;
- ``landing_zone``: the organization, OUs, member accounts, budgets, suspension, SCPs;
- ``identity_center``: users, groups, permission sets, assignments (resolved and checked);
- ``environment``: an environment's accounts and how they are reached, Cognito;
- ``tasks_service``: network, service, load balancer, database, API, frontend, resolved into a plan;
- ``resource_names``: the resource names the org stack derives from config, and their collisions.

Import area settings from their module. Only these names of ``components.settings.base`` are
re-exported here, for convenience: ``PROJECT``, ``ORG_STACK``, ``ConfigError``, ``Model``, ``stack_file``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator

from components import load_once
from components.settings import derived
from components.settings.base import (
    ACCOUNT_ID,
    ORG_STACK,
    PROJECT,
    REGION,
    ROLE_NAME,
    ConfigError,
    Model,
    Tags,
    duplicates,
    stack_file,
)
from components.settings.break_glass import BreakGlassSettings, check_break_glass, derive_alert_emails
from components.settings.cicd import CicdConfig as CicdConfig
from components.settings.cicd import check_cicd
from components.settings.environment import (
    DEFAULT_ENVIRONMENT_ACCOUNTS,
    RESERVED_TAGS,
    AccountAccess,
    CognitoSettings,
    check_derived_domain_prefix,
    redirect_url_problem,
)
from components.settings.identity_center import (
    IdentityCenterSettings,
    check_identity_center,
    derive_user_emails,
)
from components.settings.landing_zone import (
    DEFAULT_OUS,
    MAX_OU_DEPTH,
    OU_NAME,
    AccountSettings,
    OrganizationSettings,
    ScpLimits,
    ScpSettings,
    check_trusted_access,
    default_scps,
    derive_account_emails,
)
from components.settings.production import (
    ProductionOptOut,
    check_opt_outs,
    check_stack_identity,
    user_pool_protections,
)
from components.settings.resolved import EnvResolved, OrgResolved, not_resolved
from components.settings.resource_names import check_resource_names
from components.settings.security import SecurityConfig as SecurityConfig
from components.settings.security import check_security
from components.settings.state_backend import StateBackendSettings, check_state_backend
from components.settings.tasks_service import (
    ApiSettings,
    DatabaseSettings,
    FrontendSettings,
    LoadBalancerSettings,
    NetworkSettings,
    ServiceSettings,
    tasks_service_plan,
)
from components.settings.workload_logging import LoggingSettings

# Reading stack files and the engine's config lives in components/stack_files.py; re-exported here.
from components.stack_files import PROJECT_ROOT as PROJECT_ROOT
from components.stack_files import config_env as config_env
from components.stack_files import project_values as project_values
from components.stack_files import read_pulumi_config as read_pulumi_config
from components.stack_files import read_stack_file as read_stack_file
from components.stack_files import read_stack_file_config as read_stack_file_config
from iam_documents import documents
from iam_documents.access_role import ORGANIZATION_ACCESS_ROLE, exempts_role, principal_exemptions
from policies.production import is_production_stack

# --- Org stack --------------------------------------------------------------------------------


class OrgConfig(Model):
    """Configuration of the ``org`` stack (management account)."""

    # Not in the stack file: python -m deploy derives it for the run (components/settings/derived.py);
    # offline the mocks' id stands in.
    management_account_id: str = Field(default=derived.OFFLINE_MANAGEMENT_ACCOUNT_ID, pattern=ACCOUNT_ID)
    # Its place in the deploy order and its line in the driver's output: read by the driver from the
    # stack file (deploy/stacks.py `discover`, which requires deployOrder); accepted here, not used.
    deploy_order: int | None = Field(default=None, ge=0)  # lax: the engine passes config values as text
    description: str | None = None
    region: str = "us-east-1"
    # Member accounts', budget recipients' and Identity Center users' e-mails where not set explicitly.
    email_pattern: str | None = None
    access_role_name: str = Field(default=ORGANIZATION_ACCESS_ROLE, pattern=ROLE_NAME)
    organization: OrganizationSettings = OrganizationSettings()
    organizational_units: tuple[str, ...] = DEFAULT_OUS
    suspended_ou: str = "Suspended"
    accounts: tuple[AccountSettings, ...] = ()
    service_control_policies: tuple[ScpSettings, ...] = Field(default_factory=default_scps)
    scp_limits: ScpLimits = ScpLimits()
    # Accounts in the organization, the management account included: AWS's default quota is 10.
    account_quota: int = Field(default=10, ge=1)
    identity_center: IdentityCenterSettings = IdentityCenterSettings()
    state_backend: StateBackendSettings | None = None  # python -m deploy bootstrap (deploy/bootstrap.py)
    break_glass: BreakGlassSettings = BreakGlassSettings()  # components/settings/break_glass.py
    _resolved: OrgResolved | None = PrivateAttr(default=None)  # set by `load`

    @property
    def resolved(self) -> OrgResolved:  # what the program declares from (components/settings/resolved.py)
        return self._resolved or not_resolved(self)


# --------------------------------------------------------------------------------------------
# Environment stacks (pre, prod)
# --------------------------------------------------------------------------------------------


class EnvConfig(Model):
    """Configuration of an environment stack (``pre``, ``prod``)."""

    environment: str = Field(pattern=r"^[a-z][a-z0-9-]{0,15}$")
    org_stack: str = Field(pattern=r"^[\w.-]+(/[\w.-]+){0,2}$")
    # Its place in the deploy order and its line in the driver's output: read by the driver from the
    # stack file (deploy/stacks.py `discover`, which requires deployOrder); accepted here, not used.
    deploy_order: int | None = Field(default=None, ge=0)  # lax: the engine passes config values as text
    description: str | None = None
    region: str = Field(default="us-east-1", pattern=REGION)
    # Production is the stack's (policies/production.py); these lower one named protection each.
    production_opt_outs: tuple[ProductionOptOut, ...] = ()
    identity_account: AccountAccess
    workload_account: AccountAccess
    tags: Tags = Field(default_factory=dict)
    cognito: CognitoSettings
    # Tasks Service (see components/settings/tasks_service.py; resolved by `tasks_service_plan`)
    network: NetworkSettings = NetworkSettings()
    service: ServiceSettings = ServiceSettings()
    load_balancer: LoadBalancerSettings = LoadBalancerSettings()
    database: DatabaseSettings = DatabaseSettings()
    api: ApiSettings = ApiSettings()
    frontend: FrontendSettings = FrontendSettings()
    logging: LoggingSettings = LoggingSettings()  # components/settings/workload_logging.py
    _resolved: EnvResolved | None = PrivateAttr(default=None)  # set by `load`

    @property
    def resolved(self) -> EnvResolved:  # what the program declares from (components/settings/resolved.py)
        return self._resolved or not_resolved(self)

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
        return is_production_stack(self.environment)  # `load` holds it to the stack's name

    @property
    def opt_out_names(self) -> frozenset[str]:
        return frozenset(opt_out.resource for opt_out in self.production_opt_outs)

    @property
    def user_pool_deletion_protection(self) -> bool:
        return self.resolved.user_pool.deletion_protection

    @property
    def user_pool_protect(self) -> bool:
        return self.resolved.user_pool.protect


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


StackConfig = OrgConfig | EnvConfig | CicdConfig | SecurityConfig
CICD_KEY = "ci"  # a stack file with ``landing-zone:ci`` is a cicd stack (components/settings/cicd.py)
SECURITY_KEY = "security"  # ``landing-zone:security``: the security stack (components/settings/security.py)


def load(stack: str, raw: Mapping[str, Any], source: str | None = None) -> StackConfig:
    """Validate raw config values (keys without the project namespace) for a stack.

    Raises ConfigError with a one-line message naming ``source`` (default: the stack file) and the key.
    The config returned carries what the checks resolved (``.resolved``): the program declares from it.
    """
    source = source or stack_file(stack)
    load_key = load_once.key(stack, source, raw)
    if (loaded := load_once.recall(load_key)) is not None:
        return loaded  # validated already in this run (components/load_once.py)
    model: type[StackConfig] = (
        OrgConfig if stack == ORG_STACK else CicdConfig if CICD_KEY in raw
        else SecurityConfig if SECURITY_KEY in raw else EnvConfig
    )
    if model is OrgConfig:
        raw, _ = derive_emails(raw, source)
    elif model is EnvConfig:
        check_stack_identity(stack, raw, source)
    try:
        config = model.model_validate(dict(raw))
    except ValidationError as error:
        first = error.errors()[0]
        raise ConfigError(source, _key(first["loc"]), _message(first)) from None
    if isinstance(config, OrgConfig):
        config._resolved = check_org(config, source)
    elif isinstance(config, CicdConfig):
        check_cicd(config, source)
    elif isinstance(config, SecurityConfig):
        check_security(config, source)
    else:
        config._resolved = check_env(config, source)
    load_once.remember(load_key, config)
    return config


def derive_emails(raw: Mapping[str, Any], source: str) -> tuple[dict[str, Any], list[derived.DerivedValue]]:
    """The org stack's raw values with the e-mails ``emailPattern`` gives filled in, and what was derived."""
    pattern = derived.email_pattern(raw.get("emailPattern"), source)
    values, accounts = derive_account_emails(raw, pattern, source)
    values, users = derive_user_emails(values, pattern, source)
    values, alerts = derive_alert_emails(values, pattern, source)
    return values, accounts + users + alerts


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


def load_stack_file(stack: str, root: Path = PROJECT_ROOT) -> StackConfig:
    return load(stack, read_stack_file(stack, root))


# --------------------------------------------------------------------------------------------
# Cross-field checks
# --------------------------------------------------------------------------------------------


def check_org(config: OrgConfig, source: str) -> OrgResolved:
    """Checks that span several keys; each raises ConfigError naming the offending key.

    Returns the documents and assignments they resolved on the way."""
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

    # Identity Center's and the security stack's trusted access, and the S3 policy type, stay enabled.
    check_trusted_access(config.organization, source)

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
    for name in duplicates(scp.name for scp in config.service_control_policies):
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
    scps = load_scps(config, source)
    check_quarantine_exemption(config, scps, source)
    identity_center = check_identity_center(config, source)
    check_state_backend(
        config.state_backend, config.accounts,
        (permission_set.name for permission_set in config.identity_center.permission_sets), source,
    )
    check_break_glass(config.break_glass, source)
    # After the checks above (entries are otherwise valid); the assignments as resolved there.
    check_resource_names(config, source, identity_center.assignment_origins)
    return OrgResolved(scps, identity_center.inline_policies, identity_center.assignments)


def check_quarantine_exemption(
    config: OrgConfig, scps: Mapping[str, documents.PolicyDocument], source: str
) -> None:
    """An SCP on the Suspended OU that exempts principals by ARN must exempt the access role.

    Otherwise a changed ``accessRoleName`` would lock the automation out of the accounts it has to
    clean up and close.
    """
    for index, scp in enumerate(config.service_control_policies):
        if config.suspended_ou not in scp.targets:
            continue
        exemptions = [
            pattern
            for statement in documents.statements(scps[scp.name].document)
            for pattern in principal_exemptions(statement)
        ]
        if exemptions and not any(exempts_role(p, config.access_role_name) for p in exemptions):
            raise ConfigError(
                source,
                f"{PROJECT}:serviceControlPolicies[{index}].file",
                f"iam_documents/scp/{scp.file} exempts {', '.join(exemptions)} but not the access role"
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


def check_env(config: EnvConfig, source: str) -> EnvResolved:
    """Cross-field checks of an environment stack; returns what they resolved on the way."""
    for tag in config.tags:
        if tag in RESERVED_TAGS:
            raise ConfigError(source, f"{PROJECT}:tags.{tag}", "is set by the program on every resource")
    check_opt_outs(config.production_opt_outs, production=config.is_production, source=source)
    cognito = f"{PROJECT}:cognito"
    if config.is_production:
        urls = [(f"callbackUrls[{i}]", url) for i, url in enumerate(config.cognito.callback_urls)]
        urls += [(f"logoutUrls[{i}]", url) for i, url in enumerate(config.cognito.logout_urls)]
        for where, url in urls:
            problem = redirect_url_problem(url, https_only=True)
            if problem:
                raise ConfigError(source, f"{cognito}.{where}", problem)
    user_pool = user_pool_protections(config, source)
    if config.cognito.domain_prefix is None:
        check_derived_domain_prefix(config.environment, source)
    return EnvResolved(tasks_service=tasks_service_plan(config, source), user_pool=user_pool)
