"""The workload account's own encryption keys and the bucket of the ALB's access logs.

``WorkloadKeys``: two customer managed KMS keys per environment ($1 a month each, plus requests),
rotated every year by KMS:

- ``logs``: every CloudWatch log group of the Tasks Service (the service's, the HTTP API's access log,
  the PostgreSQL log the cluster exports, the VPC flow log). Its policy lets CloudWatch Logs of this
  account and region use it, only for log groups of this account and region (the encryption context
  CloudWatch Logs sends, ``kms:EncryptionContext:aws:logs:arn``; https://docs.aws.amazon.com/
  AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html, "Step 2: Set permissions on the KMS key").
- ``data``: the Aurora cluster's storage (snapshots included) and its connection secret. Its policy
  lets principals of this account use it only through RDS and Secrets Manager in this region
  (``kms:ViaService`` with ``kms:CallerAccount``, the shape of the AWS managed aws/rds and
  aws/secretsmanager key policies); IAM then decides who: the deploying role, and the tasks'
  execution role for the secret (components/tasks_service.py).

Neither policy lets anyone use the keys directly: the account itself (``:root``, i.e. IAM policies of
the account) may administer them, with the lockout check of CreateKey satisfied through IAM, but not
encrypt, decrypt or create grants outside those services. Production keys are ``protect``ed and wait
30 days before deletion (the data key also decrypts the final snapshot); elsewhere 7.

``AccessLogBucket``: where the ALB writes its access logs. ALB access logs support only SSE-S3
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html,
"The only server-side encryption option that's supported is Amazon S3-managed keys (SSE-S3)"), so the
bucket uses AES256, not the KMS key. Public access blocked, ACLs disabled (bucket owner enforced), TLS
required, versioned, and every object expires after the configured days (noncurrent versions a day
later). The bucket policy admits exactly the principal ELB documents for the region, writing only
under ``<prefix>/AWSLogs/<account id>/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.private_bucket import EncryptionDefault, abort_incomplete_uploads, private_bucket_controls

ROTATION_DAYS = 365  # KMS's default; EnableKeyRotation takes 90-2560
DELETION_WINDOW_DAYS = {True: 30, False: 7}  # ScheduleKeyDeletion: 7-30 days (production: the longest)
# Administering a key, without using it: no Encrypt/Decrypt/GenerateDataKey and no CreateGrant (a
# grant would hand out its use). AWS's console "key administrators" statement minus kms:Create*.
KEY_ADMIN_ACTIONS = (
    "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags",
    "kms:ListKeyPolicies", "kms:ListGrants", "kms:ListKeyRotations", "kms:PutKeyPolicy",
    "kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:RotateKeyOnDemand", "kms:EnableKey",
    "kms:DisableKey", "kms:UpdateKeyDescription", "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias",
    "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
    "kms:RevokeGrant", "kms:RetireGrant",
)
# What CloudWatch Logs does with the key (encrypt-log-data-kms, the key policy's service statement).
LOGS_SERVICE_ACTIONS = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*")
# What RDS and Secrets Manager do with a key on their caller's behalf (the AWS managed key policies).
VIA_SERVICE_ACTIONS = (
    "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant",
    "kms:ListGrants", "kms:DescribeKey",
)
LOGS_CONTEXT_KEY = "kms:EncryptionContext:aws:logs:arn"

# --- ALB access logs -------------------------------------------------------------------------------
ACCESS_LOG_PREFIX = "alb"  # objects land under alb/AWSLogs/<account id>/elasticloadbalancing/...
NONCURRENT_DAYS = 1
ABORT_UPLOAD_DAYS = 1
# The ELB account that writes access logs, for the Regions that existed before August 2022; Regions
# opened since use the log delivery service principal instead. Both from the ALB guide, "Attach a
# policy to your S3 bucket" (docs.aws.amazon.com/elasticloadbalancing/latest/application/
# enable-access-logging.html; also awsdocs/elb-application-load-balancers-user-guide,
# doc_source/enable-access-logging.md).
ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
    "us-west-2": "797873946194", "af-south-1": "098369216593", "ca-central-1": "985666609251",
    "eu-central-1": "054676820928", "eu-west-1": "156460612806", "eu-west-2": "652711504416",
    "eu-south-1": "635631232127", "eu-west-3": "009996457667", "eu-north-1": "897822967062",
    "ap-east-1": "754344448648", "ap-northeast-1": "582318560864", "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331", "ap-southeast-1": "114774131450", "ap-southeast-2": "783225319266",
    "ap-south-1": "718504428378", "me-south-1": "076674570225", "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584", "us-gov-east-1": "190560391635",
}
ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"


def account_root(account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.concat("arn:aws:iam::", account_id, ":root")


def log_group_arn_pattern(region: str, account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """Every log group of the account in the region: the encryption context the logs key admits."""
    return pulumi.Output.concat("arn:aws:logs:", region, ":", account_id, ":log-group:*")


def _administration(account_id: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "Sid": "AccountAdministersTheKey",
        "Effect": "Allow",
        "Principal": {"AWS": account_root(account_id)},
        "Action": list(KEY_ADMIN_ACTIONS),
        "Resource": "*",
    }


def _via_service(sid: str, service: str, account_id: pulumi.Input[str], actions: tuple[str, ...],
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The account's principals may use the key only through ``service`` (IAM decides which of them)."""
    condition: dict[str, Any] = {"StringEquals": {"kms:ViaService": service, "kms:CallerAccount": account_id}}
    condition.update(extra or {})
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": account_root(account_id)},
        "Action": list(actions),
        "Resource": "*",
        "Condition": condition,
    }


