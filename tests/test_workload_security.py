"""The scanners' findings fixed on the recorded resources of the shipped environments (issue 11).

Each test names the Checkov check (or review finding) it answers and asserts the property on the
resource that carries it, wired to the key, bucket or log group it must use: customer managed keys for
every log group (CKV_AWS_158) and the Aurora cluster (CKV_AWS_327), ALB access logs (CKV_AWS_91), IAM
database authentication (CKV_AWS_162), the PostgreSQL log export (CKV_AWS_324), a read-only root file
system (CKV_AWS_336), TLS-only Aurora, VPC flow logs and a year of API access logs in production.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from components import config
from components.app_contract import TASKS_IMAGE
from components.workload_security import KEY_ADMIN_ACTIONS, elb_log_writer
from deploy.simulate import RecordedResource, Recording
from tests.configs import stack_values
from tests.conftest import run_env_stack

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
CLUSTER = "aws:rds/cluster:Cluster"
PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
SECRET = "aws:secretsmanager/secret:Secret"
LB = "aws:lb/loadBalancer:LoadBalancer"
BUCKET = "aws:s3/bucket:Bucket"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
STACKS = ("pre", "prod")
# Using a key, as opposed to administering it.
CRYPTO_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:CreateGrant")


@pytest.fixture(scope="module")
def recordings() -> dict[str, Recording]:
    return {stack: run_env_stack(stack) for stack in STACKS}


def _workload_account(recording: Recording) -> str:
    (account,) = recording.one("pulumi:providers:aws", "workload").provider_setting("allowedAccountIds")
    return str(account)


def _key(recording: Recording, purpose: str) -> RecordedResource:
    alias = next(a for a in recording.of_type(ALIAS) if a.inputs["name"].endswith(f"/tasks-{purpose}"))
    return next(k for k in recording.of_type(KEY) if k.outputs["keyId"] == alias.inputs["targetKeyId"])


def _policy(resource: RecordedResource) -> dict[str, Any]:
    return json.loads(resource.inputs["policy"])


def _log_group(recording: Recording, name: str) -> RecordedResource:
    (group,) = [g for g in recording.of_type(LOG_GROUP) if g.inputs["name"] == name]
    return group


def _container(recording: Recording) -> dict[str, Any]:
    (container,) = json.loads(recording.one(TASK).inputs["containerDefinitions"])
    return container


# --- CKV_AWS_158: every log group on the environment's logs key -----------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_log_group_is_encrypted_with_the_environments_logs_key(
    stack: str, recordings: dict[str, Recording]
) -> None:
    recording = recordings[stack]
    logs_key = _key(recording, "logs")
    groups = {g.inputs["name"]: g.inputs.get("kmsKeyId") for g in recording.of_type(LOG_GROUP)}
    assert groups == {
        f"/ecs/{stack}-tasks": logs_key.outputs["arn"],
        f"/aws/apigateway/{stack}-tasks-api": logs_key.outputs["arn"],
        f"/aws/rds/cluster/{stack}-tasks-db/postgresql": logs_key.outputs["arn"],
        f"/aws/vpc/flow-logs/{stack}-network": logs_key.outputs["arn"],
    }
    # One key per environment, in the workload account, rotated, symmetric (CloudWatch Logs needs it).
    assert logs_key.inputs["enableKeyRotation"] is True and logs_key.inputs["rotationPeriodInDays"] == 365
    assert logs_key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert recording.provider_of(logs_key).name == "workload"  # type: ignore[union-attr]


@pytest.mark.parametrize("stack", STACKS)
def test_the_logs_key_lets_only_cloudwatch_logs_of_this_account_and_region_use_it(
    stack: str, recordings: dict[str, Recording]
) -> None:
    recording = recordings[stack]
    account = _workload_account(recording)
    statements = {s["Sid"]: s for s in _policy(_key(recording, "logs"))["Statement"]}
    service = statements["CloudWatchLogsOfThisAccount"]
    assert service["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert service["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:us-east-1:{account}:log-group:*"}
    }
    assert not any("Describe" in action for action in service["Action"])  # no context: could never match
    through_logs = statements["ReadAndWriteThroughCloudWatchLogs"]["Condition"]
    assert through_logs["StringEquals"] == {
        "kms:ViaService": "logs.us-east-1.amazonaws.com", "kms:CallerAccount": account
    }
    _assert_least_privilege(_policy(_key(recording, "logs")), account)


def _assert_least_privilege(policy: dict[str, Any], account: str) -> None:
    """Nobody is a wildcard; the account may administer the key but use it only through a service."""
    root = f"arn:aws:iam::{account}:root"
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        principal = statement["Principal"]
        assert principal != "*" and principal.get("AWS") in (None, root), statement["Sid"]
        if principal.get("AWS") == root:
            uses = [a for a in statement["Action"] if any(a.startswith(c) for c in CRYPTO_ACTIONS)]
            condition = statement.get("Condition", {}).get("StringEquals", {})
            if uses:
                assert condition.get("kms:CallerAccount") == account and "kms:ViaService" in condition, (
                    statement["Sid"]
                )
        assert "kms:*" not in statement["Action"]
    (administration,) = [s for s in policy["Statement"] if s["Sid"] == "AccountAdministersTheKey"]
    assert administration["Action"] == list(KEY_ADMIN_ACTIONS)
    assert "kms:PutKeyPolicy" in administration["Action"]  # CreateKey's lockout check passes through IAM


# --- CKV_AWS_327 and the secret: the data key ----------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_aurora_and_its_secret_use_the_data_key_only_through_rds_and_secrets_manager(
    stack: str, recordings: dict[str, Recording]
) -> None:
    recording = recordings[stack]
    data_key = _key(recording, "data")
    cluster = recording.one(CLUSTER).inputs
    assert cluster["storageEncrypted"] is True and cluster["kmsKeyId"] == data_key.outputs["arn"]
    assert recording.one(SECRET).inputs["kmsKeyId"] == data_key.outputs["arn"]
    assert _key(recording, "logs").outputs["arn"] != data_key.outputs["arn"]
    account = _workload_account(recording)
    via = {
        s["Sid"]: s["Condition"]["StringEquals"]["kms:ViaService"]
        for s in _policy(data_key)["Statement"] if "Condition" in s
    }
    assert via == {
        "UseThroughRds": "rds.us-east-1.amazonaws.com",
        "UseThroughSecretsManager": "secretsmanager.us-east-1.amazonaws.com",
    }
    _assert_least_privilege(_policy(data_key), account)
    # The tasks' execution role decrypts the secret with it, only as Secrets Manager does for it.
    execution = recording.one(ROLE_POLICY, f"{stack}-tasks-execution")
    statements = json.loads(execution.inputs["policy"])["Statement"]
    (decrypt,) = [s for s in statements if s["Action"] == "kms:Decrypt"]
    assert decrypt["Resource"] == data_key.outputs["arn"]
    through = "secretsmanager.us-east-1.amazonaws.com"
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": through}}


def test_production_keys_are_protected_and_wait_thirty_days(recordings: dict[str, Recording]) -> None:
    for stack, (protected, window) in {"pre": (False, 7), "prod": (True, 30)}.items():
        keys = recordings[stack].of_type(KEY)
        assert len(keys) == 2
        assert {(k.protect, k.inputs["deletionWindowInDays"]) for k in keys} == {(protected, window)}


# --- CKV_AWS_162, CKV_AWS_324 and TLS: the cluster -------------------------------------------------


@pytest.mark.parametrize(("stack", "retention"), [("pre", 14), ("prod", 90)])
def test_aurora_exports_its_log_into_an_encrypted_group_it_waits_for_and_allows_iam_auth(
    stack: str, retention: int, recordings: dict[str, Recording]
) -> None:
    recording = recordings[stack]
    cluster = recording.one(CLUSTER)
    assert cluster.inputs["iamDatabaseAuthenticationEnabled"] is True
    assert cluster.inputs["enabledCloudwatchLogsExports"] == ["postgresql"]
    assert cluster.inputs["clusterIdentifier"] == f"{stack}-tasks-db"  # the log group's name needs it
    group = _log_group(recording, f"/aws/rds/cluster/{stack}-tasks-db/postgresql")
    assert group.urn in cluster.dependencies
    assert group.inputs["retentionInDays"] == retention


@pytest.mark.parametrize("stack", STACKS)
def test_aurora_accepts_tls_connections_only(stack: str, recordings: dict[str, Recording]) -> None:
    recording = recordings[stack]
    group = recording.one(PARAMETER_GROUP)
    cluster = recording.one(CLUSTER).inputs
    assert cluster["dbClusterParameterGroupName"] == group.outputs["name"]
    assert group.inputs["family"] == f"aurora-postgresql{cluster['engineVersion'].split('.')[0]}"
    parameters = {p["name"]: p["value"] for p in group.inputs["parameters"]}
    assert parameters["rds.force_ssl"] == "1"
    # Query logging (CKV2_AWS_27) without the data: schema changes and statements over a second.
    assert parameters["log_statement"] == "ddl" and parameters["log_min_duration_statement"] == "1000"
    assert {p["applyMethod"] for p in group.inputs["parameters"]} == {"pending-reboot"}
    # Performance Insights (CKV_AWS_353): the free 7-day retention, encrypted with the data key.
    for instance in recording.of_type("aws:rds/clusterInstance:ClusterInstance"):
        assert instance.inputs["performanceInsightsEnabled"] is True
        assert instance.inputs["performanceInsightsRetentionPeriod"] == 7
        assert instance.inputs["performanceInsightsKmsKeyId"] == cluster["kmsKeyId"]
    assert TASKS_IMAGE.database_tls  # the image's JDBC client tries TLS first (sslmode=prefer)


# --- CKV_AWS_336: read-only root file system -------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_the_container_root_is_read_only_with_tmp_on_a_task_volume(
    stack: str, recordings: dict[str, Recording]
) -> None:
    recording = recordings[stack]
    container = _container(recording)
    assert container["readonlyRootFilesystem"] is True
    assert container["mountPoints"] == [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}]
    # A volume without host: Fargate ephemeral storage, private to the task.
    assert recording.one(TASK).inputs["volumes"] == [{"name": "tmp"}]
    assert [w.path for w in TASKS_IMAGE.writable_paths] == ["/tmp"]


# --- CKV_AWS_91: ALB access logs -------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "days"), [("pre", 30), ("prod", 90)])
def test_the_alb_writes_access_logs_to_a_private_expiring_bucket(
    stack: str, days: int, recordings: dict[str, Recording]
) -> None:
    recording = recordings[stack]
    bucket = recording.one(BUCKET)
    alb = recording.one(LB)
    assert alb.inputs["accessLogs"] == {"enabled": True, "bucket": bucket.outputs["bucket"], "prefix": "alb"}
    policy = recording.one("aws:s3/bucketPolicy:BucketPolicy")
    assert policy.urn in alb.dependencies and policy.inputs["bucket"] == bucket.id

    def on_bucket(kind: str) -> dict[str, Any]:
        (resource,) = [r for r in recording.of_type(f"aws:s3/{kind}") if r.inputs["bucket"] == bucket.id]
        return resource.inputs

    encryption = on_bucket("bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert encryption["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    block = on_bucket("bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(block[flag] is True for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                                 "restrictPublicBuckets"))
    ownership = on_bucket("bucketOwnershipControls:BucketOwnershipControls")
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    assert on_bucket("bucketVersioning:BucketVersioning")["versioningConfiguration"] == {"status": "Enabled"}
    rule, abort = on_bucket("bucketLifecycleConfiguration:BucketLifecycleConfiguration")["rules"]
    assert rule["status"] == "Enabled" and rule["filter"] == {"prefix": "alb/"}
    assert rule["expiration"] == {"days": days}
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 1}
    # Incomplete uploads are aborted in the whole bucket (CKV_AWS_300), not only under alb/.
    assert abort["status"] == "Enabled" and abort["filter"] == {}
    assert abort["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 1}
    # Production keeps the bucket and its logs when the stack goes; elsewhere destroy empties it.
    assert bucket.inputs["forceDestroy"] is (stack != "prod") and bucket.protect is (stack == "prod")


@pytest.mark.parametrize("stack", STACKS)
def test_the_log_bucket_requires_tls_and_admits_only_elbs_writer_under_its_prefix(
    stack: str, recordings: dict[str, Recording]
) -> None:
    recording = recordings[stack]
    bucket = recording.one(BUCKET).outputs
    statements = _policy(recording.one("aws:s3/bucketPolicy:BucketPolicy"))["Statement"]
    deny, allow = statements
    assert deny == {
        "Sid": "DenyPlainHttp", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [bucket["arn"], f"{bucket['arn']}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    # us-east-1 existed before August 2022: ELB writes as its regional account there.
    assert allow["Principal"] == {"AWS": "arn:aws:iam::127311923021:root"}
    assert allow["Action"] == "s3:PutObject"
    assert allow["Resource"] == f"{bucket['arn']}/alb/AWSLogs/{_workload_account(recording)}/*"


@pytest.mark.parametrize(
    ("region", "principal"),
    [
        ("us-east-1", {"AWS": "arn:aws:iam::127311923021:root"}),
        ("eu-west-1", {"AWS": "arn:aws:iam::156460612806:root"}),
        ("me-central-1", {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
        ("ap-southeast-5", {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
    ],
)
def test_elb_writes_as_its_regional_account_or_the_log_delivery_service(
    region: str, principal: dict[str, str]
) -> None:
    assert elb_log_writer(region) == principal


# --- VPC flow logs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "retention"), [("pre", 14), ("prod", 365)])
def test_the_vpc_flow_log_records_rejected_traffic_into_its_encrypted_group(
    stack: str, retention: int, recordings: dict[str, Recording]
) -> None:
    recording = recordings[stack]
    flow_log = recording.one(FLOW_LOG).inputs
    group = _log_group(recording, f"/aws/vpc/flow-logs/{stack}-network")
    assert flow_log["vpcId"] == recording.one("awsx:ec2:Vpc").outputs["vpcId"]
    assert flow_log["trafficType"] == "REJECT"  # the cheap default
    assert flow_log["logDestinationType"] == "cloud-watch-logs"
    assert flow_log["logDestination"] == group.outputs["arn"]
    assert group.inputs["retentionInDays"] == retention
    role = recording.one(ROLE, f"{stack}-network-flow-logs")
    assert flow_log["iamRoleArn"] == role.outputs["arn"]
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    account = _workload_account(recording)
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": account},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:us-east-1:{account}:vpc-flow-log/*"},
    }
    write, describe = json.loads(recording.one(ROLE_POLICY, f"{stack}-network-flow-logs").inputs["policy"])[
        "Statement"
    ]
    assert write["Resource"] == [group.outputs["arn"], f"{group.outputs['arn']}:*"]
    assert set(write["Action"]) == {"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}
    assert describe["Action"] == "logs:DescribeLogGroups"  # no resource-level permission exists for it


# --- API access logs: a year in production ---------------------------------------------------------


@pytest.mark.parametrize(("stack", "days"), [("pre", 7), ("prod", 365)])
def test_api_access_logs_are_kept_a_year_in_production(
    stack: str, days: int, recordings: dict[str, Recording]
) -> None:
    group = _log_group(recordings[stack], f"/aws/apigateway/{stack}-tasks-api")
    assert group.inputs["retentionInDays"] == days


# --- configuration: the logging key ----------------------------------------------------------------


def test_configured_log_settings_reach_the_resources() -> None:
    raw = stack_values("pre")
    raw["logging"] = {
        "flowLogs": {"trafficType": "ALL", "retentionDays": 30},
        "loadBalancerRetentionDays": 7,
        "databaseRetentionDays": 60,
    }
    raw["api"] = {**raw.get("api", {}), "accessLogRetentionDays": 90}
    recording = run_env_stack("pre", raw)
    assert recording.one(FLOW_LOG).inputs["trafficType"] == "ALL"
    assert _log_group(recording, "/aws/vpc/flow-logs/pre-network").inputs["retentionInDays"] == 30
    assert _log_group(recording, "/aws/rds/cluster/pre-tasks-db/postgresql").inputs["retentionInDays"] == 60
    assert _log_group(recording, "/aws/apigateway/pre-tasks-api").inputs["retentionInDays"] == 90
    lifecycle = recording.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert lifecycle.inputs["rules"][0]["expiration"] == {"days": 7}


@pytest.mark.parametrize(
    ("logging", "key", "message"),
    [
        ({"flowLogs": {"trafficType": "DENY"}}, "logging.flowLogs.trafficType", "'REJECT', 'ALL' or"),
        ({"flowLogs": {"retentionDays": 13}}, "logging.flowLogs.retentionDays", "retention period"),
        ({"databaseRetentionDays": 10}, "logging.databaseRetentionDays", "retention period"),
        ({"loadBalancerRetentionDays": 0}, "logging.loadBalancerRetentionDays", "greater than or equal to 1"),
        ({"loadBalancerRetentionDays": 4000}, "logging.loadBalancerRetentionDays", "or equal to 3653"),
        ({"flowLog": {}}, "logging.flowLog", ""),
    ],
)
def test_bad_logging_values_name_the_stack_file_and_key(
    logging: dict[str, Any], key: str, message: str
) -> None:
    raw = stack_values("pre")
    raw["logging"] = logging
    with pytest.raises(config.ConfigError) as error:
        config.load("pre", raw)
    assert str(error.value).startswith(f"Pulumi.pre.yaml: landing-zone:{key}: ")
    assert message in str(error.value)


def test_the_logging_key_and_its_fields_are_described_in_pulumi_yaml() -> None:
    import yaml

    from components.settings.workload_logging import FlowLogSettings, LoggingSettings

    text = (Path(__file__).resolve().parent.parent / "Pulumi.yaml").read_text(encoding="utf-8")
    documented = yaml.safe_load(text)["template"]["config"]
    description = documented["landing-zone:logging"]["description"]
    assert description.startswith("[env]")
    for model in (LoggingSettings, FlowLogSettings):
        for name, field in model.model_fields.items():
            assert (field.alias or name) in description
    assert "production 365" in documented["landing-zone:api"]["description"]
