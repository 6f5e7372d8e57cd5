"""The security stack's part of the idle cost estimate: organization-wide services billed per account by
use, at a stated assumed volume, and the log archive's storage at its lifecycle.

Nothing here is an hourly charge: GuardDuty, Security Hub CSPM and AWS Config bill what they analyse or
record, so each line is the assumed monthly volume of a quiet account (``securityAssumptions`` in
``policies/prices.json``) times the first-tier us-east-1 price, times the accounts the organization-wide
services cover (the ``idle-cost-estimate`` setting ``organizationAccounts``, derived by the driver from the
org stack file). The log bucket's storage is the steady state of its lifecycle: ``transitionDays`` of logs
in S3 Standard, the rest up to ``retentionDays`` in Glacier Instant Retrieval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policies.rules.base import StackIndex, _get, _items, _known, _number
from policies.rules.security import BUCKETS, TRAIL, _is_org_trail, _pieces

LIFECYCLE = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
# The account baseline's Config StackSet (components/config_recording.py CONFIG_STACK_SET_NAME): one
# recorder per member account in each Region it has an instance for, each billed for what it records.
CONFIG_STACK_SET_NAME = "landing-zone-config-recording"
STACK_SET_INSTANCE = "aws:cloudformation/stackSetInstance:StackSetInstance"
DAYS_PER_MONTH = 365 / 12
UNEXPIRED_DAYS = 365  # logs kept forever are shown after one year


@dataclass(frozen=True)
class SecurityLine:
    item: str
    quantity: float
    unit: str
    monthly_usd: float


def _has(index: StackIndex, prefix: str) -> bool:
    return any(r.resource_type.startswith(prefix) for r in index.resources)


def _config_regions(index: StackIndex) -> int:
    """The Regions the Config recorders' StackSet deploys to (0 without it)."""
    return len({_known(i.props, "stackSetInstanceRegion") for i in index.of_type(STACK_SET_INSTANCE)
                if _known(i.props, "stackSetName") == CONFIG_STACK_SET_NAME})


def _lifecycle_days(index: StackIndex) -> tuple[str, float | None, float | None] | None:
    """(bucket URN, days to Glacier IR, days to expiry) of the organization trail's bucket; None without
    such a bucket."""
    for trail in index.of_type(TRAIL):
        if not _is_org_trail(trail):
            continue
        buckets = index.referenced(trail, "s3BucketName", BUCKETS, keys=("bucket", "id"))
        if not buckets:
            continue
        for lifecycle in _pieces(index, LIFECYCLE, buckets[0]):
            for rule in _items(_known(lifecycle.props, "rules")):
                if _get(rule, "status") != "Enabled":
                    continue
                transitions = [t for t in _items(_get(rule, "transitions"))
                               if _get(t, "storageClass") == "GLACIER_IR"]
                transition = _number(_get(transitions[0], "days")) if transitions else None
                return buckets[0].urn, transition, _number(_get(rule, "expiration", "days"))
        return buckets[0].urn, None, None
    return None


@dataclass(frozen=True)
class SecurityCost:
    lines: list[SecurityLine]
    assumptions: list[str]  # the volumes and prices behind the lines
    usage: list[str]  # usage-based charges not counted
    stored_buckets: set[str]  # URNs of the buckets whose storage is counted


