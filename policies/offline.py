"""Running the pack offline: every rule over a program run recorded under mocks, as the engine would
(for the tests and ``python -m deploy plan``), with the same policy config a Pulumi policy config file
holds, and the recorded stack's idle cost estimate.

The recording is typed by the shape this module reads (:class:`RecordingLike`), which
``deploy.simulate.Recording`` has: the pack never imports the driver or its mock harness.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVar

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
)

from policies.cost import CostEstimate, estimate_idle_cost
from policies.rules.base import Context, Props, StackFinding
from policies.rules.table import RULES, RULES_BY_NAME
from policies.violation import Violation


class RecordedResourceLike(Protocol):
    """What the runner reads of one recorded resource (``deploy.simulate.RecordedResource``)."""

    @property
    def urn(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def inputs(self) -> Mapping[str, Any]: ...
    @property
    def outputs(self) -> Mapping[str, Any]: ...
    @property
    def id(self) -> str: ...
    @property
    def custom(self) -> bool: ...
    @property
    def parent(self) -> str | None: ...
    @property
    def protect(self) -> bool: ...
    @property
    def ignore_changes(self) -> Sequence[str]: ...
    @property
    def dependencies(self) -> Sequence[str]: ...
    @property
    def delete_before_replace(self) -> bool: ...


RecordedResourceT = TypeVar("RecordedResourceT", bound=RecordedResourceLike)


class RecordingLike(Protocol[RecordedResourceT]):
    """What the runner reads of a recorded program run (``deploy.simulate.Recording``)."""

    @property
    def stack(self) -> str: ...
    @property
    def resources(self) -> Sequence[RecordedResourceT]: ...
    def provider_of(self, resource: RecordedResourceT) -> RecordedResourceT | None: ...


class GuardrailConfigError(ValueError):
    """The policy config given to the offline runner is invalid; the message is one line."""


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,), "number": (int, float), "string": (str,), "boolean": (bool,), "array": (list, tuple),
    "object": (dict,),
}


def resolve_config(config: Mapping[str, Any] | None) -> dict[str, tuple[EnforcementLevel, dict[str, Any]]]:
    """Each rule's enforcement level and settings (defaults overlaid with ``config``), validated."""
    config = dict(config or {})
    unknown = sorted(set(config) - set(RULES_BY_NAME) - {"all"})
    if unknown:
        raise GuardrailConfigError(
            f"policy config: unknown policy {unknown[0]!r} (known: {', '.join(RULES_BY_NAME)})")
    default_level = _level("all", config.get("all")) if "all" in config else None
    resolved = {}
    for rule in RULES:
        entry = config.get(rule.name, {})
        if isinstance(entry, str):
            entry = {"enforcementLevel": entry}
        if not isinstance(entry, Mapping):
            raise GuardrailConfigError(
                f"policy config: {rule.name}: must be an enforcement level or an object")
        level = default_level or rule.enforcement
        if "enforcementLevel" in entry:
            level = _level(rule.name, entry["enforcementLevel"])
        for key, value in entry.items():
            if key == "enforcementLevel":
                continue
            if key not in rule.config:
                raise GuardrailConfigError(f"policy config: {rule.name}.{key}: unknown setting "
                                           f"(known: {', '.join(rule.config) or 'none'})")
            kind = rule.config[key].get("type", "string")
            if not isinstance(value, _JSON_TYPES[kind]) or (kind != "boolean" and isinstance(value, bool)):
                raise GuardrailConfigError(
                    f"policy config: {rule.name}.{key}: expected {kind}, got {value!r}")
        resolved[rule.name] = (level, rule.settings(entry))
    return resolved


def _level(name: str, value: Any) -> EnforcementLevel:
    try:
        return EnforcementLevel(value)
    except ValueError:
        raise GuardrailConfigError(
            f"policy config: {name}: enforcement level {value!r} is not one of "
            f"{', '.join(level.value for level in EnforcementLevel)}") from None


