"""The Aurora engine version check before an environment's preview and up (deploy/aurora_version.py):
RDS stubbed with botocore's Stubber (moto 5.2.5 does not implement DescribeDBEngineVersions), checked
against botocore's rds model; the hook through the orchestrator and through ``python -m deploy``."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from components import config as stack_config
from deploy.aurora_version import EngineVersionError, EngineVersionGate, workload_rds
from deploy.cli import Services, main
from deploy.orchestrator import FAILED, NOT_RUN, SUCCEEDED, Orchestrator
from deploy.runner import EXIT_FAILED, SetupError, StackNotFoundError
from tests.configs import FIXTURE_STACKS
from tests.stack_file_support import copy_with_real_values
from tests.stack_tables import THREE
from tests.test_deploy_orchestrator import ORG_OUTPUTS, FakeRunner

ENGINE = "aurora-postgresql"
DESCRIBE = "describe_db_engine_versions"
ONE_LINE_KEY = "Pulumi.pre.yaml: landing-zone:database.engineVersion: "


def version(number: str, status: str = "available") -> dict[str, Any]:
    return {"Engine": ENGINE, "EngineVersion": number, "Status": status,
            "DBParameterGroupFamily": f"{ENGINE}{number.split('.')[0]}"}


@pytest.fixture
def rds() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("rds", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def asked_for(stubber: Stubber, number: str, found: list[dict[str, Any]]) -> None:
    stubber.add_response(DESCRIBE, {"DBEngineVersions": found}, {"Engine": ENGINE, "EngineVersion": number})


def retired(stubber: Stubber, number: str = "16.6") -> None:
    """The version is not listed; its major's versions come in two pages; AWS's default is 16.11."""
    asked_for(stubber, number, [])
    family = {"Engine": ENGINE, "DBParameterGroupFamily": "aurora-postgresql16"}
    stubber.add_response(DESCRIBE, {"DBEngineVersions": [version("16.9"), version("16.10"),
                                                         version("16.8-limitless")], "Marker": "next"},
                         family)
    stubber.add_response(DESCRIBE, {"DBEngineVersions": [version("16.8"), version("16.11"),
                                                         version("16.4", "deprecated")]},
                         {**family, "Marker": "next"})
    stubber.add_response(DESCRIBE, {"DBEngineVersions": [version("16.11")]},
                         {"Engine": ENGINE, "EngineVersion": "16", "DefaultOnly": True})


def stack_root(tmp_path: Path, engine_version: str | None) -> Path:
    """The tests' stack files, with pre's database.engineVersion set (None: the default)."""
    root = tmp_path / "stacks"
    shutil.copytree(FIXTURE_STACKS, root)
    if engine_version is not None:
        path = root / "Pulumi.pre.yaml"
        data = yaml.safe_load(path.read_text())
        data["config"]["landing-zone:database"]["engineVersion"] = engine_version
        path.write_text(yaml.safe_dump(data))
    return root


def gate(root: Path, client: Any, outputs: Mapping[str, Mapping[str, Any]] | None = None,
         asked: list[tuple[str, Any]] | None = None) -> EngineVersionGate:
    def rds_for(stack: str, settings: stack_config.EnvConfig, org_outputs: Mapping[str, Any]) -> Any:
        if asked is not None:
            asked.append((stack, org_outputs))
        return client

    def stack_outputs(stack: str) -> Mapping[str, Any]:
        if outputs is None or stack not in outputs:
            raise StackNotFoundError(f"stack {stack} does not exist in the backend")
        return outputs[stack]

    return EngineVersionGate(root, rds_for, stack_outputs)


def test_an_offered_version_goes_on_after_one_question(tmp_path: Path, rds: tuple[Any, Stubber]) -> None:
    client, stubber = rds
    asked_for(stubber, "16.8", [version("16.8")])  # the default, 16.8: nothing else is asked
    lines: list[str] = []
    asked: list[tuple[str, Any]] = []
    gate(stack_root(tmp_path, None), client, asked=asked)("pre", lambda: ORG_OUTPUTS, lines.append)
    assert lines == ["aurora-postgresql 16.8 is offered in us-east-1"]
    assert asked == [("pre", ORG_OUTPUTS)]  # the workload account is reached with org's outputs


def test_a_retired_version_stops_with_one_line_naming_file_key_and_the_versions_to_pick(
    tmp_path: Path, rds: tuple[Any, Stubber]
) -> None:
    client, stubber = rds
    retired(stubber)
    with pytest.raises(EngineVersionError) as raised:
        gate(stack_root(tmp_path, "16.6"), client)("pre", lambda: ORG_OUTPUTS, lambda line: None)
    message = str(raised.value)
    assert "\n" not in message
    assert message == (
        f"{ONE_LINE_KEY}aurora-postgresql 16.6 is not offered in us-east-1, so CreateDBCluster would fail; "
        "available 16.x versions there: 16.8, 16.9, 16.10, 16.11 (AWS's default: 16.11)"
    )


def test_a_deprecated_listing_is_not_an_offer(tmp_path: Path, rds: tuple[Any, Stubber]) -> None:
    client, stubber = rds
    stubber.add_response(DESCRIBE, {"DBEngineVersions": [version("16.6", "deprecated")]},
                         {"Engine": ENGINE, "EngineVersion": "16.6"})
    stubber.add_client_error(DESCRIBE, "InvalidParameterValue", "no such family")  # the alternatives
    with pytest.raises(EngineVersionError, match=r"16\.6 is not offered in us-east-1, so CreateDBCluster "
                                                 r"would fail; no aurora-postgresql 16 version is offered"):
        gate(stack_root(tmp_path, "16.6"), client)("pre", lambda: ORG_OUTPUTS, lambda line: None)


def test_a_cluster_already_running_the_retired_version_is_updated_with_a_warning(
    tmp_path: Path, rds: tuple[Any, Stubber]
) -> None:
    client, stubber = rds
    retired(stubber)
    stubber.add_response("describe_db_clusters", {"DBClusters": [{"EngineVersion": "16.6"}]},
                         {"DBClusterIdentifier": "pre-tasks-db"})
    lines: list[str] = []
    outputs = {"pre": {"db_cluster_identifier": "pre-tasks-db"}}
    gate(stack_root(tmp_path, "16.6"), client, outputs)("pre", lambda: ORG_OUTPUTS, lines.append)
    [line] = lines
    assert line.startswith(f"warning: {ONE_LINE_KEY}aurora-postgresql 16.6 is not offered in us-east-1")
    assert line.endswith("the cluster already runs it, so this update goes on, but a new or replaced "
                         "cluster would fail")


def test_a_cluster_running_another_version_does_not_make_the_configured_one_offered(
    tmp_path: Path, rds: tuple[Any, Stubber]
) -> None:
    client, stubber = rds
    retired(stubber)
    stubber.add_response("describe_db_clusters", {"DBClusters": [{"EngineVersion": "16.8"}]},
                         {"DBClusterIdentifier": "pre-tasks-db"})
    outputs = {"pre": {"db_cluster_identifier": "pre-tasks-db"}}
    with pytest.raises(EngineVersionError, match=r"would fail; the cluster runs 16\.8; available 16\.x"):
        gate(stack_root(tmp_path, "16.6"), client, outputs)("pre", lambda: ORG_OUTPUTS, lambda line: None)


@pytest.mark.parametrize("code", ["AccessDenied", "ExpiredToken"])
def test_an_unreachable_api_is_one_warning_and_the_stack_goes_on(
    tmp_path: Path, rds: tuple[Any, Stubber], code: str
) -> None:
    client, stubber = rds
    stubber.add_client_error(DESCRIBE, code, "not allowed to call rds:DescribeDBEngineVersions")
    lines: list[str] = []
    gate(stack_root(tmp_path, "16.6"), client)("pre", lambda: ORG_OUTPUTS, lines.append)
    assert lines == [
        "warning: cannot check that aurora-postgresql 16.6 (Pulumi.pre.yaml landing-zone:database."
        f"engineVersion) is offered in us-east-1 ({code}: not allowed to call rds:DescribeDBEngineVersions); "
        "going on without the check"
    ]


def test_no_session_into_the_workload_account_is_one_warning(tmp_path: Path) -> None:
    def no_credentials(stack: str, settings: Any, org_outputs: Mapping[str, Any]) -> Any:
        raise SetupError("cannot open a session for workloadAccount sandbox: no AWS credentials")

    lines: list[str] = []
    EngineVersionGate(stack_root(tmp_path, None), no_credentials, lambda stack: {})(
        "pre", lambda: ORG_OUTPUTS, lines.append)
    assert len(lines) == 1 and "(cannot open a session for workloadAccount sandbox: no AWS" in lines[0]


class RecordingSession:
    """boto3.Session's stand-in: records how each session was made and which clients it gave."""

    made: list[dict[str, Any]] = []

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        RecordingSession.made.append(kwargs)

    def client(self, service: str) -> Any:
        if service == "sts":
            return self
        return (service, self.kwargs)

    def assume_role(self, **kwargs: Any) -> dict[str, Any]:
        RecordingSession.made.append({"assumed": kwargs["RoleArn"]})
        return {"Credentials": {"AccessKeyId": "ASIA", "SecretAccessKey": "s", "SessionToken": "t"}}


