"""``plan`` warns when a production stack is configured to sleep (deploy/sleep_check.py)."""

from __future__ import annotations

from components import config as stack_config
from deploy.sleep_check import sleep_check
from deploy.stack_checks import WARNING, StackContext, all_checks
from tests.configs import stack_values


def _context(stack: str, schedule: dict[str, object] | None) -> StackContext:
    raw = stack_values(stack)  # the frozen copy (a new dict per call)
    if schedule is not None:
        raw["service"] = {**raw.get("service", {}), "schedule": schedule}
    settings = stack_config.load(stack, raw)
    return StackContext(stack, f"Pulumi.{stack}.yaml", {}, settings, None)


def test_prod_configured_to_sleep_is_a_warning_naming_file_key_and_hours() -> None:
    [finding] = sleep_check(_context("prod", {"sleep": True, "awake": "07:00-22:00", "days": "MON-SAT"}))
    assert finding.severity == WARNING and not finding.is_error
    assert finding.where == "Pulumi.prod.yaml: landing-zone:service.schedule.sleep"
    assert "0 tasks outside awake 07:00-22:00 MON-SAT (America/Guayaquil)" in finding.message


def test_prod_as_shipped_and_pre_sleeping_by_default_say_nothing() -> None:
    assert sleep_check(_context("prod", None)) == []
    assert sleep_check(_context("prod", {"awake": "07:00-22:00"})) == []  # configured hours, sleep off
    assert sleep_check(_context("pre", None)) == []  # pre sleeps by default: no warning
    assert sleep_check in all_checks()
