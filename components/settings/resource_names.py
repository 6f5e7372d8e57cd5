"""The Pulumi resource names the org stack derives from config, and the check that no two entries share one.

Each function here is THE name of one kind of resource: components/landing_zone.py and
components/identity_center.py declare their resources with it, and :func:`check_resource_names` (run by
config validation) rejects two config entries that would get the same name.

Why: the engine stops an update partway on a duplicate URN (pulumi/pulumi
pkg/resource/deploy/step_generator.go ``generateURN``). A URN is the type, the parent's type chain and
the name; every resource below is the child of one component, so two resources of one kind collide
exactly when their names do. Names are slugs (``Workloads/Prod`` and ``Workloads-Prod`` both give
``workloads-prod``; ``Admins`` and ``admins`` both give ``admins``), so distinct entries can collide.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from components.settings.base import PROJECT, ConfigError
from components.settings.identity_center import IdentityCenterSettings, OrgView, ResolvedAssignment
from components.settings.landing_zone import ScpSettings

# The names components/program.py gives the two org components (tests/test_resource_names.py holds them
# to it); a collision does not depend on them, only the messages show them.
LANDING_ZONE = "landing-zone"
IDENTITY_CENTER = "identity-center"


def slug(text: str) -> str:
    """A resource-name fragment: lower case, each run of other characters one '-' (``Workloads/Prod``
    -> ``workloads-prod``)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# --- LandingZone ---------------------------------------------------------------------------------


def organizational_unit(component: str, path: str) -> str:
    return f"{component}-ou-{slug(path)}"


def account(component: str, key: str) -> str:
    return f"{component}-account-{key}"


def budget(component: str, account_key: str) -> str:
    return f"{component}-budget-{account_key}"


def service_control_policy(component: str, policy: str) -> str:
    return f"{component}-scp-{slug(policy)}"


def policy_attachment(component: str, policy: str, target: str) -> str:
    return f"{service_control_policy(component, policy)}-{slug(target)}"


# --- IdentityCenter ------------------------------------------------------------------------------


def user(component: str, user_name: str) -> str:
    return f"{component}-user-{slug(user_name)}"


def group(component: str, group_name: str) -> str:
    return f"{component}-group-{slug(group_name)}"


def group_membership(component: str, group_name: str, user_name: str) -> str:
    return f"{component}-member-{slug(group_name)}-{slug(user_name)}"


def permission_set(component: str, name: str) -> str:
    """The permission set's name, and the prefix of its policies' names."""
    return f"{component}-ps-{slug(name)}"


def inline_policy(component: str, permission_set_name: str) -> str:
    return f"{permission_set(component, permission_set_name)}-inline"


def permissions_boundary(component: str, permission_set_name: str) -> str:
    return f"{permission_set(component, permission_set_name)}-boundary"


def managed_policy_attachment(component: str, permission_set_name: str, policy_arn: str) -> str:
    policy = policy_arn.rpartition(":policy/")[2]
    return f"{permission_set(component, permission_set_name)}-managed-{slug(policy)}"


def customer_policy_attachment(component: str, permission_set_name: str, path: str, name: str) -> str:
    return f"{permission_set(component, permission_set_name)}-customer-{slug(path + name)}"


def account_assignment(
    component: str, permission_set_name: str, principal_type: str, principal: str, account_key: str
) -> str:
    kind = "group" if principal_type == "GROUP" else "user"
    return f"{component}-assign-{slug(permission_set_name)}-{kind}-{slug(principal)}-{account_key}"


# --- The check -----------------------------------------------------------------------------------


class NamedOrg(OrgView, Protocol):
    """What the check reads of ``OrgConfig`` (components/config.py imports this module)."""

    @property
    def service_control_policies(self) -> tuple[ScpSettings, ...]: ...


@dataclass(frozen=True)
class _Entry:
    key: str  # config key without the namespace, e.g. organizationalUnits[4]
    label: str  # the entry as the user wrote it, e.g. 'Workloads/Prod'
    name: str  # the resource name it gives


