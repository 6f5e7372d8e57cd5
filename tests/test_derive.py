"""The driver derives the management account id and adopts an existing organization (deploy/derive.py):
against moto for STS and Organizations, through the CLI with the Automation API runner and a fake
``PulumiCommand`` that records what each Pulumi command would get."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.organizations.models import FakeRoot

from components import config
from components.settings import derived
from components.settings.landing_zone import IDENTITY_CENTER_PRINCIPAL, SECURITY_STACK_PRINCIPALS
from deploy.cli import Services, main
from deploy.derive import prepare_org_run
from deploy.runner import EXIT_FAILED, EXIT_OK, EXIT_SETUP, EXIT_USAGE, SetupError
from tests.configs import FIXTURE_STACKS, stack_values
from tests.stack_file_support import REAL_ACCOUNT_ID, copy_with_real_values
from tests.test_deploy_automation import FakePulumiCommand, runner

MANAGEMENT = REAL_ACCOUNT_ID  # the caller; not an example value, which preview and up refuse
SCP = "SERVICE_CONTROL_POLICY"
S3 = "S3_POLICY"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", MANAGEMENT)
    # moto's list of policy types lags AWS's: S3_POLICY is in botocore's organizations model (PolicyType).
    monkeypatch.setattr(FakeRoot, "SUPPORTED_POLICY_TYPES", [*FakeRoot.SUPPORTED_POLICY_TYPES, S3])
    with mock_aws():
        yield


def organizations() -> Any:
    return boto3.client("organizations", region_name="us-east-1")


def existing_organization(
    *, scp: bool = False, trusted: tuple[str, ...] = ("sso.amazonaws.com",), types: tuple[str, ...] = ()
) -> str:
    """An organization as a person who enabled Identity Center has it: SSO trusted, SCPs maybe off."""
    client = organizations()
    organization_id = str(client.create_organization(FeatureSet="ALL")["Organization"]["Id"])
    for principal in trusted:
        client.enable_aws_service_access(ServicePrincipal=principal)
    for policy_type in (SCP, *types) if scp else types:
        client.enable_policy_type(RootId=root_id(), PolicyType=policy_type)
    return organization_id


# What the shipped org config lists: Identity Center's and the security stack's principals, SCPs and S3.
CONFIGURED_PRINCIPALS = (IDENTITY_CENTER_PRINCIPAL, *SECURITY_STACK_PRINCIPALS)


def trusted_services() -> set[str]:
    access = organizations().list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    return {entry["ServicePrincipal"] for entry in access}


def root_id() -> str:
    return str(organizations().list_roots()["Roots"][0]["Id"])


def enabled_types() -> list[str]:
    root = organizations().list_roots()["Roots"][0]
    return [t["Type"] for t in root["PolicyTypes"] if t["Status"] == "ENABLED"]


class RecordingSession:
    """A boto3 session (moto) that records the Organizations calls that change something."""

    def __init__(self) -> None:
        self.session = boto3.Session(region_name="us-east-1")
        self.changes: list[str] = []
        self.session.events.register("before-call.organizations.*", self._record)
        self.region_name = "us-east-1"

    def _record(self, model: Any, **_: Any) -> None:
        if model.name.startswith(("Enable", "Disable", "Create", "Delete")):
            self.changes.append(model.name)

    def client(self, *args: Any, **kwargs: Any) -> Any:
        return self.session.client(*args, **kwargs)


class Command(FakePulumiCommand):
    """Also notes which policy types and trusted services the organization had when ``pulumi up`` started."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.types_at_up: list[str] | None = None
        self.trusted_at_up: set[str] | None = None

    def run(self, args: list[str], *rest: Any, **options: Any) -> Any:
        if args[0] == "up":
            self.types_at_up = enabled_types()
            self.trusted_at_up = trusted_services()
        return super().run(args, *rest, **options)


def project(tmp_path: Path, **org_values: Any) -> Path:
    """A copy of the stack files, Pulumi.org.yaml with extra ``landing-zone:`` values."""
    copy_with_real_values(tmp_path)  # preview and up refuse example values
    path = tmp_path / "Pulumi.org.yaml"
    lines = "".join(f"  {config.PROJECT}:{key}: {value}\n" for key, value in org_values.items())
    path.write_text(path.read_text().replace("config:\n", f"config:\n{lines}", 1))
    return tmp_path


def services(root: Path, command: FakePulumiCommand, session: RecordingSession | None = None) -> Services:
    recording = session or RecordingSession()
    return Services(
        root=root,
        runner=lambda: runner(root, command),
        session_factory=lambda: recording,
        sleep=lambda seconds: None,
        stdin=io.StringIO(""),
    )


def org_env(command: FakePulumiCommand, verb: str = "up") -> dict[str, str]:
    [call] = [c for c in command.calls if c["argv"][2] == verb]
    return dict(call["env"])


