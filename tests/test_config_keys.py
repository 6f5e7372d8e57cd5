"""Every stack file key belongs to landing-zone:, aws: or pulumi:, at config load and in `plan`."""

from __future__ import annotations

import contextvars
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.runtime import config as runtime_config

from components import config, config_keys
from deploy import config_namespaces, plan, stack_checks
from deploy.cli import Services, main
from deploy.runner import EXIT_FAILED, EXIT_OK
from tests.stack_file_support import copy_with_real_values, never_built


@pytest.mark.parametrize(
    "key",
    [
        "landing-zone:accounts",
        "landing-zone:anything",  # names of the project's namespace are the settings models' to check
        "aws:region",
        "aws:profile",
        "aws:defaultTags",
        "pulumi:disable-default-providers",
        "pulumi:tags",
        "pulumi:autonaming",
    ],
)
def test_allowed_keys(key: str) -> None:
    assert config_keys.key_problem(key) is None


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (
            "landingzone:accounts",
            "namespace 'landingzone' is not read by this project (keys belong to landing-zone:, aws:, "
            "pulumi:), so the value would be ignored; did you mean landing-zone:accounts?",
        ),
        ("LandingZone:identityCenter", "; did you mean landing-zone:identityCenter?"),
        ("landing_zone:cognito", "; did you mean landing-zone:cognito?"),
        ("kubernetes:context", "namespace 'kubernetes' is not read by this project"),
        ("aws:regoin", "is not a config key of the aws provider; did you mean aws:region?"),
        ("aws:organization", "is not a config key of the aws provider"),
        ("pulumi:disable-default-provider", "; did you mean pulumi:disable-default-providers?"),
        ("accounts", "is not of the form <namespace>:<name>"),
        ("managementAccountId", "; did you mean landing-zone:managementAccountId?"),
    ],
)
def test_other_keys_are_errors_with_a_suggestion_when_one_is_close(key: str, problem: str) -> None:
    found = config_keys.key_problem(key)
    assert found is not None and problem in found


def test_unrelated_namespaces_get_no_suggestion() -> None:
    found = config_keys.key_problem("kubernetes:context")
    assert found is not None and "did you mean" not in found


def test_the_aws_keys_come_from_the_installed_provider() -> None:
    keys = config_keys.aws_config_keys()
    assert {"region", "profile", "allowedAccountIds", "assumeRoles", "defaultTags"} <= set(keys)
    assert "organization" not in keys


def write_org(root: Path, change: dict[str, Any]) -> None:
    path = root / "Pulumi.org.yaml"
    data = yaml.safe_load(path.read_text())
    for key, value in change.items():
        if value is None:
            data["config"].pop(key)
        else:
            data["config"][key] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def typo_root(tmp_path: Path) -> Path:
    """Real stack files where the org's accounts sit under a misspelt namespace."""
    root = copy_with_real_values(tmp_path)
    accounts = yaml.safe_load((root / "Pulumi.org.yaml").read_text())["config"]["landing-zone:accounts"]
    write_org(root, {"landing-zone:accounts": None, "landingzone:accounts": accounts})
    return root


def test_reading_a_stack_file_stops_at_a_foreign_key_in_one_line(tmp_path: Path) -> None:
    root = typo_root(tmp_path)
    with pytest.raises(config.ConfigError) as caught:
        config.read_stack_file("org", root)
    message = str(caught.value)
    assert message.startswith("Pulumi.org.yaml: landingzone:accounts: namespace 'landingzone'")
    assert message.endswith("did you mean landing-zone:accounts?") and "\n" not in message


def test_up_stops_before_the_runner_naming_file_and_key(tmp_path: Path) -> None:
    built: list[bool] = []
    err = io.StringIO()
    services = Services(root=typo_root(tmp_path), runner=never_built(built), stderr=err)
    assert main(["up", "--yes"], services) == EXIT_FAILED
    assert built == []
    assert err.getvalue().startswith("error: Pulumi.org.yaml: landingzone:accounts: namespace 'landingzone'")
    assert len(err.getvalue().strip().splitlines()) == 1


def run_engine(values: dict[str, str], stack: str = "org") -> dict[str, Any]:
    """read_pulumi_config as under `pulumi up`: the engine's config holds every namespace."""

    def read() -> dict[str, Any]:
        runtime_config.set_all_config(values)
        return config.read_pulumi_config(stack)

    return contextvars.copy_context().run(read)


def test_under_the_engine_a_foreign_key_stops_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULUMI_CONFIG", raising=False)
    engine = {
        "landing-zone:managementAccountId": "350298761245",
        "aws:region": "eu-west-1",
        "pulumi:disable-default-providers": '["*"]',
    }
    assert run_engine(engine) == {"managementAccountId": "350298761245"}
    with pytest.raises(config.ConfigError) as caught:
        run_engine({**engine, "landingzone:accounts": "[]"}, stack="org")
    assert str(caught.value).startswith("Pulumi.org.yaml: landingzone:accounts: namespace 'landingzone'")


def context(file_config: dict[str, Any]) -> stack_checks.StackContext:
    return stack_checks.StackContext("org", "Pulumi.org.yaml", file_config, None, None)


def test_the_plan_check_reports_every_foreign_key() -> None:
    findings = config_namespaces.check(
        context({"landingzone:accounts": [], "landing-zone:region": "us-east-1", "aws:regoin": "x", "foo": 1})
    )
    assert [(f.severity, f.where) for f in findings] == [
        (stack_checks.ERROR, "Pulumi.org.yaml: landingzone:accounts"),
        (stack_checks.ERROR, "Pulumi.org.yaml: aws:regoin"),
        (stack_checks.ERROR, "Pulumi.org.yaml: foo"),
    ]
    assert config_namespaces.check in stack_checks.all_checks()


def test_an_aws_key_is_a_warning_when_the_default_provider_is_disabled() -> None:
    assert config_namespaces.check(context({"aws:region": "eu-west-1"})) == []
    [finding] = config_namespaces.check(
        context({"aws:region": "eu-west-1", "pulumi:disable-default-providers": ["*"]})
    )
    assert finding.severity == stack_checks.WARNING and finding.where == "Pulumi.org.yaml: aws:region"
    assert "has no effect" in finding.message


def test_plan_fails_on_the_typo_that_used_to_plan_an_org_without_accounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plan, "load_policies", lambda root: (None, "skipped in this test"))
    out = io.StringIO()
    report = tmp_path / "plan.json"
    services = Services(root=typo_root(tmp_path / "stacks"), stdout=out)
    assert main(["plan", "--stack", "org", "--no-tree", "--json", str(report)], services) == EXIT_FAILED
    line = "  FAIL  config keys: Pulumi.org.yaml: landingzone:accounts: namespace 'landingzone'"
    assert line in out.getvalue()
    [org] = json.loads(report.read_text())["stacks"]
    assert org["ok"] is False
    assert {"check": "config keys", "severity": "error", "where": "Pulumi.org.yaml: landingzone:accounts",
            "message": config_keys.key_problem("landingzone:accounts")} in org["findings"]


def test_plan_of_real_stack_files_passes_the_key_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plan, "load_policies", lambda root: (None, "skipped in this test"))
    services = Services(root=copy_with_real_values(tmp_path), stdout=io.StringIO())
    assert main(["plan", "--stack", "org", "--no-tree"], services) == EXIT_OK
