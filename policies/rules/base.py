"""What every guardrail rule uses: the resource types as the engine names them, readers for the
engine's property proxies, a rule's :class:`Context` and :class:`Rule`, and :class:`StackIndex`, which
resolves references between the resources of a stack.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import EnforcementLevel, PolicyResource
from pulumi_policy.proxy import UnknownValueError

from iam_documents import documents

# Resource types, as the engine names them.
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
AWSX_FARGATE_SERVICE = "awsx:ecs:FargateService"
AWSX_TASK_DEFINITIONS = ("awsx:ecs:FargateTaskDefinition", "awsx:ecs:EC2TaskDefinition")
ECS_SERVICE = "aws:ecs/service:Service"
AUTOSCALING_TARGET = "aws:appautoscaling/target:Target"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
USER_POOL = "aws:cognito/userPool:UserPool"
ORGANIZATION = "aws:organizations/organization:Organization"
ORGANIZATIONAL_UNIT = "aws:organizations/organizationalUnit:OrganizationalUnit"
ORG_POLICY = "aws:organizations/policy:Policy"
ORG_POLICY_ATTACHMENT = "aws:organizations/policyAttachment:PolicyAttachment"
PERMISSION_SET = "aws:ssoadmin/permissionSet:PermissionSet"
PERMISSION_SET_INLINE_POLICY = "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SECURITY_GROUP_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
ELASTIC_IP = "aws:ec2/eip:Eip"
KMS_KEY = "aws:kms/key:Key"
SECRET = "aws:secretsmanager/secret:Secret"
AWSX_VPC = "awsx:ec2:Vpc"
AWS_PROVIDER = "pulumi:providers:aws"

SCP_TYPE = "SERVICE_CONTROL_POLICY"
OPEN_CIDRS = ("0.0.0.0/0", "::/0")
TCP = ("tcp", "6")
ALL_PROTOCOLS = ("-1", "all")
# The engine names the providers it creates itself "default" or "default_<version>".
DEFAULT_PROVIDER_NAME = re.compile(r"^default(_[0-9a-z_]+)?$")

Props = Mapping[str, Any]
# --------------------------------------------------------------------------------------------
# Reading properties (the engine hands them over as read-only proxies of dicts and lists)
# --------------------------------------------------------------------------------------------


def _is_map(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _get(value: Any, *path: str | int) -> Any:
    """``value[path[0]][path[1]]...``; None when a step is missing (lists of one object are looked into)."""
    for key in path:
        if isinstance(key, int):
            if not _is_list(value) or len(value) <= key:
                return None
            value = value[key]
        else:
            if _is_list(value) and len(value) == 1:  # blocks the provider models as one-element lists
                value = value[0]
            if not _is_map(value) or key not in value:
                return None
            value = value[key]
    return value


def _known(props: Props, key: str) -> Any:
    """A property's value, or None when it is missing or not known yet (during a preview)."""
    try:
        return props.get(key)
    except UnknownValueError:
        return None


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    if _is_list(value):
        return list(value)
    return [value]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _setting(props: Props, key: str) -> Any:
    """A provider setting; the SDK sends structured ones (lists, objects) as JSON text."""
    return documents.parse_json_text(props.get(key))


def _document(value: Any) -> tuple[Any, str | None]:
    """A policy document given as JSON text (or already parsed): (document, error)."""
    if _is_map(value):
        return _plain(value), None
    if not isinstance(value, str):
        return None, "is not a JSON policy document"
    try:
        return json.loads(value), None
    except json.JSONDecodeError as error:
        return None, f"is not valid JSON (line {error.lineno} column {error.colno}: {error.msg})"


def _plain(value: Any) -> Any:
    """Proxies of the engine's values turned back into dicts and lists."""
    if _is_map(value):
        return {key: _plain(item) for key, item in value.items()}
    if _is_list(value):
        return [_plain(item) for item in value]
    return value


def stack_of(urn: str) -> str:
    """The stack name in a URN (``urn:pulumi:<stack>::<project>::<type>::<name>``)."""
    head = urn.split("::", 1)[0]
    parts = head.split(":")
    return parts[2] if len(parts) > 2 else ""
# --------------------------------------------------------------------------------------------
# What a rule is
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What a rule knows besides the properties: where it runs and its (defaulted) config."""

    stack: str
    config: Mapping[str, Any]
    name: str = ""
    urn: str = ""


ResourceCheck = Callable[[str, Props, Context], Iterable[str]]
StackFinding = tuple[str, str | None]  # (message, URN of the resource at fault; None: the stack)
StackCheck = Callable[[Sequence[PolicyResource], Context], Iterable[StackFinding]]


@dataclass(frozen=True)
class Rule:
    """One guardrail. Exactly one of ``check_resource`` (with ``types``) and ``check_stack`` is set."""

    name: str
    description: str
    enforcement: EnforcementLevel
    config: Mapping[str, Mapping[str, Any]]  # JSON-schema properties, each with a "default"
    types: frozenset[str] = frozenset()
    check_resource: ResourceCheck | None = None
    check_stack: StackCheck | None = None
    remediation: str = ""

    def settings(self, configured: Mapping[str, Any] | None) -> dict[str, Any]:
        values = {key: schema["default"] for key, schema in self.config.items()}
        values.update({k: v for k, v in (configured or {}).items() if k != "enforcementLevel"})
        return values


def _schema(kind: str, default: Any, description: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "default": default, "description": description, **extra}


STACK_LIST = {"type": "array", "items": {"type": "string"}}


# --------------------------------------------------------------------------------------------
# Resolving references between resources in a stack
# --------------------------------------------------------------------------------------------


class StackIndex:
    """A stack's resources by type, and by the ``id``/``arn`` values other resources refer to them by."""

    def __init__(self, resources: Sequence[PolicyResource]) -> None:
        self.resources = list(resources)
        self._by_type: dict[str, list[PolicyResource]] = {}
        for resource in self.resources:
            self._by_type.setdefault(resource.resource_type, []).append(resource)

    def of_type(self, *types: str) -> list[PolicyResource]:
        return [r for t in types for r in self._by_type.get(t, [])]

    def referenced(self, resource: PolicyResource, prop: str, types: Sequence[str],
                   keys: Sequence[str] = ("id", "arn")) -> list[PolicyResource]:
        """The resources of ``types`` that ``resource.props[prop]`` refers to (one value or a list)."""
        dependencies = [d for d in (resource.property_dependencies or {}).get(prop, [])
                        if d.resource_type in types]
        if dependencies:
            return dependencies
        wanted = {v for v in _items(_known(resource.props, prop)) if isinstance(v, str) and v}
        if not wanted:
            return []
        return [r for r in self.of_type(*types) if any(_known(r.props, key) in wanted for key in keys)]

    @staticmethod
    def descends_from(resource: PolicyResource, ancestor: PolicyResource) -> bool:
        parent = resource.parent
        while parent is not None:
            if parent.urn == ancestor.urn:
                return True
            parent = parent.parent
        return False


def _first(items: Sequence[PolicyResource]) -> PolicyResource | None:
    return items[0] if items else None


def _internet_facing(load_balancer: PolicyResource) -> bool:
    return _known(load_balancer.props, "internal") is not True
