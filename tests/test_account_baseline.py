"""The account baseline (stack security): the S3 organization policy on the root, the service-managed
StackSet for EBS encryption by default and its instances, their protection, the template (cfn-lint, its
role, its inline function run against a fake EC2), and the S3 policy validator."""

from __future__ import annotations

import dataclasses
import datetime
import fnmatch
import io
import json
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components.account_baseline import (
    STACK_SET_NAME,
    TEMPLATE_FILE,
    AccountBaselineArgs,
    ebs_encryption_template,
)
from deploy.account_baseline_check import check_account_baseline
from deploy.simulate import RecordedResource, Recording
from deploy.stack_checks import StackContext, all_checks
from iam_documents import documents
from iam_documents.documents import PolicyDocumentError
from iam_documents.s3_policy import load_s3_policy, s3_policy_errors
from tests.cfn_support import MANAGEMENT, lint_findings, parsed_template, record_baseline

ROOT_ID = "r-ab12"
REGIONS = ("us-east-1", "eu-west-1")
POLICY = "aws:organizations/policy:Policy"
ATTACHMENT = "aws:organizations/policyAttachment:PolicyAttachment"
STACK_SET = "aws:cloudformation/stackSet:StackSet"
INSTANCE = "aws:cloudformation/stackSetInstance:StackSetInstance"
GUARDRAILS_SCP = documents.SCP_DIR / "guardrails.json"
Function = tuple[types.ModuleType, "FakeEc2", list[Any]]  # the inline code, its fake EC2, what it sent


def run_baseline(*, s3: bool = True, ebs: bool = True, regions: tuple[str, ...] = REGIONS) -> Recording:
    return record_baseline(lambda _: AccountBaselineArgs(
        root_id=ROOT_ID, regions=regions, s3_block_public_access=s3, ebs_encryption_by_default=ebs))


@pytest.fixture(scope="module")
def baseline() -> Recording:
    return run_baseline()


def template() -> dict[str, Any]:
    return parsed_template(ebs_encryption_template())


# --- placement and protection --------------------------------------------------------------------


def test_everything_is_on_the_management_provider_protected_and_retained(baseline: Recording) -> None:
    resources = [r for r in baseline.custom_resources if not r.is_provider]
    assert sorted(r.type for r in resources) == sorted([POLICY, ATTACHMENT, STACK_SET, INSTANCE, INSTANCE])
    for resource in resources:
        provider = baseline.provider_of(resource)
        assert provider is not None and provider.provider_setting("allowedAccountIds") == [MANAGEMENT]
        assert resource.protect and resource.retain_on_delete, resource.name


# --- S3 Block Public Access ----------------------------------------------------------------------


def test_the_s3_policy_blocks_all_public_access_and_is_attached_to_the_root(baseline: Recording) -> None:
    policy = baseline.one(POLICY)
    assert policy.inputs["type"] == "S3_POLICY"
    assert json.loads(policy.inputs["content"]) == {
        "s3_attributes": {"public_access_block_configuration": {"@@assign": "all"}}
    }
    attachment = baseline.one(ATTACHMENT)
    assert attachment.inputs["targetId"] == ROOT_ID
    assert attachment.inputs["policyId"] == policy.id


@pytest.mark.parametrize(
    ("document", "fault"),
    [
        ({"s3_attribute": {"public_access_block_configuration": {"@@assign": "all"}}}, "top-level key"),
        ({"s3_attributes": {"block_public_access": {"@@assign": "all"}}}, "not an S3 policy attribute"),
        ({"s3_attributes": {"public_access_block_configuration": {"@@append": "all"}}}, "operator"),
        ({"s3_attributes": {"public_access_block_configuration": {"@@assign": True}}}, "allowed: all, none"),
        ({"s3_attributes": {"public_access_block_configuration": "all"}}, "operator"),
        ({"s3_attributes": {}}, "must be an object"),
        (["s3_attributes"], "JSON object"),
    ],
)
def test_a_wrong_s3_policy_document_is_refused(document: Any, fault: str, tmp_path: Path) -> None:
    errors = s3_policy_errors(document)
    assert errors and fault in errors[0]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    with pytest.raises(PolicyDocumentError, match=r"^bad\.json: not a valid S3 policy: "):
        load_s3_policy(path)


def test_the_documented_values_pass_the_validator() -> None:
    for value in ("all", "none"):
        assert s3_policy_errors(
            {"s3_attributes": {"public_access_block_configuration": {"@@assign": value}}}
        ) == []


