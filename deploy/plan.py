"""``python -m deploy plan``: what a deploy would create, where, and in which order, without a cloud.

Each stack's program runs in-process under Pulumi's mock runtime (``deploy.simulate``), its config read
from the stack file and validated first. The org stack's recorded outputs feed the environments exactly
as the ``StackReference`` would. For every stack the plan shows the resources per target account (each
resource's provider → its ``allowed_account_ids`` → the account key from the org outputs), a tree by
parent, the validation results (config, providers, CrossGuard policies when ``policies/guardrails.py``
exists) and a summary. No credentials, no Pulumi CLI, no network.

This module runs the programs and the checks; the report model is ``deploy/plan_report.py`` and its
text form ``deploy/plan_render.py``.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from components import config as stack_config
from components import load_once
from deploy import checklist, org_references
from deploy.plan_render import render, render_stack, render_summary, render_tree
from deploy.plan_report import (
    BLOCKED,
    DEFAULT_PROVIDER,
    FAILED,
    INVALID,
    MANAGEMENT,
    OK,
    STATE_ONLY,
    STATE_ONLY_PACKAGES,
    Check,
    PlanReport,
    StackPlan,
    Violation,
    account_names,
    write_json,
)
from deploy.simulate import Recording, simulate
from deploy.stack_checks import StackContext, run_checks
from deploy.stacks import ORG, StackTable, discover

# The report model and its rendering live in plan_report.py and plan_render.py; re-exported here, the
# one module the CLI and the tests import.
__all__ = [
    "BLOCKED", "DEFAULT_PROVIDER", "FAILED", "INVALID", "MANAGEMENT", "OK", "STATE_ONLY",
    "STATE_ONLY_PACKAGES", "Check", "PlanReport", "PolicyRunner", "StackPlan", "Violation", "account_names",
    "load_cost_estimator", "load_policies", "org_reference_check", "render", "render_stack",
    "render_summary", "render_tree", "run_plan", "simulate_stack", "write_json",
]

# The mock runtime is process-global: one simulation at a time.
_SIMULATE_LOCK = threading.Lock()


def simulate_stack(
    stack: str,
    settings: stack_config.StackConfig,
    raw: Mapping[str, Any],
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    recording: Recording | None = None,
) -> Recording:
    from components import program

    with _SIMULATE_LOCK:
        return simulate(
            stack,
            lambda: program.build(settings),
            raw_config=raw,
            stack_outputs=stack_outputs,
            recording=recording,
        )


def org_reference_check(
    stack: str, settings: stack_config.EnvConfig | stack_config.CicdConfig | stack_config.SecurityConfig
) -> Check:
    """The environment's ``orgStack`` must name this project's org stack."""
    parts = settings.org_stack.split("/")
    wrong = (
        parts[-1] != ORG
        or len(parts) not in (1, 3)
        or (len(parts) == 3 and parts[1] != stack_config.PROJECT)
    )
    name = f"{stack_config.stack_file(stack)}: {stack_config.PROJECT}:orgStack"
    if wrong:
        return Check(
            "org stack reference",
            False,
            f"{name}: '{settings.org_stack}' does not name the {ORG} stack "
            f"(expected {ORG} or <organization>/{stack_config.PROJECT}/{ORG})",
        )
    return Check("org stack reference", True, f"reads {settings.org_stack}")


def _plan_stack(
    stack: str, root: Path, org_outputs: Mapping[str, Any] | None, description: str = ""
) -> StackPlan:
    """Read the stack file, plan the stack and run the stack checks on it."""
    plan = StackPlan(stack, description)
    started = time.perf_counter()
    try:
        file_config = stack_config.read_stack_file_config(stack, root)
    except stack_config.ConfigError as error:
        plan.status, plan.message = INVALID, str(error)
        plan.checks.append(Check("config", False, str(error)))
        plan.duration = time.perf_counter() - started
        return plan
    _simulate_checked(plan, stack, file_config, org_outputs)
    _run_stack_checks(plan, file_config, root)
    plan.duration = time.perf_counter() - started
    return plan


def _run_stack_checks(plan: StackPlan, file_config: Mapping[str, Any], root: Path) -> None:
    """The checks of deploy/stack_checks.py; a check that crashes is reported, not raised."""
    context = StackContext(
        stack=plan.stack,
        source=stack_config.stack_file(plan.stack),
        file_config=file_config,
        settings=plan.settings,
        recording=plan.recording if plan.program_ran else None,
        root=root,
    )
    try:
        plan.findings = run_checks(context)
    except Exception as error:
        plan.checks.append(Check("stack checks", False, f"a check failed: {_one_line(error)}"))
        plan.status, plan.message = FAILED, f"a stack check failed: {_one_line(error)}"
        return
    errors = [finding for finding in plan.findings if finding.is_error]
    if errors and not plan.message:
        plan.message = f"{len(errors)} error(s), e.g. {errors[0]}"


def _simulate_checked(
    plan: StackPlan, stack: str, file_config: Mapping[str, Any], org_outputs: Mapping[str, Any] | None
) -> None:
    """Validate the stack's config, run its program under mocks and check its providers."""
    try:
        raw = stack_config.project_values(file_config)
        settings = stack_config.load(stack, raw)
    except stack_config.ConfigError as error:
        plan.status, plan.message = INVALID, str(error)
        plan.checks.append(Check("config", False, str(error)))
        return
    plan.settings = settings
    plan.checks.append(Check("config", True, f"{stack_config.stack_file(stack)} is valid"))
    stack_outputs: dict[str, Mapping[str, Any]] = {}
    if isinstance(settings, stack_config.EnvConfig | stack_config.CicdConfig | stack_config.SecurityConfig):
        reference = org_reference_check(stack, settings)
        plan.checks.append(reference)
        if not reference.ok:
            plan.status, plan.message = INVALID, reference.detail
            return
        if org_outputs is None:
            plan.status, plan.message = BLOCKED, f"not run: the {ORG} stack could not be planned"
            return
        # What the program reads from org, checked as its first step does (deploy/org_references.py).
        ok, detail = org_references.describe(stack, settings, org_outputs)
        plan.checks.append(Check("org references", ok, detail))
        if not ok:
            plan.status, plan.message = INVALID, detail
            return
        stack_outputs = {settings.org_stack: org_outputs}
    plan.recording = Recording(stack=stack)
    try:
        simulate_stack(stack, settings, raw, stack_outputs, plan.recording)
    except stack_config.ConfigError as error:
        plan.status, plan.message = INVALID, str(error)
        plan.checks.append(Check("program", False, str(error)))
    except Exception as error:  # the program's own failure, shown as one line
        plan.status, plan.message = FAILED, f"the program failed: {_one_line(error)}"
        plan.checks.append(Check("program", False, plan.message))
    else:
        plan.program_ran = True
        plan.checks.append(Check("program", True, f"declared {len(plan.recording.resources)} resources"))
    own_outputs = plan.recording.outputs if isinstance(settings, stack_config.OrgConfig) else None
    plan.accounts = account_names(org_outputs or own_outputs or {})
    if plan.status == OK:
        plan.checks.extend(_provider_checks(plan))
        if any(check.ok is False for check in plan.checks):
            plan.status = INVALID
            plan.message = next(c.detail for c in plan.checks if c.ok is False)


