"""The Automation API runner, driven by a fake ``PulumiCommand``: the Pulumi CLI command lines it would
run, the environment they get, output streaming, and how every failure becomes one sentence."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import grpc
import pytest
from pulumi import automation as auto
from pulumi.automation.errors import create_command_error
from pulumi.runtime.proto import events_pb2, events_pb2_grpc
from semver import VersionInfo

from components.config import PROJECT_ROOT as ROOT
from deploy.automation import AutomationRunner, workspace_env
from deploy.cli import Services, main
from deploy.runner import (
    EXIT_CONCURRENT,
    EXIT_SETUP,
    EXIT_USAGE,
    ConcurrentUpdateError,
    SetupError,
    StackNotFoundError,
    StackOperationError,
)
from tests.stack_file_support import copy_with_real_values

PASSPHRASE = {"PULUMI_CONFIG_PASSPHRASE": "correct horse"}
HISTORY = [
    {
        "kind": "update",
        "startTime": "2026-01-01T10:00:00.000Z",
        "endTime": "2026-01-01T10:03:00.000Z",
        "message": "",
        "environment": {},
        "config": {},
        "result": "succeeded",
        "version": 1,
        "resourceChanges": {"create": 27, "same": 2},
    }
]


Step = tuple[str, str, str]  # (op, resource type, resource name) of one engine step


class FakePulumiCommand(auto.PulumiCommand):
    """Stands in for the Pulumi CLI: records each command line and answers like the CLI would.

    ``__init__`` of the real class runs ``pulumi version``; this one does not. A preview sends the engine
    events the CLI sends with ``--event-log``: a ``resourcePreEvent`` per step given in ``steps`` for the
    stack, then the summary (counting logical steps only, as the engine does), then the cancel event.
    ``--save-plan FILE`` writes a plan file; ``up --plan FILE`` notes what that file held (None: missing).
    """

    def __init__(
        self,
        *,
        stacks: set[str] | None = None,
        fail: Mapping[str, tuple[str, str]] | None = None,
        outputs: Mapping[str, Any] | None = None,
        steps: Mapping[str, list[Step]] | None = None,
    ) -> None:
        self.command = "pulumi"
        self.version = VersionInfo.parse("3.272.0")
        self.stacks = set(stacks or ())
        self.fail = dict(fail or {})  # subcommand -> (stdout, stderr) of a failing run
        self.outputs = dict(outputs or {"accounts": {"sandbox": "222222222222"}, "db_password": "s3cret"})
        self.steps = {stack: list(found) for stack, found in (steps or {}).items()}
        self.calls: list[dict[str, Any]] = []
        self.applied_plans: list[Any] = []

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: Any = None,
        on_error: Any = None,
    ) -> auto.CommandResult:
        line = ["pulumi", "--non-interactive", *args]  # what the real run() executes
        self.calls.append({"argv": line, "cwd": cwd, "env": dict(additional_env)})
        stack = args[args.index("--stack") + 1] if "--stack" in args else None
        verb = args[0] if args[0] != "stack" else f"stack {args[1]}"
        if verb in self.fail:
            stdout, stderr = self.fail[verb]
            raise create_command_error(auto.CommandResult(stdout=stdout, stderr=stderr, code=255))
        if verb == "stack select":
            if stack not in self.stacks:
                raise create_command_error(
                    auto.CommandResult("", f"error: no stack named '{stack}' found", 255)
                )
            return auto.CommandResult("", "", 0)
        if verb == "stack init":
            self.stacks.add(args[2])
            return auto.CommandResult("", "", 0)
        if verb == "stack output":
            values = dict(self.outputs)
            if "--show-secrets" not in args:
                values["db_password"] = "[secret]"
            return auto.CommandResult(json.dumps(values), "", 0)
        if verb == "stack history":
            return auto.CommandResult(json.dumps(HISTORY), "", 0)
        # preview / up / refresh / destroy: stream progress, report the engine's summary event.
        for text in (f"{args[0]} of {stack} starting", "  + aws:organizations:Account sandbox created"):
            if on_output:
                on_output(text)
        if "--plan" in args:
            plan = Path(args[args.index("--plan") + 1])
            self.applied_plans.append(json.loads(plan.read_text()) if plan.is_file() else None)
        steps = self.steps.get(str(stack), []) if args[0] == "preview" else []
        if "--save-plan" in args:
            plan = Path(args[args.index("--save-plan") + 1])
            plan.write_text(json.dumps({"stack": stack, "steps": [list(step) for step in steps]}))
        if "--event-log" in args:
            events = [self._pre_event(str(stack), step) for step in steps]
            self._send_events(args[args.index("--event-log") + 1], events, self._counts(steps))
        return auto.CommandResult(f"{args[0]} of {stack} done", "", 0)

    @staticmethod
    def _pre_event(stack: str, step: Step) -> dict[str, Any]:
        """The ``resourcePreEvent`` of one step (pulumi/pulumi sdk/go/common/apitype/events.go)."""
        op, type_, name = step
        urn = f"urn:pulumi:{stack}::landing-zone::{type_}::{name}"
        return {
            "resourcePreEvent": {
                "metadata": {
                    "op": op,
                    "urn": urn,
                    "type": type_,
                    "provider": "",
                    "keys": ["name"] if "replace" in op else [],
                    "logical": op not in ("create-replacement", "delete-replaced"),
                },
                "planning": True,
            }
        }

    @staticmethod
    def _counts(steps: list[Step]) -> dict[str, int]:
        if not steps:
            return {"create": 4, "same": 1}
        counts = {"same": 1}
        for op, _, _ in steps:
            if op not in ("create-replacement", "delete-replaced"):  # not logical: not counted
                counts[op] = counts.get(op, 0) + 1
        return counts

    @staticmethod
    def _send_events(target: str, steps: list[dict[str, Any]], changes: Mapping[str, int]) -> None:
        """Engine events as the CLI sends them: over gRPC to the Automation API's events server."""
        events = [{"sequence": n, "timestamp": n, **event} for n, event in enumerate(steps, start=1)]
        events += [
            {
                "sequence": len(events) + 1,
                "timestamp": len(events) + 1,
                "summaryEvent": {
                    "maybeCorrupt": False,
                    "durationSeconds": 3,
                    "resourceChanges": dict(changes),
                },
            },
            {"sequence": len(events) + 2, "timestamp": len(events) + 2, "cancelEvent": {}},
        ]
        with grpc.insecure_channel(target.removeprefix("tcp://")) as channel:
            stub = events_pb2_grpc.EventsStub(channel)
            stub.StreamEvents(iter([events_pb2.EventRequest(event=json.dumps(event)) for event in events]))

    def argv(self, verb: str) -> list[list[str]]:
        return [call["argv"] for call in self.calls if verb in " ".join(call["argv"][:4])]


