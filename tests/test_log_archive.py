"""The log archive (components/log_archive.py, iam_documents/log_archive.py) under the mock runtime: which
account each resource lives in, the bucket's encryption, public access blocks, ownership, versioning and
lifecycle, and its bucket and key policies evaluated on concrete requests (tests/iam_trust_evaluator.py):
CloudTrail may write the organization trail and encrypt it, only the security readers may decrypt, the
log-archive account administers the key without decrypting, and nothing refuses the trail's SSE-S3 digest
files. Both policies also pass the project's own document and AWS value checks."""

from __future__ import annotations

import fnmatch
from typing import Any

import pytest

from deploy.simulate import Recording
from iam_documents import documents
from iam_documents import log_archive as log_documents
from policies import aws_values, guardrails
from tests import iam_trust_evaluator as iam
from tests.log_archive_support import (
    BUCKET,
    BUCKET_POLICY,
    BUCKET_TYPE,
    KEY,
    LOG_ARCHIVE,
    MANAGEMENT,
    ORGANIZATION,
    READER_ROLE,
    TRAIL_ARN,
    TRAIL_TYPE,
    account_of,
    policy,
    run,
    statements,
)

S3 = "aws:s3/"
CLOUDTRAIL = ("Service", "cloudtrail.amazonaws.com")
CONFIG = ("Service", "config.amazonaws.com")
ROOT = ("AWS", f"arn:aws:iam::{LOG_ARCHIVE}:root")
ADMIN_ROLE = f"arn:aws:iam::{LOG_ARCHIVE}:role/OrganizationAccountAccessRole"
MEMBER_LOGS = f"arn:aws:s3:::{BUCKET}/AWSLogs/{ORGANIZATION}/222222222222"
LOG_FILE = f"{MEMBER_LOGS}/CloudTrail/us-east-1/2026/01/01/x.json.gz"
DIGEST_FILE = (f"{MEMBER_LOGS}/CloudTrail-Digest/us-east-1/2026/01/01/222222222222_CloudTrail-Digest_"
               "us-east-1_landing-zone-org-trail_us-east-1_20260101T000000Z.json.gz")
TLS = {"aws:SecureTransport": "true"}
TRAIL_CONTEXT = {"kms:EncryptionContext:aws:cloudtrail:arn": TRAIL_ARN}
# Using a key's material, as opposed to administering the key.
CRYPTO_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
                  "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:CreateGrant")


@pytest.fixture(scope="module")
def recording() -> Recording:
    return run()


@pytest.fixture(scope="module")
def key_policy(recording: Recording) -> dict[str, Any]:
    return policy(recording.one(KEY))


@pytest.fixture(scope="module")
def bucket_policy(recording: Recording) -> dict[str, Any]:
    return policy(recording.one(BUCKET_POLICY))


def _on_bucket(recording: Recording, kind: str) -> dict[str, Any]:
    (resource,) = [r for r in recording.of_type(f"{S3}{kind}") if r.inputs.get("bucket") == BUCKET]
    return resource.inputs


def _reader(role_arn: str, **context: str) -> dict[str, Any]:
    """A request by a role of the log-archive account: the account is the principal a resource policy
    names, ``aws:PrincipalArn`` says which of its roles."""
    return {"principal": ROOT, "context": {"aws:PrincipalArn": role_arn, **context}}


# --- placement, protection ---------------------------------------------------------------------------


def test_the_bucket_and_key_live_in_the_log_archive_account_and_the_trail_in_management(
    recording: Recording,
) -> None:
    placed = {(r.type, account_of(recording, r)) for r in recording.custom_resources}
    assert {account for type_, account in placed if type_ != TRAIL_TYPE} == {LOG_ARCHIVE}
    assert {account for type_, account in placed if type_ == TRAIL_TYPE} == {MANAGEMENT}
    assert {type_ for type_, _ in placed} >= {KEY, BUCKET_TYPE, BUCKET_POLICY, TRAIL_TYPE}


def test_bucket_key_and_bucket_policy_are_protected_and_survive_a_destroy(recording: Recording) -> None:
    for type_ in (BUCKET_TYPE, KEY, BUCKET_POLICY):
        resource = recording.one(type_)
        assert resource.protect and resource.retain_on_delete, type_
    assert recording.one(BUCKET_TYPE).inputs["forceDestroy"] is False  # never emptied by a delete


# --- the bucket ---------------------------------------------------------------------------------------


