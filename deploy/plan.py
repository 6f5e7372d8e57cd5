"""``python -m deploy plan``: what a deploy would create, where, and in which order, without a cloud.

Each stack's program runs in-process under Pulumi's mock runtime (``deploy.simulate``), its config read
from the stack file and validated first. The org stack's recorded outputs feed the environments exactly
as the ``StackReference`` would. For every stack the plan shows the resources per target account (each
resource's provider → its ``allowed_account_ids`` → the account key from the org outputs), a tree by
parent, the validation results (config, providers, CrossGuard policies when ``policies/guardrails.py``
exists) and a summary. No credentials, no Pulumi CLI, no network.
"""

from __future__ import annotations

import importlib
import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components import config as stack_config
from deploy import checklist, org_references, stacks
from deploy.runner import EXIT_FAILED, EXIT_OK
from deploy.simulate import PROVIDER_TYPE_PREFIX, RecordedResource, Recording, simulate
from deploy.stack_checks import INFO, Finding, StackContext, run_checks

OK = "ok"
INVALID = "invalid"  # config or validation errors
FAILED = "failed"  # the program raised
BLOCKED = "not run"  # the org stack could not be planned, so the environment cannot be either

MANAGEMENT = "management"
DEFAULT_PROVIDER = "default provider"
# Packages whose resources live only in the stack's state, in no account (the database password).
STATE_ONLY_PACKAGES = ("random:",)
STATE_ONLY = "stack state only"

# The mock runtime is process-global: one simulation at a time.
_SIMULATE_LOCK = threading.Lock()


@dataclass
class Violation:
    policy: str
    enforcement: str  # "mandatory" or "advisory"
    message: str
    urn: str | None = None

    @property
    def mandatory(self) -> bool:
        return self.enforcement == "mandatory"

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy, "enforcement": self.enforcement, "message": self.message, "urn": self.urn
        }


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
    status: str = OK
    checks: list[Check] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    recording: Recording | None = None
    accounts: dict[str, str] = field(default_factory=dict)  # account id -> key
    duration: float = 0.0
    message: str = ""
    idle_cost: str | None = None  # the guardrails' estimate of what the stack costs with no traffic
    program_ran: bool = False  # the program completed under mocks, so its outputs are known
    settings: stack_config.OrgConfig | stack_config.EnvConfig | None = None  # the validated config
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
            "order": list(stacks.ORDER),
            "deploy_order": stacks.describe_order(),
            "destroy_order": stacks.describe_order(reverse=True),
            "policies": self.policies,
            "stacks": [plan.to_json() for plan in self.plans],
            "checklist": [state.to_json() for state in self.checklist],
        }


# --------------------------------------------------------------------------------------------
# Running the programs
# --------------------------------------------------------------------------------------------


