"""The hand-made Identity Center objects the org stack adopts on this run, as ``python -m deploy`` found them.

The seed tutorial creates its group, user, membership and permission set by hand, under the names our
config declares; creating them again fails with ConflictException (deploy/derive_identity.py). The driver
finds them before the org stack's preview or up and passes their import ids, for that run only, in the
JSON of :data:`IDENTITY_CENTER_IMPORTS_ENV` (the pattern of components/settings/derived.py). Read here and
checked against the config before anything is declared: bad JSON, an unknown kind or a name the config
does not declare stops the program with one line naming the variable.

The JSON::

    {"users": {"<userName>": "<import id>"}, "groups": {"<group>": "..."},
     "memberships": {"<group>": {"<userName>": "..."}}, "permissionSets": {"<name>": "..."},
     "managedPolicyAttachments": {"<permission set>": {"<policy arn>": "..."}},
     "customerManagedPolicyAttachments": {"<permission set>": {"<path><name>": "..."}},
     "accountAssignments": [{"permissionSet": "...", "principalType": "GROUP", "principal": "...",
                             "account": "<account key>", "importId": "..."}]}
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from components.settings.base import ConfigError
from components.settings.derived import IDENTITY_CENTER_IMPORTS_ENV
from components.settings.identity_center import IdentityCenterSettings, ResolvedAssignment

KINDS = (
    "users", "groups", "memberships", "permissionSets", "managedPolicyAttachments",
    "customerManagedPolicyAttachments", "accountAssignments",
)
ASSIGNMENT_KEYS = ("permissionSet", "principalType", "principal", "account", "importId")


@dataclass(frozen=True)
class IdentityCenterImports:
    """Import ids of the existing objects to adopt, keyed by what the config calls them."""

    users: Mapping[str, str] = field(default_factory=dict)
    groups: Mapping[str, str] = field(default_factory=dict)
    memberships: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (group, userName)
    permission_sets: Mapping[str, str] = field(default_factory=dict)
    managed_policy_attachments: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (set, arn)
    # (set, path + name of the customer managed policy, e.g. "/boundaries/ops")
    customer_managed_policy_attachments: Mapping[tuple[str, str], str] = field(default_factory=dict)
    account_assignments: Mapping[ResolvedAssignment, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(vars(self).values())

    def to_json(self) -> str:
        memberships = _by_parent(self.memberships)
        attachments = _by_parent(self.managed_policy_attachments)
        customer = _by_parent(self.customer_managed_policy_attachments)
        assignments = [
            {
                "permissionSet": a.permission_set, "principalType": a.principal_type,
                "principal": a.principal, "account": a.account_key, "importId": value,
            }
            for a, value in self.account_assignments.items()
        ]
        document = {
            "users": dict(self.users), "groups": dict(self.groups), "memberships": memberships,
            "permissionSets": dict(self.permission_sets), "managedPolicyAttachments": attachments,
            "customerManagedPolicyAttachments": customer, "accountAssignments": assignments,
        }
        return json.dumps({key: value for key, value in document.items() if value}, sort_keys=True)


def from_environ(
    environ: Mapping[str, str], settings: IdentityCenterSettings, assignments: Sequence[ResolvedAssignment]
) -> IdentityCenterImports:
    """The imports the driver passed for this run (none without the variable), checked against the config."""
    text = environ.get(IDENTITY_CENTER_IMPORTS_ENV)
    if not text:
        return IdentityCenterImports()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise _error("", f"is not valid JSON ({error.msg}, position {error.pos})") from None
    if not isinstance(document, dict):
        raise _error("", "must be a JSON object")
    unknown = sorted(set(document) - set(KINDS))
    if unknown:
        raise _error(unknown[0], f"unknown kind (expected one of {', '.join(KINDS)})")
    users = {user.user_name for user in settings.users}
    groups = {group.name: set(group.members) for group in settings.groups}
    permission_sets = {ps.name: set(ps.managed_policies) for ps in settings.permission_sets}
    customer = {
        ps.name: {f"{ref.path}{ref.name}" for ref in ps.customer_managed_policies}
        for ps in settings.permission_sets
    }
    return IdentityCenterImports(
        users=_ids(document, "users", users),
        groups=_ids(document, "groups", set(groups)),
        memberships=_nested(document, "memberships", groups),
        permission_sets=_ids(document, "permissionSets", set(permission_sets)),
        managed_policy_attachments=_nested(document, "managedPolicyAttachments", permission_sets),
        customer_managed_policy_attachments=_nested(document, "customerManagedPolicyAttachments", customer),
        account_assignments=_assignments(document.get("accountAssignments", []), set(assignments)),
    )


def _by_parent(values: Mapping[tuple[str, str], str]) -> dict[str, dict[str, str]]:
    nested: dict[str, dict[str, str]] = {}
    for (parent, child), value in values.items():
        nested.setdefault(parent, {})[child] = value
    return nested


def _ids(document: Mapping[str, Any], kind: str, known: set[str], where: str = "") -> dict[str, str]:
    values = document.get(kind, {})
    path = where or kind
    if not isinstance(values, dict):
        raise _error(path, "must be a JSON object of names to import ids")
    for name, value in values.items():
        if name not in known:
            raise _error(f"{path}.{name}", "is not declared in identityCenter of Pulumi.org.yaml")
        _import_id(f"{path}.{name}", value)
    return dict(values)


def _nested(
    document: Mapping[str, Any], kind: str, known: Mapping[str, set[str]]
) -> dict[tuple[str, str], str]:
    parents = _objects(document.get(kind, {}), kind)
    result: dict[tuple[str, str], str] = {}
    for parent, children in parents.items():
        if parent not in known:
            raise _error(f"{kind}.{parent}", "is not declared in identityCenter of Pulumi.org.yaml")
        inner = _ids({kind: children}, kind, known[parent], where=f"{kind}.{parent}")
        result.update({(parent, child): value for child, value in inner.items()})
    return result


def _assignments(values: Any, known: set[ResolvedAssignment]) -> dict[ResolvedAssignment, str]:
    if not isinstance(values, list):
        raise _error("accountAssignments", "must be a JSON list")
    result: dict[ResolvedAssignment, str] = {}
    for index, entry in enumerate(values):
        where = f"accountAssignments[{index}]"
        if not isinstance(entry, dict) or sorted(entry) != sorted(ASSIGNMENT_KEYS):
            raise _error(where, f"must be an object with exactly {', '.join(ASSIGNMENT_KEYS)}")
        if not all(isinstance(value, str) for value in entry.values()):
            raise _error(where, "must hold strings only")
        assignment = ResolvedAssignment(
            entry["permissionSet"], entry["principalType"], entry["principal"], entry["account"]
        )
        if assignment not in known:
            raise _error(where, "is not an assignment identityCenter of Pulumi.org.yaml declares")
        result[assignment] = _import_id(f"{where}.importId", entry["importId"])
    return result


def _objects(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _error(path, "must be a JSON object")
    return value


def _import_id(path: str, value: Any) -> str:
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        raise _error(path, "must be an import id (a non-empty string without spaces)")
    return value


def _error(path: str, message: str) -> ConfigError:
    return ConfigError(IDENTITY_CENTER_IMPORTS_ENV, path or "(the variable)", message)
