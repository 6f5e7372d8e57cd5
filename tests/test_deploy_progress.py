"""Progress per resource from the engine's events: plain lines in CI, a status line in a terminal."""

from __future__ import annotations

import io
from typing import Any

from pulumi.automation import EngineEvent

from deploy.progress import StackProgress, StatusLine, interactive, resource_label

URN = "urn:pulumi:pre::landing-zone::landingzone:tasks:TasksService$aws:ecs/service:Service::tasks-svc"
DB = "urn:pulumi:pre::landing-zone::aws:rds/cluster:Cluster::tasks-db"


def event(kind: str, urn: str, op: str = "create", **extra: Any) -> EngineEvent:
    """An engine event as the CLI sends it (pulumi/pulumi sdk/go/common/apitype/events.go)."""
    metadata = {"op": op, "urn": urn, "type": urn.split("::")[-2].rsplit("$", 1)[-1], "provider": ""}
    body: dict[str, Any] = {"metadata": metadata, **extra}
    if kind == "diagnosticEvent":
        body = {"urn": urn, "color": "never", **extra}
    return EngineEvent.from_json({"sequence": 1, "timestamp": 1, kind: body})


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_count_each_finished_step_with_its_duration() -> None:
    lines: list[str] = []
    clock = Clock()
    progress = StackProgress("pre", lines.append, clock=clock)
    progress.on_event(event("resourcePreEvent", URN))
    progress.on_event(event("resourcePreEvent", DB, op="update"))
    clock.now += 42
    progress.on_event(event("resOutputsEvent", DB, op="update"))
    progress.on_event(event("resOutputsEvent", URN))
    assert lines == [
        "[1 done] updated aws:rds/cluster:Cluster tasks-db (42 s)",
        "[2 done] created aws:ecs/service:Service tasks-svc (42 s)",
    ]
    assert progress.finish() == "2 resource step(s) done"


def test_unchanged_resources_and_reads_are_not_printed() -> None:
    lines: list[str] = []
    progress = StackProgress("pre", lines.append)
    for op in ("same", "read", "refresh"):
        progress.on_event(event("resourcePreEvent", URN, op=op))
        progress.on_event(event("resOutputsEvent", URN, op=op))
    assert lines == []
    assert progress.done == 0


def test_a_failed_step_and_error_diagnostics_are_reported() -> None:
    lines: list[str] = []
    progress = StackProgress("pre", lines.append)
    progress.on_event(event("resourcePreEvent", DB))
    progress.on_event(event("resOpFailedEvent", DB, status=1, steps=1))
    progress.on_event(event("diagnosticEvent", DB, severity="error",
                            message="creating RDS Cluster:\n  InvalidParameterValue: bad\n"))
    progress.on_event(event("diagnosticEvent", DB, severity="info", message="noise"))
    assert lines == [
        "!! creating aws:rds/cluster:Cluster tasks-db failed",
        "error: aws:rds/cluster:Cluster tasks-db: creating RDS Cluster: InvalidParameterValue: bad",
    ]
    assert progress.finish() == "0 resource step(s) done, 1 failed"


def test_a_terminal_gets_one_status_line_redrawn_in_place_and_cleared_at_the_end() -> None:
    lines: list[str] = []
    screen = io.StringIO()
    clock = Clock()
    progress = StackProgress("pre", lines.append, status=StatusLine(screen), clock=clock)
    progress.on_event(event("resourcePreEvent", DB))
    clock.now += 5
    progress.on_event(event("resourcePreEvent", URN))
    expected = "\rpre: 0 done; creating aws:rds/cluster:Cluster tasks-db (5 s) and 1 more"
    assert screen.getvalue().endswith(expected)
    progress.on_event(event("resOutputsEvent", DB))
    progress.on_event(event("resOutputsEvent", URN))
    assert lines == []  # finished steps are only counted on the status line
    progress.finish()
    assert screen.getvalue().endswith("\r")
    assert "pre: 2 done" in screen.getvalue()


def test_a_terminal_outside_ci_is_interactive_and_ci_logs_are_not() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert interactive(Tty(), {}) is True
    assert interactive(Tty(), {"CI": "true"}) is False
    assert interactive(io.StringIO(), {}) is False


def test_resource_label_reads_the_type_and_name_of_a_child_urn() -> None:
    assert resource_label(URN) == "aws:ecs/service:Service tasks-svc"
    assert resource_label("not-a-urn") == "not-a-urn"


def test_up_through_the_automation_api_renders_the_engine_events_and_logs_the_cli_text(tmp_path: Any) -> None:
    """The real runner with a fake CLI that streams an update's events (``--event-log``), as the CLI does."""
    from tests.test_deploy_automation import PASSPHRASE, FakePulumiCommand

    class StreamingCommand(FakePulumiCommand):
        def run(self, args: list[str], cwd: str, additional_env: Any, on_output: Any = None,
                on_error: Any = None) -> Any:
            if args[0] == "up" and "--event-log" in args:
                started = self._pre_event("pre", ("create", "aws:rds/cluster:Cluster", "tasks-db"))
                finished = {"resOutputsEvent": started["resourcePreEvent"]}
                self._send_events(args[args.index("--event-log") + 1], [started, finished], {"create": 1})
                args = [arg for arg in args if arg != "--event-log"]  # the events were sent above
            return super().run(args, cwd, additional_env, on_output, on_error)

    from deploy.automation import LOG_DIR, AutomationRunner

    command = StreamingCommand()
    lines: list[str] = []
    runner = AutomationRunner(tmp_path, environ=dict(PASSPHRASE), command_factory=lambda: command,
                              progress=lambda stack, emit: StackProgress(stack, emit))
    runner.up("pre", on_output=lines.append)

    assert lines[0].startswith("[1 done] created aws:rds/cluster:Cluster tasks-db (")
    assert lines[-1] == f"1 resource step(s) done; the CLI's output is in {LOG_DIR}/pre-up.log"
    log = (tmp_path / LOG_DIR / "pre-up.log").read_text(encoding="utf-8")
    assert "  + aws:organizations:Account sandbox created" in log  # the CLI's text, off the screen
    assert not any("sandbox created" in line for line in lines)
