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

The pack's modules: ``policies/rules/`` (``base.py``: resource types, property readers, ``Rule``,
``StackIndex``; the rules by concern: ``organization.py``, ``network.py``, ``workloads.py``; ``table.py``:
the rules' table), ``policies/cost.py`` (the idle cost estimate) and ``policies/offline.py`` (the offline
runner). This module builds the policies from the table and re-exports what the driver and the tests use.

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

from collections.abc import Callable

from pulumi_policy import (
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.aws_service_rules import ISO_DURATION
from policies.cost import PRICES_FILE, CostEstimate, CostLine, estimate_idle_cost, load_prices
from policies.offline import (
    GuardrailConfigError,
    RecordedResourceLike,
    RecordingLike,
    Violation,
    check_recording,
    check_resource,
    check_stack,
    estimate_recording_cost,
    resolve_config,
    stack_resources,
)
from policies.rules.base import (
    ALL_PROTOCOLS,
    AUTOSCALING_TARGET,
    AWS_PROVIDER,
    AWSX_FARGATE_SERVICE,
    AWSX_TASK_DEFINITIONS,
    AWSX_VPC,
    DEFAULT_PROVIDER_NAME,
    ECS_SERVICE,
    ELASTIC_IP,
    KMS_KEY,
    LISTENERS,
    LOAD_BALANCERS,
    LOG_GROUP,
    NAT_GATEWAY,
    OPEN_CIDRS,
    ORG_POLICY,
    ORG_POLICY_ATTACHMENT,
    ORGANIZATION,
    ORGANIZATIONAL_UNIT,
    PERMISSION_SET,
    PERMISSION_SET_INLINE_POLICY,
    RDS_CLUSTER,
    RDS_CLUSTER_INSTANCE,
    SCP_TYPE,
    SECRET,
    SECURITY_GROUP,
    SECURITY_GROUP_INGRESS_RULE,
    SECURITY_GROUP_RULE,
    TASK_DEFINITION,
    TCP,
    USER_POOL,
    Context,
    Props,
    Rule,
    StackFinding,
    StackIndex,
    stack_of,
)
from policies.rules.table import ADVISORY, MANDATORY, RULES, RULES_BY_NAME

__all__ = [
    "ADVISORY", "ALL_PROTOCOLS", "AUTOSCALING_TARGET", "AWSX_FARGATE_SERVICE", "AWSX_TASK_DEFINITIONS",
    "AWSX_VPC", "AWS_PROVIDER", "DEFAULT_PROVIDER_NAME", "ECS_SERVICE", "ELASTIC_IP", "ISO_DURATION",
    "KMS_KEY", "LISTENERS", "LOAD_BALANCERS", "LOG_GROUP", "MANDATORY", "NAT_GATEWAY", "OPEN_CIDRS",
    "ORGANIZATION", "ORGANIZATIONAL_UNIT", "ORG_POLICY", "ORG_POLICY_ATTACHMENT", "PACK_NAME",
    "PERMISSION_SET", "PERMISSION_SET_INLINE_POLICY", "POLICIES", "PRICES_FILE", "RDS_CLUSTER",
    "RDS_CLUSTER_INSTANCE", "RULES", "RULES_BY_NAME", "SCP_TYPE", "SECRET", "SECURITY_GROUP",
    "SECURITY_GROUP_INGRESS_RULE", "SECURITY_GROUP_RULE", "TASK_DEFINITION", "TCP", "USER_POOL", "Context",
    "CostEstimate", "CostLine", "GuardrailConfigError", "Props", "RecordedResourceLike", "RecordingLike",
    "Rule", "StackFinding", "StackIndex", "Violation", "check_recording", "check_resource", "check_stack",
    "estimate_idle_cost", "estimate_recording_cost", "load_prices", "resolve_config", "stack_of",
    "stack_resources",
]

PACK_NAME = "landing-zone-guardrails"


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
