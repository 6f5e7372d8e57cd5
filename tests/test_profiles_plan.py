"""``python -m deploy profiles`` before any deploy: from ``plan --json FILE`` or ``--from-plan``."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest

from deploy import profiles_plan
from deploy.cli import Services, main
from tests.configs import FIXTURE_STACKS
from tests.conftest import recorded_org_outputs
from tests.test_profiles import run as run_profiles


def run(*argv: str) -> tuple[int, str, str]:
    """The profiles command with ``--from-plan`` planning the frozen stack files, as the plan file does."""
    return run_profiles(*argv, root=FIXTURE_STACKS)


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "plan.json"
    services = Services(root=FIXTURE_STACKS, stdout=StringIO(), stderr=StringIO())
    assert main(["plan", "--stack", "org", "--no-policies", "--no-tree", "--json", str(path)], services) == 0
    return path


def test_the_plan_json_gives_the_profiles_of_the_org_stacks_assignments(plan_file: Path) -> None:
    code, out, err = run("--outputs", str(plan_file))
    assert code == 0
    accounts = recorded_org_outputs()["accounts"]
    assert "[profile sandbox]" in out and f"sso_account_id = {accounts['sandbox']}" in out
    assert "[profile idp-pre]" in out and f"sso_account_id = {accounts['idp-pre']}" in out
    assert err.strip() == profiles_plan.STAND_IN_NOTE


def test_from_plan_runs_the_offline_plan_and_prints_the_same(plan_file: Path) -> None:
    from_file = run("--outputs", str(plan_file))
    assert run("--from-plan") == from_file


def test_write_refuses_the_plans_stand_in_values(plan_file: Path, tmp_path: Path) -> None:
    config = tmp_path / "config"
    code, out, err = run("--outputs", str(plan_file), "--write", "--config-file", str(config))
    assert (code, out) == (2, "")
    assert err.strip() == ("error: --write refuses the offline plan's stand-in account ids and portal URL; "
                           "deploy the org stack first, then run profiles --write")
    assert not config.exists()
    assert run("--from-plan", "--outputs", str(plan_file))[0] == 2


def test_a_plan_without_the_org_stacks_outputs_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"command": "plan", "stacks": [{"stack": "pre", "outputs": {}}]}))
    code, _, err = run("--outputs", str(path))
    assert code == 1
    assert err.strip() == f"error: {path}: the plan has no stack org (python -m deploy plan --json FILE)"
    path.write_text(json.dumps({"command": "plan", "stacks": [
        {"stack": "org", "status": "failed", "message": "config error", "outputs": {}}
    ]}))
    assert run("--outputs", str(path))[2].strip() == (
        f"error: {path}: the plan recorded no outputs for stack org "
        "(its program did not complete: config error)"
    )
