"""Engine rules that the mock runtime skips: what the Pulumi engine refuses at registration, checked on
the recording of a stack's program (a stack check, see deploy/stack_checks.py).

Pulumi's mock monitor registers whatever it is sent. The real engine does not; these rules were read
from its source (pulumi/pulumi, ``pkg/resource/deploy``):

- default providers: ``source_eval.go`` ``defaultProviders.shouldDenyRequest`` reads
  ``pulumi:disable-default-providers`` (a list of package names or ``*``; the ``pulumi`` package is
  always allowed). A custom resource, remote component or invoke of a denied package without an
  explicit provider of that package fails: ``resmon.RegisterResource`` (remote components),
  ``step_generator.go`` ``loadResourceProvider`` (custom resources), ``resmon.ReadResource``, and
  ``resmon.getProviderFromSource`` (invokes) all raise "Default provider for '<pkg>' disabled".
  The provider is resolved as ``resmon.resolveProvider`` does: the request's ``provider``, else its
  ``providers`` map entry for the package, else the parent component's map entry.
- provider references: ``providers/reference.go`` ``ParseReference`` accepts only the URN of a
  ``pulumi:providers:<pkg>`` resource; ``loadResourceProvider`` fails on a provider that was not
  registered ("unknown provider"), and ``snapshot.go`` ``VerifyIntegrity`` on one registered after
  the resource. A provider of another package is refused by the SDK for custom resources
  (``pulumi/resource.py``); for invokes and providers-map entries the engine hands the request to
  that other package's plugin, which does not know the token.
- URNs: ``step_generator.go`` ``generateURN`` stops the update on a duplicate URN. The engine's URN
  holds the parent's full type chain (``deployment.go`` ``generateURN``); the mock's keeps only the
  parent's own type, so the URNs are recomputed here.
- parents and dependencies: ``step_generator.go`` ``checkParent`` ("could not find parent
  resource") and ``snapshot.go`` ``VerifyIntegrity`` (parents and dependencies come first).
- type tokens: ``resmon.RegisterResource`` parses custom and remote types as ``pkg:module:Name``.
- aliases: ``step_generator.go`` ``generateSteps`` fails with "Duplicate resource alias" (diag 2008) when
  a resource claims, through an alias found in state, a URN another resource of the program holds or
  another alias already claimed. It depends on the state, but is exactly the case an alias is for, so
  any such alias is refused here.
- imports: ``step_generator.go`` ``generateSteps`` imports only custom resources; the SDK sends
  ``import_`` of a component too, and the engine drops it without a word.

Also checked, because its effect is silently lost rather than refused: an ``ignoreChanges`` entry must
name an input property of the resource's type (from the SDK's Args class); otherwise nothing is
ignored and, for an account, a refresh plans a replacement (see components/landing_zone.py).
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from deploy.simulate import PROVIDER_TYPE_PREFIX, RecordedResource, Recording
from deploy.stack_checks import ERROR, WARNING, Finding, StackContext

CHECK = "engine"
_Error = Callable[[str], Finding]  # makes an error finding about the resource being checked
DISABLE_DEFAULT_PROVIDERS = "pulumi:disable-default-providers"
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"
ALWAYS_ALLOWED = "pulumi"  # shouldDenyRequest never denies the pulumi package (StackReference, getResource)
_SOURCE = "pulumi/pulumi pkg/resource/deploy"

# Packages whose remote components create resources of other packages: the component provider registers
# those children with the providers map it is given (source_eval.go passes it in ConstructOptions), so
# that map needs an entry for each child package whose default provider is disabled.
CHILD_PACKAGES: dict[str, tuple[str, ...]] = {"awsx": ("aws",)}


@dataclass(frozen=True)
class DisabledProviders:
    """The packages whose default provider the engine refuses to create."""

    packages: frozenset[str] = frozenset()

    def covers(self, package: str) -> bool:
        if package == ALWAYS_ALLOWED:
            return False
        return "*" in self.packages or package in self.packages


def engine_rules(context: StackContext) -> list[Finding]:
    """The stack check: the setting itself, then every registration and invoke of the recording."""
    disabled, findings = read_disabled_providers(context.file_config, context.source)
    if context.recording is not None:
        findings.extend(registration_findings(context.recording, disabled))
    return findings


def read_disabled_providers(
    file_config: Mapping[str, Any], source: str
) -> tuple[DisabledProviders, list[Finding]]:
    """``pulumi:disable-default-providers`` as the engine reads it (shouldDenyRequest)."""
    where = f"{source}: {DISABLE_DEFAULT_PROVIDERS}"
    if DISABLE_DEFAULT_PROVIDERS not in file_config:
        return DisabledProviders(), [
            Finding(CHECK, WARNING, where, "is not set: a resource that forgets its provider would use the "
                    "default provider, that is the ambient credentials (set it to [\"*\"])")
        ]
    value = file_config[DISABLE_DEFAULT_PROVIDERS]
    if isinstance(value, str):
        if not value.strip():
            return DisabledProviders(), []  # the engine reads an empty value as an empty list
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            value = None
    if not isinstance(value, list):
        return DisabledProviders(frozenset("*")), [
            Finding(CHECK, ERROR, where, "must be a list of package names or \"*\"; the engine cannot parse "
                    f"{file_config[DISABLE_DEFAULT_PROVIDERS]!r} and fails every default provider request")
        ]
    packages: set[str] = set()
    findings = []
    for index, item in enumerate(value):
        if not isinstance(item, str):
            findings.append(Finding(CHECK, ERROR, f"{where}[{index}]", "must be a string; the engine fails "
                                    "every default provider request while it is not"))
            continue
        packages.add(item.strip())
    return DisabledProviders(frozenset(packages)), findings


def package_of(token: str) -> str:
    """The package of a type or function token: its first segment (``aws:ec2/vpc:Vpc`` -> ``aws``)."""
    return token.split(":", 1)[0]


def provider_package(provider_urn: str) -> str | None:
    """``urn:...::pulumi:providers:aws::name`` -> ``aws``; None when the URN is not a provider's."""
    resource_type = _qualified_type(provider_urn).rsplit("$", 1)[-1]
    if not resource_type.startswith(PROVIDER_TYPE_PREFIX):
        return None
    return resource_type[len(PROVIDER_TYPE_PREFIX):] or None


