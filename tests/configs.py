"""The tests' own stack configs: frozen copies of the stack files under tests/fixtures/stacks.

Tests that assert what the program does with a config read it here, never from the shipped
``Pulumi.<stack>.yaml``: editing the shipped files (a new account, SCP, permission set or environment)
is the user's routine work and must not break them. What the suite asserts about the shipped files is
tests/test_shipped_stacks.py: each plans cleanly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from components import config

FIXTURE_STACKS = Path(__file__).resolve().parent / "fixtures" / "stacks"
# The stacks the frozen copies hold; the environments reference the org stack's outputs.
ORG_STACK = "org"
ENV_STACKS = ("pre", "prod")


def stack_values(stack: str) -> dict[str, Any]:
    """The ``landing-zone:`` values of the frozen copy of ``Pulumi.<stack>.yaml`` (a new dict per call)."""
    return config.read_stack_file(stack, FIXTURE_STACKS)


def org_config(**overrides: Any) -> dict[str, Any]:
    """The frozen org stack's values with ``overrides`` (config keys without namespace) replaced."""
    return {**stack_values(ORG_STACK), **overrides}


def env_config(stack: str = "pre", **overrides: Any) -> dict[str, Any]:
    """The frozen environment stack's values with ``overrides`` (config keys without namespace) replaced."""
    return {**stack_values(stack), **overrides}


def stack_file_config(stack: str) -> dict[str, Any]:
    """Every key of the frozen copy's ``config:`` block, namespaces included."""
    return config.read_stack_file_config(stack, FIXTURE_STACKS)


# --- the security stack: its frozen copy and the org it needs -----------------------------------------
SECURITY_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "security"
SECURITY_STACK = "security"
# The two Security-OU accounts the security stack uses (issue 13), added to the frozen org's accounts.
SECURITY_ACCOUNTS = (
    {"key": "log-archive", "name": "LogArchive", "ou": "Security"},
    {"key": "security-tooling", "name": "SecurityTooling", "ou": "Security"},
)


def security_values() -> dict[str, Any]:
    """The ``landing-zone:`` values of the frozen copy of ``Pulumi.security.yaml`` (a new dict per call)."""
    return config.read_stack_file(SECURITY_STACK, SECURITY_FIXTURE)


def security_org_config() -> dict[str, Any]:
    """The frozen org with the log-archive and security-tooling accounts (10 accounts with management) and
    the permission set the security stack's log readers use (``security-auditors-ps``)."""
    values = stack_values(ORG_STACK)
    identity_center = values["identityCenter"]
    auditors = {"name": "security-auditors-ps", "description": "Read-only security audit",
                "managedPolicies": ["arn:aws:iam::aws:policy/SecurityAudit"]}
    present = {account["key"] for account in values["accounts"]}
    added = [account for account in SECURITY_ACCOUNTS if account["key"] not in present]
    return {**values, "accounts": [*values["accounts"], *added],
            "identityCenter": {**identity_center,
                               "permissionSets": [*identity_center["permissionSets"], auditors]}}
