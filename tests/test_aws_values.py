"""Values sent to AWS, checked against AWS's API models (policies/aws_values.py, rule aws-api-values).

The shipped stacks are recorded once under mocks; each realistic mistake below edits one recorded
input and must be reported on exactly that field. The distilled constraints must equal what the
installed botocore says, every mapped member must exist and carry a constraint, and the documented
rules must still be in the models' documentation they quote.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from components import config
from deploy.simulate import RecordedResource, Recording
from policies import aws_values as av
from policies import guardrails as g
from policies.aws_api_members import API_MEMBERS, TAG_MEMBERS
from policies.aws_service_rules import MEMBER_RULES
from tests.configs import security_org_config, security_values, stack_values
from tests.conftest import run_env_stack, run_stack

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("org", "pre", "prod")

SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
API = "aws:apigatewayv2/api:Api"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
CLUSTER = "aws:rds/cluster:Cluster"
LB = "aws:lb/loadBalancer:LoadBalancer"
TG = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
DOMAIN = "aws:cognito/userPoolDomain:UserPoolDomain"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
ROUTE = "aws:apigatewayv2/route:Route"
INTEGRATION = "aws:apigatewayv2/integration:Integration"
PERMISSION_SET = "aws:ssoadmin/permissionSet:PermissionSet"
SCP = "aws:organizations/policy:Policy"
ACCOUNT = "aws:organizations/account:Account"
OU = "aws:organizations/organizationalUnit:OrganizationalUnit"
BUDGET = "aws:budgets/budget:Budget"
ROLE = "aws:iam/role:Role"
BRANCH = "aws:amplify/branch:Branch"
USER = "aws:identitystore/user:User"
VPC = "awsx:ec2:Vpc"


@pytest.fixture(scope="module")
def recordings() -> dict[str, Recording]:
    found = {stack: run_stack(stack) if stack == "org" else run_env_stack(stack) for stack in STACKS}
    # The security stack on its frozen file, reading the frozen org with the log readers' permission set.
    security = security_values()
    org = run_stack("org", security_org_config())
    found["security"] = run_stack("security", security, stack_outputs={security["orgStack"]: org.outputs})
    return found


def _problems(recording: Recording) -> list[str]:
    return [f"{r.name}: {p}" for r in recording.resources for p in av.check_inputs(r.type, r.inputs, r.name)]


@pytest.mark.parametrize("stack", [*STACKS, "security"])
def test_the_shipped_stacks_send_only_values_aws_accepts(
    recordings: dict[str, Recording], stack: str
) -> None:
    assert _problems(recordings[stack]) == []
    assert [v for v in g.check_recording(recordings[stack]) if v.policy == "aws-api-values"] == []


@pytest.mark.parametrize(
    ("stack", "sections"),
    [
        ("pre", {"loadBalancer": {"mode": "public"}}),
        (
            "pre",
            {
                "network": {"natGateways": "single"},
                "database": {"minCapacity": 0.5, "secondsUntilAutoPause": None},
            },
        ),
        # Production serves an internet-facing ALB over HTTPS only
        # (docs/configuration.md "Production invariants").
        ("prod", {"loadBalancer": {
            "mode": "public", "domainName": "api.example.org",
            "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc-1",
        }}),
    ],
)
def test_other_supported_configurations_send_only_accepted_values(
    stack: str, sections: dict[str, Any]
) -> None:
    raw = stack_values(stack)
    for key, values in sections.items():
        merged = {**(raw.get(key) or {}), **values}
        raw[key] = {name: value for name, value in merged.items() if value is not None}
    assert _problems(run_env_stack(stack, raw)) == []


def test_every_resource_type_the_program_declares_is_checked(recordings: dict[str, Recording]) -> None:
    declared = {
        r.type
        for rec in recordings.values()
        for r in rec.resources
        if r.type.startswith(("aws:", "awsx:")) and not r.is_provider
    }
    assert declared - av.CHECKED_TYPES == set()
    assert "aws-api-values" in g.RULES_BY_NAME
    assert g.RULES_BY_NAME["aws-api-values"].types == av.CHECKED_TYPES


# ------------------------------------------------------------------------------------------------
# Realistic mistakes: each edits one recorded input and must be reported on exactly that field
# ------------------------------------------------------------------------------------------------

Edit = Callable[[dict[str, Any]], None]


def put(path: str, value: Any) -> Edit:
    """Set ``a.b.c`` in the inputs (creating objects on the way)."""

    def edit(inputs: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = inputs
        for key in parents:
            target = target.setdefault(key, {})
        target[last] = value

    return edit


def append(key: str, value: Any) -> Edit:
    def edit(inputs: dict[str, Any]) -> None:
        inputs[key] = [*inputs.get(key, []), value]

    return edit


def both(*edits: Edit) -> Edit:
    def edit(inputs: dict[str, Any]) -> None:
        for each in edits:
            each(inputs)

    return edit


def _bloat_scp(inputs: dict[str, Any]) -> None:
    inputs["content"] = json.dumps(json.loads(inputs["content"]), indent=12)


def _container_protocol(inputs: dict[str, Any]) -> None:
    containers = json.loads(inputs["containerDefinitions"])
    containers[0]["portMappings"][0]["protocol"] = "TCP"
    inputs["containerDefinitions"] = json.dumps(containers)


# (id, stack, resource type, part of the resource name or None, edit, field reported, phrase of the message)
MISTAKES: list[tuple[str, str, str, str | None, Edit, str, str]] = [
    (
        "sg-description-apostrophe",
        "pre",
        SG,
        None,
        put("description", "the service's tasks"),
        "description",
        "EC2's allowed characters",
    ),
    (
        "sg-rule-description-apostrophe",
        "prod",
        INGRESS,
        None,
        put("description", "from the ALB's tasks"),
        "description",
        "EC2's allowed characters",
    ),
    ("sg-name-prefix", "pre", SG, None, put("name", "sg-tasks"), "name", "not starting with 'sg-'"),
    ("sg-rule-port", "pre", INGRESS, None, put("toPort", 70000), "toPort", "-1 to 65535"),
    (
        "cors-max-age-two-days",
        "pre",
        API,
        None,
        put("corsConfiguration.maxAge", 172800),
        "corsConfiguration.maxAge",
        "out of range -1..86400",
    ),
    (
        "fargate-cpu-memory-pair",
        "pre",
        TASK,
        None,
        both(put("cpu", "256"), put("memory", "4096")),
        "memory",
        "not allowed with cpu 256",
    ),
    ("fargate-cpu-size", "prod", TASK, None, put("cpu", "300"), "cpu", "not a Fargate task cpu"),
    ("ecs-network-mode-typo", "pre", TASK, None, put("networkMode", "awsvcp"), "networkMode", "awsvpc"),
    (
        "container-protocol-case",
        "pre",
        TASK,
        None,
        _container_protocol,
        "containerDefinitions[0].portMappings[0].protocol",
        'not one of "tcp", "udp"',
    ),
    (
        "ecs-too-many-security-groups",
        "pre",
        SERVICE,
        None,
        put("networkConfiguration.securityGroups", [f"sg-{i}" for i in range(6)]),
        "networkConfiguration.securityGroups",
        "at most 5 security groups",
    ),
    (
        "log-retention-10-days",
        "pre",
        LOG_GROUP,
        None,
        put("retentionInDays", 10),
        "retentionInDays",
        "retention periods",
    ),
    (
        "log-group-name-space",
        "prod",
        LOG_GROUP,
        None,
        put("name", "/ecs/prod tasks"),
        "name",
        "does not match the API's pattern",
    ),
    (
        "aurora-min-quarter-acu",
        "pre",
        CLUSTER,
        None,
        put("serverlessv2ScalingConfiguration.minCapacity", 0.25),
        "serverlessv2ScalingConfiguration.minCapacity",
        "0, or 0.5 to 256 ACU in steps of 0.5",
    ),
    (
        "aurora-max-300-acu",
        "prod",
        CLUSTER,
        None,
        put("serverlessv2ScalingConfiguration.maxCapacity", 300),
        "serverlessv2ScalingConfiguration.maxCapacity",
        "1 to 256 ACU",
    ),
    (
        "aurora-auto-pause-200-s",
        "pre",
        CLUSTER,
        None,
        put("serverlessv2ScalingConfiguration.secondsUntilAutoPause", 200),
        "serverlessv2ScalingConfiguration.secondsUntilAutoPause",
        "300 to 86400 seconds",
    ),
    (
        "aurora-zero-acu-old-engine",
        "pre",
        CLUSTER,
        None,
        put("engineVersion", "16.1"),
        "serverlessv2ScalingConfiguration.minCapacity",
        "0 ACU (auto-pause) needs aurora-postgresql",
    ),
    (
        "aurora-master-username",
        "prod",
        CLUSTER,
        None,
        put("masterUsername", "tasks-admin"),
        "masterUsername",
        "1 to 16 letters or numbers",
    ),
    (
        "rds-backup-overlaps-maintenance",
        "prod",
        CLUSTER,
        None,
        both(
            put("preferredBackupWindow", "08:30-09:30"),
            put("preferredMaintenanceWindow", "sun:08:00-sun:09:00"),
        ),
        "preferredBackupWindow",
        "overlaps the maintenance window",
    ),
    ("elb-name-33-characters", "pre", LB, None, put("name", "a" * 33), "name", "1-32 alphanumerics"),
    (
        "elb-name-internal",
        "prod",
        LB,
        None,
        put("name", "internal-tasks"),
        "name",
        "not starting 'internal-'",
    ),
    (
        "alb-ip-address-type",
        "pre",
        LB,
        None,
        put("ipAddressType", "ipv5"),
        "ipAddressType",
        'not one of "ipv4", "dualstack"',
    ),
    ("alb-idle-timeout", "pre", LB, None, put("idleTimeout", 4001), "idleTimeout", "1 to 4000 seconds"),
    (
        "alb-one-subnet",
        "prod",
        LB,
        None,
        lambda p: p.update(subnets=p["subnets"][:1]),
        "subnets",
        "at least two Availability Zones",
    ),
    (
        "health-check-timeout-not-below-interval",
        "pre",
        TG,
        None,
        both(put("healthCheck.timeout", 15), put("healthCheck.interval", 15)),
        "healthCheck.timeout",
        "shorter than the health-check interval",
    ),
    (
        "health-check-unhealthy-threshold-1",
        "prod",
        TG,
        None,
        put("healthCheck.unhealthyThreshold", 1),
        "healthCheck.unhealthyThreshold",
        "out of range 2..10",
    ),
    (
        "target-group-deregistration-delay",
        "pre",
        TG,
        None,
        put("deregistrationDelay", 7200),
        "deregistrationDelay",
        "0 to 3600 seconds",
    ),
    ("listener-port", "pre", LISTENER, None, put("port", 70000), "port", "out of range 1..65535"),
    ("cognito-domain-aws", "pre", DOMAIN, None, put("domain", "tasks-aws-pre"), "domain", "'aws', reserved"),
    (
        "cognito-domain-uppercase",
        "prod",
        DOMAIN,
        None,
        put("domain", "Tasks-Prod"),
        "domain",
        "does not match the API's pattern",
    ),
    (
        "callback-plain-http",
        "pre",
        CLIENT,
        None,
        append("callbackUrls", "http://example.com/"),
        "callbackUrls[2]",
        "uses http",
    ),
    (
        "logout-url-fragment",
        "pre",
        CLIENT,
        None,
        append("logoutUrls", "https://example.com/#/home"),
        "logoutUrls[2]",
        "fragment",
    ),
    (
        "callback-wildcard",
        "pre",
        CLIENT,
        None,
        append("callbackUrls", "https://*.example.com/"),
        "callbackUrls[2]",
        "wildcard",
    ),
    (
        "access-token-two-minutes",
        "prod",
        CLIENT,
        None,
        put("accessTokenValidity", 2),
        "accessTokenValidity",
        "outside 5 minutes",
    ),
    (
        "route-key-without-slash",
        "pre",
        ROUTE,
        None,
        put("routeKey", "GET foo"),
        "routeKey",
        "HTTP API route keys",
    ),
    (
        "payload-format-3",
        "prod",
        INTEGRATION,
        None,
        put("payloadFormatVersion", "3.0"),
        "payloadFormatVersion",
        "1.0 or 2.0",
    ),
    (
        "payload-format-2-on-http-proxy",
        "pre",
        INTEGRATION,
        None,
        put("payloadFormatVersion", "2.0"),
        "payloadFormatVersion",
        "HTTP_PROXY takes 1.0",
    ),
    (
        "session-duration-13-hours",
        "org",
        PERMISSION_SET,
        None,
        put("sessionDuration", "PT13H"),
        "sessionDuration",
        "PT1H..PT12H",
    ),
    (
        "permission-set-name-space",
        "org",
        PERMISSION_SET,
        None,
        put("name", "tasks provisioners"),
        "name",
        "does not match the API's pattern",
    ),
    (
        "scp-over-5120-as-sent",
        "org",
        SCP,
        "guardrails",
        _bloat_scp,
        "content",
        "over the SERVICE_CONTROL_POLICY",
    ),
    (
        "account-email",
        "org",
        ACCOUNT,
        None,
        put("email", "sandbox at example.com"),
        "email",
        "does not match the API's pattern",
    ),
    ("ou-name-too-long", "org", OU, None, put("name", "x" * 129), "name", "over the maximum of 128"),
    (
        "budget-amount",
        "org",
        BUDGET,
        None,
        put("limitAmount", "fifty"),
        "limitAmount",
        "does not match the API's pattern",
    ),
    (
        "identity-store-user-name-space",
        "org",
        USER,
        None,
        put("userName", "sandbox user"),
        "userName",
        "does not match the API's pattern",
    ),
    (
        "role-description-em-dash",
        "pre",
        ROLE,
        None,
        put("description", "ECS tasks \u2014 pre"),
        "description",
        "does not match the API's pattern",
    ),
    ("amplify-branch-stage", "prod", BRANCH, None, put("stage", "STAGING"), "stage", "is not one of"),
    ("vpc-cidr-30", "pre", VPC, None, put("cidrBlock", "10.10.0.0/30"), "cidrBlock", "/16 to /28"),
    (
        "tag-key-aws-prefix",
        "prod",
        SG,
        None,
        put("tags", {"aws:team": "tasks"}),
        "tags{aws:team}",
        "reserves",
    ),
    (
        "schedule-five-field-cron",
        "pre",
        "aws:appautoscaling/scheduledAction:ScheduledAction",
        "sleep",
        put("schedule", "cron(0 20 * * MON-FRI)"),
        "schedule",
        "cron(<six fields>)",
    ),
    (
        "schedule-time-zone-offset",
        "pre",
        "aws:appautoscaling/scheduledAction:ScheduledAction",
        "wake",
        put("timezone", "UTC-05:00"),
        "timezone",
        "is not an IANA time zone name",
    ),
    (
        "guardduty-auto-enable-unknown",
        "security",
        "aws:guardduty/organizationConfiguration:OrganizationConfiguration",
        None,
        put("autoEnableOrganizationMembers", "EVERYONE"),
        "autoEnableOrganizationMembers",
        'not one of "NEW", "ALL", "NONE"',
    ),
    (
        "analyzer-name-with-space",
        "security",
        "aws:accessanalyzer/analyzer:Analyzer",
        None,
        put("analyzerName", "landing zone organization"),
        "analyzerName",
        "does not match the API's pattern",
    ),
    (
        "stack-set-capability-unknown",
        "security",
        "aws:cloudformation/stackSet:StackSet",
        None,
        put("capabilities", ["CAPABILITY_ALL"]),
        "capabilities[0]",
        "not one of",
    ),
    (
        "identity-store-user-reserved",
        "org",
        "aws:identitystore/user:User",
        None,
        put("userName", "Administrator"),
        "userName",
        "'Administrator' is reserved",
    ),
    (
        "identity-store-group-reserved",
        "org",
        "aws:identitystore/group:Group",
        None,
        put("displayName", "AWSAdministrators"),
        "displayName",
        "'AWSAdministrators' is reserved",
    ),
    (
        "tag-key-too-long",
        "pre",
        SG,
        None,
        put("tags", {"k" * 129: "v"}),
        f"tags{{{'k' * 129}}}",
        "over the maximum of 128",
    ),
]


def _target(recording: Recording, type_: str, name: str | None) -> RecordedResource:
    found = [r for r in recording.of_type(type_) if name is None or name in r.name]
    assert found, f"the {recording.stack} program declares no {type_}"
    return found[0]


@pytest.mark.parametrize(
    ("stack", "type_", "name", "edit", "field", "phrase"),
    [case[1:] for case in MISTAKES],
    ids=[case[0] for case in MISTAKES],
)
def test_a_realistic_mistake_is_reported_on_its_field(
    recordings: dict[str, Recording],
    stack: str,
    type_: str,
    name: str | None,
    edit: Edit,
    field: str,
    phrase: str,
) -> None:
    resource = _target(recordings[stack], type_, name)
    inputs = copy.deepcopy(resource.inputs)
    assert av.check_inputs(type_, inputs, resource.name) == []
    edit(inputs)
    problems = av.check_inputs(type_, inputs, resource.name)
    assert {p.field for p in problems} == {field}, "\n".join(map(str, problems))
    assert any(phrase in str(p) for p in problems), "\n".join(map(str, problems))


def test_there_are_at_least_twenty_distinct_mistakes() -> None:
    assert len({case[0] for case in MISTAKES}) == len(MISTAKES) >= 20


@pytest.mark.parametrize(
    ("type_", "inputs", "field"),
    [
        ("aws:secretsmanager/secret:Secret", {"name": "tasks db secret"}, "name"),
        (
            "aws:secretsmanager/secret:Secret",
            {"name": "pre/tasks/db", "recoveryWindowInDays": 3},
            "recoveryWindowInDays",
        ),
        ("aws:secretsmanager/secretVersion:SecretVersion", {"secretString": "x" * 65537}, "secretString"),
    ],
)
def test_types_the_program_may_declare_next_are_covered(
    type_: str, inputs: dict[str, Any], field: str
) -> None:
    # The database secret the image reads (issue 10, defect 4) is a Secrets Manager secret.
    assert {p.field for p in av.check_inputs(type_, inputs, "db-secret")} == {field}
    assert av.check_inputs(type_, {"name": "pre/tasks/db", "recoveryWindowInDays": 0}, "db-secret") == []


def test_a_generated_name_that_will_be_too_long_is_reported(recordings: dict[str, Recording]) -> None:
    group = _target(recordings["pre"], TG, None)
    assert "name" not in group.inputs  # Pulumi generates it: "<resource name>-<7 hex digits>"
    [problem] = av.check_inputs(TG, group.inputs, "pre-tasks-service-target-group")
    assert problem.field == "name (generated)" and "1-32 alphanumerics" in problem.rule
    assert av.check_inputs(TG, group.inputs, "pre-tasks-service-target") == []  # 24 + 8 = 32


def test_a_mistake_fails_the_plan_with_stack_resource_field_value_and_rule(
    recordings: dict[str, Recording],
) -> None:
    faulty = copy.deepcopy(recordings["prod"])
    group = next(r for r in faulty.of_type(SG) if "db" in r.name)
    group.inputs["description"] = "the service's tasks"
    [violation] = g.check_recording(faulty)
    assert violation.policy == "aws-api-values" and violation.enforcement_level == "mandatory"
    assert violation.urn == group.urn and violation.urn.startswith("urn:pulumi:prod::")
    assert violation.message == (
        f"'{group.name}': description: \"the service's tasks\" does not match EC2's allowed characters "
        r"[a-zA-Z0-9. _-:/()#,@\[\]+=&;{}!$*], up to 255 (CreateSecurityGroup.Description)"
    )


def test_values_not_known_yet_are_skipped_and_known_ones_still_checked() -> None:
    props = unknown_checking_proxy(
        {
            "description": UNKNOWN_STRING_VALUE,
            "name": "sg-tasks",
            "ingress": [
                {"description": UNKNOWN_STRING_VALUE, "fromPort": 80, "toPort": 80, "protocol": "tcp"}
            ],
        }
    )
    assert [p.field for p in av.check_inputs(SG, props, "tasks")] == ["name"]
    task = unknown_checking_proxy({"requiresCompatibilities": ["FARGATE"], "cpu": UNKNOWN_STRING_VALUE})
    assert av.check_inputs(TASK, task, "tasks") == []


def test_cors_max_age_out_of_range_is_a_config_error_naming_the_key() -> None:
    raw = stack_values("pre")
    for value in (172800, -2):
        raw["api"] = {**(raw.get("api") or {}), "corsMaxAge": value}
        with pytest.raises(config.ConfigError) as error:
            config.load("pre", raw)
        assert str(error.value).startswith("Pulumi.pre.yaml: landing-zone:api.corsMaxAge: ")
        assert "-1 (no cache) to 86400 s" in str(error.value)
    raw["api"]["corsMaxAge"] = -1
    assert config.load("pre", raw) is not None


# ------------------------------------------------------------------------------------------------
# The constraints stay authoritative: distilled from the installed botocore, members that exist
# ------------------------------------------------------------------------------------------------


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "extract_api_constraints", ROOT / "scripts" / "extract_api_constraints.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_constraints_file_is_what_the_installed_botocore_says() -> None:
    script = _script()
    expected = script.render(script.extract())
    assert av.CONSTRAINTS_FILE.read_text(encoding="utf-8") == expected, (
        "policies/aws_api_constraints.json is out of date: run python scripts/extract_api_constraints.py"
    )


def test_a_member_missing_from_the_model_is_an_error() -> None:
    script = _script()
    from botocore.loaders import Loader
    from botocore.model import ServiceModel

    model = ServiceModel(Loader().load_service_model("sso-admin", "service-2"), "sso-admin")
    assert script.resolve(model, "sso-admin:CreatePermissionSet.SessionDuration").type_name == "string"
    for member in (
        "sso-admin:CreatePermissionSet.SessionLength",
        "sso-admin:CreatePermissionSets.Name",
        "sso-admin:CreatePermissionSet.Name[]",
    ):
        with pytest.raises(script.MemberNotFound):
            script.resolve(model, member)


# Inputs whose only rules span several inputs (aws_resource_rules.py).
CHECKED_ACROSS_INPUTS = {(TASK, "cpu"), (TASK, "memory")}


def test_every_mapped_input_reaches_a_member_with_a_constraint() -> None:
    table = av.constraints()
    for type_, fields in {**API_MEMBERS, "*": TAG_MEMBERS}.items():
        for path, member in fields.items():
            constraint = table[member]
            constrained = any(key in constraint for key in ("enum", "min", "max", "pattern"))
            constrained = constrained or member in MEMBER_RULES or (type_, path) in CHECKED_ACROSS_INPUTS
            assert constrained, f"{type_} {path} -> {member}: nothing to check"


def _model_documentation(source: str) -> str:
    import botocore.session

    found = re.fullmatch(r"botocore (\S+) model, documentation of (\w+)\.(\w+)", source)
    assert found, f"not a model documentation source: {source}"
    service, shape, member = found.groups()

    model = botocore.session.get_session().get_service_model(service)
    return str(model.shape_for(shape).members[member].documentation)


def test_each_documented_rule_is_still_in_the_model_documentation_it_quotes() -> None:
    quoted = {(rule.source, rule.doc) for rules in MEMBER_RULES.values() for rule in rules if rule.doc}
    assert len(quoted) >= 15
    for source, phrase in sorted(quoted):
        assert phrase in _model_documentation(source), f"{source} no longer says {phrase!r}"


def test_patterns_not_checked_are_exactly_these() -> None:
    # Unicode categories mixed with literals and quantified parts: no faithful Python translation; the
    # program sets neither member (lengths are still checked).
    assert set(av.unsupported_patterns()) == {
        "cognito-idp:CreateUserPool.EmailVerificationMessage",
        "cognito-idp:CreateUserPool.EmailVerificationSubject",
    }


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (r"\p{Print}+", ["Scale out on CPU"], ["tab\there", ""]),
        (r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+", ["Users", "Usuários-é"], ["two words", ""]),
        (r"[\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\r  　]+", ["Sandbox User"], ["bell\x07"]),
        (
            r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*",
            ["service/a/b", "\U0001f600"],
            ["nul\x00"],
        ),
        (
            r"^(?![^:\\]*/action/|(?i).*<script>.*</script>.*)[^:\\]+$",
            ["monthly cap"],
            ["x<SCRIPT>1</script>", "a/action/b", "a:b"],
        ),
        (r"[\w+=,.@-]+", ["hiperium-sso-provisioners-ps"], ["has space"]),
        (r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", ["Name tag: 10.0.0.0/16", ""], ["semi;colon"]),
    ],
)
def test_java_patterns_are_matched_whole_as_aws_does(pattern: str, good: list[str], bad: list[str]) -> None:
    matches = av.compile_pattern(pattern)
    assert all(matches(text) for text in good)
    assert not any(matches(text) for text in bad)