def _qualified_type(urn: str) -> str:
    parts = urn.split("::", 3)
    return parts[2] if len(parts) == 4 else ""


def _is_root_stack(urn: str) -> bool:
    return _qualified_type(urn).rsplit("$", 1)[-1] == ROOT_STACK_TYPE


def _where(resource: RecordedResource) -> str:
    return f"{resource.name} ({resource.type})"


@dataclass
class _Registrations:
    """What the engine knows at each point of the program: registered URNs, providers, component maps."""

    urns: dict[str, int] = field(default_factory=dict)  # mock URN -> position of its first registration
    engine_types: dict[str, str] = field(default_factory=dict)  # mock URN -> the engine's qualified type
    engine_urns: set[str] = field(default_factory=set)
    providers: set[str] = field(default_factory=set)  # provider URNs registered so far
    component_providers: dict[str, dict[str, str]] = field(default_factory=dict)  # resmon.componentProviders


def registration_findings(recording: Recording, disabled: DisabledProviders) -> list[Finding]:
    """Replay the recording's registrations (in order) and invokes through the engine's rules."""
    state = _Registrations()
    findings: list[Finding] = []
    registrations = sorted([*recording.resources, *recording.reads], key=lambda r: r.sequence)
    all_urns = {resource.urn for resource in registrations}
    for position, resource in enumerate(registrations):
        findings.extend(_check_registration(resource, state, all_urns, disabled))
        _register(resource, position, state)
    for (token, _), provider in zip(recording.invokes, recording.invoke_providers, strict=True):
        findings.extend(_check_invoke(token, provider, state, disabled))
    findings.extend(_check_aliases(registrations, state.engine_urns | all_urns))
    return findings


def _check_aliases(registrations: list[RecordedResource], urns: set[str]) -> Iterator[Finding]:
    claimed: dict[str, str] = {}  # alias -> the resource that claims it
    for resource in registrations:
        for alias in resource.aliases:
            if alias != resource.urn and alias in urns:
                holder = alias
            elif alias in claimed and claimed[alias] != resource.urn:
                holder = claimed[alias]
            else:
                claimed[alias] = resource.urn
                continue
            yield Finding(CHECK, ERROR, _where(resource),
                          f"the engine stops the update once '{alias}' is in state: Duplicate resource alias "
                          f"applied to {resource.urn} conflicting with {holder} (step_generator.go "
                          "generateSteps)")


