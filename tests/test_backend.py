"""One backend for the driver and plain ``pulumi``: Pulumi.yaml's ``backend.url``, overridden by
``PULUMI_BACKEND_URL`` for both, resolved as the CLI resolves it; and no local state backend in CI."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from components import config
from deploy import backend
from deploy.automation import AutomationRunner
from deploy.cli import Services, main
from deploy.runner import EXIT_OK, EXIT_SETUP, SetupError
from tests.stack_file_support import copy_with_real_values
from tests.test_deploy_automation import FakePulumiCommand
from tests.test_deploy_orchestrator import FakeRunner

ROOT = config.PROJECT_ROOT
PASSPHRASE = {"PULUMI_CONFIG_PASSPHRASE": "correct horse"}


def project(tmp_path: Path, url: str | None = "file://./.pulumi-state") -> Path:
    """A project root: Pulumi.yaml (with ``url`` as backend.url, or none) and the stack files."""
    data = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    data.pop("backend", None)
    if url is not None:
        data["backend"] = {"url": url}
    (tmp_path / "Pulumi.yaml").write_text(yaml.safe_dump(data))
    return copy_with_real_values(tmp_path)  # preview and up refuse example values


def test_the_project_file_names_the_state_folder_that_the_checkout_holds() -> None:
    # Plain `pulumi` at the root reads this; the CLI refuses a file backend whose folder is missing.
    assert backend.project_backend_url(ROOT) == "file://./.pulumi-state"
    assert (ROOT / ".pulumi-state").is_dir()
    resolved = backend.resolve(ROOT, {})
    assert resolved == backend.Backend(f"file://{ROOT / '.pulumi-state'}", "Pulumi.yaml backend.url")


def test_pulumi_backend_url_overrides_the_project_file_as_it_does_for_the_cli(tmp_path: Path) -> None:
    root = project(tmp_path)
    bucket = backend.resolve(root, {"PULUMI_BACKEND_URL": "s3://state-bucket/landing-zone"})
    assert bucket == backend.Backend("s3://state-bucket/landing-zone", "PULUMI_BACKEND_URL")
    assert bucket.local_path is None
    # An empty variable counts as unset (GitHub Actions sets `vars.X` to "" when X is not defined).
    assert backend.resolve(root, {"PULUMI_BACKEND_URL": ""}).source == "Pulumi.yaml backend.url"
    # Without either, the driver's default is the same folder the project file names.
    assert backend.resolve(project(tmp_path, url=None), {}).url == f"file://{tmp_path / '.pulumi-state'}"


def test_relative_file_urls_are_resolved_against_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path.parent)  # not where the driver runs Pulumi: the root is
    root = project(tmp_path, url="file://./state/here?no_tmp_dir=false")
    assert backend.resolve(root, {}).url == f"file://{tmp_path / 'state' / 'here'}?no_tmp_dir=false"
    assert backend.resolve(root, {}).local_path == tmp_path / "state" / "here"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert backend.absolute_url("file://~/pulumi", root) == f"file://{tmp_path / 'home' / 'pulumi'}"
    assert backend.absolute_url("file:///srv/state", root) == "file:///srv/state"


def test_a_malformed_backend_setting_is_one_line_naming_the_file(tmp_path: Path) -> None:
    root = project(tmp_path)
    text = (root / "Pulumi.yaml").read_text().replace("url: file://./.pulumi-state", "url: 42")
    (root / "Pulumi.yaml").write_text(text)
    with pytest.raises(config.ConfigError, match=r"^Pulumi.yaml: backend.url: must be a URL"):
        backend.resolve(root, {})


def test_the_driver_runs_every_pulumi_command_on_the_project_files_backend(tmp_path: Path) -> None:
    root = project(tmp_path, url="file://./state")
    command = FakePulumiCommand(stacks={"org"})
    AutomationRunner(root, environ=PASSPHRASE, command_factory=lambda: command).outputs("org")
    assert command.calls
    for call in command.calls:
        assert call["cwd"] == str(root)  # where the CLI itself would resolve ./state
        assert call["env"]["PULUMI_BACKEND_URL"] == f"file://{root / 'state'}"
    assert (root / "state").is_dir()  # created: the CLI would refuse a missing folder


# --- CI ----------------------------------------------------------------------------------------


def test_ci_refuses_a_local_backend_before_any_pulumi_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "correct horse")
    command = FakePulumiCommand(stacks={"org"})
    services = Services(root=root, command_factory=lambda: command, check_credentials=False)
    for argv in (["up", "--yes"], ["preview"], ["destroy", "--yes"], ["refresh", "--yes"], ["outputs"]):
        assert main(argv, services) == EXIT_SETUP
        err = capsys.readouterr().err.strip()
        assert err == (
            f"error: CI is set and the state backend is the local folder {root / '.pulumi-state'} (from "
            "Pulumi.yaml backend.url), which dies with the runner; set PULUMI_BACKEND_URL to a shared "
            "backend (s3://<bucket>/<prefix>, https://api.pulumi.com), or pass --allow-local-backend "
            "(DEPLOY_ALLOW_LOCAL_BACKEND=1) to use it anyway"
        )
    assert command.calls == [] and not (root / ".pulumi-state").exists()


def test_ci_refuses_it_with_a_fake_runner_too_and_plan_is_unaffected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    monkeypatch.setenv("CI", "1")
    events: list[tuple[str, str]] = []
    services = Services(root=root, runner=lambda: FakeRunner(events), check_credentials=False)
    assert main(["preview"], services) == EXIT_SETUP and events == []
    capsys.readouterr()
    assert main(["plan", "--stack", "org", "--no-tree", "--no-policies"], Services(root=root)) == EXIT_OK
    assert "plan ok" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv_extra", "env"),
    [
        (["--allow-local-backend"], {}),
        ([], {"DEPLOY_ALLOW_LOCAL_BACKEND": "1"}),
        ([], {"PULUMI_BACKEND_URL": "s3://state-bucket/landing-zone"}),
        ([], {"CI": "false"}),
    ],
)
def test_ci_runs_when_told_so_or_when_the_backend_is_shared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv_extra: list[str], env: dict[str, str]
) -> None:
    root = project(tmp_path)
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "correct horse")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    command = FakePulumiCommand(stacks={"org"})
    services = Services(root=root, command_factory=lambda: command, check_credentials=False,
                        stdout=io.StringIO())
    assert main(["preview", "--stack", "org", *argv_extra], services) == EXIT_OK
    [preview] = command.argv("preview")
    expected = env.get("PULUMI_BACKEND_URL", f"file://{root / '.pulumi-state'}")
    assert all(call["env"]["PULUMI_BACKEND_URL"] == expected for call in command.calls)
    assert preview[-2:] == ["--stack", "org"]


def test_the_runner_itself_refuses_a_local_backend_in_ci(tmp_path: Path) -> None:
    # Other callers (deploy/profiles.py) construct the runner directly: the same rule holds there.
    environ = {**PASSPHRASE, "CI": "true"}
    with pytest.raises(SetupError, match=r"^CI is set and the state backend is the local folder "):
        AutomationRunner(project(tmp_path), environ=environ, command_factory=FakePulumiCommand)
    runner = AutomationRunner(
        tmp_path, environ=environ, command_factory=FakePulumiCommand, allow_local_backend=True
    )
    assert runner.backend_url == f"file://{tmp_path / '.pulumi-state'}"
