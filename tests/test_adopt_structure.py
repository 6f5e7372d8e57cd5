"""Adopting the OUs and member accounts of an organization built by hand (as the seed tutorial does):
the driver finds them in AWS (deploy/adopt_structure.py, against moto's Organizations) and the program
imports exactly those, for the run (components/settings/derived.py, components/landing_zone.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import pulumi
import pytest
from moto import mock_aws
from moto.organizations.models import FakeRoot

from components import config
from components.landing_zone import ACCOUNT_WRITE_ONLY_PROPERTIES
from components.settings import derived
from components.settings import resource_names as names
from components.settings.landing_zone import DEFAULT_OUS
from deploy.cli import main
from deploy.derive import prepare_org_run
from deploy.engine_rules import engine_rules
from deploy.runner import EXIT_OK
from deploy.simulate import Recording
from deploy.stack_checks import StackContext
from tests.configs import stack_file_config, stack_values
from tests.conftest import run_stack
from tests.stack_file_support import REAL_ACCOUNT_ID
from tests.test_config import run_main
from tests.test_derive import CONFIGURED_PRINCIPALS, Command, RecordingSession, org_env, project, services

MANAGEMENT = REAL_ACCOUNT_ID
OU = "aws:organizations/organizationalUnit:OrganizationalUnit"
ACCOUNT = "aws:organizations/account:Account"
# The seed's hand-made OUs, and one the config does not list (left alone).
SEED_OUS = ("Security", "Sandbox", "Deployments/SDLC", "Deployments/Prod", "Workloads/SDLC", "Workloads/Prod",
            "Suspended", "Legacy")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", MANAGEMENT)
    # moto's list of policy types lags AWS's: S3_POLICY is in botocore's organizations model (PolicyType).
    monkeypatch.setattr(FakeRoot, "SUPPORTED_POLICY_TYPES", [*FakeRoot.SUPPORTED_POLICY_TYPES, "S3_POLICY"])
    with mock_aws():
        yield


def client() -> Any:
    return boto3.client("organizations", region_name="us-east-1")


def seed_organization() -> dict[str, str]:
    """An organization with the seed's OU tree, trusting what the config lists: OU path -> id."""
    organizations = client()
    organizations.create_organization(FeatureSet="ALL")
    for principal in CONFIGURED_PRINCIPALS:
        organizations.enable_aws_service_access(ServicePrincipal=principal)
    root = organizations.list_roots()["Roots"][0]["Id"]
    for policy_type in ("SERVICE_CONTROL_POLICY", "S3_POLICY"):
        organizations.enable_policy_type(RootId=root, PolicyType=policy_type)
    ids: dict[str, str] = {}
    for path in SEED_OUS:
        parent_path, _, name = path.rpartition("/")
        if parent_path and parent_path not in ids:
            made = organizations.create_organizational_unit(ParentId=root, Name=parent_path)
            ids[parent_path] = made["OrganizationalUnit"]["Id"]
        parent = ids[parent_path] if parent_path else root
        made = organizations.create_organizational_unit(ParentId=parent, Name=name)
        ids[path] = made["OrganizationalUnit"]["Id"]
    return ids


def member(name: str, email: str, *, closed: bool = False) -> str:
    organizations = client()
    organizations.create_account(AccountName=name, Email=email)
    account_id = next(a["Id"] for a in organizations.list_accounts()["Accounts"] if a["Email"] == email)
    if closed:
        organizations.close_account(AccountId=account_id)
    return str(account_id)


def settings(raw: Mapping[str, Any] | None = None) -> config.OrgConfig:
    loaded = config.load("org", dict(raw or stack_values("org")), config.stack_file("org"))
    assert isinstance(loaded, config.OrgConfig)
    return loaded


def prepare(org_settings: config.OrgConfig, outputs: Mapping[str, Any] | None = None) -> tuple[dict, list]:
    lines: list[str] = []
    run = prepare_org_run(
        org_settings, stack_values("org"), RecordingSession(), caller=MANAGEMENT, operation="preview",
        org_outputs=lambda: dict(outputs or {}), emit=lines.append,
    )
    return run.env, lines


def with_account(index: int, **changes: Any) -> dict[str, Any]:
    raw = stack_values("org")
    raw["accounts"][index] = {**raw["accounts"][index], **changes}
    return raw


# --- the driver ---------------------------------------------------------------------------------


