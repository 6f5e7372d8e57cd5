"""The controls of a private, versioned S3 bucket, declared one after another as children of a component.

Used by the ALB's access-log bucket (components/workload_security.py) and the organization trail's log
archive (components/log_archive.py): ACLs disabled (BucketOwnerEnforced), all four public access blocks,
default encryption, versioning and a lifecycle. S3 refuses concurrent changes to one bucket's
configuration (OperationAborted), so each waits for the one before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

EncryptionDefault = (
    aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs
)


def abort_incomplete_uploads(days: int) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    """A lifecycle rule for the whole bucket: multipart uploads left unfinished are aborted after ``days``,
    so their parts do not pile up, billed and unseen."""
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id="abort-incomplete-uploads",
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(),
        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
            days_after_initiation=days
        ),
    )


@dataclass(frozen=True)
class BucketControls:
    public_access: aws.s3.BucketPublicAccessBlock
    versioning: aws.s3.BucketVersioning


def private_bucket_controls(
    name: str,
    bucket: pulumi.Input[str],
    *,
    parent: pulumi.Resource,
    encryption: EncryptionDefault,
    lifecycle_rules: Sequence[aws.s3.BucketLifecycleConfigurationRuleArgs],
    bucket_key_enabled: bool | None = None,
) -> BucketControls:
    """Ownership, public access block, encryption, versioning and lifecycle of ``bucket``, named ``name``."""

    def after(*resources: pulumi.Resource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=parent, depends_on=list(resources))

    ownership = aws.s3.BucketOwnershipControls(
        name, bucket=bucket,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        name, bucket=bucket, block_public_acls=True, block_public_policy=True, ignore_public_acls=True,
        restrict_public_buckets=True, opts=after(ownership),
    )
    encrypted = aws.s3.BucketServerSideEncryptionConfiguration(
        name, bucket=bucket,
        rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=encryption, bucket_key_enabled=bucket_key_enabled,
        )],
        opts=after(public_access),
    )
    versioning = aws.s3.BucketVersioning(
        name, bucket=bucket,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=after(encrypted),
    )
    aws.s3.BucketLifecycleConfiguration(
        name, bucket=bucket, rules=list(lifecycle_rules), opts=after(versioning)
    )
    return BucketControls(public_access=public_access, versioning=versioning)