def simulate_stack(
    stack: str,
    settings: stack_config.OrgConfig | stack_config.EnvConfig,
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


def org_reference_check(stack: str, settings: stack_config.EnvConfig) -> Check:
    """The environment's ``orgStack`` must name this project's org stack."""
    parts = settings.org_stack.split("/")
    wrong = (
        parts[-1] != stacks.ORG
        or len(parts) not in (1, 3)
        or (len(parts) == 3 and parts[1] != stack_config.PROJECT)
    )
    name = f"{stack_config.stack_file(stack)}: {stack_config.PROJECT}:orgStack"
    if wrong:
        return Check(
            "org stack reference",
            False,
            f"{name}: '{settings.org_stack}' does not name the {stacks.ORG} stack "
            f"(expected {stacks.ORG} or <organization>/{stack_config.PROJECT}/{stacks.ORG})",
        )
    return Check("org stack reference", True, f"reads {settings.org_stack}")


def account_names(org_outputs: Mapping[str, Any]) -> dict[str, str]:
    """Account id -> key, from the org stack's outputs (the management account included)."""
    names = {str(account_id): key for key, account_id in (org_outputs.get("accounts") or {}).items()}
    management = org_outputs.get("management_account_id")
    if management:
        names[str(management)] = MANAGEMENT
    return names


def _plan_stack(stack: str, root: Path, org_outputs: Mapping[str, Any] | None) -> StackPlan:
    """Read the stack file, plan the stack and run the stack checks on it."""
    plan = StackPlan(stack)
    started = time.perf_counter()
    try:
        file_config = stack_config.read_stack_file_config(stack, root)
    except stack_config.ConfigError as error:
        plan.status, plan.message = INVALID, str(error)
        plan.checks.append(Check("config", False, str(error)))
        plan.duration = time.perf_counter() - started
        return plan
    _simulate_checked(plan, stack, file_config, org_outputs)
    _run_stack_checks(plan, file_config)
    plan.duration = time.perf_counter() - started
    return plan


def _run_stack_checks(plan: StackPlan, file_config: Mapping[str, Any]) -> None:
    """The checks of deploy/stack_checks.py; a check that crashes is reported, not raised."""
    context = StackContext(
        stack=plan.stack,
        source=stack_config.stack_file(plan.stack),
        file_config=file_config,
        settings=plan.settings,
        recording=plan.recording if plan.program_ran else None,
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
    if isinstance(settings, stack_config.EnvConfig):
        reference = org_reference_check(stack, settings)
        plan.checks.append(reference)
        if not reference.ok:
            plan.status, plan.message = INVALID, reference.detail
            return
        if org_outputs is None:
            plan.status, plan.message = BLOCKED, f"not run: the {stacks.ORG} stack could not be planned"
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
    if plan.stack != stacks.ORG:
        in_management = [r for r in plan.planned() if plan.account_of(r).startswith(f"{MANAGEMENT} (")]
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
        return None, "skipped: policies/guardrails.py is not there yet"
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


def load_cost_estimator() -> Callable[[Recording], str] | None:
    """The guardrails' idle monthly cost estimate of a recorded stack, when the pack provides one."""
    try:
        guardrails = importlib.import_module("policies.guardrails")
    except Exception:
        return None
    estimate = getattr(guardrails, "estimate_recording_cost", None)
    if estimate is None:
        return None
    return lambda recording: str(estimate(recording).summary())


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
        enforcement=str(getattr(level, "value", level)).lower(),
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
) -> PlanReport:
    """Plan the selected stacks (default: all). The org stack is always run: it feeds the others.

    ``policy_override``: the user's policy config (``--policy-config``), over the derived one.
    """
    selected = stacks.ordered(names)
    override = {"override": policy_override} if policy_override is not None else {}
    runner, policy_note = load_policies(root, **override) if policies else (None, "skipped (--no-policies)")
    cost = load_cost_estimator()
    plans: dict[str, StackPlan] = {}
    org_plan = _plan_stack(stacks.ORG, root, None)
    if stacks.ORG in selected:
        _check_policies(org_plan, runner, cost)
    plans[stacks.ORG] = org_plan
    org_outputs = org_plan.recording.outputs if org_plan.program_ran and org_plan.recording else None
    for name in selected:
        if name != stacks.ORG:
            plans[name] = _plan_stack(name, root, org_outputs)
            _check_policies(plans[name], runner, cost)
    if stacks.ORG not in selected and org_outputs is None:
        # The environments' failure message already names org; show why org failed too.
        selected = [stacks.ORG, *selected]
    manual_steps = checklist.evaluate(checklist.gather(root))
    return PlanReport([plans[name] for name in selected], policy_note, manual_steps)


def target_accounts(stack: str, org_outputs: Mapping[str, Any], root: Path = stack_config.PROJECT_ROOT
                    ) -> list[tuple[str, str, str]]:
    """(account key, account id, role ARN) for each account the stack's providers assume a role in.

    Found by running the environment's program under mocks with the real org outputs, so it always
    matches what the program will do. If that is impossible, every member account with the org's
    access role.
    """
    names = account_names(org_outputs)
    try:
        raw = stack_config.read_stack_file(stack, root)
        settings = stack_config.load(stack, raw)
        if not isinstance(settings, stack_config.EnvConfig):
            return []
        recording = simulate_stack(stack, settings, raw, {settings.org_stack: org_outputs})
    except Exception:
        role = str(org_outputs.get("access_role_name") or "OrganizationAccountAccessRole")
        return [
            (key, str(account_id), f"arn:aws:iam::{account_id}:role/{role}")
            for key, account_id in (org_outputs.get("accounts") or {}).items()
        ]
    result: dict[str, tuple[str, str, str]] = {}
    for provider in recording.resources:
        if not provider.is_provider:
            continue
        allowed = provider.provider_setting("allowedAccountIds") or []
        for role in provider.provider_setting("assumeRoles") or []:
            arn = role.get("roleArn") if isinstance(role, Mapping) else None
            if arn and len(allowed) == 1:
                account_id = str(allowed[0])
                result[arn] = (names.get(account_id, account_id), account_id, str(arn))
    return list(result.values())


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def render(report: PlanReport, *, tree: bool = True) -> str:
    lines = [
        "Offline plan: every program run under Pulumi's mock runtime (no credentials, no CLI, no network).",
        f"Deploy order:  {stacks.describe_order()}",
        f"Destroy order: {stacks.describe_order(reverse=True)}",
        f"Policies: {report.policies}",
    ]
    for plan in report.plans:
        lines.append("")
        lines.extend(render_stack(plan, tree=tree))
    lines.append("")
    lines.append(render_summary(report))
    if report.checklist:
        lines += ["", *checklist.render(report.checklist)]
    return "\n".join(lines)


def render_stack(plan: StackPlan, *, tree: bool = True) -> list[str]:
    spec = stacks.spec(plan.stack)
    lines = [f"== stack {plan.stack}: {spec.description} ({plan.duration:.2f}s)"]
    lines.append("validation:")
    for check in plan.checks:
        mark = {True: "ok  ", False: "FAIL", None: "skip"}[check.ok]
        lines.append(f"  {mark}  {check.name}: {check.detail}")
    for finding in plan.findings:
        mark = "FAIL" if finding.is_error else "info" if finding.severity == INFO else "warn"
        lines.append(f"  {mark}  {finding.check}: {finding}")
    for violation in plan.violations:
        mark = "FAIL" if violation.mandatory else "warn"
        where = f" ({violation.urn.rsplit('::', 1)[-1]})" if violation.urn else ""
        policy = f"policy {violation.policy} [{violation.enforcement}]{where}"
        lines.append(f"  {mark}  {policy}: {violation.message}")
    if plan.status == BLOCKED:
        lines.append(f"  {plan.message}")
    recording = plan.recording
    if recording is None or not recording.resources:
        return lines
    resources = recording.resources
    components = sum(1 for r in resources if not r.custom)
    providers = sum(1 for r in resources if r.is_provider)
    cloud = len(resources) - components - providers
    lines.append(
        f"would create {len(resources)} resources: {cloud} cloud resources, {providers} providers, "
        f"{components} components"
    )
    for account, counts in sorted(plan.by_account().items()):
        lines.append(f"  in {account}: {sum(counts.values())}")
        for type_, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"    {count:4d}  {type_}")
    if plan.idle_cost:
        lines.append(f"idle cost estimate: {plan.idle_cost}")
    if tree:
        lines.append("resource tree:")
        lines.extend(render_tree(plan))
    if recording.outputs:
        lines.append("outputs (mock values): " + ", ".join(sorted(recording.outputs)))
    return lines


