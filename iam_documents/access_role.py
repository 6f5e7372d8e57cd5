"""The organization's access role: its default name, its ARN, and whether an SCP's principal exemption
lets it through. The config layer, the policy pack and the driver all use these one definitions.
"""

from __future__ import annotations

import fnmatch

# The role AWS Organizations creates in every account it creates, unless CreateAccount names another
# (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_access-cross-account-role.html).
ORGANIZATION_ACCESS_ROLE = "OrganizationAccountAccessRole"
# Any account id: SCP exemptions are matched against a role's ARN in some account.
SAMPLE_ACCOUNT_ID = "123456789012"
# Condition operators by which an SCP statement leaves out principals (``aws:PrincipalArn``).
PRINCIPAL_EXEMPTION_OPERATORS = ("ArnNotLike", "ArnNotEquals", "StringNotLike", "StringNotEquals")


def role_arn(account_id: str, role_name: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{role_name}"


def exempts_role(pattern: str, role_name: str, account_id: str = SAMPLE_ACCOUNT_ID) -> bool:
    """An ``aws:PrincipalArn`` exemption pattern (wildcards as in ArnNotLike) matches the role's ARN."""
    return fnmatch.fnmatchcase(role_arn(account_id, role_name), pattern)
