"""Stack check: the account baseline's StackSets in an opt-in Region (a warning).

The EBS-encryption and AWS Config StackSets put a stack instance in every member account for each Region
of ``baseline.regions``. CloudFormation creates a stack instance only in a Region enabled for the target
account, and for the management account too (CloudFormation User Guide, "Prerequisites for StackSet
operations", stacksets-prereqs.html / stacksets-opt-in-regions.html). Every Region launched since March 20,
2019 is an opt-in Region, disabled by default in each account, new ones included (AWS Account Management
Reference, manage-acct-regions.html), and this project enables none. The mocks accept the instance; on AWS
its operation fails in each account without the Region, and ``up`` with it. The Region may be enabled
organization-wide by hand, so ``plan`` warns rather than refuses.
"""

from __future__ import annotations

from components.settings.base import PROJECT
from components.settings.security import KEY, OTHER_PARTITIONS, REGIONS_ENABLED_BY_DEFAULT, SecurityConfig
from deploy.stack_checks import WARNING, Finding, StackContext

CHECK = "security regions"


def check_baseline_opt_in_regions(context: StackContext) -> list[Finding]:
    settings = context.settings
    if not isinstance(settings, SecurityConfig):
        return []
    baseline = settings.security.baseline
    if not (baseline.ebs_encryption_by_default or settings.tooling.aws_config):
        return []  # no StackSet: nothing is deployed per account and Region
    # The configured list, else the stack's Region (the baseline's default).
    where = f"{KEY}.baseline.regions" if baseline.regions is not None else f"{PROJECT}:region"
    return [
        Finding(CHECK, WARNING, f"{context.source}: {where}",
                f"'{region}' is an opt-in Region: the baseline's StackSets create stack instances there only "
                "in accounts that have enabled it (the management account too), and the accounts the org "
                "stack creates have not; enable it in every account first, or leave it out")
        for region in settings.regions
        if region not in REGIONS_ENABLED_BY_DEFAULT and not region.startswith(OTHER_PARTITIONS)
    ]
