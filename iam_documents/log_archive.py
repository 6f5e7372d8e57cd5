"""The log archive's policy documents: the bucket policy of the organization trail's bucket and the key
policy of its customer managed KMS key. Data built from plain values (account ids, organization id,
names), so the tests can assert and evaluate them exactly; ``components/log_archive.py`` fills them in.

Sources (each statement below names the one it follows):
- CloudTrail User Guide, "Amazon S3 bucket policy for CloudTrail", organization trail policy
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
  #org-trail-bucket-policy, and cloudtrail-create-and-update-an-organizational-trail-by-using-the-aws-cli
  .html): ``s3:GetBucketAcl`` on the bucket, ``s3:PutObject`` under ``AWSLogs/<management id>/*`` (the
  trail's own account, used if it stops being an organization trail) and ``AWSLogs/<organization id>/*``,
  with ``s3:x-amz-acl = bucket-owner-full-control``; every statement pinned with ``aws:SourceArn`` = the
  trail's ARN, which for an organization trail is the management account's trail ARN.
- CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail"
  (create-kms-key-policy-for-cloudtrail.html): encrypt = ``kms:GenerateDataKey*`` with
  ``kms:EncryptionContext:aws:cloudtrail:arn`` like ``arn:aws:cloudtrail:*:<account>:trail/*`` and
  ``aws:SourceArn``; ``kms:DescribeKey`` with ``aws:SourceArn``; readers ``kms:Decrypt`` with the
  CloudTrail context present (``Null ... false``). The same page: "If you are using an existing S3
  bucket with an S3 Bucket Key, kms:Decrypt permissions are required to create or update a trail with
  SSE-KMS encryption enabled": the bucket uses a bucket key, so CloudTrail itself may decrypt, for this
  trail only.
- Digest files (log file validation) are written to the same bucket, under ``.../CloudTrail-Digest/``.
  Older CloudTrail guide pages say they are SSE-S3, not the trail's key ("Enabling server-side encryption
  encrypts the log files but not the digest files with SSE-KMS", encrypting-cloudtrail-log-files-with-aws-
  kms.html); newer ones describe them as SSE-KMS too. Either way is admitted: nothing here refuses a put
  that is not SSE-KMS, and the trail's GenerateDataKey grant covers a put that is.
- AWS Config (``config_delivery``): every member account's recorder delivers through its own role,
  ``landing-zone-config-recorder-<region>`` (components/templates/config_recorder.yaml), not as the
  ``config.amazonaws.com`` service principal. AWS Config Developer Guide, "Permissions for the Amazon S3
  Bucket" (s3-bucket-policy.html): as the service principal (a service-linked role, or a role the bucket
  refuses), Config "won't work with organization ID or organization units based conditions", and for many
  accounts of one organization delivering to one bucket it recommends "IAM roles instead of
  service-linked roles so you can use AWS Organizations conditions keys such as AWS:PrincipalOrgID".
  So the bucket admits principals of the organization (``aws:PrincipalOrgID``) whose ARN is that role's
  (``aws:PrincipalArn``): ``s3:GetBucketAcl`` and ``s3:ListBucket`` on the bucket, ``s3:PutObject`` and
  ``s3:PutObjectAcl`` under ``AWSLogs/*/Config/`` with bucket-owner-full-control (the role's own policy
  narrows it to its account's prefix); and the key lets them ``kms:GenerateDataKey`` and ``kms:Decrypt``
  through S3 only (``kms:ViaService``): "Permissions for the IAM Role Assigned to AWS Config" and
  "Permissions for the KMS Key" (s3-kms-key-policy.html). A fixed ``aws:PrincipalOrgID`` keeps the
  bucket policy non-public (S3 User Guide, "The meaning of public": "An AWS principal, user, role, or
  service principal (e.g. aws:PrincipalOrgID)").
- S3 "The meaning of public" (access-control-block-public-access.html#access-control-block-public-access-
  policy-status): a statement granting ``s3:Get*``/``s3:List*`` is public unless its principal (or one of
  a few keys, not ``aws:PrincipalArn``) is fixed. The readers' statement therefore names the log-archive
  account as principal and narrows it with ``aws:PrincipalArn``: Block Public Access accepts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from iam_documents.documents import VERSION

CLOUDTRAIL = "cloudtrail.amazonaws.com"
# The role each member account's AWS Config recorder delivers with (one per Region: IAM is global).
CONFIG_RECORDER_ROLE_PREFIX = "landing-zone-config-recorder-"
CONFIG_ACTIONS_ON_BUCKET = ("s3:GetBucketAcl", "s3:ListBucket")
CONFIG_ACTIONS_ON_OBJECTS = ("s3:PutObject", "s3:PutObjectAcl")
CONFIG_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
CLOUDTRAIL_CONTEXT_KEY = "kms:EncryptionContext:aws:cloudtrail:arn"
S3_CONTEXT_KEY = "kms:EncryptionContext:aws:s3:arn"
OWNER_FULL_CONTROL = "bucket-owner-full-control"
# Administering the key, never using it. The CloudTrail guide's default policy gives the account
# ``kms:*``; this is the console's "key administrators" list with ``kms:Create*`` narrowed to
# ``kms:CreateAlias``: ``kms:CreateGrant`` would let an administrator hand itself kms:Decrypt.
KEY_ADMIN_ACTIONS = (
    "kms:CreateAlias", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*",
    "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
    "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
)
READER_BUCKET_ACTIONS = ("s3:GetObject", "s3:ListBucket")
# A key policy document may hold 32 KB; a bucket policy 20 KB (KMS quotas "Key policy document size";
# S3 User Guide, bucket-policies.html).
KEY_POLICY_CHARS = 32768
BUCKET_POLICY_CHARS = 20480


def trail_arn(region: str, management_account_id: str, trail_name: str) -> str:
    """The organization trail's ARN: it lives in the management account, in its home region."""
    return f"arn:aws:cloudtrail:{region}:{management_account_id}:trail/{trail_name}"


