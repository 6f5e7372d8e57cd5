"""``python -m deploy migrate-state`` and the secrets provider, through ``pulumi.automation`` driven by a fake
``PulumiCommand`` that keeps one store of stacks per backend URL (the ``PULUMI_BACKEND_URL`` it is given)."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto
from pulumi.automation.errors import create_command_error
from semver import VersionInfo

from deploy import cli
from deploy.automation import AutomationRunner
from deploy.runner import EXIT_FAILED, EXIT_SETUP
from deploy.services import Services

PASSPHRASE = {"PULUMI_CONFIG_PASSPHRASE": "correct horse"}
TARGET = "s3://pulumi-state-123456789012-us-east-1?region=us-east-1"
KMS = "awskms://alias/pulumi-state?region=us-east-1"


def deployment(resources: int, outputs: Mapping[str, Any]) -> dict[str, Any]:
    stack = {
        "urn": "urn:pulumi:org::landing-zone::pulumi:pulumi:Stack::landing-zone-org",
        "type": "pulumi:pulumi:Stack",
        "outputs": dict(outputs),
    }
    others = [
        {"urn": f"urn:pulumi:org::landing-zone::aws:s3/bucket:Bucket::b{i}", "type": "aws:s3/bucket:Bucket"}
        for i in range(resources - 1)
    ]
    return {"version": 3, "deployment": {"manifest": {}, "resources": [stack, *others]}}


class BackendsCommand(auto.PulumiCommand):
    """The CLI over several backends: ``stack ls/select/init/export/import/output`` on the store of the
    backend in ``PULUMI_BACKEND_URL``; records each call with that URL."""

    def __init__(
        self, backends: dict[str, dict[str, dict[str, Any]]], *, import_drops: str | None = None
    ) -> None:
        self.command = "pulumi"
        self.version = VersionInfo.parse("3.272.0")
        self.backends = backends
        self.import_drops = import_drops  # an output the import loses (to test the comparison)
        self.calls: list[tuple[str, list[str]]] = []

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: Any = None,
        on_error: Any = None,
    ) -> auto.CommandResult:
        url = additional_env["PULUMI_BACKEND_URL"]
        self.calls.append((url, list(args)))
        store = self.backends.setdefault(url, {})
        stack = args[args.index("--stack") + 1] if "--stack" in args else ""
        verb = " ".join(args[:2])
        if verb == "stack ls":
            return auto.CommandResult(json.dumps([{"name": name, "current": False} for name in store]), "", 0)
        if verb == "stack select":
            if stack not in store:
                raise create_command_error(
                    auto.CommandResult("", f"error: no stack named '{stack}' found", 255)
                )
            return auto.CommandResult("", "", 0)
        if verb == "stack init":
            store[args[2]] = {"version": 3, "deployment": {"resources": []}}
            return auto.CommandResult("", "", 0)
        if verb == "stack export":
            return auto.CommandResult(json.dumps(store[stack]), "", 0)
        if verb == "stack import":
            state = json.loads(Path(args[args.index("--file") + 1]).read_text())
            if self.import_drops:
                state["deployment"]["resources"][0]["outputs"].pop(self.import_drops, None)
            store[stack] = state
            return auto.CommandResult("", "", 0)
        if verb == "stack change-secrets-provider":
            store[stack]["provider"] = args[2]  # re-encrypted: what the real CLI records in the checkpoint
            return auto.CommandResult("", "", 0)
        if verb == "stack output":
            outputs = dict(store[stack]["deployment"]["resources"][0]["outputs"])
            if "--show-secrets" not in args:
                outputs = {k: ("[secret]" if k.startswith("secret_") else v) for k, v in outputs.items()}
            return auto.CommandResult(json.dumps(outputs), "", 0)
        raise AssertionError(f"unexpected pulumi {args}")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(
        "name: landing-zone\nruntime: python\nbackend:\n  url: file://./state\n"
    )
    (tmp_path / "state").mkdir()
    for name, value in PASSPHRASE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PULUMI_SECRETS_PROVIDER", raising=False)
    return tmp_path


def source_url(root: Path) -> str:
    return f"file://{(root / 'state').resolve()}"


def migrate(root: Path, command: BackendsCommand, *extra: str) -> tuple[int, str]:
    out = io.StringIO()
    services = Services(root=root, command_factory=lambda: command, stdout=out, stderr=out)
    return cli.main(["migrate-state", "--to", TARGET, *extra], services), out.getvalue()


def test_every_stack_is_exported_imported_into_the_target_with_the_kms_provider_and_its_outputs_compared(
    project: Path,
) -> None:
    org = deployment(3, {"accounts": {"sandbox": "222222222222"}, "secret_token": "s3cret"})
    pre = deployment(5, {"api_url": "https://api.example"})
    command = BackendsCommand({source_url(project): {"org": copy.deepcopy(org), "pre": copy.deepcopy(pre)}})
    code, text = migrate(project, command, "--secrets-provider", KMS)

    assert code == 0, text
    target_calls = [args for url, args in command.calls if url == TARGET]
    for name in ("org", "pre"):
        # Created, imported (the deployment keeps its passphrase manager), then moved to KMS, in that order.
        init = target_calls.index(["stack", "init", name])
        imported = next(
            i for i, args in enumerate(target_calls) if args[:2] == ["stack", "import"] and args[-1] == name
        )
        changed = target_calls.index(["stack", "change-secrets-provider", KMS, "--stack", name])
        assert init < imported < changed
        assert command.backends[TARGET][name].pop("provider") == KMS
    # Exported with its secrets from the source; the source is read only.
    source_calls = [args for url, args in command.calls if url == source_url(project)]
    assert ["stack", "export", "--show-secrets", "--stack", "org"] in source_calls
    assert not [args for args in source_calls if args[:2] in (["stack", "import"], ["stack", "init"])]
    assert command.backends[TARGET]["org"] == org and command.backends[TARGET]["pre"] == pre
    assert "org: 3 resources, 2 outputs, identical after import" in text
    assert "pre: 5 resources, 1 outputs, identical after import" in text


def test_the_secrets_provider_defaults_to_the_environment(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_SECRETS_PROVIDER", KMS)
    command = BackendsCommand({source_url(project): {"org": deployment(1, {})}})
    assert migrate(project, command)[0] == 0
    assert (TARGET, ["stack", "change-secrets-provider", KMS, "--stack", "org"]) in command.calls


def test_a_target_stack_with_resources_is_refused_before_anything_is_imported(project: Path) -> None:
    command = BackendsCommand(
        {
            source_url(project): {"org": deployment(3, {}), "pre": deployment(2, {})},
            TARGET: {"pre": deployment(4, {})},
        }
    )
    code, text = migrate(project, command)
    assert code == EXIT_FAILED
    assert "pre (4 resources)" in text and "nothing was imported" in text
    assert not [args for url, args in command.calls if args[:2] in (["stack", "import"], ["stack", "init"])]
    assert "org" not in command.backends[TARGET]


def test_an_output_lost_in_the_import_fails_the_migration(project: Path) -> None:
    command = BackendsCommand(
        {source_url(project): {"org": deployment(2, {"accounts": {}, "identity_center": {}})}},
        import_drops="identity_center",
    )
    code, text = migrate(project, command)
    assert code == EXIT_FAILED
    assert "stack org was imported but its outputs differ (missing: ['identity_center']" in text


def test_migrate_state_without_the_pulumi_cli_says_how_to_install_it(project: Path) -> None:
    def missing() -> auto.PulumiCommand:
        raise FileNotFoundError("pulumi")

    out = io.StringIO()
    services = Services(root=project, command_factory=missing, stdout=out, stderr=out)
    assert cli.main(["migrate-state", "--to", TARGET], services) == EXIT_SETUP
    assert "Pulumi CLI was not found" in out.getvalue()


def test_the_driver_creates_stacks_with_the_secrets_provider_and_needs_no_passphrase_with_kms(
    project: Path,
) -> None:
    command = BackendsCommand({})
    environ = {"PULUMI_BACKEND_URL": TARGET, "PULUMI_SECRETS_PROVIDER": KMS}  # no passphrase
    runner = AutomationRunner(project, environ=environ, command_factory=lambda: command)
    runner._stack("org", create=True)
    assert (TARGET, ["stack", "init", "org", "--secrets-provider", KMS]) in command.calls


def test_on_a_shared_backend_the_secrets_provider_comes_from_the_org_stack_files_state_backend(
    project: Path,
) -> None:
    (project / "Pulumi.org.yaml").write_text(
        "config:\n  landing-zone:region: eu-west-1\n"
        "  landing-zone:stateBackend:\n    account: deployments-prod\n    keyAlias: alias/team-state\n"
    )
    command = BackendsCommand({})
    runner = AutomationRunner(
        project, environ={"PULUMI_BACKEND_URL": TARGET}, command_factory=lambda: command
    )
    assert runner.secrets_provider == "awskms://alias/team-state?region=eu-west-1"
    # On the local file backend: the passphrase, as before.
    local = AutomationRunner(project, environ=PASSPHRASE, command_factory=lambda: command)
    assert local.secrets_provider is None
