"""Rules on the network and the providers: public ingress, log retention, the ALB's header handling,
explicit account-pinned providers and allowed regions.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource

from policies.rules.base import (
    ALL_PROTOCOLS,
    AWS_PROVIDER,
    DEFAULT_PROVIDER_NAME,
    LISTENERS,
    LOAD_BALANCERS,
    OPEN_CIDRS,
    SECURITY_GROUP,
    SECURITY_GROUP_INGRESS_RULE,
    SECURITY_GROUP_RULE,
    TCP,
    Context,
    Props,
    StackFinding,
    StackIndex,
    _first,
    _get,
    _internet_facing,
    _items,
    _known,
    _number,
    _setting,
)

# --- Network -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenIngress:
    """An ingress rule open to the internet."""

    resource: PolicyResource
    security_group: PolicyResource | None
    protocol: str
    from_port: int
    to_port: int
    cidr: str

    def ports(self) -> str:
        if self.protocol in ALL_PROTOCOLS:
            return "all ports"
        if self.from_port == self.to_port:
            return f"port {self.from_port}"
        return f"ports {self.from_port}-{self.to_port}"


def _open_ingress(resources: Sequence[PolicyResource], index: StackIndex) -> Iterator[OpenIngress]:
    for resource in resources:
        props = resource.props
        if resource.resource_type == SECURITY_GROUP:
            for rule in _items(_known(props, "ingress")):
                for cidr in [*_items(_get(rule, "cidrBlocks")), *_items(_get(rule, "ipv6CidrBlocks"))]:
                    if cidr in OPEN_CIDRS:
                        yield _ingress(resource, resource, _get(rule, "protocol"), rule, cidr)
        elif resource.resource_type == SECURITY_GROUP_RULE and _known(props, "type") == "ingress":
            cidrs = [*_items(_known(props, "cidrBlocks")), *_items(_known(props, "ipv6CidrBlocks"))]
            for cidr in cidrs:
                if cidr in OPEN_CIDRS:
                    group = _first(index.referenced(resource, "securityGroupId", (SECURITY_GROUP,)))
                    yield _ingress(resource, group, _known(props, "protocol"), props, cidr)
        elif resource.resource_type == SECURITY_GROUP_INGRESS_RULE:
            for cidr in (_known(props, "cidrIpv4"), _known(props, "cidrIpv6")):
                if cidr in OPEN_CIDRS:
                    group = _first(index.referenced(resource, "securityGroupId", (SECURITY_GROUP,)))
                    yield _ingress(resource, group, _known(props, "ipProtocol"), props, cidr)


def _ingress(resource: PolicyResource, group: PolicyResource | None, protocol: Any, rule: Any,
             cidr: str) -> OpenIngress:
    low = _number(_get(rule, "fromPort"))
    high = _number(_get(rule, "toPort"))
    return OpenIngress(
        resource=resource,
        security_group=group,
        protocol=str(protocol).lower() if protocol is not None else "-1",
        from_port=int(low) if low is not None else 0,
        to_port=int(high) if high is not None else 65535,
        cidr=cidr,
    )



def public_listener_ports(resources: Sequence[PolicyResource], index: StackIndex,
                          group: PolicyResource) -> set[int]:
    """Ports of the listeners of internet-facing load balancers that ``group`` is attached to."""
    ports: set[int] = set()
    for load_balancer in index.of_type(*LOAD_BALANCERS):
        if not _internet_facing(load_balancer):
            continue
        if group not in index.referenced(load_balancer, "securityGroups", (SECURITY_GROUP,)):
            continue
        for listener in index.of_type(*LISTENERS):
            if load_balancer in index.referenced(listener, "loadBalancerArn", LOAD_BALANCERS):
                port = _number(_known(listener.props, "port"))
                if port is not None:
                    ports.add(int(port))
    return ports


def no_public_ingress(resources: Sequence[PolicyResource], ctx: Context) -> Iterator[StackFinding]:
    """No ingress from 0.0.0.0/0 or ::/0, except TCP on a public listener port of an internet-facing
    load balancer the security group is attached to (and only ports in ``publicPorts``)."""
    index = StackIndex(resources)
    allowed_ports = {int(port) for port in ctx.config["publicPorts"]}
    for rule in _open_ingress(resources, index):
        where = f"'{rule.resource.name}' admits {rule.cidr} on {rule.ports()}"
        if rule.security_group is None:
            yield f"{where}, and its security group is not in this stack", rule.resource.urn
            continue
        listener_ports = public_listener_ports(resources, index, rule.security_group) & allowed_ports
        narrow = rule.to_port - rule.from_port < 1024
        requested = set(range(rule.from_port, rule.to_port + 1)) if narrow else None
        if rule.protocol in TCP and requested is not None and requested <= listener_ports:
            continue
        if not listener_ports:
            reason = "its security group fronts no internet-facing load balancer listener"
        else:
            reason = f"only TCP {sorted(listener_ports)} (public listener ports) may be open to the internet"
        yield f"{where}: {reason}", rule.resource.urn


def log_retention(resource_type: str, props: Props, ctx: Context) -> Iterator[str]:
    """Log groups expire their events (no retention means logs are kept, and billed, forever)."""
    days = _number(props.get("retentionInDays"))
    if not days or days <= 0:
        yield "retentionInDays is not set: events would be kept (and billed) forever"


def alb_invalid_headers(resource_type: str, props: Props, ctx: Context) -> Iterator[str]:
    """Application load balancers drop header fields that are not valid HTTP (request smuggling)."""
    if (props.get("loadBalancerType") or "application") != "application":
        return
    if props.get("dropInvalidHeaderFields") is not True:
        yield "dropInvalidHeaderFields is not true"

# --- Providers ---------------------------------------------------------------------------------


def explicit_providers(resources: Sequence[PolicyResource], ctx: Context) -> Iterator[StackFinding]:
    """Every AWS resource uses an explicit provider pinned with allowed_account_ids."""
    if ctx.stack in ctx.config["exemptStacks"]:
        return
    for resource in resources:
        if not resource.resource_type.startswith("aws:"):
            continue
        provider = resource.provider
        if provider is None or DEFAULT_PROVIDER_NAME.match(provider.name or ""):
            yield f"'{resource.name}' uses the default AWS provider, not an explicit one", resource.urn
        elif provider.resource_type != AWS_PROVIDER:
            yield f"'{resource.name}' uses a {provider.resource_type} provider", resource.urn
        elif not _items(_setting(provider.props, "allowedAccountIds")):
            yield (f"'{resource.name}' uses provider '{provider.name}', which sets no "
                   "allowedAccountIds"), resource.urn


def allowed_regions(resources: Sequence[PolicyResource], ctx: Context) -> Iterator[StackFinding]:
    """AWS providers pin a region, one of the allowed regions, and so does any resource that sets its
    own ``region`` (pulumi-aws 7: "Region where this resource will be managed. Defaults to the Region
    set in the provider configuration", e.g. Identity Center's resources outside the stack's region).

    ``allowedRegions`` defaults to us-east-1; the driver passes the regions of the stack files
    (``deploy/policy_config.py``).
    """
    allowed = list(ctx.config["allowedRegions"])
    providers: dict[str, tuple[str, Props, str]] = {}  # urn -> (name, props, urn to report)
    for resource in resources:
        if resource.resource_type == AWS_PROVIDER:
            providers.setdefault(resource.urn, (resource.name, resource.props, resource.urn))
        elif resource.resource_type.startswith("aws:") and resource.provider is not None:
            provider = resource.provider
            providers.setdefault(provider.urn, (provider.name, provider.props, resource.urn))
    for name, props, urn in providers.values():
        region = _known(props, "region")
        if not region:
            yield f"AWS provider '{name}' sets no region; the ambient AWS_REGION would decide", urn
        elif region not in allowed:
            yield f"AWS provider '{name}' targets region {region}, not one of {allowed}", urn
    for resource in resources:
        if resource.resource_type == AWS_PROVIDER or not resource.resource_type.startswith("aws:"):
            continue
        region = _known(resource.props, "region")
        inherited = _known(resource.provider.props, "region") if resource.provider is not None else None
        # The same region as the provider's is the provider's finding, not one per resource.
        if isinstance(region, str) and region and region != inherited and region not in allowed:
            yield f"'{resource.name}' is managed in region {region}, not one of {allowed}", resource.urn
