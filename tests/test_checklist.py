"""The checklist of manual steps: each step's state, `plan` printing it, and the README's copy of it."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from components import config
from deploy import checklist, placeholders, plan
from deploy.checklist import BY_HAND, DONE, OPEN, OPTIONAL, Facts
from deploy.cli import Services, main
from tests.stack_file_support import copy_with_real_values

ROOT = config.PROJECT_ROOT


def facts(
    files: Mapping[str, Mapping[str, Any]] | None = None,
    environ: Mapping[str, str] | None = None,
    pulumi_cli: str | None = "/usr/local/bin/pulumi",
) -> Facts:
    files = files or {}
    found = [
        p
        for stack, data in files.items()
        for p in placeholders.scan(data.get("config", {}), config.stack_file(stack))
    ]
    return Facts(files, found, environ or {}, pulumi_cli)


def states(given: Facts) -> dict[str, tuple[str, str]]:
    return {state.step.key: (state.status, state.detail) for state in checklist.evaluate(given)}


ORG: dict[str, Any] = {
    "config": {"landing-zone:managementAccountId": "350298761245", "landing-zone:accounts": []}
}
PRE: dict[str, Any] = {
    "config": {"landing-zone:environment": "pre", "landing-zone:cognito": {"domainPrefix": "hcity-pre"}}
}


def test_every_step_has_a_state_and_a_readme_text() -> None:
    result = checklist.evaluate(facts({"org": ORG, "pre": PRE}))
    assert [state.step for state in result] == list(checklist.STEPS)
    assert len({step.key for step in checklist.STEPS}) == len(checklist.STEPS)
    assert all(state.status in (DONE, OPEN, BY_HAND, OPTIONAL) and state.detail for state in result)


def test_what_cannot_be_known_offline_is_to_check_by_hand() -> None:
    result = states(facts({"org": ORG}))
    assert result["identity-center"][0] == BY_HAND and result["credentials"][0] == BY_HAND


def test_the_pulumi_cli_is_looked_for_on_the_path() -> None:
    assert states(facts(pulumi_cli=None))["pulumi-cli"][0] == OPEN
    found = states(facts(pulumi_cli="/opt/pulumi/bin/pulumi"))["pulumi-cli"]
    assert found == (DONE, "pulumi is /opt/pulumi/bin/pulumi")


def test_backend_and_secrets_come_from_the_environment() -> None:
    files: dict[str, dict[str, Any]] = {"org": ORG, "pre": PRE}
    nothing = states(facts(files))
    assert nothing["state-backend"][0] == OPEN
    assert "PULUMI_BACKEND_URL is not set" in nothing["state-backend"][1]
    assert nothing["secrets"][0] == OPEN
    s3_env = {"PULUMI_BACKEND_URL": "s3://state/lz", "PULUMI_CONFIG_PASSPHRASE_FILE": "/run/p"}
    s3 = states(facts(files, s3_env))
    assert s3["state-backend"] == (DONE, "PULUMI_BACKEND_URL=s3://state/lz")
    assert s3["secrets"] == (DONE, "PULUMI_CONFIG_PASSPHRASE_FILE is set")
    cloud = states(facts(files, {"PULUMI_BACKEND_URL": "https://api.pulumi.com"}))
    assert cloud["secrets"][0] == DONE  # Pulumi Cloud encrypts the secrets itself
    # A KMS secrets provider in every stack file needs no passphrase; one file without it still does.
    kms = {name: {**data, "secretsprovider": "awskms://alias/lz"} for name, data in files.items()}
    assert states(facts(kms, {"PULUMI_BACKEND_URL": "s3://state/lz"}))["secrets"][0] == DONE
    assert states(facts({**kms, "pre": PRE}, {"PULUMI_BACKEND_URL": "s3://state/lz"}))["secrets"][0] == OPEN


def test_the_organization_is_adopted_by_the_driver_or_pinned_by_its_import_id() -> None:
    assert states(facts({"org": ORG}))["organization"] == (
        DONE, "automatic: preview and up adopt the caller's organization (deploy/derive.py)"
    )
    adopted = {"config": {**ORG["config"], "landing-zone:organization": {"importId": "o-a1b2c3d4e5"}}}
    assert states(facts({"org": adopted}))["organization"] == (
        DONE, "landing-zone:organization.importId is o-a1b2c3d4e5"
    )


def test_each_kind_of_example_value_keeps_its_own_step_open() -> None:
    org = {"config": {
        "landing-zone:managementAccountId": "111111111111",
        "landing-zone:accounts": [{"key": "sandbox", "email": "aws-sandbox@example.com"}],
    }}
    pre = {"config": {
        "landing-zone:cognito": {"domainPrefix": "tasks-pre-example"},
        "landing-zone:frontend": {"repository": "https://github.com/<owner>/hiperium-city-tasks"},
    }}
    result = states(facts({"org": org, "pre": pre}))
    assert result["management-account"] == (
        OPEN, "1 example value(s) left, the first Pulumi.org.yaml: landing-zone:managementAccountId"
    )
    assert result["e-mails"] == (
        OPEN, "1 example value(s) left, the first Pulumi.org.yaml: landing-zone:accounts[0].email"
    )
    assert result["cognito-domains"][0] == OPEN and "Pulumi.pre.yaml: landing-zone:cognito.domainPrefix" in (
        result["cognito-domains"][1]
    )
    assert result["other-examples"] == (
        OPEN, "1 example value(s) left, the first Pulumi.pre.yaml: landing-zone:frontend.repository"
    )
    real = states(facts({"org": ORG, "pre": PRE}))
    example_steps = ("management-account", "e-mails", "cognito-domains", "other-examples")
    assert {real[key][0] for key in example_steps} == {DONE}
    # Left out, the management account id and the domain prefixes are derived: nothing to do.
    derived = states(facts({"org": {"config": {}}, "pre": {"config": {}}}))
    assert derived["management-account"] == (
        DONE, "automatic: derived at deploy time from the caller identity"
    )
    assert derived["cognito-domains"] == (DONE, "automatic: tasks-<environment>-<IdP account id>")


def test_the_frontend_repository_is_optional() -> None:
    prod = {"config": {"landing-zone:environment": "prod",
                       "landing-zone:frontend": {"repository": "https://github.com/hiperium/hiperium-city-tasks"}}}
    cicd: dict[str, Any] = {"config": {"landing-zone:ci": {}}}  # not an environment: no frontend
    assert states(facts({"pre": PRE, "prod": prod, "cicd": cicd}))["frontend-repository"] == (
        OPTIONAL, "not connected in Pulumi.pre.yaml"
    )
    assert states(facts({"prod": prod}))["frontend-repository"][0] == DONE


def test_gather_reads_the_stack_files_and_the_environment(tmp_path: Path) -> None:
    root = copy_with_real_values(tmp_path)
    environ = {"PULUMI_BACKEND_URL": "s3://b/p", "PULUMI_CONFIG_PASSPHRASE": "x"}
    result = states(checklist.gather(root, environ))
    assert {key for key, (status, _) in result.items() if status == OPEN} <= {"pulumi-cli"}
    shipped = states(checklist.gather(ROOT, {}))
    assert shipped["state-backend"][0] == OPEN and shipped["secrets"][0] == OPEN


def test_the_readme_holds_the_same_checklist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert checklist.readme_block() in readme, "run: python -m deploy.checklist --write-readme"
    assert checklist.update_readme(readme) == readme
    # The block sits in the manual-steps section, before the first deployment's steps.
    section = readme.index("## 3. Manual steps before a first deploy")
    assert section < readme.index(checklist.README_START) < readme.index("## 4. First real deployment")
    for number, step in enumerate(checklist.STEPS, 1):
        assert f"{number}. **{step.title}.** {step.how}" in readme


def test_update_readme_replaces_only_the_block() -> None:
    text = f"intro\n{checklist.README_START}\nold steps\n{checklist.README_END}\nrest\n"
    assert checklist.update_readme(text) == f"intro\n{checklist.readme_block()}\nrest\n"
    with pytest.raises(ValueError, match="no checklist markers"):
        checklist.update_readme("no markers here")


# --- `plan` of the shipped stack files ----------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_plan(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, dict[str, Any]]:
    report = tmp_path_factory.mktemp("plan") / "plan.json"
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plan, "load_policies", lambda root: (None, "skipped in this test"))
        code = main(["plan", "--no-tree", "--json", str(report)], Services(stdout=out))
    return code, out.getvalue(), json.loads(report.read_text())


def test_plan_of_the_shipped_files_passes_and_warns_about_each_example_value(
    shipped_plan: tuple[int, str, dict[str, Any]],
) -> None:
    code, out, data = shipped_plan
    assert code == 0 and data["ok"] is True
    shipped = placeholders.scan_stacks(["org", "cicd", "pre", "prod"])
    assert shipped  # the shipped files are examples
    warned = {
        finding["where"]
        for stack in data["stacks"]
        for finding in stack["findings"]
        if finding["check"] == "placeholders" and finding["severity"] == "warning"
    }
    assert warned == {f"{p.source}: {p.key}" for p in shipped}
    for p in shipped:
        assert f"  warn  placeholders: {p.source}: {p.key}: '{p.value}' is a placeholder" in out


def test_plan_prints_the_checklist_after_the_summary_and_in_json(
    shipped_plan: tuple[int, str, dict[str, Any]],
) -> None:
    _, out, data = shipped_plan
    lines = out.splitlines()
    heading = "manual steps before the first deploy: "
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    assert start > lines.index("plan ok")
    assert len(lines[start + 1 :]) == len(checklist.STEPS)
    identity = next(line for line in lines[start + 1 :] if "Enable IAM Identity Center" in line)
    assert identity.split()[:3] == ["check", "by", "hand"]
    assert [entry["step"] for entry in data["checklist"]] == [step.key for step in checklist.STEPS]
    by_key = {entry["step"]: entry for entry in data["checklist"]}
    assert by_key["e-mails"]["status"] == OPEN and by_key["identity-center"]["status"] == BY_HAND