def test_rds_is_asked_in_the_workload_account_and_region_through_its_access_role() -> None:
    from tests.conftest import recorded_org_outputs

    org_outputs = recorded_org_outputs()
    settings = stack_config.load_stack_file("pre", FIXTURE_STACKS)
    assert isinstance(settings, stack_config.EnvConfig)
    RecordingSession.made = []
    service, made_with = workload_rds(RecordingSession)("pre", settings, org_outputs)
    workload = org_outputs["accounts"][settings.workload_account.key]
    assert service == "rds"
    assert RecordingSession.made == [
        {"profile_name": None, "region_name": "us-east-1"},
        {"assumed": f"arn:aws:iam::{workload}:role/{org_outputs['access_role_name']}"},
        made_with,
    ]
    assert made_with["aws_access_key_id"] == "ASIA" and made_with["region_name"] == "us-east-1"


# The hook in the orchestrator, with the fake runner.

class Check:
    """Records each call in the runner's event list (and the org outputs it read); fails where told."""

    def __init__(self, events: list[tuple[str, str]], fail: str | None = None) -> None:
        self.events = events
        self.fail = fail
        self.org_outputs: list[Mapping[str, Any]] = []

    def __call__(self, stack: str, org_outputs: Any, emit: Any) -> None:
        self.events.append(("engine check", stack))
        self.org_outputs.append(org_outputs())
        if stack == self.fail:
            raise EngineVersionError(f"{ONE_LINE_KEY}aurora-postgresql 16.6 is not offered in us-east-1")


