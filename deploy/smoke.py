"""Smoke check of a deployed environment, the gate between ``pre`` and ``prod``.

Two requests from the outside, with the stack's own outputs:
1. the service's health endpoint through the load balancer answers 200
   (``http://<alb_dns_name>/q/health/live``, or the ``health_url`` output when the stack exports one);
2. the API without a token answers 401 (``<api_url>/api/tasks``): the JWT authorizer is in front.
A new service can take a few minutes to become healthy, so each check is retried until a timeout.

A sleeping environment is not a failure: when the stack exports a sleep schedule (``service_schedule``,
components/tasks_schedule.py), the clock is outside its awake hours and the service has 0 desired
tasks, the smoke check says the environment is sleeping and skips the health probe (no task answers
it); the API probe still runs (the JWT authorizer answers 401 without a task).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from components.app_contract import TASKS_IMAGE
from deploy.runner import SmokeCheckError

HEALTH_PATH = TASKS_IMAGE.health_check_path
API_PROBE_PATH = "/api/tasks"

Emit = Callable[[str], None]
Fetch = Callable[[str, float], int]
# (stack, outputs) -> the ECS service's desired task count, None when it cannot be read.
DesiredTasks = Callable[[str, Mapping[str, Any]], int | None]


def http_status(url: str, timeout: float) -> int:
    """Status code of a GET without credentials (4xx/5xx are answers, not errors)."""
    request = urllib.request.Request(url, method="GET", headers={"User-Agent": "landing-zone-smoke-check"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@dataclass(frozen=True)
class Probe:
    name: str
    url: str
    expected: int
    needs_tasks: bool = False  # only a running task can answer it


def probes(stack: str, outputs: Mapping[str, Any]) -> list[Probe]:
    health = outputs.get("health_url")
    if not health:
        alb = outputs.get("alb_dns_name")
        if not alb:
            raise SmokeCheckError(f"stack {stack} exports neither health_url nor alb_dns_name")
        base = str(alb) if "://" in str(alb) else f"http://{alb}"
        health = base.rstrip("/") + HEALTH_PATH
    api = outputs.get("api_url")
    if not api:
        raise SmokeCheckError(f"stack {stack} exports no api_url")
    return [
        Probe("health endpoint through the load balancer", str(health), 200, needs_tasks=True),
        Probe("API without a token", str(api).rstrip("/") + API_PROBE_PATH, 401),
    ]


class SmokeCheck:
    """The smoke gate of ``deploy.orchestrator``."""

    def __init__(
        self,
        *,
        fetch: Fetch = http_status,
        timeout: float = 300.0,
        interval: float = 10.0,
        request_timeout: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        desired_tasks: DesiredTasks | None = None,
    ) -> None:
        self.fetch = fetch
        self.timeout = timeout
        self.interval = interval
        self.request_timeout = request_timeout
        self.sleep = sleep
        self.clock = clock
        self.now = now
        self.desired_tasks = desired_tasks

    def __call__(self, stack: str, outputs: Mapping[str, Any], emit: Emit) -> None:
        sleeping = self._sleeping(stack, outputs, emit)
        for probe in probes(stack, outputs):
            if sleeping and probe.needs_tasks:
                continue
            self._until_expected(stack, probe, emit)

    def _sleeping(self, stack: str, outputs: Mapping[str, Any], emit: Emit) -> bool:
        """Outside its awake hours with 0 desired tasks (the evening's scheduled action ran)."""
        schedule = outputs.get("service_schedule")
        if not isinstance(schedule, Mapping) or self.desired_tasks is None:
            return False
        if is_awake(schedule, self.now()) or self.desired_tasks(stack, outputs) != 0:
            return False
        emit(f"smoke check: {stack} is sleeping (0 desired tasks outside its awake hours "
             f"{schedule.get('awake')} {schedule.get('days')} {schedule.get('timezone')}): health probe "
             f"skipped; `python -m deploy wake {stack}` starts it")
        return True

    def _until_expected(self, stack: str, probe: Probe, emit: Emit) -> None:
        started = self.clock()
        while True:
            try:
                status: int | None = self.fetch(probe.url, self.request_timeout)
                answer = f"HTTP {status}"
            except (OSError, ValueError) as error:
                status, answer = None, f"no answer ({_reason(error)})"
            if status == probe.expected:
                emit(f"smoke check: {probe.name} answers {status} ({probe.url})")
                return
            if self.clock() - started + self.interval > self.timeout:
                raise SmokeCheckError(
                    f"{probe.name} of stack {stack} gave {answer} instead of {probe.expected} at {probe.url}"
                )
            emit(f"smoke check: {probe.name} gave {answer}, expected {probe.expected}; retrying")
            self.sleep(self.interval)


def is_awake(schedule: Mapping[str, Any], now: datetime) -> bool:
    """Whether ``now`` (timezone-aware) is inside the schedule's awake hours, in its time zone."""
    from components.settings.tasks_schedule import day_set

    local = now.astimezone(zoneinfo.ZoneInfo(str(schedule["timezone"])))
    start, end = str(schedule["awake"]).split("-")
    cron_day = (local.weekday() + 1) % 7  # cron counts from SUN = 0 here; Python from Monday
    return cron_day in day_set(str(schedule["days"])) and start <= local.strftime("%H:%M") < end


def _reason(error: Exception) -> str:
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return str(error) or type(error).__name__
