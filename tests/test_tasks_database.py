"""TasksDatabase: Aurora Serverless v2 PostgreSQL and the connection secret the image reads."""

from __future__ import annotations

import json
from typing import Any

import pulumi_random as random

from components.app_contract import TASKS_IMAGE
from components.tasks_database import TasksDatabase, TasksDatabaseArgs
from deploy.app_contract_check import plain
from deploy.simulate import Recording
from tests.tasks_support import DATA_KEY, LOGS_KEY, SG, assert_all_on_provider, opts, plan, run_with_provider

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
PASSWORD = "random:index/randomPassword:RandomPassword"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
ISOLATED = ["subnet-iso-a", "subnet-iso-b"]


def _run(raw: dict[str, Any] | None = None, *, production: bool = False) -> Recording:
    environment = "prod" if production else "pre"
    resolved = plan(raw, environment=environment, production=production)
    settings = resolved.database

    def program(provider):
        database = TasksDatabase(
            f"{environment}-tasks-db",
            TasksDatabaseArgs(
                settings=settings, vpc_id="vpc-1", subnet_ids=ISOLATED,
                random_provider=random.Provider("random"),
                data_key_arn=DATA_KEY, logs_key_arn=LOGS_KEY,
                log_retention_days=resolved.logging.database_retention_days,
            ),
            opts(provider),
        )
        return {
            "endpoint": database.endpoint,
            "secret_arn": database.secret_arn,
            "secret_version_id": database.secret_version_id,
            "port": database.port,
        }

    return run_with_provider(program, stack=environment)


def _secret_document(recording: Recording) -> dict[str, Any]:
    value = recording.one(SECRET_VERSION).inputs["secretString"]
    return json.loads(plain(value))


def test_cluster_is_serverless_v2_postgres_with_encrypted_storage() -> None:
    recording = _run()
    cluster = recording.one(CLUSTER).inputs
    assert cluster["engine"] == "aurora-postgresql"
    assert cluster["engineMode"] == "provisioned"
    assert cluster["engineVersion"] == "16.8"
    assert cluster["databaseName"] == "HiperiumCityTasksDB"
    assert cluster["masterUsername"] == "postgres"
    assert cluster["storageEncrypted"] is True
    assert cluster["port"] == 5432
    assert recording.outputs["endpoint"] == recording.one(CLUSTER).outputs["endpoint"]


def test_master_password_is_generated_and_kept_as_a_pulumi_secret() -> None:
    recording = _run()
    password = recording.one(PASSWORD)
    # Copilot's addon: 16 characters without punctuation (RDS forbids / ' " @ and spaces).
    assert password.inputs["length"] == 16 and password.inputs["special"] is False
    # With default providers disabled, the random resource must name an explicit random provider.
    provider = recording.provider_of(password)
    assert provider is not None and provider.type == "pulumi:providers:random"
    cluster = recording.one(CLUSTER).inputs
    # Not RDS's managed secret (username and password only, rotated every 7 days): the generated one,
    # sent to the engine as a secret so the state holds it encrypted.
    assert "manageMasterUserPassword" not in cluster
    assert cluster["masterPassword"] != plain(cluster["masterPassword"]), "masterPassword is not a secret"
    assert plain(cluster["masterPassword"]) == password.outputs["result"]


def test_connection_secret_holds_the_json_the_image_reads() -> None:
    recording = _run()
    cluster = recording.one(CLUSTER)
    version = recording.one(SECRET_VERSION)
    secret = recording.one(SECRET)
    assert version.inputs["secretId"] == secret.id
    secret_string = version.inputs["secretString"]
    assert secret_string != plain(secret_string), "secretString is not a secret"
    document = _secret_document(recording)
    assert TASKS_IMAGE.database_secret.problems(document) == []
    assert document == {
        "host": cluster.outputs["endpoint"],
        "port": "5432",  # AuroraDBSecretVO declares it a String
        "dbname": "HiperiumCityTasksDB",
        "username": "postgres",
        "password": recording.one(PASSWORD).outputs["result"],
        "engine": "postgres",
        "dbClusterIdentifier": cluster.outputs["clusterIdentifier"],
    }
    assert "rotationRules" not in secret.inputs and "rotationLambdaArn" not in secret.inputs
    # The component hands the service the secret's ARN and the version its tasks read, never the value.
    assert recording.outputs["secret_arn"] == secret.outputs["arn"]
    assert recording.outputs["secret_version_id"] == version.outputs["versionId"]
    assert document["password"] not in json.dumps(recording.outputs)