def check_resource(rule_name: str, resource_type: str, props: Props, *, stack: str = "pre",
                   config: Mapping[str, Any] | None = None, name: str = "resource") -> list[str]:
    """The violation messages of one resource rule on one resource (empty when it complies)."""
    rule = RULES_BY_NAME[rule_name]
    if rule.check_resource is None or resource_type not in rule.types:
        return []
    ctx = Context(stack=stack, config=rule.settings(config), name=name)
    return list(rule.check_resource(resource_type, props, ctx))


def check_stack(rule_name: str, resources: Sequence[PolicyResource], *, stack: str = "pre",
                config: Mapping[str, Any] | None = None) -> list[StackFinding]:
    """The (message, urn) findings of one stack rule over a list of resources."""
    rule = RULES_BY_NAME[rule_name]
    assert rule.check_stack is not None, f"{rule_name} is not a stack rule"
    return list(rule.check_stack(resources, Context(stack=stack, config=rule.settings(config))))


def _options(resource: RecordedResourceLike) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=resource.protect, ignore_changes=list(resource.ignore_changes),
        delete_before_replace=resource.delete_before_replace, aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0), additional_secret_outputs=[], parent=resource.parent,
    )


def _provider(recording: RecordingLike[RecordedResourceT],
              resource: RecordedResourceT) -> PolicyProviderResource | None:
    provider = recording.provider_of(resource) if resource.custom else None
    if provider is None:
        return None
    return PolicyProviderResource(provider.type, dict(provider.inputs), provider.urn, provider.name)


def stack_resources(recording: RecordingLike[RecordedResourceT]) -> list[PolicyResource]:
    """The recording as the engine hands a stack to stack policies: final state (with ``id``),
    provider, parent and dependencies of each resource.

    Components also keep their inputs: under mocks the children of a remote component (an awsx VPC's
    NAT gateways) are never registered, so its inputs are all there is to judge it by.
    """
    resources: dict[str, PolicyResource] = {}
    for recorded in recording.resources:
        if recorded.custom:
            props = {**recorded.outputs, "id": recorded.outputs.get("id", recorded.id)}
        else:
            props = {**recorded.inputs, **recorded.outputs}
        resources[recorded.urn] = PolicyResource(
            recorded.type, props, recorded.urn, recorded.name, _options(recorded),
            _provider(recording, recorded), None, [], {},
        )
    for recorded in recording.resources:
        resource = resources[recorded.urn]
        resource.parent = resources.get(recorded.parent or "")
        resource.dependencies = [resources[urn] for urn in recorded.dependencies if urn in resources]
    return list(resources.values())


def check_recording(recording: RecordingLike[RecordedResourceT],
                    config: Mapping[str, Any] | None = None) -> list[Violation]:
    """Run every policy of the pack over a program run recorded under mocks, as the engine would:
    resource policies on each resource's inputs, stack policies on the whole stack's final state.

    ``config`` has the shape of a Pulumi policy config file. Disabled policies are skipped.
    """
    resolved = resolve_config(config)
    violations: list[Violation] = []
    stack_view = stack_resources(recording)
    for rule in RULES:
        level, settings = resolved[rule.name]
        if level == EnforcementLevel.DISABLED:
            continue
        shown = "mandatory" if level == EnforcementLevel.REMEDIATE else level.value
        if rule.check_resource is not None:
            for recorded in recording.resources:
                if recorded.type not in rule.types:
                    continue
                ctx = Context(stack=recording.stack, config=settings, name=recorded.name, urn=recorded.urn)
                for message in rule.check_resource(recorded.type, recorded.inputs, ctx):
                    violations.append(
                        Violation(rule.name, shown, f"'{recorded.name}': {message}", recorded.urn))
        else:
            assert rule.check_stack is not None
            for message, urn in rule.check_stack(stack_view, Context(stack=recording.stack, config=settings)):
                violations.append(Violation(rule.name, shown, message, urn))
    return violations


def estimate_recording_cost(recording: RecordingLike[RecordedResourceT],
                            organization_accounts: int | None = None) -> CostEstimate:
    """The idle monthly cost estimate of a recorded stack (what ``plan`` can print); the organization-wide
    services are counted for ``organization_accounts`` accounts (default: AWS's quota, 10)."""
    return estimate_idle_cost(stack_resources(recording), organization_accounts=organization_accounts)
