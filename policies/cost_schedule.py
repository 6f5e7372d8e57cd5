"""How many hours a week a scheduled Fargate service is up, read from its Application Auto Scaling
scheduled actions (components/tasks_schedule.py declares them): what the cost estimate multiplies the
running prices by.

A schedule is a pair of actions on one scalable target, both ``cron(M H ? * DAYS *)`` on the same days:
the one that sets min and max capacity to 0 (the evening) and the one that sets them back (the morning).
Anything else (rate/at expressions, different days, overnight windows) is not read: the estimate then
counts the service as always on, which over-states rather than hides a cost.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pulumi_policy import PolicyResource

from policies.rules.base import _get, _known, _number

SCHEDULED_ACTION = "aws:appautoscaling/scheduledAction:ScheduledAction"
HOURS_PER_WEEK = 168
DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_CRON = re.compile(r"^cron\((\d{1,2}) (\d{1,2}) \? \* ([A-Z,-]+) \*\)$")


@dataclass(frozen=True)
class AwakeSchedule:
    """The weekly hours a service runs, and how many evenings a week it scales in."""

    awake_hours_per_week: float
    evenings_per_week: int
    description: str  # e.g. "08:00-20:00 MON-FRI America/Guayaquil"


def _days(text: str) -> set[int] | None:
    days: set[int] = set()
    for part in text.split(","):
        ends = part.split("-")
        if len(ends) > 2 or any(end not in DAY_NAMES for end in ends):
            return None
        first, last = DAY_NAMES.index(ends[0]), DAY_NAMES.index(ends[-1])
        if first > last:
            return None
        days.update(range(first, last + 1))
    return days


def _cron(action: PolicyResource) -> tuple[int, set[int], str] | None:
    """(minute of the day, days, days text) of a weekly cron action."""
    match = _CRON.match(str(_known(action.props, "schedule") or ""))
    if not match:
        return None
    days = _days(match[3])
    return (int(match[2]) * 60 + int(match[1]), days, match[3]) if days else None


def awake_schedule(target: PolicyResource, actions: Sequence[PolicyResource],
                   only_target: bool) -> AwakeSchedule | None:
    """The awake hours of ``target`` from its scheduled actions (all of ``actions`` when it is the stack's
    only target and the ids are not known), or None when it has no schedule this module reads."""
    resource_id = _known(target.props, "resourceId")
    mine = [a for a in actions if resource_id and _known(a.props, "resourceId") == resource_id]
    if not mine and only_target:
        mine = list(actions)
    sleeps = [a for a in mine if _capacity(a) == (0.0, 0.0)]
    wakes = [a for a in mine if (_capacity(a)[0] or 0) > 0]
    if len(sleeps) != 1 or len(wakes) != 1:
        return None
    sleep, wake = _cron(sleeps[0]), _cron(wakes[0])
    if sleep is None or wake is None or sleep[1] != wake[1] or sleep[0] <= wake[0]:
        return None
    minutes = sleep[0] - wake[0]
    zone = _known(wakes[0].props, "timezone") or "UTC"
    text = f"{wake[0] // 60:02d}:{wake[0] % 60:02d}-{sleep[0] // 60:02d}:{sleep[0] % 60:02d} {wake[2]} {zone}"
    return AwakeSchedule(len(wake[1]) * minutes / 60, len(sleep[1]), text)


def _capacity(action: PolicyResource) -> tuple[float | None, float | None]:
    return (_number(_get(action.props, "scalableTargetAction", "minCapacity")),
            _number(_get(action.props, "scalableTargetAction", "maxCapacity")))
