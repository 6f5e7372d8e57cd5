"""AWS Config recording in every member account (tooling.awsConfig): the second StackSet of the account
baseline (components/account_baseline.py, components/config_recording.py) and its template
(components/templates/config_recorder.yaml).

What is checked: the template is cfn-lint clean wherever it may be deployed; its recorder records every
supported type (global IAM types in the home Region only), starts (not StartedOnCreate false), has a
delivery channel to the log archive's bucket with its key, made after the recorder; the recorder's role
trusts only Config for its own account and may do exactly what delivery needs. Under mocks the StackSet
exists only when on, is service-managed, auto-deployed, per Region to the root, protected and retained,
and waits for the log archive's policies. And the role the template creates is one the log archive's
bucket and key policies admit (evaluated with tests/iam_trust_evaluator.py), so the wiring holds end to end.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.account_baseline import AccountBaselineArgs
from components.config_recording import (
    CONFIG_STACK_SET_NAME,
    CONFIG_TEMPLATE_FILE,
    config_recorder_template,
    config_stack_set_parameters,
)
from deploy.account_baseline_check import check_account_baseline
from deploy.simulate import Recording
from deploy.stack_checks import StackContext
from iam_documents import documents
from iam_documents import log_archive as log_documents
from tests import iam_trust_evaluator as iam
from tests.cfn_support import MANAGEMENT, lint_findings, parsed_template, record_baseline

MEMBER = "222222222222"
ROOT_ID = "r-ab12"
ORGANIZATION = "o-a1b2c3d4e5"
REGIONS = ("us-east-1", "eu-west-1")
BUCKET = "landing-zone-org-trail-333333333333-us-east-1"
KEY_ARN = "arn:aws:kms:us-east-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
STACK_SET = "aws:cloudformation/stackSet:StackSet"
INSTANCE = "aws:cloudformation/stackSetInstance:StackSetInstance"
TOPIC = "aws:sns/topic:Topic"


def run_baseline(*, aws_config: bool = True, regions: tuple[str, ...] = REGIONS,
                 home_region: str | None = "us-east-1") -> Recording:
    def args(management: aws.Provider) -> AccountBaselineArgs:
        # A stand-in for the log archive's bucket policy: the StackSet must wait for it.
        ready = aws.sns.Topic("log-archive-ready", opts=pulumi.ResourceOptions(provider=management))
        return AccountBaselineArgs(root_id=ROOT_ID, regions=regions, s3_block_public_access=False,
                                   ebs_encryption_by_default=True, aws_config=aws_config,
                                   log_archive_bucket_name=BUCKET, log_archive_key_arn=KEY_ARN,
                                   home_region=home_region, log_archive_ready=[ready])

    return record_baseline(args)


@pytest.fixture(scope="module")
def baseline() -> Recording:
    return run_baseline()


def template() -> dict[str, Any]:
    return parsed_template(config_recorder_template())


def of_type(resources: Mapping[str, Any], type_: str) -> tuple[str, dict[str, Any]]:
    [(name, resource)] = [(n, r) for n, r in resources.items() if r["Type"] == type_]
    return name, resource


# --- the template ----------------------------------------------------------------------------------


def test_the_template_is_cfn_lint_clean_in_every_region_it_may_target() -> None:
    assert lint_findings(config_recorder_template()) == []


def test_the_recorder_records_everything_and_global_types_only_in_the_home_region() -> None:
    parsed = template()
    resources = parsed["Resources"]
    role_name, _ = of_type(resources, "AWS::IAM::Role")
    recorder_name, recorder = of_type(resources, "AWS::Config::ConfigurationRecorder")
    properties = recorder["Properties"]
    assert properties["RoleARN"] == {"Fn::GetAtt": [role_name, "Arn"]}
    assert properties["RecordingGroup"] == {
        "AllSupported": True, "IncludeGlobalResourceTypes": {"Fn::If": ["IsHomeRegion", True, False]}}
    assert parsed["Conditions"]["IsHomeRegion"] == {
        "Fn::Equals": [{"Ref": "AWS::Region"}, {"Ref": "HomeRegion"}]}
    # It starts once the channel exists; nothing here turns that off (StartedOnCreate defaults to true).
    assert properties.get("StartedOnCreate", True) is True
    assert "RecordingMode" not in properties  # continuous recording, Config's default
    _, channel = of_type(resources, "AWS::Config::DeliveryChannel")
    assert channel["DependsOn"] == recorder_name  # "you must create a configuration recorder" first
    assert channel["Properties"]["S3BucketName"] == {"Ref": "LogArchiveBucketName"}
    assert channel["Properties"]["S3KmsKeyArn"] == {"Ref": "LogArchiveKeyArn"}
    assert "S3KeyPrefix" not in channel["Properties"]  # AWSLogs/<account>/Config/ as the policies expect
    assert "SnsTopicARN" not in channel["Properties"]


def test_the_parameters_the_stack_set_passes_are_the_templates() -> None:
    assert set(config_stack_set_parameters(BUCKET, KEY_ARN, "us-east-1")) == set(template()["Parameters"])


def test_the_recorder_role_trusts_config_for_its_account_and_may_only_deliver() -> None:
    _, role = of_type(template()["Resources"], "AWS::IAM::Role")
    properties = role["Properties"]
    prefix = log_documents.CONFIG_RECORDER_ROLE_PREFIX
    assert properties["RoleName"] == {"Fn::Sub": f"{prefix}${{AWS::Region}}"}
    assert properties["AssumeRolePolicyDocument"]["Statement"] == [{
        "Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
    }]
    assert properties["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWS_ConfigRole"}]
    [inline] = properties["Policies"]
    statements = inline["PolicyDocument"]["Statement"]
    grants = {(action, json.dumps(s["Resource"], sort_keys=True))
              for s in statements if s["Effect"] == "Allow" for action in s["Action"]}
    own_prefix = json.dumps({"Fn::Sub": "arn:${AWS::Partition}:s3:::${LogArchiveBucketName}/AWSLogs/"
                                        "${AWS::AccountId}/Config/*"}, sort_keys=True)
    bucket = json.dumps({"Fn::Sub": "arn:${AWS::Partition}:s3:::${LogArchiveBucketName}"}, sort_keys=True)
    key = json.dumps({"Ref": "LogArchiveKeyArn"}, sort_keys=True)
    assert grants == {
        ("s3:PutObject", own_prefix), ("s3:PutObjectAcl", own_prefix),
        ("s3:GetBucketAcl", bucket), ("s3:ListBucket", bucket),
        ("kms:GenerateDataKey", key), ("kms:Decrypt", key),
    }
    [put] = [s for s in statements if "s3:PutObject" in s["Action"]]
    assert put["Condition"] == {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}
    assert documents.unknown_actions({"Version": "2012-10-17", "Statement": statements}) == []


@pytest.mark.parametrize("region", REGIONS)
def test_the_role_the_template_creates_is_the_one_the_log_archive_admits(region: str) -> None:
    """End to end: the role name the template gives (per Region) matches the log archive's policies."""
    role_arn = f"arn:aws:iam::{MEMBER}:role/{log_documents.CONFIG_RECORDER_ROLE_PREFIX}{region}"
    bucket_policy = log_documents.bucket_policy(
        bucket_name=BUCKET, trail_arn=log_documents.trail_arn("us-east-1", MANAGEMENT, "t"),
        management_account_id=MANAGEMENT, organization_id=ORGANIZATION,
        log_archive_account_id="333333333333", reader_role_patterns=[], config_delivery=True)
    key_policy = log_documents.key_policy(
        log_archive_account_id="333333333333", management_account_id=MANAGEMENT,
        organization_id=ORGANIZATION, trail_arn=log_documents.trail_arn("us-east-1", MANAGEMENT, "t"),
        reader_role_patterns=[], config_delivery=True, region="us-east-1")
    # What Config writes: AWSLogs/<account>/Config/<region>/... (Config Developer Guide, s3-bucket-policy).
    config_object = f"arn:aws:s3:::{BUCKET}/AWSLogs/{MEMBER}/Config/{region}/2026/1/1/ConfigHistory/x.gz"
    context = {"aws:SecureTransport": "true", "aws:PrincipalArn": role_arn,
               "aws:PrincipalOrgID": ORGANIZATION, "s3:x-amz-acl": "bucket-owner-full-control"}
    principal = ("AWS", role_arn)
    assert iam.allows(bucket_policy, principal=principal, action="s3:PutObject", resource=config_object,
                      context=context)
    assert iam.allows(bucket_policy, principal=principal, action="s3:GetBucketAcl",
                      resource=f"arn:aws:s3:::{BUCKET}", context=context)
    assert iam.allows(key_policy, principal=principal, action="kms:GenerateDataKey",
                      context={**context, "kms:ViaService": "s3.us-east-1.amazonaws.com"})


