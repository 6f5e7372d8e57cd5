"""What would fail on AWS though it works under mocks: plan's checks of the encryption and logging wiring
(deploy/workload_security_check.py) and of the image contract's file-system and TLS facts
(deploy/app_contract_check.py), each on a copy of a shipped recording with one realistic mistake.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from components import config
from components.app_contract import TASKS_IMAGE
from deploy import stack_checks
from deploy.app_contract_check import check_app_contract
from deploy.simulate import RecordedResource, Recording
from deploy.stack_checks import StackContext
from deploy.workload_security_check import check_workload_security
from policies import aws_values as av
from policies import guardrails as g
from tests.configs import stack_values
from tests.conftest import run_env_stack

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
CLUSTER = "aws:rds/cluster:Cluster"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
LB = "aws:lb/loadBalancer:LoadBalancer"


@pytest.fixture(scope="module")
def recordings() -> dict[str, Recording]:
    return {stack: run_env_stack(stack) for stack in ("pre", "prod")}


def _context(recording: Recording) -> StackContext:
    stack = recording.stack
    raw = stack_values(stack)
    return StackContext(stack, config.stack_file(stack), raw, config.load(stack, raw), recording)


def _findings(recording: Recording) -> list[str]:
    return [str(f) for f in check_workload_security(_context(recording))]


def _key(recording: Recording, purpose: str) -> RecordedResource:
    alias = next(a for a in recording.of_type(ALIAS) if a.inputs["name"].endswith(f"/tasks-{purpose}"))
    return next(k for k in recording.of_type(KEY) if k.outputs["keyId"] == alias.inputs["targetKeyId"])


def _edit_policy(resource: RecordedResource, change: Callable[[list[dict[str, Any]]], None]) -> None:
    document = json.loads(resource.inputs["policy"])
    change(document["Statement"])
    resource.inputs["policy"] = json.dumps(document)


def _without(sid: str) -> Callable[[list[dict[str, Any]]], None]:
    def change(statements: list[dict[str, Any]]) -> None:
        statements[:] = [s for s in statements if s.get("Sid") != sid]

    return change


def test_the_check_is_one_of_plans_stack_checks() -> None:
    assert check_workload_security in stack_checks.all_checks()


@pytest.mark.parametrize("stack", ["pre", "prod"])
def test_the_shipped_environments_are_wired_as_aws_requires(
    stack: str, recordings: dict[str, Recording]
) -> None:
    assert _findings(recordings[stack]) == []
    assert check_app_contract(_context(recordings[stack])) == []
    violations = g.check_recording(recordings[stack])
    assert [v for v in violations if v.enforcement_level == "mandatory"] == []


def _logs_key_without_the_logs_service(r: Recording) -> None:
    _edit_policy(_key(r, "logs"), _without("CloudWatchLogsOfThisAccount"))
    _edit_policy(_key(r, "logs"), _without("ReadAndWriteThroughCloudWatchLogs"))


def _logs_key_for_another_account(r: Recording) -> None:
    def change(statements: list[dict[str, Any]]) -> None:
        for statement in statements:
            for values in statement.get("Condition", {}).values():
                for key in values:
                    if key == "kms:EncryptionContext:aws:logs:arn":
                        values[key] = "arn:aws:logs:us-east-1:999999999999:log-group:*"

    _edit_policy(_key(r, "logs"), change)


def _drop_exported_log_group(r: Recording) -> None:
    r.resources = [x for x in r.resources if not (x.type == LOG_GROUP and "/aws/rds/" in x.inputs["name"])]


def _no_wait_for_exported_log_group(r: Recording) -> None:
    r.one(CLUSTER).dependencies.clear()


def _execution_role_without_decrypt(r: Recording) -> None:
    policy = next(p for p in r.of_type(ROLE_POLICY) if p.name.endswith("-tasks-execution"))
    def change(statements: list[dict[str, Any]]) -> None:
        statements[:] = [s for s in statements if s["Action"] != "kms:Decrypt"]

    _edit_policy(policy, change)


def _elb_service_principal_in_us_east_1(r: Recording) -> None:
    def change(statements: list[dict[str, Any]]) -> None:
        statements[1]["Principal"] = {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}

    _edit_policy(r.one(BUCKET_POLICY), change)


def _elb_writes_outside_its_prefix(r: Recording) -> None:
    def change(statements: list[dict[str, Any]]) -> None:
        statements[1]["Resource"] = statements[1]["Resource"].replace("/alb/", "/other/")

    _edit_policy(r.one(BUCKET_POLICY), change)


def _kms_on_the_log_bucket(r: Recording) -> None:
    r.one(ENCRYPTION).inputs["rules"] = [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]


MISTAKES: dict[str, tuple[Callable[[Recording], None], str]] = {
    "logs key without CloudWatch Logs": (
        _logs_key_without_the_logs_service,
        "whose policy does not let logs.us-east-1.amazonaws.com use it for arn:aws:logs:us-east-1:",
    ),
    "logs key scoped to another account": (_logs_key_for_another_account, "CreateLogGroup would fail"),
    "data key without RDS": (
        lambda r: _edit_policy(_key(r, "data"), _without("UseThroughRds")),
        "through rds.us-east-1.amazonaws.com: CreateDBCluster would fail",
    ),
    "data key without Secrets Manager": (
        lambda r: _edit_policy(_key(r, "data"), _without("UseThroughSecretsManager")),
        "through secretsmanager.us-east-1.amazonaws.com",
    ),
    "execution role cannot decrypt the secret": (
        _execution_role_without_decrypt, "may not kms:Decrypt with pre-tasks-keys-data: the tasks would not"
    ),
    "exported log group missing": (_drop_exported_log_group, "RDS would create it unencrypted, never"),
    "cluster does not wait for its log group": (_no_wait_for_exported_log_group, "RDS may create that log"),
    "parameter group of another family": (
        lambda r: r.one(PARAMETER_GROUP).inputs.update(family="aurora-postgresql15"),
        "of family aurora-postgresql15; aurora-postgresql 16.8 needs aurora-postgresql16",
    ),
    "ELB service principal where ELB writes as its account": (
        _elb_service_principal_in_us_east_1, "ELB would refuse to enable them"
    ),
    "ELB allowed outside the configured prefix": (_elb_writes_outside_its_prefix, "ELB would refuse"),
    "KMS on the ALB log bucket": (_kms_on_the_log_bucket, "ALB access logs support only SSE-S3"),
    "ALB does not wait for the bucket policy": (
        lambda r: r.one(LB).dependencies.clear(), "does not wait for the policy of pre-tasks-alb-logs"
    ),
}


@pytest.mark.parametrize("name", list(MISTAKES))
def test_each_wiring_mistake_is_reported(name: str, recordings: dict[str, Recording]) -> None:
    change, message = MISTAKES[name]
    faulty = copy.deepcopy(recordings["pre"])
    change(faulty)
    findings = _findings(faulty)
    # A logs key that CloudWatch Logs may not use fails every log group on it, each reported.
    expected = len(faulty.of_type(LOG_GROUP)) if name.startswith("logs key") else 1
    assert len(findings) == expected and all(message in f for f in findings), findings


# --- the image contract: read-only root and TLS ----------------------------------------------------


def _container(recording: Recording, change: Callable[[dict[str, Any]], None]) -> None:
    task = recording.one(TASK)
    (container,) = json.loads(task.inputs["containerDefinitions"])
    change(container)
    task.inputs["containerDefinitions"] = json.dumps([container])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.update(mountPoints=[]), "nothing writable is mounted at /tmp"),
        (lambda c: c["mountPoints"][0].update(readOnly=True), "mountPoints[/tmp] is read-only"),
        (lambda c: c["mountPoints"][0].update(sourceVolume="scratch"), "task definition does not declare"),
    ],
)
def test_a_read_only_root_without_a_writable_tmp_is_reported(
    change: Callable[[dict[str, Any]], None], message: str, recordings: dict[str, Recording]
) -> None:
    faulty = copy.deepcopy(recordings["pre"])
    _container(faulty, change)
    findings = [str(f) for f in check_app_contract(_context(faulty))]
    assert len(findings) == 1 and message in findings[0], findings
    # A writable root needs no volume (the scanners flag it, the image starts).
    _container(faulty, lambda c: c.update(readonlyRootFilesystem=False))
    assert check_app_contract(_context(faulty)) == []


def test_tls_only_aurora_is_refused_for_an_image_whose_client_does_not_negotiate_tls(
    recordings: dict[str, Recording],
) -> None:
    plaintext_client = replace(TASKS_IMAGE, database_tls=False)
    findings = [str(f) for f in check_app_contract(_context(recordings["pre"]), plaintext_client)]
    assert len(findings) == 1 and "requires TLS (rds.force_ssl = 1 in pre-tasks-db)" in findings[0]
    assert check_app_contract(_context(recordings["pre"])) == []


# --- the AWS API values of the new resources -------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "inputs", "field"),
    [
        (KEY, {"deletionWindowInDays": 3}, "deletionWindowInDays"),
        (KEY, {"rotationPeriodInDays": 30}, "rotationPeriodInDays"),
        (KEY, {"keyUsage": "ENCRYPT"}, "keyUsage"),
        (ALIAS, {"name": "alias/aws/tasks-logs"}, "name"),
        ("aws:ec2/flowLog:FlowLog", {"trafficType": "DENY"}, "trafficType"),
        ("aws:ec2/flowLog:FlowLog", {"maxAggregationInterval": 300}, "maxAggregationInterval"),
        ("aws:s3/bucket:Bucket", {"bucket": "Pre_Tasks_Logs"}, "bucket"),
        (
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            {"rules": [{"status": "Enabled", "expiration": {"days": 0}}]},
            "rules[0].expiration.days",
        ),
        (ENCRYPTION, {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES128"}}]},
         "rules[0].applyServerSideEncryptionByDefault.sseAlgorithm"),
        (PARAMETER_GROUP, {"parameters": [{"name": "rds.force_ssl", "value": "1", "applyMethod": "now"}]},
         "parameters[0].applyMethod"),
        (LB, {"accessLogs": {"prefix": "alb/AWSLogs"}}, "accessLogs.prefix"),
    ],
)
def test_values_aws_refuses_on_the_new_resources_are_reported(
    type_: str, inputs: dict[str, Any], field: str
) -> None:
    assert [p.field for p in av.check_inputs(type_, inputs, "pre-tasks")] == [field]


def test_the_idle_cost_counts_the_keys_and_the_secret_and_names_the_usage_charges(
    recordings: dict[str, Recording],
) -> None:
    estimate = g.estimate_recording_cost(recordings["pre"])
    items = {line.item: (line.quantity, line.monthly_usd) for line in estimate.lines}
    assert items["KMS keys"] == (2, 2.0)  # $1 per key and month (FACTS.md section 9)
    assert items["Secrets Manager secrets"] == (1, 0.4)
    summary = estimate.summary()
    assert "not counted (usage-based): CloudWatch Logs $0.50/GB ingested" in summary
    assert "S3 storage and requests of the ALB access logs" in summary and "NAT" not in summary
    assert "NAT data processing $0.045/GB" in g.estimate_recording_cost(recordings["prod"]).summary()
