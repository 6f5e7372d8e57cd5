"""What an environment stack reads from the org stack, checked before the first resource is declared.

An environment stack (``pre``, ``prod``) reads these exports of the org stack (``org_program`` in
components/program.py); every one is resolved here, nowhere else:

============================  ==================================================  ===========================
export                        what the environment takes from it                  named by (stack file key)
============================  ==================================================  ===========================
``accounts``                  the ids of its IdP and workload accounts             ``identityAccount.key``,
                                                                                   ``workloadAccount.key``
``management_account_id``     refused as a target: nothing lands in it             the same keys
``access_role_name``          the role assumed in an account without ``roleName``  ``<account>`` (default)
                              and ``profile``
``account_ous``,              the OU path of each of its accounts, which must be   the account keys
``organizational_units``      an OU of the org stack (when the org exports them)
``sso_assignments``           a ``profile`` named as ``python -m deploy profiles``  ``<account>.profile``
                              names another account's (``<account>`` or
                              ``<account>-<permission set>``) is refused
============================  ==================================================  ===========================

:func:`resolve` checks all of them against ONE mapping of org outputs, whoever read it: the program
under the engine (``OrgStack.read`` in components/providers.py), the driver before it runs an
environment (``runner.outputs('org')``, deploy/org_references.py) and ``plan`` (the org program's
recorded outputs). A problem is a :class:`ConfigError`: one line naming the environment's stack file,
the key, and what the org stack exports, with the nearest exported name when there is one.

Pure Python on purpose (no Pulumi import): the driver loads it cheaply.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from components.settings.base import PROJECT, ConfigError
from components.settings.environment import AccountAccess

if TYPE_CHECKING:
    from components.config import EnvConfig

ACCOUNT_ID = re.compile(r"^\d{12}$")
# Exports an environment needs whatever its config says.
REQUIRED_EXPORTS = ("accounts", "management_account_id")
# `python -m deploy profiles` names a profile after the account, or after the account and the permission
# set when several are assigned there (deploy/profiles.py DEFAULT_NAME_PATTERN, DEFAULT_MULTI_NAME_PATTERN).
PROFILE_NAMES = ("{account}", "{account}-{permission_set}")
_LISTED = 12  # exported names shown in a message, at most


@dataclass(frozen=True)
class OrgAccount:
    """One account of the environment, as the org stack exports it."""

    config_key: str  # e.g. "identityAccount"
    key: str  # the account key in the org stack
    account_id: str
    role_name: str | None  # the role the provider assumes there; None: the profile's credentials as they are
    ou: str | None  # the OU path, when the org stack exports ``account_ous``


@dataclass(frozen=True)
class OrgReferences:
    """Everything an environment takes from the org stack, checked."""

    org_stack: str
    management_account_id: str
    identity: OrgAccount
    workload: OrgAccount


def resolve(
    org_stack: str,
    identity: AccountAccess,
    workload: AccountAccess,
    outputs: Mapping[str, Any],
    source: str,
) -> OrgReferences:
    """Check every value the environment reads from ``outputs`` (the org stack's, plain values).

    ``org_stack`` is the name the environment reads (``orgStack``), ``source`` its stack file. Raises
    ConfigError on the first problem.
    """
    reader = _Exports(org_stack, outputs, source)
    for name in REQUIRED_EXPORTS:
        reader.require(name)
    management = str(reader.require("management_account_id"))
    accounts = {
        config_key: _account(reader, config_key, access, management)
        for config_key, access in (("identityAccount", identity), ("workloadAccount", workload))
    }
    return OrgReferences(
        org_stack=org_stack,
        management_account_id=management,
        identity=accounts["identityAccount"],
        workload=accounts["workloadAccount"],
    )


def resolve_config(config: EnvConfig, outputs: Mapping[str, Any], source: str) -> OrgReferences:
    """:func:`resolve` for a validated environment config."""
    return resolve(config.org_stack, config.identity_account, config.workload_account, outputs, source)


class _Exports:
    """The org stack's outputs, read with messages that name the environment's file and key."""

    def __init__(self, org_stack: str, outputs: Mapping[str, Any], source: str) -> None:
        self.org_stack = org_stack
        self.outputs = outputs
        self.source = source

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(self.source, f"{PROJECT}:{key}", message)

    def require(self, name: str, *, needed_by: str = "orgStack") -> Any:
        value = self.outputs.get(name)
        if value is None:
            raise self.error(
                needed_by,
                f"stack '{self.org_stack}' exports no '{name}'{_exported(self.outputs)}; "
                f"deploy the org stack first (pulumi up -s org)",
            )
        return value

    def mapping(self, name: str) -> Mapping[str, Any] | None:
        """An optional export that, when present, maps names to values."""
        value = self.outputs.get(name)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self.error("orgStack", f"stack '{self.org_stack}' exports '{name}' as {_kind(value)}, "
                                         "not a mapping")
        return value


def _account(reader: _Exports, config_key: str, access: AccountAccess, management: str) -> OrgAccount:
    accounts = reader.mapping("accounts") or {}
    key = access.key
    if key not in accounts:
        raise reader.error(
            f"{config_key}.key",
            f"'{key}' is not an account of stack '{reader.org_stack}'{_suggestion(key, accounts)}"
            f" (it exports: {_names(accounts)})",
        )
    account_id = str(accounts[key])
    if not ACCOUNT_ID.match(account_id):
        raise reader.error(
            f"{config_key}.key",
            f"stack '{reader.org_stack}' exports '{account_id}' for account '{key}', "
            "not a 12-digit account id",
        )
    if account_id == management:
        raise reader.error(
            f"{config_key}.key",
            f"'{key}' is the management account ({account_id}) of stack '{reader.org_stack}'; "
            "environment resources never go there",
        )
    role_name = access.role_name
    if role_name is None and access.assumes_role:
        role_name = str(reader.require("access_role_name", needed_by=config_key))
    _check_profile(reader, config_key, access)
    return OrgAccount(config_key, key, account_id, role_name, _ou(reader, config_key, key))


def _ou(reader: _Exports, config_key: str, key: str) -> str | None:
    """The account's OU path, which must be one of the org stack's OUs (when both are exported)."""
    placements = reader.mapping("account_ous")
    if placements is None or key not in placements:
        return None
    ou = str(placements[key])
    units = reader.mapping("organizational_units")
    if units is not None and ou not in units:
        raise reader.error(
            f"{config_key}.key",
            f"account '{key}' is in OU '{ou}', which stack '{reader.org_stack}' does not export"
            f"{_suggestion(ou, units)} (it exports: {_names(units)})",
        )
    return ou


def _check_profile(reader: _Exports, config_key: str, access: AccountAccess) -> None:
    """A profile that ``python -m deploy profiles`` writes for another account would reach the wrong one."""
    if access.profile is None:
        return
    owners = profile_owners(reader.outputs.get("sso_assignments"))
    owner = owners.get(access.profile)
    if owner is not None and owner != access.key:
        own = sorted(name for name, account in owners.items() if account == access.key)
        hint = f"; its own is '{own[0]}'" if own else ""
        raise reader.error(
            f"{config_key}.profile",
            f"'{access.profile}' is the profile `python -m deploy profiles` writes for account '{owner}' "
            f"of stack '{reader.org_stack}', not for '{access.key}'{hint}",
        )


def profile_owners(assignments: Any) -> dict[str, str]:
    """Profile name -> account key, for the names ``python -m deploy profiles`` gives by default."""
    owners: dict[str, str] = {}
    if not isinstance(assignments, list):
        return owners
    for item in assignments:
        if not isinstance(item, Mapping):
            continue
        account, permission_set = item.get("account_key"), item.get("permission_set")
        if not isinstance(account, str) or not isinstance(permission_set, str):
            continue
        for pattern in PROFILE_NAMES:
            owners.setdefault(pattern.format(account=account, permission_set=permission_set), account)
    return owners


def _suggestion(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, [str(k) for k in known], n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _names(values: Iterable[Any]) -> str:
    names = sorted(str(v) for v in values)
    if not names:
        return "none"
    shown = ", ".join(names[:_LISTED])
    return shown if len(names) <= _LISTED else f"{shown}, ... ({len(names)} in all)"


def _exported(outputs: Mapping[str, Any]) -> str:
    return f" (it exports: {_names(outputs)})" if outputs else " (it exports nothing)"


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", bool: "a boolean"}.get(type(value), "a value")
