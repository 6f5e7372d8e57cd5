"""Stack check: the organization-wide baseline (StackSets, S3 organization policies) as AWS will take it.

The mock runtime accepts any StackSet and any policy document; CloudFormation and Organizations refuse
these at ``up``, so ``plan`` reports them:

- a ``SERVICE_MANAGED`` StackSet with an administration role or execution role name, or a
  ``SELF_MANAGED`` one with auto-deployment (pulumi_aws cloudformation/stack_set.py: "This should not be
  defined when using the SERVICE_MANAGED permission model"; auto-deployment "can only be defined when
  using the SERVICE_MANAGED permission model");
- a template body over 51,200 bytes (the same file, ``template_body``);
- IAM resources in the template without ``CAPABILITY_IAM`` or ``CAPABILITY_NAMED_IAM``, or IAM resources
  with custom names without ``CAPABILITY_NAMED_IAM`` (CloudFormation API Reference, CreateStackSet,
  Capabilities: InsufficientCapabilities at create);
- an instance of a service-managed StackSet that names an account instead of organizational units
  (service-managed instances deploy to OUs or the root: CreateStackInstances, DeploymentTargets);
- an S3 policy (``S3_POLICY``) whose content breaks the documented syntax (iam_documents/s3_policy.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from deploy.simulate import RecordedResource
from deploy.stack_checks import ERROR, Finding, StackContext
from iam_documents import documents
from iam_documents.s3_policy import S3_POLICY_TYPE, s3_policy_errors

CHECK = "account baseline"
STACK_SET = "aws:cloudformation/stackSet:StackSet"
INSTANCE = "aws:cloudformation/stackSetInstance:StackSetInstance"
POLICY = "aws:organizations/policy:Policy"
SERVICE_MANAGED = "SERVICE_MANAGED"
TEMPLATE_BODY_MAX_BYTES = 51_200
IAM_TYPE = re.compile(r"""["']?Type["']?\s*:\s*["']?AWS::IAM::""")
IAM_NAME_KEYS = "RoleName|UserName|GroupName|ManagedPolicyName|InstanceProfileName"
IAM_CUSTOM_NAME = re.compile(rf"""["']?({IAM_NAME_KEYS})["']?\s*:""")


def _where(resource: RecordedResource) -> str:
    return f"{resource.name} ({resource.type})"


def _stack_set_findings(stack_set: RecordedResource) -> list[str]:
    inputs = stack_set.inputs
    problems: list[str] = []
    service_managed = inputs.get("permissionModel") == SERVICE_MANAGED
    if service_managed:
        for key in ("administrationRoleArn", "executionRoleName"):
            if inputs.get(key):
                problems.append(f"{key} is set, but a SERVICE_MANAGED StackSet uses StackSets' own roles")
    elif inputs.get("autoDeployment"):
        problems.append("autoDeployment needs permissionModel SERVICE_MANAGED")
    body = inputs.get("templateBody")
    if isinstance(body, str):
        size = len(body.encode("utf-8"))
        if size > TEMPLATE_BODY_MAX_BYTES:
            problems.append(f"templateBody is {size} bytes; CloudFormation takes at most "
                            f"{TEMPLATE_BODY_MAX_BYTES} inline")
        capabilities = set(inputs.get("capabilities") or [])
        has_iam = IAM_TYPE.search(body) is not None
        if has_iam and IAM_CUSTOM_NAME.search(body) and "CAPABILITY_NAMED_IAM" not in capabilities:
            problems.append("the template names IAM resources: capabilities must include "
                            "CAPABILITY_NAMED_IAM")
        elif has_iam and not capabilities & {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"}:
            problems.append("the template creates IAM resources: capabilities must include CAPABILITY_IAM")
    return problems


def _instance_findings(instance: RecordedResource) -> list[str]:
    targets = instance.inputs.get("deploymentTargets")
    ous = targets.get("organizationalUnitIds") if isinstance(targets, Mapping) else None
    if instance.inputs.get("accountId") or not ous:
        return ["an instance of a SERVICE_MANAGED StackSet must target organizational units "
                "(deploymentTargets.organizationalUnitIds), not an account"]
    return []


def _policy_findings(policy: RecordedResource) -> list[str]:
    document: Any = documents.parse_json_text(policy.inputs.get("content"))
    return [f"content is not a valid S3 policy: {error}" for error in s3_policy_errors(document)]


def check_account_baseline(context: StackContext) -> list[Finding]:
    recording = context.recording
    if recording is None:
        return []
    findings: list[Finding] = []
    service_managed: set[Any] = set()
    for stack_set in recording.of_type(STACK_SET):
        if stack_set.inputs.get("permissionModel") == SERVICE_MANAGED:
            service_managed.add(stack_set.inputs.get("name"))
        findings += [Finding(CHECK, ERROR, _where(stack_set), p) for p in _stack_set_findings(stack_set)]
    for instance in recording.of_type(INSTANCE):
        if instance.inputs.get("stackSetName") in service_managed:
            findings += [Finding(CHECK, ERROR, _where(instance), p) for p in _instance_findings(instance)]
    for policy in recording.of_type(POLICY):
        if policy.inputs.get("type") == S3_POLICY_TYPE:
            findings += [Finding(CHECK, ERROR, _where(policy), p) for p in _policy_findings(policy)]
    return findings
