"""IdentityCenter under mocks: what is declared, wired to which ids, and every config check."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from components import config, program
from components.identity_center import GET_INSTANCES, IdentityCenterNotEnabled
from components.settings.identity_center import (
    INLINE_POLICY_MAX_CHARS,
    IdentityCenterSettings,
    load_permission_set_policies,
    resolve_assignments,
)
from components.settings.landing_zone import DEFAULT_OUS
from deploy.simulate import RecordedResource, Recording, simulate
from iam_documents import documents
from tests.conftest import run_stack

USER = "aws:identitystore/user:User"
GROUP = "aws:identitystore/group:Group"
MEMBERSHIP = "aws:identitystore/groupMembership:GroupMembership"
PERMISSION_SET = "aws:ssoadmin/permissionSet:PermissionSet"
INLINE_POLICY = "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy"
MANAGED = "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment"
CUSTOMER = "aws:ssoadmin/customerManagedPolicyAttachment:CustomerManagedPolicyAttachment"
BOUNDARY = "aws:ssoadmin/permissionsBoundaryAttachment:PermissionsBoundaryAttachment"
ASSIGNMENT = "aws:ssoadmin/accountAssignment:AccountAssignment"
ACCOUNT = "aws:organizations/account:Account"
COMPONENT = "landingzone:identity:IdentityCenter"
IDENTITY_TYPES = (
    USER,
    GROUP,
    MEMBERSHIP,
    PERMISSION_SET,
    INLINE_POLICY,
    MANAGED,
    CUSTOMER,
    BOUNDARY,
    ASSIGNMENT,
)

MOCK_INSTANCE_ARN = "arn:aws:sso:::instance/ssoins-7223a1b2c3d4e5f6"
MOCK_STORE = "d-9067a1b2c3"
PS = "hiperium-sso-provisioners-ps"
GROUP_NAME = "hiperium-sso-provisioners-group"
MEMBER_ACCOUNTS = [
    "sandbox",
    "idp-pre",
    "idp-prod",
    "log-archive",
    "security-tooling",
    "workloads-sdlc",
    "workloads-prod",
    "deployments-sdlc",
    "deployments-prod",
]


# --- helpers ----------------------------------------------------------------------------------


def account_ids(recording: Recording) -> dict[str, str]:
    """Account key -> the id the LandingZone's account resource got."""
    return {r.name.removeprefix("landing-zone-account-"): r.id for r in recording.of_type(ACCOUNT)}


def assignments(recording: Recording) -> list[RecordedResource]:
    return recording.of_type(ASSIGNMENT)


def assigned_account_keys(recording: Recording) -> list[str]:
    """Sorted (registration order under mocks is not declaration order); duplicates would show."""
    by_id = {account_id: key for key, account_id in account_ids(recording).items()}
    return sorted(by_id[a.inputs["targetId"]] for a in assignments(recording))