def test_the_bucket_is_encrypted_with_the_customer_managed_key_and_a_bucket_key(recording: Recording) -> None:
    key = recording.one(KEY)
    (rule,) = _on_bucket(recording, "bucketServerSideEncryptionConfiguration:"
                                    "BucketServerSideEncryptionConfiguration")["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.outputs["arn"]
    }
    assert rule["bucketKeyEnabled"] is True
    assert recording.one(BUCKET_TYPE).inputs["bucket"] == BUCKET
    # The key: symmetric (SSE-KMS takes no other), rotated, the longest deletion window.
    assert key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert key.inputs["enableKeyRotation"] is True and key.inputs["rotationPeriodInDays"] == 365
    assert key.inputs["deletionWindowInDays"] == 30
    assert not key.inputs.get("bypassPolicyLockoutSafetyCheck")


def test_the_bucket_blocks_public_access_enforces_ownership_and_is_versioned(recording: Recording) -> None:
    blocks = _on_bucket(recording, "bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert {k: blocks[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                   "restrictPublicBuckets")} == dict.fromkeys(
        ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True)
    ownership = _on_bucket(recording, "bucketOwnershipControls:BucketOwnershipControls")
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    versioning = _on_bucket(recording, "bucketVersioning:BucketVersioning")
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}


@pytest.mark.parametrize(("retention", "transition"), [(365, 90), (730, None), (90, 30)])
def test_the_lifecycle_moves_logs_to_glacier_ir_then_expires_them(
    retention: int, transition: int | None
) -> None:
    rules = {rule["id"]: rule for rule in _on_bucket(
        run(retention_days=retention, transition_days=transition),
        "bucketLifecycleConfiguration:BucketLifecycleConfiguration")["rules"]}
    logs = rules["retain-logs"]
    assert logs["status"] == "Enabled" and logs["filter"] == {}  # every object of the bucket
    assert logs["expiration"] == {"days": retention}
    assert logs["noncurrentVersionExpiration"] == {"noncurrentDays": retention}
    expected = [] if transition is None else [{"days": transition, "storageClass": "GLACIER_IR"}]
    assert logs.get("transitions", []) == expected
    assert rules["abort-incomplete-uploads"]["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}


# --- the bucket policy --------------------------------------------------------------------------------


def test_plain_http_is_refused_to_everyone(bucket_policy: dict[str, Any]) -> None:
    plain = {"aws:SecureTransport": "false", "aws:PrincipalArn": READER_ROLE}
    assert not iam.allows(bucket_policy, principal=ROOT, action="s3:GetObject", resource=LOG_FILE,
                          context=plain)
    assert iam.allows(bucket_policy, principal=ROOT, action="s3:GetObject", resource=LOG_FILE,
                      context={**plain, **TLS})
    deny = statements(bucket_policy)["DenyInsecureTransport"]
    assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "s3:*")
    assert deny["Resource"] == [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]


def _cloudtrail_put(bucket_policy: dict[str, Any], key: str, **context: str) -> bool:
    request = {**TLS, "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": TRAIL_ARN, **context}
    return iam.allows(bucket_policy, principal=CLOUDTRAIL, action="s3:PutObject",
                      resource=f"arn:aws:s3:::{BUCKET}/{key}", context=request)


def test_cloudtrail_writes_the_organization_trail_under_both_prefixes_only(
    bucket_policy: dict[str, Any],
) -> None:
    assert _cloudtrail_put(bucket_policy, f"AWSLogs/{ORGANIZATION}/222222222222/CloudTrail/x.json.gz")
    assert _cloudtrail_put(bucket_policy, f"AWSLogs/{MANAGEMENT}/CloudTrail/us-east-1/x.json.gz")
    assert not _cloudtrail_put(bucket_policy, "AWSLogs/999999999999/CloudTrail/x.json.gz")  # another account
    assert not _cloudtrail_put(bucket_policy, "elsewhere/x.json.gz")
    # Only for this trail, and only handing the objects to the bucket owner.
    other_trail = f"arn:aws:cloudtrail:us-east-1:999999999999:trail/{ORGANIZATION}"
    assert not _cloudtrail_put(bucket_policy, f"AWSLogs/{ORGANIZATION}/x", **{"aws:SourceArn": other_trail})
    assert not _cloudtrail_put(bucket_policy, f"AWSLogs/{ORGANIZATION}/x", **{"s3:x-amz-acl": "private"})
    acl = {**TLS, "aws:SourceArn": TRAIL_ARN}
    assert iam.allows(bucket_policy, principal=CLOUDTRAIL, action="s3:GetBucketAcl",
                      resource=f"arn:aws:s3:::{BUCKET}", context=acl)
    assert not iam.allows(bucket_policy, principal=CLOUDTRAIL, action="s3:GetBucketAcl",
                          resource=f"arn:aws:s3:::{BUCKET}", context=TLS)


