"""Resource names derived from config (components/settings/resource_names.py): the components declare
exactly these names, and two config entries that would give one name are a config error naming both."""

from __future__ import annotations

from typing import Any

import pytest

from components import config
from components.settings import resource_names as names
from components.settings.landing_zone import DEFAULT_OUS
from deploy.simulate import Recording

MANAGEMENT = "111111111111"


def org(**values: Any) -> dict[str, Any]:
    """A minimal org config: the defaults (the seed's OUs, SCPs and Identity Center) plus ``values``."""
    return {"managementAccountId": MANAGEMENT, "emailPattern": "aws+{key}@corp.test", **values}


def account(key: str, ou: str = "Sandbox") -> dict[str, Any]:
    return {"key": key, "name": key.title(), "email": f"aws-{key}@example.com", "ou": ou}


def identity_center(**values: Any) -> dict[str, Any]:
    return {"users": [], "groups": [], "permissionSets": [], "assignments": [], **values}


def user(name: str) -> dict[str, Any]:
    return {"userName": name, "givenName": "Given", "familyName": "Family", "email": f"{name}@corp.test"}


def error(raw: dict[str, Any]) -> str:
    with pytest.raises(config.ConfigError) as caught:
        config.load("org", raw)
    return str(caught.value)


def test_slug() -> None:
    assert names.slug("Workloads/Prod") == names.slug("Workloads-Prod") == "workloads-prod"
    assert names.slug("Admins") == names.slug("admins") == names.slug(" admins. ") == "admins"


def test_the_shipped_org_config_gives_distinct_names(org_raw: dict[str, Any]) -> None:
    config.load("org", org_raw)  # raises on a collision


# --- one line naming both entries, per kind ------------------------------------------------------


def test_ous_that_slug_alike() -> None:
    message = error(org(organizationalUnits=[*DEFAULT_OUS, "Workloads-Prod"]))
    assert message == (
        "Pulumi.org.yaml: landing-zone:organizationalUnits[9]: 'Workloads-Prod' gives the same resource name "
        "as organizationalUnits[7] 'Workloads/Prod' (landing-zone-ou-workloads-prod); the engine refuses "
        "the second (duplicate URN)"
    )


def test_groups_that_differ_only_in_case() -> None:
    message = error(org(identityCenter=identity_center(groups=[{"name": "Admins"}, {"name": "admins"}])))
    assert message.startswith(
        "Pulumi.org.yaml: landing-zone:identityCenter.groups[1].name: 'admins' gives the same resource name "
        "as identityCenter.groups[0].name 'Admins' (identity-center-group-admins)"
    )


def test_users_that_slug_alike() -> None:
    message = error(org(identityCenter=identity_center(users=[user("Jane.Doe"), user("jane-doe")])))
    assert "landing-zone:identityCenter.users[1].userName: 'jane-doe' gives the same resource name as " \
           "identityCenter.users[0].userName 'Jane.Doe'" in message


def test_memberships_of_different_groups_and_users_that_join_alike() -> None:
    center = identity_center(
        users=[user("b-c"), user("c")],
        groups=[{"name": "a", "members": ["b-c"]}, {"name": "a-b", "members": ["c"]}],
    )
    message = error(org(identityCenter=center))
    assert "identityCenter.groups[1].members[0]: 'c' in 'a-b' gives the same resource name as " \
           "identityCenter.groups[0].members[0] 'b-c' in 'a' (identity-center-member-a-b-c)" in message


def test_permission_sets_that_slug_alike() -> None:
    center = identity_center(permissionSets=[{"name": "Admin.Access"}, {"name": "admin-access"}])
    message = error(org(identityCenter=center))
    assert "identityCenter.permissionSets[1].name: 'admin-access' gives the same resource name as " \
           "identityCenter.permissionSets[0].name 'Admin.Access'" in message


def test_customer_managed_policies_whose_path_and_name_join_alike() -> None:
    references = [{"name": "a", "path": "/team/"}, {"name": "team-a"}]
    center = identity_center(permissionSets=[{"name": "dev", "customerManagedPolicies": references}])
    message = error(org(identityCenter=center))
    assert "identityCenter.permissionSets[0].customerManagedPolicies[1]: '/team-a' of 'dev' gives the same " \
           "resource name as identityCenter.permissionSets[0].customerManagedPolicies[0] '/team/a' of 'dev'" \
           in message


