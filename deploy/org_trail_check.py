"""Stack check: each CloudTrail trail of the stack can be created on AWS, not only under mocks.

Under mocks any trail "creates". On AWS, CreateTrail checks the destination first and fails with
``InsufficientS3BucketPolicyException`` or ``InsufficientEncryptionPolicyException`` (CloudTrail API
Reference, CreateTrail, Errors) when the bucket policy or the key policy does not let CloudTrail in for
this trail. The policies pin the trail by ``aws:SourceArn``, which is built from values given elsewhere
(the trail's name, its provider's region and account), so ``plan`` recomputes the ARN CloudTrail will
give the trail, ``arn:aws:cloudtrail:<region>:<account>:trail/<name>``, and checks, when the bucket and
key are declared by this stack (CloudTrail User Guide, create-s3-bucket-policy-for-cloudtrail.html and
create-kms-key-policy-for-cloudtrail.html):

- the bucket policy lets ``cloudtrail.amazonaws.com`` ``s3:GetBucketAcl`` and ``s3:PutObject`` for that
  ARN, and the trail is declared after the bucket policy;
- the key policy lets it ``kms:GenerateDataKey*`` with a CloudTrail encryption context that matches the
  ARN, and ``kms:DescribeKey``, for that ARN, and the trail is declared after the key.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from deploy.simulate import RecordedResource, Recording
from deploy.stack_checks import ERROR, Finding, StackContext
from iam_documents import documents

CHECK = "organization trail"
TRAIL = "aws:cloudtrail/trail:Trail"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
KMS_KEY = "aws:kms/key:Key"
CLOUDTRAIL = "cloudtrail.amazonaws.com"
CONTEXT_KEY = "kms:EncryptionContext:aws:cloudtrail:arn"


def expected_trail_arn(recording: Recording, trail: RecordedResource) -> str | None:
    """The ARN CloudTrail will give the trail: its provider's region and pinned account, its name."""
    provider = recording.provider_of(trail)
    if provider is None:
        return None
    region = trail.inputs.get("region") or provider.provider_setting("region")
    accounts = provider.provider_setting("allowedAccountIds") or []
    name = trail.inputs.get("name")
    if not (region and name and len(accounts) == 1):
        return None
    return f"arn:aws:cloudtrail:{region}:{accounts[0]}:trail/{name}"


def _statements(text: Any) -> list[dict[str, Any]]:
    document = documents.parse_json_text(text)
    if not isinstance(document, dict):
        return []
    return [s for s in documents.statements(document) if isinstance(s, dict)]


def _values(statement: dict[str, Any], key: str) -> list[str]:
    condition = statement.get("Condition") or {}
    return [str(v) for block in condition.values() if isinstance(block, dict)
            for v in documents.as_list(block.get(key, []))]


def _matches(statement: dict[str, Any], key: str, value: str) -> bool:
    """No condition on ``key``, or one of its values (taken as a pattern) matches ``value``."""
    values = _values(statement, key)
    return not values or any(fnmatch.fnmatchcase(value, pattern) for pattern in values)


def _granting(statements: list[dict[str, Any]], action: str, trail_arn: str,
              context_key: str | None = None) -> list[dict[str, Any]]:
    """The statements that let CloudTrail call ``action`` for the trail ``trail_arn``."""
    granting = []
    for statement in statements:
        principal = statement.get("Principal")
        services = documents.as_list(principal.get("Service")) if isinstance(principal, dict) else []
        actions = documents.as_list(statement.get("Action"))
        if (statement.get("Effect") == "Allow" and CLOUDTRAIL in services
                and any(fnmatch.fnmatchcase(action, str(a)) for a in actions)
                and _matches(statement, "aws:SourceArn", trail_arn)
                and (context_key is None or _matches(statement, context_key, trail_arn))):
            granting.append(statement)
    return granting


def _covers_organization_prefix(statements: list[dict[str, Any]]) -> bool:
    """An organization trail also writes under ``AWSLogs/<organization id>/`` (o-...)."""
    keys = [str(r).partition(":::")[2].partition("/")[2] for s in statements
            for r in documents.as_list(s.get("Resource"))]
    return any(key.startswith("AWSLogs/o-") or fnmatch.fnmatchcase("AWSLogs/o-any/any", key) for key in keys)


def check_org_trails(context: StackContext) -> list[Finding]:
    recording = context.recording
    if recording is None:
        return []
    findings: list[Finding] = []
    for trail in recording.of_type(TRAIL):
        arn = expected_trail_arn(recording, trail)
        if arn is None:
            continue
        where = f"{trail.name} ({TRAIL})"
        findings += _bucket_findings(recording, trail, arn, where)
        findings += _key_findings(recording, trail, arn, where)
    return findings


def _bucket_findings(recording: Recording, trail: RecordedResource, arn: str, where: str) -> list[Finding]:
    bucket_name = trail.inputs.get("s3BucketName")
    bucket = next((b for b in recording.of_type(BUCKET) if bucket_name in (b.id, b.outputs.get("bucket"))),
                  None)
    if bucket is None:
        return []  # a bucket of another stack: its policy is not seen here
    policies = [p for p in recording.of_type(BUCKET_POLICY) if p.inputs.get("bucket") == bucket.id]
    statements = [s for p in policies for s in _statements(p.inputs.get("policy"))]
    missing = [a for a in ("s3:GetBucketAcl", "s3:PutObject") if not _granting(statements, a, arn)]
    if missing:
        return [Finding(CHECK, ERROR, where, f"the policy of bucket {bucket_name} does not let {CLOUDTRAIL} "
                        f"{', '.join(missing)} for {arn}: CreateTrail fails (InsufficientS3BucketPolicy)")]
    if trail.inputs.get("isOrganizationTrail") and not _covers_organization_prefix(
        _granting(statements, "s3:PutObject", arn)
    ):
        return [Finding(CHECK, ERROR, where, f"the policy of bucket {bucket_name} does not let {CLOUDTRAIL} "
                        "write under AWSLogs/<organization id>/: an organization trail cannot be created")]
    if not any(p.urn in trail.dependencies for p in policies):
        return [Finding(CHECK, ERROR, where, f"declared without depending on the policy of bucket "
                        f"{bucket_name}: CreateTrail may run before the policy exists and fail")]
    return []


def _key_findings(recording: Recording, trail: RecordedResource, arn: str, where: str) -> list[Finding]:
    key_id = trail.inputs.get("kmsKeyId")
    key = next((k for k in recording.of_type(KMS_KEY) if key_id and key_id in (k.outputs.get("arn"), k.id)),
               None)
    if key is None:
        return []
    statements = _statements(key.inputs.get("policy"))
    needed = (("kms:GenerateDataKey", CONTEXT_KEY), ("kms:DescribeKey", None))
    missing = [action for action, context_key in needed
               if not _granting(statements, action, arn, context_key)]
    if missing:
        return [Finding(CHECK, ERROR, where, f"the policy of key {key.name} does not let {CLOUDTRAIL} "
                        f"{', '.join(missing)} for {arn}: CreateTrail fails (InsufficientEncryptionPolicy)")]
    if key.urn not in trail.dependencies:
        return [Finding(CHECK, ERROR, where, f"declared without depending on key {key.name}: CreateTrail may "
                        "run before the key policy exists and fail")]
    return []
