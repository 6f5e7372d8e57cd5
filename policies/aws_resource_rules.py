"""Rules AWS documents that span several inputs of one resource, as small functions per resource type.

Each function takes a resource's inputs (camelCase, as the engine sends them) and yields
``(input path, value, what is wrong, API member)`` for each value AWS would reject. Each cites where
AWS documents the rule. Rules on one member's value alone are data in ``aws_service_rules.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from policies.aws_service_rules import DAY, HHMM, is_list

Value = Any
Finding = tuple[str, Value, str, str]  # (input path, value, what is wrong, API member it breaks)
ResourceRule = Callable[[Mapping[str, Any]], Iterator[Finding]]


def _number(value: Value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def _fargate_units(value: Value, unit: str) -> int | None:
    """ECS task cpu ("256", "1 vCPU") or memory ("512", "1 GB") as cpu units or MiB."""
    text = str(value).strip().lower().replace(" ", "")
    scale = 1024 if text.endswith(unit) else 1
    number = _number(text.removesuffix(unit))
    return int(number * scale) if number is not None else None


# Fargate task sizes: cpu units -> allowed memory (MiB). FACTS.md section 6;
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
FARGATE_TASK_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}


def fargate_task_size(inputs: Mapping[str, Any]) -> Iterator[Finding]:
    """Fargate tasks: cpu and memory form one of the allowed pairs, and the network mode is awsvpc."""
    if "FARGATE" not in list(inputs.get("requiresCompatibilities") or ()):
        return
    member = "RegisterTaskDefinition.memory"
    cpu, memory = inputs.get("cpu"), inputs.get("memory")
    units, mib = _fargate_units(cpu, "vcpu"), _fargate_units(memory, "gb")
    if units not in FARGATE_TASK_SIZES:
        yield "cpu", cpu, f"is not a Fargate task cpu ({', '.join(map(str, FARGATE_TASK_SIZES))})", \
            "RegisterTaskDefinition.cpu"
    elif mib not in FARGATE_TASK_SIZES[units]:
        allowed = FARGATE_TASK_SIZES[units]
        yield "memory", memory, (f"is not allowed with cpu {units} on Fargate ({allowed[0]}..{allowed[-1]} "
                                 f"MiB in steps of {allowed[1] - allowed[0]})"), member
    if inputs.get("networkMode") not in (None, "awsvpc"):
        yield "networkMode", inputs.get("networkMode"), "must be awsvpc on Fargate", \
            "RegisterTaskDefinition.networkMode"


# Health-check defaults by target group protocol (the model's documentation of CreateTargetGroup), and
# AWS's ValidationError "Health check interval must be greater than the timeout" (quoted in
# zalando-incubator/kube-ingress-aws-controller#392; the same check in aws/aws-cdk#29075).
_DEFAULT_INTERVAL = {"GENEVE": 10}
_DEFAULT_TIMEOUT = {"HTTP": 6, "TCP": 10, "TLS": 10, "HTTPS": 10, "GENEVE": 5}


def health_check_timing(inputs: Mapping[str, Any]) -> Iterator[Finding]:
    """A target group's health-check timeout is shorter than its interval (defaults included)."""
    check = _one(inputs.get("healthCheck"))
    if not isinstance(check, Mapping) or check.get("enabled") is False:
        return
    protocol = str(check.get("protocol") or inputs.get("protocol") or "HTTP").upper()
    lambda_target = inputs.get("targetType") == "lambda"
    interval = _number(check.get("interval"))
    timeout = _number(check.get("timeout"))
    if interval is None and timeout is None:
        return
    interval = interval if interval is not None else Decimal(35 if lambda_target else
                                                             _DEFAULT_INTERVAL.get(protocol, 30))
    timeout = timeout if timeout is not None else Decimal(30 if lambda_target else
                                                          _DEFAULT_TIMEOUT.get(protocol, 6))
    if timeout >= interval:
        yield "healthCheck.timeout", check.get("timeout", float(timeout)), \
            f"must be shorter than the health-check interval ({interval} s)", \
            "CreateTargetGroup.HealthCheckTimeoutSeconds"


def _one(value: Value) -> Value:
    """Nested blocks may come as one-element lists."""
    return value[0] if is_list(value) and len(value) == 1 else value


