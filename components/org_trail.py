"""STAND-IN: replaced by the real module at merge."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import cast

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class OrganizationTrailArgs:
    name: str
    bucket_name: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    ready: Sequence[pulumi.Resource]  # bucket policy + key: the trail depends on them


class OrganizationTrail(pulumi.ComponentResource):
    """Stand-in: declares nothing; ``trail`` only carries an ARN."""

    trail: aws.cloudtrail.Trail

    def __init__(self, name: str, args: OrganizationTrailArgs, opts: pulumi.ResourceOptions | None = None
                 ) -> None:
        super().__init__("landingzone:security:OrganizationTrail", name, None, opts)
        arn = pulumi.Output.from_input(f"arn:aws:cloudtrail:us-east-1:111111111111:trail/{args.name}")
        self.trail = cast(aws.cloudtrail.Trail, SimpleNamespace(arn=arn))
        self.register_outputs({"trail_arn": arn})