def run(operation: Any, fail: str | None = None) -> tuple[Any, list[tuple[str, str]], Check]:
    events: list[tuple[str, str]] = []
    check = Check(events, fail)
    orchestrator = Orchestrator(FakeRunner(events), stacks=THREE, emit=lambda line: None,
                                environment_check=check)
    return orchestrator.run(operation), events, check


def test_preview_checks_each_environment_right_before_its_preview_and_not_org() -> None:
    summary, events, check = run("preview")
    assert summary.ok
    assert [e for e in events if e[0] != "outputs"] == [
        ("preview", "org"), ("engine check", "pre"), ("preview", "pre"), ("engine check", "prod"),
        ("preview", "prod"),
    ]
    assert check.org_outputs == [ORG_OUTPUTS, ORG_OUTPUTS]


def test_up_checks_each_environment_after_org_is_up_and_before_its_preview() -> None:
    summary, events, check = run("up")
    assert summary.ok
    assert [e for e in events if e[0] != "outputs"] == [
        ("preview", "org"), ("up", "org"), ("engine check", "pre"), ("preview", "pre"), ("up", "pre"),
        ("engine check", "prod"), ("preview", "prod"), ("up", "prod"),
    ]
    assert check.org_outputs == [ORG_OUTPUTS, ORG_OUTPUTS]  # org's, as its up returned them


@pytest.mark.parametrize("operation", ["preview", "up"])
def test_a_failing_check_stops_that_environment_before_any_pulumi_call(operation: str) -> None:
    summary, events, _ = run(operation, fail="pre")
    assert [(o.stack, o.result) for o in summary.outcomes] == [
        ("org", SUCCEEDED), ("pre", FAILED), ("prod", NOT_RUN)]
    assert summary.outcomes[1].message == f"{ONE_LINE_KEY}aurora-postgresql 16.6 is not offered in us-east-1"
    assert not [e for e in events if e[1] == "pre" and e[0] not in ("engine check", "outputs")]
    assert summary.exit_code == EXIT_FAILED


@pytest.mark.parametrize("operation", ["refresh", "destroy"])
def test_refresh_and_destroy_do_not_check(operation: str) -> None:
    _, events, check = run(operation)
    assert not [e for e in events if e[0] == "engine check"] and not check.org_outputs


# Through `python -m deploy` (deploy/operations.py builds the gate for the selected environments).

class CallerSession:
    def client(self, service: str, **kwargs: Any) -> Any:
        return self

    def get_caller_identity(self) -> dict[str, str]:
        return {"Account": "111111111111"}


def test_the_driver_asks_rds_before_the_environments_preview_and_stops_it(
    tmp_path: Path, rds: tuple[Any, Stubber]
) -> None:
    root = copy_with_real_values(tmp_path)
    path = root / "Pulumi.pre.yaml"
    data = yaml.safe_load(path.read_text())
    data["config"].setdefault("landing-zone:database", {})["engineVersion"] = "16.6"
    path.write_text(yaml.safe_dump(data))
    client, stubber = rds
    retired(stubber)
    events: list[tuple[str, str]] = []
    stderr = io.StringIO()
    services = Services(root=root, runner=lambda: FakeRunner(events), session_factory=CallerSession,
                        rds_client=lambda stack, settings, org_outputs: client, check_org_references=False,
                        stdout=io.StringIO(), stderr=stderr)
    assert main(["preview", "--stack", "pre"], services) == EXIT_FAILED
    assert ("preview", "pre") not in events
    assert stderr.getvalue().strip() == (
        "preview failed at stack pre: Pulumi.pre.yaml: landing-zone:database.engineVersion: "
        "aurora-postgresql 16.6 is not offered in us-east-1, so CreateDBCluster would fail; available "
        "16.x versions there: 16.8, 16.9, 16.10, 16.11 (AWS's default: 16.11)"
    )


def test_no_check_without_aws_calls_or_without_an_environment(tmp_path: Path) -> None:
    from deploy.operations import _engine_version_gate

    root = copy_with_real_values(tmp_path)
    runner = FakeRunner([])
    assert _engine_version_gate(["pre"], Services(root=root, check_credentials=False), runner) is None
    assert _engine_version_gate(["org", "cicd"], Services(root=root), runner) is None
    assert _engine_version_gate(["org", "prod"], Services(root=root), runner) is not None
    assert _engine_version_gate(["pre"], Services(root=root, check_engine_version=False), runner) is None

