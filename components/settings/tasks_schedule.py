"""When a non-production Tasks Service sleeps: key ``service.schedule`` of an environment stack.

Outside its awake hours the service runs no task (Application Auto Scaling scheduled actions set the
scalable target's min and max to 0 in the evening and back to ``minCount``/``maxCount`` in the morning,
components/tasks_schedule.py). With no task connected, Aurora (minimum 0 ACU) pauses by itself after
``database.secondsUntilAutoPause``. Default: on outside production, off in production.
"""

from __future__ import annotations

import re
import zoneinfo

from pydantic import field_validator

from components.settings.base import Model

# Cron day-of-week names as Application Auto Scaling reads them, in its order (SUN = 1 ... SAT = 7):
# https://docs.aws.amazon.com/autoscaling/application/userguide/scheduled-scaling-using-cron-expressions.html
CRON_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
DEFAULT_TIMEZONE = "America/Guayaquil"  # the seed's UTC-5 (Ecuador keeps no daylight saving time)
DEFAULT_AWAKE = "08:00-17:30"  # 47.5 h a week: pre idles at $34.50 a month (README, Idle cost)
DEFAULT_DAYS = "MON-FRI"
HOURS_PER_WEEK = 168
_TIME = r"([01]\d|2[0-3]):([0-5]\d)"
_AWAKE = re.compile(rf"^{_TIME}-{_TIME}$")
# An IANA name: Area/Location[/Sub] or UTC; no file paths (zoneinfo would also read posix/..., right/...).
_ZONE_NAME = re.compile(r"^(UTC|(Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|"
                        r"Pacific|Etc)(/[A-Za-z0-9_+-]+){1,2})$")


class ScheduleSettings(Model):
    """``service.schedule``: { sleep, timezone, awake, days }."""

    sleep: bool | None = None  # default: on outside production, off in production
    timezone: str = DEFAULT_TIMEZONE
    awake: str = DEFAULT_AWAKE  # HH:MM-HH:MM, same day, in ``timezone``
    days: str = DEFAULT_DAYS  # the days it wakes: MON-FRI, or a list such as MON,WED,FRI

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        # PutScheduledAction's Timezone: "canonical names of the IANA time zones supported by
        # Joda-Time (such as Etc/GMT+9 or Pacific/Tahiti)" (botocore application-autoscaling model).
        if not _ZONE_NAME.match(value):
            raise ValueError(f"'{value}' is not an IANA time zone name (America/Guayaquil, Etc/GMT+5...)")
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a known IANA time zone (e.g. America/Guayaquil)") from None
        return value

    @field_validator("awake")
    @classmethod
    def _awake(cls, value: str) -> str:
        match = _AWAKE.match(value)
        if not match:
            raise ValueError(f"'{value}' is not HH:MM-HH:MM (24-hour clock), e.g. {DEFAULT_AWAKE}")
        start, end = int(match[1]) * 60 + int(match[2]), int(match[3]) * 60 + int(match[4])
        if start >= end:
            raise ValueError(f"'{value}': the start must be before the end on the same day")
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: str) -> str:
        day_set(value)
        return value


class SchedulePlan(Model):
    """A resolved sleep schedule: the cron expressions of the two scheduled actions and their time zone."""

    timezone: str
    awake: str
    days: str  # as configured
    wake_cron: str  # cron(...) of the morning action
    sleep_cron: str  # cron(...) of the evening action
    awake_days: int  # days per week
    awake_minutes_per_day: int

    @property
    def awake_hours_per_week(self) -> float:
        return self.awake_days * self.awake_minutes_per_day / 60

    def describes(self) -> str:
        return f"awake {self.awake} {self.days} ({self.timezone})"


def day_set(text: str) -> list[int]:
    """Cron day numbers (0 = SUN) of ``MON-FRI`` or ``MON,WED,FRI`` (ranges within SUN..SAT)."""
    days: set[int] = set()
    for part in text.upper().split(","):
        ends = part.strip().split("-")
        if len(ends) > 2 or any(end not in CRON_DAYS for end in ends):
            raise ValueError(f"'{text}' is not a list of days or ranges of {','.join(CRON_DAYS)} (MON-FRI)")
        first, last = CRON_DAYS.index(ends[0]), CRON_DAYS.index(ends[-1])
        if first > last:
            raise ValueError(f"'{part.strip()}' runs backwards: ranges go SUN to SAT (use a list: SAT,SUN)")
        days.update(range(first, last + 1))
    return sorted(days)


def _cron_days(days: list[int]) -> str:
    """Contiguous runs as ranges (MON-FRI), the rest as a list."""
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(CRON_DAYS[r[0]] if len(r) == 1 else f"{CRON_DAYS[r[0]]}-{CRON_DAYS[r[-1]]}" for r in runs)


def resolve_schedule(settings: ScheduleSettings | None, *, production: bool) -> SchedulePlan | None:
    """The schedule the service follows, or None when it never sleeps (production, unless configured)."""
    settings = settings or ScheduleSettings()
    if not (settings.sleep if settings.sleep is not None else not production):
        return None
    match = _AWAKE.match(settings.awake)
    assert match is not None  # validated
    start_h, start_m, end_h, end_m = (int(group) for group in match.groups())
    days = day_set(settings.days)
    # Six fields: Minutes Hours Day-of-month Month Day-of-week Year (PutScheduledAction's Schedule).
    on = _cron_days(days)
    return SchedulePlan(
        timezone=settings.timezone,
        awake=settings.awake,
        days=settings.days,
        wake_cron=f"cron({start_m} {start_h} ? * {on} *)",
        sleep_cron=f"cron({end_m} {end_h} ? * {on} *)",
        awake_days=len(days),
        awake_minutes_per_day=(end_h * 60 + end_m) - (start_h * 60 + start_m),
    )
