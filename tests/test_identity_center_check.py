"""The plan warning for customer managed policies a permission set references: they must exist in every
account the set is assigned to (botocore sso-admin model, CustomerManagedPolicyReference), and the
program does not create them."""

from __future__ import annotations

from typing import Any

from components import config
from deploy.identity_center_check import check_customer_managed_policies
from deploy.stack_checks import WARNING, StackContext, all_checks
from tests.configs import stack_values
from tests.test_identity_center import with_identity_center, with_permission_set


def findings(raw: dict[str, Any]) -> list[Any]:
    context = StackContext("org", "Pulumi.org.yaml", {}, config.load("org", raw), None)
    return check_customer_managed_policies(context)


def test_the_shipped_org_config_references_no_customer_managed_policy() -> None:
    assert findings(stack_values("org")) == []


def test_a_referenced_policy_is_a_warning_naming_it_and_every_assigned_account() -> None:
    raw = with_permission_set(
        stack_values("org"), name="readers",
        customerManagedPolicies=[{"name": "tasks-read", "path": "/landing-zone/"}],
        permissionsBoundary={"customerManagedPolicy": {"name": "cap"}},
    )
    raw = with_identity_center(raw, assignments=[
        *raw["identityCenter"]["assignments"],
        {"permissionSet": "readers", "user": "sandbox", "accounts": ["sandbox"], "ous": ["Workloads"]},
    ])
    [finding] = findings(raw)
    index = len(raw["identityCenter"]["permissionSets"]) - 1
    assert finding.severity == WARNING
    assert finding.where == f"Pulumi.org.yaml: landing-zone:identityCenter.permissionSets[{index}]"
    assert "/landing-zone/tasks-read, /cap (permissions boundary)" in finding.message
    assert "in sandbox, workloads-prod, workloads-sdlc before up" in finding.message


def test_an_unassigned_set_needs_nothing_yet() -> None:
    raw = with_permission_set(stack_values("org"), name="readers",
                              customerManagedPolicies=[{"name": "tasks-read"}])
    assert findings(raw) == []


def test_plan_runs_the_check() -> None:
    assert check_customer_managed_policies in all_checks()
