"""The region is the user's choice: the allowed regions follow the stack files, and the same policy config
reaches ``plan``'s offline run and ``pulumi preview/up --policy-pack`` (``--policy-pack-config``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi_policy import PolicyProviderResource

from components import config
from components.settings.iam_risks import seed_accepted_risks
from deploy import plan, policy_config
from deploy.cli import Services, main
from deploy.runner import EXIT_OK, EXIT_USAGE
from policies import guardrails as g
from tests.configs import env_config, org_config, stack_values
from tests.conftest import run_env_stack, run_stack
from tests.stack_file_support import copy_with_real_values
from tests.test_deploy_automation import FakePulumiCommand
from tests.test_guardrails import resource

ROOT = config.PROJECT_ROOT


def project(tmp_path: Path, *, pack: bool = False, **changes: dict[str, Any]) -> Path:
    """A copy of the stack files (stack -> {key: value} changed), the policy pack linked in."""
    real = copy_with_real_values(tmp_path / "real")  # preview refuses example values
    for stack in ("org", "pre", "prod"):
        target = tmp_path / config.stack_file(stack)
        data = yaml.safe_load((real / config.stack_file(stack)).read_text())
        for key, value in changes.get(stack, {}).items():
            data["config"][f"{config.PROJECT}:{key}"] = value
        target.write_text(yaml.safe_dump(data))
    if pack:
        (tmp_path / "policies").symlink_to(ROOT / "policies", target_is_directory=True)
    return tmp_path


def identity_center(region: str) -> dict[str, Any]:
    values = dict(stack_values("org")["identityCenter"])
    return {**values, "region": region}


# The org file accepts, for the seed's provisioners set, exactly the risks the settings' seed default does.
SEED_ACCEPTED = {
    "iam-privilege-escalation": {
        "acceptedRisks": {
            "hiperium-sso-provisioners-ps": [path for risk in seed_accepted_risks() for path in risk.paths],
            "group:break-glass-administrators": ["AdminEquivalent"],  # the org stack's break-glass group
        }
    }
}


# The member accounts and the management account: what the organization-wide security services cover.
ORG_ACCOUNTS = {"organizationAccounts": len(stack_values("org")["accounts"]) + 1}


def region_violations(violations: list[Any]) -> list[str]:
    return [v.message for v in violations if v.policy == "allowed-regions"]


# --- the derived config ------------------------------------------------------------------------


def test_the_allowed_regions_are_the_stack_files_regions_and_identity_centers(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        org={"identityCenter": identity_center("eu-central-1")},
        pre={"region": "eu-west-1"},
    )
    # The file's content: the derived settings, no enforcement level (the user's "all" keeps working).
    assert policy_config.derive(root) == {
        "allowed-regions": {"allowedRegions": ["eu-central-1", "eu-west-1", "us-east-1"]},
        "production-invariants": {"nonProductionIdentityAccounts": ["idp-pre"]},
        "idle-cost-estimate": ORG_ACCOUNTS,
        **SEED_ACCEPTED,
    }
    assert policy_config.stack_regions(root) == {
        "eu-central-1": ["Pulumi.org.yaml identityCenter.region"],
        "eu-west-1": ["Pulumi.pre.yaml"],
        "us-east-1": ["Pulumi.org.yaml", "Pulumi.prod.yaml"],
    }


def test_a_stack_file_without_a_region_allows_the_config_models_default(tmp_path: Path) -> None:
    root = project(tmp_path)
    for stack in ("org", "pre", "prod"):
        path = root / config.stack_file(stack)
        data = yaml.safe_load(path.read_text())
        data["config"].pop(f"{config.PROJECT}:region")
        path.write_text(yaml.safe_dump(data))
    assert policy_config.derive(root)["allowed-regions"]["allowedRegions"] == ["us-east-1"]
    assert config.load_stack_file("pre", root).region == "us-east-1"  # what the program then uses


def test_the_users_file_wins_setting_by_setting_and_is_validated(tmp_path: Path) -> None:
    root = project(tmp_path, pre={"region": "eu-west-1"})
    merged = policy_config.build(
        root,
        {"allowed-regions": {"allowedRegions": ["us-west-2"]}, "idle-cost-estimate": "disabled",
         "all": "advisory"},
    )
    assert merged == {
        "allowed-regions": {"allowedRegions": ["us-west-2"]},
        "production-invariants": {"nonProductionIdentityAccounts": ["idp-pre"]},
        "idle-cost-estimate": {**ORG_ACCOUNTS, "enforcementLevel": "disabled"},  # the level over the derived
        "all": "advisory",
        **SEED_ACCEPTED,
    }
    with pytest.raises(policy_config.PolicyConfigError) as caught:
        policy_config.build(root, {"allowed-regions": {"allowedRegion": ["us-west-2"]}}, source="mine.json")
    assert str(caught.value).startswith("mine.json: allowed-regions.allowedRegion: unknown setting")
    assert caught.value.exit_code == EXIT_USAGE


# --- plan: the offline run of the pack ----------------------------------------------------------


def test_an_environment_in_eu_west_1_plans_cleanly(tmp_path: Path) -> None:
    root = project(tmp_path, pack=True, pre={"region": "eu-west-1"})
    report = plan.run_plan(["pre"], root=root)
    assert report.exit_code == EXIT_OK, [p.message for p in report.plans]
    assert "allowed regions: eu-west-1 (Pulumi.pre.yaml), us-east-1 (Pulumi.org.yaml, Pulumi.prod.yaml)" in (
        report.policies
    )
    pre = next(p for p in report.plans if p.stack == "pre")
    assert pre.recording is not None and pre.violations == []
    regions = {r.inputs["region"] for r in pre.recording.of_type(g.AWS_PROVIDER)}
    assert regions == {"eu-west-1"}
    # Without the derived config the pack's default (us-east-1 only) rejects the same program.
    assert len(region_violations(g.check_recording(pre.recording))) == 2  # identity and workload


def test_a_provider_in_a_region_no_stack_uses_is_still_rejected(tmp_path: Path) -> None:
    root = project(tmp_path, pre={"region": "eu-west-1"})
    derived = policy_config.build(root)
    raw = env_config("pre", region="eu-west-1")
    recording = run_env_stack("pre", raw)
    assert region_violations(g.check_recording(recording, derived)) == []
    provider = recording.of_type(g.AWS_PROVIDER)[0]
    provider.inputs["region"] = provider.outputs["region"] = "ap-southeast-2"
    [message] = region_violations(g.check_recording(recording, derived))
    assert "targets region ap-southeast-2" in message and "eu-west-1" in message


def test_a_resource_managed_in_a_region_of_its_own_must_be_allowed_too(tmp_path: Path) -> None:
    # Identity Center in eu-central-1 while the org stack's provider is in us-east-1: its resources set
    # their own region (pulumi-aws 7), which the derived config allows because the org file names it.
    root = project(tmp_path, org={"identityCenter": identity_center("eu-central-1")})
    raw = org_config(identityCenter=identity_center("eu-central-1"))
    recording = run_stack("org", raw)
    assert region_violations(g.check_recording(recording, policy_config.build(root))) == []
    only_provider_region = {"allowed-regions": {"allowedRegions": ["us-east-1"]}}
    flagged = [v for v in g.check_recording(recording, only_provider_region) if v.policy == "allowed-regions"]
    assert flagged and all("is managed in region eu-central-1" in v.message for v in flagged)
    flagged_types = {str(v.urn).split("::")[2].split("$")[-1] for v in flagged}
    assert {g.PERMISSION_SET, "aws:identitystore/user:User"} <= flagged_types


def test_after_an_update_each_resource_reports_its_region_but_only_its_own_choice_is_a_finding() -> None:
    # The engine's final state gives every pulumi-aws 7 resource a `region` output, its provider's when
    # it sets none: that one finding belongs to the provider, not to each resource again.
    provider = PolicyProviderResource(
        g.AWS_PROVIDER, {"region": "eu-west-1"}, "urn:pulumi:pre::landing-zone::pulumi:providers:aws::w", "w"
    )
    inherited = resource(g.USER_POOL, "pool", {"region": "eu-west-1"}, provider=provider)
    own = resource(g.USER_POOL, "elsewhere", {"region": "sa-east-1"}, provider=provider)
    findings = g.check_stack("allowed-regions", [inherited, own], config={"allowedRegions": ["us-east-1"]})
    assert [message for message, _ in findings] == [
        "AWS provider 'w' targets region eu-west-1, not one of ['us-east-1']",
        "'elsewhere' is managed in region sa-east-1, not one of ['us-east-1']",
    ]
    allowed = g.check_stack("allowed-regions", [inherited, own], config={"allowedRegions": ["eu-west-1"]})
    assert [urn for _, urn in allowed] == [own.urn]


def test_plan_takes_the_users_policy_config_and_rejects_a_bad_one_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, pack=True, pre={"region": "eu-west-1"})
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps({"allowed-regions": {"allowedRegions": ["us-east-1"]}}))
    code = main(["plan", "--stack", "pre", "--no-tree", "--policy-config", str(mine)], Services(root=root))
    out = capsys.readouterr().out
    assert code == 1  # the user narrowed the regions: pre's eu-west-1 providers are rejected
    assert "allowed regions: us-east-1 (Pulumi.org.yaml, Pulumi.prod.yaml)" in out
    assert "targets region eu-west-1" in out
    mine.write_text('{"allowed-regions": {"allowedRegions": "eu-west-1"}}')
    code = main(["plan", "--policy-config", str(mine)], Services(root=root))
    err = capsys.readouterr().err.strip()
    assert code == EXIT_USAGE
    reason = "allowed-regions.allowedRegions: expected array, got 'eu-west-1'"
    assert err == f"error: --policy-config {mine}: {reason}"


# --- preview/up: the file reaches --policy-pack-config -------------------------------------------


def preview_with_pack(root: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> FakePulumiCommand:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "correct horse")
    command = FakePulumiCommand()
    services = Services(root=root, command_factory=lambda: command, check_credentials=False)
    assert main(["preview", "--stack", "org", *extra], services) == EXIT_OK
    return command


def test_preview_with_the_pack_passes_the_generated_policy_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, pack=True, pre={"region": "eu-west-1"})
    [preview] = preview_with_pack(root, monkeypatch, "--policy-pack").argv("preview")
    generated = root / ".pulumi-policy-config.json"
    assert preview[preview.index("--policy-pack") + 1] == str(root / "policies")
    assert preview[preview.index("--policy-pack-config") + 1] == str(generated)
    assert json.loads(generated.read_text()) == {
        "allowed-regions": {"allowedRegions": ["eu-west-1", "us-east-1"]},
        "production-invariants": {"nonProductionIdentityAccounts": ["idp-pre"]},
        "idle-cost-estimate": ORG_ACCOUNTS,
        **SEED_ACCEPTED,
    }
    # Without the pack, no config either.
    [plain] = preview_with_pack(root, monkeypatch).argv("preview")
    assert "--policy-pack" not in plain and "--policy-pack-config" not in plain


def test_the_users_policy_config_is_merged_into_the_file_and_implies_the_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, pack=True)
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps({"idle-cost-estimate": {"monthlyThresholdUsd": 300}}))
    [preview] = preview_with_pack(root, monkeypatch, "--policy-config", str(mine)).argv("preview")
    generated = Path(preview[preview.index("--policy-pack-config") + 1])
    assert json.loads(generated.read_text()) == {
        "allowed-regions": {"allowedRegions": ["us-east-1"]},
        "production-invariants": {"nonProductionIdentityAccounts": ["idp-pre"]},
        "idle-cost-estimate": {**ORG_ACCOUNTS, "monthlyThresholdUsd": 300},
        **SEED_ACCEPTED,
    }


def test_a_bad_policy_config_stops_preview_before_any_pulumi_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, pack=True)
    mine = tmp_path / "mine.json"
    mine.write_text("{not json")
    command = FakePulumiCommand()
    services = Services(root=root, command_factory=lambda: command, check_credentials=False)
    assert main(["preview", "--policy-config", str(mine)], services) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: --policy-config {mine}: invalid JSON: ") and "\n" not in err
    assert command.calls == [] and not (root / ".pulumi-policy-config.json").exists()


def test_the_module_prints_the_derived_config_for_plain_pulumi(capsys: pytest.CaptureFixture[str]) -> None:
    assert policy_config.main([]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == policy_config.derive(ROOT)
