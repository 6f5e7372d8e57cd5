"""Pre sleeps outside its awake hours: settings (components/settings/tasks_schedule.py) and the
scheduled actions on the service's scalable target (components/tasks_schedule.py, wired in tasks_stack)."""

from __future__ import annotations

from typing import Any

import pulumi_awsx as awsx
import pytest

from components import config
from components.tasks_stack import declare_frontend_app, declare_tasks_service
from deploy.simulate import Recording
from tests.tasks_support import assert_all_on_provider, plan, run_with_provider

ACTION = "aws:appautoscaling/scheduledAction:ScheduledAction"
TARGET = "aws:appautoscaling/target:Target"
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1"


def _run(raw: dict[str, Any] | None = None, *, production: bool = False) -> Recording:
    environment = "prod" if production else "pre"
    resolved = plan(raw, environment=environment, production=production)

    def program(provider):
        frontend = declare_frontend_app(resolved, provider)
        return declare_tasks_service(
            resolved, provider=provider, awsx_provider=awsx.Provider("workload"), region="us-east-1",
            issuer_url=ISSUER, client_id="4example0client0id00000000", frontend=frontend,
        ).outputs

    return run_with_provider(program, stack=environment)


def _actions(recording: Recording) -> dict[str, dict[str, Any]]:
    return {action.name: action.inputs for action in recording.of_type(ACTION)}


def test_pre_sleeps_at_17_30_and_wakes_at_8_on_working_days_in_the_seed_time_zone() -> None:
    recording = _run()
    target = recording.one(TARGET)
    actions = _actions(recording)
    assert set(actions) == {"pre-tasks-sleep", "pre-tasks-wake"}
    for inputs in actions.values():
        # Wired to the service's own scalable target, in the seed's UTC-5.
        assert (inputs["resourceId"], inputs["scalableDimension"], inputs["serviceNamespace"]) == (
            target.inputs["resourceId"], "ecs:service:DesiredCount", "ecs")
        assert inputs["timezone"] == "America/Guayaquil"
    assert actions["pre-tasks-sleep"]["schedule"] == "cron(30 17 ? * MON-FRI *)"
    assert actions["pre-tasks-sleep"]["scalableTargetAction"] == {"minCapacity": 0, "maxCapacity": 0}
    assert actions["pre-tasks-wake"]["schedule"] == "cron(0 8 ? * MON-FRI *)"
    assert actions["pre-tasks-wake"]["scalableTargetAction"] == {
        "minCapacity": target.inputs["minCapacity"], "maxCapacity": target.inputs["maxCapacity"]}
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (1, 2)
    assert_all_on_provider(recording)
    exported = recording.outputs["service_schedule"]
    assert exported == {"timezone": "America/Guayaquil", "awake": "08:00-17:30", "days": "MON-FRI",
                        "resource_id": target.inputs["resourceId"], "min_count": 1, "max_count": 2}


def test_a_configured_schedule_and_counts_reach_the_actions() -> None:
    schedule = {"timezone": "Etc/GMT+5", "awake": "07:30-18:15", "days": "MON,WED-FRI,SUN"}
    raw = {"service": {"minCount": 2, "maxCount": 4, "schedule": schedule}}
    actions = _actions(_run(raw))
    assert actions["pre-tasks-wake"]["schedule"] == "cron(30 7 ? * SUN-MON,WED-FRI *)"
    assert actions["pre-tasks-sleep"]["schedule"] == "cron(15 18 ? * SUN-MON,WED-FRI *)"
    assert actions["pre-tasks-wake"]["scalableTargetAction"] == {"minCapacity": 2, "maxCapacity": 4}
    assert {inputs["timezone"] for inputs in actions.values()} == {"Etc/GMT+5"}


def test_prod_never_sleeps_by_default_and_pre_can_switch_it_off() -> None:
    prod = _run(production=True)
    assert prod.of_type(ACTION) == [] and "service_schedule" not in prod.outputs
    assert _run({"service": {"schedule": {"sleep": False}}}).of_type(ACTION) == []


def test_prod_sleeps_when_configured() -> None:
    resolved = plan({"service": {"schedule": {"sleep": True}}}, environment="prod", production=True)
    assert resolved.service.schedule is not None
    assert resolved.service.schedule.awake_hours_per_week == 47.5  # 9.5 h x 5 days, the default


@pytest.mark.parametrize(
    ("schedule", "key", "message"),
    [
        ({"timezone": "America/Atlantis"}, "service.schedule.timezone", "not a known IANA time zone"),
        ({"timezone": "-05:00"}, "service.schedule.timezone", "not an IANA time zone name"),
        ({"timezone": "posix/America/Guayaquil"}, "service.schedule.timezone", "not an IANA time zone"),
        ({"awake": "8-20"}, "service.schedule.awake", "is not HH:MM-HH:MM"),
        ({"awake": "20:00-08:00"}, "service.schedule.awake", "start must be before the end"),
        ({"days": "MON-FRY"}, "service.schedule.days", "is not a list of days"),
        ({"days": "FRI-MON"}, "service.schedule.days", "runs backwards"),
    ],
)
def test_a_bad_schedule_is_one_line_naming_file_and_key(
    schedule: dict[str, Any], key: str, message: str
) -> None:
    with pytest.raises(config.ConfigError) as raised:
        plan({"service": {"schedule": schedule}})
    text = str(raised.value)
    assert text.startswith(f"Pulumi.pre.yaml: landing-zone:{key}: ") and message in text
    assert "\n" not in text


def test_the_schedule_owns_the_targets_min_and_max_so_an_up_after_a_refresh_does_not_wake_it() -> None:
    """The actions set the target's min/max (PutScheduledAction's ScalableTargetAction); a refresh reads them
    back, so without ignore_changes an `up` at night would register 1/2 again and wake the service."""
    assert _run().one(TARGET).ignore_changes == ["minCapacity", "maxCapacity"]
    # Without a schedule nothing else changes them: config changes apply at once.
    assert _run({"service": {"schedule": {"sleep": False}}}).one(TARGET).ignore_changes == []
    assert _run(production=True).one(TARGET).ignore_changes == []
