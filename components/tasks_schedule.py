"""TasksSchedule: the Tasks Service sleeps outside its awake hours (key ``service.schedule``).

Two Application Auto Scaling scheduled actions on the service's scalable target
(components/tasks_service.py):

- ``<name>-sleep`` at the end of the awake hours sets min and max capacity to 0: the service's desired
  count goes to 0, the tasks stop and close their database connections, and Aurora (0 ACU minimum)
  pauses after its auto-pause delay;
- ``<name>-wake`` at the start sets them back to the configured ``minCount``/``maxCount``: "When the
  scheduled action runs, the resource will have at least this much capacity" (botocore
  application-autoscaling model, ScalableTargetAction.MinCapacity), so the tasks start again.

Both run on the configured days, their cron expressions read in the configured IANA time zone
(PutScheduledAction's ``Timezone``; https://docs.aws.amazon.com/autoscaling/application/APIReference/
API_PutScheduledAction.html). ``python -m deploy wake ENV`` raises the target's min by hand; the next
``-sleep`` action sets it to 0 again, so a woken environment sleeps again at the next scheduled evening.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.settings.tasks_schedule import SchedulePlan


@dataclass(frozen=True)
class TasksScheduleArgs:
    schedule: SchedulePlan
    target: aws.appautoscaling.Target  # the service's scalable target (ECS desired count)
    min_count: int  # what the morning action restores
    max_count: int


class TasksSchedule(pulumi.ComponentResource):
    """The evening (to 0 tasks) and morning (back to min/max) scheduled actions of one service."""

    sleep: aws.appautoscaling.ScheduledAction
    wake: aws.appautoscaling.ScheduledAction
    output: pulumi.Output[dict[str, Any]]

    def __init__(
        self, name: str, args: TasksScheduleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landingzone:tasks:TasksSchedule", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        schedule, target = args.schedule, args.target

        def action(suffix: str, cron: str, low: int, high: int) -> aws.appautoscaling.ScheduledAction:
            return aws.appautoscaling.ScheduledAction(
                f"{name}-{suffix}",
                name=f"{name}-{suffix}",  # unique per scalable target; no ':', '/' or '|' (model pattern)
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                schedule=cron,
                timezone=schedule.timezone,
                scalable_target_action=aws.appautoscaling.ScheduledActionScalableTargetActionArgs(
                    min_capacity=low, max_capacity=high
                ),
                opts=child,
            )

        self.sleep = action("sleep", schedule.sleep_cron, 0, 0)
        self.wake = action("wake", schedule.wake_cron, args.min_count, args.max_count)
        # The stack output `service_schedule`: what `deploy wake` and the smoke check read.
        self.output: pulumi.Output[dict[str, Any]] = pulumi.Output.all(resource_id=target.resource_id).apply(
            lambda values: {
                "timezone": schedule.timezone, "awake": schedule.awake, "days": schedule.days,
                "resource_id": values["resource_id"],
                "min_count": args.min_count, "max_count": args.max_count,
            }
        )
        self.register_outputs({"sleep": self.sleep.name, "wake": self.wake.name, "schedule": self.output})
