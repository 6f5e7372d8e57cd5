"""``plan`` refuses an org whose SCPs on OU Security deny the access role what the security stack does
there (deploy/security_access_check.py): the mocks accept the calls, AWS would refuse them at ``up``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import config
from deploy.security_access_check import LOG_ARCHIVE_ACTIONS, denied_actions
from deploy.stack_checks import ERROR, WARNING, StackContext, all_checks
from tests.configs import FIXTURE_STACKS, SECURITY_FIXTURE, security_org_config

SOURCE = "Pulumi.security.yaml"
GUARDRAILS = "guardrails.json"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for path in FIXTURE_STACKS.glob("Pulumi.*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    shutil.copy(SECURITY_FIXTURE / SOURCE, tmp_path / SOURCE)
    _edit(tmp_path, "org", lambda values: values.update(
        {"landing-zone:accounts": security_org_config()["accounts"]}))
    return tmp_path


def _edit(root: Path, stack: str, change: Any) -> None:
    path = root / f"Pulumi.{stack}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data["config"])
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _findings(root: Path) -> list[tuple[str, str, str]]:
    from deploy.security_access_check import check_security_access_role

    assert check_security_access_role in all_checks()
    context = StackContext("security", SOURCE, {}, config.load_stack_file("security", root), None, root)
    return [(f.severity, f.where, f.message) for f in check_security_access_role(context)]


def _renamed_access_role(values: dict[str, Any]) -> None:
    """Another access role, and the SCPs without the shipped quarantine (which names the default role and
    which config refuses then): the deny list on Security still exempts OrganizationAccountAccessRole."""
    values["landing-zone:accessRoleName"] = "PlatformAdmin"
    values["landing-zone:serviceControlPolicies"] = [
        {"name": "landing-zone-guardrails", "file": GUARDRAILS,
         "targets": ["Security", "Sandbox", "Deployments", "Workloads"]},
    ]


def test_the_shipped_deny_list_lets_the_default_access_role_work(root: Path) -> None:
    assert _findings(root) == []


def test_a_renamed_access_role_is_refused_guardduty_in_security_tooling(root: Path) -> None:
    _edit(root, "org", _renamed_access_role)
    [(severity, where, message)] = _findings(root)
    assert severity == ERROR
    assert where == "Pulumi.org.yaml: landing-zone:serviceControlPolicies[0].file"
    assert message.startswith(
        "iam_documents/scp/guardrails.json (statement DenyGuardDutyChanges, on OU 'Security') denies "
        "guardduty:CreateDetector, guardduty:TagResource to the access role 'PlatformAdmin' in "
        "'security-tooling'")
    # Without GuardDuty the security stack makes none of the calls the deny list keeps from that role.
    _edit(root, "security", lambda values: values["landing-zone:security"]["tooling"].update(
        {"guardDuty": False}))
    assert _findings(root) == []


def test_a_blanket_deny_binds_every_role_and_an_exemption_lets_the_access_role_through() -> None:
    deny: dict[str, Any] = {"Sid": "NoBucketPolicies", "Effect": "Deny", "Action": "S3:PutBucket*",
                            "Resource": "*"}
    document = {"Version": "2012-10-17", "Statement": [deny]}
    assert denied_actions(document, "OrganizationAccountAccessRole", LOG_ARCHIVE_ACTIONS) == [
        ("NoBucketPolicies", ["s3:PutBucketPolicy", "s3:PutBucketVersioning", "s3:PutBucketPublicAccessBlock",
                              "s3:PutBucketOwnershipControls", "s3:PutBucketTagging"])]
    deny["Condition"] = {"ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::*:role/Organization*"}}
    assert denied_actions(document, "OrganizationAccountAccessRole", LOG_ARCHIVE_ACTIONS) == []
    assert denied_actions(document, "PlatformAdmin", LOG_ARCHIVE_ACTIONS)  # the exemption misses it
    # Other condition keys, specific resources and NotAction are AWS's to evaluate, not this check's.
    for change in ({"Condition": {"Bool": {"aws:ViaAWSService": "false"}}},
                   {"Resource": "arn:aws:s3:::other-bucket"}):
        assert denied_actions({"Statement": [{**deny, "Condition": {}, **change}]}, "PlatformAdmin",
                              LOG_ARCHIVE_ACTIONS) == []
    not_action = {"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"}
    assert denied_actions({"Statement": [not_action]}, "PlatformAdmin", LOG_ARCHIVE_ACTIONS) == []



# --- the baseline's StackSets in an opt-in Region (deploy/security_regions_check.py) ---------------------


def _region_findings(root: Path) -> list[tuple[str, str, str]]:
    from deploy.security_regions_check import check_baseline_opt_in_regions

    assert check_baseline_opt_in_regions in all_checks()
    context = StackContext("security", SOURCE, {}, config.load_stack_file("security", root), None, root)
    return [(f.severity, f.where, f.message) for f in check_baseline_opt_in_regions(context)]


def _baseline(root: Path, **change: Any) -> None:
    _edit(root, "security", lambda values: values["landing-zone:security"].setdefault("baseline", {}).update(
        change))


def test_an_opt_in_region_in_the_baseline_warns_while_a_stack_set_deploys_there(root: Path) -> None:
    assert _region_findings(root) == []  # us-east-1 only
    _baseline(root, regions=["us-east-1", "eu-south-1", "eu-west-1"])
    [(severity, where, message)] = _region_findings(root)
    assert (severity, where) == (WARNING, f"{SOURCE}: landing-zone:security.baseline.regions")
    assert message.startswith("'eu-south-1' is an opt-in Region: the baseline's StackSets create stack "
                              "instances there only in accounts that have enabled it")
    # No StackSet (EBS encryption and AWS Config off): nothing is deployed per Region.
    _baseline(root, ebsEncryptionByDefault=False)
    assert _region_findings(root) == []
    # AWS Config's recorders are a StackSet too.
    _edit(root, "security", lambda values: values["landing-zone:security"]["tooling"].update(
        {"awsConfig": True}))
    assert [where for _, where, _ in _region_findings(root)] == [
        f"{SOURCE}: landing-zone:security.baseline.regions"]
