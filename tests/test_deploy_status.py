"""``python -m deploy status``: moto where it implements the calls (ELBv2 target health, RDS, CloudWatch
metrics, Cognito, STS), a fake ECS client where moto's tasks never run (its services stay PENDING)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from deploy import status
from deploy.cli import build_parser, main
from deploy.runner import EXIT_FAILED, EXIT_OK, EXIT_SETUP
from tests.operate_support import REGION, account_id, moto_accounts, services, session_in
from tests.stack_tables import THREE, table

HEALTH = "https://api.pre.example/q/health/live"


def _deploy_in_moto() -> dict[str, Any]:
    """The environment's resources in moto, in the accounts the stack puts them; returns its outputs.

    Also a target group without targets and a database at 1.5 ACU, for the tests that swap them in."""
    workload, identity = session_in("sandbox"), session_in("idp-pre")
    ecs = workload.client("ecs")
    ecs.create_cluster(clusterName="pre-tasks-cluster")
    container = {"name": "t", "image": "i", "memory": 512}
    ecs.register_task_definition(family="pre-tasks", containerDefinitions=[container])
    ecs.create_service(
        cluster="pre-tasks-cluster", serviceName="pre-tasks-service", taskDefinition="pre-tasks",
        desiredCount=1,
    )
    vpc = workload.client("ec2").create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    elbv2 = workload.client("elbv2")
    groups = {
        name: elbv2.create_target_group(Name=name, Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip")[
            "TargetGroups"][0]["TargetGroupArn"]
        for name in ("pre-tasks", "pre-empty")
    }
    elbv2.register_targets(TargetGroupArn=groups["pre-tasks"], Targets=[{"Id": "10.10.1.5", "Port": 8080}])
    for cluster, capacity in (("pre-tasks-db", 0.0), ("pre-busy-db", 1.5)):
        workload.client("rds").create_db_cluster(
            DBClusterIdentifier=cluster, Engine="aurora-postgresql", MasterUsername="tasks",
            MasterUserPassword="not-a-real-one-1",
            ServerlessV2ScalingConfiguration={"MinCapacity": 0, "MaxCapacity": 4},
        )
        workload.client("cloudwatch").put_metric_data(Namespace="AWS/RDS", MetricData=[{
            "MetricName": "ServerlessDatabaseCapacity", "Value": capacity,
            "Dimensions": [{"Name": "DBClusterIdentifier", "Value": cluster}],
            "Timestamp": datetime.now(UTC) - timedelta(minutes=2),
        }])
    cognito = identity.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="tasks-pre-users")["UserPool"]["Id"]
    for index in range(2):
        cognito.admin_create_user(UserPoolId=pool, Username=f"user{index}")
    return {
        "ecs_cluster_name": "pre-tasks-cluster", "ecs_service_name": "pre-tasks-service",
        "target_group_arn": groups["pre-tasks"], "db_cluster_identifier": "pre-tasks-db",
        "user_pool_id": pool,
        "api_url": "https://api.pre.example", "health_url": HEALTH, "frontend_url": "https://pre.app.example/",
        "_empty_target_group_arn": groups["pre-empty"],
    }


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One moto world for the module (building it is the slow part); each test gets a copy of outputs."""
    with moto_accounts(tmp_path_factory.mktemp("aws")):
        yield _deploy_in_moto()


@pytest.fixture
def outputs(deployed: dict[str, Any]) -> dict[str, Any]:
    return dict(deployed)


class FakeEcs:
    """DescribeServices as ECS answers it (ECS API Reference: Service, Deployment.rolloutState)."""

    def __init__(self, desired: int, running: int, pending: int = 0, rollout: str = "COMPLETED",
                 reason: str = "") -> None:
        self.answer = {"services": [{
            "serviceName": "pre-tasks-service", "desiredCount": desired, "runningCount": running,
            "pendingCount": pending,
            "deployments": [
                {"status": "ACTIVE", "rolloutState": "COMPLETED"},
                {"status": "PRIMARY", "rolloutState": rollout, "rolloutStateReason": reason},
            ],
        }]}
        self.asked: list[dict[str, Any]] = []

    def describe_services(self, **request: Any) -> dict[str, Any]:
        self.asked.append(request)
        return self.answer


def _with_ecs(ecs: FakeEcs) -> Any:
    """boto3.Session, except that the ECS client is the fake (every other call still goes to moto)."""

    class Session(boto3.Session):
        def client(self, service: str, *args: Any, **kwargs: Any) -> Any:
            return ecs if service == "ecs" else super().client(service, *args, **kwargs)

    return Session


