"""STAND-IN: replaced by the real module at merge."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class AccountBaselineArgs:
    root_id: pulumi.Input[str]
    regions: Sequence[str]
    s3_block_public_access: bool
    ebs_encryption_by_default: bool


class AccountBaseline(pulumi.ComponentResource):
    """Stand-in: declares nothing."""

    s3_policy: aws.organizations.Policy | None
    stack_set: aws.cloudformation.StackSet | None

    def __init__(self, name: str, args: AccountBaselineArgs, opts: pulumi.ResourceOptions | None = None
                 ) -> None:
        super().__init__("landingzone:security:AccountBaseline", name, None, opts)
        self.s3_policy = None
        self.stack_set = None
        self.register_outputs({})
