"""The security stack's account baseline as its tests record it, and the CloudFormation templates its
StackSets deploy, as the tests read and lint them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from components.account_baseline import AccountBaseline, AccountBaselineArgs
from deploy.simulate import Recording, simulate

MANAGEMENT = "111111111111"


def record_baseline(args: Callable[[aws.Provider], AccountBaselineArgs]) -> Recording:
    """The AccountBaseline ``args(management provider)`` describes, recorded on a management provider
    pinned to MANAGEMENT (what the security stack gives it)."""

    def program() -> Mapping[str, Any]:
        management = aws.Provider("security-management", region="us-east-1",
                                  allowed_account_ids=[MANAGEMENT])
        AccountBaseline("baseline", args(management),
                        opts=pulumi.ResourceOptions(providers={"aws": management}))
        return {}

    return simulate("security", program)


def parsed_template(text: str) -> dict[str, Any]:
    """The template parsed the way CloudFormation reads it (cfn-lint's decoder: YAML with its short tags)."""
    from cfnlint.decode import decode_str

    parsed, matches = decode_str(text)
    assert not matches and parsed is not None
    return dict(parsed)


def lint_findings(text: str) -> list[str]:
    """cfn-lint's errors and warnings (its default rules) in every commercial Region it knows: the runtime,
    the architecture and each resource type must exist wherever a StackSet may be told to deploy."""
    from cfnlint.api import lint
    from cfnlint.helpers import REGIONS as CFN_LINT_REGIONS

    regions = [r for r in CFN_LINT_REGIONS if not r.startswith(("us-gov", "us-iso", "cn-", "eusc-"))]
    assert len(regions) > 20
    return [str(match) for match in lint(text, regions=regions)]