def runner(
    tmp_path: Path, command: FakePulumiCommand, environ: Mapping[str, str] | None = None
) -> AutomationRunner:
    return AutomationRunner(
        tmp_path, environ=dict(PASSPHRASE if environ is None else environ), command_factory=lambda: command
    )


def test_up_on_a_fresh_local_backend_creates_the_stack_and_runs_pulumi_up_in_the_project(
    tmp_path: Path,
) -> None:
    command = FakePulumiCommand()
    lines: list[str] = []
    result = runner(tmp_path, command).up("org", on_output=lines.append)

    argvs = [call["argv"] for call in command.calls]
    assert argvs[0] == ["pulumi", "--non-interactive", "stack", "select", "--stack", "org"]
    assert argvs[1] == ["pulumi", "--non-interactive", "stack", "init", "org"]
    up = argvs[2]
    assert up[:5] == ["pulumi", "--non-interactive", "up", "--yes", "--skip-preview"]
    assert up[up.index("--color") + 1] == "never"
    assert up[up.index("--exec-kind") + 1] == "auto.local"  # the program in the project dir, not inline
    assert up[-2:] == ["--stack", "org"]
    assert "--policy-pack" not in up
    assert argvs[3:5] == [
        ["pulumi", "--non-interactive", "stack", "output", "--json", "--stack", "org"],
        ["pulumi", "--non-interactive", "stack", "output", "--json", "--show-secrets", "--stack", "org"],
    ]
    # Every command runs in the project directory with the backend and passphrase of the driver.
    backend = f"file://{(tmp_path / '.pulumi-state').resolve()}"
    for call in command.calls:
        assert call["cwd"] == str(tmp_path)
        assert call["env"]["PULUMI_BACKEND_URL"] == backend
        assert call["env"]["PULUMI_CONFIG_PASSPHRASE"] == "correct horse"
    assert (tmp_path / ".pulumi-state").is_dir()
    # Progress streamed line by line; changes from the update's summary; outputs as plain values.
    assert lines == ["up of org starting", "  + aws:organizations:Account sandbox created"]
    assert result.changes == {"create": 27, "same": 2}
    assert result.outputs == {"accounts": {"sandbox": "222222222222"}, "db_password": "s3cret"}