def _status(argv: list[str], outputs: dict[str, Any] | None, *, fetch_answer: int = 200, **kwargs: Any
            ) -> tuple[int, str, list[str]]:
    fetched: list[str] = []

    def fetch(url: str, timeout: float) -> int:
        fetched.append(url)
        return fetch_answer

    svc, _ = services(outputs, fetch=fetch)
    args = build_parser(THREE).parse_args(["status", *argv, "--allow-local-backend"])
    code = status.run(args, svc, **kwargs)
    return code, svc.stdout.getvalue(), fetched  # type: ignore[attr-defined]


def _checks(text: str) -> dict[str, tuple[str, str]]:
    document = json.loads(text)
    return {c["check"]: (c["state"], c["detail"]) for c in document["environments"][0]["checks"]}


def test_a_healthy_environment_exits_0_with_every_check(outputs: dict[str, Any]) -> None:
    ecs = FakeEcs(desired=1, running=1)
    code, out, fetched = _status(["pre", "--json"], outputs, session_factory=_with_ecs(ecs))
    assert code == EXIT_OK, out
    checks = _checks(out)
    assert checks == {
        "service": ("ok", "desired 1, running 1, pending 0; last deployment COMPLETED"),
        "targets": ("ok", "1 healthy"),
        "database": ("ok", "available, paused (0 ACU) (min 0.0, max 4.0 ACU)"),
        "api": ("ok", f"health route answers 200 ({HEALTH})"),
        "users": ("ok", "2 users (estimated) in tasks-pre-users"),
        "frontend": ("info", "https://pre.app.example/"),
    }
    assert ecs.asked == [{"cluster": "pre-tasks-cluster", "services": ["pre-tasks-service"]}]
    assert fetched == [HEALTH]
    document = json.loads(out)
    assert document["healthy"] is True
    assert document["environments"][0]["accounts"] == (
        f"workloadAccount sandbox ({account_id('sandbox')}), "
        f"identityAccount idp-pre ({account_id('idp-pre')})"
    )


def test_moto_service_still_rolling_out_makes_the_exit_code_1(outputs: dict[str, Any]) -> None:
    outputs.update(target_group_arn=outputs["_empty_target_group_arn"], db_cluster_identifier="pre-busy-db")
    code, out, _ = _status(["pre"], outputs)  # moto's own ECS: its task never starts
    assert code == EXIT_FAILED
    lines = [line.split() for line in out.splitlines()]
    assert lines[0][:2] == ["==", "pre:"]
    by_check = {line[1]: line for line in lines[1:] if len(line) > 1 and line[0] in ("ok", "FAIL", "info")}
    assert by_check["service"][0] == "FAIL" and "IN_PROGRESS;" in by_check["service"]
    assert by_check["targets"][:3] == ["FAIL", "targets", "no"]
    assert by_check["database"][:5] == ["ok", "database", "available,", "1.5", "ACU"]
    assert out.rstrip().endswith("NOT HEALTHY")


def test_a_failed_rollout_and_unhealthy_targets_fail(outputs: dict[str, Any]) -> None:
    ecs = FakeEcs(desired=2, running=1, rollout="FAILED", reason="circuit breaker triggered")
    code, out, _ = _status(["pre", "--json"], outputs, session_factory=_with_ecs(ecs), fetch_answer=503)
    assert code == EXIT_FAILED
    checks = _checks(out)
    assert checks["service"] == ("FAIL", "desired 2, running 1, pending 0; last deployment FAILED circuit "
                                         "breaker triggered")
    assert checks["api"] == ("FAIL", f"health route gave HTTP 503, expected 200 ({HEALTH})")
    assert json.loads(out)["healthy"] is False


def test_a_service_at_zero_is_sleeping_only_inside_its_sleep_window(outputs: dict[str, Any]) -> None:
    outputs.update(target_group_arn=outputs["_empty_target_group_arn"])
    asked: list[tuple[str, datetime]] = []

    def asleep(stack: str, outs: Any, now: datetime) -> bool:
        asked.append((stack, now))
        return outs is not None

    moment = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    ecs = FakeEcs(desired=0, running=0)
    code, out, _ = _status(["pre", "--json"], outputs, session_factory=_with_ecs(ecs), fetch_answer=503,
                           asleep=asleep, clock=lambda: moment)
    assert code == EXIT_OK
    checks = _checks(out)
    assert [checks[name][0] for name in ("service", "targets", "api")] == ["sleeping"] * 3
    assert asked == [("pre", moment)]

    code, out, _ = _status(["pre", "--json"], outputs, session_factory=_with_ecs(ecs), fetch_answer=503)
    assert code == EXIT_FAILED
    assert _checks(out)["service"] == (
        "FAIL", "desired 0, running 0, pending 0: scaled to 0 tasks outside any sleep window"
    )