def _check_registration(
    resource: RecordedResource,
    state: _Registrations,
    all_urns: set[str],
    disabled: DisabledProviders,
) -> Iterator[Finding]:
    where = _where(resource)

    def error(message: str) -> Finding:
        return Finding(CHECK, ERROR, where, message)

    if (resource.custom or resource.remote) and not _is_type_token(resource.type):
        yield error(f"the engine refuses it: '{resource.type}' is not a type token 'package:module:Name' "
                    "(source_eval.go RegisterResource)")
    parent = resource.parent
    if parent and not _is_root_stack(parent) and parent not in state.urns:
        later = "is registered after it" if parent in all_urns else "is never registered"
        yield error(f"the engine refuses it: could not find parent resource {parent} (its parent {later}; "
                    "step_generator.go checkParent)")
    engine_urn = _engine_urn(resource, state)
    if engine_urn in state.engine_urns:
        yield error(f"the engine stops the update: Duplicate resource URN '{engine_urn}'; try giving it a "
                    "unique name (step_generator.go generateURN)")
    if resource.import_id and not resource.custom:
        yield error(f"the engine ignores import '{resource.import_id}' on a component: only a custom "
                    "resource is imported (step_generator.go generateSteps, isImport), so nothing is adopted")
    for dependency in resource.dependencies:
        if dependency not in state.urns:
            yield error(f"the engine refuses the snapshot: its dependency {dependency} is not registered "
                        "before it (snapshot.go VerifyIntegrity)")
    if resource.is_provider or not (resource.custom or resource.remote):
        yield from _check_provider_map(resource, state, error)
        return
    yield from _check_provider_refs(resource, state, error)
    yield from _check_default_providers(resource, state, disabled, error)
    if resource.custom:
        yield from _check_ignore_changes(resource, error)


def _check_provider_refs(
    resource: RecordedResource, state: _Registrations, error: _Error
) -> Iterator[Finding]:
    """The request's ``provider``: a registered provider of the resource's own package."""
    package = package_of(resource.type)
    if resource.provider:
        problem = _reference_problem(resource.provider, state)
        if problem:
            yield error(problem)
        elif provider_package(resource.provider) != package:
            other = provider_package(resource.provider)
            sdk = (f" (the SDK refuses it too, pulumi/resource.py: \"Attempted to register resource "
                   f"{resource.type} with a provider for '{other}'\")") if resource.custom else ""
            yield error(f"the engine refuses it: its provider is a '{other}' provider, not one of package "
                        f"'{package}'{sdk}")
    yield from _check_provider_map(resource, state, error)


def _check_provider_map(
    resource: RecordedResource, state: _Registrations, error: _Error
) -> Iterator[Finding]:
    """Each ``providers`` entry: a registered provider whose package is the entry's key."""
    for key, urn in sorted(resource.providers.items()):
        problem = _reference_problem(urn, state)
        if problem:
            yield error(f"providers['{key}']: {problem}")
        elif provider_package(urn) != key:
            yield error(f"providers['{key}'] is a '{provider_package(urn)}' provider: the engine hands "
                        f"every '{key}' resource below it to the '{provider_package(urn)}' plugin, which "
                        "does not manage them")


def _reference_problem(urn: str, state: _Registrations) -> str | None:
    if provider_package(urn) is None:
        return (f"the engine refuses it: bad provider reference '{urn}': not a pulumi:providers:<package> "
                "resource (providers/reference.go ParseReference)")
    if urn not in state.providers:
        return (f"the engine refuses it: unknown provider '{urn}' (not registered before it; "
                "step_generator.go loadResourceProvider, snapshot.go VerifyIntegrity)")
    return None


def _resolved_provider(resource: RecordedResource, package: str, state: _Registrations) -> str | None:
    """The provider the engine uses for ``package`` (source_eval.go resmon.resolveProvider)."""
    if resource.provider:
        return resource.provider
    if package in resource.providers:
        return resource.providers[package]
    return state.component_providers.get(resource.parent or "", {}).get(package)


def _check_default_providers(
    resource: RecordedResource, state: _Registrations, disabled: DisabledProviders, error: _Error
) -> Iterator[Finding]:
    package = package_of(resource.type)
    if disabled.covers(package) and not _resolved_provider(resource, package, state):
        kind = "remote component" if resource.remote else "resource"
        yield error(f"the engine refuses this {kind}: Default provider for '{package}' disabled. "
                    f"'{resource.type}' must use an explicit provider (give it provider= a provider of "
                    f"package '{package}'; source_eval.go RegisterResource)")
    if not resource.remote:
        return
    providers = {**state.component_providers.get(resource.parent or "", {}), **resource.providers}
    for child_package in CHILD_PACKAGES.get(package, ()):
        if disabled.covers(child_package) and child_package not in providers:
            yield error(f"the engine refuses its children: a '{package}' component creates "
                        f"'{child_package}' resources with the providers map it is given, and that map has "
                        f"no '{child_package}' entry: Default provider for '{child_package}' disabled "
                        f"(give it providers={{\"{child_package}\": ...}})")