def test_preview_passes_the_policy_pack_and_reads_changes_from_the_engine_events(tmp_path: Path) -> None:
    command = FakePulumiCommand(stacks={"pre"})
    pack = str(tmp_path / "policies")
    result = runner(tmp_path, command).preview("pre", on_output=lambda _: None, policy_packs=[pack])
    preview = command.argv("preview")[0]
    assert preview[2] == "preview"
    assert preview[preview.index("--policy-pack") + 1] == pack
    assert preview[preview.index("--event-log") + 1].startswith("tcp://127.0.0.1:")
    assert not command.argv("stack init")  # the stack existed: selected, not created
    assert result.changes == {"create": 4, "same": 1}


def test_refresh_and_destroy_select_an_existing_stack_and_never_create_one(tmp_path: Path) -> None:
    command = FakePulumiCommand(stacks={"prod"})
    run = runner(tmp_path, command)
    assert run.refresh("prod", on_output=lambda _: None).changes == {"create": 27, "same": 2}
    assert run.destroy("prod", on_output=lambda _: None).changes == {"create": 27, "same": 2}
    for verb in ("refresh", "destroy"):
        argv = command.argv(verb)[0]
        assert argv[2] == verb and {"--yes", "--skip-preview"} <= set(argv)  # non-interactive
        assert argv[-2:] == ["--stack", "prod"]
    # A stack that was never deployed has nothing to destroy: no init, no destroy, no error.
    lines: list[str] = []
    assert run.destroy("pre", on_output=lines.append).changes == {}
    assert not command.argv("stack init") and len(command.argv("destroy")) == 1
    assert lines == [f"stack pre does not exist in {run.backend_url}: nothing to destroy"]


def test_outputs_of_a_stack_that_was_never_deployed_say_so(tmp_path: Path) -> None:
    with pytest.raises(StackNotFoundError, match="stack pre does not exist in the backend file://"):
        runner(tmp_path, FakePulumiCommand()).outputs("pre")


def test_outputs_mark_secrets(tmp_path: Path) -> None:
    values, secret = runner(tmp_path, FakePulumiCommand(stacks={"org"})).outputs_with_secrets("org")
    assert values["db_password"] == "s3cret" and secret == {"db_password"}


def test_any_backend_url_set_by_the_user_is_honoured(tmp_path: Path) -> None:
    command = FakePulumiCommand(stacks={"org"})
    environ = {
        "PULUMI_BACKEND_URL": "s3://state-bucket/landing-zone",
        "PULUMI_CONFIG_PASSPHRASE_FILE": "/run/pp",
    }
    runner(tmp_path, command, environ).outputs("org")
    env = command.calls[0]["env"]
    assert env["PULUMI_BACKEND_URL"] == "s3://state-bucket/landing-zone"
    assert env["PULUMI_CONFIG_PASSPHRASE_FILE"] == "/run/pp"
    assert "PULUMI_CONFIG_PASSPHRASE" not in env
    assert not (tmp_path / ".pulumi-state").exists()


def test_a_passphrase_is_required_for_a_file_or_bucket_backend_but_not_for_pulumi_cloud(
    tmp_path: Path,
) -> None:
    with pytest.raises(
        SetupError, match=r"^PULUMI_CONFIG_PASSPHRASE \(or PULUMI_CONFIG_PASSPHRASE_FILE\) is not set"
    ):
        workspace_env(tmp_path, {})
    with pytest.raises(SetupError):
        workspace_env(tmp_path, {"PULUMI_BACKEND_URL": "s3://bucket"})
    cloud = workspace_env(tmp_path, {"PULUMI_BACKEND_URL": "https://api.pulumi.com"})
    assert cloud["PULUMI_BACKEND_URL"] == "https://api.pulumi.com"
    # An empty passphrase is a deliberate choice Pulumi accepts.
    assert workspace_env(tmp_path, {"PULUMI_CONFIG_PASSPHRASE": ""})["PULUMI_CONFIG_PASSPHRASE"] == ""


