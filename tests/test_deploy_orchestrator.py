"""The deploy order and its gates, driven through the runner interface with a fake runner."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from deploy import stacks
from deploy.changes import ResourceStep, describe_counts
from deploy.orchestrator import FAILED, NOT_RUN, SKIPPED, SUCCEEDED, Orchestrator
from deploy.runner import (
    EXIT_CONCURRENT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    ConcurrentUpdateError,
    OperationResult,
    ReadinessError,
    SmokeCheckError,
    StackOperationError,
)
from tests.stack_tables import THREE

ORG_OUTPUTS = {"accounts": {"sandbox": "222222222222"}, "access_role_name": "OrganizationAccountAccessRole"}


class FakeRunner:
    """Records every call in one event list; fails where told to.

    A preview reports the engine steps given for its stack in ``steps`` (counted as the engine counts
    them) and, given a plan file, writes it as ``pulumi preview --save-plan`` would; ``up`` notes the plan
    file it got and whether it existed then.
    """

    def __init__(
        self,
        events: list[tuple[str, str]],
        fail: Mapping[tuple[str, str], BaseException] | None = None,
        barrier: threading.Barrier | None = None,
        steps: Mapping[str, Sequence[ResourceStep]] | None = None,
    ) -> None:
        self.events = events
        self.fail = dict(fail or {})
        self.barrier = barrier
        self.steps = {stack: list(found) for stack, found in (steps or {}).items()}
        self.policy_packs: list[Sequence[str]] = []
        self.plans: list[tuple[str, str, Path | None, bool]] = []  # (op, stack, plan file, it existed)
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

    def preview(
        self, stack: str, *, on_output: Any, policy_packs: Sequence[str] = (), plan_file: Path | None = None
    ) -> OperationResult:
        self.policy_packs.append(policy_packs)
        with self.lock:
            self.plans.append(("preview", stack, plan_file, False))
        result = self._call("preview", stack, on_output)
        if stack in self.steps:
            result.steps = list(self.steps[stack])
            result.changes = engine_counts(result.steps)
        if plan_file is not None:
            plan_file.write_text(json.dumps({"stack": stack}))
        return result

    def up(
        self, stack: str, *, on_output: Any, policy_packs: Sequence[str] = (), plan_file: Path | None = None
    ) -> OperationResult:
        self.policy_packs.append(policy_packs)
        with self.lock:
            self.plans.append(("up", stack, plan_file, plan_file is not None and plan_file.is_file()))
        return self._call("up", stack, on_output)

    def refresh(self, stack: str, *, on_output: Any) -> OperationResult:
        return self._call("refresh", stack, on_output)

    def destroy(self, stack: str, *, on_output: Any) -> OperationResult:
        return self._call("destroy", stack, on_output)

    def outputs(self, stack: str) -> dict[str, Any]:
        self._call("outputs", stack)
        return dict(ORG_OUTPUTS) if stack == stacks.ORG else {}


def engine_counts(steps: Sequence[ResourceStep]) -> dict[str, int]:
    """The change summary the engine sends with these steps: logical steps only, so a replacement's
    create-replacement and delete-replaced are not counted (pulumi/pulumi pkg/engine/update.go)."""
    counts: dict[str, int] = {"same": 1}
    for step in steps:
        if step.op not in ("create-replacement", "delete-replaced"):
            counts[step.op] = counts.get(step.op, 0) + 1
    return counts


def urn(stack: str, type_: str, name: str) -> str:
    return f"urn:pulumi:{stack}::landing-zone::{type_}::{name}"


def replacement(stack: str, type_: str, name: str, *keys: str) -> list[ResourceStep]:
    """The three steps the engine reports for one create-before-delete replacement."""
    return [
        ResourceStep(urn(stack, type_, name), type_, op, tuple(keys))
        for op in ("create-replacement", "replace", "delete-replaced")
    ]


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
    orchestrator = Orchestrator(runner, stacks=THREE,
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
    # Each stack is previewed right before it is applied; environments only once their accounts are ready.
    assert events == [
        ("preview", "org"),
        ("up", "org"),
        ("ready", "pre"),
        ("preview", "pre"),
        ("up", "pre"),
        ("smoke", "pre"),
        ("ready", "prod"),
        ("preview", "prod"),
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
    assert events == [("preview", "org"), ("up", "org")]
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
    assert events == [
        ("outputs", "org"), ("ready", "pre"), ("preview", "pre"), ("up", "pre"), ("smoke", "pre")
    ]
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
    summary = Orchestrator(runner, stacks=THREE,
                           readiness=gates.readiness, smoke=gates.smoke, emit=lambda _: None).run(
        "up", parallel=True
    )
    # The barrier only opens when pre and prod are inside `up` at the same time.
    assert results(summary) == {"org": SUCCEEDED, "pre": SUCCEEDED, "prod": SUCCEEDED}
    assert events[:2] == [("preview", "org"), ("up", "org")]
    assert {event for event in events[2:]} == {
        ("ready", "pre"),
        ("preview", "pre"),
        ("up", "pre"),
        ("smoke", "pre"),
        ("ready", "prod"),
        ("preview", "prod"),
        ("up", "prod"),
        ("smoke", "prod"),
    }


def test_parallel_destroy_runs_the_environments_together_then_org() -> None:
    events: list[tuple[str, str]] = []
    runner = FakeRunner(events, barrier=threading.Barrier(2, timeout=5))
    summary = Orchestrator(runner, stacks=THREE,
                           emit=lambda _: None).run("destroy", ["org", "pre", "prod"], parallel=True)
    assert results(summary) == {"prod": SUCCEEDED, "pre": SUCCEEDED, "org": SUCCEEDED}
    assert set(events[:2]) == {("destroy", "pre"), ("destroy", "prod")}
    assert events[2] == ("destroy", "org")


def test_parallel_failure_of_one_environment_does_not_undo_the_other() -> None:
    events: list[tuple[str, str]] = []
    runner = FakeRunner(events, {("up", "pre"): StackOperationError("pulumi up of stack pre failed: quota")})
    summary = Orchestrator(runner, stacks=THREE, emit=lambda _: None).run("up", parallel=True)
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
        "previewed": {"create": 3, "same": 1},
        "stateful_changes": [],
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
    assert THREE.waves(THREE.ordered(names), reverse=reverse, parallel=parallel) == expected


def test_an_unexpected_exception_is_a_failed_stack_in_the_summary_not_a_lost_run() -> None:
    events: list[tuple[str, str]] = []
    runner = FakeRunner(events, fail={("up", "pre"): KeyError("api_url")})
    summary = Orchestrator(runner, stacks=THREE, emit=lambda line: None).run("up")
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
    summary = Orchestrator(runner, stacks=THREE, emit=lambda line: None).run("up")
    by_stack = {o.stack: o for o in summary.outcomes}
    assert [by_stack[name].result for name in ("org", "pre", "prod")] == [SUCCEEDED, FAILED, NOT_RUN]
    assert by_stack["pre"].message.startswith("interrupted (Ctrl-C)")
    assert summary.exit_code == EXIT_INTERRUPTED


# --- up shows what it will do, then does exactly that -------------------------------------------------

DB = "aws:rds/cluster:Cluster"
POOL = "aws:cognito/userPool:UserPool"
LOGS = "aws:cloudwatch/logGroup:LogGroup"
TASKS = "aws:ecs/taskDefinition:TaskDefinition"


def test_up_applies_the_plan_file_its_own_preview_saved_and_removes_it_after_the_run() -> None:
    orchestrator, runner, _, _, _ = make()
    orchestrator.run("up")
    by_stack: dict[str, list[tuple[str, Path | None, bool]]] = {}
    for op, stack, plan, existed in runner.plans:
        by_stack.setdefault(stack, []).append((op, plan, existed))
    assert list(by_stack) == ["org", "pre", "prod"]
    files = set()
    for stack, calls in by_stack.items():
        (preview_op, saved, _), (up_op, applied, existed) = calls
        assert (preview_op, up_op) == ("preview", "up")
        assert saved is not None and applied == saved and existed  # the preview's own plan, still there
        assert saved.name == f"{stack}.plan.json"
        files.add(saved)
    assert len(files) == 3
    assert not any(path.exists() or path.parent.exists() for path in files)  # gone with the run


def test_a_stateful_replace_stops_up_after_the_preview_naming_the_resource_and_the_option() -> None:
    events: list[tuple[str, str]] = []
    lines: list[str] = []
    steps = {"pre": replacement("pre", DB, "pre-db", "engineVersion")}
    summary = Orchestrator(FakeRunner(events, steps=steps), stacks=THREE, emit=lines.append).run("up")
    # pre is previewed but never applied, prod never run.
    assert events == [("preview", "org"), ("up", "org"), ("preview", "pre")]
    assert results(summary) == {"org": SUCCEEDED, "pre": FAILED, "prod": NOT_RUN}
    pre = summary.outcomes[1]
    assert pre.message == (
        "up of stack pre stopped before any change: the preview would replace pre-db "
        "(aws:rds/cluster:Cluster, database cluster: its data); if that is intended, run again with "
        "--allow-replace pre-db (or the full URN)"
    )
    assert pre.exit_code == EXIT_USAGE and summary.exit_code == EXIT_USAGE
    # The one-screen summary came before, with the counts and the stateful change.
    assert "[pre] preview: create 0, update 0, replace 1, delete 0 (1 unchanged)" in lines
    assert (
        "[pre]   replace pre-db  aws:rds/cluster:Cluster  [database cluster: its data] because of "
        "engineVersion (NOT ALLOWED)"
    ) in lines
    assert lines.index("[pre] stateful resources changed: 1") < lines.index(f"!! pre: {pre.message}")
    stateful = summary.to_json()["stacks"][1]["stateful_changes"]
    assert stateful == [
        {"urn": urn("pre", DB, "pre-db"), "type": DB, "change": "replace", "keys": ["engineVersion"]}
    ]


@pytest.mark.parametrize("allowed", ["pre-db", urn("pre", DB, "pre-db")])
def test_allow_replace_by_name_or_urn_lets_that_replace_through(allowed: str) -> None:
    events: list[tuple[str, str]] = []
    lines: list[str] = []
    steps = {"pre": replacement("pre", DB, "pre-db")}
    runner = FakeRunner(events, steps=steps)
    summary = Orchestrator(runner, stacks=THREE, emit=lines.append, allow_replace=[allowed]).run("up")
    assert results(summary) == {"org": SUCCEEDED, "pre": SUCCEEDED, "prod": SUCCEEDED}
    assert events[2:4] == [("preview", "pre"), ("up", "pre")]
    assert "[pre]   replace pre-db  aws:rds/cluster:Cluster  [database cluster: its data] (allowed by " \
        "--allow-replace)" in lines


def test_every_blocked_change_is_named_and_only_stateful_replaces_and_deletes_block() -> None:
    events: list[tuple[str, str]] = []
    steps = {
        "pre": [
            *replacement("pre", TASKS, "pre-tasks"),  # stateless: rebuilt as it was
            ResourceStep(urn("pre", LOGS, "pre-api-logs"), LOGS, "update"),  # stateful, but kept
            ResourceStep(urn("pre", LOGS, "pre-old-logs"), LOGS, "delete"),
            *replacement("pre", POOL, "pre-users"),
        ]
    }
    summary = Orchestrator(FakeRunner(events, steps=steps), stacks=THREE,
                           emit=lambda _: None).run("up", ["pre"])
    [pre] = summary.outcomes
    assert ("up", "pre") not in events
    assert "delete pre-old-logs (aws:cloudwatch/logGroup:LogGroup, log group: its logs)" in pre.message
    assert "replace pre-users (aws:cognito/userPool:UserPool, user pool: its users" in pre.message
    assert pre.message.endswith("--allow-replace pre-old-logs --allow-replace pre-users (or the full URN)")
    assert "pre-tasks" not in pre.message and "pre-api-logs" not in pre.message
    events.clear()
    allowed = Orchestrator(FakeRunner(events, steps=steps), stacks=THREE,
                           emit=lambda _: None, allow_replace=["pre-old-logs", "pre-users"]
    ).run("up", ["pre"])
    assert results(allowed) == {"pre": SUCCEEDED} and ("up", "pre") in events


def test_replaces_the_engine_counted_but_never_reported_stop_up() -> None:
    """A step event the SDK could not parse is dropped with a warning: the counts must still match."""

    class LostEvents(FakeRunner):
        def preview(self, stack: str, **options: Any) -> OperationResult:
            result = super().preview(stack, **options)
            result.changes = {"replace": 1, "same": 4}  # the engine counted one; its events were lost
            return result

    events: list[tuple[str, str]] = []
    summary = Orchestrator(LostEvents(events), stacks=THREE, emit=lambda _: None).run("up", ["pre"])
    assert ("up", "pre") not in events
    assert summary.outcomes[0].message == (
        "up of stack pre stopped before any change: the preview counted changes whose step events never "
        "arrived (replace 1 counted, 0 seen), so they could not be checked; run it again"
    )


def test_an_interactive_no_after_the_preview_applies_nothing() -> None:
    events: list[tuple[str, str]] = []
    asked: list[tuple[str, list[tuple[str, str]], str]] = []

    def confirm(stack: str, report: Any) -> bool:
        asked.append((stack, list(events), describe_counts(report.counts)))
        return False

    summary = Orchestrator(FakeRunner(events), stacks=THREE, emit=lambda _: None, confirm=confirm).run("up")
    assert asked == [("org", [("preview", "org")], "create 3, update 0, replace 0, delete 0 (1 unchanged)")]
    assert events == [("preview", "org")]  # asked after the preview, and no up at all
    assert results(summary) == {"org": FAILED, "pre": NOT_RUN, "prod": NOT_RUN}
    assert summary.outcomes[0].message == (
        "up of stack org cancelled after its preview; nothing was applied to it"
    )
    assert summary.exit_code == EXIT_USAGE


def test_a_yes_is_asked_per_stack_and_the_org_change_waits_for_it() -> None:
    events: list[tuple[str, str]] = []

    def confirm(stack: str, report: Any) -> bool:
        events.append(("asked", stack))
        return True

    def before_apply(stack: str, emit: Any) -> None:
        events.append(("before up", stack))

    runner = FakeRunner(events)
    orchestrator = Orchestrator(runner, stacks=THREE,
                                emit=lambda _: None, confirm=confirm, before_apply=before_apply)
    orchestrator.run("up", ["org", "pre"])
    assert events == [
        ("preview", "org"), ("asked", "org"), ("before up", "org"), ("up", "org"),
        ("preview", "pre"), ("asked", "pre"), ("before up", "pre"), ("up", "pre"),
    ]


def test_a_preview_without_changes_is_not_asked_about() -> None:
    class NoChanges(FakeRunner):
        def preview(self, stack: str, **options: Any) -> OperationResult:
            result = super().preview(stack, **options)
            result.changes = {"same": 40}
            return result

    asked: list[str] = []

    def confirm(stack: str, report: Any) -> bool:
        asked.append(stack)
        return True

    events: list[tuple[str, str]] = []
    summary = Orchestrator(NoChanges(events), stacks=THREE,
                           emit=lambda _: None, confirm=confirm).run("up", ["pre"])
    assert asked == [] and events == [("preview", "pre"), ("up", "pre")] and summary.ok


def test_preview_alone_shows_what_up_would_refuse_but_succeeds() -> None:
    events: list[tuple[str, str]] = []
    lines: list[str] = []
    steps = {"org": [ResourceStep(urn("org", "aws:organizations/account:Account", "sandbox"),
                                  "aws:organizations/account:Account", "delete")]}
    summary = Orchestrator(FakeRunner(events, steps=steps), stacks=THREE,
                           emit=lines.append).run("preview", ["org"])
    assert summary.ok and events == [("preview", "org")]
    assert (
        "[org] up of stack org would stop: the preview would delete sandbox "
        "(aws:organizations/account:Account, member account: everything in it); if that is intended, run "
        "again with --allow-replace sandbox "
        "(or the full URN)"
    ) in lines