def test_the_unmanaged_seed_ous_and_the_account_matching_by_e_mail_are_adopted(aws: None) -> None:
    ids = seed_organization()
    sandbox = member("Sandbox", "aws+sandbox@example.com")
    idp_pre = member("IdP-Pre", "aws+idp-pre@example.com")  # managed already (in the outputs)
    member("Old", "aws+old@example.com", closed=True)  # suspended, matches nothing configured: left alone
    outputs = {"organizational_units": {"Security": ids["Security"]}, "accounts": {"idp-pre": idp_pre}}
    env, lines = prepare(settings(), outputs)
    # Every configured OU that exists and is not managed; Security is, Legacy is not configured.
    expected_ous = {path: ids[path] for path in DEFAULT_OUS if path in ids and path != "Security"}
    assert json.loads(env[derived.ADOPTED_OUS_ENV]) == expected_ous
    assert set(expected_ous) == {"Sandbox", "Deployments", "Deployments/SDLC", "Deployments/Prod",
                                 "Workloads", "Workloads/SDLC", "Workloads/Prod", "Suspended"}
    assert json.loads(env[derived.ADOPTED_ACCOUNTS_ENV]) == {"sandbox": sandbox}
    prod = ids["Workloads/Prod"]
    assert f"organizational unit Workloads/Prod: {prod} (exists in AWS; the org stack adopts it)" in lines
    assert not any("Security:" in line or "Legacy" in line or "idp-pre" in line for line in lines)
    assert (f"accounts[0] (sandbox): {sandbox} (its e-mail matches; the org stack adopts it, and the next up"
            " sets its tags and moves it into Sandbox)") in lines


def test_nothing_is_adopted_once_the_stack_manages_everything(aws: None) -> None:
    ids = seed_organization()
    sandbox = member("Sandbox", "aws+sandbox@example.com")
    outputs = {"organizational_units": ids, "accounts": {"sandbox": sandbox}}
    env, _ = prepare(settings(), outputs)
    assert derived.ADOPTED_OUS_ENV not in env and derived.ADOPTED_ACCOUNTS_ENV not in env


def test_an_e_mail_is_matched_whatever_its_case_but_must_be_written_as_aws_has_it(aws: None) -> None:
    seed_organization()
    sandbox = member("Sandbox", "AWS+Sandbox@example.com")
    with pytest.raises(config.ConfigError) as error:
        prepare(settings())
    assert str(error.value) == (
        "Pulumi.org.yaml: landing-zone:accounts[0].email: is 'aws+sandbox@example.com', but account "
        f"{sandbox} has 'AWS+Sandbox@example.com' in AWS; write it exactly so (the import compares it, and a"
        " different e-mail would replace the account)"
    )


def test_a_configured_import_id_wins_over_the_e_mail(aws: None) -> None:
    seed_organization()
    chosen = member("Sandbox", "aws+sandbox@example.com")
    env, lines = prepare(settings(with_account(0, importId=chosen)))
    assert json.loads(env[derived.ADOPTED_ACCOUNTS_ENV]) == {"sandbox": chosen}
    assert any(line.startswith(f"accounts[0] (sandbox): {chosen} (its importId;") for line in lines)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("renamed", "landing-zone:accounts[0].name: is 'Sandbox', but account {id} is named 'Playground' in"
                    " AWS; set that name to adopt it (the import compares it)"),
        ("suspended", "landing-zone:accounts[0].email: matches account {id} (Sandbox), which is SUSPENDED:"
                      " it cannot be adopted, and its e-mail cannot be used for a new account; remove the"
                      " account or give it another e-mail"),
        ("unknown import id", "landing-zone:accounts[0].importId: is 123412341234, which is no member account"
                              " of {org}"),
    ],
)
def test_an_account_that_cannot_be_adopted_is_one_line(aws: None, case: str, expected: str) -> None:
    seed_organization()
    name = "Playground" if case == "renamed" else "Sandbox"
    account_id = member(name, "aws+sandbox@example.com", closed=case == "suspended")
    raw = with_account(0, importId="123412341234") if case == "unknown import id" else None
    with pytest.raises(config.ConfigError) as error:
        prepare(settings(raw))
    organization_id = client().describe_organization()["Organization"]["Id"]
    assert str(error.value) == "Pulumi.org.yaml: " + expected.format(id=account_id, org=organization_id)


def test_a_hand_made_scp_with_a_configured_name_stops_the_first_run(aws: None) -> None:
    seed_organization()
    organizations = client()
    policy = organizations.create_policy(
        Name="landing-zone-quarantine", Description="by hand", Type="SERVICE_CONTROL_POLICY",
        Content=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*",
                                                                     "Resource": "*"}]}),
    )["Policy"]["PolicySummary"]["Id"]
    organization_id = organizations.describe_organization()["Organization"]["Id"]
    with pytest.raises(config.ConfigError) as error:
        prepare(settings())
    assert str(error.value) == (
        "Pulumi.org.yaml: landing-zone:serviceControlPolicies[1].name: 'landing-zone-quarantine' is taken by"
        f" SCP {policy} in {organization_id}, which the org stack does not manage (creating it would fail:"
        " DuplicatePolicyException); rename one of them"
    )
    # Once the org stack has outputs it manages its SCPs: the one of that name is its own.
    env, _ = prepare(settings(), {"accounts": {}})
    assert derived.ADOPTED_OUS_ENV in env


