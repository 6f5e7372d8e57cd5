"""STAND-IN: replaced by the real module at merge."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import pulumi
import pulumi_aws as aws


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


class LogArchive(pulumi.ComponentResource):
    """Stand-in: declares nothing; its resource attributes are the component itself."""

    bucket: aws.s3.Bucket
    key: aws.kms.Key
    bucket_policy: aws.s3.BucketPolicy
    bucket_name: pulumi.Output[str]
    key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: LogArchiveArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("landingzone:security:LogArchive", name, None, opts)
        self.bucket = cast(aws.s3.Bucket, self)
        self.key = cast(aws.kms.Key, self)
        self.bucket_policy = cast(aws.s3.BucketPolicy, self)
        self.bucket_name = pulumi.Output.from_input(args.bucket_name)
        self.key_arn = pulumi.Output.from_input(args.account_id).apply(
            lambda account: f"arn:aws:kms:{args.region}:{account}:key/stand-in")
        self.register_outputs({"bucket_name": self.bucket_name, "key_arn": self.key_arn})
