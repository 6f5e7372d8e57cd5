"""The CrossGuard rule ``production-invariants``: what a production stack keeps and must be, checked on
its resources (the stack's final state), for anyone running plain ``pulumi up --policy-pack policies``.

The same definitions as the config layer's (policies/production.py): which stacks are production, the
protections and their opt-out names, the account placement, https-only URLs and origins, pinned images.
Settings (the driver derives both from the stack files: ``python -m deploy.policy_config``):

* ``optOuts``: ``<stack>:<opt-out name>`` for each protection a production stack's file lowers;
* ``nonProductionIdentityAccounts``: the identity account keys of the non-production stacks.

The account placement needs the org stack's ``account_ous`` output: the rule checks it only when the
stack's ``StackReference`` is among the resources it is given. The engine reads a stack reference rather
than registering it, and whether stack policies get read resources is not verified here; so the program
itself refuses misplaced accounts before either account's provider exists (components/
production_accounts.py), and ``plan`` checks them with the recorded org outputs (deploy/
production_check.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from policies.production import (
    identity_account_problem,
    image_problem,
    is_production_stack,
    web_url_problem,
    workload_account_problem,
)
from policies.rules import base as g

STACK_REFERENCE = "pulumi:pulumi:StackReference"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
SECRET = "aws:secretsmanager/secret:Secret"
USER_POOL_CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
HTTP_API = "aws:apigatewayv2/api:Api"
SUBNET = "aws:ec2/subnet:Subnet"
# Resources in the workload account whose provider tells which account that is.
WORKLOAD_TYPES = (g.ECS_SERVICE, *g.LOAD_BALANCERS, g.RDS_CLUSTER)
MIN_RECOVERY_DAYS = 7  # Secrets Manager's shortest recovery window; 0 deletes at once

Finding = g.StackFinding


def production_invariants(resources: Sequence[PolicyResource], ctx: g.Context) -> Iterator[Finding]:
    if not is_production_stack(ctx.stack):
        return
    prefix = f"{ctx.stack}:"
    opt_outs = {entry[len(prefix):] for entry in ctx.config["optOuts"] if entry.startswith(prefix)}
    index = g.StackIndex(resources)
    checks: list[Callable[[], Iterator[Finding]]] = [
        lambda: _protections(index, opt_outs),
        lambda: _load_balancers(index),
        lambda: _tasks(index),
        lambda: _urls(index),
        lambda: _images(index),
        lambda: _accounts(index, ctx.config["nonProductionIdentityAccounts"]),
    ]
    for check in checks:
        try:
            yield from check()
        except UnknownValueError:  # a value only known after the update: judged then
            continue


def _lowered(resource: PolicyResource, what: str, opt_out: str) -> Finding:
    return (f"'{resource.name}': {what} in a production stack (opt-out '{opt_out}' is not configured)",
            resource.urn)


def _protections(index: g.StackIndex, opt_outs: set[str]) -> Iterator[Finding]:
    def unprotected(types: Sequence[str], opt_out: str) -> Iterator[Finding]:
        if opt_out not in opt_outs:
            for resource in index.of_type(*types):
                if not resource.opts.protect:
                    yield _lowered(resource, "Pulumi protect is off", opt_out)

    def known(resource: PolicyResource, key: str) -> Any:
        return g._known(resource.props, key)

    yield from unprotected((g.USER_POOL,), "userPool.protect")
    yield from unprotected((g.RDS_CLUSTER, g.RDS_CLUSTER_INSTANCE, RANDOM_PASSWORD), "database.protect")
    yield from unprotected((SECRET,), "databaseSecret.protect")
    yield from unprotected(g.LOAD_BALANCERS, "loadBalancer.protect")
    checks: list[tuple[Sequence[str], str, str, Callable[[PolicyResource], bool]]] = [
        ((g.USER_POOL,), "userPool.deletionProtection", "deletionProtection is not ACTIVE",
         lambda pool: known(pool, "deletionProtection") == "ACTIVE"),
        ((g.RDS_CLUSTER,), "database.deletionProtection", "deletionProtection is not true",
         lambda cluster: known(cluster, "deletionProtection") is True),
        ((g.RDS_CLUSTER,), "database.finalSnapshot", "no final snapshot on deletion",
         lambda cluster: known(cluster, "skipFinalSnapshot") is not True
         and bool(known(cluster, "finalSnapshotIdentifier"))),
        ((SECRET,), "databaseSecret.protect", f"recoveryWindowInDays is below {MIN_RECOVERY_DAYS}",
         lambda secret: _at_least(g._number(known(secret, "recoveryWindowInDays")), MIN_RECOVERY_DAYS)),
        (g.LOAD_BALANCERS, "loadBalancer.deletionProtection", "enableDeletionProtection is not true",
         lambda balancer: known(balancer, "enableDeletionProtection") is True),
    ]
    for types, opt_out, what, holds in checks:
        if opt_out not in opt_outs:
            yield from (_lowered(r, what, opt_out) for r in index.of_type(*types) if not holds(r))


def _at_least(value: float | None, minimum: float) -> bool:
    return value is None or value >= minimum  # not set: the service's default (30 days for secrets)


def _load_balancers(index: g.StackIndex) -> Iterator[Finding]:
    """An internet-facing load balancer has no plain-HTTP listener that forwards (redirects are fine)."""
    for listener in index.of_type(*g.LISTENERS):
        balancers = index.referenced(listener, "loadBalancerArn", g.LOAD_BALANCERS)
        if not any(g._internet_facing(balancer) for balancer in balancers):
            continue
        protocol = str(g._known(listener.props, "protocol") or "HTTP").upper()
        actions = [str(g._get(a, "type")) for a in g._items(g._known(listener.props, "defaultActions"))]
        if protocol == "HTTP" and any(action != "redirect" for action in actions):
            yield (f"'{listener.name}': an internet-facing load balancer forwards plain HTTP in a production "
                   "stack (bearer tokens in cleartext); serve HTTPS and redirect HTTP, or make it internal",
                   listener.urn)


def _public_subnets(index: g.StackIndex) -> set[str]:
    """The public subnets' ids: an awsx VPC's ``publicSubnetIds``, subnets that map public IPs."""
    found = {str(subnet) for vpc in index.of_type(g.AWSX_VPC)
             for subnet in g._items(g._known(vpc.props, "publicSubnetIds"))}
    return found | {str(g._known(subnet.props, "id")) for subnet in index.of_type(SUBNET)
                    if g._known(subnet.props, "mapPublicIpOnLaunch") is True}


def _tasks(index: g.StackIndex) -> Iterator[Finding]:
    """Tasks run in private subnets without public IPs, and the stack has a NAT gateway to leave by."""
    services = index.of_type(g.ECS_SERVICE)
    public_subnets = _public_subnets(index)
    for service in services:
        network = g._known(service.props, "networkConfiguration")
        if g._get(network, "assignPublicIp") is True:
            yield f"'{service.name}': tasks get a public IP in a production stack", service.urn
        if public_subnets & {str(s) for s in g._items(g._get(network, "subnets"))}:
            yield f"'{service.name}': tasks run in public subnets in a production stack", service.urn
    nat = index.of_type(g.NAT_GATEWAY) or [
        vpc for vpc in index.of_type(g.AWSX_VPC)
        if str(g._get(g._known(vpc.props, "natGateways"), "strategy") or "None") != "None"
    ]
    if services and not nat:
        yield "the tasks have no NAT gateway to leave through in a production stack", services[0].urn


def _urls(index: g.StackIndex) -> Iterator[Finding]:
    for client in index.of_type(USER_POOL_CLIENT):
        for key in ("callbackUrls", "logoutUrls"):
            for url in g._items(g._known(client.props, key)):
                problem = web_url_problem(str(url), production=True, what="redirect URL")
                if problem:
                    yield f"'{client.name}': {key}: {problem}", client.urn
    for api in index.of_type(HTTP_API):
        for origin in g._items(g._get(g._known(api.props, "corsConfiguration"), "allowOrigins")):
            problem = web_url_problem(str(origin), production=True, what="CORS origin")
            if problem:
                yield f"'{api.name}': corsConfiguration.allowOrigins: {problem}", api.urn


def _images(index: g.StackIndex) -> Iterator[Finding]:
    for definition in index.of_type(g.TASK_DEFINITION):
        containers = g._known(definition.props, "containerDefinitions")
        if isinstance(containers, str):
            try:
                containers = json.loads(containers)
            except json.JSONDecodeError:
                continue  # aws-api-values reports it
        for container in g._items(containers):
            image = g._get(container, "image")
            problem = image_problem(str(image)) if isinstance(image, str) else None
            if problem:
                yield f"'{definition.name}': {problem} in a production stack", definition.urn


def _accounts(index: g.StackIndex, non_production_identity: Sequence[str]) -> Iterator[Finding]:
    """The org stack's ``account_ous`` through the stack reference, the accounts through the providers."""
    outputs = [g._known(ref.props, "outputs") for ref in index.of_type(STACK_REFERENCE)]
    org = next((o for o in outputs if g._is_map(o) and g._is_map(o.get("account_ous"))), None)
    if org is None:
        return
    keys = {str(account_id): str(key) for key, account_id in dict(org.get("accounts") or {}).items()}
    ous = {str(key): str(ou) for key, ou in dict(org["account_ous"]).items()}
    listed = dict.fromkeys(non_production_identity, "policy config nonProductionIdentityAccounts")
    for pool, key in _accounts_of(index.of_type(g.USER_POOL), keys):
        problem = identity_account_problem(key, ous, listed)
        if problem:
            yield f"'{pool.name}': its identity account: {problem} (production stack)", pool.urn
    for resource, key in _accounts_of(index.of_type(*WORKLOAD_TYPES), keys):
        problem = workload_account_problem(key, ous)
        if problem:
            yield f"'{resource.name}': its workload account: {problem} (production stack)", resource.urn


def _accounts_of(
    resources: Sequence[PolicyResource], keys: Mapping[str, str]
) -> list[tuple[PolicyResource, str]]:
    """(first resource, account key) for each org account the resources' providers are pinned to."""
    found: dict[str, PolicyResource] = {}
    for resource in resources:
        provider = resource.provider
        for account_id in g._items(g._setting(provider.props, "allowedAccountIds")) if provider else []:
            key = keys.get(str(account_id))
            if key is not None:
                found.setdefault(key, resource)
    return [(resource, key) for key, resource in found.items()]