# --- the StackSet under mocks -------------------------------------------------------------------------


def test_the_stack_set_exists_only_when_aws_config_is_on(baseline: Recording) -> None:
    off = run_baseline(aws_config=False)
    assert [s.inputs["name"] for s in off.of_type(STACK_SET)] == ["landing-zone-ebs-encryption-by-default"]
    assert sorted(s.inputs["name"] for s in baseline.of_type(STACK_SET)) == sorted(
        ["landing-zone-ebs-encryption-by-default", CONFIG_STACK_SET_NAME])


def test_the_stack_set_is_service_managed_auto_deployed_and_carries_the_template(baseline: Recording) -> None:
    stack_set = baseline.one(STACK_SET, "baseline-config-recording")
    inputs = stack_set.inputs
    assert (inputs["name"], inputs["permissionModel"], inputs["callAs"]) == (
        CONFIG_STACK_SET_NAME, "SERVICE_MANAGED", "SELF")
    assert inputs["autoDeployment"] == {"enabled": True, "retainStacksOnAccountRemoval": False}
    assert inputs["capabilities"] == ["CAPABILITY_NAMED_IAM"]  # the role has a fixed name
    assert inputs["templateBody"] == CONFIG_TEMPLATE_FILE.read_text(encoding="utf-8")
    assert inputs["parameters"] == {"LogArchiveBucketName": BUCKET, "LogArchiveKeyArn": KEY_ARN,
                                    "HomeRegion": "us-east-1"}
    assert "administrationRoleArn" not in inputs and "executionRoleName" not in inputs
    assert stack_set.protect and stack_set.retain_on_delete
    ready = baseline.one(TOPIC)
    assert ready.urn in stack_set.dependencies  # after the log archive's bucket policy and key


