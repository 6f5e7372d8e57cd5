"""The organization's access role: its default name, its ARN, and whether an SCP's principal exemption
lets it through. The config layer, the policy pack and the driver all use these one definitions.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from iam_documents.documents import as_list

# The role AWS Organizations creates in every account it creates, unless CreateAccount names another
# (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_access-cross-account-role.html).
ORGANIZATION_ACCESS_ROLE = "OrganizationAccountAccessRole"
# Any account id: SCP exemptions are matched against a role's ARN in some account.
SAMPLE_ACCOUNT_ID = "123456789012"
# Condition operators by which an SCP statement leaves out principals (``aws:PrincipalArn``).
PRINCIPAL_EXEMPTION_OPERATORS = ("ArnNotLike", "ArnNotEquals", "StringNotLike", "StringNotEquals")
# Condition key names are not case-sensitive (IAM User Guide, "IAM JSON policy elements: Condition":
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html).
PRINCIPAL_ARN_KEY = "aws:PrincipalArn"


def role_arn(account_id: str, role_name: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{role_name}"


def exempts_role(pattern: str, role_name: str, account_id: str = SAMPLE_ACCOUNT_ID) -> bool:
    """An ``aws:PrincipalArn`` exemption pattern (wildcards as in ArnNotLike) matches the role's ARN."""
    return fnmatch.fnmatchcase(role_arn(account_id, role_name), pattern)


def is_principal_arn_key(key: object) -> bool:
    return str(key).lower() == PRINCIPAL_ARN_KEY.lower()


def principal_exemptions(statement: Mapping[str, Any]) -> list[str]:
    """The ``aws:PrincipalArn`` patterns by which a statement leaves principals out (its exemptions)."""
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return []
    return [
        pattern
        for operator, clause in condition.items()
        if operator in PRINCIPAL_EXEMPTION_OPERATORS and isinstance(clause, Mapping)
        for key, values in clause.items()
        if is_principal_arn_key(key)
        for pattern in as_list(values)
    ]
