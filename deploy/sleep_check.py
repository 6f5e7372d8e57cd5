"""``plan``'s sleep check: a production stack configured to sleep out of hours is allowed, with a WARNING.

Production never sleeps by default (components/settings/tasks_schedule.py); ``service.schedule.sleep:
true`` on a production stack takes its service to 0 tasks every evening, so its users get errors out of
hours. That must never go unnoticed: every ``plan`` names the stack file, the key and the hours.
"""

from __future__ import annotations

from components import config as stack_config
from deploy.stack_checks import WARNING, Finding, StackContext

CHECK = "sleep"


def sleep_check(context: StackContext) -> list[Finding]:
    settings = context.settings
    if not isinstance(settings, stack_config.EnvConfig) or not settings.is_production:
        return []
    schedule = settings.resolved.tasks_service.service.schedule
    if schedule is None:
        return []
    return [Finding(
        CHECK, WARNING, f"{context.source}: {stack_config.PROJECT}:service.schedule.sleep",
        f"production sleeps out of hours: 0 tasks outside {schedule.describes()}; requests then fail "
        "until the morning action or `python -m deploy wake`",
    )]
