"""Runs an operation over the stacks in order, with the gates between them.

``up``: ``org`` → wait until the accounts each later stack needs accept role assumption → ``pre`` →
smoke check → ``prod`` → smoke check. Each stack's ``up`` is a preview first, which saves Pulumi's update
plan and is summarized (deploy/changes.py); a replace or delete of a stateful resource that
``allow_replace`` does not name stops the run there; an interactive run asks (``confirm``) after the
preview; then ``up`` applies that plan and nothing else. Before an environment's ``preview`` or ``up``
(after its readiness wait), ``environment_check`` may stop it (deploy/aurora_version.py). ``destroy`` runs
in reverse and leaves ``org``
alone unless it is named. A failure stops everything after it and the summary says which stack failed
and why; that holds for an unexpected exception and for Ctrl-C too, so the summary (and ``--json``)
always shows each stack's outcome, including the stacks that had already succeeded.

The orchestrator only talks to a :class:`~deploy.runner.StackRunner` and two gate callables, so it is
tested with fakes; ``deploy.automation``, ``deploy.readiness`` and ``deploy.smoke`` are the real ones.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from deploy.changes import PreviewReport, fold
from deploy.runner import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    DeployError,
    OperationResult,
    RefusedChangeError,
    StackRunner,
    format_changes,
)
from deploy.stacks import ORG, StackTable

Operation = Literal["preview", "up", "refresh", "destroy"]
OPERATIONS: tuple[Operation, ...] = ("preview", "up", "refresh", "destroy")
Emit = Callable[[str], None]

SUCCEEDED = "succeeded"
FAILED = "failed"
NOT_RUN = "not run"
SKIPPED = "skipped"


class ReadinessGate(Protocol):
    """Blocks until the accounts ``stack`` deploys into accept role assumption; raises ReadinessError."""

    def __call__(self, stack: str, org_outputs: Mapping[str, Any], emit: Emit) -> None: ...


class ReferenceGate(Protocol):
    """Raises DeployError if environment ``stack`` uses what ``org_outputs`` lack (deploy/org_references)."""

    def __call__(self, stack: str, org_outputs: Mapping[str, Any]) -> None: ...


class SmokeGate(Protocol):
    """Checks a deployed environment from the outside; raises SmokeCheckError."""

    def __call__(self, stack: str, outputs: Mapping[str, Any], emit: Emit) -> None: ...


class Confirm(Protocol):
    """Asks whether to apply what ``report`` shows to ``stack``; True to go on."""

    def __call__(self, stack: str, report: PreviewReport) -> bool: ...


class EnvironmentCheck(Protocol):
    """Runs before an environment's ``preview`` and ``up`` (deploy/aurora_version.py); raises DeployError
    to stop that stack before any Pulumi command. ``org_outputs`` reads org's outputs when called."""

    def __call__(self, stack: str, org_outputs: Callable[[], Mapping[str, Any]], emit: Emit) -> None: ...


class BeforeApply(Protocol):
    """Runs after a stack's preview was accepted, before its ``up`` (deploy/derive.py's one change)."""

    def __call__(self, stack: str, emit: Emit) -> None: ...


@dataclass
class StackOutcome:
    stack: str
    result: str
    changes: dict[str, int] = field(default_factory=dict)
    duration: float | None = None
    message: str = ""
    exit_code: int = EXIT_OK
    preview: PreviewReport | None = None  # what the preview of ``up`` or ``preview`` showed

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "result": self.result,
            "changes": dict(self.changes),
            "duration_seconds": None if self.duration is None else round(self.duration, 3),
            "message": self.message,
            "previewed": dict(self.preview.counts) if self.preview else {},
            "stateful_changes": [c.to_json() for c in self.preview.stateful] if self.preview else [],
        }