def test_a_missing_pulumi_cli_is_one_clear_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # the real PulumiCommand finds no `pulumi` here
    with pytest.raises(SetupError) as caught:
        AutomationRunner(tmp_path, environ=PASSPHRASE)
    assert str(caught.value).startswith("The Pulumi CLI was not found on PATH; install it from")
    assert caught.value.exit_code == EXIT_SETUP


def test_a_concurrent_update_is_reported_with_the_stack_and_what_to_do(tmp_path: Path) -> None:
    command = FakePulumiCommand(
        stacks={"pre"},
        fail={
            "up": (
                "",
                "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) "
                "to end or delete the lock file with `pulumi cancel`.",
            )
        },
    )
    with pytest.raises(ConcurrentUpdateError) as caught:
        runner(tmp_path, command).up("pre", on_output=lambda _: None)
    assert str(caught.value).startswith("stack pre is locked by another update; wait for it to finish")
    assert caught.value.exit_code == EXIT_CONCURRENT


def test_missing_aws_credentials_during_an_operation_are_named_as_such(tmp_path: Path) -> None:
    command = FakePulumiCommand(
        stacks={"org"},
        fail={
            "preview": (
                "",
                "error: unable to validate AWS credentials.\nError: No valid credential sources found",
            )
        },
    )
    with pytest.raises(StackOperationError) as caught:
        runner(tmp_path, command).preview("org", on_output=lambda _: None)
    assert str(caught.value).startswith("pulumi preview of stack org found no valid AWS credentials")
    assert caught.value.exit_code == EXIT_SETUP


def test_other_failures_keep_the_cli_error_line(tmp_path: Path) -> None:
    command = FakePulumiCommand(
        stacks={"org"},
        fail={
            "up": (
                "Updating (org)\n  aws:organizations:Account sandbox creating failed",
                "error: update failed\n",
            )
        },
    )
    with pytest.raises(StackOperationError, match=r"^pulumi up of stack org failed: update failed$"):
        runner(tmp_path, command).up("org", on_output=lambda _: None)


def test_cli_up_through_the_automation_runner_streams_and_writes_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = FakePulumiCommand()
    real_root = copy_with_real_values(tmp_path / "real")  # preview and up refuse example values
    services = Services(runner=lambda: runner(tmp_path, command), check_credentials=False, root=real_root)
    summary = tmp_path / "summary.json"
    code = main(["up", "--stack", "org", "--yes", "--json", str(summary)], services)
    out = capsys.readouterr().out
    assert code == 0
    assert "[org] up of org starting" in out
    assert out.splitlines()[-1].split()[:4] == ["org", "succeeded", "create", "27"]
    data = json.loads(summary.read_text())
    assert data["ok"] is True and data["stacks"][0]["changes"] == {"create": 27, "same": 2}


def test_cli_outputs_masks_secrets_unless_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    command = FakePulumiCommand(stacks={"org"})
    services = Services(runner=lambda: runner(tmp_path, command))
    assert main(["outputs", "--stack", "org"], services) == 0
    out = capsys.readouterr().out
    assert "  db_password: [secret]" in out and '  accounts: {"sandbox": "222222222222"}' in out
    assert main(["outputs", "--stack", "org", "--show-secrets"], services) == 0
    assert "  db_password: s3cret" in capsys.readouterr().out


