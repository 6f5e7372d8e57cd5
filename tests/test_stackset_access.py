"""StackSets' trusted access with Organizations (deploy/stackset_access.py): which stacks need it, what
preview says and what up does, checked against botocore's CloudFormation model (Stubber), and the hook
through the orchestrator with the fake Pulumi CLI: activated after org's update, before the security
stack's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from deploy.cli import Services
from deploy.operations import _stackset_access
from deploy.orchestrator import FAILED, SUCCEEDED, Orchestrator
from deploy.stacks import ORG, StackSpec, StackTable
from deploy.stackset_access import (
    StackSetAccessError,
    StackSetAccessGate,
    ensure_trusted_access,
    needs_trusted_access,
    stacks_needing_access,
)
from tests.stack_tables import org
from tests.test_deploy_automation import FakePulumiCommand, runner

SECURITY = "security"
DESCRIBE = "describe_organizations_access"
ACTIVATE = "activate_organizations_access"


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def described(stubber: Stubber, status: str) -> None:
    stubber.add_response(DESCRIBE, {"Status": status}, {"CallAs": "SELF"})


@pytest.mark.parametrize(
    ("security", "expected"),
    [
        ({"tooling": {"guardDuty": True}}, True),  # the baseline's defaults: EBS encryption on
        ({"baseline": {"regions": ["us-east-1"]}}, True),
        ({"baseline": {"ebsEncryptionByDefault": True}}, True),
        ({"baseline": {"ebsEncryptionByDefault": False}}, False),
        # AWS Config's recorders are a service-managed StackSet too: it needs the access on its own.
        ({"baseline": {"ebsEncryptionByDefault": False}, "tooling": {"awsConfig": True}}, True),
        ({"baseline": {"ebsEncryptionByDefault": False}, "tooling": {"awsConfig": "true"}}, True),
        ({"baseline": {"ebsEncryptionByDefault": False}, "tooling": {"awsConfig": False}}, False),
        (None, False),
    ],
)
def test_a_security_stack_needs_it_while_it_declares_a_service_managed_stack_set(
    security: Any, expected: bool
) -> None:
    config = {"landing-zone:deployOrder": 5}
    if security is not None:
        config["landing-zone:security"] = security
    assert needs_trusted_access(config) is expected


def test_active_access_is_left_alone(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    described(stubber, "ENABLED")
    lines: list[str] = []
    assert ensure_trusted_access(SECURITY, client, activate=True, emit=lines.append) == "ENABLED"
    assert lines == ["CloudFormation StackSets' trusted access with AWS Organizations is active"]


def test_preview_only_says_what_up_will_do(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    described(stubber, "DISABLED")  # and nothing else: an activation would be an unexpected call
    lines: list[str] = []
    assert ensure_trusted_access(SECURITY, client, activate=False, emit=lines.append) == "DISABLED"
    assert lines == ["CloudFormation StackSets' trusted access with AWS Organizations is DISABLED: up "
                     "activates it (ActivateOrganizationsAccess) before updating security"]


@pytest.mark.parametrize("status", ["DISABLED", "DISABLED_PERMANENTLY"])
def test_up_activates_it_and_checks_it_took(stubbed: tuple[Any, Stubber], status: str) -> None:
    client, stubber = stubbed
    described(stubber, status)
    stubber.add_response(ACTIVATE, {}, {})
    described(stubber, "ENABLED")
    lines: list[str] = []
    ensure_trusted_access(SECURITY, client, activate=True, emit=lines.append)
    assert lines[-1] == "CloudFormation StackSets' trusted access with AWS Organizations is now active"


def test_a_refused_activation_is_one_line_naming_the_stack(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    described(stubber, "DISABLED")
    stubber.add_client_error(ACTIVATE, "InvalidOperationException", "not the management account\nmore")
    with pytest.raises(StackSetAccessError) as raised:
        ensure_trusted_access(SECURITY, client, activate=True, emit=lambda line: None)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("cannot activate CloudFormation StackSets' trusted access with AWS "
                              "Organizations for stack security")
    assert "InvalidOperationException: not the management account" in message


def test_access_still_off_after_activating_fails(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    described(stubber, "DISABLED")
    stubber.add_response(ACTIVATE, {}, {})
    described(stubber, "DISABLED")
    with pytest.raises(StackSetAccessError, match="is still DISABLED after activating it for stack security"):
        ensure_trusted_access(SECURITY, client, activate=True, emit=lambda line: None)


def test_an_unreadable_status_is_one_line(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error(DESCRIBE, "AccessDenied", "no cloudformation:DescribeOrganizationsAccess")
    with pytest.raises(StackSetAccessError, match=r"^cannot read .* for stack security .*AccessDenied"):
        ensure_trusted_access(SECURITY, client, activate=False, emit=lambda line: None)


# --- which stacks, from their files; the hook in the driver --------------------------------------------


def write_stack(root: Path, name: str, body: str) -> None:
    (root / f"Pulumi.{name}.yaml").write_text(f"config:\n{body}", encoding="utf-8")


def test_the_stacks_that_need_it_are_found_in_their_files(tmp_path: Path) -> None:
    write_stack(tmp_path, ORG, "  landing-zone:deployOrder: 0\n")
    write_stack(tmp_path, SECURITY, "  aws:region: eu-west-1\n  landing-zone:security:\n"
                                    "    baseline:\n      regions: [eu-west-1]\n")
    write_stack(tmp_path, "security-off", "  landing-zone:security:\n"
                                          "    baseline:\n      ebsEncryptionByDefault: false\n")
    names = [ORG, SECURITY, "security-off"]
    assert stacks_needing_access(names, tmp_path) == {SECURITY: "eu-west-1"}
    gate = _stackset_access(names, Services(root=tmp_path, cloudformation_client=lambda region: None))
    assert gate is not None and list(gate.names) == [SECURITY]
    # No stack needs it, or a run that makes no AWS call: no gate.
    assert _stackset_access([ORG, "security-off"], Services(root=tmp_path)) is None
    assert _stackset_access(names, Services(root=tmp_path, check_credentials=False)) is None


TABLE = StackTable.of(org(), StackSpec(SECURITY, "security", "security services (test table)", 5, (ORG,)))


def run_up(tmp_path: Path, stubber_setup: Any) -> tuple[Any, FakePulumiCommand, list[int]]:
    """``up`` of org and security through the Automation runner and the fake CLI; the gate's client is
    stubbed, and each time it is asked for one, the number of CLI calls made so far is noted."""
    command = FakePulumiCommand(stacks={ORG, SECURITY})
    client = boto3.client("cloudformation", region_name="eu-west-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    asked_at: list[int] = []

    def client_for(region: str) -> Any:
        assert region == "eu-west-1"
        asked_at.append(len(command.calls))
        return client

    gate = StackSetAccessGate({SECURITY: "eu-west-1"}, client_for)
    with Stubber(client) as stubber:
        stubber_setup(stubber)
        summary = Orchestrator(runner(tmp_path, command), stacks=TABLE, emit=lambda line: None,
                               before_apply=gate.before_apply).run("up")
        stubber.assert_no_pending_responses()
    return summary, command, asked_at


def test_up_activates_it_after_org_and_right_before_the_security_update(tmp_path: Path) -> None:
    def setup(stubber: Stubber) -> None:
        described(stubber, "DISABLED")
        stubber.add_response(ACTIVATE, {}, {})
        described(stubber, "ENABLED")

    summary, command, asked_at = run_up(tmp_path, setup)
    assert [outcome.result for outcome in summary.outcomes] == [SUCCEEDED, SUCCEEDED]
    verbs = [(call["argv"][2], call["argv"][-1]) for call in command.calls if call["argv"][2] != "stack"]
    [at] = asked_at
    before = [(c["argv"][2], c["argv"][-1]) for c in command.calls[:at] if c["argv"][2] != "stack"]
    assert before == [("preview", ORG), ("up", ORG), ("preview", SECURITY)]
    assert verbs[len(before):] == [("up", SECURITY)]


def test_up_stops_the_security_stack_when_it_cannot_be_activated(tmp_path: Path) -> None:
    def setup(stubber: Stubber) -> None:
        described(stubber, "DISABLED")
        stubber.add_client_error(ACTIVATE, "InvalidOperationException", "organization has no all features")

    summary, command, _ = run_up(tmp_path, setup)
    org_outcome, security = summary.outcomes
    assert (org_outcome.result, security.result) == (SUCCEEDED, FAILED)
    assert "InvalidOperationException: organization has no all features" in security.message
    assert ("up", SECURITY) not in [(c["argv"][2], c["argv"][-1]) for c in command.calls]
