"""Stack check: what Identity Center needs to exist in each assigned account before ``up``.

A permission set may reference customer managed policies (``customerManagedPolicies``, or a
``permissionsBoundary.customerManagedPolicy``) by name and path. Identity Center attaches them to the
role it provisions in each assigned account, so the policy must already exist there: "You must have an
IAM policy that matches the name and path in each Amazon Web Services account where you want to deploy
your permission set" (botocore sso-admin model, documentation of the CustomerManagedPolicyReference
shape). The program creates no such policy, and ``plan`` cannot see the accounts, so each set that
references one is a warning naming the policies and the accounts the assignments provision it to.
"""

from __future__ import annotations

from components import config as stack_config
from components.settings.base import PROJECT
from deploy.stack_checks import WARNING, Finding, StackContext

CHECK = "identity center"


def check_customer_managed_policies(context: StackContext) -> list[Finding]:
    settings = context.settings
    if not isinstance(settings, stack_config.OrgConfig):
        return []
    findings: list[Finding] = []
    assignments = settings.resolved.assignments
    for index, permission_set in enumerate(settings.identity_center.permission_sets):
        references = [f"{ref.path}{ref.name}" for ref in permission_set.customer_managed_policies]
        boundary = permission_set.permissions_boundary
        if boundary is not None and boundary.customer_managed_policy is not None:
            reference = boundary.customer_managed_policy
            references.append(f"{reference.path}{reference.name} (permissions boundary)")
        accounts = sorted({a.account_key for a in assignments if a.permission_set == permission_set.name})
        if not references or not accounts:
            continue
        findings.append(Finding(
            CHECK, WARNING,
            f"{context.source}: {PROJECT}:identityCenter.permissionSets[{index}]",
            f"permission set {permission_set.name} references customer managed policies "
            f"{', '.join(references)}: each must exist, by that name and path, in {', '.join(accounts)} "
            "before up, or provisioning the set there fails (the program does not create them)",
        ))
    return findings