# --- EBS encryption by default: the StackSet and its instances ------------------------------------


def test_the_stack_set_is_service_managed_auto_deployed_and_carries_the_template(baseline: Recording) -> None:
    stack_set = baseline.one(STACK_SET)
    inputs = stack_set.inputs
    assert inputs["name"] == STACK_SET_NAME
    assert inputs["permissionModel"] == "SERVICE_MANAGED"
    assert inputs["callAs"] == "SELF"
    assert inputs["autoDeployment"] == {"enabled": True, "retainStacksOnAccountRemoval": False}
    assert inputs["managedExecution"] == {"active": True}
    assert inputs["capabilities"] == ["CAPABILITY_IAM"]
    assert inputs["templateBody"] == TEMPLATE_FILE.read_text(encoding="utf-8")
    # A service-managed StackSet has no administration or execution role of ours.
    assert "administrationRoleArn" not in inputs and "executionRoleName" not in inputs
    assert "administrationRoleArn" in stack_set.ignore_changes


def test_one_instance_per_region_targets_the_root(baseline: Recording) -> None:
    stack_set = baseline.one(STACK_SET)
    instances = baseline.of_type(INSTANCE)
    assert sorted(i.inputs["stackSetInstanceRegion"] for i in instances) == sorted(REGIONS)
    for instance in instances:
        assert instance.inputs["stackSetName"] == stack_set.inputs["name"]
        assert instance.inputs["callAs"] == "SELF"
        assert instance.inputs["deploymentTargets"] == {"organizationalUnitIds": [ROOT_ID]}
        assert "accountId" not in instance.inputs  # the root, never one account
        assert stack_set.urn in instance.dependencies


@pytest.mark.parametrize(
    ("s3", "ebs", "expected"),
    [
        (False, True, [STACK_SET, INSTANCE]),
        (True, False, [POLICY, ATTACHMENT]),
        (False, False, []),
    ],
)
def test_each_flag_off_removes_its_part(s3: bool, ebs: bool, expected: list[str]) -> None:
    recording = run_baseline(s3=s3, ebs=ebs, regions=("us-east-1",))
    declared = sorted({r.type for r in recording.custom_resources if not r.is_provider})
    assert declared == sorted(expected)


# --- the template ----------------------------------------------------------------------------------


def test_the_template_is_cfn_lint_clean_in_every_region_it_may_target() -> None:
    assert lint_findings(ebs_encryption_template()) == []


def test_the_function_role_allows_only_the_two_ec2_actions_and_its_own_log_group() -> None:
    resources = template()["Resources"]
    [role_name] = [n for n, r in resources.items() if r["Type"] == "AWS::IAM::Role"]
    role = resources[role_name]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    assert "ManagedPolicyArns" not in role
    [inline] = role["Policies"]
    statements = inline["PolicyDocument"]["Statement"]
    grants = {(action, json.dumps(s["Resource"], sort_keys=True))
              for s in statements if s["Effect"] == "Allow" for action in s["Action"]}
    [log_group] = [n for n, r in resources.items() if r["Type"] == "AWS::Logs::LogGroup"]
    own_log_group = json.dumps({"Fn::GetAtt": [log_group, "Arn"]}, sort_keys=True)
    assert grants == {
        ("ec2:EnableEbsEncryptionByDefault", '"*"'),
        ("ec2:GetEbsEncryptionByDefault", '"*"'),
        ("logs:CreateLogStream", own_log_group),
        ("logs:PutLogEvents", own_log_group),
    }
    # Every action is a real one (the offline IAM catalogue).
    assert documents.unknown_actions({"Version": "2012-10-17", "Statement": statements}) == []


def test_the_custom_resource_calls_the_arm64_function_that_logs_to_that_group() -> None:
    resources = template()["Resources"]
    [function_name] = [n for n, r in resources.items() if r["Type"] == "AWS::Lambda::Function"]
    function = resources[function_name]["Properties"]
    [role_name] = [n for n, r in resources.items() if r["Type"] == "AWS::IAM::Role"]
    [log_group] = [n for n, r in resources.items() if r["Type"] == "AWS::Logs::LogGroup"]
    assert function["Architectures"] == ["arm64"]
    assert function["Runtime"].startswith("python3.")
    assert function["Role"] == {"Fn::GetAtt": [role_name, "Arn"]}
    assert function["LoggingConfig"] == {"LogGroup": {"Ref": log_group}}
    [custom] = [r for r in resources.values() if r["Type"].startswith("Custom::")]
    assert custom["Properties"]["ServiceToken"] == {"Fn::GetAtt": [function_name, "Arn"]}
    assert 0 < custom["Properties"]["ServiceTimeout"] <= 600