def load_balancer_subnets(inputs: Mapping[str, Any]) -> Iterator[Finding]:
    """Application load balancers span at least two subnets (Availability Zones)."""
    if (inputs.get("loadBalancerType") or "application") != "application":
        return
    subnets: Any = inputs.get("subnets") or inputs.get("subnetMappings")
    if is_list(subnets) and len(subnets) < 2:
        yield "subnets", list(subnets), "must name subnets in at least two Availability Zones for an ALB", \
            "CreateLoadBalancer.Subnets"


# aurora-postgresql versions from which Serverless v2 can scale to 0 ACU (auto-pause), per major, and
# aurora-mysql 3.08.0: https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/
# aurora-serverless-v2.how-it-works.html#aurora-serverless-v2.how-it-works.capacity (FACTS.md section 6).
AUTO_PAUSE_SINCE: dict[str, dict[int, tuple[int, ...]]] = {
    "aurora-postgresql": {13: (15,), 14: (12,), 15: (7,), 16: (3,)},
    "aurora-mysql": {3: (8, 0)},
}


def _version(text: str) -> tuple[int, ...] | None:
    parts = re.findall(r"\d+", text.split(".mysql_aurora.")[-1])
    return tuple(int(part) for part in parts) if parts else None


def aurora_capacity(inputs: Mapping[str, Any]) -> Iterator[Finding]:
    """Serverless v2: minimum at most the maximum; 0 ACU only on engine versions with auto-pause."""
    scaling = _one(inputs.get("serverlessv2ScalingConfiguration"))
    if not isinstance(scaling, Mapping):
        return
    low, high = _number(scaling.get("minCapacity")), _number(scaling.get("maxCapacity"))
    field = "serverlessv2ScalingConfiguration.minCapacity"
    member = "CreateDBCluster.ServerlessV2ScalingConfiguration.MinCapacity"
    if low is not None and high is not None and low > high:
        yield field, scaling.get("minCapacity"), f"is above maxCapacity ({high})", member
    engine, version = str(inputs.get("engine") or ""), _version(str(inputs.get("engineVersion") or ""))
    since = AUTO_PAUSE_SINCE.get(engine, {})
    if low == 0 and since and version:
        first = since.get(version[0])
        newer_major = version[0] > max(since)
        if not newer_major and (first is None or version[1:] < first):
            needed = ", ".join(f"{major}.{'.'.join(map(str, minor))}" for major, minor in since.items())
            found = inputs.get("engineVersion")
            yield field, scaling.get("minCapacity"), \
                f"0 ACU (auto-pause) needs {engine} {needed} or newer, not {found}", member


def _minutes(window: str) -> list[tuple[int, int]]:
    """Minutes of the week a maintenance ('ddd:hh:mm-ddd:hh:mm') or daily backup window covers."""
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    start, end = window.lower().split("-")

    def at(day: int, clock: str) -> int:
        hours, minutes = clock.split(":")[-2:]
        return day * 1440 + int(hours) * 60 + int(minutes)

    if start[:3].isalpha():  # weekly maintenance window
        return [(at(days.index(start[:3]), start[4:]), at(days.index(end[:3]), end[4:]))]
    return [(at(day, start), at(day, end)) for day in range(7)]


def _span(begin: int, end: int, period: int) -> int:
    return (end - begin) % period


def rds_windows(inputs: Mapping[str, Any]) -> Iterator[Finding]:
    """Backup and maintenance windows last at least 30 minutes and do not overlap."""
    backup, maintenance = inputs.get("preferredBackupWindow"), inputs.get("preferredMaintenanceWindow")
    valid = {}
    for field, value, period, pattern in (
        ("preferredBackupWindow", backup, 1440, f"{HHMM}-{HHMM}"),
        ("preferredMaintenanceWindow", maintenance, 7 * 1440, f"(?i:{DAY}):{HHMM}-(?i:{DAY}):{HHMM}"),
    ):
        if not isinstance(value, str) or not re.fullmatch(pattern, value):
            continue  # absent, or reported by its format rule
        (begin, end), *_ = _minutes(value)
        if _span(begin, end, period) < 30:
            yield field, value, "is shorter than 30 minutes", f"CreateDBCluster.{field[0].upper()}{field[1:]}"
        else:
            valid[field] = _minutes(value)
    if len(valid) == 2:
        week = 7 * 1440
        (m_begin, m_end), = valid["preferredMaintenanceWindow"]
        for b_begin, b_end in valid["preferredBackupWindow"]:
            if _overlap((b_begin, b_begin + _span(b_begin, b_end, 1440)),
                        (m_begin, m_begin + _span(m_begin, m_end, week)), week):
                yield "preferredBackupWindow", backup, f"overlaps the maintenance window {maintenance}", \
                    "CreateDBCluster.PreferredBackupWindow"
                return


