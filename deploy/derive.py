"""What ``python -m deploy`` works out from the caller's AWS credentials before the org stack runs.

- **The management account id**, when the stack file does not set it: the caller's account (STS
  GetCallerIdentity), accepted only if it is the management account of its organization
  (Organizations DescribeOrganization) or there is no organization yet. A set value must equal it.
- **The organization to adopt**: an existing organization is imported by the org stack (its id is the
  import id), unless the stack file names one. Before the first import, the organization's settings are
  made to match the config, because Pulumi refuses an import whose inputs differ from what AWS has
  ("inputs to import do not match the existing resource", pulumi/pulumi pkg/resource/deploy/step.go,
  ImportStep): the trusted services and policy types the config lists are enabled first (``up`` only;
  ``preview`` says it would). The organization must not trust a service the config leaves out, and
  Identity Center must be enabled already (from its console), or the run stops naming the key. The id
  is passed on later runs too, which is harmless: the engine imports only when the state holds no
  resource with that id (step_generator.go, ``isImport``).
- **Its OUs and member accounts** that exist but that the org stack does not manage yet: imported this
  run instead of created again (deploy/adopt_structure.py).

Everything is read and checked first (:func:`prepare_org_run`); the changes, enabling trusted access
and policy types, wait for :meth:`OrgRun.apply`, which the CLI calls after the user confirmed ``up``.

The values reach the program for this run only, in environment variables of the Pulumi commands
(components/settings/derived.py reads them); the stack file is not rewritten. AWS is reached through
an injected boto3 session, so this is tested against moto.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from components import config as stack_config
from components.settings import derived
from deploy.adopt_structure import find_adoptions
from deploy.runner import SetupError

Emit = Callable[[str], None]

ORG_FILE = stack_config.stack_file(stack_config.ORG_STACK)
PRINCIPALS_KEY = f"{stack_config.PROJECT}:organization.awsServiceAccessPrincipals"
POLICY_TYPES_KEY = f"{stack_config.PROJECT}:organization.enabledPolicyTypes"
IDENTITY_CENTER_PRINCIPAL = "sso.amazonaws.com"
# How long a policy type may stay PENDING_ENABLE (the AWS provider waits 5 minutes for the same).
POLICY_TYPE_TIMEOUT = 300.0


@dataclass
class OrgRun:
    """What the org stack's run gets (``env``) and what ``up`` changes in AWS before it (``enable``)."""

    env: dict[str, str] = field(default_factory=dict)
    enable: list[tuple[str, str]] = field(default_factory=list)  # (root id, policy type)
    trust: list[str] = field(default_factory=list)  # service principals to give trusted access
    organizations: Any = None  # the Organizations client that found them

    def apply(
        self,
        emit: Emit,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Enable the trusted access and the policy types the adoption needs (types waited for)."""
        for principal in self.trust:
            _enable_service_access(self.organizations, principal, emit)
        self.trust = []
        for root_id, policy_type in self.enable:
            _enable_policy_type(self.organizations, root_id, policy_type, emit, sleep, clock)
        self.enable = []


def prepare_org_run(
    settings: stack_config.OrgConfig,
    file_values: Mapping[str, Any],
    session: Any,
    *,
    caller: str,
    operation: str,
    org_outputs: Callable[[], Mapping[str, Any]],
    emit: Emit,
) -> OrgRun:
    """Verify the caller and check an adoption; say what is derived and what ``up`` will change.

    ``file_values`` are the stack file's own values (what is derived is what they leave out);
    ``org_outputs`` gives the org stack's current outputs ({} before its first ``up``): with outputs it
    manages the organization already (nothing to prepare), and they name the OUs and accounts it manages
    (the others that exist are adopted, deploy/adopt_structure.py). Reads only. Raises SetupError
    (credentials) or ConfigError (a config value that cannot match the organization), each one line.
    """
    organizations = session.client("organizations", region_name=settings.region)
    organization = _describe_organization(organizations)
    configured = file_values.get("managementAccountId")
    if configured is not None and str(configured) != caller:
        raise SetupError(
            f"The AWS credentials belong to account {caller}, but {ORG_FILE} names {configured} as the "
            "management account; use the management account's credentials."
        )
    if organization is not None and organization["MasterAccountId"] != caller:
        raise SetupError(
            f"The AWS credentials belong to account {caller}, a member of organization {organization['Id']} "
            f"whose management account is {organization['MasterAccountId']}; run the org stack with the "
            "management account's credentials."
        )
    run = OrgRun(organizations=organizations)
    env = run.env
    if configured is None:
        env[derived.MANAGEMENT_ACCOUNT_ENV] = caller
        where = f"management account of {organization['Id']}" if organization else "no organization yet"
        emit(f"managementAccountId: {caller} (from the caller identity; {where})")
    if organization is None:
        return run
    organization_id = str(organization["Id"])
    named = settings.organization.import_id
    if named is not None and named != organization_id:
        raise stack_config.ConfigError(
            ORG_FILE,
            f"{stack_config.PROJECT}:organization.importId",
            f"is {named}, but the caller's organization is {organization_id}",
        )
    outputs = org_outputs()
    if outputs:
        emit(f"organization {organization_id}: managed by the org stack already")
    else:
        run.trust, run.enable = _prepare_adoption(organizations, organization, settings, operation, emit)
    if named is None:
        env[derived.ORGANIZATION_ID_ENV] = organization_id
        emit(f"organization.importId: {organization_id} (the caller's organization, the org stack adopts it)")
    env.update(
        find_adoptions(
            organizations, settings, outputs, organization_id=organization_id, management_account=caller,
            emit=emit,
        )
    )
    return run


def _describe_organization(organizations: Any) -> dict[str, Any] | None:
    try:
        return dict(organizations.describe_organization()["Organization"])
    except ClientError as error:
        if _code(error) == "AWSOrganizationsNotInUseException":
            return None
        raise SetupError(f"Organizations DescribeOrganization failed: {_reason(error)}.") from None
    except BotoCoreError as error:
        raise SetupError(f"Organizations DescribeOrganization failed: {error}.") from None


def _prepare_adoption(
    organizations: Any,
    organization: Mapping[str, Any],
    settings: stack_config.OrgConfig,
    operation: str,
    emit: Emit,
) -> tuple[list[str], list[tuple[str, str]]]:
    """Check the organization's settings against what the org stack will declare; return the services to
    trust and the policy types to enable on the root first (``up`` only), or say why they cannot match."""
    organization_id = organization["Id"]
    if organization.get("FeatureSet") != "ALL":
        raise SetupError(
            f"organization {organization_id} has only consolidated billing; enable all features"
            " (Organizations console, Settings) before the org stack adopts it: SCPs need them"
        )
    try:
        root = _pages(organizations, "list_roots", "Roots")[0]
        access = _pages(organizations, "list_aws_service_access_for_organization", "EnabledServicePrincipals")
        trusted = {entry["ServicePrincipal"] for entry in access}
    except (ClientError, BotoCoreError) as error:
        raise SetupError(f"reading organization {organization_id} failed: {_reason(error)}.") from None
    untrusted = _check_trusted_services(trusted, set(settings.organization.aws_service_access_principals))
    for principal in untrusted:
        emit(
            f"{principal} has no trusted access in {organization_id}: up enables it before the adoption"
            + ("" if operation == "up" else " (until then the import's inputs differ)")
        )

    # What the provider reads back as enabled_policy_types: the root's types with status ENABLED
    # (terraform-provider-aws, organizations organization resource, Read).
    enabled = {entry["Type"] for entry in root.get("PolicyTypes", []) if entry.get("Status") == "ENABLED"}
    wanted = set(settings.organization.enabled_policy_types)
    extra = sorted(enabled - wanted)
    if extra:
        raise stack_config.ConfigError(
            ORG_FILE,
            POLICY_TYPES_KEY,
            f"organization {organization_id} has {', '.join(extra)} enabled too; list every enabled type (the"
            " list is managed exactly: a type left out would be disabled, detaching its policies)",
        )
    missing = sorted(wanted - enabled)
    for policy_type in missing:
        emit(
            f"{policy_type} is not enabled on root {root['Id']}: up enables it before adopting "
            f"{organization_id}" + ("" if operation == "up" else " (until then the import's inputs differ)")
        )
    if operation != "up":
        return [], []
    return untrusted, [(root["Id"], policy_type) for policy_type in missing]


def _check_trusted_services(trusted: set[str], configured: set[str]) -> list[str]:
    """The import declares exactly the configured trusted services. One the organization trusts beyond
    them stops the run, and so does Identity Center's when it is not enabled (only its console sets it
    up); the others are returned, for ``up`` to enable first (EnableAWSServiceAccess, what the provider
    itself calls for a listed principal)."""
    unlisted = sorted(trusted - configured)
    if unlisted:
        raise stack_config.ConfigError(
            ORG_FILE,
            PRINCIPALS_KEY,
            f"the organization trusts {', '.join(unlisted)} too; list every service it trusts now (the list"
            " is managed exactly: one left out would lose its trusted access)",
        )
    missing = sorted(configured - trusted)
    if IDENTITY_CENTER_PRINCIPAL in missing:
        raise stack_config.ConfigError(
            ORG_FILE,
            PRINCIPALS_KEY,
            f"lists {IDENTITY_CENTER_PRINCIPAL}, which the organization does not trust yet; adopting it needs"
            " the list to match (is IAM Identity Center enabled? Enable it in the console first)",
        )
    return missing


def _enable_service_access(organizations: Any, principal: str, emit: Emit) -> None:
    try:
        organizations.enable_aws_service_access(ServicePrincipal=principal)
    except (ClientError, BotoCoreError) as error:
        raise SetupError(f"enabling trusted access for {principal} failed: {_reason(error)}.") from None
    emit(f"enabled trusted access for {principal} (the config lists it) before the adoption")


def _enable_policy_type(
    organizations: Any,
    root_id: str,
    policy_type: str,
    emit: Emit,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> None:
    """EnablePolicyType on the root, then wait until ListRoots reports it ENABLED."""
    try:
        organizations.enable_policy_type(RootId=root_id, PolicyType=policy_type)
    except ClientError as error:
        if _code(error) != "PolicyTypeAlreadyEnabledException":
            raise SetupError(f"enabling {policy_type} on root {root_id} failed: {_reason(error)}.") from None
    started = clock()
    delay = 2.0
    while True:
        root = _pages(organizations, "list_roots", "Roots")[0]
        types = root.get("PolicyTypes", [])
        status = next((t.get("Status") for t in types if t["Type"] == policy_type), None)
        if status == "ENABLED":
            emit(f"enabled {policy_type} on root {root_id} (the config asks for it) before the adoption")
            return
        if clock() - started + delay > POLICY_TYPE_TIMEOUT:
            raise SetupError(
                f"{policy_type} on root {root_id} is still {status or 'not enabled'} after "
                f"{POLICY_TYPE_TIMEOUT:.0f}s"
            )
        sleep(delay)
        delay = min(delay * 2, 30.0)


def _pages(client: Any, operation: str, key: str) -> list[Any]:
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate():
        items.extend(page.get(key, []))
    return items


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _reason(error: Exception) -> str:
    if isinstance(error, ClientError):
        detail = error.response.get("Error", {})
        return f"{detail.get('Code', 'error')}: {detail.get('Message', '')}".strip().rstrip(":")
    return str(error)