def with_identity_center(raw: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(raw)
    changed["identityCenter"] = {**changed.get("identityCenter", {}), **changes}
    return changed


def permission_set(**fields: Any) -> dict[str, Any]:
    return {"name": "readers", "sessionDuration": "PT1H", **fields}


def with_permission_set(raw: dict[str, Any], **fields: Any) -> dict[str, Any]:
    current = copy.deepcopy(raw["identityCenter"]["permissionSets"])
    return with_identity_center(raw, permissionSets=[*current, permission_set(**fields)])


def with_assignment(raw: dict[str, Any], **fields: Any) -> dict[str, Any]:
    current = copy.deepcopy(raw["identityCenter"]["assignments"])
    entry = {"permissionSet": PS, "group": GROUP_NAME, **fields}
    return with_identity_center(raw, assignments=[*current, entry])


# The frozen org stack fills AWS's default quota of 10 accounts: one more needs a raised quota.
QUOTA_FOR_ONE_MORE = 11


def suspended_account(key: str = "retired") -> dict[str, Any]:
    return {
        "key": key,
        "name": "Retired",
        "email": f"aws-{key}@example.com",
        "ou": "Suspended",
        "suspension": {"by": "ops", "date": "2024-05-01", "reason": "project closed"},
    }


def org_error(raw: dict[str, Any]) -> str:
    with pytest.raises(config.ConfigError) as caught:
        config.load("org", raw)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("Pulumi.org.yaml: landing-zone:identityCenter")
    return message


# --- the seed's Identity Center (the stack file) ------------------------------------------------


def test_stack_file_spells_out_the_model_defaults(org_raw: dict[str, Any]) -> None:
    settings = config.load("org", org_raw)
    assert isinstance(settings, config.OrgConfig)
    # The users' e-mails are the one thing the defaults leave out: emailPattern derives them.
    no_emails = {"users": {"__all__": {"email"}}}
    assert settings.identity_center.model_dump(exclude=no_emails) == IdentityCenterSettings().model_dump(
        exclude=no_emails
    )
    minimal = {k: v for k, v in org_raw.items() if k != "identityCenter"}
    defaults = config.load("org", minimal)
    assert isinstance(defaults, config.OrgConfig)
    assert defaults.identity_center == settings.identity_center


def test_instance_is_looked_up_through_the_management_provider(org_recording: Recording) -> None:
    calls = [i for i, (token, _) in enumerate(org_recording.invokes) if token == GET_INSTANCES]
    assert len(calls) == 1
    assert org_recording.invokes[calls[0]][1] == {"region": "us-east-1"}
    provider = org_recording.by_urn(str(org_recording.invoke_providers[calls[0]]))
    assert provider.name == "management"
    assert provider.provider_setting("allowedAccountIds") == ["111111111111"]


def test_everything_is_in_the_component_with_the_management_provider(org_recording: Recording) -> None:
    component = org_recording.one(COMPONENT)
    resources = [r for r in org_recording.resources if r.type in IDENTITY_TYPES]
    assert len(resources) == 1 + 1 + 1 + 1 + 1 + len(MEMBER_ACCOUNTS)
    for resource in resources:
        assert resource.parent == component.urn, resource.name
        provider = org_recording.provider_of(resource)
        assert provider is not None and provider.name == "management", resource.name
        # Identity Center is in the provider's region: nothing pins another one.
        assert resource.inputs.get("region") is None


def test_seed_user(org_recording: Recording) -> None:
    user = org_recording.one(USER)
    assert user.inputs["identityStoreId"] == MOCK_STORE
    assert user.inputs["userName"] == "sandbox"
    assert user.inputs["displayName"] == "Sandbox User"
    assert user.inputs["name"] == {"givenName": "User", "familyName": "Sandbox"}
    # From the stack file's emailPattern, {key} = sso-<userName>.
    assert user.inputs["emails"] == {"value": "aws+sso-sandbox@example.com", "type": "work", "primary": True}
    assert user.inputs["locale"] == "EN"
    assert user.inputs["timezone"] == "America/Guayaquil"


def test_seed_group_and_membership_use_identity_store_ids(org_recording: Recording) -> None:
    group = org_recording.one(GROUP)
    user = org_recording.one(USER)
    assert group.inputs["displayName"] == GROUP_NAME
    assert (
        group.inputs["description"] == "Contains all the users that can provision infra for Hiperium Project."
    )
    assert group.inputs["identityStoreId"] == MOCK_STORE
    membership = org_recording.one(MEMBERSHIP)
    assert membership.inputs["identityStoreId"] == MOCK_STORE
    # The identity store's GroupId / UserId, never the Pulumi resource id ("<store>/<id>").
    assert membership.inputs["groupId"] == group.outputs["groupId"] != group.id
    assert membership.inputs["memberId"] == user.outputs["userId"] != user.id


def test_seed_permission_set(org_recording: Recording) -> None:
    ps = org_recording.one(PERMISSION_SET)
    assert ps.inputs["name"] == PS
    assert ps.inputs["description"] == "Permission-set for Hiperium provisioners"
    assert ps.inputs["sessionDuration"] == "PT8H"
    assert ps.inputs["relayState"] == "https://us-east-1.console.aws.amazon.com/console/home"
    assert ps.inputs["instanceArn"] == MOCK_INSTANCE_ARN
    assert not org_recording.of_type(MANAGED) and not org_recording.of_type(CUSTOMER)
    assert not org_recording.of_type(BOUNDARY)


def test_seed_inline_policy_is_the_minified_seed_document(org_recording: Recording) -> None:
    ps = org_recording.one(PERMISSION_SET)
    inline = org_recording.one(INLINE_POLICY)
    assert inline.inputs["permissionSetArn"] == ps.outputs["arn"]
    assert inline.inputs["instanceArn"] == MOCK_INSTANCE_ARN
    text = inline.inputs["inlinePolicy"]
    expected = documents.load(documents.PERMISSION_SET_DIR / "provisioners.json", "identity", max_chars=32768)
    assert text == expected.minified and len(text) <= INLINE_POLICY_MAX_CHARS
    statements = json.loads(text)["Statement"]
    assert len(statements) == 5
    assert statements[0]["NotAction"] == ["iam:*", "account:*", "organizations:*"]
    assert "iam:PassRole" in statements[1]["Action"]
    assert "access-analyzer:ListPolicyGenerations" in statements[1]["Action"]
    assert "organizations:ListPoliciesForTarget" in statements[2]["Action"]
    # The seed's service-linked-role grant, split: creating is scoped by iam:AWSServiceName (the only
    # one of the three actions that carries that key), deleting by the role's path, which names the
    # service, so both grants can actually match.
    assert statements[3]["Action"] == ["iam:CreateServiceLinkedRole"]
    services = statements[3]["Condition"]["StringLike"]["iam:AWSServiceName"]
    assert {"ecs.amazonaws.com", "rds.amazonaws.com", "spotfleet.amazonaws.com"} <= set(services)
    # Added to the seed's list: the environments' first ALB needs this service-linked role.
    assert "elasticloadbalancing.amazonaws.com" in services
    assert statements[4]["Action"] == [
        "iam:DeleteServiceLinkedRole", "iam:GetServiceLinkedRoleDeletionStatus"
    ]
    assert statements[4]["Resource"] == [f"arn:aws:iam::*:role/aws-service-role/{s}/*" for s in services]
    assert all(s["Resource"] == "*" for s in statements[:4])


def test_group_gets_the_permission_set_on_every_member_account(org_recording: Recording) -> None:
    ps = org_recording.one(PERMISSION_SET)
    group = org_recording.one(GROUP)
    inline = org_recording.one(INLINE_POLICY)
    ids = account_ids(org_recording)
    assert assigned_account_keys(org_recording) == sorted(MEMBER_ACCOUNTS)
    for assignment in assignments(org_recording):
        assert assignment.inputs["instanceArn"] == MOCK_INSTANCE_ARN
        assert assignment.inputs["permissionSetArn"] == ps.outputs["arn"]
        assert assignment.inputs["principalType"] == "GROUP"
        assert assignment.inputs["principalId"] == group.outputs["groupId"]
        assert assignment.inputs["targetType"] == "AWS_ACCOUNT"
        assert assignment.inputs["targetId"] in ids.values()
        assert assignment.inputs["targetId"] != "111111111111"
        # Provisioned only once the inline policy is on the permission set.
        assert inline.urn in assignment.dependencies


def test_exports(org_recording: Recording) -> None:
    outputs = org_recording.outputs
    ps = org_recording.one(PERMISSION_SET)
    group = org_recording.one(GROUP)
    assert outputs["identity_center"] == {
        "instance_arn": MOCK_INSTANCE_ARN,
        "identity_store_id": MOCK_STORE,
        "start_url": f"https://{MOCK_STORE}.awsapps.com/start",
        "region": "us-east-1",
    }
    assert outputs["permission_sets"] == {PS: ps.outputs["arn"]}
    assert outputs["groups"] == {GROUP_NAME: group.outputs["groupId"]}
    ids = account_ids(org_recording)
    assert outputs["sso_assignments"] == [
        {"account_key": key, "account_id": ids[key], "permission_set": PS} for key in MEMBER_ACCOUNTS
    ]


# --- Identity Center not enabled -------------------------------------------------------------------


def test_not_enabled_stops_before_anything_but_the_provider(org_raw: dict[str, Any]) -> None:
    settings = config.load("org", org_raw)
    recording = Recording(stack="org")
    empty = {"id": "us-east-1", "region": "us-east-1", "arns": [], "identityStoreIds": []}
    with pytest.raises(IdentityCenterNotEnabled) as caught:
        simulate(
            "org",
            lambda: program.build(settings),
            raw_config=org_raw,
            recording=recording,
            invoke_results={GET_INSTANCES: empty},
        )
    message = str(caught.value)
    assert "\n" not in message
    assert "IAM Identity Center is not enabled in us-east-1 of the management account" in message
    assert "IAM Identity Center -> Enable" in message
    assert [r.type for r in recording.resources] == ["pulumi:providers:aws"]


# --- configuration beyond the seed ------------------------------------------------------------------


def test_start_url_and_region_overrides(org_raw: dict[str, Any]) -> None:
    raw = with_identity_center(org_raw, startUrl="https://acme.awsapps.com/start", region="eu-west-1")
    recording = run_stack("org", raw)
    assert recording.outputs["identity_center"]["start_url"] == "https://acme.awsapps.com/start"
    assert recording.outputs["identity_center"]["region"] == "eu-west-1"
    assert [args for token, args in recording.invokes if token == GET_INSTANCES] == [{"region": "eu-west-1"}]
    for resource in recording.resources:
        if resource.type in IDENTITY_TYPES:
            assert resource.inputs["region"] == "eu-west-1", resource.name


def test_user_assignment_by_account_and_ou_with_policies(org_raw: dict[str, Any]) -> None:
    raw = with_permission_set(
        org_raw,
        name="readers",
        description="Read-only",
        sessionDuration="PT2H",
        managedPolicies=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        customerManagedPolicies=[{"name": "tasks-read", "path": "/landing-zone/"}],
        permissionsBoundary={"managedPolicyArn": "arn:aws:iam::aws:policy/PowerUserAccess"},
    )
    raw = with_identity_center(
        raw,
        assignments=[
            {"permissionSet": "readers", "user": "sandbox", "accounts": ["sandbox"], "ous": ["Workloads"]},
            # Overlapping selections give one assignment per account.
            {"permissionSet": "readers", "user": "sandbox", "ous": ["Workloads/Prod"]},
        ],
    )
    recording = run_stack("org", raw)
    readers = recording.one(PERMISSION_SET, "identity-center-ps-readers")
    assert readers.inputs["sessionDuration"] == "PT2H" and "relayState" not in readers.inputs
    assert not recording.of_type(INLINE_POLICY) or all(
        p.inputs["permissionSetArn"] != readers.outputs["arn"] for p in recording.of_type(INLINE_POLICY)
    )
    managed = recording.one(MANAGED)
    assert managed.inputs["managedPolicyArn"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert managed.inputs["permissionSetArn"] == readers.outputs["arn"]
    customer = recording.one(CUSTOMER)
    assert customer.inputs["customerManagedPolicyReference"] == {
        "name": "tasks-read",
        "path": "/landing-zone/",
    }
    assert customer.inputs["permissionSetArn"] == readers.outputs["arn"]
    boundary = recording.one(BOUNDARY)
    assert boundary.inputs["permissionsBoundary"] == {
        "managedPolicyArn": "arn:aws:iam::aws:policy/PowerUserAccess"
    }
    assert boundary.inputs["permissionSetArn"] == readers.outputs["arn"]

    user = recording.one(USER)
    assert assigned_account_keys(recording) == ["sandbox", "workloads-prod", "workloads-sdlc"]
    for assignment in assignments(recording):
        assert assignment.inputs["principalType"] == "USER"
        assert assignment.inputs["principalId"] == user.outputs["userId"] != user.id
        assert assignment.inputs["permissionSetArn"] == readers.outputs["arn"]
        assert {managed.urn, customer.urn, boundary.urn} <= set(assignment.dependencies)
    assert [(a["account_key"], a["permission_set"]) for a in recording.outputs["sso_assignments"]] == [
        ("sandbox", "readers"),
        ("workloads-sdlc", "readers"),
        ("workloads-prod", "readers"),
    ]


def test_customer_managed_boundary(org_raw: dict[str, Any]) -> None:
    raw = with_permission_set(org_raw, permissionsBoundary={"customerManagedPolicy": {"name": "boundary"}})
    recording = run_stack("org", raw)
    boundary = recording.one(BOUNDARY)
    assert boundary.inputs["permissionsBoundary"] == {
        "customerManagedPolicyReference": {"name": "boundary", "path": "/"}
    }


def test_suspended_accounts_are_never_targets(org_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(org_raw)
    raw["accounts"] = [*raw["accounts"], suspended_account()]
    raw["accountQuota"] = QUOTA_FOR_ONE_MORE
    recording = run_stack("org", raw)
    retired = recording.one(ACCOUNT, "landing-zone-account-retired")
    assert retired.id not in {a.inputs["targetId"] for a in assignments(recording)}
    assert assigned_account_keys(recording) == sorted(MEMBER_ACCOUNTS)
    assert "retired" not in {a["account_key"] for a in recording.outputs["sso_assignments"]}


def test_ou_selection_skips_a_nested_suspended_ou(org_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(org_raw)
    raw["organizationalUnits"] = [*DEFAULT_OUS, "Workloads/Suspended"]
    raw["suspendedOu"] = "Workloads/Suspended"
    raw["accounts"] = [*raw["accounts"], {**suspended_account(), "ou": "Workloads/Suspended"}]
    raw["accountQuota"] = QUOTA_FOR_ONE_MORE
    raw = with_identity_center(
        raw, assignments=[{"permissionSet": PS, "group": GROUP_NAME, "ous": ["Workloads"]}]
    )
    settings = config.load("org", raw)
    assert isinstance(settings, config.OrgConfig)
    assert [a.account_key for a in resolve_assignments(settings)] == [
        "workloads-sdlc",
        "workloads-prod",
    ]


def test_multiple_users_groups_and_memberships(org_raw: dict[str, Any]) -> None:
    users = [
        *org_raw["identityCenter"]["users"],
        {"userName": "ana", "givenName": "Ana", "familyName": "Lopez", "email": "ana@example.com"},
    ]
    groups = [
        *org_raw["identityCenter"]["groups"],
        {"name": "auditors", "members": ["ana", "sandbox"]},
    ]
    recording = run_stack("org", with_identity_center(org_raw, users=users, groups=groups))
    user_ids = {u.inputs["userName"]: u.outputs["userId"] for u in recording.of_type(USER)}
    group_ids = {g.inputs["displayName"]: g.outputs["groupId"] for g in recording.of_type(GROUP)}
    memberships = {(m.inputs["groupId"], m.inputs["memberId"]) for m in recording.of_type(MEMBERSHIP)}
    assert memberships == {
        (group_ids[GROUP_NAME], user_ids["sandbox"]),
        (group_ids["auditors"], user_ids["ana"]),
        (group_ids["auditors"], user_ids["sandbox"]),
    }
    ana = recording.one(USER, "identity-center-user-ana")
    assert ana.inputs["displayName"] == "Ana Lopez"
    assert "locale" not in ana.inputs and "timezone" not in ana.inputs
    assert recording.outputs["groups"] == group_ids


def test_managed_policy_limit_can_be_raised(org_raw: dict[str, Any]) -> None:
    arns = [f"arn:aws:iam::aws:policy/Policy{i}" for i in range(11)]
    raw = with_identity_center(with_permission_set(org_raw, managedPolicies=arns), maxManagedPolicies=11)
    settings = config.load("org", raw)
    assert isinstance(settings, config.OrgConfig)


# --- validation: one line naming the stack file and the key ------------------------------------------

KEY = "Pulumi.org.yaml: landing-zone:identityCenter"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name": "x" * 33}, ".permissionSets[1].name: String should match pattern"),
        ({"name": "read only"}, ".permissionSets[1].name: String should match pattern"),
        ({"name": ""}, ".permissionSets[1].name: String should match pattern"),
        (
            {"sessionDuration": "PT13H"},
            ".permissionSets[1].sessionDuration: 'PT13H' is outside PT1H to PT12H",
        ),
        (
            {"sessionDuration": "PT30M"},
            ".permissionSets[1].sessionDuration: 'PT30M' is outside PT1H to PT12H",
        ),
        ({"sessionDuration": "PT12H1M"}, ".permissionSets[1].sessionDuration: 'PT12H1M' is outside"),
        ({"sessionDuration": "8h"}, ".permissionSets[1].sessionDuration: '8h' is not an ISO-8601 duration"),
        ({"relayState": "console"}, ".permissionSets[1].relayState: String should match pattern"),
        (
            {"managedPolicies": ["arn:aws:iam::123456789012:policy/Mine"]},
            ".permissionSets[1].managedPolicies: 'arn:aws:iam::123456789012:policy/Mine' is not an AWS-man",
        ),
        (
            {"managedPolicies": [f"arn:aws:iam::aws:policy/P{i}" for i in range(11)]},
            ".permissionSets[1].managedPolicies: 11 managed policies (AWS and customer managed); the limit",
        ),
        (
            {
                "managedPolicies": [f"arn:aws:iam::aws:policy/P{i}" for i in range(6)],
                "customerManagedPolicies": [{"name": f"c{i}"} for i in range(5)],
            },
            ".permissionSets[1].managedPolicies: 11 managed policies",
        ),
        (
            {"managedPolicies": ["arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/A"]},
            ".permissionSets[1].managedPolicies: duplicate policy",
        ),
        ({"permissionsBoundary": {}}, ".permissionSets[1].permissionsBoundary: needs exactly one of"),
        (
            {
                "permissionsBoundary": {
                    "managedPolicyArn": "arn:aws:iam::aws:policy/A",
                    "customerManagedPolicy": {"name": "b"},
                }
            },
            ".permissionSets[1].permissionsBoundary: needs exactly one of",
        ),
        ({"inlinePolicy": "../scp/guardrails.json"}, ".permissionSets[1].inlinePolicy: String should match"),
        (
            {"inlinePolicy": "missing.json"},
            ".permissionSets[1].inlinePolicy: iam_documents/permission_sets/missing.json:"
            " policy file not found",
        ),
        ({"name": PS}, ".permissionSets[1].name: duplicate permission set"),
        ({"sessionDurations": "PT1H"}, ".permissionSets[1].sessionDurations: unknown key"),
    ],
)
def test_permission_set_errors(org_raw: dict[str, Any], fields: dict[str, Any], expected: str) -> None:
    assert KEY + expected in org_error(with_permission_set(org_raw, **fields))


def write_policy(directory: Path, name: str, document: Any) -> None:
    text = document if isinstance(document, str) else json.dumps(document)
    (directory / name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("{not json", "invalid JSON at line 1 column 2"),
        (
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Principal": "*"}
                ],
            },
            "Principal is not allowed in a identity-based policy",
        ),
        ({"Version": "2012-10-17", "Statement": []}, '"Statement" must be a non-empty list'),
        (
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": ["s3:GetObjekt", "nosuch:Do"], "Resource": "*"}],
            },
            "unknown IAM action(s) s3:GetObjekt, nosuch:Do",
        ),
        (
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": f"S{i}",
                        "Effect": "Allow",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::bucket-{i:04d}-{'x' * 60}/*",
                    }
                    for i in range(400)
                ],
            },
            "characters as sent (minified), over the limit of 32768",
        ),
    ],
)
def test_inline_policy_errors(
    org_raw: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, document: Any, expected: str
) -> None:
    monkeypatch.setattr(documents, "PERMISSION_SET_DIR", tmp_path)
    write_policy(tmp_path, "bad.json", document)
    write_policy(
        tmp_path,
        "provisioners.json",
        json.loads((Path(documents.DOCUMENTS_DIR) / "permission_sets" / "provisioners.json").read_text()),
    )
    message = org_error(with_permission_set(org_raw, inlinePolicy="bad.json"))
    assert message.startswith(f"{KEY}.permissionSets[1].inlinePolicy: ")
    assert "bad.json" in message and expected in message


def test_inline_policy_within_the_limit_is_accepted(
    org_raw: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(documents, "PERMISSION_SET_DIR", tmp_path)
    write_policy(
        tmp_path,
        "provisioners.json",
        json.loads((Path(documents.DOCUMENTS_DIR) / "permission_sets" / "provisioners.json").read_text()),
    )
    # Pretty-printed on disk well over 32,768 characters, minified under it: the sent string counts.
    statement = [
        {
            "Sid": f"S{i}",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::bucket-{i:04d}/*",
        }
        for i in range(300)
    ]
    text = json.dumps({"Version": "2012-10-17", "Statement": statement}, indent=8)
    assert len(text) > 32768
    write_policy(tmp_path, "big.json", text)
    settings = config.load("org", with_permission_set(org_raw, inlinePolicy="big.json"))
    assert isinstance(settings, config.OrgConfig)
    assert load_permission_set_policies(settings)["readers"].size <= 32768


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"accounts": ["111111111111"]},
            ".assignments[1].accounts[0]: is the management account; it is never an assignment target",
        ),
        (
            {"accounts": ["retired"]},
            ".assignments[1].accounts[0]: account 'retired' is in the Suspended OU 'Suspended'; it is never",
        ),
        ({"ous": ["Suspended"]}, ".assignments[1].ous[0]: 'Suspended' is the Suspended OU 'Suspended'"),
        ({"accounts": ["nosuch"]}, ".assignments[1].accounts[0]: unknown account key 'nosuch'"),
        ({"ous": ["Workloads/QA"]}, ".assignments[1].ous[0]: unknown OU path 'Workloads/QA'"),
        (
            {"permissionSet": "nosuch", "allAccounts": True},
            ".assignments[1].permissionSet: unknown permission set",
        ),
        ({"group": "nosuch", "allAccounts": True}, ".assignments[1].group: unknown group 'nosuch'"),
        (
            {"group": None, "user": "nobody", "allAccounts": True},
            ".assignments[1].user: unknown user 'nobody'",
        ),
        ({"user": "sandbox", "allAccounts": True}, ".assignments[1]: needs exactly one of group or user"),
        ({"group": None, "allAccounts": True}, ".assignments[1]: needs exactly one of group or user"),
        ({}, ".assignments[1]: selects no account: set accounts, ous or allAccounts"),
        ({"account": ["sandbox"]}, ".assignments[1].account: unknown key"),
    ],
)
def test_assignment_errors(org_raw: dict[str, Any], fields: dict[str, Any], expected: str) -> None:
    raw = copy.deepcopy(org_raw)
    raw["accounts"] = [*raw["accounts"], suspended_account()]
    raw["accountQuota"] = QUOTA_FOR_ONE_MORE
    assert KEY + expected in org_error(with_assignment(raw, **fields))


def test_suspended_ou_nested_below_a_selected_ou_is_an_error_when_named(org_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(org_raw)
    raw["organizationalUnits"] = [*DEFAULT_OUS, "Workloads/Suspended"]
    raw["suspendedOu"] = "Workloads/Suspended"
    message = org_error(with_assignment(raw, ous=["Workloads/Suspended"]))
    assert ".assignments[1].ous[0]: 'Workloads/Suspended' is the Suspended OU" in message


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {
                "users": [
                    {"userName": "sandbox", "givenName": "A", "familyName": "B", "email": "a@example.com"}
                ]
                * 2
            },
            ".users[1].userName: duplicate user 'sandbox'",
        ),
        (
            {
                "users": [
                    {"userName": "bad name", "givenName": "A", "familyName": "B", "email": "a@example.com"}
                ]
            },
            ".users[0].userName: String should match pattern",
        ),
        (
            {"users": [{"userName": "ana", "givenName": "A", "familyName": "B", "email": "ana@"}]},
            ".users[0].email: 'ana@' is not a valid e-mail address",
        ),
        (  # no email: emailPattern derives one, and a user name that breaks the address is named
            {"users": [{"userName": "ana@home", "givenName": "A", "familyName": "B"}]},
            ".users[0].email: 'aws+sso-ana@home@example.com' (from emailPattern) is not a valid e-mail",
        ),
        (
            {"groups": [{"name": "g", "members": ["nobody"]}]},
            ".groups[0].members[0]: unknown user 'nobody' (not in identityCenter.users)",
        ),
        (
            {"groups": [{"name": "g", "members": ["sandbox", "sandbox"]}]},
            ".groups[0].members[1]: duplicate member 'sandbox'",
        ),
        ({"groups": [{"name": GROUP_NAME}, {"name": GROUP_NAME}]}, ".groups[1].name: duplicate group"),
        ({"startUrl": "http://portal.example.com"}, ".startUrl: String should match pattern"),
        ({"region": "useast1"}, ".region: String should match pattern"),
        ({"maxManagedPolicies": 21}, ".maxManagedPolicies: Input should be less than or equal to 20"),
    ],
)
def test_identity_store_errors(org_raw: dict[str, Any], changes: dict[str, Any], expected: str) -> None:
    assert KEY + expected in org_error(with_identity_center(org_raw, **changes))
