"""Which existing OUs and member accounts of the caller's organization the org stack adopts this run.

Someone who built the organization by hand (as the seed tutorial does) already has OUs and accounts
with the configured names. Creating them again fails mid-``up``: CreateOrganizationalUnit raises
DuplicateOrganizationalUnitException ("An OU with the same name already exists", botocore
organizations model), and CreateAccount fails on an e-mail already in use. So before the org stack's
preview or up, :func:`find_adoptions` reads the organization's OU tree and accounts and, for what the
stack does not manage yet (absent from its outputs ``organizational_units`` and ``accounts``):

- each configured OU path that exists becomes an import (its OU id);
- each configured account is matched by its ``importId`` (which must name a member account), else by
  its e-mail (case-insensitive); it must be ACTIVE, and have the configured name and exactly the
  configured e-mail, since the import compares them (both are plain inputs; a different e-mail would
  even replace the account: ``email`` is ForceNew in terraform-provider-aws's
  aws_organizations_account). A SUSPENDED or PENDING_CLOSURE account matched by a configured one is
  refused rather than skipped: skipping would only move the failure to CreateAccount (the e-mail
  stays taken), mid-``up``.

Service control policies are not adopted (a hand-made one's document would have to match ours
exactly): before the org stack's first ``up``, one that already has the name of a configured SCP stops
the run in one line, since CreatePolicy would fail with DuplicatePolicyException ("A policy with the
same name already exists", botocore organizations model). Later runs are not checked: the outputs do
not say which SCPs the stack manages.

The maps reach the program for this run only (components/settings/derived.py, ADOPTED_*_ENV), where
the adopted resources get ``import_`` and ignore the properties a hand-made one cannot match. After
an ``up`` that failed before writing the outputs, the same ids are passed again, which is harmless:
the engine imports only when the state holds no resource with that id (step_generator.go,
``isImport``), and the next ``up`` sets the tags. Reads only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from components import config as stack_config
from components.settings import derived
from components.settings.landing_zone import AccountSettings
from deploy.runner import SetupError

Emit = Callable[[str], None]

ORG_FILE = stack_config.stack_file(stack_config.ORG_STACK)
SCP_TYPE = "SERVICE_CONTROL_POLICY"
ACTIVE = "ACTIVE"  # botocore organizations model, shape AccountStatus: ACTIVE, SUSPENDED, PENDING_CLOSURE


def find_adoptions(
    organizations: Any,
    settings: stack_config.OrgConfig,
    outputs: Mapping[str, Any],
    *,
    organization_id: str,
    management_account: str,
    emit: Emit,
) -> dict[str, str]:
    """The environment variables naming the OUs and accounts to import this run (empty: none).

    ``outputs`` are the org stack's current outputs ({} before its first ``up``). Raises SetupError
    when AWS cannot be read, ConfigError (one line) for an account that cannot be adopted.
    """
    try:
        root = _pages(organizations, "list_roots", "Roots")[0]["Id"]
        existing_ous = _ou_tree(organizations, root)
        listed = _pages(organizations, "list_accounts", "Accounts")
        if not outputs:
            policies = _pages(organizations, "list_policies", "Policies", Filter=SCP_TYPE)
            _check_policy_names(settings, {p["Name"]: p["Id"] for p in policies}, organization_id)
    except (ClientError, BotoCoreError) as error:
        raise SetupError(
            f"reading the OUs and accounts of {organization_id} failed: {_reason(error)}."
        ) from None
    members = [account for account in listed if account["Id"] != management_account]

    managed_ous = _managed(outputs, "organizational_units")
    ous = {
        path: existing_ous[path]
        for path in settings.organizational_units
        if path in existing_ous and path not in managed_ous and existing_ous[path] not in managed_ous.values()
    }
    for path, ou_id in ous.items():
        emit(f"organizational unit {path}: {ou_id} (exists in AWS; the org stack adopts it)")

    managed_accounts = _managed(outputs, "accounts")
    accounts: dict[str, str] = {}
    for index, account in enumerate(settings.accounts):
        if account.key in managed_accounts:
            continue
        found = _match(account, index, members, organization_id)
        if found is None or found["Id"] in managed_accounts.values():
            continue
        _check_adoptable(account, index, found)
        accounts[account.key] = found["Id"]
        how = "its importId" if account.import_id else "its e-mail matches"
        emit(
            f"accounts[{index}] ({account.key}): {found['Id']} ({how}; the org stack adopts it, and the"
            f" next up sets its tags and moves it into {account.ou})"
        )

    env = {}
    if ous:
        env[derived.ADOPTED_OUS_ENV] = json.dumps(ous, sort_keys=True)
    if accounts:
        env[derived.ADOPTED_ACCOUNTS_ENV] = json.dumps(accounts, sort_keys=True)
    return env


def _ou_tree(organizations: Any, root: str) -> dict[str, str]:
    """Every OU below the root: path (``Workloads/Prod``) -> id, parents first."""
    tree: dict[str, str] = {}
    pending = [("", root)]
    while pending:
        prefix, parent = pending.pop(0)
        for unit in _pages(organizations, "list_organizational_units_for_parent", "OrganizationalUnits",
                           ParentId=parent):
            path = f"{prefix}{unit['Name']}"
            tree[path] = unit["Id"]
            pending.append((f"{path}/", unit["Id"]))
    return tree


def _managed(outputs: Mapping[str, Any], name: str) -> dict[str, str]:
    value = outputs.get(name)
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


def _match(
    account: AccountSettings, index: int, members: list[dict[str, Any]], organization_id: str
) -> dict[str, Any] | None:
    """The member account a configured one stands for: its importId's, else the one with its e-mail."""
    if account.import_id is not None:
        found = next((m for m in members if m["Id"] == account.import_id), None)
        if found is None:
            raise stack_config.ConfigError(
                ORG_FILE,
                f"{stack_config.PROJECT}:accounts[{index}].importId",
                f"is {account.import_id}, which is no member account of {organization_id}",
            )
        return found
    email = account.email.casefold()
    return next((m for m in members if str(m.get("Email", "")).casefold() == email), None)


