"""Adopting the seed's hand-made Identity Center objects (deploy/derive_identity.py): found against moto's
identitystore, sso-admin and Organizations, passed to the program for the run, and imported there with
``ignore_changes`` on exactly the adopted resources (components/identity_center.py)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from components import config
from components.identity_center import ADOPTED_USER_IGNORES
from components.settings import derived
from components.settings.identity_center import ResolvedAssignment
from components.settings.identity_imports import ASSIGNMENT_KEYS, IdentityCenterImports, from_environ
from deploy.cli import main
from deploy.derive_identity import prepare_identity_adoption
from deploy.engine_rules import registration_findings
from deploy.runner import EXIT_OK
from deploy.simulate import Recording
from tests.configs import stack_values
from tests.conftest import run_stack
from tests.test_deploy_automation import FakePulumiCommand
from tests.test_derive import MANAGEMENT, existing_organization, org_env, project, services
from tests.test_engine_rules import ALL_DISABLED
from tests.test_identity_center import (
    ASSIGNMENT,
    CUSTOMER,
    GROUP,
    GROUP_NAME,
    IDENTITY_TYPES,
    INLINE_POLICY,
    MANAGED,
    MEMBERSHIP,
    PERMISSION_SET,
    PS,
    USER,
)

REGION = "us-east-1"
SECURITY_AUDIT = "arn:aws:iam::aws:policy/SecurityAudit"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", MANAGEMENT)
    with mock_aws():
        yield


def org_settings(raw: Mapping[str, Any] | None = None) -> config.OrgConfig:
    settings = config.load("org", dict(raw or stack_values("org")))
    assert isinstance(settings, config.OrgConfig)
    return settings


class Seed:
    """The management account's Identity Center after the seed tutorial's hand-made steps."""

    def __init__(self) -> None:
        self.sso = boto3.client("sso-admin", region_name=REGION)
        self.store = boto3.client("identitystore", region_name=REGION)
        instance = self.sso.list_instances()["Instances"][0]
        self.instance_arn = instance["InstanceArn"]
        self.store_id = instance["IdentityStoreId"]

    def user(self, user_name: str) -> str:
        return str(self.store.create_user(
            IdentityStoreId=self.store_id, UserName=user_name, DisplayName=f"{user_name} by hand",
            Name={"GivenName": "Hand", "FamilyName": "Made"},
            Emails=[{"Value": f"{user_name}@example.org", "Type": "work", "Primary": True}],
        )["UserId"])

    def group(self, name: str) -> str:
        return str(self.store.create_group(
            IdentityStoreId=self.store_id, DisplayName=name, Description="made by hand"
        )["GroupId"])

    def membership(self, group_id: str, user_id: str) -> str:
        return str(self.store.create_group_membership(
            IdentityStoreId=self.store_id, GroupId=group_id, MemberId={"UserId": user_id}
        )["MembershipId"])

    def permission_set(self, name: str) -> str:
        arn = self.sso.create_permission_set(
            Name=name, InstanceArn=self.instance_arn, Description="by hand", SessionDuration="PT1H"
        )["PermissionSet"]["PermissionSetArn"]
        self.sso.put_inline_policy_to_permission_set(
            InstanceArn=self.instance_arn, PermissionSetArn=arn,
            InlinePolicy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}',
        )
        return str(arn)

    def assign(self, permission_set_arn: str, group_id: str, account_id: str) -> None:
        self.sso.create_account_assignment(
            InstanceArn=self.instance_arn, TargetId=account_id, TargetType="AWS_ACCOUNT",
            PermissionSetArn=permission_set_arn, PrincipalType="GROUP", PrincipalId=group_id,
        )


def member_account(settings: config.OrgConfig, key: str) -> str:
    """Create the configured account ``key`` in the (moto) organization; return its id."""
    [account] = [a for a in settings.accounts if a.key == key]
    client = boto3.client("organizations", region_name=REGION)
    status = client.create_account(Email=str(account.email), AccountName=account.name)["CreateAccountStatus"]
    return str(client.describe_create_account_status(CreateAccountRequestId=status["Id"])
               ["CreateAccountStatus"]["AccountId"])


def adopt(
    settings: config.OrgConfig, outputs: Mapping[str, Any] | None = None
) -> tuple[dict[str, str], list[str]]:
    lines: list[str] = []
    session = boto3.Session(region_name=REGION)
    env = prepare_identity_adoption(
        settings, session, org_outputs=lambda: dict(outputs or {}), emit=lines.append
    )
    return env, lines


def imports_of(env: Mapping[str, str]) -> dict[str, Any]:
    return dict(json.loads(env[derived.IDENTITY_CENTER_IMPORTS_ENV]))


# --- the driver ---------------------------------------------------------------------------------


def test_the_seeds_hand_made_objects_are_found_with_the_providers_import_ids(aws: None) -> None:
    existing_organization()
    settings = org_settings()
    seed = Seed()
    sandbox_account = member_account(settings, "sandbox")
    user = seed.user("sandbox")
    other = seed.user("someone-else")  # not in our config: left alone
    group = seed.group(GROUP_NAME)
    membership = seed.membership(group, user)
    seed.membership(group, other)
    ps_arn = seed.permission_set(PS)
    seed.assign(ps_arn, group, sandbox_account)

    env, lines = adopt(settings)

    store, instance = seed.store_id, seed.instance_arn
    assert imports_of(env) == {
        "users": {"sandbox": f"{store}/{user}"},
        "groups": {GROUP_NAME: f"{store}/{group}"},
        "memberships": {GROUP_NAME: {"sandbox": f"{store}/{membership}"}},
        "permissionSets": {PS: f"{ps_arn},{instance}"},
        # Only the assignment that exists; the other accounts do not exist yet.
        "accountAssignments": [{
            "permissionSet": PS, "principalType": "GROUP", "principal": GROUP_NAME, "account": "sandbox",
            "importId": f"{group},GROUP,{sandbox_account},AWS_ACCOUNT,{ps_arn},{instance}",
        }],
    }
    assert len(lines) == 5 and all(line.startswith("identity center: ") for line in lines)
    assert f"identity center: user sandbox exists, made outside the org stack: adopting {store}/{user}" \
        in lines
    assert not any("someone-else" in line for line in lines)


def test_nothing_exists_nothing_is_adopted(aws: None) -> None:
    assert adopt(org_settings()) == ({}, [])


def test_a_deployed_stack_adopts_only_what_its_outputs_do_not_name(aws: None) -> None:
    existing_organization()
    settings = org_settings()
    seed = Seed()
    user, group = seed.user("sandbox"), seed.group(GROUP_NAME)
    seed.membership(group, user)
    ps_arn = seed.permission_set(PS)
    seed.assign(ps_arn, group, member_account(settings, "sandbox"))
    managed = {"groups": {GROUP_NAME: group}, "permission_sets": {PS: ps_arn}, "accounts": {}}
    assert adopt(settings, managed) == ({}, [])
    # A permission set the outputs do not name was made by hand: adopted, users are not (none in outputs).
    env, _ = adopt(settings, {**managed, "permission_sets": {}})
    assert set(imports_of(env)) == {"permissionSets", "accountAssignments"}


def with_policies(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The seed's permission set with an AWS managed policy and two customer managed ones."""
    changed = copy.deepcopy(dict(raw))
    seed_set = changed["identityCenter"]["permissionSets"][0]
    seed_set["managedPolicies"] = [SECURITY_AUDIT]
    seed_set["customerManagedPolicies"] = [{"name": "ops", "path": "/team/"}, {"name": "not-attached"}]
    return changed