def _check_policies(
    plan: StackPlan, policies: PolicyRunner | None, cost: Callable[[Recording], str] | None
) -> None:
    """Run the CrossGuard rules and the idle cost estimate on a program that ran cleanly."""
    if not plan.program_ran or plan.recording is None or plan.status not in (OK, INVALID):
        return
    started = time.perf_counter()
    if policies is not None:
        try:
            plan.violations = policies(plan.recording)
        except Exception as error:
            plan.checks.append(Check("policies", False, f"the policy pack failed: {_one_line(error)}"))
            plan.status, plan.message = FAILED, f"the policy pack failed: {_one_line(error)}"
        else:
            mandatory = sum(v.mandatory for v in plan.violations)
            advisory = len(plan.violations) - mandatory
            detail = f"{mandatory} mandatory, {advisory} advisory violation(s)"
            plan.checks.append(Check("policies", mandatory == 0, detail))
            if mandatory and not plan.message:
                plan.message = f"{mandatory} mandatory policy violation(s)"
    if cost is not None:
        try:
            plan.idle_cost = cost(plan.recording)
        except Exception as error:
            plan.idle_cost = f"not estimated ({_one_line(error)})"
    plan.duration += time.perf_counter() - started


def _provider_checks(plan: StackPlan) -> list[Check]:
    """Every resource goes through an explicit provider pinned to one known account."""
    unpinned: list[str] = []
    unknown: list[str] = []
    for resource in plan.planned():
        account = plan.account_of(resource)
        if account == DEFAULT_PROVIDER or account.startswith("provider "):
            unpinned.append(f"{resource.type} {resource.name}")
        elif account.startswith("unknown account"):
            unknown.append(f"{resource.type} {resource.name} -> {account}")
    checks = [
        Check(
            "explicit providers",
            not unpinned,
            "every resource has an explicit provider pinned to one account"
            if not unpinned
            else f"{len(unpinned)} resource(s) without a provider pinned to one account, e.g. {unpinned[0]}",
        )
    ]
    in_management = [r for r in plan.planned() if plan.account_of(r).startswith(f"{MANAGEMENT} (")]
    if isinstance(plan.settings, stack_config.SecurityConfig):
        # By design: trail, delegated-admin registrations, S3 policy, StackSet (components/security_stack.py).
        checks.append(Check("management account", True, f"{len(in_management)} organization-level "
                            "resource(s) there, through the security-management provider"))
    elif plan.stack != ORG:
        checks.append(
            Check(
                "management account untouched",
                not in_management,
                "no workload resource targets the management account"
                if not in_management
                else f"{len(in_management)} resource(s) target the management account, "
                f"e.g. {in_management[0].type} {in_management[0].name}",
            )
        )
    if unknown:
        checks.append(Check("target accounts", False, f"account not in the org outputs: {unknown[0]}"))
    return checks


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