def test_cli_setup_errors_are_one_line_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    services = Services(
        runner=lambda: AutomationRunner(tmp_path, command_factory=FakePulumiCommand), check_credentials=False
    )
    code = main(["destroy", "--stack", "pre", "--yes"], services)
    err = capsys.readouterr().err
    assert code == EXIT_SETUP
    assert err.startswith("error: PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) is not set")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_an_existing_organization_is_explained_with_the_config_key_that_adopts_it(tmp_path: Path) -> None:
    command = FakePulumiCommand(
        stacks={"org"},
        fail={
            "up": (
                "",
                "error: creating AWS Organizations Organization: operation error Organizations: "
                "CreateOrganization, AlreadyInOrganizationException: The AWS account is already a member "
                "of an organization.\n",
            )
        },
    )
    with pytest.raises(StackOperationError) as caught:
        runner(tmp_path, command).up("org", on_output=lambda _: None)
    assert str(caught.value).startswith(
        "pulumi up of stack org failed: the management account already belongs to an organization; "
        "`python -m deploy up` adopts it by itself (plain pulumi: set landing-zone:organization.importId"
    )


# --- up shows what it will do, then does exactly that -------------------------------------------------

ORGANIZATION = "aws:organizations/organization:Organization"


def replaced(type_: str, name: str) -> list[Step]:
    """The three steps the engine reports for one replacement (only ``replace`` is logical)."""
    return [(op, type_, name) for op in ("create-replacement", "replace", "delete-replaced")]


def test_preview_saves_the_update_plan_and_up_applies_that_file(tmp_path: Path) -> None:
    command = FakePulumiCommand(stacks={"pre"})
    run = runner(tmp_path, command)
    plan = tmp_path / "plans" / "pre.plan.json"
    plan.parent.mkdir()
    run.preview("pre", on_output=lambda _: None, plan_file=plan)
    run.up("pre", on_output=lambda _: None, plan_file=plan)
    [preview] = command.argv("preview")
    [up] = command.argv("up")
    assert preview[preview.index("--save-plan") + 1] == str(plan)
    assert up[up.index("--plan") + 1] == str(plan)
    assert command.applied_plans == [{"stack": "pre", "steps": []}]  # the very file the preview wrote
    # Update plans need no PULUMI_EXPERIMENTAL (it only lists the flags in --help), and it is not set.
    assert all("PULUMI_EXPERIMENTAL" not in call["env"] for call in command.calls)


def test_without_a_plan_file_neither_flag_is_passed(tmp_path: Path) -> None:
    command = FakePulumiCommand(stacks={"pre"})
    run = runner(tmp_path, command)
    run.preview("pre", on_output=lambda _: None)
    run.up("pre", on_output=lambda _: None)
    assert "--save-plan" not in command.argv("preview")[0] and "--plan" not in command.argv("up")[0]


def test_preview_reads_each_step_from_the_engine_events(tmp_path: Path) -> None:
    steps = [
        ("create", "aws:ecs/cluster:Cluster", "pre-cluster"),
        *replaced("aws:rds/cluster:Cluster", "pre-db"),
        ("same", "aws:cloudwatch/logGroup:LogGroup", "pre-logs"),
    ]
    command = FakePulumiCommand(stacks={"pre"}, steps={"pre": steps})
    result = runner(tmp_path, command).preview("pre", on_output=lambda _: None)
    assert [(step.op, step.type, step.urn.rsplit("::", 1)[1]) for step in result.steps] == steps
    assert result.steps[1].urn == "urn:pulumi:pre::landing-zone::aws:rds/cluster:Cluster::pre-db"
    assert result.steps[1].keys == ("name",)
    assert result.changes == {"create": 1, "replace": 1, "same": 2}


def test_a_departure_from_the_plan_and_a_cli_without_plans_are_explained(tmp_path: Path) -> None:
    violation = (
        "error: resource urn:pulumi:pre::landing-zone::aws:rds/cluster:Cluster::pre-db violates plan: "
        "properties changed: +-engineVersion[{16.4}]"
    )
    command = FakePulumiCommand(stacks={"pre"}, fail={"up": ("", violation + "\nerror: update failed\n")})
    with pytest.raises(StackOperationError) as caught:
        runner(tmp_path, command).up("pre", on_output=lambda _: None, plan_file=tmp_path / "p.json")
    assert str(caught.value) == (
        "pulumi up of stack pre stopped where the update departed from its preview (resource "
        "urn:pulumi:pre::landing-zone::aws:rds/cluster:Cluster::pre-db violates plan: properties changed: "
        "+-engineVersion[{16.4}]); what was applied before that stays, run up again for a new preview"
    )
    old = FakePulumiCommand(stacks={"pre"}, fail={"preview": ("", "Error: unknown flag: --save-plan\n")})
    with pytest.raises(StackOperationError) as refused:
        runner(tmp_path, old).preview("pre", on_output=lambda _: None, plan_file=tmp_path / "p.json")
    assert "this Pulumi CLI does not know update plans (--save-plan / --plan)" in str(refused.value)
    assert refused.value.exit_code == EXIT_SETUP


