"""The command line: help for every command, confirmation, preflight checks, gates wired to the real
readiness (moto) and smoke checks, and the profiles command delegated to deploy/profiles.py."""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from components import config
from deploy.cli import HELP, Services, build_parser, main
from deploy.runner import EXIT_FAILED, EXIT_OK, EXIT_SETUP, EXIT_USAGE
from tests.configs import FIXTURE_STACKS
from tests.stack_file_support import REAL_ACCOUNT_ID, copy_with_real_values
from tests.stack_tables import THREE
from tests.test_deploy_orchestrator import FakeRunner, replacement

ROOT = config.PROJECT_ROOT


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Moto, and a copy of the stack files with real values (preview and up refuse example values)."""
    # The caller; no organization yet, so deploy/derive.py takes it as the management account.
    monkeypatch.setenv("MOTO_ACCOUNT_ID", REAL_ACCOUNT_ID)
    with mock_aws():
        yield copy_with_real_values(tmp_path / "real")


def services(events: list[tuple[str, str]], **options: Any) -> Services:
    runner = FakeRunner(events)
    defaults: dict[str, Any] = {
        "runner": lambda: runner,
        "session_factory": lambda: boto3.Session(region_name="us-east-1"),
        "accounts_for": lambda stack, outputs: [
            (
                f"{stack}-account",
                "222222222222",
                "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole",
            )
        ],
        "fetch": lambda url, timeout: 200 if url.endswith("/q/health/live") else 401,
        "sleep": lambda seconds: None,
        "stdin": io.StringIO(""),
        # FakeRunner's org outputs name one account; tests/test_org_references.py covers this check.
        "check_org_references": False,
        "check_engine_version": False,  # RDS is stubbed in tests/test_aurora_version.py
        # moto has no StackSets trusted access: active, for a security stack (tests/test_stackset_access.py).
        "cloudformation_client": lambda region: types.SimpleNamespace(
            describe_organizations_access=lambda **kwargs: {"Status": "ENABLED"}
        ),
    }
    defaults.update(options)
    return Services(**defaults)


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser(THREE)
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(subparsers.choices) == {
        "plan", "preview", "up", "refresh", "destroy", "outputs", "profiles", "diagram", "wake", "logs",
        "status", "bootstrap", "migrate-state",
    }
    top = parser.format_help()
    for name, text in HELP.items():
        assert name in top
        with pytest.raises(SystemExit) as exited:
            main([name, "--help"])
        assert exited.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith(f"usage: python -m deploy {name}")
        assert " ".join(text.split()[:3]) in " ".join(out.split())
    for name in ("logs", "status"):
        with pytest.raises(SystemExit):
            main([name, "--help"])
        assert capsys.readouterr().out.startswith(f"usage: python -m deploy {name}")
    # A command's one-line help describes it; it never sends the reader to that same help.
    assert "see its --help" not in top


def test_profiles_help_says_what_it_does_and_that_the_plan_can_feed_it() -> None:
    assert "--help" not in HELP["profiles"]
    assert "--from-plan" in HELP["profiles"] and "SSO profiles" in HELP["profiles"]


def test_stacks_are_named_with_one_or_more_stack_options() -> None:
    parser = build_parser(THREE)
    assert parser.parse_args(["up", "--stack", "pre", "prod"]).stacks == ["pre", "prod"]
    assert parser.parse_args(["up", "--stack", "pre", "--stack", "org"]).stacks == ["pre", "org"]
    assert parser.parse_args(["up"]).stacks is None
    with pytest.raises(SystemExit):
        parser.parse_args(["up", "--stack", "staging"])


def test_up_deploys_in_order_through_the_real_gates(aws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events: list[tuple[str, str]] = []
    code = main(["up", "--yes"], services(events, root=aws))
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert events == [
        ("preview", "org"), ("up", "org"),
        ("preview", "cicd"), ("up", "cicd"),
        ("preview", "pre"), ("up", "pre"),
        ("preview", "prod"), ("up", "prod"),
    ]
    # The readiness gate assumed the role through boto3 (moto); the smoke gate probed both URLs.
    assert (
        "[pre] account pre-account (222222222222) accepts role assumption (OrganizationAccountAccessRole)"
        in out
    )
    assert "[prod] smoke check: API without a token answers 401 (https://prod.example/api/tasks)" in out


def test_a_failed_smoke_check_stops_prod_and_says_so_on_stderr(
    aws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events: list[tuple[str, str]] = []
    open_api = services(events, fetch=lambda url, timeout: 200, root=aws)
    code = main(["up", "--yes", "--smoke-timeout", "0"], open_api)
    captured = capsys.readouterr()
    assert code == EXIT_FAILED
    assert events == [
        ("preview", "org"), ("up", "org"), ("preview", "cicd"), ("up", "cicd"),
        ("preview", "pre"), ("up", "pre"),
    ]
    assert captured.err.strip() == (
        "up failed at stack pre: smoke check failed: API without a token of stack pre gave HTTP 200 "
        "instead of 401 at https://pre.example/api/tasks"
    )
    assert captured.out.splitlines()[-1].split()[:3] == ["prod", "not", "run"]


def test_credentials_of_another_account_than_the_management_account_are_refused(
    aws: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A management account id set in the stack file pins the run (deploy/derive.py derives it otherwise)."""
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "999999999999")
    text = (aws / "Pulumi.org.yaml").read_text()
    pin = f'config:\n  landing-zone:managementAccountId: "{REAL_ACCOUNT_ID}"\n'
    pinned = text.replace("config:\n", pin, 1)
    (aws / "Pulumi.org.yaml").write_text(pinned)
    events: list[tuple[str, str]] = []
    code = main(["up", "--stack", "org", "--yes"], services(events, root=aws))
    assert code == EXIT_SETUP and events == []
    assert capsys.readouterr().err.strip() == (
        f"error: The AWS credentials belong to account 999999999999, but Pulumi.org.yaml names "
        f"{REAL_ACCOUNT_ID} as the management account; use the management account's credentials."
    )


