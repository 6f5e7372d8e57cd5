"""Run a stack's program in-process under Pulumi's mock runtime and record what it declares.

This is how the project is verified without a cloud: the tests, ``python -m deploy plan`` and the
CrossGuard tests all call :func:`simulate`. Nothing here talks to AWS or needs the Pulumi CLI.

The mocks stand in for the provider: every resource gets a deterministic fake id and the outputs a
real provider would compute (in camelCase, as the engine sends them), from ``deploy/mock_outputs.py``.
The org stack's outputs reach the environment stacks through the mocked ``StackReference`` and the
engine's ``readStackOutputs`` function, exactly as they would through the real ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func

from components import config as stack_config
from deploy import mock_outputs
from iam_documents import documents

PROVIDER_TYPE_PREFIX = "pulumi:providers:"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
# The engine's built-in function that reads another stack's outputs (components/providers.py OrgStack).
READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"


@dataclass
class RecordedResource:
    """One resource as the engine would receive it: inputs, options and the mocked outputs."""

    urn: str
    type: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    id: str
    custom: bool
    remote: bool
    parent: str | None
    provider: str | None  # URN of the explicit provider, None when the default provider would be used
    providers: dict[str, str]  # package -> provider URN, for components
    protect: bool
    ignore_changes: list[str]
    import_id: str | None
    dependencies: list[str]
    delete_before_replace: bool
    retain_on_delete: bool
    # The URNs the resource answers to besides its own (``aliases=``), as the engine resolves them.
    aliases: list[str] = field(default_factory=list)
    sequence: int = 0  # the order of registrations and reads together, as the engine receives them

    @property
    def is_provider(self) -> bool:
        return self.type.startswith(PROVIDER_TYPE_PREFIX)

    def provider_setting(self, key: str) -> Any:
        """A provider input, decoded: the SDK sends structured provider settings as JSON text."""
        return documents.parse_json_text(self.inputs.get(key))


@dataclass
class Recording:
    """Everything one program run declared, and the stack outputs it returned."""

    stack: str
    resources: list[RecordedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    invoke_providers: list[str | None] = field(default_factory=list)  # provider URN of each invoke
    # Resources read with ``Resource.get(name, id)`` (the engine's ReadResource), in order.
    reads: list[RecordedResource] = field(default_factory=list)

    def of_type(self, type_: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> RecordedResource:
        matches = [r for r in self.of_type(type_) if name is None or r.name == name]
        if len(matches) != 1:
            raise AssertionError(f"expected one {type_} named {name!r}, found {len(matches)}")
        return matches[0]

    def by_urn(self, urn: str) -> RecordedResource:
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise KeyError(urn)

    def provider_of(self, resource: RecordedResource) -> RecordedResource | None:
        """The explicit provider a custom resource is created with (None: the default provider)."""
        return self.by_urn(resource.provider) if resource.provider else None

    @property
    def custom_resources(self) -> list[RecordedResource]:
        return [r for r in self.resources if r.custom and not r.is_provider]


class _Mocks(pulumi_mocks.Mocks):
    def __init__(
        self,
        recording: Recording,
        stack_outputs: Mapping[str, Mapping[str, Any]],
        invoke_results: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.recording = recording
        self.stack_outputs = stack_outputs
        self.invoke_results = invoke_results or {}

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        if args.typ == STACK_REFERENCE:
            name = str(args.inputs.get("name", args.name))
            outputs = self.stack_outputs.get(name)
            if outputs is None:
                raise KeyError(f"no outputs are known for stack reference '{name}'")
            return name, {"name": name, "outputs": dict(outputs), "secretOutputNames": []}
        if not args.custom:
            # Local components echo their inputs. A remote component (awsx) listed in
            # mock_outputs.SYNTHESIZED gets only its synthesized outputs: its output properties differ
            # from its inputs in name and type.
            synthesized = mock_outputs.SYNTHESIZED.get(args.typ)
            if synthesized:
                return f"{args.name}-component", synthesized(dict(args.inputs), args.name)
            return f"{args.name}-component", dict(args.inputs)
        inputs = dict(args.inputs)
        if args.typ == "aws:cognito/userPool:UserPool" and not inputs.get("region"):
            # The pool's endpoint (its JWT issuer) names the region of the provider it is created with.
            inputs["region"] = self._provider_region(args.provider)
        return mock_outputs.synthesize(args.typ, args.name, inputs)

    def _provider_region(self, reference: str | None) -> str | None:
        provider = self._provider(reference)
        return provider.inputs.get("region") if provider is not None else None

    def _provider(self, reference: str | None) -> RecordedResource | None:
        urn = _provider_urn(reference or "")
        return next((resource for resource in self.recording.resources if resource.urn == urn), None)

    def _pinned_account(self, reference: str | None) -> str | None:
        """The one account an explicit aws provider is pinned to (allowedAccountIds), if any."""
        provider = self._provider(reference)
        accounts = provider.provider_setting("allowedAccountIds") if provider is not None else None
        return str(accounts[0]) if isinstance(accounts, list) and len(accounts) == 1 else None

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        self.recording.invokes.append((args.token, dict(args.args)))
        self.recording.invoke_providers.append(_provider_urn(args.provider or ""))
        if args.token in self.invoke_results:
            return dict(self.invoke_results[args.token]), []
        if args.token == READ_STACK_OUTPUTS:  # the same outputs as the StackReference; unknown: a failure
            name, outputs = str(args.args.get("name")), self.stack_outputs.get(str(args.args.get("name")))
            if outputs is None:
                return {}, [("name", f"no outputs are known for stack '{name}'")]
            return {"name": name, "outputs": dict(outputs), "secretOutputNames": []}, []
        handler = mock_outputs.INVOKES.get(args.token)
        if handler is None:
            raise NotImplementedError(f"no mock result for provider function {args.token}")
        result = handler(dict(args.args))
        account = self._pinned_account(args.provider) if args.token == mock_outputs.CALLER_IDENTITY else None
        if account is not None:  # the provider refuses any other account: so does the mock
            result = {**result, "accountId": account, "arn": f"arn:aws:iam::{account}:user/mock"}
        return result, []


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """The stock mock monitor, plus a record of each registration's options (parent, provider, ...)."""

    def __init__(self, mocks: _Mocks) -> None:
        super().__init__(mocks)
        self.recording = mocks.recording

    def _next_sequence(self) -> int:
        return len(self.recording.resources) + len(self.recording.reads)

    def ReadResource(self, request: Any) -> Any:  # gRPC method name
        response = super().ReadResource(request)
        registered = self.resources[response.urn]
        self.recording.reads.append(
            RecordedResource(
                sequence=self._next_sequence(),
                urn=response.urn, type=request.type, name=request.name,
                inputs=rpc.deserialize_properties(request.properties), outputs=dict(registered.state),
                id=str(request.id), custom=True, remote=False, parent=request.parent or None,
                provider=_provider_urn(request.provider), providers={}, protect=False, ignore_changes=[],
                import_id=None, dependencies=list(request.dependencies), delete_before_replace=False,
                retain_on_delete=False,
            )
        )
        return response

    def RegisterResource(self, request: Any) -> Any:  # gRPC method name
        # Every registration is appended, so a duplicate URN shows twice (the mock keeps the last one).
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        registered = self.resources[response.urn]
        self.recording.resources.append(
            RecordedResource(
                sequence=self._next_sequence(),
                urn=response.urn,
                type=request.type,
                name=request.name,
                inputs=rpc.deserialize_properties(request.object),
                outputs=dict(registered.state),
                id=str(registered.id),
                custom=bool(request.custom),
                remote=bool(request.remote),
                parent=request.parent or None,
                provider=_provider_urn(request.provider),
                providers={k: _provider_urn(v) or "" for k, v in dict(request.providers).items()},
                protect=bool(request.protect),
                ignore_changes=list(request.ignoreChanges),
                import_id=request.importId or None,
                dependencies=list(request.dependencies),
                delete_before_replace=bool(request.deleteBeforeReplace),
                retain_on_delete=bool(request.retainOnDelete),
                # Deduplicated in order, as the engine's generateAliases does.
                aliases=list(dict.fromkeys(_alias_urn(a, request, response.urn) for a in request.aliases)),
            )
        )
        return response


ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def _alias_urn(alias: Any, request: Any, urn: str) -> str:
    """The URN an alias stands for, as the engine computes it from the SDK's alias spec.

    pulumi/pulumi pkg/resource/deploy/step_generator.go ``collapseAliasToUrn``: a spec's empty name,
    type, parent, project or stack default to the resource's own; a root-stack parent or ``noParent``
    means no parent; the URN is ``urn:pulumi:<stack>::<project>::[<parent's qualified type>$]<type>::<name>``
    (pkg/resource/urn.go ``NewURN``), where no engine URN holds the root stack's type (the mock monitor's
    top-level URNs do: it is dropped here). The SDK sends specs when the monitor supports them, as the
    mock monitor does (pulumi/runtime/resource.py ``prepare_aliases``). The parent's type is the one its
    recorded URN holds: exact for a top-level parent, as every aliased resource's here; for a deeper one
    the mock keeps only the parent's own type (see deploy/engine_rules.py). Not resolved: aliases of the
    parent itself (the engine then uses the parent's old URN; no parent here has aliases).
    """
    if alias.WhichOneof("alias") == "urn":
        return str(alias.urn)
    spec = alias.spec
    own_stack, own_project = urn.split("::")[0].removeprefix("urn:pulumi:"), urn.split("::")[1]
    parent = "" if spec.noParent else (spec.parentUrn or request.parent)
    parent_type = parent.split("::")[2] if parent else ""
    parent_type = "" if parent_type == ROOT_STACK_TYPE else parent_type.removeprefix(f"{ROOT_STACK_TYPE}$")
    prefix = f"{parent_type}$" if parent_type else ""
    return (
        f"urn:pulumi:{spec.stack or own_stack}::{spec.project or own_project}::"
        f"{prefix}{spec.type or request.type}::{spec.name or request.name}"
    )