def test_one_protected_instance_per_region_targets_the_root(baseline: Recording) -> None:
    stack_set = baseline.one(STACK_SET, "baseline-config-recording")
    instances = [i for i in baseline.of_type(INSTANCE) if i.name.startswith("baseline-config-recording-")]
    assert sorted(i.inputs["stackSetInstanceRegion"] for i in instances) == sorted(REGIONS)
    for instance in instances:
        assert instance.inputs["stackSetName"] == CONFIG_STACK_SET_NAME
        assert instance.inputs["deploymentTargets"] == {"organizationalUnitIds": [ROOT_ID]}
        assert "accountId" not in instance.inputs
        assert instance.protect and instance.retain_on_delete
        assert stack_set.urn in instance.dependencies


def test_a_home_region_outside_the_baseline_regions_falls_back_to_the_first() -> None:
    recording = run_baseline(regions=("eu-west-1", "eu-central-1"), home_region="us-east-1")
    stack_set = recording.one(STACK_SET, "baseline-config-recording")
    assert stack_set.inputs["parameters"]["HomeRegion"] == "eu-west-1"  # global types recorded once


def test_plan_finds_nothing_wrong_with_it_and_would_catch_a_missing_capability(baseline: Recording) -> None:
    context = StackContext(stack="security", source="Pulumi.security.yaml", file_config={}, settings=None,
                           recording=baseline)
    assert check_account_baseline(context) == []
    stack_set = baseline.one(STACK_SET, "baseline-config-recording")
    stack_set.inputs["capabilities"] = ["CAPABILITY_IAM"]
    try:
        problems = [f.message for f in check_account_baseline(context)]
    finally:
        stack_set.inputs["capabilities"] = ["CAPABILITY_NAMED_IAM"]
    assert any("CAPABILITY_NAMED_IAM" in p for p in problems)


# --- the security stack's real program with tooling.awsConfig on -----------------------------------


@pytest.fixture(scope="module")
def security_with_config() -> tuple[Recording, dict[str, Any]]:
    import copy

    from tests.configs import security_org_config, security_values
    from tests.conftest import _org_outputs
    from tests.test_security_stack import _merge, run

    org_outputs = copy.deepcopy(dict(_org_outputs(json.dumps(security_org_config(), sort_keys=True))))
    raw = security_values()
    raw["security"] = _merge(raw["security"], {"tooling": {"awsConfig": True},
                                               "baseline": {"regions": ["us-east-1", "eu-west-1"]}})
    return run(org_outputs, raw), org_outputs


