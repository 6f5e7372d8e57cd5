"""The log archive: the S3 bucket the organization trail delivers to, and the KMS key it is encrypted with,
both in the log-archive account (the provider comes through ``opts``: ``providers={"aws": ...}``).

- Bucket: versioned; default encryption SSE-KMS with the key and an S3 Bucket Key (one KMS request per
  bucket key instead of one per log file); all four Block Public Access settings; ACLs disabled
  (BucketOwnerEnforced: the ``bucket-owner-full-control`` CloudTrail sends is still accepted, S3 User
  Guide, about-object-ownership.html); a lifecycle (to GLACIER_IR after ``transition_days`` when set,
  expiry after ``retention_days``, noncurrent versions too, incomplete uploads aborted).
- Bucket policy and key policy: ``iam_documents/log_archive.py`` (what each statement follows, with
  sources).
- Key: symmetric (SSE-KMS takes only symmetric keys), rotated yearly, 30 days' deletion window.

The bucket, the key and the bucket policy are ``protect``ed and ``retain_on_delete``: a ``destroy`` never
deletes them, and removing them from the program only drops them from the state.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.private_bucket import EncryptionDefault, abort_incomplete_uploads, private_bucket_controls
from iam_documents import log_archive as documents

ROTATION_DAYS = 365  # EnableKeyRotation takes 90-2560
DELETION_WINDOW_DAYS = 30  # ScheduleKeyDeletion: 7-30; the longest
ABORT_UPLOAD_DAYS = 7
COLD_STORAGE_CLASS = "GLACIER_IR"  # S3 Glacier Instant Retrieval: millisecond reads, 90-day minimum


@dataclass(frozen=True)
class LogArchiveArgs:
    account_id: pulumi.Input[str]  # the log-archive account
    management_account_id: pulumi.Input[str]
    organization_id: pulumi.Input[str]
    region: str
    bucket_name: pulumi.Input[str]
    trail_name: str
    retention_days: int
    transition_days: int | None
    reader_role_patterns: Sequence[str]  # ArnLike patterns of IAM roles in the log-archive account
    config_delivery: bool = False  # also let AWS Config deliver (tooling.awsConfig)


def lifecycle_rules(retention_days: int, transition_days: int | None) -> list[
    aws.s3.BucketLifecycleConfigurationRuleArgs
]:
    """Every object of the bucket: colder after ``transition_days``, gone after ``retention_days``."""
    transitions = [] if transition_days is None else [aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
        days=transition_days, storage_class=COLD_STORAGE_CLASS
    )]
    return [
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="retain-logs",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(),  # the whole bucket
            transitions=transitions,
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=retention_days),
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=retention_days
            ),
        ),
        abort_incomplete_uploads(ABORT_UPLOAD_DAYS),
    ]


class LogArchive(pulumi.ComponentResource):
    """The organization trail's bucket and key, in the log-archive account."""

    bucket: aws.s3.Bucket
    key: aws.kms.Key
    bucket_policy: aws.s3.BucketPolicy
    bucket_name: pulumi.Output[str]
    key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: LogArchiveArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("landingzone:security:LogArchive", name, None, opts)
        kept = pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True)
        readers = list(args.reader_role_patterns)
        ids = pulumi.Output.all(
            args.account_id, args.management_account_id, args.organization_id, args.bucket_name
        )

        def key_document(values: list[Any]) -> str:
            account, management, organization, bucket_name = (str(v) for v in values)
            return json.dumps(documents.key_policy(
                log_archive_account_id=account, management_account_id=management,
                organization_id=organization,
                trail_arn=documents.trail_arn(args.region, management, args.trail_name),
                reader_role_patterns=readers, config_delivery=args.config_delivery, region=args.region,
                bucket_name=bucket_name,
            ))

        self.key = aws.kms.Key(
            name,
            description=f"Organization trail {args.trail_name}: log files in the log archive",
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            rotation_period_in_days=ROTATION_DAYS,
            deletion_window_in_days=DELETION_WINDOW_DAYS,
            policy=ids.apply(key_document),
            opts=kept,
        )
        self.bucket = aws.s3.Bucket(name, bucket=args.bucket_name, force_destroy=False, opts=kept)
        bucket = self.bucket.id
        controls = private_bucket_controls(
            name, bucket, parent=self,
            encryption=EncryptionDefault(sse_algorithm="aws:kms", kms_master_key_id=self.key.arn),
            bucket_key_enabled=True,
            lifecycle_rules=lifecycle_rules(args.retention_days, args.transition_days),
        )

        def bucket_document(values: list[Any]) -> str:
            bucket_name, account, management, organization = (str(v) for v in values)
            return json.dumps(documents.bucket_policy(
                bucket_name=bucket_name,
                trail_arn=documents.trail_arn(args.region, management, args.trail_name),
                management_account_id=management, organization_id=organization,
                log_archive_account_id=account, reader_role_patterns=readers,
                config_delivery=args.config_delivery,
            ))

        self.bucket_policy = aws.s3.BucketPolicy(
            name, bucket=bucket,
            policy=pulumi.Output.all(
                self.bucket.bucket, args.account_id, args.management_account_id, args.organization_id
            ).apply(bucket_document),
            # After Block Public Access, so S3 judges the policy with it on (and it is not public).
            opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True,
                                        depends_on=[controls.public_access]),
        )
        self.bucket_name = self.bucket.bucket
        self.key_arn = self.key.arn
        self.register_outputs({"bucket_name": self.bucket_name, "key_arn": self.key_arn})