def _overlap(first: tuple[int, int], second: tuple[int, int], period: int) -> bool:
    shifts = (-period, 0, period)
    return any(first[0] < second[1] + shift and second[0] + shift < first[1] for shift in shifts)


def http_integration_payload(inputs: Mapping[str, Any]) -> Iterator[Finding]:
    """HTTP APIs: payload format 2.0 is for Lambda proxy integrations only (private HTTP_PROXY: 1.0)."""
    version = inputs.get("payloadFormatVersion")
    if version == "2.0" and inputs.get("integrationType") != "AWS_PROXY":
        yield "payloadFormatVersion", version, \
            f"is for Lambda proxy integrations; {inputs.get('integrationType')} takes 1.0", \
            "CreateIntegration.PayloadFormatVersion"


# Token lifetimes: access and ID tokens 5 minutes to 1 day, refresh tokens 60 minutes to 10 years;
# units default to hours (access, ID) and days (refresh). The model's documentation of
# CreateUserPoolClient.AccessTokenValidity; https://docs.aws.amazon.com/cognito/latest/developerguide/
# amazon-cognito-user-pools-using-the-refresh-token.html and ...-using-the-access-token.html.
_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
_TOKEN_LIMITS = {"accessToken": ("hours", 300, 86400), "idToken": ("hours", 300, 86400),
                 "refreshToken": ("days", 3600, 315360000)}


def cognito_token_validity(inputs: Mapping[str, Any]) -> Iterator[Finding]:
    """App client token lifetimes, in their units, within Cognito's limits."""
    units = _one(inputs.get("tokenValidityUnits"))
    units = units if isinstance(units, Mapping) else {}
    for token, (default_unit, low, high) in _TOKEN_LIMITS.items():
        value = inputs.get(f"{token}Validity")
        amount = _number(value)
        unit = str(units.get(token) or default_unit)
        if amount is None or unit not in _UNIT_SECONDS:
            continue
        seconds = amount * _UNIT_SECONDS[unit]
        if not low <= seconds <= high:
            yield f"{token}Validity", value, \
                f"{unit} is outside {low // 60} minutes..{high // 86400} day(s) for {token}s", \
                f"CreateUserPoolClient.{token[0].upper()}{token[1:]}Validity"


# Policy content size, as sent: https://docs.aws.amazon.com/organizations/latest/userguide/
# orgs_reference_limits.html ("Maximum size of a policy document": SCPs and RCPs 5,120 characters).
POLICY_SIZE_LIMITS = {"SERVICE_CONTROL_POLICY": 5120, "RESOURCE_CONTROL_POLICY": 5120}


def organizations_policy_size(inputs: Mapping[str, Any]) -> Iterator[Finding]:
    """SCP and RCP content fits 5,120 characters as sent (the provider sends the string unchanged)."""
    kind = inputs.get("type") or "SERVICE_CONTROL_POLICY"
    content = inputs.get("content")
    limit = POLICY_SIZE_LIMITS.get(str(kind))
    if limit is None or content is None:
        return
    sent = content if isinstance(content, str) else json.dumps(content)
    if len(sent) > limit:
        yield "content", sent, f"is {len(sent)} characters as sent, over the {kind} limit of {limit}", \
            "CreatePolicy.Content"


# IAM: inline role policies total at most 10,240 characters, whitespace not counted (not adjustable).
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
def role_policy_size(inputs: Mapping[str, Any]) -> Iterator[Finding]:
    policy = inputs.get("policy")
    if isinstance(policy, str) and len(re.sub(r"\s", "", policy)) > 10240:
        yield "policy", policy, "is over IAM's 10,240 characters for role policies (not counting spaces)", \
            "PutRolePolicy.PolicyDocument"


RESOURCE_RULES: dict[str, tuple[ResourceRule, ...]] = {
    "aws:ecs/taskDefinition:TaskDefinition": (fargate_task_size,),
    "aws:lb/targetGroup:TargetGroup": (health_check_timing,),
    "aws:lb/loadBalancer:LoadBalancer": (load_balancer_subnets,),
    "aws:rds/cluster:Cluster": (aurora_capacity, rds_windows),
    "aws:apigatewayv2/integration:Integration": (http_integration_payload,),
    "aws:cognito/userPoolClient:UserPoolClient": (cognito_token_validity,),
    "aws:organizations/policy:Policy": (organizations_policy_size,),
    "aws:iam/rolePolicy:RolePolicy": (role_policy_size,),
}
