"""The shipped stack files: each plans cleanly. This is all the suite asserts about their values.

The other tests own their data (tests/configs.py, tests/fixtures/stacks), so adding an account, an SCP,
a permission set or an environment stack to the shipped files is checked here and nowhere else.
"""

from __future__ import annotations

import json

import pytest

from components import config
from deploy import plan
from deploy.stacks import discover

ROOT = config.PROJECT_ROOT
PROJECT_FILE = "Pulumi.yaml"
SHIPPED_STACKS = sorted(
    path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    for path in ROOT.glob("Pulumi.*.yaml")
    if path.name != PROJECT_FILE
)


@pytest.fixture(scope="module")
def shipped_plan() -> plan.PlanReport:
    """One `python -m deploy plan` of the project as shipped, policies included."""
    return plan.run_plan(root=ROOT)


def test_the_project_ships_stack_files() -> None:
    assert "org" in SHIPPED_STACKS and len(SHIPPED_STACKS) > 1  # the glob found the org and an environment


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_each_shipped_stack_plans_cleanly(shipped_plan: plan.PlanReport, stack: str) -> None:
    plans = {stack_plan.stack: stack_plan for stack_plan in shipped_plan.plans}
    assert stack in plans, f"{config.stack_file(stack)} is not planned: {sorted(plans)}"
    stack_plan = plans[stack]
    assert stack_plan.status == plan.OK and stack_plan.program_ran, stack_plan.message
    errors = [f"{finding.where}: {finding.message}" for finding in stack_plan.findings if finding.is_error]
    assert errors == []
    assert [str(violation) for violation in stack_plan.violations] == []
    assert stack_plan.ok


def test_the_shipped_org_gives_security_auditors_read_only_access_to_every_member_account(
    shipped_plan: plan.PlanReport,
) -> None:
    """Issue 13's read-only security access, a contract of the shipped config: the group (no members as
    shipped), a permission set of exactly AWS's SecurityAudit and ViewOnlyAccess plus an inline policy that
    only reads the organization trail's logs (objects of the log buckets, decrypted through S3), assigned to
    every member account of the org stack file."""
    recording = next(p for p in shipped_plan.plans if p.stack == config.ORG_STACK).recording
    assert recording is not None
    permission_set = next(r for r in recording.of_type("aws:ssoadmin/permissionSet:PermissionSet")
                          if r.inputs["name"] == "security-auditors-ps")
    arn = permission_set.outputs["arn"]
    attachments = recording.of_type("aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment")
    attached = sorted(r.inputs["managedPolicyArn"] for r in attachments
                      if r.inputs["permissionSetArn"] == arn)
    assert attached == ["arn:aws:iam::aws:policy/SecurityAudit",
                        "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"]
    inline = recording.of_type("aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy")
    [policy] = [json.loads(r.inputs["inlinePolicy"]) for r in inline if r.inputs["permissionSetArn"] == arn]
    statements = policy["Statement"]
    assert {statement["Effect"] for statement in statements} == {"Allow"}
    granted = {action for statement in statements for action in
               ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])}
    assert granted == {"s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "kms:Decrypt"}
    [decrypt] = [statement for statement in statements if statement["Action"] == "kms:Decrypt"]
    assert decrypt["Condition"] == {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}}
    s3_resources = {resource for statement in statements if statement is not decrypt
                    for resource in statement["Resource"]}
    bucket = "arn:aws:s3:::landing-zone-org-trail-*"  # components/settings/security.py default_bucket_name
    assert s3_resources == {bucket, f"{bucket}/*"}
    group = next(r for r in recording.of_type("aws:identitystore/group:Group")
                 if r.inputs["displayName"] == "security-auditors")
    assert not [r for r in recording.of_type("aws:identitystore/groupMembership:GroupMembership")
                if r.inputs["groupId"] == group.outputs["groupId"]]
    assignments = recording.of_type("aws:ssoadmin/accountAssignment:AccountAssignment")
    group_id = group.outputs["groupId"]
    assigned = {r.inputs["targetId"] for r in assignments
                if r.inputs["permissionSetArn"] == arn and r.inputs["principalId"] == group_id}
    members = set(recording.outputs["accounts"].values())
    assert assigned == members


def test_the_shipped_order_starts_with_org_and_every_other_stack_needs_it() -> None:
    """What any shipped table must keep (an added environment keeps it; the exact order is the tests' own,
    tests/test_stack_discovery.py): the landing zone first, since every other stack reads its outputs."""
    table = discover(ROOT)
    assert table.names[0] == config.ORG_STACK and set(table.names) == set(SHIPPED_STACKS)
    assert all(config.ORG_STACK in table.spec(name).needs for name in table.names[1:])
    assert table.environments() and config.ORG_STACK in table.kept_from_destroy()  # destroy keeps org


def test_the_shipped_security_stack_runs_after_org_in_the_security_accounts_and_is_kept_from_destroy(
    shipped_plan: plan.PlanReport,
) -> None:
    """Issue 13's shape: a security stack between org and the environments, its providers in the
    management account and the two accounts its file names, and never destroyed unless named."""
    table = discover(ROOT)
    [security] = [spec for spec in table.specs if spec.layer == "security"]
    assert security.needs == (config.ORG_STACK,) and security.name in table.kept_from_destroy()
    assert all(table.index(security.name) < table.index(env) for env in table.environments())
    stack_plan = next(p for p in shipped_plan.plans if p.stack == security.name)
    assert stack_plan.recording is not None
    pinned = {stack_plan.accounts[p.provider_setting("allowedAccountIds")[0]]
              for p in stack_plan.recording.resources if p.is_provider}
    settings = stack_plan.settings
    assert isinstance(settings, config.SecurityConfig)
    assert pinned == {"management", settings.log_archive.account, settings.tooling.account}