def security_lines(index: StackIndex, prices: Mapping[str, Any], accounts: int) -> SecurityCost:
    """The cost lines of the security services declared, with their assumptions (none with a price table
    that has no security prices)."""
    if "security" not in prices or "securityAssumptions" not in prices:
        return SecurityCost([], [], [], set())
    price: Mapping[str, float] = prices["security"]
    assumed: Mapping[str, float] = prices["securityAssumptions"]
    lines: list[SecurityLine] = []
    notes: list[str] = []
    usage: list[str] = []
    covered = f"{accounts} account(s) (idle-cost-estimate.organizationAccounts)"

    if _has(index, "aws:guardduty/"):
        events, gigabytes = assumed["managementEventsPerAccount"], assumed["flowAndDnsLogGbPerAccount"]
        per_account = (events / 1e6 * price["guardDutyManagementEventsPerMillion"]
                       + gigabytes * price["guardDutyFlowAndDnsLogsPerGb"])
        lines.append(SecurityLine("GuardDuty", accounts, "account(s)", round(accounts * per_account, 2)))
        notes.append(f"GuardDuty on {covered}, each {events:,.0f} CloudTrail management events "
                     f"(${price['guardDutyManagementEventsPerMillion']:g}/million) and {gigabytes:g} GB of "
                     f"VPC flow and DNS logs (${price['guardDutyFlowAndDnsLogsPerGb']:g}/GB) a month; free "
                     "for the first 30 days of each account")
    if _has(index, "aws:securityhub/"):
        checks = assumed["securityHubChecksPerAccount"]
        lines.append(SecurityLine("Security Hub CSPM", accounts, "account(s)",
                                  round(accounts * checks * price["securityHubCheck"], 2)))
        notes.append(f"Security Hub CSPM on {covered}, each {checks:,.0f} security checks a month "
                     f"(${price['securityHubCheck']:g}/check up to 100,000); finding ingestion free up to "
                     "10,000 events per account and for its own checks; free for the first 30 days")
    if _has(index, "aws:cfg/") or _config_regions(index):
        items = assumed["configItemsPerAccount"]
        regions = max(1, _config_regions(index))
        lines.append(SecurityLine("AWS Config", accounts * regions, "account-Region(s)",
                                  round(accounts * regions * items * price["configItem"], 2)))
        notes.append(f"AWS Config on {covered} in {regions} Region(s), each recorder {items:,.0f} "
                     f"configuration items a month (${price['configItem']:g}/item); rule evaluations extra")

    org_trails = [t for t in index.of_type(TRAIL) if _is_org_trail(t)]
    if org_trails:
        lines.append(SecurityLine("CloudTrail organization trail", len(org_trails), "trail(s)", 0.0))
        notes.append("the organization trail's first copy of management events is free; data events "
                     f"(${price['cloudTrailDataEventsPer100k']:.2f}/100,000) are not enabled")
        if any(_known(t.props, "advancedEventSelectors") or _known(t.props, "eventSelectors")
               for t in org_trails):
            usage.append(f"CloudTrail data events ${price['cloudTrailDataEventsPer100k']:.2f}/100,000")
    stored: set[str] = set()
    found = _lifecycle_days(index)
    if found is not None:
        bucket, *days = found
        stored.add(bucket)
        lines.extend(_storage_lines((days[0], days[1]), accounts * assumed["logGbPerAccount"], price, notes))
    return SecurityCost(lines, notes, usage, stored)


def _storage_lines(days: tuple[float | None, float | None], monthly_gb: float,
                   price: Mapping[str, float], notes: list[str]) -> list[SecurityLine]:
    """Steady-state storage of ``monthly_gb`` new log GB a month under the bucket's lifecycle."""
    transition, expiry = days
    kept = expiry or UNEXPIRED_DAYS
    standard_days = min(transition, kept) if transition is not None else kept
    standard_gb = round(monthly_gb * standard_days / DAYS_PER_MONTH, 2)
    glacier_gb = round(monthly_gb * (kept - standard_days) / DAYS_PER_MONTH, 2)
    lifecycle = (f"{standard_days:g} days in S3 Standard (${price['s3StandardGbMonth']:g}/GB-month)"
                 + (f", then Glacier Instant Retrieval (${price['s3GlacierIrGbMonth']:g}/GB-month)"
                    if glacier_gb else "")
                 + (f" until day {kept:g}" if expiry else f"; no expiry, shown after {kept} days"))
    notes.append(f"log storage: {monthly_gb:g} GB of compressed logs a month, {lifecycle}; Glacier IR bills "
                 "objects under 128 KB as 128 KB")
    lines = [SecurityLine("S3 Standard log storage", standard_gb, "GB",
                          round(standard_gb * price["s3StandardGbMonth"], 2))]
    if glacier_gb:
        lines.append(SecurityLine("S3 Glacier IR log storage", glacier_gb, "GB",
                                  round(glacier_gb * price["s3GlacierIrGbMonth"], 2)))
    return lines
