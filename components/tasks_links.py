"""Who may reach whom in one environment's Tasks Service: the one table of network links, and its rules.

Each component owns its security group and exposes it (the HTTP API's VPC link group, the ALB's, the
tasks', the database's); none adds a rule to another's. :data:`LINKS` lists every allowed connection
(from, to, port, when, why), and :func:`declare_links` turns it into ``aws.vpc`` ingress and egress rules:
the egress rule on the source's group, the ingress rule on the target's, each naming the other group as
its peer (a CIDR only for the internet). Each rule is a child of the component that owns the group it
changes. docs/configuration.md ("Who can reach what") shows the same table; a test keeps them equal.

No group has inline rules, so the provider removes AWS's default allow-all egress and these rules are
all there is (pulumi_aws ``ec2/security_group.py``, "NOTE on Egress rules": "this provider will remove
this default rule").

The rules' names are those they had when each component declared them; three now have a new parent
(the owner of their group), so they name their old parent in ``aliases`` and the engine moves them in
state instead of replacing them (pulumi/pulumi pkg/resource/deploy/step_generator.go,
``collapseAliasToUrn``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.app_contract import TASKS_IMAGE
from components.settings.tasks_service import LoadBalancerMode
from components.tasks_database import PORT as DATABASE_PORT
from components.tasks_load_balancer import HTTP_PORT, HTTPS_PORT

Peer = Literal["vpc_link", "alb", "tasks", "database", "internet"]
PortKind = Literal["listener", "listener_ports", "container", "database", "https"]
ANYWHERE_IPV4 = "0.0.0.0/0"

# How the table reads in docs/configuration.md.
PEER_LABELS: Mapping[Peer, str] = {
    "vpc_link": "HTTP API's VPC link",
    "alb": "ALB",
    "tasks": "tasks",
    "database": "Aurora",
    "internet": "the internet",
}
PORT_LABELS: Mapping[PortKind, str] = {
    "listener": f"{HTTP_PORT} ({HTTPS_PORT} with a certificate)",
    "listener_ports": f"{HTTP_PORT} (and {HTTPS_PORT} with a certificate)",
    "container": str(TASKS_IMAGE.container_port),
    "database": str(DATABASE_PORT),
    "https": str(HTTPS_PORT),
}


@dataclass(frozen=True)
class RuleSpec:
    """One side of a link: the rule's name after ``<env>-`` and its description (``{port}`` filled in)."""

    name: str
    description: str
    # The component that declared the rule before the links had one place: its old parent (an alias).
    moved_from: Peer | None = None


@dataclass(frozen=True)
class Link:
    source: Peer
    target: Peer
    port: PortKind
    when: LoadBalancerMode | None  # only in this load balancer mode; None: always
    why: str
    egress: RuleSpec | None  # on the source's group (None when the source is the internet)
    ingress: RuleSpec | None  # on the target's group (None when the target is the internet)


LINKS: tuple[Link, ...] = (
    Link(
        "vpc_link", "alb", "listener", "private",
        "API Gateway forwards the requests its JWT authorizer let through",
        egress=RuleSpec("tasks-api-vpc-link-to-alb", "API Gateway to the ALB listener"),
        ingress=RuleSpec("tasks-api-alb-from-vpc-link", "Requests from the HTTP API VPC link only",
                         moved_from="vpc_link"),
    ),
    Link(
        "internet", "alb", "listener_ports", "public",
        "internet-facing ALB; the service's own token check guards it",
        egress=None,
        ingress=RuleSpec("tasks-alb-from-internet-{port}", "Internet clients on {port}"),
    ),
    Link(
        "alb", "tasks", "container", None,
        "requests and health checks to the containers",
        egress=RuleSpec("tasks-alb-to-tasks", "ALB to the service tasks", moved_from="tasks"),
        ingress=RuleSpec("tasks-tasks-from-alb", "Requests from the ALB only"),
    ),
    Link(
        "tasks", "internet", "https", None,
        "Docker Hub, Secrets Manager, CloudWatch Logs, Cognito's signing keys",
        egress=RuleSpec("tasks-tasks-to-https", "Docker Hub, Secrets Manager, CloudWatch Logs, Cognito JWKS"),
        ingress=None,
    ),
    Link(
        "tasks", "database", "database", None,
        "PostgreSQL (TLS only); nothing else reaches the cluster",
        egress=RuleSpec("tasks-tasks-to-db", "PostgreSQL on the Aurora cluster"),
        ingress=RuleSpec("tasks-db-from-tasks", "PostgreSQL from the service tasks only", moved_from="tasks"),
    ),
)


