"""Production in the config layer: the stack decides, opt-outs are named, protections resolve here.

Which stacks are production, the protections they keep and the opt-out names are defined once, in
policies/production.py (the CrossGuard pack uses the same). Here:

* :func:`check_stack_identity`: a stack file cannot make its stack non-production: no ``production``
  key, and a production stack's ``environment`` is its own name (a non-production stack's is never a
  production stack's name, which would give it production's accounts without production's rules);
* ``productionOptOuts``: ``[{resource: <name from policies.production.OPT_OUTS>, reason: <why>}]``,
  only in a production stack, each name once;
* :func:`protection`: one protection's resolved value, refusing a production key that lowers it
  without its opt-out.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from pydantic import Field, field_validator

from components.settings.base import PROJECT, ConfigError, Model
from components.settings.environment import CognitoSettings
from policies.production import OPT_OUTS, PRODUCTION_STACKS, image_problem, is_production_stack

if TYPE_CHECKING:  # tasks_service imports this module
    from components.settings.tasks_service import LoadBalancerSettings, NetworkSettings, ServiceSettings

OPT_OUTS_KEY = "productionOptOuts"


class ProductionOptOut(Model):
    """One lowered protection of a production stack: which (a fixed name) and why (shown by plan)."""

    resource: str
    reason: str = Field(min_length=10, max_length=500, pattern=r"\S")

    @field_validator("resource")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in OPT_OUTS:
            raise ValueError(f"'{value}' is not a production protection; one of {', '.join(OPT_OUTS)}")
        return value

    @property
    def lowers(self) -> str:
        return OPT_OUTS[self.resource]


def check_stack_identity(stack: str, raw: Mapping[str, Any], source: str) -> None:
    """Before the model: the keys that would decide production are refused or must name the stack."""
    if "production" in raw:
        raise ConfigError(
            source,
            f"{PROJECT}:production",
            "is not a setting: a stack is production by its name (policies/production.py "
            f"PRODUCTION_STACKS: {', '.join(PRODUCTION_STACKS)}); remove the key"
            + (f"; lower one protection with {OPT_OUTS_KEY}" if is_production_stack(stack) else ""),
        )
    environment = raw.get("environment")
    if not isinstance(environment, str):
        return  # missing or not a string: the model names it
    if is_production_stack(stack) and environment != stack:
        raise ConfigError(
            source,
            f"{PROJECT}:environment",
            f"'{environment}' is not this stack's name; production stack '{stack}' is environment '{stack}'",
        )
    if not is_production_stack(stack) and is_production_stack(environment):
        raise ConfigError(
            source,
            f"{PROJECT}:environment",
            f"'{environment}' is a production stack's name, and stack '{stack}' is not production",
        )


def check_opt_outs(opt_outs: tuple[ProductionOptOut, ...], *, production: bool, source: str) -> None:
    key = f"{PROJECT}:{OPT_OUTS_KEY}"
    if opt_outs and not production:
        raise ConfigError(source, key, "applies only to production stacks, whose protections it lowers")
    seen: set[str] = set()
    for index, opt_out in enumerate(opt_outs):
        if opt_out.resource in seen:
            raise ConfigError(source, f"{key}[{index}].resource", f"'{opt_out.resource}' is opted out twice")
        seen.add(opt_out.resource)


def protection(
    name: str,
    *,
    production: bool,
    opt_outs: Collection[str],
    configured: bool | None = None,
    key: str | None = None,
    default: bool = False,
    source: str,
) -> bool:
    """Whether protection ``name`` (a key of OPT_OUTS) is on.

    Production: on, unless ``name`` is opted out; then off. Its config ``key`` (when it has one) may
    repeat that, but a key that says otherwise is an error naming it. Elsewhere: ``configured``, else
    ``default``.
    """
    if not production:
        return configured if configured is not None else default
    opted_out = name in opt_outs
    if configured is not None and configured == opted_out and key is not None:
        if opted_out:
            raise ConfigError(source, f"{PROJECT}:{key}",
                              f"is true, but {OPT_OUTS_KEY} lowers it ('{name}'); keep one of them")
        raise ConfigError(
            source,
            f"{PROJECT}:{key}",
            "cannot be turned off in a production environment; to lower it, add "
            f"{{resource: {name}, reason: ...}} to {OPT_OUTS_KEY}",
        )
    return not opted_out


class _PoolConfig(Protocol):
    """What :func:`user_pool_protections` reads of EnvConfig (components/config.py imports this module)."""

    @property
    def is_production(self) -> bool: ...

    @property
    def opt_out_names(self) -> frozenset[str]: ...

    @property
    def cognito(self) -> CognitoSettings: ...


class PoolProtections(NamedTuple):
    deletion_protection: bool
    protect: bool  # Pulumi protect


def user_pool_protections(config: _PoolConfig, source: str) -> PoolProtections:
    """The user pool's protections. Outside production Pulumi protect follows deletion protection."""
    deletion_protection = protection(
        "userPool.deletionProtection", production=config.is_production, opt_outs=config.opt_out_names,
        configured=config.cognito.deletion_protection, key="cognito.deletionProtection", source=source,
    )
    if not config.is_production:
        return PoolProtections(deletion_protection, deletion_protection)
    protect = protection("userPool.protect", production=True, opt_outs=config.opt_out_names, source=source)
    return PoolProtections(deletion_protection, protect)


def check_production_invariants(
    network: NetworkSettings,
    service: ServiceSettings,
    load_balancer: LoadBalancerSettings,
    fail: Callable[[str, str], ConfigError],
) -> None:
    """What a production stack must be, whatever else its config says.

    docs/configuration.md, "Production invariants".
    """
    if load_balancer.mode == "public" and load_balancer.certificate_arn is None:
        raise fail(
            "loadBalancer.mode",
            "is public (internet-facing) without loadBalancer.certificateArn: production serves HTTPS only"
            " (plain HTTP would carry bearer tokens in cleartext); use mode private or set a certificate",
        )
    if network.nat_gateways == "none":
        raise fail(
            "network.natGateways",
            "is none: production runs its tasks in private subnets without public IPs, leaving through"
            " NAT (single or per-az)",
        )
    problem = image_problem(service.image)
    if problem:
        raise fail("service.image", f"{problem} (production runs a pinned image)")