def _check_adoptable(account: AccountSettings, index: int, found: Mapping[str, Any]) -> None:
    where = f"{stack_config.PROJECT}:accounts[{index}]"
    status = found.get("Status", ACTIVE)
    if status != ACTIVE:
        raise stack_config.ConfigError(
            ORG_FILE,
            f"{where}.{'importId' if account.import_id else 'email'}",
            f"matches account {found['Id']} ({found.get('Name', '')}), which is {status}:"
            " it cannot be adopted, and its e-mail cannot be used for a new account;"
            " remove the account or give it another e-mail",
        )
    if found.get("Name") != account.name:
        raise stack_config.ConfigError(
            ORG_FILE,
            f"{where}.name",
            f"is '{account.name}', but account {found['Id']} is named '{found.get('Name')}' in AWS; set that"
            " name to adopt it (the import compares it)",
        )
    if found.get("Email") != account.email:
        raise stack_config.ConfigError(
            ORG_FILE,
            f"{where}.email",
            f"is '{account.email}', but account {found['Id']} has '{found.get('Email')}' in AWS; write it"
            " exactly so (the import compares it, and a different e-mail would replace the account)",
        )


def _check_policy_names(
    settings: stack_config.OrgConfig, existing: Mapping[str, str], organization: str
) -> None:
    for index, scp in enumerate(settings.service_control_policies):
        if scp.name in existing:
            raise stack_config.ConfigError(
                ORG_FILE,
                f"{stack_config.PROJECT}:serviceControlPolicies[{index}].name",
                f"'{scp.name}' is taken by SCP {existing[scp.name]} in {organization}, which the org stack"
                " does not manage (creating it would fail: DuplicatePolicyException); rename one of them",
            )


def _pages(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**params):
        items.extend(page.get(key, []))
    return items


def _reason(error: Exception) -> str:
    if isinstance(error, ClientError):
        detail = error.response.get("Error", {})
        return f"{detail.get('Code', 'error')}: {detail.get('Message', '')}".strip().rstrip(":")
    return str(error)