def test_digest_files_encrypted_with_sse_s3_are_not_refused(bucket_policy: dict[str, Any]) -> None:
    key = DIGEST_FILE.removeprefix(f"arn:aws:s3:::{BUCKET}/")
    assert _cloudtrail_put(bucket_policy, key, **{"s3:x-amz-server-side-encryption": "AES256"})
    assert "s3:x-amz-server-side-encryption" not in str(bucket_policy)  # no encryption-header deny at all


def test_only_the_security_readers_may_read_through_the_bucket_policy(bucket_policy: dict[str, Any]) -> None:
    readers = statements(bucket_policy)["SecurityReadersRead"]
    # A fixed principal (the account), narrowed by aws:PrincipalArn: S3 does not count it as public.
    assert readers["Principal"] == {"AWS": f"arn:aws:iam::{LOG_ARCHIVE}:root"}
    assert sorted(readers["Action"]) == ["s3:GetObject", "s3:ListBucket"]
    assert iam.allows(bucket_policy, action="s3:GetObject", resource=LOG_FILE, **_reader(READER_ROLE, **TLS))
    assert not iam.allows(bucket_policy, action="s3:GetObject", resource=LOG_FILE,
                          **_reader(ADMIN_ROLE, **TLS))
    assert not iam.allows(bucket_policy, action="s3:DeleteObject", resource=LOG_FILE,
                          **_reader(READER_ROLE, **TLS))
    for statement in bucket_policy["Statement"]:
        assert statement["Principal"] != "*" or statement["Effect"] == "Deny", statement["Sid"]


# --- the key policy -----------------------------------------------------------------------------------


def _kms(key_policy: dict[str, Any], principal: tuple[str, str], action: str, **context: str) -> bool:
    return iam.allows(key_policy, principal=principal, action=action, context=context)


def test_cloudtrail_encrypts_for_this_trail_only(key_policy: dict[str, Any]) -> None:
    source = {"aws:SourceArn": TRAIL_ARN}
    assert _kms(key_policy, CLOUDTRAIL, "kms:GenerateDataKey", **source, **TRAIL_CONTEXT)
    assert _kms(key_policy, CLOUDTRAIL, "kms:DescribeKey", **source)
    assert not _kms(key_policy, CLOUDTRAIL, "kms:GenerateDataKey", **source)  # no CloudTrail context
    other_account = "arn:aws:cloudtrail:us-east-1:999999999999:trail/x"
    assert not _kms(key_policy, CLOUDTRAIL, "kms:GenerateDataKey", **source,
                    **{"kms:EncryptionContext:aws:cloudtrail:arn": other_account})
    assert not _kms(key_policy, CLOUDTRAIL, "kms:GenerateDataKey",
                    **{"aws:SourceArn": other_account,
                       "kms:EncryptionContext:aws:cloudtrail:arn": other_account})


def test_only_the_readers_decrypt_the_logs_and_the_account_administers_without_decrypting(
    key_policy: dict[str, Any],
) -> None:
    assert _kms(key_policy, ROOT, "kms:Decrypt", **{"aws:PrincipalArn": READER_ROLE}, **TRAIL_CONTEXT)
    assert not _kms(key_policy, ROOT, "kms:Decrypt", **{"aws:PrincipalArn": READER_ROLE})  # not a trail log
    assert not _kms(key_policy, ROOT, "kms:Decrypt", **{"aws:PrincipalArn": ADMIN_ROLE}, **TRAIL_CONTEXT)
    assert not _kms(key_policy, ("AWS", "arn:aws:iam::999999999999:root"), "kms:Decrypt",
                    **{"aws:PrincipalArn": READER_ROLE.replace(LOG_ARCHIVE, "999999999999")}, **TRAIL_CONTEXT)
    # KMS's lockout check: the deploying admin role keeps PutKeyPolicy through the account (IAM).
    assert _kms(key_policy, ROOT, "kms:PutKeyPolicy", **{"aws:PrincipalArn": ADMIN_ROLE})
    assert _kms(key_policy, ROOT, "kms:ScheduleKeyDeletion", **{"aws:PrincipalArn": ADMIN_ROLE})


