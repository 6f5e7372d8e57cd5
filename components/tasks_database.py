"""TasksDatabase: the Tasks Service's Aurora Serverless v2 PostgreSQL cluster.

- Writer (and, when configured, a reader) of class ``db.serverless``; capacity from config, down to 0
  ACU with auto-pause where the engine version supports it (checked in components/settings/tasks_service.py).
- The master password is generated and kept by RDS in Secrets Manager
  (``manage_master_user_password``): no password exists in code, config or Pulumi state. That secret
  holds only ``username`` and ``password``; how the service gets the host, port and database name is
  explained in components/tasks_service.py.
- Storage encrypted; isolated subnets (no route out of the VPC); not publicly accessible.
- Its security group has no rules of its own: components/tasks_service.py adds the one ingress rule
  (5432 from the tasks' security group). Nothing else can connect.
- Production: deletion protection, a final snapshot on deletion, Pulumi ``protect`` on the cluster and
  its instances, and a reader in the other AZ.

Note: Aurora pauses only when no connection is open; a service that keeps a
connection pool open (this one does, and runs Quartz on JDBC) keeps it awake while a task runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.settings.tasks_service import DatabasePlan

ENGINE = aws.rds.EngineType.AURORA_POSTGRESQL
INSTANCE_CLASS = "db.serverless"
PORT = 5432
BACKUP_WINDOW = "07:00-08:00"  # UTC; 02:00-03:00 at the service's default -05:00
MAINTENANCE_WINDOW = "sun:08:00-sun:09:00"


@dataclass(frozen=True)
class TasksDatabaseArgs:
    settings: DatabasePlan
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]  # the isolated subnets


class TasksDatabase(pulumi.ComponentResource):
    """Security group, subnet group, cluster and its serverless instances."""

    security_group: aws.ec2.SecurityGroup
    subnet_group: aws.rds.SubnetGroup
    cluster: aws.rds.Cluster
    writer: aws.rds.ClusterInstance
    reader: aws.rds.ClusterInstance | None
    endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    port: int
    database_name: str
    secret_arn: pulumi.Output[str]  # the RDS-managed master user secret

    def __init__(
        self, name: str, args: TasksDatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landingzone:tasks:TasksDatabase", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        kept = pulumi.ResourceOptions(parent=self, protect=settings.protect)

        self.security_group = aws.ec2.SecurityGroup(
            name,
            description=f"Aurora cluster of {name}: PostgreSQL from the service tasks only",
            vpc_id=args.vpc_id,
            opts=child,
        )
        self.subnet_group = aws.rds.SubnetGroup(
            name,
            description=f"Isolated subnets of {name}",
            subnet_ids=args.subnet_ids,
            opts=child,
        )
        self.cluster = aws.rds.Cluster(
            name,
            engine=ENGINE,
            engine_mode="provisioned",  # Serverless v2 runs on provisioned-mode clusters
            engine_version=settings.engine_version,
            database_name=settings.database_name,
            master_username=settings.master_username,
            manage_master_user_password=True,
            port=PORT,
            db_subnet_group_name=self.subnet_group.name,
            vpc_security_group_ids=[self.security_group.id],
            storage_encrypted=True,
            serverlessv2_scaling_configuration=aws.rds.ClusterServerlessv2ScalingConfigurationArgs(
                min_capacity=settings.min_capacity,
                max_capacity=settings.max_capacity,
                seconds_until_auto_pause=settings.seconds_until_auto_pause,
            ),
            backup_retention_period=settings.backup_retention_days,
            preferred_backup_window=BACKUP_WINDOW,
            preferred_maintenance_window=MAINTENANCE_WINDOW,
            copy_tags_to_snapshot=True,
            deletion_protection=settings.deletion_protection,
            skip_final_snapshot=not settings.final_snapshot,
            final_snapshot_identifier=f"{name}-final" if settings.final_snapshot else None,
            opts=kept,
        )
        self.writer = self._instance(name, "writer", promotion_tier=0, opts=kept)
        self.reader = (
            self._instance(name, "reader", promotion_tier=1, opts=kept) if settings.reader_instance else None
        )

        self.endpoint = self.cluster.endpoint
        self.reader_endpoint = self.cluster.reader_endpoint
        self.port = PORT
        self.database_name = settings.database_name
        self.secret_arn = self.cluster.master_user_secrets.apply(_secret_arn)
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "reader_endpoint": self.reader_endpoint,
                "secret_arn": self.secret_arn,
            }
        )

    def _instance(
        self, name: str, role: str, *, promotion_tier: int, opts: pulumi.ResourceOptions
    ) -> aws.rds.ClusterInstance:
        return aws.rds.ClusterInstance(
            f"{name}-{role}",
            cluster_identifier=self.cluster.id,
            engine=ENGINE,
            engine_version=self.cluster.engine_version,
            instance_class=INSTANCE_CLASS,
            db_subnet_group_name=self.subnet_group.name,
            publicly_accessible=False,
            promotion_tier=promotion_tier,
            opts=opts,
        )


def _secret_arn(secrets: Sequence[aws.rds.outputs.ClusterMasterUserSecret] | None) -> str:
    if not secrets or not secrets[0].secret_arn:
        raise pulumi.RunError("the Aurora cluster reports no managed master user secret")
    return secrets[0].secret_arn
