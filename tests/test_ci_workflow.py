"""The GitHub workflow (.github/workflows/deploy.yml) and its local actions: linted against GitHub's
workflow schema (check-jsonschema's bundled copy) and checked for the properties a deploy depends on."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.settings import cicd_names
from tests.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"
ACTIONS = sorted((ROOT / ".github" / "actions").glob("*/action.yml"))
FULL_SHA = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    return load(WORKFLOW)


def jobs(workflow: dict[Any, Any]) -> dict[str, Any]:
    return dict(workflow["jobs"])


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(action)]


def check_jsonschema() -> list[str] | None:
    """The linter's command line, or None when check-jsonschema is not installed (requirements-dev.txt)."""
    local = Path(sys.executable).with_name("check-jsonschema")
    found = str(local) if local.exists() else shutil.which("check-jsonschema")
    return [found] if found else None


@pytest.mark.parametrize(
    ("schema", "path"),
    [("vendor.github-workflows", WORKFLOW)] + [("vendor.github-actions", a) for a in ACTIONS],
    ids=lambda value: value.name if isinstance(value, Path) else value,
)
def test_workflow_files_pass_the_github_schema(schema: str, path: Path) -> None:
    command = check_jsonschema()
    if command is None:
        pytest.skip("check-jsonschema is not installed (pip install -r requirements-dev.txt)")
    result = subprocess.run(
        [*command, "--builtin-schema", schema, str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_linter_rejects_a_broken_workflow(tmp_path: Path, workflow: dict[Any, Any]) -> None:
    """The same workflow, re-dumped, passes; with the plan job's runs-on removed it fails."""
    command = check_jsonschema()
    if command is None:
        pytest.skip("check-jsonschema is not installed")

    def lint(data: dict[Any, Any]) -> int:
        data = {("on" if key is True else key): value for key, value in data.items()}  # YAML 1.1 `on`
        path = tmp_path / "deploy.yml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        result = subprocess.run(
            [*command, "--builtin-schema", "vendor.github-workflows", str(path)],
            capture_output=True, text=True, timeout=60,
        )
        return result.returncode

    assert lint(workflow) == 0
    plan = {key: value for key, value in jobs(workflow)["plan"].items() if key != "runs-on"}
    assert lint({**workflow, "jobs": {**jobs(workflow), "plan": plan}}) != 0


def test_triggers_are_pull_requests_and_pushes_to_main(workflow: dict[Any, Any]) -> None:
    # PyYAML reads the key `on` as True (YAML 1.1).
    triggers = workflow["on"] if "on" in workflow else workflow[True]
    assert set(triggers) == {"pull_request", "push"}
    assert triggers["push"]["branches"] == ["main"]


def test_job_order_plan_then_preview_or_pre_then_prod(workflow: dict[Any, Any]) -> None:
    all_jobs = jobs(workflow)
    assert set(all_jobs) == {"plan", "preview", "deploy-pre", "deploy-prod"}
    assert "needs" not in all_jobs["plan"]
    assert all_jobs["preview"]["needs"] == "plan"
    assert all_jobs["deploy-pre"]["needs"] == "plan"
    assert all_jobs["deploy-prod"]["needs"] == "deploy-pre"
    assert "pull_request" in all_jobs["preview"]["if"]
    assert "head.repo.full_name == github.repository" in all_jobs["preview"]["if"]  # no forks
    assert "push" in all_jobs["deploy-pre"]["if"] and "refs/heads/main" in all_jobs["deploy-pre"]["if"]
    # prod runs only after pre's up (and its smoke check) succeeded, not when pre was skipped.
    assert all_jobs["deploy-prod"]["if"] == "needs.deploy-pre.outputs.deployed == 'true'"
    assert all_jobs["deploy-pre"]["outputs"]["deployed"] == "${{ steps.up.outcome == 'success' }}"


def test_only_prod_runs_in_the_protected_environment(workflow: dict[Any, Any]) -> None:
    environments = {name: job.get("environment") for name, job in jobs(workflow).items()}
    assert environments == {"plan": None, "preview": None, "deploy-pre": None, "deploy-prod": "production"}


def test_least_privilege_permissions_and_oidc_only_in_the_cloud_jobs(workflow: dict[Any, Any]) -> None:
    assert workflow["permissions"] == {}
    for name, job in jobs(workflow).items():
        cloud = bool(steps_using(job, "aws-actions/configure-aws-credentials"))
        expected = {"contents": "read", "id-token": "write"} if cloud else {"contents": "read"}
        assert job["permissions"] == expected, name
    assert not steps_using(jobs(workflow)["plan"], "aws-actions/")


@pytest.mark.parametrize(
    ("job", "environment"), [("preview", "pre"), ("deploy-pre", "pre"), ("deploy-prod", "prod")]
)
def test_each_cloud_job_uses_its_environments_ci_role_and_deploy_role(
    workflow: dict[Any, Any], job: str, environment: str
) -> None:
    spec = jobs(workflow)[job]
    variable = f"vars.AWS_CI_ROLE_ARN_{environment.upper()}"
    (credentials,) = steps_using(spec, "aws-actions/configure-aws-credentials")
    assert credentials["with"]["role-to-assume"] == f"${{{{ {variable} }}}}"
    assert "aws-access-key-id" not in credentials["with"]
    assert spec["env"][cicd_names.DEPLOY_ROLE_ENV] == cicd_names.deploy_role_name(environment)
    assert spec["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}"
    assert spec["env"]["PULUMI_SECRETS_PROVIDER"] == "${{ vars.PULUMI_SECRETS_PROVIDER }}"
    # Without the variables the job skips its cloud steps (the check prints a ::notice::).
    (check,) = steps_using(spec, "./.github/actions/aws-configured")
    assert check["with"]["role-arn"] == f"${{{{ {variable} }}}}"
    gated = [s for s in spec["steps"] if "uses" not in s or "aws-configured" not in s["uses"]]
    for step in gated:
        if step.get("uses", "").startswith("actions/checkout"):
            continue
        assert "steps.aws.outputs.configured == 'true'" in step["if"], step


def test_the_skip_notice_is_a_notice_not_a_failure() -> None:
    action = load(ROOT / ".github" / "actions" / "aws-configured" / "action.yml")
    script = action["runs"]["steps"][0]["run"]
    assert "::notice" in script and "configured=false" in script
    assert "exit 1" not in script and "::error" not in script


def test_commands_plan_preview_and_up_per_stack(workflow: dict[Any, Any]) -> None:
    def runs(job: str) -> str:
        return "\n".join(str(s.get("run", "")) for s in jobs(workflow)[job]["steps"])

    assert "python -m deploy plan --no-tree --json plan.json" in runs("plan")
    assert "python -m deploy.ci_changes" in runs("plan")
    assert "python -m deploy preview --stack" in runs("preview")
    assert "python -m deploy.ci_summary" in runs("preview")
    assert jobs(workflow)["preview"]["outputs"]["summary"] == "${{ steps.summary.outputs.summary }}"
    assert "python -m deploy up --stack pre --yes" in runs("deploy-pre")
    assert "--skip-smoke-check" not in runs("deploy-pre")  # the smoke check is pre's gate before prod
    assert "python -m deploy up --stack prod --yes" in runs("deploy-prod")


def test_no_stored_aws_keys_or_secrets_referenced() -> None:
    for path in [WORKFLOW, *ACTIONS]:
        text = path.read_text(encoding="utf-8")
        assert "secrets." not in text, path
        assert "AWS_ACCESS_KEY_ID" not in text and "AWS_SECRET_ACCESS_KEY" not in text, path
        assert "aws-access-key-id" not in text, path


def test_actions_are_pinned_by_full_commit_sha_with_a_version_comment() -> None:
    for path in [WORKFLOW, *ACTIONS]:
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.search(r"uses:\s*(\S+)(.*)$", line)
            if not match or match.group(1).startswith("./"):
                continue
            assert FULL_SHA.match(match.group(1)), line
            assert re.search(r"#\s*v\d+\.\d+\.\d+", match.group(2)), line


def test_python_311_and_the_cli_version_of_the_pinned_sdk() -> None:
    setup = load(ROOT / ".github" / "actions" / "setup" / "action.yml")
    steps = setup["runs"]["steps"]
    assert steps[0]["with"]["python-version"] == "3.11"
    assert any("pip install --quiet -r requirements.txt" in str(s.get("run", "")) for s in steps)
    pinned = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE)
    assert pinned is not None
    assert setup["inputs"]["pulumi-version"]["default"] == pinned.group(1)


def test_docs_name_every_variable_the_workflow_reads() -> None:
    text = (ROOT / "docs" / "driver.md").read_text(encoding="utf-8")
    section = text[text.index("### Run it from CI"):]
    variables = set(re.findall(r"vars\.(\w+)", WORKFLOW.read_text(encoding="utf-8")))
    assert variables == {
        "AWS_CI_ROLE_ARN_PRE", "AWS_CI_ROLE_ARN_PROD", "PULUMI_BACKEND_URL", "PULUMI_SECRETS_PROVIDER",
        "AWS_REGION",
    }
    for name in variables:
        assert f"`{name}`" in section, name
    assert "`production`" in section and "required reviewers" in section