def test_nobody_else_may_decrypt(key_policy: dict[str, Any]) -> None:
    """Every statement that lets someone use kms:Decrypt: the readers, and CloudTrail for this trail (S3
    Bucket Key, see iam_documents/log_archive.py)."""
    decrypting = {
        statement["Sid"] for statement in key_policy["Statement"]
        if any(fnmatch.fnmatchcase("kms:decrypt", str(a).lower()) for a in iam._as_list(statement["Action"]))
    }
    assert decrypting == {
        "SecurityReadersDecryptLogs", "SecurityReadersDecryptBucketKey", "CloudTrailDecryptsWithBucketKey"
    }
    trail_decrypt = statements(key_policy)["CloudTrailDecryptsWithBucketKey"]
    assert trail_decrypt["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}


def test_readers_may_decrypt_the_buckets_s3_bucket_key_through_s3_only(key_policy: dict[str, Any]) -> None:
    """An S3 Bucket Key is decrypted under the bucket ARN as encryption context (S3 User Guide,
    bucket-key.html), without CloudTrail's: the readers may, for this bucket and through S3 only."""
    bucket_key = {"kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{BUCKET}",
                  "kms:ViaService": "s3.us-east-1.amazonaws.com"}
    reader = {"aws:PrincipalArn": READER_ROLE}
    assert _kms(key_policy, ROOT, "kms:Decrypt", **reader, **bucket_key)
    assert not _kms(key_policy, ROOT, "kms:Decrypt", **reader,
                    **{**bucket_key, "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"})
    assert not _kms(key_policy, ROOT, "kms:Decrypt", **reader,
                    **{**bucket_key, "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::another-bucket"})
    assert not _kms(key_policy, ROOT, "kms:Decrypt", **{"aws:PrincipalArn": ADMIN_ROLE}, **bucket_key)
    assert not _kms(key_policy, ROOT, "kms:GenerateDataKey", **reader, **bucket_key)


def test_the_administrators_actions_never_use_the_key() -> None:
    catalogue = documents._catalogue()["kms"]
    granted = {name for pattern in log_documents.KEY_ADMIN_ACTIONS for name in catalogue
               if fnmatch.fnmatchcase(name, pattern.lower().removeprefix("kms:"))}
    assert "putkeypolicy" in granted and "schedulekeydeletion" in granted
    assert not granted & {action.lower().removeprefix("kms:") for action in CRYPTO_ACTIONS}


def test_without_readers_only_cloudtrail_touches_the_logs() -> None:
    recording = run(reader_role_patterns=[])
    assert not {"SecurityReadersDecryptLogs", "SecurityReadersDecryptBucketKey"} & set(
        statements(policy(recording.one(KEY))))
    assert "SecurityReadersRead" not in statements(policy(recording.one(BUCKET_POLICY)))


# --- AWS Config delivery (tooling.awsConfig) ----------------------------------------------------------


RECORDER_ROLE = "arn:aws:iam::222222222222:role/landing-zone-config-recorder-eu-west-1"
CONFIG_OBJECT = f"arn:aws:s3:::{BUCKET}/AWSLogs/222222222222/Config/eu-west-1/2026/1/1/x.json.gz"
FROM_THE_ORG = {"aws:PrincipalOrgID": ORGANIZATION}


def _recorder(role_arn: str = RECORDER_ROLE, **context: str) -> dict[str, Any]:
    """A request by a member account's Config recorder role (components/templates/config_recorder.yaml):
    principal ``*`` statements see it by ``aws:PrincipalArn`` and ``aws:PrincipalOrgID``."""
    return {"principal": ("AWS", role_arn),
            "context": {**TLS, **FROM_THE_ORG, "aws:PrincipalArn": role_arn, **context}}


@pytest.fixture(scope="module")
def with_config() -> Recording:
    return run(config_delivery=True)


def test_aws_config_statements_exist_only_when_on(with_config: Recording) -> None:
    off = run(config_delivery=False)
    for type_ in (KEY, BUCKET_POLICY):
        assert not any("AWSConfig" in sid for sid in statements(policy(off.one(type_)))), type_
        assert any("AWSConfig" in sid for sid in statements(policy(with_config.one(type_)))), type_


def test_the_recorder_roles_of_the_organization_deliver_under_config(with_config: Recording) -> None:
    bucket_policy = policy(with_config.one(BUCKET_POLICY))
    acl = {"s3:x-amz-acl": "bucket-owner-full-control"}
    for action in ("s3:PutObject", "s3:PutObjectAcl"):
        assert iam.allows(bucket_policy, action=action, resource=CONFIG_OBJECT, **_recorder(**acl))
    for action in ("s3:GetBucketAcl", "s3:ListBucket"):
        assert iam.allows(bucket_policy, action=action, resource=f"arn:aws:s3:::{BUCKET}", **_recorder())
    # Refused: without the owner's ACL, outside Config's prefix, reading, another organization, another
    # role of the organization, and Config's service principal (the design never delivers as it).
    assert not iam.allows(bucket_policy, action="s3:PutObject", resource=CONFIG_OBJECT, **_recorder())
    assert not iam.allows(bucket_policy, action="s3:PutObject", resource=LOG_FILE, **_recorder(**acl))
    assert not iam.allows(bucket_policy, action="s3:GetObject", resource=CONFIG_OBJECT, **_recorder())
    assert not iam.allows(bucket_policy, action="s3:PutObject", resource=CONFIG_OBJECT,
                          **_recorder(**acl, **{"aws:PrincipalOrgID": "o-someoneelse"}))
    other = "arn:aws:iam::222222222222:role/deploy"
    assert not iam.allows(bucket_policy, action="s3:PutObject", resource=CONFIG_OBJECT,
                          **_recorder(other, **acl))
    assert not iam.allows(bucket_policy, principal=CONFIG, action="s3:PutObject", resource=CONFIG_OBJECT,
                          context={**TLS, **acl, "aws:SourceOrgID": ORGANIZATION})
    # Plain HTTP is still refused to them.
    assert not iam.allows(bucket_policy, action="s3:PutObject", resource=CONFIG_OBJECT,
                          **_recorder(**acl, **{"aws:SecureTransport": "false"}))


def test_the_recorder_roles_use_the_key_only_through_s3_of_its_region(with_config: Recording) -> None:
    key_policy = policy(with_config.one(KEY))
    through_s3 = {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert iam.allows(key_policy, action=action, **_recorder(**through_s3))
        assert not iam.allows(key_policy, action=action, **_recorder())  # directly
        assert not iam.allows(key_policy, action=action,
                              **_recorder(**{"kms:ViaService": "s3.eu-west-1.amazonaws.com"}))
        assert not iam.allows(key_policy, action=action,
                              **_recorder(**through_s3, **{"aws:PrincipalOrgID": "o-someoneelse"}))
        assert not iam.allows(key_policy, action=action,
                              **_recorder("arn:aws:iam::222222222222:role/deploy", **through_s3))
    for action in ("kms:Encrypt", "kms:CreateGrant", "kms:ScheduleKeyDeletion"):
        assert not iam.allows(key_policy, action=action, **_recorder(**through_s3))


# --- the project's own checks -------------------------------------------------------------------------


@pytest.mark.parametrize("config_delivery", [False, True])
def test_both_policies_pass_the_projects_document_and_aws_value_checks(config_delivery: bool) -> None:
    recording = run(config_delivery=config_delivery)
    limits = ((KEY, log_documents.KEY_POLICY_CHARS), (BUCKET_POLICY, log_documents.BUCKET_POLICY_CHARS))
    for type_, limit in limits:
        document = policy(recording.one(type_))
        assert documents.unknown_actions(document) == [], type_
        assert documents.unsupported_condition_keys(document) == [], type_
        assert len(documents.minify(document)) <= limit
        assert all(str(s["Sid"]).isalnum() for s in document["Statement"])
        assert len({s["Sid"] for s in document["Statement"]}) == len(document["Statement"])
    problems = [f"{r.name}: {p}" for r in recording.resources
                for p in aws_values.check_inputs(r.type, r.inputs, r.name)]
    assert problems == []
    assert guardrails.check_recording(recording) == []


def test_a_policy_mistake_is_caught_by_the_document_checks() -> None:
    """The checks above can fail: a misspelled action or a key the action never carries is reported."""
    document = log_documents.key_policy(
        log_archive_account_id=LOG_ARCHIVE, management_account_id=MANAGEMENT, organization_id=ORGANIZATION,
        trail_arn=TRAIL_ARN, reader_role_patterns=[],
    )
    document["Statement"][1]["Action"] = "kms:GenerateDataKeys"
    assert documents.unknown_actions(document) == ["kms:GenerateDataKeys"]
    document["Statement"][1]["Action"] = "kms:DescribeKey"
    assert documents.unsupported_condition_keys(document)  # DescribeKey carries no encryption context
