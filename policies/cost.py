"""The idle monthly cost estimate of a stack (list prices in ``policies/prices.json``) and the advisory
rule that compares it with a threshold.

Two figures: always on (every hourly price x hoursPerMonth) and, for a service that sleeps on a schedule
(policies/cost_schedule.py), scheduled: what runs only while tasks run (Fargate, the tasks' public IPv4
addresses, and Aurora's 0.5 ACU minimum, because the Tasks image's clustered Quartz scheduler on JDBC
keeps connections open, so an auto-pausing cluster never pauses while a task runs) is billed for the
awake hours only, plus Aurora's auto-pause delay after each evening's scale-in.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi_policy import PolicyResource

from policies.cost_schedule import HOURS_PER_WEEK, SCHEDULED_ACTION, AwakeSchedule, awake_schedule
from policies.cost_security import security_lines
from policies.rules.base import (
    AUTOSCALING_TARGET,
    AWSX_VPC,
    ECS_SERVICE,
    ELASTIC_IP,
    KMS_KEY,
    LOAD_BALANCERS,
    NAT_GATEWAY,
    RDS_CLUSTER,
    RDS_CLUSTER_INSTANCE,
    SECRET,
    TASK_DEFINITION,
    Context,
    Props,
    StackFinding,
    StackIndex,
    _first,
    _get,
    _internet_facing,
    _is_list,
    _items,
    _known,
    _number,
)

PRICES_FILE = Path(__file__).resolve().parent / "prices.json"
# Aurora Serverless v2's lowest capacity while not paused, and its default auto-pause delay
# (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2-auto-pause.html).
AURORA_RUNNING_MIN_ACU = 0.5
AURORA_DEFAULT_PAUSE_SECONDS = 300
# Accounts the organization-wide services cover when the policy config does not say: AWS's default quota.
DEFAULT_ORGANIZATION_ACCOUNTS = 10


# --- Cost --------------------------------------------------------------------------------------


@functools.cache
def load_prices(path: Path = PRICES_FILE) -> Mapping[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class CostLine:
    item: str
    quantity: float
    unit: str
    monthly_usd: float  # always on
    hourly_usd: float = 0.0  # 0 for monthly prices
    running: bool = False  # billed only while the service's tasks run (see the module docstring)


@dataclass(frozen=True)
class CostEstimate:
    """The idle monthly cost of a stack: what it costs with no traffic at all."""

    lines: tuple[CostLine, ...]
    currency: str
    region: str
    usage_based: tuple[str, ...] = ()  # what the stack is billed for by use, not counted here
    schedule: AwakeSchedule | None = None  # the service sleeps out of hours
    hours_per_month: float = 730.0
    aurora_pause_seconds: float = 0.0  # Aurora's auto-pause delay after the tasks stop
    assumptions: tuple[str, ...] = ()  # the volumes the usage-priced lines assume (policies/cost_security.py)

    @property
    def total(self) -> float:
        """Always on: every line for the whole month."""
        return round(sum(line.monthly_usd for line in self.lines), 2)

    @property
    def fixed(self) -> float:
        return round(sum(line.monthly_usd for line in self.lines if not line.running), 2)

    @property
    def running_hourly(self) -> float:
        return sum(line.hourly_usd for line in self.lines if line.running)

    @property
    def awake_hours_per_month(self) -> float:
        if not self.schedule:
            return 0.0
        return self.schedule.awake_hours_per_week * self.hours_per_month / HOURS_PER_WEEK

    @property
    def pause_delay_hours_per_month(self) -> float:
        if not self.schedule:
            return 0.0
        weekly = self.schedule.evenings_per_week * self.aurora_pause_seconds / 3600
        return weekly * self.hours_per_month / HOURS_PER_WEEK

    @property
    def aurora_running_hourly(self) -> float:
        return sum(line.hourly_usd for line in self.lines if line.running and line.item.startswith("Aurora"))

    @property
    def scheduled_total(self) -> float | None:
        """With the schedule: fixed + running x awake hours + Aurora x its auto-pause delay; None without."""
        if not self.schedule:
            return None
        return round(self.fixed + self.running_hourly * self.awake_hours_per_month
                     + self.aurora_running_hourly * self.pause_delay_hours_per_month, 2)

    @property
    def expected(self) -> float:
        """What the stack is expected to cost: the scheduled figure when it sleeps, else always on."""
        scheduled = self.scheduled_total
        return self.total if scheduled is None else scheduled

    def summary(self) -> str:
        parts = [f"{line.item} {line.quantity:g} {line.unit} ${line.monthly_usd:.2f}" for line in self.lines]
        usage = f"; not counted (usage-based): {'; '.join(self.usage_based)}" if self.usage_based else ""
        assumed = f"; assumed: {'; '.join(self.assumptions)}" if self.assumptions else ""
        text = f"${self.total:.2f}/month ({'; '.join(parts) or 'nothing billed while idle'}){usage}{assumed}"
        scheduled = self.scheduled_summary()
        return f"always on {text}; {scheduled}" if scheduled else text

    def scheduled_summary(self) -> str | None:
        """The scheduled figure with its arithmetic, or None without a schedule."""
        if self.schedule is None or self.scheduled_total is None:
            return None
        week = self.schedule.awake_hours_per_week
        pause = ""
        if self.aurora_running_hourly and self.aurora_pause_seconds:
            pause = (f" + Aurora ${self.aurora_running_hourly:g}/h x "
                     f"{self.pause_delay_hours_per_month:.1f} h "
                     f"auto-pause delay ({self.aurora_pause_seconds:g} s after each of "
                     f"{self.schedule.evenings_per_week} evenings a week)")
        return (f"scheduled (awake {self.schedule.description}): ${self.scheduled_total:.2f}/month = "
                f"${self.fixed:.2f} always billed + ${self.running_hourly:g}/h while tasks run x "
                f"{self.awake_hours_per_month:.1f} h "
                f"({week:g} h/week x {self.hours_per_month:g}/{HOURS_PER_WEEK})"
                f"{pause}")


def estimate_idle_cost(resources: Sequence[PolicyResource], prices: Mapping[str, Any] | None = None,
                       organization_accounts: int | None = None) -> CostEstimate:
    """Idle monthly cost of NAT gateways, load balancers, Aurora minimum capacity, Fargate tasks, public
    IPv4 addresses, KMS keys and Secrets Manager secrets, from the price table (``policies/prices.json``),
    the security services at an assumed volume for ``organization_accounts`` accounts
    (policies/cost_security.py), and the usage-based charges the stack will also incur (named, not
    counted)."""
    prices = prices or load_prices()
    hourly, hours = prices["hourly"], float(prices["hoursPerMonth"])
    index = StackIndex(resources)
    lines: list[CostLine] = []

    def add(item: str, quantity: float, unit: str, price: float, running: bool = False) -> None:
        if quantity:
            lines.append(CostLine(item, quantity, unit, round(quantity * price * hours, 2),
                                  round(quantity * price, 6), running))

    nat_gateways = [r for r in index.of_type(NAT_GATEWAY)
                    if _known(r.props, "connectivityType") in (None, "public")]
    vpc_nats = sum(_awsx_nat_gateways(vpc, index) for vpc in index.of_type(AWSX_VPC))
    add("NAT gateways", len(nat_gateways) + vpc_nats, "gateway(s)", hourly["natGateway"])

    load_balancers = index.of_type(*LOAD_BALANCERS)
    add("load balancers", len(load_balancers), "load balancer(s)", hourly["loadBalancer"])

    acu = hourly["auroraServerlessV2Acu"]
    minimum, pausing = _aurora_min_acus(index)
    add("Aurora Serverless v2 minimum", minimum, "ACU", acu)
    tasks = _fargate_tasks(index)
    running_tasks = any(group.count for group in tasks)
    # Tasks hold connections (Quartz on JDBC): a cluster that may pause is up at 0.5 ACU while they run.
    add("Aurora Serverless v2 while tasks hold connections",
        AURORA_RUNNING_MIN_ACU * len(pausing) * running_tasks, "ACU", acu, running=True)
    for group in tasks:
        arch = "Arm64" if group.architecture == "ARM64" else "X86"
        label = "arm64" if arch == "Arm64" else "x86"
        scheduled = group.schedule is not None
        add(f"Fargate {label} vCPU", group.vcpu * group.count, "vCPU",
            hourly[f"fargate{arch}Vcpu"], scheduled)
        add(f"Fargate {label} memory", group.memory_gb * group.count, "GB",
            hourly[f"fargate{arch}Gb"], scheduled)

    public_ips = len(index.of_type(ELASTIC_IP)) + vpc_nats
    for load_balancer in load_balancers:
        if _internet_facing(load_balancer):
            subnets = _items(_known(load_balancer.props, "subnets")) or _items(
                _known(load_balancer.props, "subnetMappings"))
            public_ips += max(len(subnets), 2)  # one address per AZ; at least two AZs
    add("public IPv4 addresses", public_ips, "address(es)", hourly["publicIpv4Address"])
    task_ips = [group for group in tasks if group.public_ip]
    for scheduled in (False, True):
        count = sum(group.count for group in task_ips if (group.schedule is not None) == scheduled)
        add("tasks' public IPv4 addresses", count, "address(es)", hourly["publicIpv4Address"], scheduled)
    monthly = prices.get("monthly", {})
    for item, kind, unit, price in (("KMS keys", KMS_KEY, "key(s)", "kmsKey"),
                                    ("Secrets Manager secrets", SECRET, "secret(s)", "secretsManagerSecret")):
        count = len(index.of_type(kind))
        if count and price in monthly:
            lines.append(CostLine(item, count, unit, round(count * float(monthly[price]), 2)))
    accounts = organization_accounts or DEFAULT_ORGANIZATION_ACCOUNTS
    security = security_lines(index, prices, accounts)
    lines += [CostLine(line.item, line.quantity, line.unit, line.monthly_usd) for line in security.lines]
    usage = prices.get("usageBased", {})
    # A bucket whose storage a line counts is not named as usage (its requests stay small: log delivery).
    present = {kind for kind in usage
               if any(r.urn not in security.stored_buckets for r in index.of_type(kind))}
    if len(nat_gateways) + vpc_nats:
        present.add("natGateways")
    schedules = {group.schedule for group in tasks if group.schedule is not None}
    schedule = next(iter(schedules)) if len(schedules) == 1 else None
    if len(schedules) > 1:  # several services on different schedules: count them as always on
        lines = [CostLine(line.item, line.quantity, line.unit, line.monthly_usd, line.hourly_usd)
                 for line in lines]
    elif schedule is None:  # nothing sleeps: Aurora is up whenever the tasks are, i.e. always
        lines = [CostLine(line.item, line.quantity, line.unit, line.monthly_usd, line.hourly_usd)
                 if line.running else line for line in lines]
    return CostEstimate(tuple(lines), str(prices.get("currency", "USD")), str(prices.get("region", "")),
                        (*(usage[kind] for kind in usage if kind in present), *security.usage), schedule,
                        hours, max(pausing, default=0.0), tuple(security.assumptions))


def _awsx_nat_gateways(vpc: PolicyResource, index: StackIndex) -> int:
    """NAT gateways an awsx VPC will create, from its inputs, unless its children are visible."""
    if any(index.descends_from(nat, vpc) for nat in index.of_type(NAT_GATEWAY)):
        return 0
    nat = _known(vpc.props, "natGateways")
    if _is_list(nat):  # the component's output: the gateways themselves
        return len(nat)
    strategy = _get(nat, "strategy") or "OnePerAz"
    if strategy == "None":
        return 0
    if strategy == "Single":
        return 1
    zones = _items(_known(vpc.props, "availabilityZoneNames"))
    return len(zones) or int(_number(_known(vpc.props, "numberOfAvailabilityZones")) or 3)


def _aurora_min_acus(index: StackIndex) -> tuple[float, list[float]]:
    """The configured minimum ACUs of the serverless writers and readers, and the auto-pause delay (s) of
    each one whose minimum is 0 (it pauses when no connection is open)."""
    clusters = [c for c in index.of_type(RDS_CLUSTER) if _is_aurora_state(c.props)]
    total = 0.0
    pausing: list[float] = []
    for instance in index.of_type(RDS_CLUSTER_INSTANCE):
        if _known(instance.props, "instanceClass") != "db.serverless":
            continue
        owners = index.referenced(instance, "clusterIdentifier", (RDS_CLUSTER,),
                                  keys=("id", "clusterIdentifier"))
        cluster = _first(owners) or (clusters[0] if len(clusters) == 1 else None)
        if cluster is not None:
            scaling = _get(cluster.props, "serverlessv2ScalingConfiguration")
            minimum = _number(_get(scaling, "minCapacity")) or 0.0
            total += minimum
            if minimum == 0:
                delay = _number(_get(scaling, "secondsUntilAutoPause"))
                pausing.append(delay or AURORA_DEFAULT_PAUSE_SECONDS)
    return total, pausing


def _is_aurora_state(props: Props) -> bool:
    return str(_known(props, "engine") or "").startswith("aurora")


@dataclass(frozen=True)
class FargateTasks:
    """The idle tasks of one Fargate service."""

    architecture: str  # ARM64 or X86_64
    vcpu: float  # per task
    memory_gb: float  # per task
    count: int
    public_ip: bool
    schedule: AwakeSchedule | None = None  # it sleeps out of hours


def _fargate_tasks(index: StackIndex) -> list[FargateTasks]:
    """Each Fargate service's idle task count (autoscaling minimum, else desired count) and size."""
    definitions = index.of_type(TASK_DEFINITION)
    targets = [t for t in index.of_type(AUTOSCALING_TARGET)
               if _known(t.props, "scalableDimension") == "ecs:service:DesiredCount"]
    services = [s for s in index.of_type(ECS_SERVICE) if _known(s.props, "launchType") in (None, "FARGATE")]
    actions = index.of_type(SCHEDULED_ACTION)
    tasks = []
    for service in services:
        found = index.referenced(service, "taskDefinition", (TASK_DEFINITION,), keys=("arn", "id"))
        definition = _first(found) or (definitions[0] if len(definitions) == 1 else None)
        if definition is None:
            continue
        name = str(_known(service.props, "name") or "")
        scaled = [t for t in targets
                  if name and str(_known(t.props, "resourceId") or "").endswith(f"/{name}")]
        if not scaled and len(targets) == 1 and len(services) == 1:
            scaled = targets
        count = _number(_known(scaled[0].props, "minCapacity")) if scaled else None
        if count is None:
            count = _number(_known(service.props, "desiredCount")) or 0
        tasks.append(FargateTasks(
            architecture=str(_get(definition.props, "runtimePlatform", "cpuArchitecture") or "X86_64"),
            vcpu=(_number(_known(definition.props, "cpu")) or 0) / 1024,
            memory_gb=(_number(_known(definition.props, "memory")) or 0) / 1024,
            count=int(count),
            public_ip=_get(service.props, "networkConfiguration", "assignPublicIp") is True,
            schedule=awake_schedule(scaled[0], actions, len(targets) == 1) if scaled and actions else None,
        ))
    return tasks


def idle_cost(resources: Sequence[PolicyResource], ctx: Context) -> Iterator[StackFinding]:
    """Advisory: the stack's estimated idle monthly cost is over the configured threshold (production
    stacks, which run more for availability, have their own)."""
    estimate = estimate_idle_cost(resources, organization_accounts=int(ctx.config["organizationAccounts"]))
    production = ctx.stack in ctx.config["productionStacks"]
    threshold = float(ctx.config["productionMonthlyThresholdUsd" if production else "monthlyThresholdUsd"])
    if estimate.expected > threshold:
        yield (f"estimated idle cost {estimate.summary()} is over the threshold of ${threshold:.2f}/month "
               f"({estimate.region} on-demand prices)"), None