def test_up_passes_the_adopted_ous_to_the_org_stacks_run(aws: None, tmp_path: Path) -> None:
    ids = seed_organization()
    command = Command()
    assert main(["up", "--stack", "org", "--yes"], services(project(tmp_path), command)) == EXIT_OK
    adopted = json.loads(org_env(command)[derived.ADOPTED_OUS_ENV])
    assert adopted["Workloads/Prod"] == ids["Workloads/Prod"] and "Legacy" not in adopted


def test_offline_the_org_stack_imports_no_ou_or_account() -> None:
    """plan and the tests run without the driver's variables: nothing is imported."""
    recording = run_stack("org")
    assert all(r.import_id is None for r in recording.of_type(OU))
    assert all(r.import_id is None for r in recording.of_type(ACCOUNT))


# --- the program --------------------------------------------------------------------------------

OU_IDS = {"Sandbox": "ou-ab12-cdefgh34", "Workloads/Prod": "ou-ab12-ijklmn56"}
ACCOUNT_IDS = {"sandbox": "222233334444"}


def adopted_run(monkeypatch: pytest.MonkeyPatch) -> Recording:
    monkeypatch.setenv(derived.ADOPTED_OUS_ENV, json.dumps(OU_IDS))
    monkeypatch.setenv(derived.ADOPTED_ACCOUNTS_ENV, json.dumps(ACCOUNT_IDS))
    return run_stack("org")


def test_only_the_adopted_ous_and_accounts_are_imported_ignoring_what_a_hand_made_one_lacks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recording = adopted_run(monkeypatch)
    ous = {path: recording.one(OU, names.organizational_unit("landing-zone", path)) for path in DEFAULT_OUS}
    assert len(recording.of_type(OU)) == len(ous)
    for path, ou in ous.items():
        if path in OU_IDS:
            assert (ou.import_id, ou.ignore_changes) == (OU_IDS[path], ["tags", "tagsAll"])
        else:
            assert (ou.import_id, ou.ignore_changes) == (None, [])
    for account in recording.of_type(ACCOUNT):
        if account.inputs["name"] == "Sandbox":
            assert account.import_id == "222233334444"
            assert account.ignore_changes == [*ACCOUNT_WRITE_ONLY_PROPERTIES, "tags", "tagsAll", "parentId"]
        else:
            assert (account.import_id, account.ignore_changes) == (None, ACCOUNT_WRITE_ONLY_PROPERTIES)
    # The engine accepts each ignoreChanges entry (tagsAll is an input the AWS provider adds).
    context = StackContext("org", "Pulumi.org.yaml", stack_file_config("org"), None, recording)
    assert engine_rules(context) == []


def test_main_adopts_what_the_driver_found(org_raw: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(derived.MANAGEMENT_ACCOUNT_ENV, "123456789012")
    monkeypatch.setenv(derived.ADOPTED_OUS_ENV, json.dumps(OU_IDS))
    recording = run_main(org_raw)
    assert sorted(ou.import_id for ou in recording.of_type(OU) if ou.import_id) == sorted(OU_IDS.values())


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (derived.ADOPTED_OUS_ENV, "{Sandbox",
         "is not JSON (Expecting property name enclosed in double quotes)"),
        (derived.ADOPTED_OUS_ENV, '["Sandbox"]', "must be a JSON object of OU path -> id (strings)"),
        (derived.ADOPTED_OUS_ENV, '{"Workloads/QA": "ou-ab12-cdefgh34"}',
         "names OU path 'Workloads/QA', which Pulumi.org.yaml does not list"),
        (derived.ADOPTED_OUS_ENV, '{"Sandbox": "r-ab12"}', "gives OU path 'Sandbox' the invalid id 'r-ab12'"),
        (derived.ADOPTED_ACCOUNTS_ENV, '{"nobody": "222233334444"}',
         "names account key 'nobody', which Pulumi.org.yaml does not list"),
        (derived.ADOPTED_ACCOUNTS_ENV, '{"sandbox": "2222"}',
         "gives account key 'sandbox' the invalid id '2222'"),
    ],
)
def test_a_bad_adoption_variable_is_one_line_naming_it(
    org_raw: dict[str, Any], monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(derived.MANAGEMENT_ACCOUNT_ENV, "123456789012")
    monkeypatch.setenv(variable, value)
    recording = Recording(stack="org")
    with pytest.raises(pulumi.RunError) as error:
        run_main(org_raw, recording)
    assert str(error.value) == f"environment: {variable}: {expected}"


def test_an_adopted_account_must_keep_its_configured_import_id() -> None:
    with pytest.raises(config.ConfigError) as error:
        derived.adoption_this_run(
            {derived.ADOPTED_ACCOUNTS_ENV: '{"sandbox": "222233334444"}'}, [], {"sandbox": "999988887777"}
        )
    assert str(error.value) == (
        f"environment: {derived.ADOPTED_ACCOUNTS_ENV}: adopts 222233334444 as account 'sandbox', whose"
        " importId in Pulumi.org.yaml is 999988887777"
    )
    assert derived.adoption_this_run({}, ["Sandbox"], {"sandbox": None}) == derived.Adoption()