@dataclass
class Summary:
    command: str
    outcomes: list[StackOutcome]

    @property
    def exit_code(self) -> int:
        for outcome in self.outcomes:
            if outcome.result == FAILED:
                return outcome.exit_code or EXIT_FAILED
        if any(outcome.result == NOT_RUN for outcome in self.outcomes):
            return EXIT_FAILED
        return EXIT_OK

    @property
    def ok(self) -> bool:
        return self.exit_code == EXIT_OK

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "ok": self.ok,
            "exit_code": self.exit_code,
            "stacks": [outcome.to_json() for outcome in self.outcomes],
        }

    def table(self) -> str:
        rows = [("stack", "result", "changes", "duration", "details")]
        for outcome in self.outcomes:
            ran = outcome.result in (SUCCEEDED, FAILED)
            rows.append(
                (
                    outcome.stack,
                    outcome.result,
                    format_changes(outcome.changes) if ran and outcome.changes else "-",
                    format_duration(outcome.duration),
                    outcome.message,
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = [
            "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)) + "  " + row[4]
            for row in rows
        ]
        return "\n".join(line.rstrip() for line in lines)


def _one_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"


class Orchestrator:
    def __init__(
        self,
        runner: StackRunner,
        *,
        stacks: StackTable,
        readiness: ReadinessGate | None = None,
        smoke: SmokeGate | None = None,
        references: ReferenceGate | None = None,
        emit: Emit = print,
        clock: Callable[[], float] = time.monotonic,
        allow_replace: Sequence[str] = (),
        confirm: Confirm | None = None,
        before_apply: BeforeApply | None = None,
        environment_check: EnvironmentCheck | None = None,
    ) -> None:
        self.runner = runner
        self.stacks = stacks  # the order, needs and gates (deploy/stacks.py)
        self.readiness = readiness
        self.smoke = smoke
        self.references = references
        self.clock = clock
        self.allow_replace = tuple(allow_replace)
        self.confirm = confirm  # None: apply without asking (--yes)
        self.before_apply = before_apply
        self.environment_check = environment_check
        self._lock = threading.Lock()
        self._emit = emit
        self._org_outputs: dict[str, Any] | None = None
        self._plan_dir: Path | None = None

    def emit(self, line: str) -> None:
        with self._lock:
            self._emit(line)

    def run(
        self,
        operation: Operation,
        names: Sequence[str] | None = None,
        *,
        parallel: bool = False,
        policy_packs: Sequence[str] = (),
    ) -> Summary:
        """Run ``operation`` on the stacks ``names`` (None: the default selection) in order."""
        reverse = operation == "destroy"
        selected = self.stacks.ordered(names, reverse=reverse)
        outcomes: dict[str, StackOutcome] = {}
        if reverse and names is None:
            # destroy never touches org or a production stack unless it is named explicitly.
            for kept in self.stacks.kept_from_destroy():
                selected.remove(kept)
                message = f"destroy touches {kept} only when named: --stack {kept}"
                outcomes[kept] = StackOutcome(kept, SKIPPED, message=message)
        groups = self.stacks.waves(selected, reverse=reverse, parallel=parallel)
        self._org_outputs = None
        if operation == "up":
            # The update plans of this run: private to the user (mkdtemp is 0700), gone when it ends.
            with tempfile.TemporaryDirectory(prefix="deploy-plans-") as plan_dir:
                self._plan_dir = Path(plan_dir)
                try:
                    self._run_groups(operation, groups, policy_packs, outcomes)
                finally:
                    self._plan_dir = None
        else:
            self._run_groups(operation, groups, policy_packs, outcomes)
        order = self.stacks.ordered(None, reverse=reverse)
        return Summary(operation, [outcomes[name] for name in order if name in outcomes])

    def _run_groups(
        self,
        operation: Operation,
        groups: Sequence[Sequence[str]],
        policy_packs: Sequence[str],
        outcomes: dict[str, StackOutcome],
    ) -> None:
        failed: str | None = None
        references_checked = operation not in ("preview", "up") or self.references is None
        for index, group in enumerate(groups):
            environment_group = any(self.stacks.spec(name).is_environment for name in group)
            if failed is None and not references_checked and environment_group:
                # Before the first environment runs (after org, when org runs too): every selected one.
                references_checked = True
                environments = [
                    n for later in groups[index:] for n in later if self.stacks.spec(n).is_environment
                ]
                for outcome in self._refused_references(environments):
                    outcomes[outcome.stack] = outcome
                    failed = failed or outcome.stack
            if failed is not None:
                for name in group:
                    not_run = StackOutcome(name, NOT_RUN, message=f"not run: {failed} failed")
                    outcomes.setdefault(name, not_run)
                continue
            try:
                results = self._run_group(operation, group, policy_packs)
            except KeyboardInterrupt:
                # Whatever Pulumi was doing is cut short: the stack may be partly updated (and locked).
                message = "interrupted (Ctrl-C): check it with preview; `pulumi cancel` if it stays locked"
                self.emit(f"!! {', '.join(group)}: {message}")
                results = [StackOutcome(name, FAILED, message=message, exit_code=EXIT_INTERRUPTED)
                           for name in group]
            for outcome in results:
                outcomes[outcome.stack] = outcome
                if outcome.result == FAILED and failed is None:
                    failed = outcome.stack

    def _run_group(
        self, operation: Operation, group: Sequence[str], policy_packs: Sequence[str]
    ) -> list[StackOutcome]:
        if len(group) == 1:
            return [self._run_one(operation, group[0], policy_packs)]
        self.emit(f"== {operation}: {', '.join(group)} in parallel")
        with ThreadPoolExecutor(max_workers=len(group)) as pool:
            return list(pool.map(lambda name: self._run_one(operation, name, policy_packs), group))

    def _run_one(self, operation: Operation, name: str, policy_packs: Sequence[str]) -> StackOutcome:
        spec = self.stacks.spec(name)
        started = self.clock()
        self.emit(f"== {operation} {name}: {spec.description}")
        result = OperationResult()
        step: str = operation
        previewed: list[PreviewReport] = []
        try:
            # Every stack that reads org's accounts (environments, security, cicd) waits for them first.
            if operation == "up" and spec.needs and self.readiness is not None:
                step = "readiness wait"
                self.readiness(name, self._org_stack_outputs(), self._prefixed(name))
                step = operation
            if operation in ("preview", "up") and spec.is_environment and self.environment_check is not None:
                self.environment_check(name, self._org_stack_outputs, self._prefixed(name))
            result = self._operate(operation, name, policy_packs, previewed)
            if name == ORG and operation == "up":
                self._org_outputs = dict(result.outputs)
            if operation == "up" and spec.is_environment and self.smoke is not None:
                step = "smoke check"
                outputs = result.outputs or self.runner.outputs(name)
                self.smoke(name, outputs, self._prefixed(name))
        except DeployError as error:
            duration = self.clock() - started
            message = str(error) if step == operation else f"{step} failed: {error}"
            self.emit(f"!! {name}: {message}")
            report = previewed[0] if previewed else None
            return StackOutcome(name, FAILED, result.changes, duration, message, error.exit_code, report)
        except Exception as error:  # a defect or an unforeseen failure: still one outcome, not a traceback
            duration = self.clock() - started
            text = str(error).strip()
            detail = f": {text.splitlines()[0]}" if text else ""
            message = f"{step} failed unexpectedly: {type(error).__name__}{detail}"
            self.emit(f"!! {name}: {message}")
            report = previewed[0] if previewed else None
            return StackOutcome(name, FAILED, result.changes, duration, message, EXIT_FAILED, report)
        duration = self.clock() - started
        changes = format_changes(result.changes)
        self.emit(f"== {name}: {operation} succeeded in {format_duration(duration)} ({changes})")
        report = previewed[0] if previewed else None
        return StackOutcome(name, SUCCEEDED, result.changes, duration, preview=report)

    def _operate(
        self, operation: Operation, name: str, policy_packs: Sequence[str], previewed: list[PreviewReport]
    ) -> OperationResult:
        on_output = self._prefixed(name)
        if operation == "preview":
            result = self.runner.preview(name, on_output=on_output, policy_packs=policy_packs)
            previewed.append(self._show_preview(name, result, stopping=False))
            return result
        if operation == "up":
            return self._preview_then_up(name, policy_packs, previewed)
        if operation == "refresh":
            return self.runner.refresh(name, on_output=on_output)
        return self.runner.destroy(name, on_output=on_output)

    def _preview_then_up(
        self, name: str, policy_packs: Sequence[str], previewed: list[PreviewReport]
    ) -> OperationResult:
        """Preview (saving the update plan), show and check it, ask, then apply exactly that plan."""
        on_output = self._prefixed(name)
        plan_file = None if self._plan_dir is None else self._plan_dir / f"{name}.plan.json"
        preview = self.runner.preview(
            name, on_output=on_output, policy_packs=policy_packs, plan_file=plan_file
        )
        report = self._show_preview(name, preview, stopping=True)
        previewed.append(report)
        unseen = report.unseen()
        if unseen:
            raise RefusedChangeError(
                f"up of stack {name} stopped before any change: the preview counted changes whose step "
                f"events never arrived ({'; '.join(unseen)}), so they could not be checked; run it again"
            )
        refusal = report.refusal(self.allow_replace)
        if refusal is not None:
            raise RefusedChangeError(refusal)
        if self.confirm is not None and report.has_changes:
            with self._lock:  # nothing else is printed while the question waits for its answer
                accepted = self.confirm(name, report)
            if not accepted:
                raise RefusedChangeError(
                    f"up of stack {name} cancelled after its preview; nothing was applied to it"
                )
        if self.before_apply is not None:
            self.before_apply(name, on_output)
        return self.runner.up(name, on_output=on_output, policy_packs=policy_packs, plan_file=plan_file)

    def _show_preview(self, name: str, result: OperationResult, *, stopping: bool) -> PreviewReport:
        """Emit the one-screen summary of a preview; for ``preview`` alone, also what ``up`` would refuse."""
        report = PreviewReport(name, dict(result.changes), fold(result.steps))
        emit = self._prefixed(name)
        for line in report.summary_lines(self.allow_replace):
            emit(line)
        refusal = None if stopping else report.refusal(self.allow_replace, would=True)
        if refusal is not None:
            emit(refusal)
        return report

    def _refused_references(self, environments: Sequence[str]) -> list[StackOutcome]:
        """An outcome for each environment whose org references fail; none when all are fine."""
        assert self.references is not None
        refused: list[StackOutcome] = []
        try:
            org_outputs = self._org_stack_outputs()
        except Exception as error:  # StackNotFoundError (org not deployed) or an unforeseen failure
            message = f"cannot check what it reads from {ORG}: {_one_line(error)}"
            self.emit(f"!! {environments[0]}: {message}")
            code = error.exit_code if isinstance(error, DeployError) else EXIT_FAILED
            return [StackOutcome(environments[0], FAILED, message=message, exit_code=code)]
        for name in environments:
            try:
                self.references(name, org_outputs)
            except Exception as error:  # OrgReferenceError, or a defect: still an outcome, not a traceback
                message = _one_line(error) if isinstance(error, DeployError) else (
                    f"org reference check failed unexpectedly: {type(error).__name__}: {_one_line(error)}"
                )
                self.emit(f"!! {name}: refused before any Pulumi command: {message}")
                code = error.exit_code if isinstance(error, DeployError) else EXIT_FAILED
                refused.append(StackOutcome(name, FAILED, message=message, exit_code=code))
        return refused

    def _org_stack_outputs(self) -> dict[str, Any]:
        with self._lock:
            if self._org_outputs is None:
                self._org_outputs = dict(self.runner.outputs(ORG))
            return self._org_outputs

    def _prefixed(self, name: str) -> Emit:
        return lambda line: self.emit(f"[{name}] {line}")