def test_by_default_the_exported_schedule_decides_whether_zero_tasks_is_sleeping(
    outputs: dict[str, Any],
) -> None:
    """pre exports its schedule (08:00-20:00 MON-FRI, America/Guayaquil = UTC-5): 0 tasks at 03:00 local
    is sleeping; at 10:00 local on a Tuesday it is a failure."""
    outputs["service_schedule"] = {"timezone": "America/Guayaquil", "awake": "08:00-20:00", "days": "MON-FRI"}
    ecs = FakeEcs(desired=0, running=0)
    night = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # Tuesday 03:00 in Guayaquil
    code, out, _ = _status(["pre", "--json"], outputs, session_factory=_with_ecs(ecs), clock=lambda: night)
    assert _checks(out)["service"][0] == "sleeping"
    day = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Tuesday 10:00 in Guayaquil
    code, out, _ = _status(["pre", "--json"], outputs, session_factory=_with_ecs(ecs), clock=lambda: day)
    assert code == EXIT_FAILED
    assert _checks(out)["service"][0] == "FAIL"


def test_progress_names_each_check_on_stderr_as_it_runs(outputs: dict[str, Any]) -> None:
    """Plain progress lines off a terminal (CI), on stderr so that stdout (and --json) stays the report."""
    svc, _ = services(outputs, fetch=lambda url, timeout: 200)
    args = build_parser(THREE).parse_args(["status", "pre", "--json", "--allow-local-backend"])
    status.run(args, svc, session_factory=_with_ecs(FakeEcs(1, 1)))
    lines = svc.stderr.getvalue().splitlines()  # type: ignore[attr-defined]
    assert [line.split(" (")[0] for line in lines] == [
        "pre: reading the service", "pre: reading the targets", "pre: reading the database",
        "pre: reading the users",
    ]
    json.loads(svc.stdout.getvalue())  # type: ignore[attr-defined]


def test_every_environment_by_default_and_one_not_deployed(outputs: dict[str, Any]) -> None:
    code, out, _ = _status(["--json"], outputs, session_factory=_with_ecs(FakeEcs(1, 1)))
    assert code == EXIT_FAILED
    document = json.loads(out)
    assert [e["stack"] for e in document["environments"]] == ["pre", "prod"]
    assert document["environments"][0]["healthy"] is True
    prod = document["environments"][1]
    assert prod["healthy"] is False and prod["checks"] == []
    assert prod["error"].startswith("stack prod does not exist in the backend")


def test_the_environments_are_those_of_the_stack_table_the_cli_was_given(outputs: dict[str, Any]) -> None:
    svc, _ = services(outputs, fetch=lambda url, timeout: 200, stacks=table(("pre", 10)))
    args = build_parser(THREE).parse_args(["status", "--json", "--allow-local-backend"])
    code = status.run(args, svc, session_factory=_with_ecs(FakeEcs(1, 1)))
    document = json.loads(svc.stdout.getvalue())  # type: ignore[attr-defined]
    assert code == EXIT_OK and [e["stack"] for e in document["environments"]] == ["pre"]


def test_older_outputs_name_what_is_missing(deployed: dict[str, Any]) -> None:
    code, out, _ = _status(["pre"], {"api_url": "https://api.pre.example"})
    assert code == EXIT_FAILED
    assert "error: stack pre does not export ecs_cluster_name, ecs_service_name, target_group_arn" in out


def test_an_aws_error_in_one_check_is_a_failed_line_not_a_crash(outputs: dict[str, Any]) -> None:
    outputs.update(db_cluster_identifier="gone-db")
    code, out, _ = _status(["pre", "--json"], outputs, session_factory=_with_ecs(FakeEcs(1, 1)))
    assert code == EXIT_FAILED
    state, detail = _checks(out)["database"]
    assert state == "FAIL"
    assert detail.startswith(
        f"cannot read the database in workloadAccount sandbox ({account_id('sandbox')}): "
        "DBClusterNotFoundFault"
    )


def test_status_through_the_cli_accepts_only_environments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["status", "org"])
    assert raised.value.code == 2
    assert "invalid choice: 'org'" in capsys.readouterr().err
    assert REGION == "us-east-1"


def test_expired_sso_credentials_exit_3_and_name_the_login(
    deployed: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import botocore.exceptions

    monkeypatch.setenv("AWS_PROFILE", "management-admin")

    class Expired:
        def __init__(self, **kwargs: Any) -> None:
            pass

        def client(self, service: str) -> Any:
            raise botocore.exceptions.UnauthorizedSSOTokenError()

    code, out, fetched = _status(["pre", "--json"], dict(deployed), session_factory=Expired)
    assert code == EXIT_SETUP
    environment = json.loads(out)["environments"][0]
    assert environment["error"].endswith("run `aws sso login --profile management-admin`")
    assert fetched == []
