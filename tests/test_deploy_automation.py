"""The Automation API runner, driven by a fake ``PulumiCommand``: the Pulumi CLI command lines it would
run, the environment they get, output streaming, and how every failure becomes one sentence."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import grpc
import pytest
from pulumi import automation as auto
from pulumi.automation.errors import create_command_error
from pulumi.runtime.proto import events_pb2, events_pb2_grpc
from semver import VersionInfo

from deploy.automation import AutomationRunner, workspace_env
from deploy.cli import Services, main
from deploy.runner import (
    EXIT_CONCURRENT,
    EXIT_SETUP,
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


class FakePulumiCommand(auto.PulumiCommand):
    """Stands in for the Pulumi CLI: records each command line and answers like the CLI would.

    ``__init__`` of the real class runs ``pulumi version``; this one does not.
    """

    def __init__(
        self,
        *,
        stacks: set[str] | None = None,
        fail: Mapping[str, tuple[str, str]] | None = None,
        outputs: Mapping[str, Any] | None = None,
    ) -> None:
        self.command = "pulumi"
        self.version = VersionInfo.parse("3.272.0")
        self.stacks = set(stacks or ())
        self.fail = dict(fail or {})  # subcommand -> (stdout, stderr) of a failing run
        self.outputs = dict(outputs or {"accounts": {"sandbox": "222222222222"}, "db_password": "s3cret"})
        self.calls: list[dict[str, Any]] = []

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
        if "--event-log" in args:
            self._send_events(args[args.index("--event-log") + 1], {"create": 4, "same": 1})
        return auto.CommandResult(f"{args[0]} of {stack} done", "", 0)

    @staticmethod
    def _send_events(target: str, changes: Mapping[str, int]) -> None:
        """Engine events as the CLI sends them: over gRPC to the Automation API's events server."""
        events = [
            {
                "sequence": 1,
                "timestamp": 1,
                "summaryEvent": {
                    "maybeCorrupt": False,
                    "durationSeconds": 3,
                    "resourceChanges": dict(changes),
                },
            },
            {"sequence": 2, "timestamp": 2, "cancelEvent": {}},
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
