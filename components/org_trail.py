"""The organization trail: one multi-region CloudTrail trail in the management account that records every
account of the organization, into the log archive's bucket, encrypted with its key.

An organization trail must be created in the management account (or a delegated administrator), in its
home region (pulumi_aws cloudtrail/trail.py, "Tips"; CloudTrail User Guide, creating-trail-organization
.html): the provider comes through ``opts``. The trail waits for ``ready`` (the bucket policy and the
key): CloudTrail checks the bucket policy and the key when the trail is created (InsufficientS3Bucket
PolicyException, InsufficientEncryptionPolicyException in CreateTrail's errors). Log file validation
writes signed hourly digest files next to the logs. Member accounts cannot stop or change it; the
project's SCP also denies them CloudTrail changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class OrganizationTrailArgs:
    name: str
    bucket_name: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    ready: Sequence[pulumi.Resource]  # bucket policy + key: the trail depends on them


class OrganizationTrail(pulumi.ComponentResource):
    """A multi-region organization trail with log file validation, SSE-KMS encrypted."""

    trail: aws.cloudtrail.Trail

    def __init__(
        self, name: str, args: OrganizationTrailArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landingzone:security:OrganizationTrail", name, None, opts)
        self.trail = aws.cloudtrail.Trail(
            name,
            name=args.name,
            s3_bucket_name=args.bucket_name,
            kms_key_id=args.kms_key_arn,
            is_organization_trail=True,
            is_multi_region_trail=True,
            include_global_service_events=True,  # IAM, STS, CloudFront...: recorded once, in the home region
            enable_log_file_validation=True,
            enable_logging=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.ready), protect=True,
                                        retain_on_delete=True),
        )
        self.register_outputs({"trail_arn": self.trail.arn})