# --- the management account id ------------------------------------------------------------------


def test_the_management_account_id_is_the_callers_and_reaches_the_program(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = FakePulumiCommand()
    root = project(tmp_path)
    before = (root / "Pulumi.org.yaml").read_text()
    code = main(["up", "--stack", "org", "--yes"], services(root, command))
    out = capsys.readouterr().out
    assert code == EXIT_OK
    env = org_env(command)
    assert env[derived.MANAGEMENT_ACCOUNT_ENV] == MANAGEMENT
    assert derived.ORGANIZATION_ID_ENV not in env  # no organization yet: the org stack creates it
    assert f"[org] managementAccountId: {MANAGEMENT} (from the caller identity; no organization yet)" in out
    # The stack file is left as it was.
    assert (root / "Pulumi.org.yaml").read_text() == before


def test_a_configured_management_account_id_is_checked_not_derived(aws: None, tmp_path: Path) -> None:
    command = FakePulumiCommand()
    root = project(tmp_path, managementAccountId=f'"{MANAGEMENT}"')
    assert main(["up", "--stack", "org", "--yes"], services(root, command)) == EXIT_OK
    assert derived.MANAGEMENT_ACCOUNT_ENV not in org_env(command)


def test_a_member_account_is_refused_in_one_line(
    aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    organization_id = existing_organization()
    organizations().create_account(Email="aws+member@example.com", AccountName="Member")
    member = next(a["Id"] for a in organizations().list_accounts()["Accounts"] if a["Id"] != MANAGEMENT)
    monkeypatch.setenv("MOTO_ACCOUNT_ID", member)  # the caller is now the member account
    command = FakePulumiCommand()
    code = main(["up", "--stack", "org", "--yes"], services(project(tmp_path), command))
    err = capsys.readouterr().err
    assert code == EXIT_SETUP and command.argv("up") == []
    assert err == (
        f"error: The AWS credentials belong to account {member}, a member of organization {organization_id} "
        f"whose management account is {MANAGEMENT}; run the org stack with the management account's "
        "credentials.\n"
    )


# --- adopting an existing organization ----------------------------------------------------------


def test_an_existing_organization_is_adopted_after_enabling_its_trusted_access_and_policy_types(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    organization_id = existing_organization(scp=False)  # as enabling Identity Center leaves it
    command = Command()
    session = RecordingSession()
    code = main(["up", "--stack", "org", "--yes"], services(project(tmp_path), command, session))
    out = capsys.readouterr().out
    assert code == EXIT_OK
    untrusted = len(SECURITY_STACK_PRINCIPALS)
    assert session.changes == ["EnableAWSServiceAccess"] * untrusted + ["EnablePolicyType"] * 2
    # Enabled before the import, so its inputs match what the org stack declares.
    assert command.trusted_at_up == set(CONFIGURED_PRINCIPALS)
    assert sorted(command.types_at_up or []) == [S3, SCP]
    for principal in SECURITY_STACK_PRINCIPALS:
        assert f"[org] enabled trusted access for {principal} (the config lists it) before the adoption" \
            in out
    assert org_env(command)[derived.ORGANIZATION_ID_ENV] == organization_id
    assert f"[org] enabled {SCP} on root {root_id()} (the config asks for it) before the adoption" in out
    assert f"[org] organization.importId: {organization_id} (the caller's organization" in out


def test_nothing_is_enabled_when_the_organization_already_matches(aws: None, tmp_path: Path) -> None:
    organization_id = existing_organization(scp=True, trusted=CONFIGURED_PRINCIPALS, types=(S3,))
    command = Command()
    session = RecordingSession()
    assert main(["up", "--stack", "org", "--yes"], services(project(tmp_path), command, session)) == EXIT_OK
    assert session.changes == []
    assert org_env(command)[derived.ORGANIZATION_ID_ENV] == organization_id


def test_preview_changes_nothing_and_says_what_up_would_enable(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    organization_id = existing_organization(scp=False)
    command = FakePulumiCommand()
    session = RecordingSession()
    assert main(["preview", "--stack", "org"], services(project(tmp_path), command, session)) == EXIT_OK
    assert session.changes == [] and enabled_types() == []
    assert org_env(command, "preview")[derived.ORGANIZATION_ID_ENV] == organization_id
    out = capsys.readouterr().out
    assert f"{SCP} is not enabled on root {root_id()}: up enables it before adopting" in out
    assert (f"guardduty.amazonaws.com has no trusted access in {organization_id}: up enables it before the"
            " adoption (until then the import's inputs differ)") in out
    assert trusted_services() == {IDENTITY_CENTER_PRINCIPAL}


@pytest.mark.parametrize(
    ("trusted", "expected"),
    [
        (
            ("sso.amazonaws.com", "ram.amazonaws.com"),
            "awsServiceAccessPrincipals: the organization trusts ram.amazonaws.com too; list every",
        ),
        ((), "awsServiceAccessPrincipals: lists sso.amazonaws.com, which the organization does not trust yet;"
             " adopting it needs the list to match (is IAM Identity Center enabled?"),
    ],
)
def test_trusted_services_must_match_the_config_before_an_adoption(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], trusted: tuple[str, ...], expected: str
) -> None:
    existing_organization(trusted=trusted)
    command = FakePulumiCommand()
    session = RecordingSession()
    code = main(["up", "--stack", "org", "--yes"], services(project(tmp_path), command, session))
    err = capsys.readouterr().err
    assert code == EXIT_FAILED and command.argv("up") == [] and session.changes == []
    assert err.startswith(f"error: Pulumi.org.yaml: {config.PROJECT}:organization.{expected}")
    assert err.count("\n") == 1


def test_a_policy_type_enabled_in_aws_but_not_listed_stops_the_adoption(aws: None, tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]
                                                                        ) -> None:
    existing_organization(scp=True)
    organizations().enable_policy_type(RootId=root_id(), PolicyType="TAG_POLICY")
    command = FakePulumiCommand()
    assert main(["up", "--stack", "org", "--yes"], services(project(tmp_path), command)) == EXIT_FAILED
    assert capsys.readouterr().err.startswith(
        "error: Pulumi.org.yaml: landing-zone:organization.enabledPolicyTypes: organization o-"
    )
    assert command.argv("up") == []


def test_an_import_id_in_the_stack_file_must_be_the_callers_organization(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    organization_id = existing_organization(scp=True)
    root = project(tmp_path, organization="{importId: o-aaaaaaaaaa}")
    assert main(["up", "--stack", "org", "--yes"], services(root, FakePulumiCommand())) == EXIT_FAILED
    assert capsys.readouterr().err == (
        "error: Pulumi.org.yaml: landing-zone:organization.importId: is o-aaaaaaaaaa, but the caller's "
        f"organization is {organization_id}\n"
    )


def test_an_organization_the_stack_manages_already_needs_no_preparation(aws: None) -> None:
    organization_id = existing_organization(scp=False, trusted=("sso.amazonaws.com", "config.amazonaws.com"))
    settings = config.load_stack_file("org", FIXTURE_STACKS)
    assert isinstance(settings, config.OrgConfig)
    session = RecordingSession()
    lines: list[str] = []
    run = prepare_org_run(
        settings, stack_values("org"), session, caller=MANAGEMENT, operation="up",
        org_outputs=lambda: {"accounts": {}}, emit=lines.append,
    )
    run.apply(lines.append)
    # Pulumi reconciles both lists itself now; the import id is harmless once the state holds the
    # organization (the engine imports only when the state has no resource with that id).
    assert session.changes == [] and run.enable == []
    expected = {derived.MANAGEMENT_ACCOUNT_ENV: MANAGEMENT, derived.ORGANIZATION_ID_ENV: organization_id}
    assert run.env == expected
    assert f"organization {organization_id}: managed by the org stack already" in lines


def test_a_policy_type_stuck_pending_times_out_with_the_type_named(aws: None) -> None:
    existing_organization(scp=False)
    settings = config.load_stack_file("org", FIXTURE_STACKS)
    assert isinstance(settings, config.OrgConfig)

    class Pending(RecordingSession):
        def client(self, *args: Any, **kwargs: Any) -> Any:
            client = super().client(*args, **kwargs)
            if args[0] == "organizations":
                client.enable_policy_type = lambda **_: {}  # accepted, but never becomes ENABLED
            return client

    run = prepare_org_run(
        settings, {}, Pending(), caller=MANAGEMENT, operation="up", org_outputs=dict, emit=print
    )
    assert run.enable == [(root_id(), S3), (root_id(), SCP)]
    now = [0.0]
    with pytest.raises(SetupError, match=f"^{S3} on root r-[a-z0-9]+ is still not enabled after 300s$"):
        run.apply(lambda _: None, sleep=lambda s: now.__setitem__(0, now[0] + s), clock=lambda: now[0])


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_nothing_changes_in_aws_before_the_user_confirms(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing_organization(scp=False)
    command = FakePulumiCommand()
    session = RecordingSession()
    options = services(project(tmp_path), command, session)
    options.stdin = Terminal("n\n")
    assert main(["up", "--stack", "org"], options) == EXIT_USAGE
    out = capsys.readouterr().out
    # The prompt comes after what the driver found and after org's preview, and nothing was changed.
    asked = out.index("apply this preview to stack org")
    assert out.index(f"{SCP} is not enabled on root") < out.index("[org] preview: create") < asked
    assert session.changes == [] and enabled_types() == [] and command.argv("up") == []