def test_no_guardrail_scp_statement_denies_what_the_stack_instances_do() -> None:
    """The StackSet's execution role in members is no service-linked role: the deny list applies to it, and
    to the function's role. What they do: create the role, the log group and the function, invoke it; the
    function enables the setting and writes its logs."""
    needed = ["iam:CreateRole", "iam:PutRolePolicy", "iam:PassRole", "iam:GetRole", "iam:DeleteRole",
              "iam:DeleteRolePolicy", "lambda:CreateFunction", "lambda:InvokeFunction",
              "lambda:DeleteFunction", "logs:CreateLogGroup", "logs:PutRetentionPolicy",
              "logs:DeleteLogGroup", "ec2:EnableEbsEncryptionByDefault", "ec2:GetEbsEncryptionByDefault",
              "logs:CreateLogStream", "logs:PutLogEvents"]
    scp = json.loads(GUARDRAILS_SCP.read_text(encoding="utf-8"))
    denied = [str(action).lower() for s in scp["Statement"] if s["Effect"] == "Deny"
              for action in documents.as_list(s.get("Action"))]
    assert denied, "the guardrails SCP has deny statements to check against"
    assert all("NotAction" not in s for s in scp["Statement"] if s["Effect"] == "Deny")
    blocked = [a for a in needed if any(fnmatch.fnmatchcase(a.lower(), pattern) for pattern in denied)]
    assert blocked == []


# --- the inline function, run against a fake EC2 and a fake response URL ---------------------------


class FakeEc2:
    def __init__(self, *, enabled_after: bool = True, fail: Exception | None = None) -> None:
        self.enabled = False
        self.enabled_after = enabled_after
        self.fail = fail
        self.calls: list[str] = []

    def enable_ebs_encryption_by_default(self) -> dict[str, Any]:
        self.calls.append("enable")
        if self.fail:
            raise self.fail
        self.enabled = self.enabled_after
        return {"EbsEncryptionByDefault": self.enabled}

    def get_ebs_encryption_by_default(self) -> dict[str, Any]:
        self.calls.append("get")
        return {"EbsEncryptionByDefault": self.enabled}

    def disable_ebs_encryption_by_default(self) -> None:  # pragma: no cover - must never be called
        self.calls.append("disable")


@pytest.fixture
def function(monkeypatch: pytest.MonkeyPatch) -> Iterator[Function]:
    """The template's inline code as a module, its boto3 and urlopen replaced."""
    ec2 = FakeEc2()
    monkeypatch.setitem(sys.modules, "boto3", types.SimpleNamespace(client=lambda service: ec2))
    module = types.ModuleType("index")
    code = template()["Resources"]["EnablerFunction"]["Properties"]["Code"]["ZipFile"]
    exec(compile(code, "index.py", "exec"), module.__dict__)
    sent: list[Any] = []

    def urlopen(request: Any, timeout: float) -> io.BytesIO:
        sent.append(request)
        return io.BytesIO(b"")

    monkeypatch.setattr(module.urllib.request, "urlopen", urlopen)
    yield module, ec2, sent


def event(request_type: str, **extra: str) -> dict[str, str]:
    return {"RequestType": request_type, "ResponseURL": "https://cloudformation-custom-resource.example/x",
            "StackId": "arn:aws:cloudformation:us-east-1:222222222222:stack/s/1", "RequestId": "req-1",
            "LogicalResourceId": "EbsEncryptionByDefault", **extra}


def answer(sent: list[Any]) -> dict[str, Any]:
    [request] = sent
    assert request.get_method() == "PUT"
    assert request.full_url == "https://cloudformation-custom-resource.example/x"
    return dict(json.loads(request.data))


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_create_and_update_enable_it_and_answer_success(
    function: Function, request_type: str
) -> None:
    module, ec2, sent = function
    extra = {"PhysicalResourceId": "ebs-encryption-by-default"} if request_type == "Update" else {}
    module.handler(event(request_type, **extra), None)
    assert ec2.calls == ["enable", "get"]
    body = answer(sent)
    assert body["Status"] == "SUCCESS" and body["Data"] == {"Enabled": "true"}
    assert body["PhysicalResourceId"] == "ebs-encryption-by-default"  # unchanged: no replacement
    assert (body["RequestId"], body["LogicalResourceId"]) == ("req-1", "EbsEncryptionByDefault")