def test_pre_secret_is_deleted_at_once_prod_secret_is_protected_with_a_recovery_window() -> None:
    pre = _run()
    assert pre.one(SECRET).inputs["recoveryWindowInDays"] == 0
    assert not pre.one(SECRET).protect and not pre.one(PASSWORD).protect
    prod = _run(production=True)
    assert prod.one(SECRET).inputs["recoveryWindowInDays"] == 30
    assert prod.one(SECRET).protect and prod.one(PASSWORD).protect


def test_cluster_lives_in_the_isolated_subnets_behind_its_own_security_group() -> None:
    recording = _run()
    cluster = recording.one(CLUSTER)
    subnet_group = recording.one(SUBNET_GROUP)
    assert subnet_group.inputs["subnetIds"] == ISOLATED
    assert cluster.inputs["dbSubnetGroupName"] == subnet_group.outputs["name"]
    group = recording.one(SG)
    assert cluster.inputs["vpcSecurityGroupIds"] == [group.id]
    # The component admits nobody by itself: the stack's links admit the tasks (tests/test_tasks_links.py).
    assert "ingress" not in group.inputs and "egress" not in group.inputs
    for instance in recording.of_type(INSTANCE):
        assert instance.inputs["publiclyAccessible"] is False
    assert_all_on_provider(recording)


def test_pre_scales_to_zero_with_auto_pause_and_is_cheap_to_delete() -> None:
    recording = _run()
    cluster = recording.one(CLUSTER)
    assert cluster.inputs["serverlessv2ScalingConfiguration"] == {
        "minCapacity": 0.0, "maxCapacity": 8.0, "secondsUntilAutoPause": 300
    }
    assert cluster.inputs["deletionProtection"] is False
    assert cluster.inputs["skipFinalSnapshot"] is True
    assert "finalSnapshotIdentifier" not in cluster.inputs
    assert cluster.inputs["backupRetentionPeriod"] == 1
    assert not cluster.protect
    instances = recording.of_type(INSTANCE)
    assert [i.name for i in instances] == ["pre-tasks-db-writer"]
    assert instances[0].inputs["instanceClass"] == "db.serverless"
    assert instances[0].inputs["clusterIdentifier"] == cluster.id


def test_prod_keeps_half_an_acu_a_reader_deletion_protection_and_a_final_snapshot() -> None:
    recording = _run(production=True)
    cluster = recording.one(CLUSTER)
    assert cluster.inputs["serverlessv2ScalingConfiguration"] == {"minCapacity": 0.5, "maxCapacity": 8.0}
    assert cluster.inputs["deletionProtection"] is True
    assert cluster.inputs["skipFinalSnapshot"] is False
    assert cluster.inputs["finalSnapshotIdentifier"] == "prod-tasks-db-final"
    assert cluster.inputs["backupRetentionPeriod"] == 14
    assert cluster.protect
    instances = {i.name: i for i in recording.of_type(INSTANCE)}
    assert set(instances) == {"prod-tasks-db-writer", "prod-tasks-db-reader"}
    for instance in instances.values():
        assert instance.inputs["instanceClass"] == "db.serverless"
        assert instance.protect
    assert instances["prod-tasks-db-writer"].inputs["promotionTier"] == 0
    assert instances["prod-tasks-db-reader"].inputs["promotionTier"] == 1


def test_capacity_and_auto_pause_come_from_config() -> None:
    recording = _run({"database": {"minCapacity": 0, "maxCapacity": 2, "secondsUntilAutoPause": 3600}})
    assert recording.one(CLUSTER).inputs["serverlessv2ScalingConfiguration"] == {
        "minCapacity": 0.0, "maxCapacity": 2.0, "secondsUntilAutoPause": 3600
    }