# --------------------------------------------------------------------------------------------
# Policies (CrossGuard pack, run on the recording)
# --------------------------------------------------------------------------------------------

PolicyRunner = Callable[[Recording], list[Violation]]


def load_policies(
    root: Path, override: Mapping[str, Any] | None = None
) -> tuple[PolicyRunner | None, str]:
    """The project's CrossGuard rules as a function over a recording, or None and why not.

    They run with the policy config the driver also passes to ``--policy-pack``: derived from the
    stack files (``deploy.policy_config``), ``override`` (the user's ``--policy-config``) on top.
    """
    if not (root / "policies" / "guardrails.py").is_file():
        return None, "skipped: policies/guardrails.py is missing from this checkout"
    try:
        guardrails = importlib.import_module("policies.guardrails")
    except Exception as error:
        message = f"policies/guardrails.py cannot be imported: {_one_line(error)}"
        return _broken(message), f"FAILED: {message}"
    run = getattr(guardrails, "check_recording", None)
    if run is None:
        return None, "skipped: policies/guardrails.py has no check_recording to run its POLICIES offline"
    count = len(getattr(guardrails, "POLICIES", ()))
    from deploy import policy_config

    derived = policy_config.stack_regions(root)
    try:
        config = policy_config.build(root, override, source="--policy-config", regions=derived)
    except policy_config.PolicyConfigError as error:
        return _broken(str(error)), f"FAILED: {error}"

    def runner(recording: Recording) -> list[Violation]:
        return [_violation(item) for item in run(recording, config)]

    regions = policy_config.describe(derived, config)
    return runner, f"{count} CrossGuard policies from policies/guardrails.py; {regions}"


def load_cost_estimator(
    root: Path | None = None, override: Mapping[str, Any] | None = None
) -> Callable[[Recording], str] | None:
    """The guardrails' idle monthly cost estimate of a recorded stack, when the pack provides one; the
    organization-wide security services priced for the org stack file's accounts (or the user's config)."""
    try:
        guardrails = importlib.import_module("policies.guardrails")
    except Exception:
        return None
    estimate = getattr(guardrails, "estimate_recording_cost", None)
    if estimate is None:
        return None
    from deploy import policy_config

    accounts = policy_config.organization_accounts(root, override) if root is not None else None
    return lambda recording: str(estimate(recording, accounts).summary())


def _broken(message: str) -> PolicyRunner:
    def runner(recording: Recording) -> list[Violation]:
        raise RuntimeError(message)

    return runner


def _violation(item: Any) -> Violation:
    if isinstance(item, Violation):
        return item
    get = item.get if isinstance(item, Mapping) else lambda key, default=None: getattr(item, key, default)
    level = get("enforcement_level", None) or get("enforcement", None) or get("level", None) or "mandatory"
    return Violation(
        policy=str(get("policy", None) or get("policy_name", None) or get("name", "policy")),
        enforcement_level=str(getattr(level, "value", level)).lower(),
        message=str(get("message", "")),
        urn=get("urn", None),
    )


# --------------------------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------------------------


def run_plan(
    names: Iterable[str] | None = None,
    *,
    root: Path = stack_config.PROJECT_ROOT,
    policies: bool = True,
    policy_override: Mapping[str, Any] | None = None,
    stacks: StackTable | None = None,
) -> PlanReport:
    """Plan the selected stacks (default: all). The org stack is always run: it feeds the others.

    ``policy_override``: the user's policy config (``--policy-config``), over the derived one.
    ``stacks``: the stack table (default: discovered from the stack files at ``root``).
    """
    table = stacks if stacks is not None else discover(root)
    with load_once.once():  # each stack validated once per run, whoever loads it
        return _run_plan(table.ordered(names), root, policies, policy_override, table)


def _run_plan(
    selected: list[str],
    root: Path,
    policies: bool,
    policy_override: Mapping[str, Any] | None,
    table: StackTable,
) -> PlanReport:
    override = {"override": policy_override} if policy_override is not None else {}
    runner, policy_note = load_policies(root, **override) if policies else (None, "skipped (--no-policies)")
    cost = load_cost_estimator(root, policy_override)
    plans: dict[str, StackPlan] = {}
    org_plan = _plan_stack(ORG, root, None, table.spec(ORG).description if ORG in table else "")
    if ORG in selected:
        _check_policies(org_plan, runner, cost)
    plans[ORG] = org_plan
    org_outputs = org_plan.recording.outputs if org_plan.program_ran and org_plan.recording else None
    for name in selected:
        if name != ORG:
            plans[name] = _plan_stack(name, root, org_outputs, table.spec(name).description)
            _check_policies(plans[name], runner, cost)
    if ORG not in selected and org_outputs is None:
        # The environments' failure message already names org; show why org failed too.
        selected = [ORG, *selected]
    manual_steps = checklist.evaluate(checklist.gather(root))
    return PlanReport([plans[name] for name in selected], policy_note, table, manual_steps)
