"""The security stack's settings (``landing-zone:security``): the log archive and its organization trail,
the delegated security services in the security-tooling account, and the baseline of every member account.

Checked before anything is declared; each problem is one line naming the stack file and key. The account
keys are checked against the org stack's outputs by the program (components/security_stack.py), which
reads them before its first resource.
"""

from __future__ import annotations

import ipaddress
import re

from pydantic import Field

from components.settings.base import (
    ACCOUNT_KEY,
    PROJECT,
    REGION,
    ConfigError,
    Model,
    OrgReaderStackConfig,
    duplicates,
)

KEY = f"{PROJECT}:security"
# S3 Lifecycle expiry of the log objects: below 90 days an investigation finds the trail gone; CloudTrail
# digest files make gaps visible, not recoverable.
MIN_RETENTION_DAYS = 90
DEFAULT_TRAIL_NAME = "landing-zone-org-trail"
DEFAULT_READERS = ("security-auditors-ps",)
# CloudTrail trail names: 3-128 ASCII letters, digits, '.', '_' or '-', a letter or digit at both ends, no
# two of '._-' adjacent, not an IP address (botocore's cloudtrail model, CreateTrail Name).
TRAIL_NAME = r"^(?!.*[._-]{2})(?!\d+\.\d+\.\d+\.\d+$)[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$"
PERMISSION_SET_NAME = r"^[\w+=,.@-]{1,32}$"  # IAM Identity Center CreatePermissionSet Name (botocore)
# The commercial Regions every account has enabled: those launched before March 20, 2019; every later one
# is an opt-in Region, disabled by default (AWS Account Management Reference, manage-acct-regions.html).
# Security Hub's home Region cannot be one that is disabled by default (Security Hub User Guide,
# finding-aggregation-enable.html), and the stack's Region is the home Region.
REGIONS_ENABLED_BY_DEFAULT = frozenset({
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1", "eu-west-1",
    "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1",
    "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
})
OTHER_PARTITIONS = ("us-gov-", "cn-", "us-iso")  # no opt-in Regions there

# General purpose bucket naming rules, S3 User Guide: bucketnamingrules.html (3-63 characters of a-z 0-9 .
# -, a letter or digit at both ends, no '..', not an IP address, no reserved prefix or suffix).
_BUCKET_NAME = re.compile(
    r"^(?!xn--|sthree-|amzn-s3-demo-)(?!.*\.\.)(?!.*(?:-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$)"
    r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
)


def bucket_name_problem(name: str) -> str | None:
    """Why ``name`` is no valid S3 general purpose bucket name, or None."""
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        return f"'{name}' is formatted as an IP address, which S3 refuses as a bucket name"
    if not _BUCKET_NAME.match(name):
        return (f"'{name}' is not a valid S3 bucket name (3-63 lowercase letters, digits, '.' or '-', a "
                "letter or digit at both ends, no '..', no reserved prefix such as xn-- or suffix such as "
                "-s3alias)")
    return None


def default_bucket_name(log_archive_account_id: str, region: str) -> str:
    """``landing-zone-org-trail-<log-archive id>-<region>``: unique, since bucket names are global."""
    return f"{DEFAULT_TRAIL_NAME}-{log_archive_account_id}-{region}"


class LogArchiveSettings(Model):
    """The log-archive account's bucket of the organization trail, its lifecycle and who may read it."""

    account: str = Field(default="log-archive", pattern=ACCOUNT_KEY)
    bucket_name: str | None = None  # default: default_bucket_name(...)
    retention_days: int = 365  # expiry of log objects and of noncurrent versions
    # To S3 Glacier Instant Retrieval (GLACIER_IR) after this many days; None: no transition. S3 accepts
    # 0 or more for GLACIER_IR (the 30-day minimum is STANDARD_IA's and ONEZONE_IA's): S3 API Reference,
    # API_Transition.html "Days"; S3 User Guide, lifecycle-transition-general-considerations.html.
    transition_days: int | None = Field(default=90, ge=0)
    trail_name: str = DEFAULT_TRAIL_NAME  # checked against TRAIL_NAME by check_security
    # Identity Center permission sets whose roles in the log-archive account may read the logs.
    reader_permission_sets: tuple[str, ...] = DEFAULT_READERS


class ToolingSettings(Model):
    """The security-tooling account: delegated administrator of the organization's security services."""

    account: str = Field(default="security-tooling", pattern=ACCOUNT_KEY)
    guard_duty: bool = True
    security_hub: bool = True  # Security Hub CSPM with AWS Foundational Security Best Practices
    access_analyzer: bool = True
    aws_config: bool = False  # off by default: AWS Config bills per configuration item recorded