def check_resource_names(
    config: NamedOrg, source: str, assignments: Mapping[ResolvedAssignment, int]
) -> None:
    """Raise ConfigError naming both entries when two config entries give one resource name.

    ``assignments``: each resolved assignment -> its ``assignments`` entry (``assignment_origins``).
    """
    for entries in _entries_by_kind(config, assignments):
        seen: dict[str, _Entry] = {}
        for entry in entries:
            first = seen.setdefault(entry.name, entry)
            if first is not entry:
                raise ConfigError(
                    source,
                    f"{PROJECT}:{entry.key}",
                    f"{entry.label} gives the same resource name as {first.key} {first.label} "
                    f"({entry.name}); the engine refuses the second (duplicate URN)",
                )


def _entries_by_kind(
    config: NamedOrg, assignments: Mapping[ResolvedAssignment, int]
) -> Iterator[Iterable[_Entry]]:
    """One iterable of entries per resource type."""
    zone = LANDING_ZONE
    yield (_Entry(f"organizationalUnits[{i}]", f"'{path}'", organizational_unit(zone, path))
           for i, path in enumerate(config.organizational_units))
    accounts = config.accounts
    yield (_Entry(f"accounts[{i}].key", f"'{a.key}'", account(zone, a.key)) for i, a in enumerate(accounts))
    yield (_Entry(f"accounts[{i}].budget", f"'{a.key}'", budget(zone, a.key))
           for i, a in enumerate(accounts) if a.budget is not None)
    scps = config.service_control_policies
    yield (_Entry(f"serviceControlPolicies[{i}].name", f"'{scp.name}'",
                  service_control_policy(zone, scp.name))
           for i, scp in enumerate(scps))
    yield (_Entry(f"serviceControlPolicies[{i}].targets[{j}]", f"'{scp.name}' on '{target}'",
                  policy_attachment(zone, scp.name, target))
           for i, scp in enumerate(scps) for j, target in enumerate(scp.targets))
    yield from _identity_center_entries(config.identity_center, assignments)


def _identity_center_entries(
    settings: IdentityCenterSettings, assignments: Mapping[ResolvedAssignment, int]
) -> Iterator[Iterable[_Entry]]:
    center = IDENTITY_CENTER
    base = "identityCenter"
    yield (_Entry(f"{base}.users[{i}].userName", f"'{u.user_name}'", user(center, u.user_name))
           for i, u in enumerate(settings.users))
    yield (_Entry(f"{base}.groups[{i}].name", f"'{g.name}'", group(center, g.name))
           for i, g in enumerate(settings.groups))
    yield (_Entry(f"{base}.groups[{i}].members[{j}]", f"'{member}' in '{g.name}'",
                  group_membership(center, g.name, member))
           for i, g in enumerate(settings.groups) for j, member in enumerate(g.members))
    sets = settings.permission_sets
    yield (_Entry(f"{base}.permissionSets[{i}].name", f"'{ps.name}'", permission_set(center, ps.name))
           for i, ps in enumerate(sets))
    yield (_Entry(f"{base}.permissionSets[{i}].managedPolicies[{j}]", f"'{arn}' of '{ps.name}'",
                  managed_policy_attachment(center, ps.name, arn))
           for i, ps in enumerate(sets) for j, arn in enumerate(ps.managed_policies))
    yield (_Entry(f"{base}.permissionSets[{i}].customerManagedPolicies[{j}]",
                  f"'{ref.path}{ref.name}' of '{ps.name}'",
                  customer_policy_attachment(center, ps.name, ref.path, ref.name))
           for i, ps in enumerate(sets) for j, ref in enumerate(ps.customer_managed_policies))
    yield (_Entry(f"{base}.assignments[{index}]",
                  f"'{a.permission_set}' for {a.principal_type.lower()} '{a.principal}' on '{a.account_key}'",
                  account_assignment(center, a.permission_set, a.principal_type, a.principal, a.account_key))
           for a, index in assignments.items())
