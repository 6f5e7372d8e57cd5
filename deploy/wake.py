"""``python -m deploy wake ENV``: start a sleeping environment's service out of hours.

An environment that sleeps (components/tasks_schedule.py) exports ``service_schedule``: its scalable
target's resource id, the configured min/max task counts and the awake hours. ``wake`` registers the
target again with that min and max (RegisterScalableTarget updates an existing target in place and
leaves its scheduled actions alone) and raises the ECS service's desired count to the min so the tasks
start now. It sleeps again at the next scheduled evening: that scheduled action sets min and max to 0,
whatever they are, and the next morning's action restores them as usual.

AWS is reached in the workload account the way the environment's provider reaches it (its
``workloadAccount`` key: a profile, a role, or the org's access role assumed with the caller's
credentials). boto3 is injected (``Services.session_factory``), so this is tested against moto.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import Any

from deploy import aws_sessions, stacks
from deploy.runner import EXIT_OK, DeployError
from deploy.services import Services, check_backend, make_runner

DESCRIPTION = """\
Out of its awake hours, its scalable target gets its configured min/max task counts back and the
service its min as desired count, so the tasks start now. It sleeps again at the next scheduled
evening, when the evening's scheduled action sets min and max to 0. AWS is reached in
the environment's workload account as its provider reaches it (workloadAccount: profile, role, or the
org's access role). An environment without a sleep schedule has nothing to wake.
"""
SCHEDULE_OUTPUT = "service_schedule"

Emit = Callable[[str], None]


def add_arguments(parser: argparse.ArgumentParser, table: stacks.StackTable) -> None:
    environments = table.environments()
    parser.add_argument("environment", choices=environments, metavar="ENV",
                        help=f"the environment to wake: {', '.join(environments)}")
    parser.add_argument(
        "--allow-local-backend", action="store_true",
        help="with CI set, use a local file state backend anyway; also DEPLOY_ALLOW_LOCAL_BACKEND=1",
    )


def wake_service(schedule: Mapping[str, Any], autoscaling: Any, ecs: Any) -> tuple[int, int]:
    """Raise the scalable target to its configured min/max and the service's desired count to the min.

    Returns (desired count before, desired count now)."""
    resource_id = str(schedule["resource_id"])
    minimum, maximum = int(schedule["min_count"]), int(schedule["max_count"])
    prefix, cluster, service = resource_id.split("/")
    if prefix != "service":
        raise DeployError(f"'{resource_id}' is not an ECS service's scalable target (service/<cluster>/<x>)")
    autoscaling.register_scalable_target(
        ServiceNamespace="ecs", ScalableDimension="ecs:service:DesiredCount", ResourceId=resource_id,
        MinCapacity=minimum, MaxCapacity=maximum,
    )
    found = ecs.describe_services(cluster=cluster, services=[service]).get("services") or []
    if not found:
        raise DeployError(f"ECS service {service} is not in cluster {cluster}")
    before = int(found[0].get("desiredCount") or 0)
    if before < minimum:  # Application Auto Scaling would raise it too; this starts the tasks now
        ecs.update_service(cluster=cluster, service=service, desiredCount=minimum)
    return before, max(before, minimum)


def workload_account(stack: str, runner: Any, services: Services) -> aws_sessions.AccountSession:
    """The environment's workload account, reached as its provider reaches it and as ``status`` and
    ``logs`` reach it (deploy/aws_sessions.py): a profile, a role, or the org's access role."""
    settings = aws_sessions.load_environment(stack, services.root)
    factory = aws_sessions.session_factory(services.session_factory)
    return aws_sessions.open_environment(stack, settings, runner.outputs(stacks.ORG), factory).workload



def desired_tasks_reader(runner: Any, services: Services) -> Callable[[str, Mapping[str, Any]], int | None]:
    """For the smoke check (deploy/smoke.py): the service's desired task count, None when unreadable."""

    def read(stack: str, outputs: Mapping[str, Any]) -> int | None:
        try:
            _prefix, cluster, service = str(outputs[SCHEDULE_OUTPUT]["resource_id"]).split("/")
            found = workload_account(stack, runner, services).client("ecs").describe_services(
                cluster=cluster, services=[service])["services"]
            return int(found[0]["desiredCount"])
        except Exception:  # unknown: the smoke check then probes as usual
            return None

    return read


def run(args: argparse.Namespace, services: Services) -> int:
    stack = args.environment
    check_backend(services, args)
    runner = make_runner(services, args)
    schedule = runner.outputs(stack).get(SCHEDULE_OUTPUT)
    if not schedule:
        print(f"{stack}: no sleep schedule (no {SCHEDULE_OUTPUT} output): it never sleeps, nothing to wake",
              file=services.stdout)
        return EXIT_OK
    workload = workload_account(stack, runner, services)
    with aws_sessions.explained(workload, "wake the service"):
        before, now = wake_service(
            schedule, workload.client("application-autoscaling"), workload.client("ecs"))
    end = str(schedule.get("awake", "")).split("-")[-1]
    print(f"{stack}: awake: {schedule['resource_id']} min {schedule['min_count']} / max "
          f"{schedule['max_count']}, desired count {before} -> {now}. It sleeps again at the next scheduled "
          f"evening ({end} {schedule.get('days', '')} {schedule.get('timezone', '')}), when the scheduled "
          "action sets min and max to 0.", file=services.stdout)
    return EXIT_OK
