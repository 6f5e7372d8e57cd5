"""The security stack's guardrails: the organization trail, the bucket it writes to, GuardDuty's auto-enable.

All three are stack rules: each needs several resources at once (a log archive without a trail, a trail
and its bucket's separate encryption/versioning/public-access resources, a delegated administrator
without an organization configuration). Property names are the camelCase inputs of pulumi_aws 7
(``cloudtrail/trail.py``, ``s3/bucket_*.py``, ``guardduty/organization_configuration.py``). A value the
engine does not know yet (a reference during a preview) is not judged; a value that is absent is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from policies.rules.base import Context, StackFinding, StackIndex, _get, _items, _known

LOG_ARCHIVE = "landingzone:security:LogArchive"
TRAIL = "aws:cloudtrail/trail:Trail"
# pulumi-aws 7 renamed the V2 resources; the old tokens still exist as aliases, so both are read.
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
BUCKET_VERSIONING = (
    "aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
GUARDDUTY_ORG_CONFIG = "aws:guardduty/organizationConfiguration:OrganizationConfiguration"
GUARDDUTY_ADMIN = "aws:guardduty/organizationAdminAccount:OrganizationAdminAccount"
# S3's AWS managed key is alias/aws/s3 (or its ARN); a trail's bucket needs a key whose policy this project
# writes (S3 User Guide, "Specifying server-side encryption with AWS KMS (SSE-KMS)").
AWS_MANAGED_ALIAS = "alias/aws/"
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")

_UNKNOWN = object()


def _value(props: Any, key: str) -> Any:
    """A property's value, None when absent, ``_UNKNOWN`` when the engine does not know it yet."""
    try:
        return props.get(key)
    except UnknownValueError:
        return _UNKNOWN


def _is_org_trail(trail: PolicyResource) -> bool:
    return _known(trail.props, "isOrganizationTrail") is True


# --------------------------------------------------------------------------------------------
# org-trail-required
# --------------------------------------------------------------------------------------------


def trail_problems(trail: PolicyResource) -> Iterator[str]:
    """What an organization trail lacks. Provider defaults (pulumi_aws cloudtrail/trail.py): multi-region
    and log-file validation default to false, so they must be set; global service events and logging
    default to true, so only an explicit false fails."""
    props = trail.props
    if _value(props, "isMultiRegionTrail") not in (True, _UNKNOWN):
        yield "is not multi-region (isMultiRegionTrail must be true)"
    if _value(props, "enableLogFileValidation") not in (True, _UNKNOWN):
        yield "does not validate its log files (enableLogFileValidation must be true)"
    if _value(props, "includeGlobalServiceEvents") is False:
        yield "leaves out global service events such as IAM and STS (includeGlobalServiceEvents is false)"
    if _value(props, "enableLogging") is False:
        yield "is not logging (enableLogging is false)"
    if _value(props, "kmsKeyId") in (None, ""):
        yield "has no kmsKeyId: its logs must be encrypted with the log archive's customer-managed key"


def org_trail_required(resources: Sequence[PolicyResource], ctx: Context) -> Iterator[StackFinding]:
    """A stack with a log archive or a trail has an organization trail; every organization trail is
    multi-region, validates its log files, logs global events, is logging and names a KMS key."""
    index = StackIndex(resources)
    trails = index.of_type(TRAIL)
    org_trails = [t for t in trails if _is_org_trail(t)]
    for trail in org_trails:
        for problem in trail_problems(trail):
            yield f"organization trail '{trail.name}' {problem}", trail.urn
    if org_trails:
        return
    for owner in [*index.of_type(LOG_ARCHIVE), *trails][:1]:
        kind = "log archive" if owner.resource_type == LOG_ARCHIVE else "trail"
        yield (f"the stack declares the {kind} '{owner.name}' but no organization trail "
               "(aws:cloudtrail/trail:Trail with isOrganizationTrail true) records the organization's "
               "accounts"), owner.urn


# --------------------------------------------------------------------------------------------
# log-bucket-protected
# --------------------------------------------------------------------------------------------


def _same(a: PolicyResource, b: PolicyResource) -> bool:
    return a.urn == b.urn


def _log_buckets(index: StackIndex) -> Iterator[tuple[PolicyResource | None, str, PolicyResource]]:
    """(bucket or None when not found, why it is a log bucket, who names it)."""
    for trail in index.of_type(TRAIL):
        if not _is_org_trail(trail):
            continue
        found = index.referenced(trail, "s3BucketName", BUCKETS, keys=("bucket", "id"))
        if found:
            yield found[0], f"written to by organization trail '{trail.name}'", trail
        elif _value(trail.props, "s3BucketName") not in (None, _UNKNOWN):
            yield None, f"organization trail '{trail.name}'", trail
    named = {b.urn for t in index.of_type(TRAIL) if _is_org_trail(t)
             for b in index.referenced(t, "s3BucketName", BUCKETS, keys=("bucket", "id"))}
    for archive in index.of_type(LOG_ARCHIVE):
        owned = [b for b in index.of_type(*BUCKETS) if index.descends_from(b, archive)]
        if not owned:
            yield None, f"log archive '{archive.name}'", archive
        elif not any(b.urn in named for b in owned):  # judged above as the trail's, or here: every one
            # (a server-access-log bucket next to it could only use SSE-S3, so a trail's bucket is preferred)
            yield from ((bucket, f"of log archive '{archive.name}'", archive) for bucket in owned)