def test_changes_need_yes_when_there_is_no_terminal(aws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events: list[tuple[str, str]] = []
    code = main(["destroy"], services(events, root=aws))
    assert code == EXIT_USAGE and events == []
    assert capsys.readouterr().err.strip() == (
        "error: destroy changes real infrastructure; pass --yes to run it without a terminal"
    )


def test_a_terminal_user_confirms_or_cancels(aws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events: list[tuple[str, str]] = []
    assert main(["destroy"], services(events, stdin=Terminal("n\n"), root=aws)) == EXIT_USAGE
    assert events == []
    assert capsys.readouterr().err.strip() == "error: destroy cancelled"
    assert main(["destroy"], services(events, stdin=Terminal("y\n"), root=aws)) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("destroy stacks pre (state in the configured backend)? [y/N] ")
    assert events == [("destroy", "pre")]  # production, like org, only when named
    assert "org    skipped" in out and "prod   skipped" in out


def test_preview_needs_no_confirmation_and_passes_the_policy_pack(
    aws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tmp_path = aws
    events: list[tuple[str, str]] = []
    runner = FakeRunner(events)
    options = services(events, runner=lambda: runner, root=tmp_path)
    assert main(["preview", "--policy-pack"], options) == EXIT_SETUP
    assert "--policy-pack: " in capsys.readouterr().err and events == []
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "PulumiPolicy.yaml").write_text("runtime: python\n")
    assert main(["preview", "--policy-pack"], options) == EXIT_OK
    assert events == [("preview", "org"), ("preview", "cicd"), ("preview", "pre"), ("preview", "prod")]
    assert runner.policy_packs == [[str(tmp_path / "policies")]] * 4


def test_bad_config_stops_up_before_any_pulumi_command(
    aws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for stack in ("org", "pre", "prod"):
        shutil.copy(ROOT / config.stack_file(stack), tmp_path)
    text = (
        (tmp_path / "Pulumi.org.yaml")
        .read_text()
        .replace("config:\n", 'config:\n  landing-zone:managementAccountId: "1111"\n', 1)
    )
    (tmp_path / "Pulumi.org.yaml").write_text(text)
    built: list[bool] = []
    options = services([], root=tmp_path, runner=lambda: built.append(True))
    assert main(["up", "--yes"], options) == EXIT_FAILED
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: Pulumi.org.yaml: landing-zone:managementAccountId: ") and "\n" not in err
    assert built == []


def test_profiles_is_delegated_to_deploy_profiles(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[argparse.Namespace] = []
    module = types.ModuleType("deploy.profiles")

    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--write", action="store_true")

    def run(args: argparse.Namespace, root: Path | None = None) -> int:
        calls.append(args)
        roots.append(root)
        return 0

    module.add_arguments = add_arguments  # type: ignore[attr-defined]
    module.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "deploy.profiles", module)
    import deploy

    monkeypatch.setattr(deploy, "profiles", module, raising=False)
    roots: list[Path | None] = []
    assert main(["profiles", "--write"], Services(root=FIXTURE_STACKS)) == 0
    assert calls[0].write is True
    assert roots == [FIXTURE_STACKS]  # --from-plan plans the stack files the CLI was given


def test_without_deploy_profiles_the_rest_of_the_cli_works(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import deploy

    monkeypatch.setitem(sys.modules, "deploy.profiles", None)  # import fails as if the file were missing
    monkeypatch.delattr(deploy, "profiles", raising=False)
    assert main(["profiles"]) == EXIT_SETUP
    assert capsys.readouterr().err.strip() == (
        "error: the profiles command is not available: deploy/profiles.py is not available"
    )
    with pytest.raises(SystemExit) as exited:
        main(["plan", "--help"])
    assert exited.value.code == 0


def test_an_allow_replace_that_names_nothing_in_the_previews_is_warned_about(
    aws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events: list[tuple[str, str]] = []
    runner = FakeRunner(events, steps={"pre": replacement("pre", "aws:rds/cluster:Cluster", "pre-db")})
    options = services(events, root=aws, runner=lambda: runner)
    argv = ["preview", "--allow-replace", "pre-db", "--allow-replace", "pre-dbb"]
    assert main(argv, options) == EXIT_OK
    captured = capsys.readouterr()
    assert "(allowed by --allow-replace)" in captured.out
    # The misspelt one named nothing the previews would replace or delete.
    assert captured.err.splitlines() == [
        "warning: --allow-replace pre-dbb named no replace or delete in the previews"
    ]


def test_parallel_help_mentions_the_smoke_check_only_where_there_is_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Only up runs pre's smoke check between stacks; refresh and destroy must not promise or skip it."""
    helps = {}
    for name in ("preview", "up", "refresh", "destroy"):
        with pytest.raises(SystemExit):
            main([name, "--help"])
        helps[name] = " ".join(capsys.readouterr().out.split())
    assert "smoke check" in helps["up"]
    assert [name for name in ("preview", "refresh", "destroy") if "smoke" in helps[name]] == []
