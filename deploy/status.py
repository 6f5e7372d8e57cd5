"""``python -m deploy status [ENV]``: is a deployed environment healthy? One screen per environment.

What is read (each name from the stack's outputs, each call through the environment's accounts as
deploy/aws_sessions.py reaches them):

- the ECS service: desired/running/pending tasks and the PRIMARY deployment's ``rolloutState``
  (ECS API Reference, DescribeServices: Deployment.rolloutState COMPLETED | FAILED | IN_PROGRESS);
- the ALB target group's target health (ELBv2 DescribeTargetHealth: TargetHealth.State);
- the Aurora cluster's ``Status`` (RDS DescribeDBClusters) and its current capacity, the CloudWatch
  metric ``AWS/RDS ServerlessDatabaseCapacity`` per ``DBClusterIdentifier`` (Aurora User Guide,
  "Important Amazon CloudWatch metrics for Aurora Serverless v2"; "Scaling to Zero ACUs with automatic
  pause and resume": a paused instance runs at 0 ACUs, shown as paused; no datapoint: shown as unknown);
- the HTTP API's health route answering 200 (deploy/smoke.py's GET);
- the Cognito user pool's ``EstimatedNumberOfUsers`` (DescribeUserPool);
- the frontend URL (shown, not probed).

Exit code 0 only when every environment asked for is healthy. A service scaled to 0 tasks is
"sleeping", not unhealthy, when ``asleep(stack, outputs, now)`` says the environment is inside its
sleep window (the scheduled sleep of ``pre`` plugs in there; the default never sleeps).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from deploy import aws_sessions, smoke, stacks
from deploy.progress import StatusLine, interactive
from deploy.runner import EXIT_FAILED, EXIT_OK, DeployError, SetupError
from deploy.services import Services, check_backend, make_runner

HELP = "health of deployed environments: tasks, targets, database, API, users, frontend URL"
OK, SLEEPING, FAIL, INFO = "ok", "sleeping", "FAIL", "info"
HEALTHY_STATES = (OK, SLEEPING, INFO)
REQUIRED_OUTPUTS = (
    "ecs_cluster_name", "ecs_service_name", "target_group_arn", "db_cluster_identifier", "user_pool_id",
    "api_url", "frontend_url",
)
# DB cluster states in which the cluster serves connections (RDS User Guide, "Viewing DB cluster status").
DB_SERVING = ("available", "backing-up", "backtracking", "maintenance", "modifying")
CAPACITY_WINDOW = timedelta(minutes=10)

SleepHook = Callable[[str, Mapping[str, Any], datetime], bool]  # (stack, outputs, now) -> inside sleep window


def never_asleep(stack: str, outputs: Mapping[str, Any], now: datetime) -> bool:
    return False


def scheduled_asleep(stack: str, outputs: Mapping[str, Any], now: datetime) -> bool:
    """Outside the awake hours of the schedule the stack exports (``service_schedule``; none: awake),
    the same reading the smoke check uses (deploy/smoke.py ``is_awake``)."""
    schedule = outputs.get("service_schedule")
    return isinstance(schedule, Mapping) and bool(schedule) and not smoke.is_awake(schedule, now)


@dataclass
class Item:
    check: str
    state: str
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "state": self.state, "detail": self.detail}


@dataclass
class EnvironmentStatus:
    stack: str
    items: list[Item] = field(default_factory=list)
    error: str | None = None
    exit_code: int = EXIT_OK  # of the error, when there is one
    accounts: str = ""
    # Told which check runs next (the status line in a terminal); not part of the result.
    progress: Callable[[str], None] = field(default=lambda text: None, repr=False, compare=False)

    @property
    def healthy(self) -> bool:
        return self.error is None and all(item.state in HEALTHY_STATES for item in self.items)

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "healthy": self.healthy, "error": self.error, "accounts": self.accounts,
                "checks": [item.to_json() for item in self.items]}


# --------------------------------------------------------------------------------------------
# The checks: each takes a client (moto or a fake in the tests) and returns one Item
# --------------------------------------------------------------------------------------------


def service_item(ecs: Any, cluster: str, service: str, asleep: bool) -> Item:
    found = ecs.describe_services(cluster=cluster, services=[service]).get("services", [])
    if not found:
        return Item("service", FAIL, f"ECS service {service} not found in cluster {cluster}")
    svc = found[0]
    desired, running, pending = (int(svc.get(k, 0)) for k in ("desiredCount", "runningCount", "pendingCount"))
    deployments = svc.get("deployments", [])
    primary: dict[str, Any] = next((d for d in deployments if d.get("status") == "PRIMARY"), {})
    rollout = primary.get("rolloutState")
    counts = f"desired {desired}, running {running}, pending {pending}"
    detail = counts + (f"; last deployment {rollout}" if rollout else "")
    if desired == 0:
        if asleep:
            return Item("service", SLEEPING, f"{counts}: scaled to 0 inside its sleep window")
        return Item("service", FAIL, f"{counts}: scaled to 0 tasks outside any sleep window")
    if rollout == "FAILED":
        reason = primary.get("rolloutStateReason") or ""
        return Item("service", FAIL, f"{detail} {reason}".strip())
    if running == desired and pending == 0 and rollout in (None, "COMPLETED"):
        return Item("service", OK, detail)
    return Item("service", FAIL, detail + ("" if running == desired else "; tasks not all running"))


def targets_item(elbv2: Any, target_group_arn: str, asleep: bool) -> Item:
    answer = elbv2.describe_target_health(TargetGroupArn=target_group_arn)
    described = answer.get("TargetHealthDescriptions", [])
    states: dict[str, int] = {}
    reasons: set[str] = set()
    for target in described:
        health = target.get("TargetHealth", {})
        state = str(health.get("State", "unknown"))
        states[state] = states.get(state, 0) + 1
        if state != "healthy" and health.get("Reason"):
            reasons.add(str(health["Reason"]))
    detail = ", ".join(f"{count} {state}" for state, count in sorted(states.items())) or "no targets"
    if reasons:
        detail += f" ({', '.join(sorted(reasons))})"
    if not described and asleep:
        return Item("targets", SLEEPING, "no targets while the service sleeps")
    bad = sum(count for state, count in states.items() if state not in ("healthy", "draining"))
    return Item("targets", OK if states.get("healthy") and not bad else FAIL, detail)


def database_item(rds: Any, cloudwatch: Any, cluster_id: str, now: datetime) -> Item:
    clusters = rds.describe_db_clusters(DBClusterIdentifier=cluster_id).get("DBClusters", [])
    if not clusters:
        return Item("database", FAIL, f"Aurora cluster {cluster_id} not found")
    cluster = clusters[0]
    status = str(cluster.get("Status", "unknown"))
    scaling = cluster.get("ServerlessV2ScalingConfiguration") or {}
    bounds = f" (min {scaling.get('MinCapacity')}, max {scaling.get('MaxCapacity')} ACU)" if scaling else ""
    capacity = _current_capacity(cloudwatch, cluster_id, now)
    if capacity is None:
        shown = "capacity unknown (no ServerlessDatabaseCapacity datapoint in the last 10 minutes)"
    elif capacity == 0:
        shown = "paused (0 ACU)"
    else:
        shown = f"{capacity:g} ACU"
    return Item("database", OK if status in DB_SERVING else FAIL, f"{status}, {shown}{bounds}")


def _current_capacity(cloudwatch: Any, cluster_id: str, now: datetime) -> float | None:
    answer = cloudwatch.get_metric_statistics(
        Namespace="AWS/RDS", MetricName="ServerlessDatabaseCapacity",
        Dimensions=[{"Name": "DBClusterIdentifier", "Value": cluster_id}],
        StartTime=now - CAPACITY_WINDOW, EndTime=now, Period=60, Statistics=["Average"],
    )
    points = sorted(answer.get("Datapoints", []), key=lambda point: point["Timestamp"])
    return float(points[-1]["Average"]) if points else None


def api_item(fetch: smoke.Fetch, outputs: Mapping[str, Any], asleep: bool, timeout: float = 10.0) -> Item:
    url = str(outputs.get("health_url") or str(outputs["api_url"]).rstrip("/") + smoke.HEALTH_PATH)
    try:
        answer: int | str = fetch(url, timeout)
    except (OSError, ValueError) as error:
        answer = f"no answer ({error})"
    if answer == 200:
        return Item("api", OK, f"health route answers 200 ({url})")
    if asleep:
        return Item("api", SLEEPING, f"health route gave {answer} while the service sleeps ({url})")
    shown = f"HTTP {answer}" if isinstance(answer, int) else answer
    return Item("api", FAIL, f"health route gave {shown}, expected 200 ({url})")


def users_item(cognito: Any, user_pool_id: str) -> Item:
    pool = cognito.describe_user_pool(UserPoolId=user_pool_id)["UserPool"]
    count = int(pool.get("EstimatedNumberOfUsers", 0))
    plural = "" if count == 1 else "s"
    return Item("users", OK, f"{count} user{plural} (estimated) in {pool.get('Name', user_pool_id)}")


# --------------------------------------------------------------------------------------------
# One environment
# --------------------------------------------------------------------------------------------


def environment_status(
    stack: str,
    outputs: Mapping[str, Any],
    access: aws_sessions.EnvironmentAccess,
    *,
    fetch: smoke.Fetch,
    now: datetime,
    asleep_hook: SleepHook = never_asleep,
    progress: Callable[[str], None] = lambda text: None,
) -> EnvironmentStatus:
    result = EnvironmentStatus(stack, accounts=_accounts(access))
    result.progress = progress
    workload, identity = access.workload, access.identity
    asleep = asleep_hook(stack, outputs, now)
    service = _checked(result, "service", workload, lambda: service_item(
        workload.client("ecs"), str(outputs["ecs_cluster_name"]), str(outputs["ecs_service_name"]), asleep))
    # Targets and API may only sleep when the service itself does.
    sleeping = service is not None and service.state == SLEEPING
    _checked(result, "targets", workload, lambda: targets_item(
        workload.client("elbv2"), str(outputs["target_group_arn"]), sleeping))
    _checked(result, "database", workload, lambda: database_item(
        workload.client("rds"), workload.client("cloudwatch"), str(outputs["db_cluster_identifier"]), now))
    result.items.append(api_item(fetch, outputs, sleeping))
    _checked(result, "users", identity, lambda: users_item(
        identity.client("cognito-idp"), str(outputs["user_pool_id"])))
    result.items.append(Item("frontend", INFO, str(outputs["frontend_url"])))
    return result


def _checked(
    result: EnvironmentStatus, name: str, account: aws_sessions.AccountSession, check: Callable[[], Item]
) -> Item | None:
    """Run one check; an AWS error becomes a FAIL line (credentials problems stop the environment)."""
    result.progress(f"{result.stack}: reading the {name} ({account.account_key})")
    try:
        with aws_sessions.explained(account, f"read the {name}"):
            item = check()
    except SetupError:
        raise
    except DeployError as error:
        item = Item(name, FAIL, str(error))
    result.items.append(item)
    return item


def _accounts(access: aws_sessions.EnvironmentAccess) -> str:
    return ", ".join(
        f"{a.config_key} {a.account_key} ({a.account_id})" for a in (access.workload, access.identity)
    )


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser, environments: Sequence[str]) -> None:
    """``environments``: the environment stacks of the driver's stack table, in deploy order."""

    def _environment(name: str) -> str:
        # Not `choices`: with nargs="*", argparse checks the empty default against them (Python 3.11).
        if name not in environments:
            known = ", ".join(environments)
            raise argparse.ArgumentTypeError(f"invalid choice: '{name}' (choose from {known})")
        return name

    parser.add_argument("envs", metavar="ENV", nargs="*", type=_environment,
                        help=f"one or more of {', '.join(environments)} (default: all)")
    parser.add_argument("--json", dest="json_out", action="store_true",
                        help="print one JSON document instead of the screens (for scripts)")
    parser.add_argument("--allow-local-backend", action="store_true",
                        help="with CI set, read a local file state backend anyway")


