"""The organization trail (components/org_trail.py) under the mock runtime: in the management account, an
organization-wide multi-region trail with global service events and log file validation, logging, into
the log archive's bucket with its key, declared after the bucket policy and the key, and never deleted by
a ``destroy``."""

from __future__ import annotations

import pytest

from deploy.simulate import Recording
from iam_documents.log_archive import trail_arn
from tests.log_archive_support import (
    BUCKET,
    BUCKET_POLICY,
    KEY,
    MANAGEMENT,
    REGION,
    TRAIL,
    TRAIL_ARN,
    TRAIL_TYPE,
    account_of,
    policy,
    run,
    statements,
)


@pytest.fixture(scope="module")
def recording() -> Recording:
    return run()


def test_the_trail_records_the_whole_organization_in_every_region_and_validates_its_files(
    recording: Recording,
) -> None:
    inputs = recording.one(TRAIL_TYPE).inputs
    assert {flag: inputs.get(flag) for flag in (
        "isOrganizationTrail", "isMultiRegionTrail", "includeGlobalServiceEvents", "enableLogFileValidation",
        "enableLogging",
    )} == dict.fromkeys(("isOrganizationTrail", "isMultiRegionTrail", "includeGlobalServiceEvents",
                         "enableLogFileValidation", "enableLogging"), True)
    assert inputs["name"] == TRAIL
    assert "s3KeyPrefix" not in inputs  # the bucket policy admits AWSLogs/... at the bucket's root


def test_the_trail_delivers_to_the_log_archive_bucket_encrypted_with_its_key(recording: Recording) -> None:
    trail = recording.one(TRAIL_TYPE)
    assert trail.inputs["s3BucketName"] == BUCKET
    assert trail.inputs["kmsKeyId"] == recording.one(KEY).outputs["arn"]


def test_the_trail_lives_in_the_management_account(recording: Recording) -> None:
    assert account_of(recording, recording.one(TRAIL_TYPE)) == MANAGEMENT


def test_the_trail_waits_for_the_bucket_policy_and_the_key(recording: Recording) -> None:
    dependencies = set(recording.one(TRAIL_TYPE).dependencies)
    assert {recording.one(BUCKET_POLICY).urn, recording.one(KEY).urn} <= dependencies


def test_the_trail_is_protected_and_survives_a_destroy(recording: Recording) -> None:
    trail = recording.one(TRAIL_TYPE)
    assert trail.protect and trail.retain_on_delete


def test_the_policies_pin_the_arn_this_trail_will_have(recording: Recording) -> None:
    """aws:SourceArn in both policies is the ARN CloudTrail gives this trail (its home region, the
    management account, its name); another name or region would not match."""
    assert trail_arn(REGION, MANAGEMENT, TRAIL) == TRAIL_ARN
    name = recording.one(TRAIL_TYPE).inputs["name"]
    assert f"arn:aws:cloudtrail:{REGION}:{MANAGEMENT}:trail/{name}" == TRAIL_ARN
    for type_ in (BUCKET_POLICY, KEY):
        pinned = {str(s.get("Condition", {}).get("StringEquals", {}).get("aws:SourceArn"))
                  for s in statements(policy(recording.one(type_))).values()
                  if "cloudtrail" in str(s["Principal"])}
        assert pinned == {TRAIL_ARN}, type_
    renamed = run(trail_name="another-trail")
    assert TRAIL_ARN not in str(policy(renamed.one(BUCKET_POLICY)))