def test_delete_leaves_it_on_and_answers_success(function: Function) -> None:
    module, ec2, sent = function
    module.handler(event("Delete", PhysicalResourceId="ebs-encryption-by-default"), None)
    assert ec2.calls == []
    assert answer(sent)["Status"] == "SUCCESS"


def test_a_failure_is_answered_so_the_stack_never_waits(
    function: Function
) -> None:
    module, ec2, sent = function
    ec2.fail = RuntimeError("AccessDenied")
    module.handler(event("Create"), None)
    body = answer(sent)
    assert body["Status"] == "FAILED" and "AccessDenied" in body["Reason"]


def test_a_setting_still_off_after_enabling_is_a_failure(
    function: Function
) -> None:
    module, ec2, sent = function
    ec2.enabled_after = False
    module.handler(event("Create"), None)
    assert answer(sent)["Status"] == "FAILED"


def test_the_function_runs_on_a_runtime_cfn_lint_does_not_call_deprecated() -> None:
    from cfnlint.data import AdditionalSpecs
    from cfnlint.helpers import load_resource

    runtime = template()["Resources"]["EnablerFunction"]["Properties"]["Runtime"]
    lifecycle = load_resource(AdditionalSpecs, "LmbdRuntimeLifecycle.json")
    assert runtime in lifecycle
    a_year_from_now = (datetime.date.today() + datetime.timedelta(days=365)).isoformat()
    assert lifecycle[runtime]["deprecated"] > a_year_from_now


def _instances(recording: Recording) -> list[RecordedResource]:
    return recording.of_type(INSTANCE)


def test_the_regions_given_are_the_regions_deployed() -> None:
    recording = run_baseline(s3=False, regions=("ap-southeast-2",))
    assert [i.inputs["stackSetInstanceRegion"] for i in _instances(recording)] == ["ap-southeast-2"]


# --- plan's check: what CloudFormation and Organizations would refuse, which the mocks accept --------


def check(recording: Recording) -> list[str]:
    context = StackContext("security", "Pulumi.security.yaml", {}, None, recording)
    return [str(finding) for finding in check_account_baseline(context) if finding.is_error]


def faulty(recording: Recording, type_: str, **inputs: Any) -> Recording:
    """A copy of ``recording`` whose resources of ``type_`` carry ``inputs`` (None removes a key)."""
    resources = []
    for resource in recording.resources:
        if resource.type == type_:
            changed = {**resource.inputs, **inputs}
            kept = {key: value for key, value in changed.items() if value is not None}
            resource = dataclasses.replace(resource, inputs=kept)
        resources.append(resource)
    return dataclasses.replace(recording, resources=resources)


NAMED_ROLE_TEMPLATE = ebs_encryption_template().replace(
    "      Description: Lets the EBS", "      RoleName: enabler\n      Description: Lets the EBS", 1
)
TOO_BIG_TEMPLATE = ebs_encryption_template() + "#" * 51_200
BAD_S3_POLICY = '{"s3_attributes":{"public_access_block_configuration":{"@@assign":"some"}}}'


def test_plan_finds_nothing_wrong_with_the_baseline(baseline: Recording) -> None:
    assert check_account_baseline in all_checks()
    assert check(baseline) == []


@pytest.mark.parametrize(
    ("type_", "inputs", "fault"),
    [
        (STACK_SET, {"administrationRoleArn": "arn:aws:iam::111111111111:role/Admin"},
         "administrationRoleArn is set, but a SERVICE_MANAGED StackSet"),
        (STACK_SET, {"executionRoleName": "StackSetExecution"}, "executionRoleName is set"),
        (STACK_SET, {"permissionModel": "SELF_MANAGED"}, "autoDeployment needs permissionModel"),
        (STACK_SET, {"capabilities": None}, "capabilities must include CAPABILITY_IAM"),
        (STACK_SET, {"templateBody": NAMED_ROLE_TEMPLATE}, "capabilities must include CAPABILITY_NAMED_IAM"),
        (STACK_SET, {"templateBody": TOO_BIG_TEMPLATE}, "CloudFormation takes at most"),
        (INSTANCE, {"deploymentTargets": None, "accountId": "222222222222"}, "must target organizational"),
        (POLICY, {"content": BAD_S3_POLICY}, "content is not a valid S3 policy"),
    ],
)
def test_plan_refuses_what_aws_would(
    baseline: Recording, type_: str, inputs: dict[str, Any], fault: str
) -> None:
    found = check(faulty(baseline, type_, **inputs))
    assert found and all(fault in line for line in found), found
