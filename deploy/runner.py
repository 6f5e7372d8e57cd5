"""The interface between the orchestration and whatever runs a stack operation.

:class:`StackRunner` is what the orchestrator calls, one stack at a time. The real implementation is
``deploy.automation.AutomationRunner`` (Pulumi's Automation API on this project directory); the tests
use a fake. Failures are raised as the exceptions below, each with a one-sentence message for the user.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from deploy.changes import ResourceStep

OnOutput = Callable[[str], None]

# Exit codes: documented in docs/driver.md and used by CI.
EXIT_OK = 0
EXIT_FAILED = 1  # a stack operation, readiness wait, smoke check or plan validation failed
EXIT_USAGE = 2  # bad arguments, confirmation refused / impossible, a stateful replace not allowed
EXIT_SETUP = 3  # the machine is not set up: no Pulumi CLI, no passphrase, no AWS credentials
EXIT_CONCURRENT = 4  # another update holds a stack's lock: retry later
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)


@dataclass
class OperationResult:
    """What one stack operation changed; ``outputs`` after ``up``; the engine's steps after ``preview``."""

    changes: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    steps: list[ResourceStep] = field(default_factory=list)


class DeployError(Exception):
    """A failure the user must see as one clear sentence (``str()``), never as a traceback."""

    exit_code = EXIT_FAILED


class SetupError(DeployError):
    """The machine is not ready to deploy (missing CLI, passphrase, credentials, policy pack)."""

    exit_code = EXIT_SETUP


class StackOperationError(DeployError):
    """A Pulumi operation on one stack failed."""


class ConcurrentUpdateError(StackOperationError):
    exit_code = EXIT_CONCURRENT


class StackNotFoundError(StackOperationError):
    """The stack does not exist in the backend (nothing deployed yet)."""


class RefusedChangeError(DeployError):
    """``up`` stopped after a preview: a stateful replace or delete not allowed, or the user said no."""

    exit_code = EXIT_USAGE


class ReadinessError(DeployError):
    """An account did not accept role assumption in time."""


class SmokeCheckError(DeployError):
    """A deployed environment did not answer as expected."""


class StackRunner(Protocol):
    """Runs Pulumi operations on one stack of this project.

    ``preview`` with a ``plan_file`` saves the update plan there (``pulumi preview --save-plan``); ``up``
    with it applies that plan and nothing else (``pulumi up --plan``).
    """

    def preview(
        self,
        stack: str,
        *,
        on_output: OnOutput,
        policy_packs: Sequence[str] = (),
        plan_file: Path | None = None,
    ) -> OperationResult: ...

    def up(
        self,
        stack: str,
        *,
        on_output: OnOutput,
        policy_packs: Sequence[str] = (),
        plan_file: Path | None = None,
    ) -> OperationResult: ...

    def refresh(self, stack: str, *, on_output: OnOutput) -> OperationResult: ...

    def destroy(self, stack: str, *, on_output: OnOutput) -> OperationResult: ...

    def outputs(self, stack: str) -> dict[str, Any]: ...


def plain_changes(changes: Mapping[Any, int] | None) -> dict[str, int]:
    """Change counts keyed by plain operation names (``create``, ``update``, ...)."""
    result: dict[str, int] = {}
    for op, count in (changes or {}).items():
        key = str(getattr(op, "value", op))
        result[key] = result.get(key, 0) + int(count)
    return result


def format_changes(changes: Mapping[str, int]) -> str:
    """``create 3, update 1`` (unchanged resources left out), or ``no changes``."""
    order = ["create", "update", "replace", "delete", "create-replacement", "delete-replaced"]
    keys = [k for k in order if changes.get(k)] + sorted(
        k for k in changes if k not in order and k != "same" and changes[k]
    )
    if not keys:
        return "no changes"
    return ", ".join(f"{key} {changes[key]}" for key in keys)
