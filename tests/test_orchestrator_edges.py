"""The orchestrator's edges: what reaches the runner and what the summary says, asserted exactly.

Written against mutation survivors (scripts/mutation_score.py): each test here failed on a mutant of
deploy/orchestrator.py that the other tests let through.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from deploy.changes import ResourceStep
from deploy.orchestrator import (
    FAILED,
    SUCCEEDED,
    Operation,
    Orchestrator,
    StackOutcome,
    Summary,
    format_duration,
)
from deploy.runner import EXIT_CONCURRENT, ConcurrentUpdateError, DeployError, OperationResult
from tests.stack_tables import THREE
from tests.test_deploy_orchestrator import FakeRunner, make, urn

PACKS = ["/project/policies", "/elsewhere/pack"]


def test_up_sends_the_policy_packs_to_each_preview_and_each_apply() -> None:
    orchestrator, runner, _, events, _ = make()
    orchestrator.run("up", policy_packs=PACKS)
    # A pack left out of `up` would apply what the policies never checked.
    calls = [(op, stack) for op, stack in events if op in ("preview", "up")]
    assert calls == [("preview", "org"), ("up", "org"), ("preview", "pre"), ("up", "pre"),
                     ("preview", "prod"), ("up", "prod")]
    assert runner.policy_packs == [PACKS] * 6


def test_up_in_parallel_sends_the_policy_packs_too() -> None:
    orchestrator, runner, _, _, _ = make()
    summary = orchestrator.run("up", policy_packs=PACKS, parallel=True)
    assert summary.ok
    assert runner.policy_packs == [PACKS] * 6


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "-"), (0.0, "0.0s"), (0.04, "0.0s"), (59.94, "59.9s"), (60.0, "1m00s"), (61.4, "1m01s"),
     (125.6, "2m06s"), (3600.0, "60m00s")],
)
def test_durations_read_as_seconds_under_a_minute_then_minutes(seconds: float | None, shown: str) -> None:
    assert format_duration(seconds) == shown


def test_the_smoke_check_reads_the_deployed_outputs_when_up_returned_none() -> None:
    events: list[tuple[str, str]] = []
    checked: dict[str, Mapping[str, Any]] = {}

    class Silent(FakeRunner):
        def up(self, stack: str, **options: Any) -> OperationResult:
            super().up(stack, **options)
            return OperationResult(changes={"same": 4})

        def outputs(self, stack: str) -> dict[str, Any]:
            self._call("outputs", stack)
            return {"api_url": f"https://{stack}.deployed"}

    def smoke(stack: str, outputs: Mapping[str, Any], emit: Any) -> None:
        checked[stack] = outputs

    summary = Orchestrator(Silent(events), stacks=THREE,
        smoke=smoke, emit=lambda line: None).run("up", ["pre"])
    assert summary.ok
    assert checked == {"pre": {"api_url": "https://pre.deployed"}}
    assert events[-1] == ("outputs", "pre")


def test_json_durations_keep_milliseconds() -> None:
    ticks = iter([0.0, 1.23456, 2.0, 2.5, 3.0, 3.0001])
    runner = FakeRunner([])
    summary = Orchestrator(runner, stacks=THREE,
        emit=lambda line: None, clock=lambda: next(ticks)).run("refresh")
    durations = [stack["duration_seconds"] for stack in summary.to_json()["stacks"]]
    assert durations == [1.235, 0.5, 0.0]


def test_the_update_plans_live_in_a_private_temporary_folder_of_their_own() -> None:
    orchestrator, runner, _, _, _ = make()
    orchestrator.run("up", ["org"])
    (_, _, plan, _), _ = runner.plans
    assert plan is not None and plan.parent.name.startswith("deploy-plans-")


def test_an_exception_without_a_message_is_named_by_its_type() -> None:
    runner = FakeRunner([], fail={("up", "pre"): RuntimeError()})
    lines: list[str] = []
    summary = Orchestrator(runner, stacks=THREE, emit=lines.append).run("up")
    pre = summary.outcomes[1]
    assert pre.message == "up failed unexpectedly: RuntimeError"
    assert "!! pre: up failed unexpectedly: RuntimeError" in lines
    # The preview that ran before the failure stays in the outcome.
    assert pre.preview is not None and pre.preview.counts == {"create": 3, "same": 1}


def test_a_failed_apply_keeps_its_preview_and_its_exit_code() -> None:
    runner = FakeRunner([], fail={("up", "pre"): ConcurrentUpdateError("stack pre is locked")})
    summary = Orchestrator(runner, stacks=THREE, emit=lambda line: None).run("up")
    pre = summary.outcomes[1]
    assert (pre.result, pre.message, pre.exit_code) == (FAILED, "stack pre is locked", EXIT_CONCURRENT)
    assert pre.preview is not None and pre.preview.stack == "pre"
    assert pre.preview.counts == {"create": 3, "same": 1}


def test_ctrl_c_says_how_to_check_and_unlock_the_stack() -> None:
    runner = FakeRunner([], fail={("up", "pre"): KeyboardInterrupt()})
    lines: list[str] = []
    summary = Orchestrator(runner, stacks=THREE, emit=lines.append).run("up")
    message = "interrupted (Ctrl-C): check it with preview; `pulumi cancel` if it stays locked"
    assert summary.outcomes[1].message == message
    assert f"!! pre: {message}" in lines


def test_before_apply_and_parallel_runs_write_through_the_stack_prefix() -> None:
    lines: list[str] = []

    def before_apply(stack: str, emit: Any) -> None:
        emit("deriving")

    runner = FakeRunner([])
    summary = Orchestrator(runner, stacks=THREE,
        emit=lines.append, before_apply=before_apply).run("up", parallel=True)
    assert summary.ok
    assert "[pre] deriving" in lines and "[prod] deriving" in lines
    assert "== up: pre, prod in parallel" in lines


# ------------------------------------------------------------------------------------------------
# Survivors of the full-sample run (scripts/mutation_score.py, seed 12): each test below fails on one.
# ------------------------------------------------------------------------------------------------



@pytest.mark.parametrize("operation", ["preview", "refresh", "destroy"])
def test_the_runners_output_reaches_the_screen_prefixed_with_its_stack(operation: Operation) -> None:
    lines: list[str] = []
    summary = Orchestrator(FakeRunner([]), stacks=THREE, emit=lines.append).run(operation, ["pre"])
    assert summary.ok
    assert f"[pre] {operation} of pre running" in lines


def test_up_that_stops_on_its_preview_says_it_stopped_not_that_it_would() -> None:
    lines: list[str] = []
    account = "aws:organizations/account:Account"
    steps = {"org": [ResourceStep(urn("org", account, "sandbox"), account, "delete")]}
    summary = Orchestrator(FakeRunner([], steps=steps), stacks=THREE, emit=lines.append).run("up", ["org"])
    assert not summary.ok
    assert not [line for line in lines if "would stop" in line]  # preview alone says "would"; up stopped
    assert [line for line in lines if "up of stack org stopped before any change" in line]


@pytest.mark.parametrize("operation", ["refresh", "destroy"])
def test_a_failure_without_a_preview_is_one_outcome_with_its_duration(operation: Operation) -> None:
    ticks = iter([100.0, 103.5])
    error = DeployError(f"{operation} of pre broke")
    fail: dict[tuple[str, str], BaseException] = {(operation, "pre"): error}
    summary = Orchestrator(FakeRunner([], fail), stacks=THREE, emit=lambda line: None,
                           clock=lambda: next(ticks)).run(operation, ["pre"])
    outcome = summary.outcomes[0]
    assert (outcome.result, outcome.message, outcome.preview) == (FAILED, f"{operation} of pre broke", None)
    assert outcome.duration == pytest.approx(3.5)


def test_an_unforeseen_failure_without_a_preview_is_one_outcome_too() -> None:
    summary = Orchestrator(FakeRunner([], {("refresh", "pre"): RuntimeError("boom")}), stacks=THREE,
                           emit=lambda line: None).run("refresh", ["pre"])
    outcome = summary.outcomes[0]
    assert (outcome.result, outcome.message, outcome.preview) == (
        FAILED, "refresh failed unexpectedly: RuntimeError: boom", None)


def test_a_failed_up_after_the_readiness_wait_says_only_what_failed() -> None:
    orchestrator, _, _, _, _ = make(fail={("up", "pre"): DeployError("the engine said no")})
    summary = orchestrator.run("up", ["pre"])
    outcome = next(o for o in summary.outcomes if o.stack == "pre")
    assert outcome.message == "the engine said no"  # not "<step> failed: ...": the step was up itself


def test_the_summary_shows_no_changes_as_a_dash_and_no_trailing_spaces() -> None:
    summary = Summary("refresh", [StackOutcome("org", SUCCEEDED, {}, 1.0),
                                  StackOutcome("pre", SUCCEEDED, {"update": 2}, 2.0, "note")])
    rows = summary.table().splitlines()
    assert rows[1].split() == ["org", SUCCEEDED, "-", "1.0s"]
    assert all(row == row.rstrip() for row in rows)
    assert rows[0].startswith("stack")