def _check_invoke(
    token: str, provider: str | None, state: _Registrations, disabled: DisabledProviders
) -> Iterator[Finding]:
    where = f"{token} (invoke)"
    package = package_of(token)
    if provider:
        if provider_package(provider) is None:
            yield Finding(CHECK, ERROR, where, f"the engine refuses it: bad provider reference '{provider}' "
                          "(providers/reference.go ParseReference)")
        elif provider not in state.providers:
            yield Finding(CHECK, ERROR, where, f"the engine refuses it: unknown provider '{provider}' "
                          "(source_eval.go getProviderFromSource)")
        elif provider_package(provider) != package:
            yield Finding(CHECK, ERROR, where, f"the invoke fails: the engine sends it to its "
                          f"'{provider_package(provider)}' provider, which has no function {token} "
                          "(source_eval.go Invoke)")
    elif disabled.covers(package):
        yield Finding(CHECK, ERROR, where, f"the engine refuses it: Invoke: Default provider for '{package}' "
                      f"disabled. '{token}' must use an explicit provider (pass "
                      "opts=pulumi.InvokeOptions(provider=...); source_eval.go getProviderFromSource)")


def _register(resource: RecordedResource, position: int, state: _Registrations) -> None:
    state.urns.setdefault(resource.urn, position)
    state.engine_urns.add(_engine_urn(resource, state))
    state.engine_types.setdefault(resource.urn, _engine_type(resource, state))
    if resource.is_provider:
        state.providers.add(resource.urn)
    if not resource.custom:
        # resmon.RegisterResource: a component's map, plus its parent component's entries it lacks.
        inherited = state.component_providers.get(resource.parent or "", {})
        state.component_providers.setdefault(resource.urn, {**inherited, **resource.providers})


def _engine_type(resource: RecordedResource, state: _Registrations) -> str:
    """The qualified type in the engine's URN: the parent's full chain, the root stack left out."""
    parent_type = state.engine_types.get(resource.parent or "")
    return f"{parent_type}${resource.type}" if parent_type else resource.type


def _engine_urn(resource: RecordedResource, state: _Registrations) -> str:
    prefix, project = resource.urn.split("::", 2)[:2]
    return f"{prefix}::{project}::{_engine_type(resource, state)}::{resource.name}"


def _is_type_token(token: str) -> bool:
    parts = token.split(":")
    return len(parts) == 3 and all(parts)


# --- ignoreChanges -------------------------------------------------------------------------------

_PATH_HEAD = re.compile(r'^(?:\["(?P<quoted>[^"]+)"\]|(?P<plain>[^.\[\]]+))')


def _check_ignore_changes(resource: RecordedResource, error: _Error) -> Iterator[Finding]:
    names = input_names(resource.type)
    if names is None:
        return  # a type the installed SDKs do not describe: nothing to compare with
    for path in resource.ignore_changes:
        match = _PATH_HEAD.match(path)
        head = match and (match.group("quoted") or match.group("plain"))
        if not head:
            yield error(f"ignoreChanges '{path}' is not a property path: the engine skips it and ignores "
                        "nothing (step_generator.go processIgnoreChanges)")
        elif head != "*" and head not in names:
            yield error(f"ignoreChanges '{path}' names no input of {resource.type} (inputs: "
                        f"{', '.join(sorted(names))}): nothing is ignored, so a change to the intended "
                        "property still updates or replaces the resource")


@cache
def input_names(resource_type: str) -> frozenset[str] | None:
    """The input property names of a resource type, from the SDK's generated Args class (or None)."""
    from pulumi import _types
    from pulumi.runtime.rpc import get_resource_module

    package, module_name = resource_type.split(":")[:2]
    module = get_resource_module(package, module_name, "")
    info = getattr(module, "mod_info", None)  # the generated SDKs' _utilities.Module
    if not isinstance(info, Mapping):
        return None
    class_name = info.get("classes", {}).get(resource_type)
    try:
        args_class = getattr(importlib.import_module(info["fqn"]), f"{class_name}Args", None)
    except ImportError:
        return None
    if args_class is None or not _types.is_input_type(args_class):
        return None
    names = frozenset(_types.input_type_py_to_pulumi_names(args_class).values())
    if package == "aws" and "tags" in names:
        # The AWS provider's Check adds the merged default and resource tags as the input ``tagsAll``
        # (pulumi/pulumi-aws #4169, PreCheckCallback; the state's inputs hold it, #4204), so an import
        # compares it too although the SDK's Args class does not declare it.
        names |= {"tagsAll"}
    return names