def render_tree(plan: StackPlan) -> list[str]:
    assert plan.recording is not None
    resources = plan.recording.resources
    known = {r.urn for r in resources}
    children: dict[str | None, list[RecordedResource]] = defaultdict(list)
    # Registration order varies from run to run; sorted, two plans of the same code compare equal.
    for resource in sorted(resources, key=lambda r: (r.is_provider is False, r.name, r.type)):
        parent = resource.parent if resource.parent in known else None
        children[parent].append(resource)
    lines: list[str] = []

    def label(resource: RecordedResource) -> str:
        text = f"{resource.name}  ({resource.type})"
        package = resource.type.removeprefix(PROVIDER_TYPE_PREFIX) + ":"
        if resource.is_provider and package in STATE_ONLY_PACKAGES:
            return text + f"  ({STATE_ONLY})"
        if resource.is_provider:
            if resource.type != "pulumi:providers:aws":
                return text  # e.g. awsx: no account of its own; its components' children use the aws one
            allowed = resource.provider_setting("allowedAccountIds") or []
            return text + f"  pinned to {', '.join(map(str, allowed)) or 'nothing'}"
        if resource.custom or resource.remote:
            text += f"  @ {plan.account_of(resource).split(' (')[0]}"
        if resource.protect:
            text += "  [protected]"
        return text

    def walk(parent: str | None, prefix: str) -> None:
        items = children.get(parent, [])
        for index, resource in enumerate(items):
            last = index == len(items) - 1
            lines.append(f"  {prefix}{'└─ ' if last else '├─ '}{label(resource)}")
            walk(resource.urn, prefix + ("   " if last else "│  "))

    walk(None, "")
    return lines


def render_summary(report: PlanReport) -> str:
    rows = [("stack", "result", "resources", "accounts", "violations", "time", "details")]
    for plan in report.plans:
        recording = plan.recording
        mandatory = sum(v.mandatory for v in plan.violations)
        rows.append(
            (
                plan.stack,
                "ok" if plan.ok else plan.status if plan.status != OK else "violations",
                str(len(recording.resources)) if recording and recording.resources else "-",
                str(len(plan.by_account())) if recording and recording.resources else "-",
                f"{mandatory}/{len(plan.violations)}" if plan.violations else "0",
                f"{plan.duration:.2f}s",
                plan.message,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    lines = ["summary:"]
    for row in rows:
        cells = "  ".join(c.ljust(w) for c, w in zip(row[:6], widths, strict=True))
        lines.append(f"  {cells}  {row[6]}".rstrip())
    lines.append("plan ok" if report.ok else "plan FAILED: fix the errors above before deploying")
    return "\n".join(lines)


def write_json(report: PlanReport, path: Path) -> None:
    path.write_text(json.dumps(report.to_json(), indent=2, default=str) + "\n", encoding="utf-8")


def stack_names(values: Sequence[str] | None) -> list[str]:
    return stacks.ordered(values)