class BaselineSettings(Model):
    """What every member account gets, now and later, through organization-level mechanisms."""

    regions: tuple[str, ...] | None = None  # default: (the stack's region,)
    s3_block_public_access: bool = True  # S3 organization policy (S3_POLICY) attached to the root
    ebs_encryption_by_default: bool = True  # service-managed StackSet auto-deployed to the root


class SecuritySettings(Model):
    log_archive: LogArchiveSettings = LogArchiveSettings()
    tooling: ToolingSettings = ToolingSettings()
    baseline: BaselineSettings = BaselineSettings()


class SecurityConfig(OrgReaderStackConfig):
    """Configuration of the security stack: run by a person with management credentials, after org."""

    security: SecuritySettings = SecuritySettings()

    @property
    def log_archive(self) -> LogArchiveSettings:
        return self.security.log_archive

    @property
    def tooling(self) -> ToolingSettings:
        return self.security.tooling

    @property
    def regions(self) -> tuple[str, ...]:
        """The baseline's regions: as configured, or the stack's region."""
        return self.security.baseline.regions or (self.region,)


def check_security(config: SecurityConfig, source: str) -> None:
    """The checks that span keys: retention and transition, the bucket name, readers, accounts, regions."""
    log_archive = config.log_archive
    where = f"{KEY}.logArchive"
    if log_archive.retention_days < MIN_RETENTION_DAYS:
        raise ConfigError(source, f"{where}.retentionDays", f"{log_archive.retention_days} is below "
                          f"{MIN_RETENTION_DAYS} days: keep the organization's audit logs at least that long")
    transition = log_archive.transition_days
    if transition is not None and transition >= log_archive.retention_days:
        raise ConfigError(source, f"{where}.transitionDays", f"{transition} is not below retentionDays "
                          f"({log_archive.retention_days}): objects would expire before they move; set null "
                          "for no transition")
    if not re.match(TRAIL_NAME, log_archive.trail_name):
        raise ConfigError(source, f"{where}.trailName",
                          f"'{log_archive.trail_name}' is not a CloudTrail trail name (3-128 letters, "
                          "digits, '.', '_' or '-', a letter or digit at both ends, none of '._-' adjacent)")
    if log_archive.bucket_name is not None:
        problem = bucket_name_problem(log_archive.bucket_name)
        if problem:
            raise ConfigError(source, f"{where}.bucketName", problem)
    if not log_archive.reader_permission_sets:
        raise ConfigError(source, f"{where}.readerPermissionSets", "lists no permission set: nobody could "
                          "read the organization's logs (the shipped reader is security-auditors-ps)")
    for index, name in enumerate(log_archive.reader_permission_sets):
        if not re.match(PERMISSION_SET_NAME, name):
            raise ConfigError(source, f"{where}.readerPermissionSets[{index}]",
                              f"'{name}' is not a permission set name (1-32 of letters, digits, +=,.@_-)")
    for name in duplicates(log_archive.reader_permission_sets):
        raise ConfigError(source, f"{where}.readerPermissionSets", f"lists '{name}' twice")
    if config.tooling.account == log_archive.account:
        raise ConfigError(source, f"{KEY}.tooling.account", f"'{config.tooling.account}' is the log-archive "
                          "account too; keep the logs apart from the tools that read them (two accounts)")
    region = config.region
    opt_in = region not in REGIONS_ENABLED_BY_DEFAULT and not region.startswith(OTHER_PARTITIONS)
    if config.tooling.security_hub and opt_in:
        raise ConfigError(source, f"{PROJECT}:region", f"'{region}' is an opt-in Region (disabled by "
                          "default), and Security Hub's home Region, where this stack creates its finding "
                          "aggregator and central configuration, cannot be one: run the security stack in a "
                          f"Region enabled by default, or set {KEY}.tooling.securityHub to false")
    regions = config.security.baseline.regions
    if regions is not None:
        where = f"{KEY}.baseline.regions"
        if not regions:
            raise ConfigError(source, where, "lists no region (leave it out for the stack's region)")
        for index, region in enumerate(regions):
            if not re.match(REGION, region):
                raise ConfigError(source, f"{where}[{index}]", f"'{region}' is not an AWS region name "
                                  "(e.g. us-east-1)")
        for region in duplicates(regions):
            raise ConfigError(source, where, f"lists '{region}' twice")
