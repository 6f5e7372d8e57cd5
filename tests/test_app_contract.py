"""The Tasks image's start-up contract (components/tasks_image_contract.json) and plan's check of it.

The shipped environment recordings satisfy the contract; each realistic mistake injected into a copy
of a recording is reported naming the resource and the field; the defect this replaced (RDS's managed
secret, username and password only, injected as the connection JSON) is caught.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components import config
from components.app_contract import TASKS_IMAGE, ContractError, load_contract
from deploy import stack_checks
from deploy.app_contract_check import check_app_contract, plain
from deploy.simulate import RecordedResource, Recording
from deploy.stack_checks import StackContext
from tests.configs import FIXTURE_STACKS, stack_values
from tests.conftest import run_env_stack

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
CLUSTER = "aws:rds/cluster:Cluster"
ECS_SERVICE = "aws:ecs/service:Service"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
PASSWORD = "random:index/randomPassword:RandomPassword"
VARIABLE = "HIPERIUM_CITY_TASKS_DB_CLUSTER_SECRET"


@pytest.fixture(scope="module")
def recordings() -> dict[str, Recording]:
    return {stack: run_env_stack(stack) for stack in ("pre", "prod")}


def _context(stack: str, recording: Recording) -> StackContext:
    raw = stack_values(stack)
    return StackContext(stack, config.stack_file(stack), raw, config.load(stack, raw), recording)


def _findings(recording: Recording, stack: str = "pre") -> list[str]:
    return [f"{f.severity}: {f}" for f in check_app_contract(_context(stack, recording))]


# --- the contract as data ------------------------------------------------------------------------


def test_contract_holds_what_image_1_5_0_reads() -> None:
    assert TASKS_IMAGE.image == "hiperium/hiperium-city-tasks-api:1.5.0-arm64"
    assert (TASKS_IMAGE.operating_system_family, TASKS_IMAGE.cpu_architecture) == ("LINUX", "ARM64")
    assert TASKS_IMAGE.container_port == 8080
    assert TASKS_IMAGE.health_check_path == "/q/health/live"
    assert dict(TASKS_IMAGE.environment) == {
        "TIME_ZONE_ID": "timeZoneId", "QUARKUS_OIDC_AUTH_SERVER_URL": "issuerUrl"
    }
    secret = TASKS_IMAGE.database_secret
    assert secret.variable == VARIABLE
    assert secret.required_keys == ("host", "port", "dbname", "username", "password")
    assert set(secret.allowed_keys) == {*secret.required_keys, "engine", "dbClusterIdentifier"}


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"username": "postgres", "password": "p"}, "lacks key(s) host, port, dbname"),
        ({"host": "h", "port": "5432", "dbname": "d", "username": "u", "password": "p", "jdbcUrl": "x"},
         "has key(s) jdbcUrl the image's parser rejects"),
        ({"host": "", "port": "5432", "dbname": "d", "username": "u", "password": "p"}, "empty"),
        (["host"], "is not a JSON object"),
    ],
)
def test_secret_documents_the_image_cannot_parse_are_explained(document: Any, problem: str) -> None:
    problems = TASKS_IMAGE.database_secret.problems(document)
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["environment"]["TIME_ZONE_ID"].update(equals="tz"), "environment.TIME_ZONE_ID.equals"),
        (lambda d: d["databaseSecret"]["requiredKeys"].append("jdbc"), "requiredKeys must all be allowed"),
        (lambda d: d.pop("containerPort"), "containerPort"),
    ],
)
def test_a_malformed_contract_file_is_refused(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    data = json.loads(Path("components/tasks_image_contract.json").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "contract.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ContractError, match=message):
        load_contract(path)


def test_the_check_is_one_of_plans_stack_checks() -> None:
    assert check_app_contract in stack_checks.all_checks()


# --- the shipped stacks ---------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["pre", "prod"])
def test_shipped_environments_satisfy_the_contract(stack: str, recordings: dict[str, Recording]) -> None:
    assert _findings(recordings[stack], stack) == []


@pytest.mark.parametrize("stack", ["pre", "prod"])
def test_the_password_and_the_secret_never_reach_the_stack_outputs(
    stack: str, recordings: dict[str, Recording]
) -> None:
    recording = recordings[stack]
    password = recording.one(PASSWORD).outputs["result"]
    secret_string = plain(recording.one(SECRET_VERSION).inputs["secretString"])
    assert password in secret_string  # what is searched for is really the secret's content
    exported = json.dumps(recording.outputs)
    assert password not in exported and secret_string not in exported
    assert recording.outputs["db_secret_arn"] == recording.one(SECRET).outputs["arn"]


def test_the_org_stack_has_no_task_and_nothing_to_check(org_recording: Recording) -> None:
    assert check_app_contract(StackContext("org", "Pulumi.org.yaml", {}, None, org_recording)) == []


# --- mistakes, each reported with resource and field -----------------------------------------------


def _container(recording: Recording, change: Callable[[dict[str, Any]], None]) -> None:
    task = recording.one(TASK_DEFINITION)
    (container,) = json.loads(task.inputs["containerDefinitions"])
    change(container)
    task.inputs["containerDefinitions"] = json.dumps([container])


def _environment(**values: str | None) -> Callable[[dict[str, Any]], None]:
    def change(container: dict[str, Any]) -> None:
        environment = {e["name"]: e["value"] for e in container["environment"]}
        for name, value in values.items():
            if value is None:
                environment.pop(name, None)
            else:
                environment[name] = value
        container["environment"] = [{"name": k, "value": v} for k, v in environment.items()]

    return change


def _secret_document(recording: Recording, change: Callable[[dict[str, Any]], None]) -> None:
    version = recording.one(SECRET_VERSION)
    document = json.loads(plain(version.inputs["secretString"]))
    change(document)
    version.inputs["secretString"] = json.dumps(document)


def _value_from(recording: Recording, value: Callable[[str], str]) -> None:
    def change(container: dict[str, Any]) -> None:
        container["secrets"] = [{**s, "valueFrom": value(s["valueFrom"])} for s in container["secrets"]]

    _container(recording, change)


def _secret_text(recording: Recording) -> str:
    return str(plain(recording.one(SECRET_VERSION).inputs["secretString"]))


def _password(recording: Recording) -> str:
    return str(recording.one(PASSWORD).outputs["result"])


def _set_input(type_: str, **values: Any) -> Callable[[Recording], None]:
    def change(recording: Recording) -> None:
        resource = recording.one(type_)
        resource.inputs.update(values)

    return change


def _execution_statements(change: Callable[[list[dict[str, Any]]], None]) -> Callable[[Recording], None]:
    def apply(recording: Recording) -> None:
        policy = next(p for p in recording.of_type(ROLE_POLICY) if p.name.endswith("-tasks-execution"))
        document = json.loads(policy.inputs["policy"])
        change(document["Statement"])
        policy.inputs["policy"] = json.dumps(document)

    return apply


def _drop_secret_grants(statements: list[dict[str, Any]]) -> None:
    statements[:] = [s for s in statements if "secretsmanager" not in str(s["Action"])]


MISTAKES: dict[str, tuple[Callable[[Recording], None], str]] = {
    "TIME_ZONE_ID dropped": (
        lambda r: _container(r, _environment(TIME_ZONE_ID=None)),
        "pre-tasks-task (aws:ecs/taskDefinition:TaskDefinition): containerDefinitions[tasks-api]"
        ".environment.TIME_ZONE_ID is not set",
    ),
    "issuer dropped": (
        lambda r: _container(r, _environment(QUARKUS_OIDC_AUTH_SERVER_URL=None)),
        "environment.QUARKUS_OIDC_AUTH_SERVER_URL is not set",
    ),
    "wrong issuer (another pool)": (
        lambda r: _container(r, _environment(
            QUARKUS_OIDC_AUTH_SERVER_URL="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"
        )),
        "environment.QUARKUS_OIDC_AUTH_SERVER_URL is 'https://cognito-idp.us-east-1.amazonaws.com/"
        "us-east-1_Other'; it must be 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_",
    ),
    "time zone not the configured one": (
        lambda r: _container(r, _environment(TIME_ZONE_ID="UTC")),
        "environment.TIME_ZONE_ID is 'UTC'; it must be '-05:00' (timeZoneId)",
    ),
    "wrong container port": (
        lambda r: _container(r, lambda c: c.update(portMappings=[{"containerPort": 8081}])),
        "containerDefinitions[tasks-api].portMappings maps [8081]; the image listens on 8080",
    ),
    "x86_64 task": (
        _set_input(TASK_DEFINITION, runtimePlatform={"cpuArchitecture": "X86_64"}),
        "runtimePlatform.cpuArchitecture is X86_64; the image is built for ARM64 only",
    ),
    "no runtime platform (ECS defaults to x86_64)": (
        lambda r: r.one(TASK_DEFINITION).inputs.pop("runtimePlatform"),
        "runtimePlatform.cpuArchitecture is X86_64",
    ),
    "secret without dbname": (
        lambda r: _secret_document(r, lambda d: d.pop("dbname")),
        "pre-tasks-db-connection (aws:secretsmanager/secretVersion:SecretVersion): secretString lacks key(s)"
        " dbname",
    ),
    "secret with a key the parser rejects": (
        lambda r: _secret_document(r, lambda d: d.update(jdbcUrl="jdbc:postgresql://h/d")),
        "secretString has key(s) jdbcUrl the image's parser rejects",
    ),
    "secret naming another host": (
        lambda r: _secret_document(r, lambda d: d.update(host="old-cluster.example.internal")),
        "secretString host 'old-cluster.example.internal' is not the endpoint of a recorded Aurora cluster",
    ),
    "secret password not the cluster's": (
        lambda r: _secret_document(r, lambda d: d.update(password="NotTheClusters01")),
        "secretString password differs from pre-tasks-db's (the cluster's master password)",
    ),
    "password in a plain variable": (
        lambda r: _container(r, _environment(QUARKUS_DATASOURCE_PASSWORD=_password(r))),
        "environment.QUARKUS_DATASOURCE_PASSWORD holds the database password in plain text",
    ),
    "secret JSON as a plain variable": (
        lambda r: _container(r, _environment(**{VARIABLE: _secret_text(r)})),
        f"environment.{VARIABLE} is a plain value",
    ),
    "secret variable not injected": (
        lambda r: _container(r, lambda c: c.update(secrets=[])),
        f"containerDefinitions[tasks-api].secrets.{VARIABLE} is not set",
    ),
    "only one JSON key injected": (
        lambda r: _value_from(r, lambda v: v.split(":::")[0] + ":password::"),
        "injects only the JSON key 'password'; the image needs the whole JSON",
    ),
    "a version the stack does not write": (
        lambda r: _value_from(r, lambda v: v.split(":::")[0] + ":::00000000-0000-0000-0000-00000000dead"),
        "names version 00000000-0000-0000-0000-00000000dead, which this stack does not write",
    ),
    "execution role cannot read the secret": (
        _execution_statements(_drop_secret_grants),
        "pre-tasks-execution (aws:iam/role:Role): may not read arn:aws:secretsmanager:",
    ),
    "execution role reads every secret": (
        _execution_statements(lambda s: s.append(
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
        )),
        "pre-tasks-execution (aws:iam/role:Role): may also use Secrets Manager on *",
    ),
    "health path changed": (
        lambda r: r.one(TARGET_GROUP).inputs["healthCheck"].update(path="/health"),
        "pre-tasks-tg (aws:lb/targetGroup:TargetGroup): healthCheck.path is '/health'; the image answers its"
        " liveness on '/q/health/live'",
    ),
    "target group on another port": (
        _set_input(TARGET_GROUP, port=80),
        "pre-tasks-tg (aws:lb/targetGroup:TargetGroup): port is 80",
    ),
    "service balancing another port": (
        lambda r: r.one(ECS_SERVICE).inputs["loadBalancers"][0].update(containerPort=80),
        "pre-tasks-service (aws:ecs/service:Service): loadBalancers[0].containerPort is 80",
    ),
    "password exported": (
        lambda r: r.outputs.update(db_password=_password(r)),
        "error: stack output db_password: contains the database password",
    ),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_is_reported_naming_resource_and_field(
    mistake: str, recordings: dict[str, Recording]
) -> None:
    recording = copy.deepcopy(recordings["pre"])
    inject, expected = MISTAKES[mistake]
    inject(recording)
    findings = _findings(recording)
    assert any(expected in finding and finding.startswith("error: ") for finding in findings), findings


def test_the_rds_managed_secret_of_the_old_program_is_caught(recordings: dict[str, Recording]) -> None:
    """Defect 4 as the old program recorded it: RDS managed the password, and its secret (username and
    password only) was injected as the connection JSON, with host, port and dbname as other variables."""
    recording = copy.deepcopy(recordings["pre"])
    cluster = recording.one(CLUSTER)
    rds_secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-0a1b2c3d-AbCdEf"
    cluster.inputs.pop("masterPassword")
    cluster.inputs["manageMasterUserPassword"] = True
    cluster.outputs["masterUserSecrets"] = [{"secretArn": rds_secret, "secretStatus": "active"}]
    recording.resources = [r for r in recording.resources if r.type not in (SECRET, SECRET_VERSION, PASSWORD)]
    _container(recording, _environment(HIPERIUM_CITY_TASKS_DB_HOST=cluster.outputs["endpoint"],
                                       HIPERIUM_CITY_TASKS_DB_PORT="5432",
                                       HIPERIUM_CITY_TASKS_DB_NAME="HiperiumCityTasksDB"))
    _value_from(recording, lambda _: rds_secret)
    findings = _findings(recording)
    assert any(
        f"secrets.{VARIABLE} is the RDS-managed master secret of pre-tasks-db: it holds only username and"
        " password (lacks host, port, dbname)" in finding
        for finding in findings
    ), findings


def test_the_old_datasource_mode_is_caught(recordings: dict[str, Recording]) -> None:
    """The old ``datasource-env`` mode: Quarkus variables instead of the one JSON the image reads."""
    recording = copy.deepcopy(recordings["pre"])
    arn = recording.one(SECRET).outputs["arn"]

    def old(container: dict[str, Any]) -> None:
        container["secrets"] = [
            {"name": "QUARKUS_DATASOURCE_USERNAME", "valueFrom": f"{arn}:username::"},
            {"name": "QUARKUS_DATASOURCE_PASSWORD", "valueFrom": f"{arn}:password::"},
        ]

    _container(recording, old)
    assert any(f"secrets.{VARIABLE} is not set" in finding for finding in _findings(recording))


def test_a_secret_unknown_at_preview_is_a_warning_not_a_failure(recordings: dict[str, Recording]) -> None:
    recording = copy.deepcopy(recordings["pre"])
    version: RecordedResource = recording.one(SECRET_VERSION)
    version.inputs["secretString"] = {
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        "value": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    }
    findings = check_app_contract(_context("pre", recording))
    assert [(f.severity, f.message) for f in findings] == [
        ("warning", "secretString is not known in this recording: its keys are not checked")
    ]


def test_another_image_is_checked_against_the_contract_with_a_warning(
    recordings: dict[str, Recording],
) -> None:
    recording = copy.deepcopy(recordings["pre"])
    _container(recording, lambda c: c.update(image="example/tasks-api:2.0.0"))
    findings = check_app_contract(_context("pre", recording))
    assert [f.severity for f in findings] == ["warning"]
    assert "hiperium/hiperium-city-tasks-api:1.5.0-arm64" in findings[0].message


# --- through plan -----------------------------------------------------------------------------------


def test_plan_fails_when_the_program_drifts_from_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    """The components read the contract; one that reads another port is caught by plan's check."""
    import dataclasses

    from components import tasks_service
    from deploy import plan

    monkeypatch.setattr(plan, "load_policies", lambda root: (None, "skipped in this test"))
    monkeypatch.setattr(tasks_service, "TASKS_IMAGE", dataclasses.replace(TASKS_IMAGE, container_port=9090))
    report = plan.run_plan(["pre"], root=FIXTURE_STACKS, policies=False)
    pre = next(p for p in report.plans if p.stack == "pre")
    assert not pre.ok
    messages = [str(f) for f in pre.findings if f.check == "app contract" and f.is_error]
    assert any("portMappings maps [9090]; the image listens on 8080" in m for m in messages), messages
    assert any("loadBalancers[0].containerPort is 9090" in m for m in messages), messages


def test_plan_keeps_the_password_in_the_state_and_every_cloud_resource_pinned() -> None:
    from deploy import plan

    report = plan.run_plan(["pre"], root=FIXTURE_STACKS, policies=False)
    pre = next(p for p in report.plans if p.stack == "pre")
    assert pre.ok, [str(f) for f in pre.findings]
    assert pre.recording is not None
    password = pre.recording.one(PASSWORD)
    assert pre.account_of(password) == plan.STATE_ONLY
    assert password not in pre.planned()
    assert next(c for c in pre.checks if c.name == "explicit providers").ok