def test_scps_that_slug_alike() -> None:
    scps = [{"name": "Deny.All", "file": "guardrails.json"}, {"name": "deny-all", "file": "guardrails.json"}]
    message = error(org(serviceControlPolicies=scps))
    assert "landing-zone:serviceControlPolicies[1].name: 'deny-all' gives the same resource name as " \
           "serviceControlPolicies[0].name 'Deny.All' (landing-zone-scp-deny-all)" in message


def test_scp_attachments_whose_policy_and_target_join_alike() -> None:
    ous = [*DEFAULT_OUS, "Sandbox-Lab", "Lab"]
    scps = [
        {"name": "lz", "file": "guardrails.json", "targets": ["Sandbox-Lab"]},
        {"name": "lz-sandbox", "file": "guardrails.json", "targets": ["Lab"]},
    ]
    message = error(org(organizationalUnits=ous, serviceControlPolicies=scps))
    assert (
        "serviceControlPolicies[1].targets[0]: 'lz-sandbox' on 'Lab' gives the same resource name as "
        "serviceControlPolicies[0].targets[0] 'lz' on 'Sandbox-Lab' (landing-zone-scp-lz-sandbox-lab)"
    ) in message


def test_assignments_whose_principal_and_account_join_alike() -> None:
    center = identity_center(
        groups=[{"name": "b"}, {"name": "b-c"}],
        permissionSets=[{"name": "a"}],
        assignments=[
            {"permissionSet": "a", "group": "b", "accounts": ["c-d"]},
            {"permissionSet": "a", "group": "b-c", "accounts": ["d"]},
        ],
    )
    message = error(org(accounts=[account("c-d"), account("d")], identityCenter=center))
    assert message.startswith(
        "Pulumi.org.yaml: landing-zone:identityCenter.assignments[1]: 'a' for group 'b-c' on 'd' gives the "
        "same resource name as identityCenter.assignments[0] 'a' for group 'b' on 'c-d' "
        "(identity-center-assign-a-group-b-c-d)"
    )


def test_distinct_entries_that_only_look_alike_pass() -> None:
    center = identity_center(groups=[{"name": "a"}, {"name": "a-b"}], users=[user("a.b"), user("ab")])
    config.load("org", org(organizationalUnits=[*DEFAULT_OUS, "Workloads/Prod/A"], identityCenter=center))


# --- the components use these names ----------------------------------------------------------------


def _names(recording: Recording, type_: str) -> set[str]:
    return {r.name for r in recording.of_type(type_)}


def test_the_components_declare_exactly_these_names(
    org_recording: Recording, org_raw: dict[str, Any]
) -> None:
    settings = config.load("org", org_raw)
    assert isinstance(settings, config.OrgConfig)
    zone, center = names.LANDING_ZONE, names.IDENTITY_CENTER
    assert recording_component(org_recording, "landingzone:organization:LandingZone") == zone
    assert recording_component(org_recording, "landingzone:identity:IdentityCenter") == center
    assert _names(org_recording, "aws:organizations/organizationalUnit:OrganizationalUnit") == {
        names.organizational_unit(zone, path) for path in settings.organizational_units
    }
    assert _names(org_recording, "aws:organizations/account:Account") == {
        names.account(zone, a.key) for a in settings.accounts
    }
    assert _names(org_recording, "aws:organizations/policyAttachment:PolicyAttachment") == {
        names.policy_attachment(zone, scp.name, target)
        for scp in settings.service_control_policies for target in scp.targets
    }
    ic = settings.identity_center
    users = {names.user(center, u.user_name) for u in ic.users}
    assert _names(org_recording, "aws:identitystore/user:User") == users
    groups = {names.group(center, g.name) for g in ic.groups}
    assert _names(org_recording, "aws:identitystore/group:Group") == groups
    assert _names(org_recording, "aws:ssoadmin/permissionSet:PermissionSet") == {
        names.permission_set(center, ps.name) for ps in ic.permission_sets
    }
    assert _names(org_recording, "aws:identitystore/groupMembership:GroupMembership") == {
        names.group_membership(center, g.name, member) for g in ic.groups for member in g.members
    }
    assert _names(org_recording, "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy") == {
        names.inline_policy(center, ps.name) for ps in ic.permission_sets if ps.inline_policy
    }
    assignments = _names(org_recording, "aws:ssoadmin/accountAssignment:AccountAssignment")
    assert assignments and all(name.startswith(f"{center}-assign-hiperium-sso-provisioners-ps-group-")
                               for name in assignments)


def recording_component(recording: Recording, type_: str) -> str:
    return recording.one(type_).name