def account_root(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def config_recorder_roles() -> str:
    """The ``ArnLike`` pattern of the recorders' roles, in any account (``aws:PrincipalOrgID`` narrows it)."""
    return f"arn:aws:iam::*:role/{CONFIG_RECORDER_ROLE_PREFIX}*"


def _config_recorders(organization_id: str) -> dict[str, Any]:
    return {"StringEquals": {"aws:PrincipalOrgID": organization_id},
            "ArnLike": {"aws:PrincipalArn": config_recorder_roles()}}


def _readers(reader_role_patterns: Sequence[str]) -> str | list[str]:
    patterns = sorted(reader_role_patterns)
    return patterns[0] if len(patterns) == 1 else patterns


def bucket_policy(
    *,
    bucket_name: str,
    trail_arn: str,
    management_account_id: str,
    organization_id: str,
    log_archive_account_id: str,
    reader_role_patterns: Sequence[str],
    config_delivery: bool = False,
) -> dict[str, Any]:
    """TLS only; CloudTrail writes the organization trail; the readers read; AWS Config delivers if on."""
    bucket = f"arn:aws:s3:::{bucket_name}"
    from_the_trail = {"aws:SourceArn": trail_arn}
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket, f"{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "CloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDTRAIL},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket,
            "Condition": {"StringEquals": from_the_trail},
        },
    ]
    for sid, owner in (("CloudTrailWriteManagementAccount", management_account_id),
                       ("CloudTrailWriteOrganization", organization_id)):
        statements.append({
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": CLOUDTRAIL},
            "Action": "s3:PutObject",
            "Resource": f"{bucket}/AWSLogs/{owner}/*",
            "Condition": {"StringEquals": {"s3:x-amz-acl": OWNER_FULL_CONTROL, **from_the_trail}},
        })
    if reader_role_patterns:
        statements.append({
            "Sid": "SecurityReadersRead",
            "Effect": "Allow",
            "Principal": {"AWS": account_root(log_archive_account_id)},
            "Action": list(READER_BUCKET_ACTIONS),
            "Resource": [bucket, f"{bucket}/*"],
            "Condition": {"ArnLike": {"aws:PrincipalArn": _readers(reader_role_patterns)}},
        })
    if config_delivery:
        recorders = _config_recorders(organization_id)
        statements += [
            {"Sid": "AWSConfigRecordersCheckTheBucket", "Effect": "Allow", "Principal": "*",
             "Action": list(CONFIG_ACTIONS_ON_BUCKET), "Resource": bucket, "Condition": recorders},
            {"Sid": "AWSConfigRecordersDeliver", "Effect": "Allow", "Principal": "*",
             "Action": list(CONFIG_ACTIONS_ON_OBJECTS), "Resource": f"{bucket}/AWSLogs/*/Config/*",
             "Condition": {**recorders, "StringEquals": {**recorders["StringEquals"],
                                                          "s3:x-amz-acl": OWNER_FULL_CONTROL}}},
        ]
    return {"Version": VERSION, "Statement": statements}