def cli_services(tmp_path: Path, command: FakePulumiCommand, stdin: Any = None) -> Services:
    root = copy_with_real_values(tmp_path / "real")  # preview and up refuse example values
    return Services(
        runner=lambda: runner(tmp_path, command),
        check_credentials=False,
        check_org_references=False,  # the fake CLI's org outputs are minimal (tests/test_org_references.py)
        root=root,
        accounts_for=lambda stack, outputs: [],
        stdin=stdin if stdin is not None else io.StringIO(""),
    )


def operations(command: FakePulumiCommand) -> list[tuple[str, str, str | None]]:
    """Each preview and up in order: (verb, stack, plan file it saved or applied)."""
    found = []
    for call in command.calls:
        argv = call["argv"]
        if argv[2] in ("preview", "up"):
            flag = "--save-plan" if argv[2] == "preview" else "--plan"
            plan = argv[argv.index(flag) + 1] if flag in argv else None
            found.append((argv[2], argv[argv.index("--stack") + 1], plan))
    return found


def test_cli_up_previews_each_stack_then_applies_exactly_that_plan_in_order(tmp_path: Path) -> None:
    command = FakePulumiCommand()
    services = cli_services(tmp_path, command)
    assert main(["up", "--stack", "org", "pre", "--yes", "--skip-smoke-check"], services) == 0
    done = operations(command)
    assert [(verb, stack) for verb, stack, _ in done] == [
        ("preview", "org"), ("up", "org"), ("preview", "pre"), ("up", "pre")
    ]
    for (_, _, saved), (_, _, applied) in (done[0:2], done[2:4]):
        assert saved is not None and applied == saved
    assert done[0][2] != done[2][2]
    assert command.applied_plans == [{"stack": "org", "steps": []}, {"stack": "pre", "steps": []}]


def test_cli_up_runs_the_policy_pack_on_the_preview_and_on_the_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "correct horse")
    command = FakePulumiCommand()
    services = cli_services(tmp_path, command)
    services.runner = None  # the CLI builds the AutomationRunner itself, with the pack's config file
    services.command_factory = lambda: command
    (services.root / "policies").mkdir()
    (services.root / "policies" / "PulumiPolicy.yaml").write_text("runtime: python\n")
    assert main(["up", "--stack", "org", "--yes", "--policy-pack"], services) == 0
    pack = str(services.root / "policies")
    [preview] = command.argv("preview")
    [up] = command.argv("up")
    for argv in (preview, up):  # an up without the pack would apply what the pack never checked
        assert argv[argv.index("--policy-pack") + 1] == pack
        config_file = argv[argv.index("--policy-pack-config") + 1]
        assert config_file == str(services.root / ".pulumi-policy-config.json")