def _provider_urn(reference: str) -> str | None:
    """A provider reference is ``<urn>::<id>``; keep the URN."""
    if not reference:
        return None
    return reference.rsplit("::", 1)[0]


def simulate(
    stack: str,
    program: Callable[[], Mapping[str, Any]],
    *,
    raw_config: Mapping[str, Any] | None = None,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    project: str = stack_config.PROJECT,
    recording: Recording | None = None,
    invoke_results: Mapping[str, Mapping[str, Any]] | None = None,
) -> Recording:
    """Run ``program`` as stack ``stack`` under mocks; return what it declared and its outputs.

    ``program`` returns the stack outputs (what ``__main__`` would export). ``raw_config`` is set as
    the engine's config (for code that reads ``pulumi.Config``); ``stack_outputs`` maps fully
    qualified stack names to the outputs a ``StackReference`` to them returns. Pass ``recording``
    to inspect what was declared even when the program raises. ``invoke_results`` replaces the
    mocked result of provider functions by token (e.g. an empty ``getInstances``).
    """
    recording = recording if recording is not None else Recording(stack=stack)
    mocks = _Mocks(recording, stack_outputs or {}, invoke_results)
    # The runtime's futures (the root stack resource's among them) belong to the loop current when
    # they are made, so the loop must exist before set_mocks.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    settings.set_root_resource(None)  # type: ignore[arg-type]
    pulumi_mocks.set_mocks(mocks, project=project, stack=stack, preview=False,
                           monitor=_RecordingMonitor(mocks))
    set_all_config(stack_config.config_env(stack, raw_config or {}))
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()

    async def run() -> None:
        outputs = program()
        resolved = await pulumi.Output.from_input(dict(outputs)).future()
        recording.outputs = dict(resolved or {})

    try:
        loop.run_until_complete(run_pulumi_func(lambda: run()))
    finally:
        asyncio.set_event_loop(None)
        loop.close()
        settings.set_root_resource(None)  # type: ignore[arg-type]
    return recording