def key_policy(
    *,
    log_archive_account_id: str,
    management_account_id: str,
    organization_id: str,
    trail_arn: str,
    reader_role_patterns: Sequence[str],
    config_delivery: bool = False,
    region: str = "*",  # the bucket's (and key's) Region: S3 there may use the key for Config's puts
    bucket_name: str | None = None,  # the log bucket: with it, readers may decrypt its S3 Bucket Key
) -> dict[str, Any]:
    """The account administers the key (and passes KMS's lockout check through IAM) but cannot decrypt;
    CloudTrail encrypts for the trail; only the readers decrypt its logs; AWS Config too if on."""
    root = account_root(log_archive_account_id)
    from_the_trail = {"aws:SourceArn": trail_arn}
    management_trails = f"arn:aws:cloudtrail:*:{management_account_id}:trail/*"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "LogArchiveAccountAdministersTheKey",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": list(KEY_ADMIN_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "CloudTrailEncryptsLogs",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDTRAIL},
            "Action": "kms:GenerateDataKey*",
            "Resource": "*",
            "Condition": {
                "StringLike": {CLOUDTRAIL_CONTEXT_KEY: management_trails},
                "StringEquals": from_the_trail,
            },
        },
        {
            "Sid": "CloudTrailDescribesKey",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDTRAIL},
            "Action": "kms:DescribeKey",
            "Resource": "*",
            "Condition": {"StringEquals": from_the_trail},
        },
        {
            # Required with an S3 Bucket Key to create or update the trail (see the module's sources).
            "Sid": "CloudTrailDecryptsWithBucketKey",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDTRAIL},
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"StringEquals": from_the_trail},
        },
    ]
    if reader_role_patterns:
        readers = {"ArnLike": {"aws:PrincipalArn": _readers(reader_role_patterns)}}

        def readers_decrypt(sid: str, condition: dict[str, Any]) -> dict[str, Any]:
            return {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:Decrypt",
                    "Resource": "*", "Condition": {**readers, **condition}}

        statements.append(
            readers_decrypt("SecurityReadersDecryptLogs", {"Null": {CLOUDTRAIL_CONTEXT_KEY: "false"}})
        )
        if bucket_name is not None:
            # The bucket uses an S3 Bucket Key, and "S3 Bucket Keys use the bucket ARN as encryption
            # context" (S3 User Guide, bucket-key.html, "Changes to note before enabling an S3 Bucket
            # Key"): reading an object may need the bucket key decrypted under that context, without
            # CloudTrail's. So the readers may also decrypt for this bucket only, and only through S3.
            statements.append(readers_decrypt("SecurityReadersDecryptBucketKey", {
                "StringEquals": {S3_CONTEXT_KEY: f"arn:aws:s3:::{bucket_name}"},
                "StringLike": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
            }))
    if config_delivery:
        recorders = _config_recorders(organization_id)
        statements.append({
            "Sid": "AWSConfigRecordersEncrypt",
            "Effect": "Allow",
            "Principal": "*",
            "Action": list(CONFIG_KEY_ACTIONS),
            "Resource": "*",
            # Only as S3 uses it for their puts: the bucket and key share the Region (S3KmsKeyArn).
            "Condition": {**recorders, "StringLike": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
        })
    return {"Version": VERSION, "Statement": statements}