def logs_key_policy(region: str, account_id: pulumi.Input[str]) -> dict[str, Any]:
    """Key policy of the logs key: CloudWatch Logs of this account and region, nothing else."""
    log_groups = log_group_arn_pattern(region, account_id)
    return {
        "Version": "2012-10-17",
        "Statement": [
            _administration(account_id),
            {
                "Sid": "CloudWatchLogsOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": list(LOGS_SERVICE_ACTIONS),
                "Resource": "*",
                "Condition": {"ArnLike": {LOGS_CONTEXT_KEY: log_groups}},
            },
            # CloudWatch Logs may also call KMS on its caller's behalf (kms:ViaService, the note at the
            # top of encrypt-log-data-kms): allowed for the account's principals, for its log groups.
            _via_service(
                "ReadAndWriteThroughCloudWatchLogs", f"logs.{region}.amazonaws.com", account_id,
                ("kms:Decrypt", "kms:GenerateDataKey"), {"ArnLike": {LOGS_CONTEXT_KEY: log_groups}},
            ),
        ],
    }


def data_key_policy(region: str, account_id: pulumi.Input[str]) -> dict[str, Any]:
    """Key policy of the data key: used only through RDS (storage) and Secrets Manager (the secret)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            _administration(account_id),
            _via_service("UseThroughRds", f"rds.{region}.amazonaws.com", account_id, VIA_SERVICE_ACTIONS),
            _via_service(
                "UseThroughSecretsManager", f"secretsmanager.{region}.amazonaws.com", account_id,
                VIA_SERVICE_ACTIONS,
            ),
        ],
    }


@dataclass(frozen=True)
class WorkloadKeysArgs:
    environment: str
    region: str
    account_id: pulumi.Input[str]  # the workload account (the key policies name it)
    production: bool


class WorkloadKeys(pulumi.ComponentResource):
    """The environment's logs key and data key, each with an alias."""

    logs_key: aws.kms.Key
    data_key: aws.kms.Key
    aliases: list[aws.kms.Alias]
    logs_key_arn: pulumi.Output[str]
    data_key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: WorkloadKeysArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("landingzone:security:WorkloadKeys", name, None, opts)
        kept = pulumi.ResourceOptions(parent=self, protect=args.production)
        policies = {
            "logs": (f"CloudWatch Logs of the {args.environment} Tasks Service",
                     logs_key_policy(args.region, args.account_id)),
            "data": (f"Aurora storage and database secret of the {args.environment} Tasks Service",
                     data_key_policy(args.region, args.account_id)),
        }
        keys: dict[str, aws.kms.Key] = {}
        self.aliases = []
        for purpose, (description, policy) in policies.items():
            keys[purpose] = aws.kms.Key(
                f"{name}-{purpose}",
                description=description,
                key_usage="ENCRYPT_DECRYPT",
                customer_master_key_spec="SYMMETRIC_DEFAULT",  # CloudWatch Logs takes symmetric keys only
                enable_key_rotation=True,
                rotation_period_in_days=ROTATION_DAYS,
                deletion_window_in_days=DELETION_WINDOW_DAYS[args.production],
                policy=pulumi.Output.json_dumps(policy),
                opts=kept,
            )
            self.aliases.append(aws.kms.Alias(
                f"{name}-{purpose}",
                name=f"alias/{args.environment}/tasks-{purpose}",
                target_key_id=keys[purpose].key_id,
                opts=pulumi.ResourceOptions(parent=self),
            ))
        self.logs_key, self.data_key = keys["logs"], keys["data"]
        self.logs_key_arn = self.logs_key.arn
        self.data_key_arn = self.data_key.arn
        self.register_outputs({"logs_key_arn": self.logs_key_arn, "data_key_arn": self.data_key_arn})


