"""The shipped stack files: each plans cleanly. This is all the suite asserts about their values.

The other tests own their data (tests/configs.py, tests/fixtures/stacks), so adding an account, an SCP,
a permission set or an environment stack to the shipped files is checked here and nowhere else.
"""

from __future__ import annotations

import pytest

from components import config
from deploy import plan

ROOT = config.PROJECT_ROOT
PROJECT_FILE = "Pulumi.yaml"
SHIPPED_STACKS = sorted(
    path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    for path in ROOT.glob("Pulumi.*.yaml")
    if path.name != PROJECT_FILE
)


@pytest.fixture(scope="module")
def shipped_plan() -> plan.PlanReport:
    """One `python -m deploy plan` of the project as shipped, policies included."""
    return plan.run_plan(root=ROOT)


def test_the_project_ships_stack_files() -> None:
    assert "org" in SHIPPED_STACKS and len(SHIPPED_STACKS) > 1  # the glob found the org and an environment


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_each_shipped_stack_plans_cleanly(shipped_plan: plan.PlanReport, stack: str) -> None:
    plans = {stack_plan.stack: stack_plan for stack_plan in shipped_plan.plans}
    assert stack in plans, f"{config.stack_file(stack)} is not planned: {sorted(plans)}"
    stack_plan = plans[stack]
    assert stack_plan.status == plan.OK and stack_plan.program_ran, stack_plan.message
    errors = [f"{finding.where}: {finding.message}" for finding in stack_plan.findings if finding.is_error]
    assert errors == []
    assert [str(violation) for violation in stack_plan.violations] == []
    assert stack_plan.ok
