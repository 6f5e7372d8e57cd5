"""The honest idle cost (policies/cost.py, policies/cost_schedule.py): Aurora counted while tasks hold
connections, and the hours the sleep schedule keeps the tasks up, on the real Tasks Service program."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from components import config
from policies.cost import PRICES_FILE, estimate_idle_cost, load_prices
from policies.offline import stack_resources
from tests.conftest import run_env_stack
from tests.test_tasks_schedule import _run

README = Path(__file__).resolve().parent.parent / "README.md"

# Round prices the test owns, so each figure below is checkable by hand.
PRICES = {
    "hoursPerMonth": 730,
    "hourly": {"natGateway": 0.05, "loadBalancer": 0.02, "auroraServerlessV2Acu": 0.1,
               "fargateArm64Vcpu": 0.04, "fargateArm64Gb": 0.004, "fargateX86Vcpu": 0.05,
               "fargateX86Gb": 0.005, "publicIpv4Address": 0.005},
    "monthly": {"kmsKey": 1.0, "secretsManagerSecret": 0.5},
}


def _estimate(raw: dict[str, Any] | None = None, *, production: bool = False):
    return estimate_idle_cost(stack_resources(_run(raw, production=production)), PRICES)


def test_a_sleeping_service_is_billed_for_its_awake_hours_and_aurora_while_tasks_run() -> None:
    # 1 task (0.25 vCPU, 0.5 GB) with a public IP, Aurora 0 ACU minimum pausing 600 s after the tasks stop.
    raw = {"database": {"minCapacity": 0, "secondsUntilAutoPause": 600},
           "service": {"schedule": {"awake": "09:00-17:00", "days": "MON-THU"}}}  # 32 h a week
    estimate = _estimate(raw)
    running = {line.item: line.hourly_usd for line in estimate.lines if line.running}
    assert running == {
        "Aurora Serverless v2 while tasks hold connections": pytest.approx(0.05),  # 0.5 ACU x 0.1
        "Fargate arm64 vCPU": pytest.approx(0.01), "Fargate arm64 memory": pytest.approx(0.002),
        "tasks' public IPv4 addresses": pytest.approx(0.005),
    }
    fixed = 0.02 * 730 + 2 * 1.0 + 0.5  # the internal ALB, two KMS keys, one secret
    assert estimate.fixed == pytest.approx(fixed, abs=0.01)
    assert estimate.total == pytest.approx(fixed + 0.067 * 730, abs=0.03)  # always on
    awake = 32 * 730 / 168
    pause = 4 * 600 / 3600 * 730 / 168  # one auto-pause delay after each of 4 evenings
    assert estimate.awake_hours_per_month == pytest.approx(awake)
    assert estimate.scheduled_total == pytest.approx(fixed + 0.067 * awake + 0.05 * pause, abs=0.01)
    assert estimate.expected == estimate.scheduled_total
    summary = estimate.summary()
    assert f"always on ${estimate.total:.2f}/month" in summary
    assert (f"scheduled (awake 09:00-17:00 MON-THU America/Guayaquil): ${estimate.scheduled_total:.2f}/month"
            f" = ${fixed:.2f} always billed + $0.067/h while tasks run x {awake:.1f} h (32 h/week x 730/168)"
            in summary)
    assert "600 s after each of 4 evenings a week" in summary


def test_without_a_schedule_aurora_is_up_whenever_the_tasks_are_so_all_month() -> None:
    estimate = _estimate({"database": {"minCapacity": 0}, "service": {"schedule": {"sleep": False}}})
    items = {line.item: line.monthly_usd for line in estimate.lines}
    assert items["Aurora Serverless v2 while tasks hold connections"] == pytest.approx(0.05 * 730)
    assert estimate.scheduled_total is None and estimate.expected == estimate.total
    assert not any(line.running for line in estimate.lines) and "scheduled" not in estimate.summary()


def test_a_database_with_a_minimum_is_billed_always_and_not_twice() -> None:
    estimate = _estimate(production=True)  # prod: 0.5 ACU minimum writer and reader, no schedule
    items = {line.item for line in estimate.lines}
    assert "Aurora Serverless v2 minimum" in items
    assert "Aurora Serverless v2 while tasks hold connections" not in items


def test_pre_as_shipped_meets_the_35_dollar_goal_with_the_published_prices() -> None:
    """The figure the README quotes: the shipped Pulumi.pre.yaml (not the frozen copy) with the default
    schedule, 08:00-17:30 Mon-Fri, recomputed by hand from prices.json. Issue 15's goal: at most $35."""
    shipped = config.read_stack_file("pre")
    assert "schedule" not in shipped.get("service", {})  # the default is what pre runs
    database = shipped["database"]
    assert (database["minCapacity"], database["secondsUntilAutoPause"]) == (0, 600)
    estimate = estimate_idle_cost(stack_resources(run_env_stack("pre", shipped)))
    hourly = load_prices()["hourly"]
    per_awake_hour = (0.25 * hourly["fargateArm64Vcpu"] + 0.5 * hourly["fargateArm64Gb"]
                      + hourly["publicIpv4Address"] + 0.5 * hourly["auroraServerlessV2Acu"])
    assert estimate.running_hourly == pytest.approx(per_awake_hour)
    awake = 47.5 * 730 / 168
    assert estimate.awake_hours_per_month == pytest.approx(awake)
    pause = 5 * 600 / 3600 * 730 / 168  # one auto-pause delay after each of 5 evenings
    expected = estimate.fixed + per_awake_hour * awake + 0.5 * hourly["auroraServerlessV2Acu"] * pause
    assert estimate.scheduled_total == pytest.approx(expected, abs=0.01)
    assert estimate.scheduled_total is not None and estimate.scheduled_total <= 35
    assert f"**${estimate.scheduled_total:.2f}/month**" in README.read_text(encoding="utf-8")


def test_the_price_table_is_dated_and_names_its_sources() -> None:
    table = json.loads(PRICES_FILE.read_text(encoding="utf-8"))
    assert table["checked"] and table["sources"]
    assert all(url.startswith("https://aws.amazon.com/") for url in table["sources"].values())
    assert set(table["sources"]) >= set(table["hourly"]) | set(table["monthly"])