def elb_log_writer(region: str) -> dict[str, str]:
    """The bucket policy principal that ELB writes access logs as, in ``region``."""
    account = ELB_LOG_ACCOUNTS.get(region)
    if account is not None:
        return {"AWS": f"arn:aws:iam::{account}:root"}
    return {"Service": ELB_LOG_DELIVERY_SERVICE}


def access_log_bucket_policy(
    bucket_arn: pulumi.Input[str], region: str, account_id: pulumi.Input[str], prefix: str = ACCESS_LOG_PREFIX
) -> dict[str, Any]:
    """TLS only, for everyone; ELB may put objects under ``<prefix>/AWSLogs/<account id>/``, nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyPlainHttp",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "ElbWritesAccessLogs",
                "Effect": "Allow",
                "Principal": elb_log_writer(region),
                "Action": "s3:PutObject",
                "Resource": pulumi.Output.concat(bucket_arn, "/", prefix, "/AWSLogs/", account_id, "/*"),
            },
        ],
    }


@dataclass(frozen=True)
class AccessLogBucketArgs:
    region: str
    account_id: pulumi.Input[str]  # the load balancer's account: its logs' path
    retention_days: int  # objects expire after this many days
    production: bool  # production keeps the bucket (and its logs) when the stack is destroyed


class AccessLogBucket(pulumi.ComponentResource):
    """An S3 bucket the ALB writes its access logs to (SSE-S3, private, TLS only, expiring)."""

    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy
    bucket_name: pulumi.Output[str]
    prefix: str

    def __init__(
        self, name: str, args: AccessLogBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landingzone:security:AccessLogBucket", name, None, opts)
        self.prefix = ACCESS_LOG_PREFIX
        self.bucket = aws.s3.Bucket(
            name,
            # Outside production `destroy` empties the bucket; production keeps it (and its logs).
            force_destroy=not args.production,
            opts=pulumi.ResourceOptions(parent=self, protect=args.production),
        )
        bucket = self.bucket.id
        controls = private_bucket_controls(
            name, bucket, parent=self,
            encryption=EncryptionDefault(sse_algorithm="AES256"),  # SSE-S3: the only one ALB logs support
            lifecycle_rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-access-logs",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=f"{self.prefix}/"),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.retention_days),
                    noncurrent_version_expiration=(
                        aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                            noncurrent_days=NONCURRENT_DAYS
                        )
                    ),
                ),
                # For the whole bucket, not only the logs' prefix: no upload is left to pile up anywhere.
                abort_incomplete_uploads(ABORT_UPLOAD_DAYS),
            ],
        )
        self.policy = aws.s3.BucketPolicy(
            name, bucket=bucket,
            policy=pulumi.Output.json_dumps(
                access_log_bucket_policy(self.bucket.arn, args.region, args.account_id, self.prefix)
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[controls.public_access]),
        )
        self.bucket_name = self.bucket.bucket
        self.register_outputs({"bucket": self.bucket_name})
