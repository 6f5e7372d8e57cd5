"""``plan``'s cross-check of the security stack against the org stack file: who can read the logs.

The log archive's bucket and key let in the roles Identity Center creates for ``readerPermissionSets`` in
the log-archive account. Identity Center creates such a role only while the permission set is assigned on
that account (IAM Identity Center User Guide, referencingpermissionsets.html: deleting the last assignment
deletes the role). A reader set that the org stack file does not assign there matches no role: the
policies are valid, the mocks are happy, and nobody can read the organization's logs. ``plan`` warns.

The bucket and key policies only admit the readers; their own permissions must allow reading too (an IAM
principal needs both: IAM User Guide, "Policy evaluation logic", cross-account and resource policies).
SecurityAudit and ViewOnlyAccess do not include s3:GetObject or kms:Decrypt, so ``plan`` also warns when a
reader set's inline policy does not allow reading the log bucket's objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

from components import config as stack_config
from components.settings.security import KEY, SecurityConfig, default_bucket_name
from deploy.stack_checks import WARNING, Finding, StackContext
from iam_documents import documents

CHECK = "security"


def security_and_org(context: StackContext) -> tuple[SecurityConfig, stack_config.OrgConfig] | None:
    """The security stack's settings and the org stack's validated config it reads; None for any other
    stack, or when the org stack file does not load (that stack's own config check reports it, or plan's
    org reference check)."""
    settings = context.settings
    if not isinstance(settings, SecurityConfig):
        return None
    try:
        org = stack_config.load_stack_file(settings.org_stack.split("/")[-1], context.root)
    except stack_config.ConfigError:
        return None
    return (settings, org) if isinstance(org, stack_config.OrgConfig) else None


def check_security_readers(context: StackContext) -> list[Finding]:
    loaded = security_and_org(context)
    if loaded is None:
        return []
    settings, org = loaded
    org_stack = settings.org_stack.split("/")[-1]
    account = settings.log_archive.account
    assigned = {a.permission_set for a in org.resolved.assignments if a.account_key == account}
    return _unassigned(context, settings, assigned, org_stack) + _cannot_read(context, settings, org)


def _unassigned(context: StackContext, settings: SecurityConfig, assigned: set[str], org_stack: str
                ) -> list[Finding]:
    account = settings.log_archive.account
    return [
        Finding(CHECK, WARNING, f"{context.source}: {KEY}.logArchive.readerPermissionSets[{index}]",
                f"'{name}' is not assigned on account '{account}' in {stack_config.stack_file(org_stack)}: "
                "Identity Center creates its role there only with an assignment, so nobody can read the "
                "logs through it")
        for index, name in enumerate(settings.log_archive.reader_permission_sets)
        if name not in assigned
    ]


# Any 12-digit id: the default bucket name holds the log-archive account's id, unknown offline.
SAMPLE_ACCOUNT_ID = "123456789012"


def _cannot_read(
    context: StackContext, settings: SecurityConfig, org: stack_config.OrgConfig
) -> list[Finding]:
    """Reader sets whose inline policy allows neither s3:GetObject on the log objects nor kms:Decrypt."""
    bucket = settings.log_archive.bucket_name or default_bucket_name(SAMPLE_ACCOUNT_ID, settings.region)
    needed = (("s3:GetObject", f"arn:aws:s3:::{bucket}/AWSLogs/o-example/x.json.gz"),
              ("kms:Decrypt", f"arn:aws:kms:{settings.region}:{SAMPLE_ACCOUNT_ID}:key/example"))
    findings = []
    for index, name in enumerate(settings.log_archive.reader_permission_sets):
        document = org.resolved.inline_policies.get(name)
        statements = documents.statements(document.document) if document is not None else []
        missing = [action for action, resource in needed if not _allows(statements, action, resource)]
        if missing:
            findings.append(Finding(
                CHECK, WARNING, f"{context.source}: {KEY}.logArchive.readerPermissionSets[{index}]",
                f"permission set '{name}' does not allow {' and '.join(missing)} on the log archive "
                f"(bucket {bucket}): give it an inline policy that does (see "
                "iam_documents/permission_sets/security_auditors.json)"))
    return findings


def _allows(statements: Sequence[Mapping[str, Any]], action: str, resource: str) -> bool:
    """An Allow statement whose Action and Resource patterns match (conditions not evaluated)."""
    return any(
        statement.get("Effect") == "Allow"
        and any(fnmatchcase(action.lower(), str(pattern).lower())
                for pattern in documents.as_list(statement.get("Action")))
        and any(fnmatchcase(resource, str(r)) for r in documents.as_list(statement.get("Resource")))
        for statement in statements
    )
