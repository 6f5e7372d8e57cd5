"""The real :class:`~deploy.runner.StackRunner`: Pulumi's Automation API on this project directory.

A local-program workspace (``Pulumi.yaml`` and the stack files at the project root, run by the Pulumi
CLI). The state backend is the one plain ``pulumi`` uses at the project root (``deploy.backend``):
``PULUMI_BACKEND_URL`` when set (S3, Pulumi Cloud, ...), otherwise ``backend.url`` of ``Pulumi.yaml``
(a file backend inside the project, ``.pulumi-state/``, created on first use). The secrets passphrase
comes from the environment. With a policy pack, the policy config file the driver wrote goes with it
(``--policy-pack-config``). Every Automation API error is turned into one sentence (see :func:`explain`).

A preview reads the engine's step events (``ResourcePreEvent``: op, type, URN of each step) so the
orchestrator can show and check what an update would do (deploy/changes.py). Given a plan file, the
preview saves Pulumi's update plan there and ``up`` applies it (``pulumi preview --save-plan FILE``,
``pulumi up --plan FILE``): the engine then refuses any operation the preview did not show. The CLI
accepts both flags without ``PULUMI_EXPERIMENTAL``; that variable only lists them in ``--help``
(pulumi/pulumi pkg/cmd/pulumi/operations/preview.go and up.go register them unconditionally and call
``MarkHidden`` unless it is set), and it would also switch the engine's other experimental behaviour on,
so the driver does not set it.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from components.config import ORG_STACK, PROJECT_ROOT
from deploy import backend as state_backend
from deploy.changes import ResourceStep
from deploy.progress import StackProgress
from deploy.runner import (
    ConcurrentUpdateError,
    OnOutput,
    OperationResult,
    SetupError,
    StackNotFoundError,
    StackOperationError,
    plain_changes,
)

BACKEND_VAR = state_backend.BACKEND_VAR
LOG_DIR = ".deploy-logs"  # the CLI's full output of the last up/refresh/destroy of each stack (gitignored)
PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
INSTALL_HINT = "install it from https://www.pulumi.com/docs/install/ (python -m deploy plan needs no CLI)"

# Messages of the AWS provider and SDK when it has no usable credentials.
_CREDENTIAL_ERRORS = re.compile(
    r"no valid credential sources|NoCredentialProviders|failed to refresh cached credentials|"
    r"ExpiredToken|InvalidClientTokenId|security token included in the request is (invalid|expired)|"
    r"unable to locate credentials|SSO session .* expired|failed to get shared config profile",
    re.IGNORECASE,
)

# An older CLI that lacks the update-plan flags.
_UNKNOWN_PLAN_FLAG = re.compile(r"unknown flag: --(save-)?plan\b")
# The engine's messages when an update departs from its plan (pulumi/pulumi
# pkg/engine/lifecycletest/update_plan_test.go: "resource <urn> violates plan: ...", "<op> is not allowed
# by the plan: ...", "expected resource operations for <urn> but none were seen").
_PLAN_VIOLATION = re.compile(
    r"[^\n]*(violates plan:|is not allowed by the plan|expected resource operations for \S+ but none)[^\n]*"
)

_LINE_PREFIX = re.compile(r"^\s*(std(out|err):\s*)?(error:\s*)?", re.IGNORECASE)


def workspace_env(
    root: Path, environ: Mapping[str, str], *, allow_local_backend: bool = False
) -> dict[str, str]:
    """Environment variables every Pulumi command of the driver gets.

    Raises SetupError when CI would keep its state in a local folder (unless allowed), or when a
    passphrase-encrypted backend has no passphrase in the environment.
    """
    resolved = state_backend.resolve(root, environ)
    state_backend.refuse_local_in_ci(resolved, environ, allow=allow_local_backend)
    # Passed explicitly (absolute for a file backend): the same URL the CLI would compute in the root.
    backend = resolved.url
    env = {BACKEND_VAR: backend, "PULUMI_SKIP_UPDATE_CHECK": "true"}
    passphrase = {name: environ[name] for name in PASSPHRASE_VARS if name in environ}
    secrets = state_backend.secrets_provider(root, environ, resolved)
    if not passphrase and needs_passphrase(backend, secrets):
        raise SetupError(
            f"PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) is not set: stacks in the "
            f"{backend} backend encrypt their secrets with a passphrase; export it and run again."
        )
    env.update(passphrase)
    return env


def needs_passphrase(backend: str, secrets_provider: str | None) -> bool:
    """A passphrase is needed unless the backend is Pulumi Cloud or the stacks use another provider."""
    if secrets_provider and not secrets_provider.startswith("passphrase"):
        return False
    return not backend.startswith(("https://", "http://"))


class AutomationRunner:
    """Runs preview/up/refresh/destroy/outputs on a stack of the project with the Pulumi CLI."""

    def __init__(
        self,
        root: Path = PROJECT_ROOT,
        *,
        environ: Mapping[str, str] | None = None,
        command_factory: Callable[[], auto.PulumiCommand] = auto.PulumiCommand,
        allow_local_backend: bool = False,
        policy_pack_config: Path | None = None,
        progress: Callable[[str, OnOutput], StackProgress] | None = None,
    ) -> None:
        self.root = Path(root)
        # With ``progress``, up/refresh/destroy show the engine's events per resource (deploy/progress.py)
        # and the CLI's own text goes to LOG_DIR/<stack>-<operation>.log instead of the screen.
        self.progress = progress
        environ = os.environ if environ is None else environ
        self.env_vars = workspace_env(self.root, environ, allow_local_backend=allow_local_backend)
        self.policy_pack_config = policy_pack_config
        # Given to `stack init` when the driver creates a stack (deploy/backend.py secrets_provider).
        resolved = state_backend.resolve(self.root, environ)
        self.secrets_provider = state_backend.secrets_provider(self.root, environ, resolved)
        self._state_key = state_backend.fallback_state_key(self.root, environ, resolved)
        self._resolved_secrets_provider: str | None = None  # the fallback, once org's outputs were read
        self.command = _make_command(command_factory)
        folder = state_backend.file_backend_folder(self.backend_url)
        if folder is not None:  # the CLI refuses a file backend whose folder does not exist
            folder.mkdir(parents=True, exist_ok=True)

    @property
    def backend_url(self) -> str:
        return self.env_vars[BACKEND_VAR]

    def _pack_configs(self, policy_packs: Sequence[str]) -> list[str] | None:
        """One ``--policy-pack-config`` per ``--policy-pack`` (the CLI pairs them by position)."""
        if not policy_packs or self.policy_pack_config is None:
            return None
        return [str(self.policy_pack_config)] * len(policy_packs)

    def set_program_env(self, values: Mapping[str, str]) -> None:
        """Variables every later Pulumi command (so the program) gets: the values deploy/derive.py found."""
        self.env_vars.update(values)

    def _options(self, secrets_provider: str | None = None) -> auto.LocalWorkspaceOptions:
        return auto.LocalWorkspaceOptions(
            env_vars=dict(self.env_vars), pulumi_command=self.command,
            secrets_provider=secrets_provider or self.secrets_provider,
        )

    def _new_stack_secrets_provider(self, name: str) -> str | None:
        """What ``stack init`` gets for a stack other than org. Without ``PULUMI_SECRETS_PROVIDER`` the
        fallback names the state key by its alias, which KMS resolves in the caller's own account only
        (KMS API Reference, Encrypt ``KeyId``), so a caller in another account (pre's CI role, a
        provisioner) could not create a stack with it. Once the org stack's ``accounts`` output gives the
        state account's id, the alias ARN is used instead; until then, or when org cannot be read, the
        alias name stays (and works for callers in the state account)."""
        key = self._state_key
        if key is None or name == ORG_STACK:
            return None
        if self._resolved_secrets_provider is None:
            try:
                accounts = self.outputs(ORG_STACK).get("accounts")
            except StackOperationError:
                accounts = None
            account_id = accounts.get(key.account) if isinstance(accounts, Mapping) else None
            self._resolved_secrets_provider = (
                key.by_alias_arn(str(account_id)) if account_id else key.by_alias_name
            )
        return self._resolved_secrets_provider

    def _stack(self, name: str, *, create: bool) -> auto.Stack:
        try:
            if create:
                return auto.create_or_select_stack(
                    name, work_dir=str(self.root), opts=self._options(self._new_stack_secrets_provider(name))
                )
            return auto.select_stack(name, work_dir=str(self.root), opts=self._options())
        except auto.StackNotFoundError:
            raise StackNotFoundError(
                f"stack {name} does not exist in the backend {self.backend_url}; "
                "nothing has been deployed to it"
            ) from None
        except auto.CommandError as error:
            raise explain(error, name, "select") from None

    def preview(
        self,
        stack: str,
        *,
        on_output: OnOutput,
        policy_packs: Sequence[str] = (),
        plan_file: Path | None = None,
    ) -> OperationResult:
        selected = self._stack(stack, create=True)
        steps: list[ResourceStep] = []
        try:
            result = selected.preview(
                on_output=on_output, on_error=on_output, policy_packs=list(policy_packs) or None,
                policy_pack_configs=self._pack_configs(policy_packs), color="never",
                on_event=lambda event: _collect_step(event, steps),
                plan=None if plan_file is None else str(plan_file),
            )
        except auto.CommandError as error:
            raise explain(error, stack, "preview") from None
        return OperationResult(changes=plain_changes(result.change_summary), steps=steps)

    def up(
        self,
        stack: str,
        *,
        on_output: OnOutput,
        policy_packs: Sequence[str] = (),
        plan_file: Path | None = None,
    ) -> OperationResult:
        selected = self._stack(stack, create=True)
        try:
            with self._progress(stack, "up", on_output) as (output, on_event):
                result = selected.up(
                    on_output=output, on_error=output, policy_packs=list(policy_packs) or None,
                    policy_pack_configs=self._pack_configs(policy_packs), color="never",
                    plan=None if plan_file is None else str(plan_file), on_event=on_event,
                )
        except auto.CommandError as error:
            raise explain(error, stack, "up") from None
        return OperationResult(
            changes=plain_changes(result.summary.resource_changes), outputs=_plain_outputs(result.outputs)
        )

    def refresh(self, stack: str, *, on_output: OnOutput) -> OperationResult:
        selected = self._stack(stack, create=False)
        try:
            with self._progress(stack, "refresh", on_output) as (output, on_event):
                result = selected.refresh(on_output=output, on_error=output, color="never", on_event=on_event)
        except auto.CommandError as error:
            raise explain(error, stack, "refresh") from None
        return OperationResult(changes=plain_changes(result.summary.resource_changes))

    def destroy(self, stack: str, *, on_output: OnOutput) -> OperationResult:
        try:
            selected = self._stack(stack, create=False)
        except StackNotFoundError:
            on_output(f"stack {stack} does not exist in {self.backend_url}: nothing to destroy")
            return OperationResult()
        try:
            with self._progress(stack, "destroy", on_output) as (output, on_event):
                result = selected.destroy(on_output=output, on_error=output, color="never", on_event=on_event)
        except auto.CommandError as error:
            raise explain(error, stack, "destroy") from None
        return OperationResult(changes=plain_changes(result.summary.resource_changes))

    @contextlib.contextmanager
    def _progress(
        self, stack: str, operation: str, on_output: OnOutput
    ) -> Iterator[tuple[OnOutput, Callable[[auto.EngineEvent], None] | None]]:
        """The output and event callbacks of one operation: the CLI's text as it is, or, with a progress
        factory, events rendered per resource and the text kept in a log file named at the end."""
        if self.progress is None:
            yield on_output, None
            return
        progress = self.progress(stack, on_output)
        log = self.root / LOG_DIR / f"{stack}-{operation}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w", encoding="utf-8") as handle:
            try:
                yield (lambda line: print(line, file=handle, flush=True)), progress.on_event
            finally:
                on_output(f"{progress.finish()}; the CLI's output is in {log.relative_to(self.root)}")

    def outputs(self, stack: str) -> dict[str, Any]:
        return self.outputs_with_secrets(stack)[0]

    def outputs_with_secrets(self, stack: str) -> tuple[dict[str, Any], set[str]]:
        """The stack's outputs in plain values, and the names of the secret ones."""
        selected = self._stack(stack, create=False)
        try:
            outputs = selected.outputs()
        except auto.CommandError as error:
            raise explain(error, stack, "stack output") from None
        return _plain_outputs(outputs), {key for key, value in outputs.items() if value.secret}


