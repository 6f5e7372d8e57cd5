"""What ``python -m deploy diagram`` draws, read from the recordings ``plan`` makes under mocks.

Nothing here is typed in by hand: the organization view comes from the org stack's recorded
``aws:organizations/*`` resources (each OU's and account's ``parentId``, each policy attachment's
``policyId`` and ``targetId``) and its ``accounts`` output; an environment view places every resource in
the account its explicit provider is pinned to (``StackPlan.account_of``) and groups it under the
top-level component that declared it. Change the config, and the picture changes with it.

The renderers (Graphviz and Mermaid) are in ``deploy/diagram.py``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploy.plan_report import StackPlan
    from deploy.simulate import RecordedResource, Recording

OU_TYPE = "aws:organizations/organizationalUnit:OrganizationalUnit"
ACCOUNT_TYPE = "aws:organizations/account:Account"
POLICY_TYPE = "aws:organizations/policy:Policy"
ATTACHMENT_TYPE = "aws:organizations/policyAttachment:PolicyAttachment"

BROWSER = "Browser"
# The request path, in the order a request travels it: (step label, the resource type that serves it).
REQUEST_PATH: tuple[tuple[str, str], ...] = (
    ("Amplify Hosting", "aws:amplify/app:App"),
    ("Cognito user pool", "aws:cognito/userPool:UserPool"),
    ("HTTP API", "aws:apigatewayv2/api:Api"),
    ("VPC link", "aws:apigatewayv2/vpcLink:VpcLink"),
    ("ALB", "aws:lb/loadBalancer:LoadBalancer"),
    ("Fargate service", "aws:ecs/service:Service"),
    ("Aurora", "aws:rds/cluster:Cluster"),
)


@dataclass(frozen=True)
class OrgUnit:
    id: str
    name: str
    parent_id: str


@dataclass(frozen=True)
class OrgAccount:
    id: str
    key: str
    name: str
    parent_id: str


@dataclass(frozen=True)
class Scp:
    id: str
    name: str


@dataclass
class OrgView:
    """The organization: the root, its OUs and accounts as a tree, and which SCP attaches where."""

    root_id: str
    ous: list[OrgUnit] = field(default_factory=list)
    accounts: list[OrgAccount] = field(default_factory=list)
    policies: list[Scp] = field(default_factory=list)
    attachments: list[tuple[str, str]] = field(default_factory=list)  # (policy id, target id)
    management_account_id: str | None = None

    def ou_path(self, ou_id: str) -> str:
        """``Workloads/Prod`` for an OU; the root is ``Root``."""
        by_id = {ou.id: ou for ou in self.ous}
        parts: list[str] = []
        while ou_id in by_id:
            parts.append(by_id[ou_id].name)
            ou_id = by_id[ou_id].parent_id
        return "/".join(reversed(parts)) or "Root"


@dataclass(frozen=True)
class PathStep:
    label: str
    resource_type: str
    resource_name: str
    account: str  # "key (id)", as plan shows it
    component: str  # the top-level component that declares it, as in EnvView.placement


@dataclass
class EnvView:
    """An environment stack: per account, per top-level component, the resource types it declares."""

    stack: str
    # account label -> component label -> resource type -> count
    placement: dict[str, dict[str, Counter[str]]] = field(default_factory=dict)
    request_path: list[PathStep] = field(default_factory=list)
    missing_steps: list[str] = field(default_factory=list)  # request-path steps the stack does not declare

    def accounts_of(self, resource_type: str) -> list[str]:
        return sorted(
            account for account, groups in self.placement.items()
            if any(resource_type in types for types in groups.values())
        )


def org_view(recording: Recording) -> OrgView:
    """The organization as the org stack declares it."""
    ous = [
        OrgUnit(r.id, str(r.inputs.get("name", r.name)), _input(r, "parentId"))
        for r in recording.of_type(OU_TYPE)
    ]
    ou_ids = {ou.id for ou in ous}
    roots = sorted({ou.parent_id for ou in ous if ou.parent_id not in ou_ids}) or ["root"]
    keys = {str(account_id): key for key, account_id in (recording.outputs.get("accounts") or {}).items()}
    accounts = [
        OrgAccount(r.id, keys.get(r.id, r.name), str(r.inputs.get("name", r.name)), _input(r, "parentId"))
        for r in recording.of_type(ACCOUNT_TYPE)
    ]
    policies = [Scp(r.id, str(r.inputs.get("name", r.name))) for r in recording.of_type(POLICY_TYPE)]
    attachments = [
        (_input(r, "policyId"), _input(r, "targetId"))
        for r in recording.of_type(ATTACHMENT_TYPE)
    ]
    management = recording.outputs.get("management_account_id")
    view = OrgView(
        root_id=roots[0],
        ous=ous,
        accounts=sorted(accounts, key=lambda account: account.key),
        policies=sorted(policies, key=lambda policy: policy.name),
        attachments=sorted(set(attachments)),
        management_account_id=str(management) if management else None,
    )
    paths = {ou.id: view.ou_path(ou.id) for ou in ous}  # before sorting: the list is empty while it sorts
    view.ous.sort(key=lambda ou: paths[ou.id])
    return view


def _input(resource: RecordedResource, key: str) -> str:
    return str(resource.inputs.get(key) or "")


def env_view(plan: StackPlan) -> EnvView:
    """Where an environment stack puts what, and the request path through it."""
    recording = plan.recording
    if recording is None:
        raise ValueError(f"stack {plan.stack} has no recording")
    view = EnvView(plan.stack)
    by_urn = {r.urn: r for r in recording.resources}
    for resource in plan.planned():
        component = _top_component(resource, by_urn)
        group = view.placement.setdefault(plan.account_of(resource), {})
        group.setdefault(component, Counter())[resource.type] += 1
    for label, resource_type in REQUEST_PATH:
        found = sorted(recording.of_type(resource_type), key=lambda r: r.name)
        if not found:
            view.missing_steps.append(label)
            continue
        step = found[0]
        view.request_path.append(
            PathStep(label, resource_type, step.name, plan.account_of(step), _top_component(step, by_urn))
        )
    return view


def _top_component(resource: RecordedResource, by_urn: dict[str, RecordedResource]) -> str:
    """``TasksService pre-tasks``: the outermost component above a resource (below the stack)."""
    top = resource
    while top.parent and top.parent in by_urn:
        top = by_urn[top.parent]
    if top is resource:
        return "(stack)"
    return f"{top.type.rsplit(':', 1)[-1]} {top.name}"


def short_type(resource_type: str) -> str:
    """``aws:ecs/service:Service`` -> ``ecs Service``; ``awsx:ec2:Vpc`` -> ``awsx Vpc``."""
    package, module, name = [*resource_type.split(":"), "", ""][:3]
    service = module.split("/", 1)[0] if package == "aws" else package
    return f"{service} {name}"
