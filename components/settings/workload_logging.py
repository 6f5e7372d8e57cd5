"""Settings of the workload account's own logs (key ``logging`` of an environment stack).

What the scanners platform teams run expect of the Tasks Service's logs, at a cost that fits a small
environment: VPC flow logs (rejected traffic only unless asked), the ALB's access logs in S3 and the
retention of the PostgreSQL log the cluster exports. Every CloudWatch log group of the workload is
encrypted with the environment's customer managed KMS key (components/workload_security.py); the
service's and the HTTP API's retention stay with their own keys (``service.logRetentionDays``,
``api.accessLogRetentionDays``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from components.settings.base import LogRetentionDays, Model

# What a flow log records (ec2:CreateFlowLogs TrafficType). REJECT is the cheap default: the packets
# security groups and network ACLs refused, which is what an investigation looks for first.
FlowLogTraffic = Literal["REJECT", "ALL", "ACCEPT"]
# S3 lifecycle expiration of the ALB's access logs (PutBucketLifecycleConfiguration Expiration.Days
# takes a positive whole number of days); at most ten years, as the longest CloudWatch retention.
ACCESS_LOG_DAYS = (1, 3653)


class FlowLogSettings(Model):
    traffic_type: FlowLogTraffic = "REJECT"
    retention_days: LogRetentionDays | None = None  # default: 365 in production, 14 elsewhere


class LoggingSettings(Model):
    """The workload's network, load balancer and database logs."""

    flow_logs: FlowLogSettings = FlowLogSettings()
    # Days the ALB's access logs stay in their S3 bucket; default: 90 in production, 30 elsewhere.
    load_balancer_retention_days: int | None = Field(
        default=None, ge=ACCESS_LOG_DAYS[0], le=ACCESS_LOG_DAYS[1]
    )
    # Retention of the PostgreSQL log the Aurora cluster exports; default: 90 in production, 14 elsewhere.
    database_retention_days: LogRetentionDays | None = None


class FlowLogPlan(Model):
    traffic_type: FlowLogTraffic
    retention_days: int


class LoggingPlan(Model):
    flow_logs: FlowLogPlan
    load_balancer_retention_days: int
    database_retention_days: int
    production: bool  # keys and log bucket are kept (protect, no force-destroy) in production


def resolve_logging(settings: LoggingSettings, *, production: bool) -> LoggingPlan:
    """Resolve the environment defaults (every value is already checked by the model)."""
    flow = settings.flow_logs
    return LoggingPlan(
        flow_logs=FlowLogPlan(
            traffic_type=flow.traffic_type,
            retention_days=flow.retention_days or (365 if production else 14),
        ),
        load_balancer_retention_days=settings.load_balancer_retention_days or (90 if production else 30),
        database_retention_days=settings.database_retention_days or (90 if production else 14),
        production=production,
    )
