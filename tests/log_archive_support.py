"""The log archive and the organization trail under the mock runtime, wired as the security stack wires
them: the bucket and key through a provider pinned to the log-archive account, the trail through one
pinned to the management account (tests/test_log_archive.py, tests/test_org_trail.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from components.log_archive import LogArchive, LogArchiveArgs
from components.org_trail import OrganizationTrail, OrganizationTrailArgs
from deploy.simulate import RecordedResource, Recording, simulate

REGION = "us-east-1"
MANAGEMENT = "111111111111"
LOG_ARCHIVE = "333333333333"
ORGANIZATION = "o-a1b2c3d4e5"
TRAIL = "landing-zone-org-trail"
BUCKET = f"landing-zone-org-trail-{LOG_ARCHIVE}-{REGION}"
TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{MANAGEMENT}:trail/{TRAIL}"
READER_PATTERN = (
    f"arn:aws:iam::{LOG_ARCHIVE}:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_security-auditors-ps_*"
)
READER_ROLE = (
    f"arn:aws:iam::{LOG_ARCHIVE}:role/aws-reserved/sso.amazonaws.com/"
    "AWSReservedSSO_security-auditors-ps_0123456789abcdef"
)
ADMIN_ROLE = f"arn:aws:iam::{LOG_ARCHIVE}:role/OrganizationAccountAccessRole"
PROVIDER = "pulumi:providers:aws"
KEY = "aws:kms/key:Key"
BUCKET_TYPE = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
TRAIL_TYPE = "aws:cloudtrail/trail:Trail"


def run(**overrides: Any) -> Recording:
    """The two components as the security stack declares them; ``overrides`` change LogArchiveArgs."""
    values: dict[str, Any] = {
        "account_id": LOG_ARCHIVE, "management_account_id": MANAGEMENT, "organization_id": ORGANIZATION,
        "region": REGION, "bucket_name": BUCKET, "trail_name": TRAIL, "retention_days": 365,
        "transition_days": 90, "reader_role_patterns": [READER_PATTERN],
    }
    values.update(overrides)

    def program() -> Mapping[str, Any]:
        log_archive_provider = aws.Provider(
            "security-log-archive", region=REGION, allowed_account_ids=[LOG_ARCHIVE],
            assume_roles=[aws.ProviderAssumeRoleArgs(role_arn=ADMIN_ROLE)],
        )
        management = aws.Provider("security-management", region=REGION, allowed_account_ids=[MANAGEMENT])
        archive = LogArchive(
            "log-archive", LogArchiveArgs(**values),
            opts=pulumi.ResourceOptions(providers={"aws": log_archive_provider}),
        )
        trail = OrganizationTrail(
            "org-trail",
            OrganizationTrailArgs(name=TRAIL, bucket_name=archive.bucket_name, kms_key_arn=archive.key_arn,
                                  ready=[archive.bucket_policy, archive.key]),
            opts=pulumi.ResourceOptions(providers={"aws": management}),
        )
        return {"bucket": archive.bucket_name, "key": archive.key_arn, "trail": trail.trail.arn}

    return simulate("security", program)


def account_of(recording: Recording, resource: RecordedResource) -> str:
    """The one account the resource's explicit provider is pinned to."""
    provider = recording.provider_of(resource)
    assert provider is not None, f"{resource.type} {resource.name} uses the default provider"
    (account,) = provider.provider_setting("allowedAccountIds")
    return str(account)


def policy(resource: RecordedResource) -> dict[str, Any]:
    return json.loads(resource.inputs["policy"])


def statements(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document["Statement"]}
