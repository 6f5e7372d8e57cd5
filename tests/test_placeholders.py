"""Example values in the stack files: `plan` warns about each, `preview` and `up` refuse to start."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import config
from deploy import placeholders, stack_checks
from deploy.cli import Services, main
from deploy.runner import EXIT_OK, EXIT_USAGE
from tests.stack_file_support import copy_with_real_values, never_built
from tests.test_deploy_orchestrator import FakeRunner


def found(file_config: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(p.key, p.value, p.kind) for p in placeholders.scan(file_config, "Pulumi.org.yaml")]


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("111111111111", "example account id"),
        ("000000000000", "example account id"),
        ("123456789012", "example account id"),
        ("aws-sandbox@example.com", "example domain"),
        ("aws+{key}@example.org", "example domain"),  # an e-mail pattern is an example too
        ("ops@mail.EXAMPLE.net", "example domain"),
        ("https://app.example.com/home/", "example domain"),
        ("tasks-pre-example", "example name"),
        ("https://github.com/<owner>/hiperium-city-tasks", "template marker"),
        ("o-xxxxxxxxxx", "template marker"),
    ],
)
def test_each_kind_of_example_value_is_found(value: str, kind: str) -> None:
    assert found({"landing-zone:key": value}) == [("landing-zone:key", value, kind)]


@pytest.mark.parametrize(
    "value",
    ["350298761245", "111111111112", "ops@examples.com", "ops@example.company.io", "tasks-pre",
     "example-tasks", "https://us-east-1.console.aws.amazon.com/console/home", "http://localhost:8100/home/"],
)
def test_real_values_are_not_placeholders(value: str) -> None:
    assert found({"landing-zone:key": value}) == []


def test_keys_are_named_by_their_path_and_unreadable_values_are_skipped() -> None:
    file_config = {
        "pulumi:disable-default-providers": ["*"],
        "landing-zone:managementAccountId": 111111111111,  # unquoted in YAML: an int
        "landing-zone:accounts": [
            {"key": "sandbox", "email": "me@hiperium-city.dev", "closeOnDeletion": False},
            {"key": "idp", "email": "idp@example.com", "budget": {"notify": ["bill@example.org"]}},
        ],
        "landing-zone:token": {"secure": "v1:xxxxxxxxxxxxxxxx"},  # encrypted: not a readable value
    }
    assert found(file_config) == [
        ("landing-zone:managementAccountId", "111111111111", "example account id"),
        ("landing-zone:accounts[1].email", "idp@example.com", "example domain"),
        ("landing-zone:accounts[1].budget.notify[0]", "bill@example.org", "example domain"),
    ]


def test_an_unset_key_is_not_a_placeholder() -> None:
    # A value the program derives (e.g. the management account id from the caller) is simply absent.
    assert found({"landing-zone:region": "us-east-1", "landing-zone:accounts": []}) == []


def test_the_stack_check_warns_with_file_and_key() -> None:
    context = stack_checks.StackContext(
        stack="pre",
        source="Pulumi.pre.yaml",
        file_config={"landing-zone:cognito": {"domainPrefix": "tasks-pre-example"}},
        settings=None,
        recording=None,
    )
    [finding] = placeholders.check(context)
    assert finding.severity == stack_checks.WARNING and finding.check == "placeholders"
    assert finding.where == "Pulumi.pre.yaml: landing-zone:cognito.domainPrefix"
    assert "'tasks-pre-example' is a placeholder (example name)" in finding.message
    assert placeholders.check in stack_checks.all_checks()


# --- preview and up refuse to start ---------------------------------------------------------------


class NoCloud:
    """A boto3 session factory that fails the test if anything reaches for AWS."""

    def __call__(self) -> Any:
        raise AssertionError("a cloud call was made before the placeholders were checked")


def refusing_services(root: Path, built: list[bool], stdout: io.StringIO, stderr: io.StringIO) -> Services:
    return Services(
        root=root, runner=never_built(built), session_factory=NoCloud(), stdout=stdout, stderr=stderr
    )


@pytest.mark.parametrize("command", [["up", "--yes"], ["preview"], ["up", "--stack", "pre", "--yes"]])
def test_preview_and_up_refuse_example_values_before_any_pulumi_command_or_cloud_call(
    tmp_path: Path, command: list[str]
) -> None:
    root = copy_with_real_values(tmp_path)
    path = root / "Pulumi.pre.yaml"
    data = yaml.safe_load(path.read_text())
    data["config"]["landing-zone:cognito"]["domainPrefix"] = "tasks-pre-example"
    path.write_text(yaml.safe_dump(data))
    built: list[bool] = []
    out, err = io.StringIO(), io.StringIO()
    assert main(command, refusing_services(root, built, out, err)) == EXIT_USAGE
    assert built == []  # the runner (Pulumi) was never even constructed
    lines = err.getvalue().splitlines()
    assert lines[0].startswith(f"error: {command[0]} refused: 1 example value(s) left in the stack files")
    assert lines[1:] == [
        "  Pulumi.pre.yaml: landing-zone:cognito.domainPrefix: tasks-pre-example  (example name)"
    ]


def test_only_the_selected_stacks_are_checked(tmp_path: Path) -> None:
    root = copy_with_real_values(tmp_path)
    path = root / "Pulumi.org.yaml"
    path.write_text(path.read_text().replace("@hiperium-city.dev", "@example.com"))
    events: list[tuple[str, str]] = []
    runner = FakeRunner(events)
    services = Services(root=root, runner=lambda: runner, check_credentials=False, stdout=io.StringIO(),
                        check_org_references=False)  # FakeRunner's org outputs name one account
    assert main(["preview", "--stack", "pre", "prod"], services) == EXIT_OK
    assert events == [("preview", "pre"), ("preview", "prod")]
    err = io.StringIO()
    services.stderr = err
    assert main(["preview", "--stack", "org"], services) == EXIT_USAGE
    assert events == [("preview", "pre"), ("preview", "prod")]
    emails = [line for line in err.getvalue().splitlines()[1:] if line.startswith("  Pulumi.org.yaml: ")]
    assert emails and all("@example.com  (example domain)" in line for line in emails)


def test_with_real_values_up_proceeds_to_the_runner(tmp_path: Path) -> None:
    root = copy_with_real_values(tmp_path)
    events: list[tuple[str, str]] = []
    runner = FakeRunner(events)
    services = Services(
        root=root,
        runner=lambda: runner,
        check_credentials=False,
        check_org_references=False,  # FakeRunner's org outputs name one account
        accounts_for=lambda stack, outputs: [],
        fetch=lambda url, timeout: 200 if url.endswith("/q/health/live") else 401,
        sleep=lambda seconds: None,
        stdout=io.StringIO(),
    )
    assert main(["up", "--yes"], services) == EXIT_OK
    assert [stack for op, stack in events if op == "up"] == ["org", "cicd", "pre", "prod"]


def test_the_shipped_stack_files_hold_placeholders_the_real_copy_does_not(tmp_path: Path) -> None:
    shipped = placeholders.scan_stacks(["org", "pre", "prod"])
    assert {p.source for p in shipped} >= {config.stack_file("org")}
    assert placeholders.scan_stacks(["org", "pre", "prod"], copy_with_real_values(tmp_path)) == []
