"""The text report of ``python -m deploy plan``: per stack its validation, resources per account and
resource tree, then a summary and the manual steps.
"""

from __future__ import annotations

from collections import defaultdict

from deploy import checklist
from deploy.plan_report import BLOCKED, OK, STATE_ONLY, STATE_ONLY_PACKAGES, PlanReport, StackPlan
from deploy.simulate import PROVIDER_TYPE_PREFIX, RecordedResource
from deploy.stack_checks import INFO


def render(report: PlanReport, *, tree: bool = True) -> str:
    lines = [
        "Offline plan: every program run under Pulumi's mock runtime (no credentials, no CLI, no network).",
        f"Deploy order:  {report.stacks.describe_order()}",
        f"Destroy order: {report.stacks.describe_order(reverse=True)}",
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
    lines = [f"== stack {plan.stack}: {plan.description} ({plan.duration:.2f}s)"]
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
        policy = f"policy {violation.policy} [{violation.enforcement_level}]{where}"
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