def test_cli_up_stops_on_a_stateful_replace_from_the_engine_events_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    steps = {
        "org": [("create", "aws:organizations/policy:Policy", "deny-list"), *replaced(ORGANIZATION, "org")]
    }
    command = FakePulumiCommand(steps=steps)
    services = cli_services(tmp_path, command)
    summary = tmp_path / "summary.json"
    assert main(["up", "--stack", "org", "--yes", "--json", str(summary)], services) == EXIT_USAGE
    captured = capsys.readouterr()
    assert [verb for verb, _, _ in operations(command)] == ["preview"]  # nothing applied
    assert "[org] preview: create 1, update 0, replace 1, delete 0 (1 unchanged)" in captured.out
    assert captured.err.strip() == (
        "up failed at stack org: up of stack org stopped before any change: the preview would replace org "
        f"({ORGANIZATION}, the organization: its accounts, OUs and policies); if that is intended, run again "
        "with --allow-replace org (or the full URN)"
    )
    [org] = json.loads(summary.read_text())["stacks"]
    assert [change["change"] for change in org["stateful_changes"]] == ["replace"]
    command.calls.clear()
    assert main(["up", "--stack", "org", "--yes", "--allow-replace", "org"], services) == 0
    assert [verb for verb, _, _ in operations(command)] == ["preview", "up"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_cli_interactive_up_asks_after_the_preview_and_no_applies_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = FakePulumiCommand()
    services = cli_services(tmp_path, command, stdin=Terminal("n\n"))
    assert main(["up", "--stack", "org"], services) == EXIT_USAGE
    out = capsys.readouterr().out
    assert [verb for verb, _, _ in operations(command)] == ["preview"]
    summary_at = out.index("[org] preview: create 4, update 0, replace 0, delete 0 (1 unchanged)")
    assert summary_at < out.index("apply this preview to stack org (state in file://")
    command.calls.clear()
    services.stdin = Terminal("y\n")
    assert main(["up", "--stack", "org"], services) == 0
    assert [verb for verb, _, _ in operations(command)] == ["preview", "up"]


def test_cli_up_without_a_terminal_needs_yes_and_runs_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = FakePulumiCommand()
    assert main(["up", "--stack", "org"], cli_services(tmp_path, command)) == EXIT_USAGE
    assert capsys.readouterr().err.strip() == (
        "error: up changes real infrastructure; pass --yes to run it without a terminal"
    )
    assert command.calls == []


# --- the secrets provider of a stack the driver creates on a shared backend ----------------------------

SHARED_BACKEND = {"PULUMI_BACKEND_URL": "s3://state-bucket/landing-zone"}  # no PULUMI_SECRETS_PROVIDER
ALIAS_NAME = "awskms://alias/pulumi-state?region=us-east-1"  # Pulumi.org.yaml's stateBackend, its region


def _with_state_backend(tmp_path: Path) -> Path:
    """A project holding the shipped Pulumi.org.yaml, whose stateBackend names the state key."""
    shutil.copy(ROOT / "Pulumi.org.yaml", tmp_path / "Pulumi.org.yaml")
    return tmp_path


def _created_with(command: FakePulumiCommand) -> list[str]:
    return [argv[argv.index("--secrets-provider") + 1] for argv in command.argv("stack init")]


def test_a_new_stack_on_a_shared_backend_names_the_state_key_by_its_alias_arn(tmp_path: Path) -> None:
    """KMS resolves an alias name in the caller's account only: pre's CI role (deployments-sdlc) needs
    the key of the state account (deployments-prod) by ARN, which org's outputs give."""
    root = _with_state_backend(tmp_path)
    command = FakePulumiCommand(stacks={"org"}, outputs={"accounts": {"deployments-prod": "123456789012"}})
    run = AutomationRunner(root, environ=SHARED_BACKEND, command_factory=lambda: command)
    run.preview("pre", on_output=lambda _: None)
    run.preview("prod", on_output=lambda _: None)
    arn = "awskms:///arn:aws:kms:us-east-1:123456789012:alias/pulumi-state?region=us-east-1"
    assert _created_with(command) == [arn, arn]
    # org's outputs read once per run (one `stack output` pair: plain, then with secrets)
    assert [argv[-1] for argv in command.argv("stack output")] == ["org", "org"]


def test_without_org_outputs_a_new_stack_keeps_the_alias_name(tmp_path: Path) -> None:
    root = _with_state_backend(tmp_path)
    command = FakePulumiCommand(outputs={"accounts": {"sandbox": "222222222222"}})  # org not deployed
    AutomationRunner(root, environ=SHARED_BACKEND, command_factory=lambda: command).preview(
        "pre", on_output=lambda _: None)
    assert _created_with(command) == [ALIAS_NAME]
    # org itself never reads its own outputs first, and a set PULUMI_SECRETS_PROVIDER is taken as it is.
    command = FakePulumiCommand()
    environ = {**SHARED_BACKEND, "PULUMI_SECRETS_PROVIDER": "awskms:///arn:aws:kms:us-east-1:1:alias/x"}
    run = AutomationRunner(root, environ=environ, command_factory=lambda: command)
    run.preview("org", on_output=lambda _: None)
    run.preview("pre", on_output=lambda _: None)
    assert _created_with(command) == ["awskms:///arn:aws:kms:us-east-1:1:alias/x"] * 2
    assert not command.argv("stack output")