def _collect_step(event: auto.EngineEvent, steps: list[ResourceStep]) -> None:
    """Keep each step the engine announces (``ResourcePreEvent``); the events arrive in order."""
    pre = event.resource_pre_event
    if pre is None:
        return
    meta = pre.metadata
    op = getattr(meta.op, "value", meta.op)
    steps.append(ResourceStep(urn=meta.urn, type=meta.type, op=str(op), keys=tuple(meta.keys or ())))


def _make_command(factory: Callable[[], auto.PulumiCommand]) -> auto.PulumiCommand:
    try:
        return factory()
    except FileNotFoundError:
        raise SetupError(f"The Pulumi CLI was not found on PATH; {INSTALL_HINT}.") from None
    except auto.InvalidVersionError as error:
        raise SetupError(f"The installed Pulumi CLI cannot be used: {_first_line(str(error))}.") from None
    except OSError as error:
        raise SetupError(f"The Pulumi CLI could not be started ({error}); {INSTALL_HINT}.") from None


def _plain_outputs(outputs: Mapping[str, Any]) -> dict[str, Any]:
    return {key: getattr(value, "value", value) for key, value in outputs.items()}


def explain(error: auto.CommandError, stack: str, operation: str) -> StackOperationError:
    """One sentence for an Automation API error: what failed, on which stack, and why."""
    text = str(error)
    if isinstance(error, auto.ConcurrentUpdateError):
        return ConcurrentUpdateError(
            f"stack {stack} is locked by another update; wait for it to finish, or if none is running "
            f"clear the stale lock (Pulumi Cloud: `pulumi cancel --stack {stack}`)"
        )
    if "AlreadyInOrganizationException" in text:
        return StackOperationError(
            f"pulumi {operation} of stack {stack} failed: the management account already belongs to an "
            "organization; `python -m deploy up` adopts it by itself (plain pulumi: set "
            "landing-zone:organization.importId in Pulumi.org.yaml to its o-... id), then run again"
        )
    if _UNKNOWN_PLAN_FLAG.search(text):
        failure = SetupError(
            f"pulumi {operation} of stack {stack} failed: this Pulumi CLI does not know update plans "
            f"(--save-plan / --plan), which the driver uses to apply exactly what was previewed; upgrade it "
            "(https://www.pulumi.com/docs/install/)"
        )
        return _as_stack_error(failure)
    departed = _PLAN_VIOLATION.search(text)
    if departed:
        return StackOperationError(
            f"pulumi {operation} of stack {stack} stopped where the update departed from its preview "
            f"({_LINE_PREFIX.sub('', departed.group(0))}); what was applied before that "
            "stays, run up again for a new preview"
        )
    if _CREDENTIAL_ERRORS.search(text):
        failure = SetupError(
            f"pulumi {operation} of stack {stack} found no valid AWS credentials; set AWS_PROFILE (after "
            f"`aws sso login`) or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for the management account"
        )
        return _as_stack_error(failure)
    return StackOperationError(f"pulumi {operation} of stack {stack} failed: {_reason(text)}")


def _as_stack_error(error: SetupError) -> StackOperationError:
    wrapped = StackOperationError(str(error))
    wrapped.exit_code = error.exit_code
    return wrapped


def _reason(text: str) -> str:
    """The most useful line of a CLI failure: its ``error:`` line, else the last line of stderr."""
    stderr = text.split("stderr:", 1)[1] if "stderr:" in text else text
    stdout = text.split("stdout:", 1)[1].split("stderr:", 1)[0] if "stdout:" in text else ""
    for part in (stderr, stdout):
        for line in part.splitlines():
            stripped = line.strip()
            if stripped.lower().startswith("error:"):
                return stripped[len("error:") :].strip()
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else _first_line(text)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return text