def run(
    args: argparse.Namespace,
    services: Services,
    *,
    session_factory: aws_sessions.SessionFactory | None = None,
    asleep: SleepHook = scheduled_asleep,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    check_backend(services, args)
    runner = make_runner(services, args)
    fetch = services.fetch or smoke.http_status
    factory = aws_sessions.session_factory(session_factory)
    org_outputs: dict[str, Any] | None = None
    results: list[EnvironmentStatus] = []
    # Progress on stderr: a status line redrawn in a terminal, plain lines in CI (deploy/progress.py).
    line = StatusLine(services.stderr) if interactive(services.stderr) else None
    progress = line.show if line is not None else (lambda text: print(text, file=services.stderr))
    for stack in _selected(args.envs, services.stack_table().environments()):
        try:
            settings = aws_sessions.load_environment(stack, services.root)
            outputs = aws_sessions.deployed_outputs(runner, stack, REQUIRED_OUTPUTS)
            if org_outputs is None:
                org_outputs = dict(runner.outputs(stacks.ORG))
            access = aws_sessions.open_environment(stack, settings, org_outputs, factory)
            results.append(environment_status(stack, outputs, access, fetch=fetch, now=clock(),
                                              asleep_hook=asleep, progress=progress))
        except DeployError as error:
            results.append(EnvironmentStatus(stack, error=str(error), exit_code=error.exit_code))
    if line is not None:
        line.clear()
    if args.json_out:
        document = {
            "healthy": all(r.healthy for r in results), "environments": [r.to_json() for r in results]
        }
        print(json.dumps(document, indent=2), file=services.stdout)
    else:
        print("\n\n".join(render(r) for r in results), file=services.stdout)
    if all(r.healthy for r in results):
        return EXIT_OK
    return max([EXIT_FAILED, *(r.exit_code for r in results if r.error)])


def _selected(envs: Sequence[str], environments: Sequence[str]) -> list[str]:
    return [name for name in environments if not envs or name in envs]


def render(result: EnvironmentStatus) -> str:
    lines = [f"== {result.stack}" + (f": {result.accounts}" if result.accounts else "")]
    if result.error:
        lines.append(f"  error: {result.error}")
    width = max((len(item.check) for item in result.items), default=0)
    lines += [f"  {item.state:<9} {item.check:<{width}}  {item.detail}" for item in result.items]
    lines.append(f"  {'healthy' if result.healthy else 'NOT HEALTHY'}")
    return "\n".join(lines)

