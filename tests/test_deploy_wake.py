"""``python -m deploy wake ENV`` (deploy/wake.py) against moto's Application Auto Scaling and ECS."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any, cast

import boto3
import pytest
from moto import mock_aws

from deploy.cli import Services, main
from deploy.runner import EXIT_OK, StackRunner
from deploy.wake import wake_service
from tests import operate_support

REGION = "us-east-1"


def org_outputs() -> dict[str, Any]:
    """The org outputs of the tests' frozen stack files: pre's workload account is `sandbox`."""
    return operate_support.org_outputs()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The role wake assumes is in the workload account: moto then serves that account's resources.
    monkeypatch.setenv("MOTO_ACCOUNT_ID", operate_support.account_id("sandbox"))
    for name in ("AWS_PROFILE", "CI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def _sleeping_service() -> dict[str, Any]:
    """An ECS service at 0 tasks whose target the evening action has set to 0/0, as pre is at night."""
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName="pre-tasks-cluster")
    ecs.register_task_definition(family="pre-tasks", containerDefinitions=[
        {"name": "tasks-api", "image": "hiperium/hiperium-city-tasks-api:1.5.0-arm64", "memory": 512}])
    ecs.create_service(cluster="pre-tasks-cluster", serviceName="pre-tasks-service",
                       taskDefinition="pre-tasks", desiredCount=0)
    resource_id = "service/pre-tasks-cluster/pre-tasks-service"
    scaling = boto3.client("application-autoscaling", region_name=REGION)
    target = {"ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount",
              "ResourceId": resource_id}
    scaling.register_scalable_target(**target, MinCapacity=0, MaxCapacity=0)
    scaling.put_scheduled_action(**target, ScheduledActionName="pre-tasks-sleep",
                                 Schedule="cron(0 20 ? * MON-FRI *)", Timezone="America/Guayaquil",
                                 ScalableTargetAction={"MinCapacity": 0, "MaxCapacity": 0})
    return {"timezone": "America/Guayaquil", "awake": "08:00-20:00", "days": "MON-FRI",
            "resource_id": resource_id, "min_count": 1, "max_count": 2}


def _state() -> tuple[tuple[int, int], int, list[str]]:
    scaling = boto3.client("application-autoscaling", region_name=REGION)
    [target] = scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    [service] = boto3.client("ecs", region_name=REGION).describe_services(
        cluster="pre-tasks-cluster", services=["pre-tasks-service"])["services"]
    actions = scaling.describe_scheduled_actions(ServiceNamespace="ecs")["ScheduledActions"]
    return ((target["MinCapacity"], target["MaxCapacity"]), service["desiredCount"],
            [action["ScheduledActionName"] for action in actions])


def test_wake_restores_min_max_and_starts_the_tasks_and_keeps_the_evening_action(aws: None) -> None:
    schedule = _sleeping_service()
    before, now = wake_service(schedule, boto3.client("application-autoscaling", region_name=REGION),
                               boto3.client("ecs", region_name=REGION))
    assert (before, now) == (0, 1)
    # Awake now; the evening action is untouched, so it takes the service to 0 again at 20:00.
    assert _state() == ((1, 2), 1, ["pre-tasks-sleep"])


class Runner:
    def __init__(self, outputs: dict[str, dict[str, Any]]) -> None:
        self.values = outputs

    def outputs(self, stack: str) -> dict[str, Any]:
        return self.values[stack]


def _wake(outputs: dict[str, dict[str, Any]]) -> tuple[int, str]:
    out = io.StringIO()
    services = Services(runner=lambda: cast(StackRunner, Runner(outputs)), session_factory=boto3.Session,
                        stdout=out, stderr=out, root=operate_support.ROOT)
    code = main(["wake", "pre"], services)
    return code, out.getvalue()


def test_the_command_reaches_the_workload_account_and_says_when_it_sleeps_again(aws: None) -> None:
    schedule = _sleeping_service()
    code, text = _wake({"pre": {"service_schedule": schedule}, "org": org_outputs()})
    assert code == EXIT_OK, text
    assert "desired count 0 -> 1" in text
    assert "sleeps again at the next scheduled evening (20:00 MON-FRI America/Guayaquil)" in text
    assert _state()[:2] == ((1, 2), 1)


def test_an_environment_without_a_schedule_has_nothing_to_wake(aws: None) -> None:
    code, text = _wake({"pre": {"api_url": "https://example"}, "org": org_outputs()})
    assert code == EXIT_OK and "it never sleeps, nothing to wake" in text


def test_the_smoke_checks_reader_finds_the_desired_count_in_the_workload_account(aws: None) -> None:
    from deploy.wake import desired_tasks_reader

    schedule = _sleeping_service()
    services = Services(session_factory=boto3.Session)
    read = desired_tasks_reader(Runner({"org": org_outputs()}), services)
    assert read("pre", {"service_schedule": schedule}) == 0
    assert read("pre", {"service_schedule": {**schedule, "resource_id": "service/none/none"}}) is None
