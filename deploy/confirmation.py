"""The questions the driver asks before it changes real infrastructure, and when it may not ask.

``up`` asks once per stack, after that stack's preview and its summary (:func:`after_preview`);
``refresh`` and ``destroy`` ask once, before they start (:func:`before_run`). Without a terminal there is
no one to ask: each refuses before any Pulumi command, and ``--yes`` is what CI passes instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from deploy.runner import EXIT_USAGE, DeployError

if TYPE_CHECKING:
    from deploy.changes import PreviewReport
    from deploy.orchestrator import Confirm
    from deploy.stacks import StackTable


class ConfirmationError(DeployError):
    """No confirmation: refused by the user, or impossible without a terminal."""

    exit_code = EXIT_USAGE


def _needs_terminal(operation: str, stdin: TextIO) -> None:
    if not stdin.isatty():
        raise ConfirmationError(
            f"{operation} changes real infrastructure; pass --yes to run it without a terminal"
        )


def _yes(stdin: TextIO) -> bool:
    return stdin.readline().strip().lower() in ("y", "yes")


def after_preview(backend: str, stdin: TextIO, stdout: TextIO) -> Confirm:
    """The question ``up`` asks after each stack's preview (refused now when there is no terminal)."""
    _needs_terminal("up", stdin)

    def confirm(stack: str, report: PreviewReport) -> bool:
        stdout.write(f"apply this preview to stack {stack} (state in {backend})? [y/N] ")
        stdout.flush()
        return _yes(stdin)

    return confirm


def before_run(
    operation: str,
    names: Sequence[str] | None,
    backend: str,
    stdin: TextIO,
    stdout: TextIO,
    stacks: StackTable,
) -> None:
    """The one question ``refresh`` and ``destroy`` ask before they start; raises unless answered yes."""
    selected = stacks.ordered(names, reverse=operation == "destroy")
    if operation == "destroy" and names is None:
        selected = [name for name in selected if name not in stacks.kept_from_destroy()]
    _needs_terminal(operation, stdin)
    stdout.write(f"{operation} stacks {', '.join(selected)} (state in {backend})? [y/N] ")
    stdout.flush()
    if not _yes(stdin):
        raise ConfirmationError(f"{operation} cancelled")
