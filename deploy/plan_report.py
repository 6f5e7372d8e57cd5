"""The result of ``python -m deploy plan``: per stack, what its program declared, in which accounts, and
the validation results (checks, policy violations, stack-check findings); its JSON form.

Running the programs is ``deploy/plan.py``; the text report is ``deploy/plan_render.py``.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from components import config as stack_config
from deploy import checklist
from deploy.runner import EXIT_FAILED, EXIT_OK
from deploy.stack_checks import Finding
from policies.violation import Violation

if TYPE_CHECKING:
    from deploy.simulate import RecordedResource, Recording
    from deploy.stacks import StackTable

OK = "ok"
INVALID = "invalid"  # config or validation errors
FAILED = "failed"  # the program raised
BLOCKED = "not run"  # the org stack could not be planned, so the environment cannot be either

MANAGEMENT = "management"
DEFAULT_PROVIDER = "default provider"
# Packages whose resources live only in the stack's state, in no account (the database password).
STATE_ONLY_PACKAGES = ("random:",)
STATE_ONLY = "stack state only"


@dataclass
class Check:
    """One validation result line: ``ok`` True/False, or None for a check that could not run."""

    name: str
    ok: bool | None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail}


@dataclass
class StackPlan:
    stack: str
    description: str = ""  # the stack's line in the driver's output (deploy/stacks.py)
    status: str = OK
    checks: list[Check] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    recording: Recording | None = None
    accounts: dict[str, str] = field(default_factory=dict)  # account id -> key
    duration: float = 0.0
    message: str = ""
    idle_cost: str | None = None  # the guardrails' estimate of what the stack costs with no traffic
    program_ran: bool = False  # the program completed under mocks, so its outputs are known
    settings: stack_config.StackConfig | None = None  # the validated config
    findings: list[Finding] = field(default_factory=list)  # from deploy/stack_checks.py

    @property
    def ok(self) -> bool:
        return (
            self.status == OK
            and not any(v.mandatory for v in self.violations)
            and not any(f.is_error for f in self.findings)
        )

    def account_of(self, resource: RecordedResource) -> str:
        """Label of the account a resource is created in: ``key (id)``, or why it is unknown."""
        assert self.recording is not None
        if resource.type.startswith(STATE_ONLY_PACKAGES):
            return STATE_ONLY
        # A remote (awsx) component's own provider is an awsx one; its account is its aws provider's.
        urn = resource.providers.get("aws") if resource.remote else resource.provider
        if not urn:
            return DEFAULT_PROVIDER
        try:
            provider = self.recording.by_urn(urn)
        except KeyError:
            return f"provider {urn.rsplit('::', 1)[-1]}"
        allowed = provider.provider_setting("allowedAccountIds") or []
        if len(allowed) != 1:
            return f"provider {provider.name} (not pinned to one account)"
        account_id = str(allowed[0])
        return f"{self.accounts.get(account_id, 'unknown account')} ({account_id})"

    def planned(self) -> list[RecordedResource]:
        """Resources that land in an account: custom resources and remote (multi-language) components."""
        if self.recording is None:
            return []
        return [
            r for r in self.recording.resources
            if not r.is_provider and (r.custom or r.remote) and not r.type.startswith(STATE_ONLY_PACKAGES)
        ]

    def by_account(self) -> dict[str, Counter[str]]:
        result: dict[str, Counter[str]] = defaultdict(Counter)
        for resource in self.planned():
            result[self.account_of(resource)][resource.type] += 1
        return dict(result)

    def to_json(self) -> dict[str, Any]:
        recording = self.recording
        return {
            "stack": self.stack,
            "status": self.status,
            "ok": self.ok,
            "message": self.message,
            "duration_seconds": round(self.duration, 3),
            "idle_cost": self.idle_cost,
            "checks": [check.to_json() for check in self.checks],
            "violations": [violation.to_json() for violation in self.violations],
            "findings": [finding.to_json() for finding in self.findings],
            "resource_count": len(recording.resources) if recording else 0,
            "by_account": {
                account: dict(sorted(counts.items())) for account, counts in sorted(self.by_account().items())
            },
            "resources": [
                {
                    "type": r.type,
                    "name": r.name,
                    "urn": r.urn,
                    "parent": r.parent,
                    "account": self.account_of(r) if (r.custom or r.remote) and not r.is_provider else None,
                    "protect": r.protect,
                }
                for r in sorted(recording.resources if recording else [], key=lambda r: r.urn)
            ],
            "outputs": recording.outputs if recording else {},
        }


@dataclass
class PlanReport:
    plans: list[StackPlan]
    policies: str  # how the CrossGuard policies were run, or why not
    stacks: StackTable  # the order the report shows
    checklist: list[checklist.StepState] = field(default_factory=list)  # the manual steps and their state

    @property
    def ok(self) -> bool:
        return all(plan.ok for plan in self.plans)

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_FAILED

    def to_json(self) -> dict[str, Any]:
        return {
            "command": "plan",
            "ok": self.ok,
            "exit_code": self.exit_code,
            "order": list(self.stacks.names),
            "deploy_order": self.stacks.describe_order(),
            "destroy_order": self.stacks.describe_order(reverse=True),
            "policies": self.policies,
            "stacks": [plan.to_json() for plan in self.plans],
            "checklist": [state.to_json() for state in self.checklist],
        }


def account_names(org_outputs: Mapping[str, Any]) -> dict[str, str]:
    """Account id -> key, from the org stack's outputs (the management account included)."""
    names = {str(account_id): key for key, account_id in (org_outputs.get("accounts") or {}).items()}
    management = org_outputs.get("management_account_id")
    if management:
        names[str(management)] = MANAGEMENT
    return names


def write_json(report: PlanReport, path: Path) -> None:
    path.write_text(json.dumps(report.to_json(), indent=2, default=str) + "\n", encoding="utf-8")
