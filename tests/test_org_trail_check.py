"""The plan's organization-trail check (deploy/org_trail_check.py): the components' wiring passes, and each
fault that would make CreateTrail fail on AWS (while the mocks accept it) is reported on the trail."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from deploy.org_trail_check import check_org_trails, expected_trail_arn
from deploy.simulate import RecordedResource, Recording
from deploy.stack_checks import ERROR, StackContext, all_checks
from tests.log_archive_support import BUCKET_POLICY, KEY, TRAIL_ARN, TRAIL_TYPE, run


@pytest.fixture(scope="module")
def recording() -> Recording:
    return run()


def _findings(recording: Recording) -> list[str]:
    context = StackContext("security", "Pulumi.security.yaml", {}, None, recording)
    return [f"{f.severity} {f.where}: {f.message}" for f in check_org_trails(context)]


def _edited_policy(resource: RecordedResource, edit: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(resource.inputs["policy"])
    edit(document)
    resource.inputs["policy"] = json.dumps(document)


def _drop(sid: str) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        document["Statement"] = [s for s in document["Statement"] if s["Sid"] != sid]
    return edit


def test_the_check_runs_in_every_plan() -> None:
    assert check_org_trails in all_checks()


def test_the_components_wiring_passes_and_the_arn_is_the_trails(recording: Recording) -> None:
    assert _findings(recording) == []
    assert expected_trail_arn(recording, recording.one(TRAIL_TYPE)) == TRAIL_ARN


def test_a_renamed_trail_no_longer_matches_either_policy(recording: Recording) -> None:
    faulty = copy.deepcopy(recording)
    faulty.one(TRAIL_TYPE).inputs["name"] = "another-trail"
    findings = _findings(faulty)
    assert len(findings) == 2 and all(f.startswith(ERROR) for f in findings)
    assert "InsufficientS3BucketPolicy" in findings[0] and "s3:GetBucketAcl, s3:PutObject" in findings[0]
    assert "InsufficientEncryptionPolicy" in findings[1] and "kms:GenerateDataKey" in findings[1]


@pytest.mark.parametrize(("type_", "sid", "expected"), [
    (BUCKET_POLICY, "CloudTrailWriteOrganization", "AWSLogs/<organization id>/"),
    (BUCKET_POLICY, "CloudTrailWriteManagementAccount", None),  # the organization's prefix still admits
    (BUCKET_POLICY, "CloudTrailAclCheck", "s3:GetBucketAcl"),
    (KEY, "CloudTrailEncryptsLogs", "kms:GenerateDataKey"),
    (KEY, "CloudTrailDescribesKey", "kms:DescribeKey"),
])
def test_a_missing_cloudtrail_statement_is_reported(
    recording: Recording, type_: str, sid: str, expected: str | None
) -> None:
    faulty = copy.deepcopy(recording)
    _edited_policy(faulty.one(type_), _drop(sid))
    findings = _findings(faulty)
    if expected is None:
        assert findings == []
    else:
        (finding,) = findings
        assert expected in finding and ERROR in finding


def test_an_encryption_context_of_another_account_is_reported(recording: Recording) -> None:
    faulty = copy.deepcopy(recording)

    def other_account(document: dict[str, Any]) -> None:
        (statement,) = [s for s in document["Statement"] if s["Sid"] == "CloudTrailEncryptsLogs"]
        statement["Condition"]["StringLike"]["kms:EncryptionContext:aws:cloudtrail:arn"] = (
            "arn:aws:cloudtrail:*:999999999999:trail/*")

    _edited_policy(faulty.one(KEY), other_account)
    (finding,) = _findings(faulty)
    assert "kms:GenerateDataKey" in finding


@pytest.mark.parametrize("type_", [BUCKET_POLICY, KEY])
def test_a_trail_that_does_not_wait_for_the_policy_or_key_is_reported(
    recording: Recording, type_: str
) -> None:
    faulty = copy.deepcopy(recording)
    trail = faulty.one(TRAIL_TYPE)
    trail.dependencies = [urn for urn in trail.dependencies if urn != faulty.one(type_).urn]
    (finding,) = _findings(faulty)
    assert "without depending on" in finding
