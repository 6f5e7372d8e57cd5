"""TasksDatabase: Aurora Serverless v2 PostgreSQL per environment, secret managed by RDS."""

from __future__ import annotations

from typing import Any

from components.tasks_database import TasksDatabase, TasksDatabaseArgs
from deploy.simulate import Recording
from tests.tasks_support import SG, assert_all_on_provider, opts, plan, run_with_provider

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
ISOLATED = ["subnet-iso-a", "subnet-iso-b"]


def _run(raw: dict[str, Any] | None = None, *, production: bool = False) -> Recording:
    environment = "prod" if production else "pre"
    settings = plan(raw, environment=environment, production=production).database

    def program(provider):
        database = TasksDatabase(
            f"{environment}-tasks-db",
            TasksDatabaseArgs(settings=settings, vpc_id="vpc-1", subnet_ids=ISOLATED),
            opts(provider),
        )
        return {"endpoint": database.endpoint, "secret_arn": database.secret_arn, "port": database.port}

    return run_with_provider(program, stack=environment)


def test_cluster_is_serverless_v2_postgres_with_a_managed_secret_and_encrypted_storage() -> None:
    recording = _run()
    cluster = recording.one(CLUSTER).inputs
    assert cluster["engine"] == "aurora-postgresql"
    assert cluster["engineMode"] == "provisioned"
    assert cluster["engineVersion"] == "16.6"
    assert cluster["databaseName"] == "HiperiumCityTasksDB"
    assert cluster["masterUsername"] == "postgres"
    assert cluster["manageMasterUserPassword"] is True
    assert "masterPassword" not in cluster and "masterPasswordWo" not in cluster
    assert cluster["storageEncrypted"] is True
    assert cluster["port"] == 5432
    # The stack exports the secret RDS created, and the cluster's endpoint.
    secrets = recording.one(CLUSTER).outputs["masterUserSecrets"]
    assert recording.outputs["secret_arn"] == secrets[0]["secretArn"]
    assert recording.outputs["endpoint"] == recording.one(CLUSTER).outputs["endpoint"]


def test_cluster_lives_in_the_isolated_subnets_behind_its_own_security_group() -> None:
    recording = _run()
    cluster = recording.one(CLUSTER)
    subnet_group = recording.one(SUBNET_GROUP)
    assert subnet_group.inputs["subnetIds"] == ISOLATED
    assert cluster.inputs["dbSubnetGroupName"] == subnet_group.outputs["name"]
    group = recording.one(SG)
    assert cluster.inputs["vpcSecurityGroupIds"] == [group.id]
    # The component admits nobody by itself: the service declares the one ingress rule.
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