def document_rows(links: Sequence[Link] = LINKS) -> list[tuple[str, str, str, str, str]]:
    """The table as docs/configuration.md shows it: from, to, port, when, why."""
    return [
        (PEER_LABELS[link.source], PEER_LABELS[link.target], PORT_LABELS[link.port],
         f"{link.when} mode" if link.when else "always", link.why)
        for link in links
    ]


@dataclass(frozen=True)
class GroupOwner:
    """A component and the security group it owns (and exposes)."""

    component: pulumi.ComponentResource
    group: aws.ec2.SecurityGroup


@dataclass(frozen=True)
class LinkPorts:
    """The ports of one deployment, by kind."""

    listener: int
    listener_ports: tuple[int, ...]  # every port the ALB listens on (HTTP, and HTTPS with a certificate)
    container: int
    database: int

    def of(self, kind: PortKind) -> tuple[int, ...]:
        ports: Mapping[PortKind, tuple[int, ...]] = {
            "listener": (self.listener,), "listener_ports": self.listener_ports,
            "container": (self.container,), "database": (self.database,), "https": (HTTPS_PORT,),
        }
        return ports[kind]


SecurityGroupRule = aws.vpc.SecurityGroupIngressRule | aws.vpc.SecurityGroupEgressRule


@dataclass(frozen=True)
class DeclaredLink:
    link: Link
    rules: tuple[SecurityGroupRule, ...]


@dataclass(frozen=True)
class LinkRules:
    """The rules :func:`declare_links` created, by link."""

    declared: tuple[DeclaredLink, ...]

    @property
    def rules(self) -> list[SecurityGroupRule]:
        return [rule for item in self.declared for rule in item.rules]

    def touching(self, peer: Peer) -> list[pulumi.Resource]:
        """The rules of every link from or to ``peer``: what must exist before it starts serving."""
        return [rule for item in self.declared if peer in (item.link.source, item.link.target)
                for rule in item.rules]


def declare_links(
    environment: str,
    owners: Mapping[Peer, GroupOwner],
    ports: LinkPorts,
    mode: LoadBalancerMode,
    links: Sequence[Link] = LINKS,
) -> LinkRules:
    """The rules of every link that applies in ``mode``; ``owners``: a group per peer but the internet."""
    declared = []
    for link in links:
        if link.when is not None and link.when != mode:
            continue
        missing = [peer for peer in (link.source, link.target) if peer != "internet" and peer not in owners]
        if missing:
            raise ValueError(f"link {link.source} -> {link.target}: no security group for {missing[0]} "
                             f"in {mode} mode (give the link a 'when')")
        rules: list[SecurityGroupRule] = []
        for port in ports.of(link.port):
            if link.egress is not None:
                rules.append(_rule(aws.vpc.SecurityGroupEgressRule, environment, link.egress, port,
                                   on=link.source, peer=link.target, owners=owners))
            if link.ingress is not None:
                rules.append(_rule(aws.vpc.SecurityGroupIngressRule, environment, link.ingress, port,
                                   on=link.target, peer=link.source, owners=owners))
        declared.append(DeclaredLink(link, tuple(rules)))
    return LinkRules(tuple(declared))


def _rule(
    kind: type[aws.vpc.SecurityGroupIngressRule] | type[aws.vpc.SecurityGroupEgressRule],
    environment: str,
    spec: RuleSpec,
    port: int,
    *,
    on: Peer,
    peer: Peer,
    owners: Mapping[Peer, GroupOwner],
) -> SecurityGroupRule:
    owner = owners[on]
    outside = peer == "internet"
    aliases = [pulumi.Alias(parent=owners[spec.moved_from].component)] if spec.moved_from else None
    return kind(
        f"{environment}-{spec.name.format(port=port)}",
        security_group_id=owner.group.id,
        description=spec.description.format(port=port),
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        cidr_ipv4=ANYWHERE_IPV4 if outside else None,
        referenced_security_group_id=None if outside else owners[peer].group.id,
        opts=pulumi.ResourceOptions(parent=owner.component, aliases=aliases),
    )