def test_the_security_stack_wires_the_log_archive_into_the_recorders(
    security_with_config: tuple[Recording, dict[str, Any]],
) -> None:
    recording, org_outputs = security_with_config
    stack_set = recording.one(STACK_SET, "account-baseline-config-recording")
    bucket = recording.one("aws:s3/bucket:Bucket")
    bucket_policy = recording.one("aws:s3/bucketPolicy:BucketPolicy")
    key = recording.one("aws:kms/key:Key")
    parameters = stack_set.inputs["parameters"]
    assert parameters["LogArchiveBucketName"] == bucket.inputs["bucket"]
    assert parameters["HomeRegion"] == "us-east-1"
    assert parameters["LogArchiveKeyArn"] == recording.outputs["log_archive_key_arn"]
    assert {bucket_policy.urn, key.urn} <= set(stack_set.dependencies)
    # From the management account, like the EBS StackSet.
    [management] = [p for p in recording.resources if p.is_provider and p.name == "security-management"]
    assert stack_set.provider is not None and stack_set.provider.startswith(management.urn)
    # The log archive admits the recorders' role from the organization the org stack exports.
    document = json.loads(bucket_policy.inputs["policy"])
    [deliver] = [s for s in document["Statement"] if s["Sid"] == "AWSConfigRecordersDeliver"]
    assert deliver["Condition"]["StringEquals"]["aws:PrincipalOrgID"] == org_outputs["organization_id"]


def test_the_cost_estimate_counts_a_recorder_per_account_and_region(
    security_with_config: tuple[Recording, dict[str, Any]],
) -> None:
    from policies import guardrails as g

    recording, _ = security_with_config
    prices = json.loads((CONFIG_TEMPLATE_FILE.parents[2] / "policies" / "prices.json").read_text())
    [line] = [line for line in g.estimate_recording_cost(recording, 10).lines if line.item == "AWS Config"]
    assert line.quantity == 10 * 2  # two Regions
    per_item = prices["security"]["configItem"]
    assert line.monthly_usd == pytest.approx(
        20 * prices["securityAssumptions"]["configItemsPerAccount"] * per_item, abs=0.01)


def test_the_cost_estimate_looks_for_the_stack_set_the_baseline_declares() -> None:
    from policies import cost_security

    assert cost_security.CONFIG_STACK_SET_NAME == CONFIG_STACK_SET_NAME


# --- plan of a security stack file with awsConfig on --------------------------------------------------


def test_plan_with_aws_config_on_shows_the_recorders_stack_set_and_drops_the_warning(tmp_path: Any) -> None:
    import shutil

    import yaml

    from deploy import plan, plan_render
    from tests.configs import FIXTURE_STACKS, SECURITY_FIXTURE, security_org_config

    for path in FIXTURE_STACKS.glob("Pulumi.*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    org_file = tmp_path / "Pulumi.org.yaml"
    org = yaml.safe_load(org_file.read_text(encoding="utf-8"))
    org["config"]["landing-zone:accounts"] = security_org_config()["accounts"]
    org["config"]["landing-zone:identityCenter"] = security_org_config()["identityCenter"]
    org_file.write_text(yaml.safe_dump(org, sort_keys=False), encoding="utf-8")
    security = yaml.safe_load((SECURITY_FIXTURE / "Pulumi.security.yaml").read_text(encoding="utf-8"))
    security["config"]["landing-zone:security"]["tooling"]["awsConfig"] = True
    security_file = tmp_path / "Pulumi.security.yaml"
    security_file.write_text(yaml.safe_dump(security, sort_keys=False), encoding="utf-8")

    report = plan.run_plan(["org", "security"], root=tmp_path, policies=False)
    stack = next(p for p in report.plans if p.stack == "security")
    assert stack.status == plan.OK and stack.recording is not None, stack.message
    assert stack.recording.one(STACK_SET, "account-baseline-config-recording").inputs["name"] == (
        CONFIG_STACK_SET_NAME)
    assert "account-baseline-config-recording" in "\n".join(plan_render.render_stack(stack))
    assert not [f for f in stack.findings if f.where.endswith(".tooling.awsConfig")]  # the off warning
