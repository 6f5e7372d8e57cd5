"""Checks that ``plan`` runs on each stack beyond config validation: what the mock runtime skips.

Pulumi's mock runtime accepts things that the real engine or AWS refuse (see DESIGN.md, "How it is
verified without a cloud"). Each check here looks at one stack, its stack file and what its program
declared under mocks, and returns :class:`Finding` objects. An ``error`` finding fails ``plan``; a
``warning`` is shown and kept in the JSON report.

To add a check, write a function ``(StackContext) -> list[Finding]`` in its own module and list it in
:func:`all_checks`. A check must not assume the program ran: ``context.recording`` is None when config
validation or the program failed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components import config as stack_config
from deploy.simulate import Recording

ERROR = "error"
WARNING = "warning"
INFO = "info"  # shown, never fails the plan (e.g. the values the project derives)


@dataclass(frozen=True)
class Finding:
    """One problem in a stack, found before deploy: which check, where, and what is wrong."""

    check: str  # the check that found it, e.g. "engine", "placeholders"
    severity: str  # ERROR fails the plan, WARNING and INFO are shown
    where: str  # "<stack file>: <key>" or "<resource name> (<type>)"
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "severity": self.severity, "where": self.where, "message": self.message}


@dataclass(frozen=True)
class StackContext:
    """What a check sees of one stack."""

    stack: str
    source: str  # the stack file's name, for messages
    file_config: Mapping[str, Any]  # the stack file's whole ``config:`` block, namespaces included
    settings: stack_config.StackConfig | None  # None: config is invalid
    recording: Recording | None  # None: the program did not run to completion
    root: Path = stack_config.PROJECT_ROOT  # the directory of the stack files being planned


StackCheck = Callable[[StackContext], list[Finding]]


def all_checks() -> list[StackCheck]:
    """The checks ``plan`` runs on every stack, in order."""
    # Late imports: each check module imports this one.
    from deploy import config_namespaces, engine_rules, placeholders
    from deploy.account_baseline_check import check_account_baseline
    from deploy.app_contract_check import check_app_contract
    from deploy.break_glass_check import check_break_glass_alerts
    from deploy.cicd_check import check_cicd_targets
    from deploy.derived_values import derived_values_check
    from deploy.frontend_contract_check import frontend_contract_check
    from deploy.identity_center_check import check_customer_managed_policies
    from deploy.org_trail_check import check_org_trails
    from deploy.production_check import production_check
    from deploy.security_access_check import check_security_access_role
    from deploy.security_check import check_security_readers
    from deploy.security_regions_check import check_baseline_opt_in_regions
    from deploy.security_services_check import check_security_hub_needs_config
    from deploy.sleep_check import sleep_check
    from deploy.workload_security_check import check_workload_security

    return [
        config_namespaces.check,
        placeholders.check,
        derived_values_check,
        engine_rules.engine_rules,
        check_app_contract,
        frontend_contract_check,
        production_check,
        check_workload_security,
        check_break_glass_alerts,
        sleep_check,
        check_cicd_targets,
        check_security_readers,
        check_org_trails,
        check_security_hub_needs_config,
        check_account_baseline,
        check_security_access_role,
        check_baseline_opt_in_regions,
        check_customer_managed_policies,
    ]


def run_checks(context: StackContext, checks: list[StackCheck] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    for check in all_checks() if checks is None else checks:
        findings.extend(check(context))
    return findings