def test_the_attached_policies_the_config_declares_are_adopted(aws: None) -> None:
    seed = Seed()
    ps_arn = seed.permission_set(PS)
    seed.sso.attach_managed_policy_to_permission_set(
        InstanceArn=seed.instance_arn, PermissionSetArn=ps_arn, ManagedPolicyArn=SECURITY_AUDIT
    )
    seed.sso.attach_customer_managed_policy_reference_to_permission_set(
        InstanceArn=seed.instance_arn, PermissionSetArn=ps_arn,
        CustomerManagedPolicyReference={"Name": "ops", "Path": "/team/"},
    )
    adopted = imports_of(adopt(org_settings(with_policies(stack_values("org"))))[0])
    assert adopted["managedPolicyAttachments"] == {
        PS: {SECURITY_AUDIT: f"{SECURITY_AUDIT},{ps_arn},{seed.instance_arn}"}
    }
    assert adopted["customerManagedPolicyAttachments"] == {
        PS: {"/team/ops": f"ops,/team/,{ps_arn},{seed.instance_arn}"}
    }


def test_without_an_identity_center_instance_nothing_is_looked_up(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The program then stops with its own line (test_identity_center: IdentityCenterNotEnabled)."""
    from moto.ssoadmin.models import ssoadmin_backends

    ssoadmin_backends[MANAGEMENT][REGION].instances.clear()
    session = boto3.Session(region_name=REGION)
    called: list[str] = []
    session.events.register("before-call.identitystore.*", lambda model, **_: called.append(model.name))
    lines: list[str] = []
    env = prepare_identity_adoption(org_settings(), session, org_outputs=dict, emit=lines.append)
    assert (env, lines, called) == ({}, [], [])


def test_preview_hands_the_import_ids_to_the_org_program(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing_organization(scp=True)
    seed = Seed()
    group = seed.group(GROUP_NAME)
    command = FakePulumiCommand()
    assert main(["preview", "--stack", "org"], services(project(tmp_path), command)) == EXIT_OK
    adopted = json.loads(org_env(command, "preview")[derived.IDENTITY_CENTER_IMPORTS_ENV])
    assert adopted == {"groups": {GROUP_NAME: f"{seed.store_id}/{group}"}}
    out = capsys.readouterr().out
    assert f"[org] identity center: group {GROUP_NAME} exists, made outside the org stack" in out


# --- the program --------------------------------------------------------------------------------

STORE = "d-9067a1b2c3"
INSTANCE = "arn:aws:sso:::instance/ssoins-7223a1b2c3d4e5f6"
PS_ARN = "arn:aws:sso:::permissionSet/ssoins-7223a1b2c3d4e5f6/ps-0123456789abcdef"
SEED_IMPORTS = IdentityCenterImports(
    users={"sandbox": f"{STORE}/user-1"},
    groups={GROUP_NAME: f"{STORE}/group-1"},
    memberships={(GROUP_NAME, "sandbox"): f"{STORE}/membership-1"},
    permission_sets={PS: f"{PS_ARN},{INSTANCE}"},
    account_assignments={
        ResolvedAssignment(PS, "GROUP", GROUP_NAME, "sandbox"):
            f"group-1,GROUP,123456789012,AWS_ACCOUNT,{PS_ARN},{INSTANCE}",
    },
)


def run_with(imports: IdentityCenterImports, monkeypatch: pytest.MonkeyPatch) -> Recording:
    monkeypatch.setenv(derived.IDENTITY_CENTER_IMPORTS_ENV, imports.to_json())
    return run_stack("org")


def test_the_program_imports_exactly_the_adopted_objects_ignoring_what_may_differ(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recording = run_with(SEED_IMPORTS, monkeypatch)
    # What the seed's user has, and what a console-made one may have besides, is ignored on the import.
    assert {"displayName", "name", "emails", "locale", "phoneNumbers"} <= set(ADOPTED_USER_IGNORES)
    adopted = {
        (r.type, r.import_id, tuple(r.ignore_changes))
        for t in IDENTITY_TYPES for r in recording.of_type(t) if r.import_id
    }
    assert adopted == {
        (USER, f"{STORE}/user-1", ADOPTED_USER_IGNORES),
        (GROUP, f"{STORE}/group-1", ("description",)),
        (MEMBERSHIP, f"{STORE}/membership-1", ()),
        (PERMISSION_SET, f"{PS_ARN},{INSTANCE}", ("description", "sessionDuration", "relayState", "tags")),
        (ASSIGNMENT, f"group-1,GROUP,123456789012,AWS_ACCOUNT,{PS_ARN},{INSTANCE}", ()),
    }
    sandbox = [a for a in recording.of_type(ASSIGNMENT) if a.import_id]
    assert len(sandbox) == 1 and sandbox[0].name.endswith("sandbox")
    # Everything else as without imports: the inline policy's Create is a Put, it replaces the hand-made one.
    others = [r for t in IDENTITY_TYPES for r in recording.of_type(t) if not r.import_id]
    assert others and all(r.ignore_changes == [] for r in others)
    assert recording.one(INLINE_POLICY).import_id is None
    # Every ignoreChanges entry names an input of its type (the engine-rules check stays green).
    assert registration_findings(recording, ALL_DISABLED) == []


def test_without_the_variable_nothing_is_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(derived.IDENTITY_CENTER_IMPORTS_ENV, raising=False)
    recording = run_stack("org")
    assert not [r for t in IDENTITY_TYPES for r in recording.of_type(t) if r.import_id or r.ignore_changes]


def test_the_imports_json_round_trips_and_an_attachment_is_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = org_settings()
    environ = {derived.IDENTITY_CENTER_IMPORTS_ENV: SEED_IMPORTS.to_json()}
    assert from_environ(environ, settings.identity_center, settings.resolved.assignments) == SEED_IMPORTS
    imports = IdentityCenterImports(
        managed_policy_attachments={(PS, SECURITY_AUDIT): "a,b,c"},
        customer_managed_policy_attachments={(PS, "/team/ops"): "ops,/team/,b,c"},
    )
    monkeypatch.setenv(derived.IDENTITY_CENTER_IMPORTS_ENV, imports.to_json())
    recording = run_stack("org", with_policies(stack_values("org")))
    attachment = recording.one(MANAGED)
    assert (attachment.import_id, attachment.ignore_changes) == ("a,b,c", [])
    customer = {r.inputs["customerManagedPolicyReference"]["name"]: r for r in recording.of_type(CUSTOMER)}
    assert (customer["ops"].import_id, customer["not-attached"].import_id) == ("ops,/team/,b,c", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "(the variable): is not valid JSON"),
        ("[]", "(the variable): must be a JSON object"),
        ('{"roles": {}}', "roles: unknown kind"),
        ('{"users": {"bob": "d-1/u"}}', "users.bob: is not declared in identityCenter of Pulumi.org.yaml"),
        (json.dumps({"groups": {GROUP_NAME: ""}}), f"groups.{GROUP_NAME}: must be an import id"),
        (json.dumps({"memberships": {GROUP_NAME: {"bob": "x"}}}), f"memberships.{GROUP_NAME}.bob: is not"),
        (json.dumps({"accountAssignments": [{
            "permissionSet": PS, "principalType": "GROUP", "principal": GROUP_NAME, "account": "nowhere",
            "importId": "x",
        }]}),
         "accountAssignments[0]: is not an assignment"),
        (json.dumps({"accountAssignments": [{key: [] for key in ASSIGNMENT_KEYS}]}),
         "accountAssignments[0]: must hold strings only"),
    ],
)
def test_a_bad_variable_stops_with_one_line_naming_it(text: str, expected: str) -> None:
    settings = org_settings()
    with pytest.raises(config.ConfigError) as caught:
        from_environ({derived.IDENTITY_CENTER_IMPORTS_ENV: text}, settings.identity_center,
                     settings.resolved.assignments)
    message = str(caught.value)
    assert message.startswith(f"{derived.IDENTITY_CENTER_IMPORTS_ENV}: {expected}") and "\n" not in message
