"""``plan``'s cross-check of the security stack against the org stack file: who can read the logs.

The log archive's bucket and key let in the roles Identity Center creates for ``readerPermissionSets`` in
the log-archive account. Identity Center creates such a role only while the permission set is assigned on
that account (IAM Identity Center User Guide, referencingpermissionsets.html: deleting the last assignment
deletes the role). A reader set that the org stack file does not assign there matches no role: the
policies are valid, the mocks are happy, and nobody can read the organization's logs. ``plan`` warns.
"""

from __future__ import annotations

from components import config as stack_config
from components.settings.security import KEY, SecurityConfig
from deploy.stack_checks import WARNING, Finding, StackContext

CHECK = "security"


def check_security_readers(context: StackContext) -> list[Finding]:
    settings = context.settings
    if not isinstance(settings, SecurityConfig):
        return []
    org_stack = settings.org_stack.split("/")[-1]
    try:
        org = stack_config.load_stack_file(org_stack, context.root)
    except stack_config.ConfigError:
        return []  # that stack's own config check reports it (or plan's org reference check)
    if not isinstance(org, stack_config.OrgConfig):
        return []
    account = settings.log_archive.account
    assigned = {a.permission_set for a in org.resolved.assignments if a.account_key == account}
    return [
        Finding(CHECK, WARNING, f"{context.source}: {KEY}.logArchive.readerPermissionSets[{index}]",
                f"'{name}' is not assigned on account '{account}' in {stack_config.stack_file(org_stack)}: "
                "Identity Center creates its role there only with an assignment, so nobody can read the "
                "logs through it")
        for index, name in enumerate(settings.log_archive.reader_permission_sets)
        if name not in assigned
    ]
