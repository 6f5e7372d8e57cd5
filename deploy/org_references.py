"""The driver's check of an environment's references to the org stack, before any Pulumi command of it.

The environment's program checks the same values itself before declaring anything
(components/org_references.py); the driver checks them first against the org outputs the program will
read (``runner.outputs('org')``, or what ``up`` of org just returned), so a bad account key refuses the
environment without a preview or an update starting, and, checked for every selected environment at
once, before any of them has changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components import config as stack_config
from components import org_references
from deploy.runner import DeployError


class OrgReferenceError(DeployError):
    """An environment uses an account (or role, OU, profile) the org stack does not export."""


class OrgReferenceGate:
    """``(stack, org_outputs) -> None``: raises OrgReferenceError with the program's one-line message."""

    def __init__(self, root: Path = stack_config.PROJECT_ROOT) -> None:
        self.root = root

    def __call__(self, stack: str, org_outputs: Mapping[str, Any]) -> None:
        try:
            settings = stack_config.load_stack_file(stack, self.root)
            if isinstance(settings, stack_config.EnvConfig):
                org_references.resolve_config(settings, org_outputs, stack_config.stack_file(stack))
            elif isinstance(settings, stack_config.CicdConfig):
                from components.cicd_stack import resolve_accounts

                resolve_accounts(settings, org_outputs, stack_config.stack_file(stack))
            elif isinstance(settings, stack_config.SecurityConfig):
                from components.security_stack import resolve_accounts as resolve_security

                resolve_security(settings, org_outputs, stack_config.stack_file(stack))
        except stack_config.ConfigError as error:
            raise OrgReferenceError(str(error)) from None


def describe(
    stack: str,
    settings: stack_config.EnvConfig | stack_config.CicdConfig | stack_config.SecurityConfig,
    org_outputs: Mapping[str, Any],
) -> tuple[bool, str]:
    """For ``plan``: (ok, one line) of the environment's references checked against the org outputs."""
    if isinstance(settings, stack_config.SecurityConfig):
        from components.security_stack import resolve_accounts as resolve_security

        try:
            ids = resolve_security(settings, org_outputs, stack_config.stack_file(stack))
        except stack_config.ConfigError as error:
            return False, str(error)
        return True, (f"logArchive {settings.log_archive.account} ({ids.log_archive}), "
                      f"tooling {settings.tooling.account} ({ids.tooling})")
    if isinstance(settings, stack_config.CicdConfig):
        from components.cicd_stack import resolve_accounts

        try:
            used = resolve_accounts(settings, org_outputs, stack_config.stack_file(stack))
        except stack_config.ConfigError as error:
            return False, str(error)
        return True, ", ".join(f"{key} ({account_id})" for key, account_id in used.items())
    try:
        references = org_references.resolve_config(settings, org_outputs, stack_config.stack_file(stack))
    except stack_config.ConfigError as error:
        return False, str(error)
    accounts = (references.identity, references.workload)
    return True, ", ".join(f"{a.config_key} {a.key} ({a.account_id})" for a in accounts)
