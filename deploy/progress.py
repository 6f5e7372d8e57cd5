"""Progress of one stack's operation, per resource, from the Automation API's engine events.

The CLI's own text output is written for one stack at a time; with several stacks (``--parallel``) and
a prefix per line it is hard to follow. The driver therefore asks the CLI for no progress output of its
own (``suppress_progress``) and renders the engine's event stream (pulumi/pulumi
sdk/go/common/apitype/events.go: ``ResourcePreEvent`` when a step starts, ``ResOutputsEvent`` when it
is done, ``ResOpFailedEvent`` when it fails, ``DiagnosticEvent`` for the program's and providers'
messages):

* plain lines (CI, or output that is not a terminal): one line per finished or failed step and per
  warning or error, each with the count so far;
* a terminal: the same failures, warnings and errors, and one status line that is redrawn in place with
  the count and the steps in flight.

Steps that change nothing (``same``) and reads are counted but not printed.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from pulumi.automation import EngineEvent

Emit = Callable[[str], None]

QUIET_OPS = frozenset({"same", "read", "refresh"})
# What each operation is called while it runs and once it is done.
_VERBS = {
    "create": ("creating", "created"),
    "update": ("updating", "updated"),
    "delete": ("deleting", "deleted"),
    "replace": ("replacing", "replaced"),
    "create-replacement": ("creating replacement", "created replacement"),
    "delete-replaced": ("deleting original", "deleted original"),
    "import": ("importing", "imported"),
    "import-replacement": ("importing replacement", "imported replacement"),
    "discard": ("discarding", "discarded"),
    "discard-replaced": ("discarding original", "discarded original"),
    "remove-pending-replace": ("removing pending replace", "removed pending replace"),
}


def interactive(stream: IO[str] | None = None, environ: dict[str, str] | None = None) -> bool:
    """A status line redrawn in place suits a terminal, not CI logs (where ``CI`` is set)."""
    stream = sys.stdout if stream is None else stream
    environ = dict(os.environ) if environ is None else environ
    return stream.isatty() and environ.get("CI", "").lower() not in ("1", "true", "yes")


def resource_label(urn: str) -> str:
    """``<type> <name>`` of a URN: ``urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>``."""
    parts = urn.split("::")
    if len(parts) < 4:
        return urn
    return f"{parts[-2].rsplit('$', 1)[-1]} {parts[-1]}"


@dataclass
class StatusLine:
    """One line at the bottom of a terminal, redrawn in place; plain lines are printed above it."""

    stream: IO[str] = field(default_factory=lambda: sys.stdout)
    _width: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def show(self, text: str) -> None:
        with self._lock:
            padding = " " * max(0, self._width - len(text))
            self.stream.write(f"\r{text}{padding}")
            self.stream.flush()
            self._width = len(text)

    def clear(self) -> None:
        with self._lock:
            if self._width:
                self.stream.write("\r" + " " * self._width + "\r")
                self.stream.flush()
                self._width = 0


@dataclass
class StackProgress:
    """Counts and renders the steps of one operation on one stack.

    ``emit`` prints a line (the orchestrator's, which prefixes the stack name); ``status`` is the
    terminal's status line, or None for plain lines only.
    """

    stack: str
    emit: Emit
    status: StatusLine | None = None
    clock: Callable[[], float] = time.monotonic
    done: int = 0
    failed: int = 0
    running: dict[str, tuple[str, str, float]] = field(default_factory=dict)  # urn -> (op, label, start)

    def on_event(self, event: EngineEvent) -> None:
        if event.resource_pre_event is not None:
            meta = event.resource_pre_event.metadata
            op = str(getattr(meta.op, "value", meta.op))
            if op not in QUIET_OPS:
                self.running[meta.urn] = (op, resource_label(meta.urn), self.clock())
        elif event.res_outputs_event is not None:
            meta = event.res_outputs_event.metadata
            started = self.running.pop(meta.urn, None)
            if started is not None:
                op, label, start = started
                self.done += 1
                self._line(f"[{self.done} done] {_VERBS.get(op, (op, op))[1]} {label} "
                           f"({self.clock() - start:.0f} s)")
        elif event.res_op_failed_event is not None:
            meta = event.res_op_failed_event.metadata
            op = str(getattr(meta.op, "value", meta.op))
            self.running.pop(meta.urn, None)
            self.failed += 1
            self._line(f"!! {_VERBS.get(op, (op, op))[0]} {resource_label(meta.urn)} failed",
                       always=True)
        elif event.policy_event is not None:
            policy = event.policy_event
            where = f" on {resource_label(policy.resource_urn)}" if policy.resource_urn else ""
            self._line(f"policy {policy.policy_name} ({policy.enforcement_level}){where}: "
                       f"{' '.join(policy.message.split())}", always=True)
        elif event.diagnostic_event is not None:
            diagnostic = event.diagnostic_event
            if diagnostic.severity in ("warning", "error") and not diagnostic.ephemeral:
                where = f"{resource_label(diagnostic.urn)}: " if diagnostic.urn else ""
                message = " ".join(diagnostic.message.split())
                self._line(f"{diagnostic.severity}: {where}{message}", always=True)
        self._redraw()

    def _line(self, text: str, *, always: bool = False) -> None:
        """Finished steps are plain lines without a terminal; failures and diagnostics always are."""
        if self.status is None or always:
            if self.status is not None:
                self.status.clear()
            self.emit(text)

    def _redraw(self) -> None:
        if self.status is None:
            return
        if not self.running:
            self.status.show(f"{self.stack}: {self.done} done")
            return
        op, label, start = min(self.running.values(), key=lambda item: item[2])
        more = f" and {len(self.running) - 1} more" if len(self.running) > 1 else ""
        self.status.show(f"{self.stack}: {self.done} done; {_VERBS.get(op, (op, op))[0]} {label} "
                         f"({self.clock() - start:.0f} s){more}")

    def finish(self) -> str:
        """Clear the status line; return the one-line count for the stack's result."""
        if self.status is not None:
            self.status.clear()
        failed = f", {self.failed} failed" if self.failed else ""
        return f"{self.done} resource step(s) done{failed}"
