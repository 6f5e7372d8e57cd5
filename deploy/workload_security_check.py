"""Stack check: the encryption and logging wiring of the workload works on AWS, not only under mocks.

Under mocks every key, bucket and log group "works". On AWS, each of these fails during ``up`` (or,
worse, silently afterwards), so ``plan`` checks them on the recording:

- a log group encrypted with a customer managed key of this stack: the key's policy lets CloudWatch
  Logs of the log group's region use it for that log group (``logs.<region>.amazonaws.com`` with the
  ``kms:EncryptionContext:aws:logs:arn`` condition matching the group's ARN); otherwise CreateLogGroup
  fails (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html);
- an Aurora cluster or a Secrets Manager secret on such a key: the key's policy lets the account use
  it through RDS, respectively Secrets Manager, in the region (CreateDBCluster and CreateSecret fail
  otherwise), and every ECS execution role that injects the secret may ``kms:Decrypt`` with it (tasks
  fail to start otherwise: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/
  secrets-envvar-secrets-manager.html);
- a cluster that exports logs: the log group RDS writes to (``/aws/rds/cluster/<id>/<log>``) is
  declared by the stack and created before the cluster, or RDS creates it unencrypted, never expiring;
- a cluster parameter group of the engine's family (CreateDBCluster refuses another family);
- an ALB with access logs: the bucket is encrypted with SSE-S3, not KMS, and its policy lets the ELB
  writer documented for the region put objects under ``<prefix>/AWSLogs/<account>/``; ELB refuses to
  enable the attribute otherwise ("Access Denied for bucket"), and the load balancer waits for that policy.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping
from typing import Any

from components.tasks_database import exported_log_group_name, parameter_group_family
from components.workload_security import LOGS_CONTEXT_KEY, elb_log_writer
from deploy.app_contract_check import plain
from deploy.simulate import RecordedResource, Recording
from deploy.stack_checks import ERROR, WARNING, Finding, StackContext
from iam_documents import documents

CHECK = "encryption and logs"
KMS_KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
CLUSTER = "aws:rds/cluster:Cluster"
PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
SECRET = "aws:secretsmanager/secret:Secret"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
# What a service does with a key for its caller (the AWS managed aws/rds and aws/secretsmanager policies).
RDS_USE = ("kms:CreateGrant", "kms:DescribeKey", "kms:Decrypt", "kms:GenerateDataKey")
SECRETS_MANAGER_USE = ("kms:GenerateDataKey", "kms:Decrypt")
LOGS_USE = ("kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt")


def check_workload_security(context: StackContext) -> list[Finding]:
    recording = context.recording
    if recording is None:
        return []
    keys = {key.outputs.get("arn"): key for key in recording.of_type(KMS_KEY)}
    found: list[Finding] = []
    _log_groups(recording, keys, found)
    _clusters(recording, keys, found)
    _secrets(recording, keys, found)
    _load_balancers(recording, found)
    return found


def _finding(resource: RecordedResource, message: str, severity: str = ERROR) -> Finding:
    return Finding(CHECK, severity, f"{resource.name} ({resource.type})", message)


def _document(value: Any) -> Mapping[str, Any] | None:
    try:
        document = json.loads(str(plain(value)))
    except json.JSONDecodeError:
        return None
    return document if isinstance(document, Mapping) else None


def _policy(resource: RecordedResource) -> Mapping[str, Any] | None:
    return _document(resource.inputs.get("policy"))


def _allows(statement: Mapping[str, Any], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), str(granted).lower())
               for granted in documents.as_list(statement.get("Action")))


def _condition_values(condition: Mapping[str, Any], key: str) -> list[str]:
    return [str(v) for values in condition.values() for k, vs in values.items() if k == key
            for v in documents.as_list(vs)]


def _allowed(
    document: Mapping[str, Any] | None,
    actions: Iterable[str],
    *,
    service: str | None = None,
    via: str | None = None,
    context_arn: str | None = None,
) -> bool:
    """Whether one Allow statement grants every action: to the ``service`` principal, or to the account's
    principals (``:root``) through ``via`` (``kms:ViaService``); its encryption-context condition, if
    any, admits ``context_arn``."""
    for statement in documents.statements(document or {}):
        if statement.get("Effect") != "Allow" or not all(_allows(statement, a) for a in actions):
            continue
        principal = statement.get("Principal") or {}
        condition = statement.get("Condition") or {}
        if not isinstance(principal, Mapping):
            continue
        if not _grantee_matches(principal, condition, service, via):
            continue
        patterns = _condition_values(condition, LOGS_CONTEXT_KEY)
        if context_arn is None or not patterns or any(fnmatch.fnmatchcase(context_arn, p) for p in patterns):
            return True
    return False


def _grantee_matches(
    principal: Mapping[str, Any], condition: Mapping[str, Any], service: str | None, via: str | None
) -> bool:
    if service is not None:
        return service in documents.as_list(principal.get("Service"))
    if not any(str(p).endswith(":root") for p in documents.as_list(principal.get("AWS"))):
        return False
    services = _condition_values(condition, "kms:ViaService")
    return not services or via in services


def _region_and_account(recording: Recording, resource: RecordedResource) -> tuple[str, str | None]:
    provider = recording.provider_of(resource)
    region = str(provider.inputs.get("region") or "") if provider is not None else ""
    accounts = provider.provider_setting("allowedAccountIds") if provider is not None else None
    account = str(accounts[0]) if isinstance(accounts, list) and len(accounts) == 1 else None
    return region, account


def _log_groups(recording: Recording, keys: Mapping[Any, RecordedResource], found: list[Finding]) -> None:
    for group in recording.of_type(LOG_GROUP):
        key = keys.get(plain(group.inputs.get("kmsKeyId")))
        if key is None:
            continue  # no key, or one this stack does not declare: nothing to compare
        region, account = _region_and_account(recording, group)
        arn = f"arn:aws:logs:{region}:{account}:log-group:{group.inputs.get('name')}"
        logs = f"logs.{region}.amazonaws.com"
        if not _allowed(_policy(key), LOGS_USE, service=logs, context_arn=arn):
            found.append(_finding(
                group, f"kmsKeyId is {key.name}, whose policy does not let {logs} use it for {arn}:"
                " CreateLogGroup would fail"))


def _clusters(recording: Recording, keys: Mapping[Any, RecordedResource], found: list[Finding]) -> None:
    groups = {g.inputs.get("name"): g for g in recording.of_type(LOG_GROUP)}
    parameter_groups = {g.outputs.get("name"): g for g in recording.of_type(PARAMETER_GROUP)}
    for cluster in recording.of_type(CLUSTER):
        region, _ = _region_and_account(recording, cluster)
        key = keys.get(plain(cluster.inputs.get("kmsKeyId")))
        via = f"rds.{region}.amazonaws.com"
        if key is not None and not _allowed(_policy(key), RDS_USE, via=via):
            found.append(_finding(
                cluster, f"kmsKeyId is {key.name}, whose policy does not let this account use it through"
                f" {via}: CreateDBCluster would fail"))
        identifier = cluster.inputs.get("clusterIdentifier")
        for log in cluster.inputs.get("enabledCloudwatchLogsExports") or []:
            name = exported_log_group_name(str(identifier), log) if identifier else None
            group = groups.get(name)
            if group is None:
                found.append(_finding(
                    cluster, f"exports its {log} log, but the stack declares no log group"
                    f" {name or '(the identifier is generated)'}: RDS would create it unencrypted, never"
                    " expiring"))
            elif group.urn not in cluster.dependencies:
                found.append(_finding(
                    cluster, f"exports its {log} log without waiting for {group.name}: RDS may create"
                    " that log group first"))
        parameters = parameter_groups.get(plain(cluster.inputs.get("dbClusterParameterGroupName")))
        version = str(cluster.inputs.get("engineVersion") or "")
        if parameters is not None and version and cluster.inputs.get("engine") == "aurora-postgresql":
            family, expected = parameters.inputs.get("family"), parameter_group_family(version)
            if family != expected:
                found.append(_finding(
                    cluster, f"uses parameter group {parameters.name} of family {family}; aurora-postgresql"
                    f" {version} needs {expected}"))


def _secrets(recording: Recording, keys: Mapping[Any, RecordedResource], found: list[Finding]) -> None:
    for secret in recording.of_type(SECRET):
        key_arn = plain(secret.inputs.get("kmsKeyId"))
        key = keys.get(key_arn)
        if key is None:
            continue
        region, _ = _region_and_account(recording, secret)
        via = f"secretsmanager.{region}.amazonaws.com"
        if not _allowed(_policy(key), SECRETS_MANAGER_USE, via=via):
            found.append(_finding(
                secret, f"kmsKeyId is {key.name}, whose policy does not let this account use it through"
                f" {via}"))
        for role in _roles_injecting(recording, str(secret.outputs.get("arn"))):
            if not _role_may(recording, role, "kms:Decrypt", str(key_arn)):
                found.append(_finding(
                    role, f"injects {secret.name} into tasks but may not kms:Decrypt with {key.name}: the"
                    " tasks would not start"))


def _roles_injecting(recording: Recording, secret_arn: str) -> list[RecordedResource]:
    """The execution roles of the task definitions whose containers reference the secret."""
    roles = {role.outputs.get("arn"): role for role in recording.of_type(ROLE)}
    return [
        roles[task.inputs["executionRoleArn"]]
        for task in recording.of_type(TASK_DEFINITION)
        if secret_arn in str(plain(task.inputs.get("containerDefinitions")))
        and task.inputs.get("executionRoleArn") in roles
    ]


def _role_may(recording: Recording, role: RecordedResource, action: str, resource: str) -> bool:
    for policy in recording.of_type(ROLE_POLICY):
        if policy.inputs.get("role") not in (role.id, role.outputs.get("name")):
            continue
        for statement in documents.statements(_policy(policy) or {}):
            if statement.get("Effect") == "Allow" and _allows(statement, action) and any(
                fnmatch.fnmatchcase(resource, str(r)) for r in documents.as_list(statement.get("Resource"))
            ):
                return True
    return False


def _load_balancers(recording: Recording, found: list[Finding]) -> None:
    buckets = {b.outputs.get("bucket"): b for b in recording.of_type(BUCKET)}
    for balancer in recording.of_type(LOAD_BALANCER):
        logs = balancer.inputs.get("accessLogs") or {}
        if not logs.get("enabled"):
            continue
        bucket = buckets.get(logs.get("bucket"))
        if bucket is None:
            found.append(_finding(
                balancer, f"writes access logs to {logs.get('bucket')!r}, a bucket this stack does not"
                " declare: its policy and encryption are not checked", WARNING))
            continue
        region, account = _region_and_account(recording, balancer)
        _bucket_encryption(recording, bucket, found)
        prefix = f"{logs['prefix']}/" if logs.get("prefix") else ""
        target = f"{bucket.outputs.get('arn')}/{prefix}AWSLogs/{account}/ELBAccessLogTestFile"
        policies = [p for p in recording.of_type(BUCKET_POLICY) if p.inputs.get("bucket") == bucket.id]
        writer = elb_log_writer(region)
        if not any(_grants_put(_policy(p), writer, target) for p in policies):
            found.append(_finding(
                balancer, f"access logs: no policy of {bucket.name} lets {writer} (ELB's writer in {region})"
                f" put {target}; ELB would refuse to enable them"))
        elif not any(p.urn in balancer.dependencies for p in policies):
            found.append(_finding(
                balancer, f"does not wait for the policy of {bucket.name}: enabling access logs may fail"
                " before it exists"))


def _bucket_encryption(recording: Recording, bucket: RecordedResource, found: list[Finding]) -> None:
    for config in recording.of_type(BUCKET_ENCRYPTION):
        if config.inputs.get("bucket") != bucket.id:
            continue
        for rule in config.inputs.get("rules") or []:
            algorithm = (rule.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm")
            if algorithm != "AES256":
                found.append(_finding(
                    config, f"encrypts the ALB's access-log bucket with {algorithm}; ALB access logs support"
                    " only SSE-S3 (AES256)"))


def _grants_put(document: Mapping[str, Any] | None, writer: Mapping[str, str], target: str) -> bool:
    for statement in documents.statements(document or {}):
        principal = statement.get("Principal") or {}
        if statement.get("Effect") != "Allow" or not _allows(statement, "s3:PutObject"):
            continue
        if not isinstance(principal, Mapping) or not all(
            value in documents.as_list(principal.get(kind)) for kind, value in writer.items()
        ):
            continue
        if any(fnmatch.fnmatchcase(target, str(r)) for r in documents.as_list(statement.get("Resource"))):
            return True
    return False
