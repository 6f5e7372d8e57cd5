"""The deploy order and its gates, driven through the runner interface with a fake runner."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from deploy import stacks
from deploy.orchestrator import FAILED, NOT_RUN, SKIPPED, SUCCEEDED, Orchestrator
from deploy.runner import (
    EXIT_CONCURRENT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ConcurrentUpdateError,
    OperationResult,
    ReadinessError,
    SmokeCheckError,
    StackOperationError,
)

ORG_OUTPUTS = {"accounts": {"sandbox": "222222222222"}, "access_role_name": "OrganizationAccountAccessRole"}


class FakeRunner:
    """Records every call in one event list; fails where told to."""

    def __init__(
        self,
        events: list[tuple[str, str]],
        fail: Mapping[tuple[str, str], BaseException] | None = None,
        barrier: threading.Barrier | None = None,
    ) -> None:
        self.events = events
        self.fail = dict(fail or {})
        self.barrier = barrier
        self.policy_packs: list[Sequence[str]] = []
        self.lock = threading.Lock()

    def _call(self, op: str, stack: str, on_output: Any = None) -> OperationResult:
        with self.lock:
            self.events.append((op, stack))
        if on_output is not None:
            on_output(f"{op} of {stack} running")
        if self.barrier is not None and stack != stacks.ORG:
            self.barrier.wait()  # both environments must be inside their operation at once
        if (op, stack) in self.fail:
            raise self.fail[(op, stack)]
        outputs = (
            ORG_OUTPUTS
            if stack == stacks.ORG
            else {"api_url": f"https://{stack}.example", "alb_dns_name": f"{stack}-alb.example"}
        )
        return OperationResult(changes={"create": 3, "same": 1}, outputs=dict(outputs) if op == "up" else {})

    def preview(self, stack: str, *, on_output: Any, policy_packs: Sequence[str] = ()) -> OperationResult:
        self.policy_packs.append(policy_packs)
        return self._call("preview", stack, on_output)

    def up(self, stack: str, *, on_output: Any, policy_packs: Sequence[str] = ()) -> OperationResult:
        self.policy_packs.append(policy_packs)
        return self._call("up", stack, on_output)

    def refresh(self, stack: str, *, on_output: Any) -> OperationResult:
        return self._call("refresh", stack, on_output)

    def destroy(self, stack: str, *, on_output: Any) -> OperationResult:
        return self._call("destroy", stack, on_output)

    def outputs(self, stack: str) -> dict[str, Any]:
        self._call("outputs", stack)
        return dict(ORG_OUTPUTS) if stack == stacks.ORG else {}


class Gates:
    """Readiness and smoke gates that record into the same event list."""

    def __init__(
        self, events: list[tuple[str, str]], *, not_ready: str | None = None, unhealthy: str | None = None
    ) -> None:
        self.events = events
        self.not_ready = not_ready
        self.unhealthy = unhealthy
        self.org_outputs: list[Mapping[str, Any]] = []
        self.smoke_outputs: dict[str, Mapping[str, Any]] = {}

    def readiness(self, stack: str, org_outputs: Mapping[str, Any], emit: Any) -> None:
        self.events.append(("ready", stack))
        self.org_outputs.append(org_outputs)
        if stack == self.not_ready:
            raise ReadinessError(
                "account sandbox (222222222222) did not accept assuming the role within 900s"
            )

    def smoke(self, stack: str, outputs: Mapping[str, Any], emit: Any) -> None:
        self.events.append(("smoke", stack))
        self.smoke_outputs[stack] = outputs
        if stack == self.unhealthy:
            raise SmokeCheckError(f"API without a token of stack {stack} gave HTTP 200 instead of 401")


def make(
    fail: Mapping[tuple[str, str], Exception] | None = None, **gate_options: Any
) -> tuple[Orchestrator, FakeRunner, Gates, list[tuple[str, str]], list[str]]:
    events: list[tuple[str, str]] = []
    lines: list[str] = []
    runner = FakeRunner(events, fail)
    gates = Gates(events, **gate_options)
    ticks = iter(range(1000))
    orchestrator = Orchestrator(
        runner,
        readiness=gates.readiness,
        smoke=gates.smoke,
        emit=lines.append,
        clock=lambda: float(next(ticks)),
    )
    return orchestrator, runner, gates, events, lines


def results(summary: Any) -> dict[str, str]:
    return {outcome.stack: outcome.result for outcome in summary.outcomes}


def test_up_runs_org_then_waits_for_accounts_then_each_environment_behind_a_smoke_check() -> None:
    orchestrator, _, gates, events, lines = make()
    summary = orchestrator.run("up")
    assert events == [
        ("up", "org"),
        ("ready", "pre"),
        ("up", "pre"),
        ("smoke", "pre"),
        ("ready", "prod"),
        ("up", "prod"),
        ("smoke", "prod"),
    ]
    # The readiness gate sees the org outputs of this very deploy, without another round trip.
    assert gates.org_outputs == [ORG_OUTPUTS, ORG_OUTPUTS]
    assert gates.smoke_outputs["pre"] == {"api_url": "https://pre.example", "alb_dns_name": "pre-alb.example"}
    assert results(summary) == {"org": SUCCEEDED, "pre": SUCCEEDED, "prod": SUCCEEDED}
    assert summary.exit_code == EXIT_OK
    # Progress is streamed per stack, prefixed with the stack's name.
    assert "[pre] up of pre running" in lines


def test_a_failure_in_org_stops_pre_and_prod() -> None:
    orchestrator, _, _, events, _ = make(
        {("up", "org"): StackOperationError("pulumi up of stack org failed: boom")}
    )
    summary = orchestrator.run("up")
    assert events == [("up", "org")]
    assert results(summary) == {"org": FAILED, "pre": NOT_RUN, "prod": NOT_RUN}
    org, pre, prod = summary.outcomes
    assert org.message == "pulumi up of stack org failed: boom"
    assert pre.message == prod.message == "not run: org failed"
    assert summary.exit_code == EXIT_FAILED


def test_accounts_that_never_become_ready_stop_the_environment_before_pulumi_runs() -> None:
    orchestrator, _, _, events, _ = make(not_ready="pre")
    summary = orchestrator.run("up")
    assert ("up", "pre") not in events and ("up", "prod") not in events
    assert results(summary) == {"org": SUCCEEDED, "pre": FAILED, "prod": NOT_RUN}
    assert summary.outcomes[1].message.startswith("readiness wait failed: account sandbox (222222222222)")
    assert summary.exit_code == EXIT_FAILED


def test_a_failed_smoke_check_of_pre_keeps_prod_untouched() -> None:
    orchestrator, _, _, events, _ = make(unhealthy="pre")
    summary = orchestrator.run("up")
    assert events[-1] == ("smoke", "pre")
    assert not [event for event in events if event[1] == "prod"]
    assert results(summary) == {"org": SUCCEEDED, "pre": FAILED, "prod": NOT_RUN}
    assert summary.outcomes[1].message == (
        "smoke check failed: API without a token of stack pre gave HTTP 200 instead of 401"
    )
    assert summary.outcomes[2].message == "not run: pre failed"


def test_an_environment_alone_reads_the_deployed_org_outputs_for_its_readiness_wait() -> None:
    orchestrator, _, gates, events, _ = make()
    summary = orchestrator.run("up", ["pre"])
    assert events == [("outputs", "org"), ("ready", "pre"), ("up", "pre"), ("smoke", "pre")]
    assert gates.org_outputs == [ORG_OUTPUTS]
    assert [o.stack for o in summary.outcomes] == ["pre"]


def test_stacks_run_in_deploy_order_whatever_order_they_are_named_in() -> None:
    orchestrator, _, _, events, _ = make()
    orchestrator.run("refresh", ["prod", "org"])
    assert events == [("refresh", "org"), ("refresh", "prod")]


def test_preview_and_refresh_have_no_gates_and_preview_gets_the_policy_pack() -> None:
    orchestrator, runner, _, events, _ = make()
    orchestrator.run("preview", policy_packs=["/project/policies"])
    assert events == [("preview", "org"), ("preview", "pre"), ("preview", "prod")]
    assert runner.policy_packs == [["/project/policies"]] * 3


def test_destroy_runs_in_reverse_and_leaves_org_and_production_alone_unless_named() -> None:
    orchestrator, _, _, events, _ = make()
    summary = orchestrator.run("destroy")
    assert events == [("destroy", "pre")]
    assert [(o.stack, o.result) for o in summary.outcomes] == [
        ("prod", SKIPPED),
        ("pre", SUCCEEDED),
        ("org", SKIPPED),
    ]
    assert summary.outcomes[0].message == "destroy touches prod only when named: --stack prod"
    assert summary.outcomes[2].message == "destroy touches org only when named: --stack org"
    assert summary.exit_code == EXIT_OK
    events.clear()
    orchestrator.run("destroy", ["pre", "prod"])
    assert events == [("destroy", "prod"), ("destroy", "pre")]


def test_destroy_touches_org_when_it_is_named_and_always_last() -> None:
    orchestrator, _, _, events, _ = make()
    orchestrator.run("destroy", ["org", "pre", "prod"])
    assert events == [("destroy", "prod"), ("destroy", "pre"), ("destroy", "org")]
    events.clear()
    orchestrator.run("destroy", ["org"])
    assert events == [("destroy", "org")]


def test_a_failed_environment_destroy_keeps_org() -> None:
    orchestrator, _, _, events, _ = make(
        {("destroy", "pre"): StackOperationError("pulumi destroy of stack pre failed: x")}
    )
    summary = orchestrator.run("destroy", ["org", "pre", "prod"])
    assert events == [("destroy", "prod"), ("destroy", "pre")]
    assert results(summary) == {"prod": SUCCEEDED, "pre": FAILED, "org": NOT_RUN}


def test_parallel_runs_pre_and_prod_together_after_org() -> None:
    events: list[tuple[str, str]] = []
    runner = FakeRunner(events, barrier=threading.Barrier(2, timeout=5))
    gates = Gates(events)
    summary = Orchestrator(runner, readiness=gates.readiness, smoke=gates.smoke, emit=lambda _: None).run(
        "up", parallel=True
    )
    # The barrier only opens when pre and prod are inside `up` at the same time.
    assert results(summary) == {"org": SUCCEEDED, "pre": SUCCEEDED, "prod": SUCCEEDED}
    assert events[0] == ("up", "org")
    assert {event for event in events[1:]} == {
        ("ready", "pre"),
        ("up", "pre"),
        ("smoke", "pre"),
        ("ready", "prod"),
        ("up", "prod"),
        ("smoke", "prod"),
    }


def test_parallel_destroy_runs_the_environments_together_then_org() -> None:
    events: list[tuple[str, str]] = []
    runner = FakeRunner(events, barrier=threading.Barrier(2, timeout=5))
    summary = Orchestrator(runner, emit=lambda _: None).run("destroy", ["org", "pre", "prod"], parallel=True)
    assert results(summary) == {"prod": SUCCEEDED, "pre": SUCCEEDED, "org": SUCCEEDED}
    assert set(events[:2]) == {("destroy", "pre"), ("destroy", "prod")}
    assert events[2] == ("destroy", "org")


def test_parallel_failure_of_one_environment_does_not_undo_the_other() -> None:
    events: list[tuple[str, str]] = []
    runner = FakeRunner(events, {("up", "pre"): StackOperationError("pulumi up of stack pre failed: quota")})
    summary = Orchestrator(runner, emit=lambda _: None).run("up", parallel=True)
    assert results(summary) == {"org": SUCCEEDED, "pre": FAILED, "prod": SUCCEEDED}
    assert summary.exit_code == EXIT_FAILED


def test_a_concurrent_update_has_its_own_exit_code() -> None:
    orchestrator, _, _, _, _ = make(
        {("up", "org"): ConcurrentUpdateError("stack org is locked by another update")}
    )
    summary = orchestrator.run("up")
    assert summary.exit_code == EXIT_CONCURRENT


def test_summary_table_and_json_name_result_changes_and_duration() -> None:
    orchestrator, _, _, _, _ = make(unhealthy="pre")
    summary = orchestrator.run("up")
    table = summary.table().splitlines()
    assert table[0].split() == ["stack", "result", "changes", "duration", "details"]
    assert table[1].split()[:4] == ["org", "succeeded", "create", "3"]
    assert "smoke check failed" in table[2] and table[2].startswith("pre ")
    assert table[3].split()[:4] == ["prod", "not", "run", "-"]
    data = json.loads(json.dumps(summary.to_json()))
    assert data["command"] == "up" and data["ok"] is False and data["exit_code"] == EXIT_FAILED
    assert data["stacks"][0] == {
        "stack": "org",
        "result": "succeeded",
        "changes": {"create": 3, "same": 1},
        "duration_seconds": 1.0,
        "message": "",
    }
    assert data["stacks"][2]["duration_seconds"] is None


@pytest.mark.parametrize(
    ("names", "reverse", "parallel", "expected"),
    [
        (None, False, False, [["org"], ["pre"], ["prod"]]),
        (None, False, True, [["org"], ["pre", "prod"]]),
        (None, True, True, [["prod", "pre"], ["org"]]),
        (["pre", "prod"], False, True, [["pre", "prod"]]),
        (["prod", "org"], True, False, [["prod"], ["org"]]),
    ],
)
def test_waves_follow_the_order_table(
    names: list[str] | None, reverse: bool, parallel: bool, expected: list[list[str]]
) -> None:
    assert stacks.waves(stacks.ordered(names), reverse=reverse, parallel=parallel) == expected


def test_an_unexpected_exception_is_a_failed_stack_in_the_summary_not_a_lost_run() -> None:
    events: list[tuple[str, str]] = []
    runner = FakeRunner(events, fail={("up", "pre"): KeyError("api_url")})
    summary = Orchestrator(runner, emit=lambda line: None).run("up")
    by_stack = {o.stack: o for o in summary.outcomes}
    assert by_stack["org"].result == SUCCEEDED  # what had succeeded stays reported
    assert by_stack["pre"].result == FAILED
    assert by_stack["pre"].message == "up failed unexpectedly: KeyError: 'api_url'"
    assert by_stack["prod"].result == NOT_RUN
    assert summary.exit_code == EXIT_FAILED
    assert json.loads(json.dumps(summary.to_json()))["stacks"][1]["result"] == FAILED
    assert ("up", "prod") not in events


def test_ctrl_c_marks_the_running_stack_interrupted_and_the_rest_not_run() -> None:
    events: list[tuple[str, str]] = []
    runner = FakeRunner(events, fail={("up", "pre"): KeyboardInterrupt()})
    summary = Orchestrator(runner, emit=lambda line: None).run("up")
    by_stack = {o.stack: o for o in summary.outcomes}
    assert [by_stack[name].result for name in ("org", "pre", "prod")] == [SUCCEEDED, FAILED, NOT_RUN]
    assert by_stack["pre"].message.startswith("interrupted (Ctrl-C)")
    assert summary.exit_code == EXIT_INTERRUPTED