def _pieces(index: StackIndex, types: Sequence[str], bucket: PolicyResource) -> list[PolicyResource]:
    """The resources of ``types`` that configure ``bucket`` (by their ``bucket`` input)."""
    return [p for p in index.of_type(*types)
            if any(_same(b, bucket) for b in index.referenced(p, "bucket", BUCKETS, keys=("id", "bucket")))]


Problem = tuple[str, PolicyResource | None] | None  # (what is wrong, the resource at fault or None)


def _encryption_problem(configs: list[PolicyResource]) -> Problem:
    if not configs:
        return "has no server-side encryption configuration (bucketServerSideEncryptionConfiguration)", None
    config = configs[0]
    rules = _value(config.props, "rules")
    if rules is _UNKNOWN:
        return None
    defaults = [_get(rule, "applyServerSideEncryptionByDefault") for rule in _items(rules)]
    kms = [d for d in defaults if _get(d, "sseAlgorithm") in KMS_ALGORITHMS]
    if not kms:
        shown = ", ".join(repr(_get(d, "sseAlgorithm")) for d in defaults if d is not None) or "nothing"
        return f"is encrypted with {shown}, not SSE-KMS (aws:kms) with a customer-managed key", config
    key = _get(kms[0], "kmsMasterKeyId")
    if key in (None, ""):
        return "names no kmsMasterKeyId, so S3 would use the AWS managed key aws/s3", config
    if isinstance(key, str) and AWS_MANAGED_ALIAS in key:
        return f"uses the AWS managed key {key!r}, not a customer-managed key", config
    return None


def _versioning_problem(configs: list[PolicyResource]) -> Problem:
    if not configs:
        return "is not versioned (no aws:s3/bucketVersioning with status Enabled)", None
    status = _get(_known(configs[0].props, "versioningConfiguration"), "status")
    if status != "Enabled" and _value(configs[0].props, "versioningConfiguration") is not _UNKNOWN:
        return f"has versioning {status!r}, not 'Enabled'", configs[0]
    return None


def _public_access_problem(blocks: list[PolicyResource]) -> Problem:
    if not blocks:
        return "has no public access block (aws:s3/bucketPublicAccessBlock with all four settings true)", None
    off = [flag for flag in PUBLIC_ACCESS_FLAGS if _value(blocks[0].props, flag) not in (True, _UNKNOWN)]
    if off:
        return f"has a public access block with {', '.join(off)} not true (all four must be)", blocks[0]
    return None


def log_bucket_protected(resources: Sequence[PolicyResource], ctx: Context) -> Iterator[StackFinding]:
    """The organization trail's bucket (and the log archive's) is SSE-KMS with a customer-managed key,
    versioned, and blocks all public access; each piece is a resource of its own in pulumi-aws 7."""
    index = StackIndex(resources)
    seen: set[str] = set()
    for bucket, why, owner in _log_buckets(index):
        if bucket is None:
            yield (f"the bucket of {why} is not declared in this stack: its encryption, versioning and "
                   "public access cannot be checked"), owner.urn
            continue
        if bucket.urn in seen:
            continue
        seen.add(bucket.urn)
        problems = (
            _encryption_problem(_pieces(index, BUCKET_ENCRYPTION, bucket)),
            _versioning_problem(_pieces(index, BUCKET_VERSIONING, bucket)),
            _public_access_problem(_pieces(index, (PUBLIC_ACCESS_BLOCK,), bucket)),
        )
        for found in problems:
            if found is not None:
                message, at_fault = found
                yield f"log bucket '{bucket.name}' ({why}) {message}", (at_fault or bucket).urn


# --------------------------------------------------------------------------------------------
# guardduty-auto-enable
# --------------------------------------------------------------------------------------------


def guardduty_auto_enable(resources: Sequence[PolicyResource], ctx: Context) -> Iterator[StackFinding]:
    """GuardDuty's organization configuration auto-enables ALL members (existing and new: NEW leaves the
    existing ones out, NONE all; GuardDuty API UpdateOrganizationConfiguration,
    autoEnableOrganizationMembers); a delegated administrator without one protects no member."""
    index = StackIndex(resources)
    configs = index.of_type(GUARDDUTY_ORG_CONFIG)
    for config in configs:
        value = _value(config.props, "autoEnableOrganizationMembers")
        if value not in ("ALL", _UNKNOWN):
            yield (f"GuardDuty organization configuration '{config.name}' sets autoEnableOrganizationMembers "
                   f"to {value!r}: it must be 'ALL' so that current and new member accounts are "
                   "protected"), config.urn
    if configs:
        return
    for admin in index.of_type(GUARDDUTY_ADMIN):
        yield (f"GuardDuty delegated administrator '{admin.name}' is registered but no organization "
               "configuration (aws:guardduty/organizationConfiguration) auto-enables the members"), admin.urn
